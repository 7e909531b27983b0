"""Whether a call a client sends to a model is well formed.

Before a call reaches the ORM, its values are checked against what the
operation takes (its signature) and what the model declares (its fields):
the records as lists of record numbers, the values of each field of the
right kind and size, the search criteria and sort orders (search.py). A
call that fails raises BadInput; nothing here touches the database: a
refused call never starts.

The rules are derived from the parameters and the field definitions, so a
field added later is checked as soon as it is declared.
"""
import datetime as dt
import inspect
from decimal import Decimal

from trytond.tools import is_instance_method

from .problem import (
    BIGINT_MAX, CHAR_SIZE, DOMAIN_DEPTH, INTEGER_MAX, KINDS, NUMBER_MAX,
    SEARCH_SIZE, TEXT_SIZE, BadInput, field_label, is_integer, is_number,
    kind_label, model_label)
from .search import MOMENTS, SearchChecks, is_moment

ACTIONS = {'create', 'write', 'delete', 'add', 'remove', 'copy'}

# The parameters of the operations every model has, by name: what each
# must be. Other operations (the workflow's buttons...) take the records
# they act on, checked by their position (see RPC.instantiate).
ROLES = {
    'ids': 'ids',
    'records': 'ids',
    'domain': 'domain',
    'offset': 'natural',
    'limit': 'limit',
    'order': 'order',
    'count': 'boolean',
    'query': 'false',
    'header': 'boolean',
    'with_rec_name': 'boolean',
    'with_default': 'boolean',
    'fields_names': 'read_names',
    'fieldnames': 'names',
    'vlist': 'vlist',
    'values': 'values',
    'default': 'default',
    'text': 'text',
    'code': 'text',
    'level': 'level',
    'view_id': 'view_id',
    'view_type': 'text',
    'data': 'rows',
    }
# the operations of every model whose parameters follow ROLES
STANDARD = {
    'create', 'read', 'write', 'delete', 'copy', 'search', 'search_count',
    'search_read', 'export_data', 'export_data_domain', 'import_data',
    'fields_get', 'default_get', 'history_revisions', 'fields_view_get',
    'view_toolbar_get', 'on_change', 'on_change_with', 'on_change_notify',
    'on_scan_code', 'autocomplete', 'pre_validate', 'resources',
    }
# which field names each operation takes: those read, those exported or
# imported (paths with "/"), plain names, or any (fields_get ignores
# unknown names)
NAMES = {
    'read': 'read', 'search_read': 'read',
    'export_data': 'path', 'export_data_domain': 'path',
    'import_data': 'path', 'default_get': 'plain', 'fields_get': 'any',
    }


def _signature(function):
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        return None


def arity(signature):
    "(fewest, most) positional values a signature takes; most None: any"
    fewest, most = 0, 0
    for parameter in signature.parameters.values():
        if parameter.kind == parameter.VAR_POSITIONAL:
            most = None
        elif parameter.kind in {
                parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD}:
            if parameter.default is parameter.empty:
                fewest += 1
            if most is not None:
                most += 1
    return fewest, most


def _expected(signature):
    fewest, most = arity(signature)
    if most is None:
        return '%s+' % fewest
    if fewest == most:
        return str(fewest)
    return '%s-%s' % (fewest, most)


def check_call(pool, Model, method, rpc, args, kwargs=None):
    """Raise BadInput unless args (and kwargs) are what method of Model takes
    from a client: args without the context, as JSON-RPC sends them"""
    kwargs = kwargs or {}
    function = getattr(Model, method, None)
    if function is None:
        raise BadInput('msg_request_unknown_operation')
    signature = _signature(function)
    instance = (rpc.instantiate == 0
        and is_instance_method(Model, method))
    if signature is not None:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            if isinstance(rpc.instantiate, slice):
                raise BadInput('msg_request_write_pairs')
            # as the client counts them: the record of an instance method
            # (on_change...) is its first value
            raise BadInput('msg_request_arguments',
                given=str(len(args) + len(kwargs)),
                expected=_expected(signature))
    else:
        bound = None

    checker = _Checker(pool)
    if isinstance(rpc.instantiate, slice):
        positions = range(len(args))[rpc.instantiate]
        if not args or len(args) % 2:
            raise BadInput('msg_request_write_pairs')
        for position, value in enumerate(args):
            if position in positions:
                checker.ids(value, position)
            else:
                checker.values(Model, value, position)
        return
    if rpc.instantiate == 0 and args:
        if instance:
            checker.instance(args[0])
        else:
            checker.ids(args[0], 0)
    if method not in STANDARD or bound is None:
        return
    names = list(bound.signature.parameters)
    for position, value in enumerate(args):
        if position >= len(names):
            break
        name = names[position]
        if position == 0 and rpc.instantiate == 0:
            continue
        parameter = bound.signature.parameters[name]
        if parameter.kind == parameter.VAR_POSITIONAL:
            break
        role = ROLES.get(name)
        if role:
            checker.role(Model, method, role, value, position)
    for name, value in kwargs.items():
        role = ROLES.get(name)
        if role:
            checker.role(Model, method, role, value, names.index(name)
                if name in names else 0)


def check_values(pool, Model, values):
    "Raise BadInput unless values are fit for a record of Model"
    _Checker(pool).values(Model, values, None)


class _Checker(SearchChecks):
    "The checks of a call's values"

    def role(self, Model, method, role, value, position):
        if role == 'ids':
            self.ids(value, position)
        elif role == 'domain':
            self.domain(Model, value, 0, position)
        elif role in {'natural', 'limit'}:
            if value is None:
                return
            if not is_integer(value) or not 0 <= value <= BIGINT_MAX:
                raise BadInput('msg_request_offset_limit')
        elif role == 'order':
            self.order(Model, value, position)
        elif role == 'boolean':
            if value is not None and not isinstance(value, (bool, int)):
                raise self.argument(position, 'boolean')
        elif role == 'false':
            if value:
                raise self.argument(position, 'false')
        elif role == 'read_names':
            self.field_names(Model, value, position, NAMES.get(method, 'any'))
        elif role == 'names':
            self.names(value, position)
        elif role == 'vlist':
            if not isinstance(value, list) or not all(
                    isinstance(v, dict) for v in value):
                raise self.argument(position, 'values_list')
            for values in value:
                self.values(Model, values, position)
        elif role == 'values':
            self.values(Model, value, position)
        elif role == 'default':
            if value is not None:
                self.values(Model, value, position, dotted=True)
        elif role == 'text':
            if value is not None and not isinstance(value, str):
                raise self.argument(position, 'text')
            if value and len(value) > SEARCH_SIZE:
                raise BadInput('msg_request_text_too_long',
                    size=str(SEARCH_SIZE))
        elif role == 'level':
            if value is not None and (
                    not is_integer(value) or not 0 <= value <= 10):
                raise self.argument(position, 'small_integer')
        elif role == 'view_id':
            if value not in {None, False} and (
                    not is_integer(value) or not 0 <= value <= BIGINT_MAX):
                raise self.argument(position, 'record')
        elif role == 'rows':
            if not isinstance(value, list) or not all(
                    isinstance(r, list) for r in value):
                raise self.argument(position, 'rows')
            for row in value:
                for cell in row:
                    if isinstance(cell, (list, dict)):
                        raise self.argument(position, 'rows')
                    if isinstance(cell, str) and len(cell) > TEXT_SIZE:
                        raise BadInput('msg_request_text_too_long',
                            size=str(TEXT_SIZE))

    def ids(self, value, position, most=INTEGER_MAX):
        if not isinstance(value, (list, tuple)):
            raise BadInput('msg_request_records')
        for id_ in value:
            if not is_integer(id_):
                raise BadInput('msg_request_records')
            if not 0 < id_ <= most:
                raise BadInput('msg_request_record_number',
                    most=str(most))
        if len(set(value)) != len(value):
            raise BadInput('msg_request_records_repeated')

    def instance(self, value):
        "The record an instance method (on_change...) is called on"
        if isinstance(value, dict):
            return
        if is_integer(value):
            value = [value]
        self.ids(value, 0)

    def values(self, Model, values, position, dotted=False, depth=0):
        if not isinstance(values, dict):
            raise self.argument(position or 0, 'values')
        if depth > DOMAIN_DEPTH:
            raise BadInput('msg_request_too_deep', depth=str(DOMAIN_DEPTH))
        for name, value in values.items():
            if dotted and '.' in name:
                self.known(Model, name.split('.', 1)[0])
                continue
            self.known(Model, name)
            self.value(Model, name, value, depth)

    def value(self, Model, name, value, depth):
        field = Model._fields[name]
        type_ = field._type
        if value is None:
            return
        kind = KINDS.get(type_)
        if kind is None:
            return

        def wrong():
            return BadInput('msg_request_value_type',
                field=field_label(Model, name), model=model_label(Model),
                kind=kind_label(kind))

        def too_long(size):
            return BadInput('msg_request_value_too_long',
                field=field_label(Model, name), model=model_label(Model),
                size=str(size))

        def out_of_range():
            return BadInput('msg_request_value_out_of_range',
                field=field_label(Model, name), model=model_label(Model))

        if type_ in {'char', 'text', 'full_text'}:
            if not isinstance(value, str):
                raise wrong()
            size = getattr(field, 'size', None)
            if not is_integer(size):
                size = CHAR_SIZE if type_ == 'char' else TEXT_SIZE
            if len(value) > size:
                raise too_long(size)
        elif type_ == 'selection':
            keys = _selection_keys(field)
            types = {type(k) for k in keys if k is not None} or {str}
            if not isinstance(value, tuple(types)) or isinstance(
                    value, bool) and bool not in types:
                raise wrong()
            if isinstance(value, str) and len(value) > CHAR_SIZE:
                raise too_long(CHAR_SIZE)
        elif type_ == 'multiselection':
            if not isinstance(value, (list, tuple)) or not all(
                    isinstance(v, str) and len(v) <= CHAR_SIZE
                    for v in value):
                raise wrong()
        elif type_ in {'integer', 'biginteger'}:
            if not is_integer(value):
                raise wrong()
            most = INTEGER_MAX if type_ == 'integer' else BIGINT_MAX
            if not -most <= value <= most:
                raise out_of_range()
        elif type_ in {'float', 'numeric'}:
            if not is_number(value):
                raise wrong()
            if abs(value) > NUMBER_MAX:
                raise out_of_range()
        elif type_ == 'boolean':
            if not isinstance(value, bool):
                raise wrong()
        elif type_ in MOMENTS:
            if not is_moment(type_, value):
                raise wrong()
        elif type_ == 'timedelta':
            if not isinstance(value, dt.timedelta) and not is_number(value):
                raise wrong()
        elif type_ in {'many2one', 'one2one'}:
            if not is_integer(value):
                raise wrong()
            if not 0 < value <= INTEGER_MAX:
                raise BadInput('msg_request_record_number',
                    most=str(INTEGER_MAX))
        elif type_ == 'reference':
            if isinstance(value, str):
                if len(value) > CHAR_SIZE:
                    raise too_long(CHAR_SIZE)
            elif not (isinstance(value, (list, tuple)) and len(value) == 2
                    and isinstance(value[0], str) and is_integer(value[1])):
                raise wrong()
        elif type_ in {'one2many', 'many2many'}:
            self.actions(Model, name, field, value, depth, wrong)
        elif type_ == 'binary':
            if not isinstance(value, (bytes, bytearray)):
                raise wrong()
        elif type_ == 'dict':
            if not isinstance(value, dict) or not all(
                    isinstance(v, (str, int, float, bool, list, Decimal))
                    or v is None for v in value.values()):
                raise wrong()

    def actions(self, Model, name, field, value, depth, wrong):
        if not isinstance(value, (list, tuple)):
            raise wrong()
        Target = self.target(field)
        for action in value:
            if (not isinstance(action, (list, tuple)) or not action
                    or action[0] not in ACTIONS):
                raise wrong()
            operation, rest = action[0], list(action[1:])
            if operation == 'create':
                if len(rest) != 1 or not isinstance(rest[0], (list, tuple)):
                    raise wrong()
                for values in rest[0]:
                    if not isinstance(values, dict):
                        raise wrong()
                    if Target is not None:
                        self.values(Target, values, None, depth=depth + 1)
            elif operation == 'write':
                if len(rest) < 2 or len(rest) % 2:
                    raise wrong()
                for ids, values in zip(rest[::2], rest[1::2]):
                    self.ids(ids, 0, most=INTEGER_MAX)
                    if not isinstance(values, dict):
                        raise wrong()
                    if Target is not None:
                        self.values(Target, values, None, depth=depth + 1)
            elif operation == 'copy':
                if len(rest) not in {1, 2}:
                    raise wrong()
                self.ids(rest[0], 0, most=INTEGER_MAX)
                if len(rest) == 2 and rest[1] is not None:
                    if not isinstance(rest[1], dict):
                        raise wrong()
                    if Target is not None:
                        self.values(Target, rest[1], None, dotted=True,
                            depth=depth + 1)
            else:
                if len(rest) != 1:
                    raise wrong()
                self.ids(rest[0], 0, most=INTEGER_MAX)


def _selection_keys(field):
    selection = getattr(field, 'selection', None)
    if isinstance(selection, (list, tuple)):
        return [k for k, _ in selection]
    return []
