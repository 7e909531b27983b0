"""Fields the workflow or the system own: no client sets them.

A field is owned where its definition says the user does not type it: it is
read-only (a state, a step's date, the consent used, a code, a restricted
flag...), it is computed (a function field without setter), or its `states`
make it read-only for the record as it stands (the provider service once the
referral is sent). The views show such fields read-only; this mixin makes the
server refuse them too, by every path a client can call: create, write,
copy (its defaults), import_data and the REST routes, which all end in create
or write. Only the buttons, wizards, scheduled tasks and the module's own
code, which run without the client's access check, set them.

The rule is derived from the field definitions of every momd.* model (it is
registered as a mixin of every model, see tryton.cfg), so a field added
later is covered as soon as it is declared read-only.
"""
import weakref

from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.fields.field import get_eval_fields
from trytond.model.modelstorage import _record_eval_pyson
from trytond.transaction import Transaction

from ..exceptions import OwnedFieldError

ALWAYS = True
# the models each transaction is copying records of: the values the copy
# takes from the originals are not the client's
_copying = weakref.WeakKeyDictionary()


def from_client():
    "Whether the running code answers a client (with its access checked)"
    transaction = Transaction()
    return bool(transaction.user) and transaction.check_access


def _empty(value):
    return value is None or value is False or value == '' or (
        isinstance(value, (list, tuple)) and not value)


class OwnedFieldsMixin:
    __slots__ = ()

    @classmethod
    def _owns_fields(cls):
        "Whether the rule applies to the model: those of momd_referral"
        return cls.__name__.startswith('momd.')

    @classmethod
    def owned_condition(cls, name):
        """When the field name is owned by the workflow or the system: ALWAYS,
        a PYSON read-only condition, or None when the user may set it"""
        field = cls._fields.get(name)
        if field is None or name == 'id':
            # unknown fields are refused by Tryton itself
            return None
        if field.readonly or (
                isinstance(field, fields.Function) and not field.setter):
            return ALWAYS
        return field.states.get('readonly')

    @classmethod
    def _owned_holds(cls, record, condition):
        if condition is ALWAYS:
            return True
        # as Tryton evaluates a button's states on a record
        return bool(_record_eval_pyson(record, condition))

    @classmethod
    def _refuse_owned(cls, name, record=None):
        raise OwnedFieldError(gettext(
                'momd_referral.msg_field_owned',
                **cls.__names__(field=name, record=record)))

    @classmethod
    def _same_value(cls, record, name, value):
        "Whether value is what record already holds in the field name"
        field = cls._fields[name]
        if field._type in {'one2many', 'many2many'}:
            # any action on the list changes it
            return _empty(value)
        current = getattr(record, name, None)
        if field._type == 'many2one':
            return getattr(current, 'id', current) == value
        if field._type == 'reference' and current is not None:
            return str(current) == value or current == value
        if field._type == 'multiselection':
            return sorted(current or ()) == sorted(value or ())
        return current == value or (_empty(current) and _empty(value))

    @classmethod
    def _new_record(cls, values, names):
        """An unsaved record of the values of names (the fields the
        conditions read), their defaults filled in"""
        defaults = cls.default_get(
            [n for n in names if n in cls._fields and n not in values],
            with_rec_name=False)
        # only those: the values of a list (categories, needs...) come as
        # actions ([('add', ids)], [('create', ...)]) a record does not take
        known = {k: v for k, v in {**defaults, **values}.items()
            if k in names and k in cls._fields}
        return cls(**known)

    @classmethod
    def create(cls, vlist):
        copying = _copying.get(Transaction(), ())
        if (from_client() and cls._owns_fields()
                and cls.__name__ not in copying[-1:]):
            for values in vlist:
                cls._check_owned_create(values)
        return super().create(vlist)

    @classmethod
    def _check_owned_create(cls, values):
        "Refuse owned fields given a value in values of a new record"
        conditions = {}
        for name, value in values.items():
            condition = cls.owned_condition(name)
            if condition is None or _empty(value):
                continue
            if condition is ALWAYS:
                cls._refuse_owned(name)
            conditions[name] = condition
        if conditions:
            record = cls._new_record(values, set().union(
                    *(get_eval_fields(c) for c in conditions.values())))
            for name, condition in conditions.items():
                if cls._owned_holds(record, condition):
                    cls._refuse_owned(name)

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if mode == 'write' and external and cls._owns_fields():
            for name, value in values.items():
                condition = cls.owned_condition(name)
                if condition is None:
                    continue
                for record in records:
                    if (not cls._same_value(record, name, value)
                            and cls._owned_holds(record, condition)):
                        cls._refuse_owned(name, record)

    @classmethod
    def copy(cls, records, default=None):
        if not (from_client() and cls._owns_fields()):
            return super().copy(records, default=default)
        default = dict(default or {})
        # what the user gives is checked as on a new record; the values the
        # copy takes from the originals are the system's
        given = {n: v for n, v in default.items()
            if '.' not in n and not callable(v)}
        cls._check_owned_create(given)
        # a field the user may not set on a new record is not copied (the
        # decline reason of a declined referral is not that of its draft
        # copy)
        conditions = {}
        for name, field in cls._fields.items():
            condition = cls.owned_condition(name)
            if (name not in default and condition is not None
                    and condition is not ALWAYS
                    and not isinstance(field, fields.Function)):
                conditions[name] = condition
        if conditions:
            new = cls._new_record({}, set(conditions).union(
                    *(get_eval_fields(c) for c in conditions.values())))
            for name, condition in conditions.items():
                if cls._owned_holds(new, condition):
                    default[name] = [] if cls._fields[name]._type in {
                        'one2many', 'many2many'} else None
        copying = _copying.setdefault(Transaction(), [])
        copying.append(cls.__name__)
        try:
            return super().copy(records, default=default)
        finally:
            copying.pop()


class OwnedFieldsSingletonMixin:
    """The first write of a singleton (a configuration) creates it, as the
    system: what the client gives is checked as on a new record.

    Only singletons get it: the general mixin leaves `write` alone, since
    Tryton tells a statistic (table query) without a write of its own by
    that method."""
    __slots__ = ()

    @classmethod
    def write(cls, *args):
        if (from_client() and cls._owns_fields()
                and not cls.get_singleton()):
            for values in args[1::2]:
                cls._check_owned_create(values)
        super().write(*args)
