"""The module tests.

Tryton's checks of a module's definition (ModuleTestCase) ask, for each
class of each model, which module registered it (`isregisteredby`), and
each answer looks the module up again among all the entry points of the
environment (`trytond.tools.misc.import_module`): about 40,000 lookups of
half a millisecond, five seconds a check. A module's name gives the same
module for the life of the process, so the lookups are remembered here."""
import functools

from trytond.tools import misc

if not hasattr(misc.import_module, 'cache_info'):
    misc.import_module = functools.cache(misc.import_module)
