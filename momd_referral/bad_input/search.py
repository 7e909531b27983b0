"""Whether what a client searches for, sorts on or reads names the
model's fields: search criteria with known operators, values the fields can
hold, not nested too deeply; sort orders and field names through relations.
Checked outside any transaction, from the models of the pool."""
import datetime as dt
from decimal import Decimal

from trytond.const import OPERATORS

from .problem import (
    BIGINT_MAX, DOMAIN_DEPTH, KINDS, NAME_SIZE, NUMBER_MAX, SEARCH_SIZE,
    BadInput, field_label, is_integer, is_number, kind_label, model_label)

DIRECTIONS = {'', 'ASC', 'DESC'}
NULLS = {'', 'NULLS FIRST', 'NULLS LAST'}
# the names read accepts beside the fields
READ_EXTRA = {'_timestamp', '_write', '_delete', '__name__'}


def check_domain(pool, Model, domain):
    "Raise BadInput unless domain is search criteria of Model"
    SearchChecks(pool).domain(Model, domain, 0)


def check_shape(domain):
    """Raise BadInput unless domain has the shape of search criteria (before
    the model is known)"""
    SearchChecks(None).domain(None, domain, 0)


def check_order(pool, Model, order):
    SearchChecks(pool).order(Model, order, 0)


def check_field_names(pool, Model, names, kind='read'):
    SearchChecks(pool).field_names(Model, names, 0, kind)


class SearchChecks:
    "The checks of what is searched, sorted or read in a model"

    def __init__(self, pool):
        self.pool = pool

    def argument(self, position, kind):
        # position for the user: the first value is 1
        return BadInput('msg_request_argument',
            position=str(position + 1), kind=kind_label(kind))

    def known(self, Model, name):
        if name not in Model._fields:
            raise BadInput(
                'msg_request_unknown_field', model=model_label(Model))

    def target(self, field):
        """The model a relation field leads to (read from the pool: the
        checks run outside any transaction)"""
        if self.pool is None:
            return None
        field = getattr(field, '_field', field)
        try:
            if field._type in {'many2many', 'one2one'}:
                Relation = self.pool.get(field.relation_name)
                if not field.target:
                    return Relation
                return self.target(Relation._fields[field.target])
            name = getattr(field, 'model_name', None)
            return self.pool.get(name) if name else None
        except (KeyError, AttributeError):
            return None

    def names(self, value, position):
        if not isinstance(value, list) or not all(
                isinstance(n, str) and len(n) <= NAME_SIZE for n in value):
            raise self.argument(position, 'field_names')

    def field_names(self, Model, value, position, kind):
        if value is None:
            return
        self.names(value, position)
        if kind == 'any':
            return
        for name in value:
            if kind == 'read':
                if name in READ_EXTRA:
                    continue
                local, _, related = name.partition('.')
                if local.endswith(':string'):
                    local = local[:-len(':string')]
                self.known(Model, local)
                if related:
                    field = Model._fields[local]
                    Target = self.target(field)
                    if Target is not None:
                        self.field_names(
                            Target, [related], position, 'read')
            elif kind == 'path':
                self.export_path(Model, name)
            else:
                self.known(Model, name)

    def export_path(self, Model, path, depth=0):
        "A column of an export or import: fields through relations, by /"
        local, _, related = path.partition('/')
        # "party.rec_name", "party:id", "name:lang=ar" name the field too
        local = local.split('.', 1)[0].split(':', 1)[0]
        self.known(Model, local)
        if related and depth < DOMAIN_DEPTH:
            Target = self.target(Model._fields[local])
            if Target is not None and Model._fields[local]._type != (
                    'reference'):
                self.export_path(Target, related, depth + 1)

    def order(self, Model, order, position):
        if order is None:
            return
        if not isinstance(order, (list, tuple)):
            raise BadInput('msg_request_order')
        for item in order:
            if (not isinstance(item, (list, tuple)) or len(item) != 2
                    or not isinstance(item[0], str)
                    or not isinstance(item[1], (str, type(None)))
                    or len(item[0]) > NAME_SIZE):
                raise BadInput('msg_request_order')
            direction = (item[1] or '').upper().split()
            if (' '.join(direction[:1]) not in DIRECTIONS
                    or ' '.join(direction[1:]) not in NULLS):
                raise BadInput('msg_request_order')
            self.path(Model, item[0], order=True)

    def path(self, Model, path, order=False, depth=0):
        "A field name, or a dotted path through relations, of Model"
        local, _, related = path.partition('.')
        self.known(Model, local)
        field = Model._fields[local]
        if related and depth < DOMAIN_DEPTH:
            Target = self.target(field)
            if Target is not None and field._type != 'reference':
                self.path(Target, related, order=order, depth=depth + 1)

    def domain(self, Model, domain, depth, position=0):
        # the criteria themselves are the first level
        if depth >= DOMAIN_DEPTH:
            raise BadInput('msg_request_too_deep', depth=str(DOMAIN_DEPTH))
        if not isinstance(domain, (list, tuple)):
            raise BadInput('msg_request_domain')
        for item in domain:
            if isinstance(item, str):
                if item not in {'AND', 'OR'}:
                    raise BadInput('msg_request_domain')
            elif _is_leaf(item):
                self.clause(Model, item, depth)
            elif isinstance(item, (list, tuple)):
                self.domain(Model, item, depth + 1)
            else:
                raise BadInput('msg_request_domain')

    def clause(self, Model, clause, depth):
        if len(clause) > 4 or not isinstance(clause[0], str) or len(
                clause[0]) > NAME_SIZE:
            raise BadInput('msg_request_domain')
        name, operator, value = clause[:3]
        if Model is None:
            if operator in {'where', 'not where'}:
                self.domain(None, value, depth + 1)
            else:
                self.scalar(value, operator)
            return
        local, _, related = name.partition('.')
        self.known(Model, local)
        field = Model._fields[local]
        Target = self.target(field)
        if len(clause) == 4:
            if not isinstance(clause[3], str) or len(clause[3]) > NAME_SIZE:
                raise BadInput('msg_request_domain')
            if field._type == 'reference':
                try:
                    Target = self.pool.get(clause[3])
                except KeyError:
                    raise BadInput('msg_request_domain')
            elif not operator.endswith(('child_of', 'parent_of')):
                raise BadInput('msg_request_domain')
        if related:
            if field._type == 'dict':
                self.scalar(value, operator)
                return
            if Target is None:
                raise BadInput('msg_request_unknown_field',
                    model=model_label(Model))
            self.clause(Target, (related, operator, value), depth + 1)
            return
        if operator in {'where', 'not where'}:
            if Target is None:
                raise BadInput('msg_request_domain')
            self.domain(Target, value, depth + 1)
            return
        if operator in {'in', 'not in'}:
            if not isinstance(value, (list, tuple)):
                raise BadInput('msg_request_domain')
            for item in value:
                self.searched(Model, local, field, operator, item)
        elif operator.endswith(('child_of', 'parent_of')):
            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if not (is_integer(item) or isinstance(item, str)
                        or item is None):
                    raise BadInput('msg_request_domain')
                self.scalar(item, operator)
        else:
            self.searched(Model, local, field, operator, value)

    def searched(self, Model, name, field, operator, value):
        "A value searched for in field"
        self.scalar(value, operator)
        if value is None:
            return
        type_ = field._type
        if operator.endswith('like'):
            if not isinstance(value, str):
                raise BadInput('msg_request_search_type',
                    field=field_label(Model, name), model=model_label(Model),
                    kind=kind_label('text'))
            return
        kind = KINDS.get(type_)

        def wrong():
            return BadInput('msg_request_search_type',
                field=field_label(Model, name), model=model_label(Model),
                kind=kind_label(kind))
        if type_ in {'integer', 'biginteger', 'float', 'numeric'}:
            if not is_number(value):
                raise wrong()
        elif type_ in MOMENTS:
            if not is_moment(type_, value, exact=False):
                raise wrong()
        elif type_ in {'many2one', 'one2one', 'one2many', 'many2many'}:
            # a record number, or a name searched for
            if not (is_integer(value) or isinstance(value, str)):
                raise wrong()
        elif type_ == 'multiselection':
            if isinstance(value, dict) or (
                    isinstance(value, (list, tuple))
                    and not all(isinstance(v, str) for v in value)):
                raise wrong()
        elif type_ in {'char', 'text', 'selection'}:
            if isinstance(value, (dict, list, tuple)):
                raise wrong()

    def scalar(self, value, operator):
        if isinstance(value, str):
            if len(value) > SEARCH_SIZE:
                raise BadInput('msg_request_text_too_long',
                    size=str(SEARCH_SIZE))
        elif is_integer(value):
            if not -BIGINT_MAX <= value <= BIGINT_MAX:
                raise BadInput('msg_request_number_too_large')
        elif isinstance(value, (float, Decimal)):
            if not is_number(value) or abs(value) > NUMBER_MAX:
                raise BadInput('msg_request_number_too_large')
        elif isinstance(value, dict):
            raise BadInput('msg_request_domain')
        elif isinstance(value, (list, tuple)):
            if operator not in {'in', 'not in', '=', '!='} and not (
                    operator.endswith(('child_of', 'parent_of'))):
                raise BadInput('msg_request_domain')
            for item in value:
                if isinstance(item, (list, tuple, dict)):
                    raise BadInput('msg_request_domain')
                self.scalar(item, '=')


def _is_leaf(item):
    return (isinstance(item, (list, tuple))
        and len(item) > 2
        and isinstance(item[1], str)
        and item[1] in OPERATORS)


# the types of field that hold a date or a time, and how their ISO text
# reads
MOMENTS = {
    'date': dt.date.fromisoformat,
    'datetime': dt.datetime.fromisoformat,
    'timestamp': dt.datetime.fromisoformat,
    'time': dt.time.fromisoformat,
    }


def is_moment(type_, value, exact=True):
    """Whether value (or the ISO text it is) is what a field of type_
    holds; not exact: a date is searched for among dates and times too"""
    if isinstance(value, str):
        value = _iso(MOMENTS[type_], value)
    if type_ == 'time':
        return isinstance(value, dt.time)
    if type_ == 'date':
        return isinstance(value, dt.date) and not (
            exact and isinstance(value, dt.datetime))
    return isinstance(value, dt.datetime if exact else dt.date)


def _iso(parse, value):
    "The date or time an ISO text names, or the text if it names none"
    try:
        return parse(value)
    except ValueError:
        return value
