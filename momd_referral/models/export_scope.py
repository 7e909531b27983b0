"""An export names only what the user may read.

Tryton writes the name of the record at the end of an exported path (a
case's beneficiary, a beneficiary's cases, a referral's provider service)
without the record rules of that record: after a merge across offices or a
transfer, a caseworker exporting a case of their office with the column
"Beneficiary" would read the name and number of a person of another office,
whose read is refused. An export of any momd model by a user is refused, as
a read is, when a record a requested path goes through or ends on is one
the user may not read; the refusal names the column (the audit trail keeps
the refused read of the records named). The records are read in
batches, so that an export of many records makes a few queries per column.
"""
import json

from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .mixins import sees_restricted
from .owned_fields import from_client
from .sensitivity import (
    check_export_classes, check_export_permission, column_label, step_field)

# records read at once
BATCH = 1000
LINKS = {'many2one', 'one2one', 'reference', 'one2many', 'many2many'}


def _step(name):
    """The field name of a step of a path, and whether the step names
    records (a descriptor such as .translated gives a label instead)"""
    return step_field(name), '.' not in name


def _targets(Model, ids, name, field):
    """{model name: ids} of the records the field name of the records ids
    of Model links to, as the export reads them (without the rules)"""
    targets = {}
    # the lists as the export fills them for the user: without the restricted
    # records who may not know of them (models/mixins.py)
    hide = not sees_restricted()
    with Transaction().set_context(_momd_hide_restricted=hide), \
            without_check_access():
        for sub_ids in grouped_slice(ids, BATCH):
            for row in Model.read(list(sub_ids), [name]):
                value = row[name]
                if field._type == 'reference':
                    if isinstance(value, str) and ',' in value:
                        model, id_ = value.split(',', 1)
                        if model and int(id_) >= 0:
                            targets.setdefault(model, set()).add(int(id_))
                    continue
                if not isinstance(value, (list, tuple)):
                    value = [value]
                targets.setdefault(field.model_name, set()).update(
                    i for i in value if isinstance(i, int) and i >= 0)
    return targets


def check_named_records(Model, ids, path, _checked=None):
    """Refuse (AccessError) an export of path (a list of field names) from
    the records ids of Model if a record it goes through or ends on is one
    the user may not read, as a read of it is refused"""
    pool = Pool()
    checked = {} if _checked is None else _checked
    ids = sorted(set(ids))
    if not path or not ids:
        return
    name, names_records = _step(path[0])
    field = Model._fields.get(name)
    if field is None or field._type not in LINKS or not names_records:
        # an unknown field is refused by the export itself
        return
    key = (Model.__name__, tuple(ids), name)
    if key not in checked:
        checked[key] = _targets(Model, ids, name, field)
    for model, target_ids in checked[key].items():
        Target = pool.get(model)
        done = checked.setdefault(('read', model), set())
        unread = sorted(target_ids - done)
        # as a read of the records' names: refused by the record rules
        for sub_ids in grouped_slice(unread, BATCH):
            Target.read(list(sub_ids), ['id'])
        done.update(unread)
        check_named_records(Target, target_ids, path[1:], checked)


class ExportScopeMixin:
    """Every model gets it (see tryton.cfg); it acts on those of
    momd_referral, for an export a user asks for"""
    __slots__ = ()

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        records = list(records)
        if from_client() and cls.__name__.startswith('momd.'):
            # exporting is a permission of its own
            check_export_permission()
            # a column of a class the user is not given is not exported
            check_export_classes(cls, fields_names)
        data = super().export_data(records, fields_names, header=header)
        if from_client() and cls.__name__.startswith('momd.'):
            ids = [int(r) for r in records]
            # after the model's own refusals, which say more; the rows are
            # not given if a path names what the user may not read
            cls.check_export_scope(ids, fields_names)
            # every export a user makes is in the audit trail, with its
            # records
            Pool().get('momd.access.log').log_export(cls.__name__, ids,
                fields_names, Transaction().context.get('_momd_export_filters'))
        return data

    @classmethod
    def export_data_domain(cls, domain, fields_names, offset=0, limit=None,
            order=None, header=False):
        """The export of the records found by domain: its line in the audit
        trail says the search"""
        filters = json.dumps(domain, ensure_ascii=False, default=str)
        with Transaction().set_context(_momd_export_filters=filters):
            return super().export_data_domain(domain, fields_names,
                offset=offset, limit=limit, order=order, header=header)

    @classmethod
    def check_export_scope(cls, ids, fields_names):
        """Refuse an export of fields_names from the records ids if one of
        its paths goes through or names records the user may not read"""
        checked = {}
        # a model exporting a column otherwise than by its path says what
        # it exports instead (a model's method: the mixin comes first)
        exported = getattr(cls, 'export_scope_names', None)
        paths = [n.split('/')
            for n in (exported(fields_names) if exported else fields_names)]
        for name, path in zip(fields_names, paths):
            try:
                check_named_records(cls, ids, path, checked)
            except AccessError as exception:
                raise AccessError(gettext(
                        'momd_referral.msg_export_unreadable',
                        column=column_label(cls, name))) from exception
