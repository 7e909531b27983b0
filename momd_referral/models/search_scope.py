"""A search finds records only through what the user may read.

Tryton converts a search domain without the access rules of the records a
path goes through: a supervisor could find the review lines whose other
record (of an office they do not read) has a given first name, a
caseworker the cases whose person, merged into or moved to another office,
has a given name, and so learn what a read of those records refuses. For a
user's search of any model of momd_referral, each condition that goes
through a relation (a path "beneficiary.first_name", a name searched on
"beneficiary", a "where") is kept to the related records the user may read,
by the record rules of those records, at every step of the path.
"""
from trytond.model import fields
from trytond.model.modelstorage import is_leaf
from trytond.pool import Pool

from .owned_fields import from_client

RELATIONS = {'many2one', 'one2many', 'many2many', 'one2one'}


def readable_paths(Model, domain):
    """The domain with each condition through a relation of Model kept to
    the related records the user may read (rules evaluated now, with the
    user's access)"""
    if is_leaf(domain):
        return _readable_leaf(Model, domain)
    if isinstance(domain, (list, tuple)):
        return [d if isinstance(d, str) else readable_paths(Model, d)
            for d in domain]
    return domain


def _readable_leaf(Model, leaf):
    Rule = Pool().get('ir.rule')
    name, operator, value = leaf[:3]
    first, _, rest = name.partition('.')
    field = Model._fields.get(first)
    if field is None or field._type not in RELATIONS or len(leaf) > 3:
        return leaf
    through = rest or operator.endswith('where') or isinstance(value, str)
    if not through or operator.endswith('child_of') or operator.endswith(
            'parent_of'):
        return leaf
    Target = field.get_target()
    negative = False
    if rest:
        given = (rest, operator, value)
    elif operator.endswith('where'):
        given = value
        negative = operator.startswith('not')
    else:
        given = ('rec_name', operator, value)
    inner = readable_paths(Target, given)
    rule = Rule.domain_get(Target.__name__, mode='read')
    if not rule and inner == given:
        return leaf
    target_domain = [inner, rule] if rule else [inner]
    return (first, 'not where' if negative else 'where', target_domain)


def single_values(Model, domain):
    """The domain with each condition of a stored relation or integer of
    Model "in" a list of one id written as "=" that id: a user of one
    office (most of them) searches their office's records by a column
    PostgreSQL then finds in an index in the list's order, where a list,
    even of one, is compared as an array and gives the rows unordered"""
    if is_leaf(domain):
        name, operator, value = domain[:3]
        field = Model._fields.get(name)
        if (len(domain) == 3 and operator == 'in'
                and isinstance(value, (list, tuple)) and len(value) == 1
                and type(value[0]) is int
                and field is not None
                and field._type in {'many2one', 'integer'}
                and not isinstance(field, fields.Function)):
            return (name, '=', value[0])
        return domain
    if isinstance(domain, (list, tuple)):
        return [d if isinstance(d, str) else single_values(Model, d)
            for d in domain]
    return domain


class SearchScopeMixin:
    """Every model gets it (see tryton.cfg); it acts on those of
    momd_referral, for a search a user makes"""
    __slots__ = ()

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        if from_client() and cls.__name__.startswith('momd.'):
            domain = readable_paths(cls, domain)
        # (a singleton's search takes no query)
        extra = {'query': query} if query else {}
        return super().search(domain, offset=offset, limit=limit,
            order=order, count=count, **extra)

    @classmethod
    def search_domain(cls, domain, active_test=None, tables=None):
        # the searched domain and the record rules' one
        if cls.__name__.startswith('momd.'):
            domain = single_values(cls, domain)
        return super().search_domain(
            domain, active_test=active_test, tables=tables)
