"Arabic and Kurdish (Kurmanji) for the Tryton core strings our users meet."
import glob
import os

from trytond.pool import PoolMeta

MODULE = 'momd_referral'
CORE_LOCALE = os.path.join(os.path.dirname(os.path.dirname(__file__)),
    'locale', 'core')


class Translation(metaclass=PoolMeta):
    __name__ = 'ir.translation'

    @classmethod
    def translation_import(cls, lang, module, po_path):
        # Tryton ships no Arabic nor Kurmanji: the translations of the core
        # modules live in locale/core/<lang>/<module>.po and are imported
        # for those modules, as if they shipped them, whenever ours loads
        # the language.
        if module == MODULE:
            for path in sorted(glob.glob(
                        os.path.join(CORE_LOCALE, lang, '*.po'))):
                core_module = os.path.splitext(os.path.basename(path))[0]
                super().translation_import(lang, core_module, [path])
        return super().translation_import(lang, module, po_path)
