"""The records each export held, one row each, for "which exports included
this person" (line 19 of the data protection rules, the subject access
report): found through an index on the record instead of by reading the
ids of every export line of the trail. The ids stay on the line too, where
the chain of digests covers them (models/audit_chain.py); these rows are
written with the line and go with it when the trail is summarised."""
from trytond.model import Index, ModelSQL, fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .audit import line_records
from .mixins import written_by_system

# rows inserted at once
BATCH = 1000


class AccessLogRecord(ModelSQL):
    "A record held by an export of the audit trail"
    __name__ = 'momd.access.log.record'
    __string__ = "Exported Record"

    line = fields.Many2One('momd.access.log', "Line", required=True,
        ondelete='CASCADE')
    model = fields.Char("Model", required=True)
    record = fields.Integer("Record", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.model, Index.Equality()),
                    (t.record, Index.Range())),
                Index(t, (t.line, Index.Range())),
                })
        # written with the trail, by the system only
        written_by_system(cls)

    @classmethod
    def __register__(cls, module):
        exists = cls.__table_handler__(module).table_exist(cls._table)
        super().__register__(module)
        if not exists:
            # the exports written before the index
            log = Pool().get('momd.access.log').__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*log.select(log.id, log.model, log.records,
                    where=log.action == 'export'))
            for line, model, records in cursor.fetchall():
                cls.add(line, model, line_records(None, records))

    @classmethod
    def add(cls, line, model, ids):
        "Index the records ids of model held by the line"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice(sorted(set(ids)), BATCH):
            cursor.execute(*table.insert(
                    [table.line, table.model, table.record],
                    [[line, model, i] for i in sub_ids]))


class AccessLog(metaclass=PoolMeta):
    __name__ = 'momd.access.log'

    @classmethod
    def _insert_export(cls, model, ids, fields_names, filters):
        line = super()._insert_export(model, ids, fields_names, filters)
        Pool().get('momd.access.log.record').add(line, model, ids)
        return line

    @classmethod
    def exports_of(cls, references):
        """The lines of the exports that held one of the records of
        references ('model,id')"""
        Record = Pool().get('momd.access.log.record')
        table = Record.__table__()
        cursor = Transaction().connection.cursor()
        wanted = {}
        for reference in references:
            model, id_ = reference.split(',')
            wanted.setdefault(model, set()).add(int(id_))
        found = set()
        for model, ids in wanted.items():
            for sub_ids in grouped_slice(sorted(ids), BATCH):
                cursor.execute(*table.select(table.line,
                        where=(table.model == model)
                        & table.record.in_(list(sub_ids))))
                found.update(i for i, in cursor)
        return cls.browse(sorted(found))
