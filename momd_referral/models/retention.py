"""Retention by record type and state, besides the people whose cases all
closed (models/erasure.py): the free text and notes of referrals declined
or cancelled, the files and submitted values of finished imports, the
messages of the outbox once sent or failed.

Administrators set each period (empty: kept); the daily task applies them
with the same choice as for people: list what is past its period, or erase
it. Either way each run writes one line per record type in the audit
trail, with the records it found; a listing also tells the administrators.
What the statistics count stays: a referral keeps its state, dates,
category and provider; an import its counts; no count is of messages.
"""
import datetime as dt

from dateutil.relativedelta import relativedelta
from sql import Column, Literal, Null
from sql.conditionals import Case as When, Coalesce
from sql.operators import Exists

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .erasure import ERASED, SCRUB, _ids_where, _tables
from .mixins import notify


def _months(name):
    "The domain of a period of months: empty, or at least one"
    return ['OR', (name, '=', None), (name, '>', 0)]


class Configuration(metaclass=PoolMeta):
    __name__ = 'momd.configuration'

    referral_retention_months = fields.Integer(
        "Keep Declined or Cancelled Referrals For (months)",
        domain=_months('referral_retention_months'),
        help="How long the reason, notes, feedback and attached files of a "
        "referral declined or cancelled are kept; its state, dates, "
        "category and provider stay for the statistics. Empty: kept.")
    import_retention_months = fields.Integer(
        "Keep Import Files For (months)",
        domain=_months('import_retention_months'),
        help="How long the file of a finished KoboToolbox import and the "
        "values of its rows are kept; the counts stay. Empty: kept.")
    outbox_retention_months = fields.Integer(
        "Keep Messages For (months)",
        domain=_months('outbox_retention_months'),
        help="How long a text message or e-mail is kept once sent, "
        "delivered, failed or received. Empty: kept.")


class RetentionMixin:
    """A model of records kept for a configured period: _retention_field
    names the period on the configuration. A record type of the daily task
    (Beneficiary._retained_models) says which records are past it
    (_retention_query(limit): SELECT their ids) and what of them goes
    (erase_retained(ids)); the audit trail summarises its own
    (models/audit_summary.py)"""
    __slots__ = ()
    _retention_field = None

    @classmethod
    def _retention_limit(cls):
        "The date before which the records are past the period, or None"
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        months = getattr(Configuration(1), cls._retention_field)
        if not months:
            return None
        today = pool.get('ir.date').today()
        return dt.datetime.combine(
            today - relativedelta(months=months), dt.time())

    @classmethod
    def retention_expired_ids(cls):
        """The ids of the records past the period, not erased yet; None when
        no period is set"""
        limit = cls._retention_limit()
        if limit is None:
            return None
        cursor = Transaction().connection.cursor()
        cursor.execute(*cls._retention_query(limit))
        return sorted(i for i, in cursor)


class Referral(RetentionMixin, metaclass=PoolMeta):
    __name__ = 'momd.referral'
    _retention_field = 'referral_retention_months'

    text_erased = fields.Date("Free Text Erased On", readonly=True,
        help="The retention period of the referral declined or cancelled "
        "ended: its reason, notes and files were erased.")

    @classmethod
    def _retention_query(cls, limit):
        table = cls.__table__()
        # a declined referral from its answer, a cancelled one from its
        # last change (nothing changes it after its cancellation)
        ended = When((table.state == 'declined', table.answered_date),
            else_=Coalesce(table.write_date, table.create_date))
        return table.select(table.id,
            where=table.state.in_(['declined', 'cancelled'])
            & (table.text_erased == Null) & (ended <= limit))

    @classmethod
    def erase_retained(cls, ids):
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        cursor = Transaction().connection.cursor()
        names, = [n for m, c, n in SCRUB
            if m == cls.__name__ and c == 'case']
        values = [ERASED if cls._fields[n].required else None for n in names]
        for sub in range(0, len(ids), 1000):
            sub_ids = ids[sub:sub + 1000]
            for table in _tables(cls):
                cursor.execute(*table.update(
                        [getattr(table, n) for n in names], values,
                        where=_ids_where(table, 'id', sub_ids)))
            table = cls.__table__()
            cursor.execute(*table.update(
                    [table.text_erased], [pool.get('ir.date').today()],
                    where=_ids_where(table, 'id', sub_ids)))
            # the notes and files on the referral, the bytes of the files
            files = Beneficiary._remove_attachments(
                ['%s,%s' % (cls.__name__, i) for i in sub_ids])
            Beneficiary._remove_files(files)


class ImportBatch(RetentionMixin, metaclass=PoolMeta):
    __name__ = 'momd.kobo.import'
    _retention_field = 'import_retention_months'

    @classmethod
    def _retention_query(cls, limit):
        pool = Pool()
        table = cls.__table__()
        row = pool.get('momd.kobo.import.row').__table__()
        kept = row.select(Literal(1),
            where=(row.batch == table.id)
            & ((Column(row, 'values') != Null) | (row.errors != Null)))
        return table.select(table.id,
            where=table.state.in_(['done', 'checked', 'failed'])
            & (Coalesce(table.finished, table.write_date, table.create_date)
                <= limit)
            & ((table.file != Null) | Exists(kept)))

    @classmethod
    def erase_retained(cls, ids):
        Row = Pool().get('momd.kobo.import.row')
        cursor = Transaction().connection.cursor()
        for sub in range(0, len(ids), 1000):
            sub_ids = ids[sub:sub + 1000]
            table = cls.__table__()
            cursor.execute(*table.update([table.file], [None],
                    where=_ids_where(table, 'id', sub_ids)))
            row = Row.__table__()
            # the uuid and the hash of the values still recognise a
            # submission imported again
            cursor.execute(*row.update([Column(row, 'values'), row.errors],
                    [None, None], where=_ids_where(row, 'batch', sub_ids)))


class Message(RetentionMixin, metaclass=PoolMeta):
    __name__ = 'momd.outbox.message'
    _retention_field = 'outbox_retention_months'

    @classmethod
    def _retention_query(cls, limit):
        table = cls.__table__()
        return table.select(table.id,
            where=(table.state != 'queued')
            & (Coalesce(table.received_date, table.delivered_date,
                    table.sent_date, table.write_date, table.create_date)
                <= limit))

    @classmethod
    def erase_retained(cls, ids):
        cursor = Transaction().connection.cursor()
        for sub in range(0, len(ids), 1000):
            for table in _tables(cls):
                cursor.execute(*table.delete(
                        where=_ids_where(table, 'id', ids[sub:sub + 1000])))


class Beneficiary(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary'

    # the record types of a period of their own, in the order applied
    _retained_models = [
        'momd.referral', 'momd.kobo.import', 'momd.outbox.message']

    @classmethod
    def apply_retention(cls):
        """The people past retention (models/erasure.py), then each record
        type past its own period: listed or erased, each run logged"""
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        AccessLog = pool.get('momd.access.log')
        IrModel = pool.get('ir.model')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        super().apply_retention()
        action = Configuration(1).retention_action
        admins = None
        for name in cls._retained_models:
            Model = pool.get(name)
            ids = Model.retention_expired_ids()
            if ids is None:
                continue
            AccessLog.log_retention(ids, action, model=name)
            if not ids:
                continue
            if action == 'anonymise':
                Model.erase_retained(ids)
                continue
            if admins is None:
                admins = User.search([('groups', '=',
                            ModelData.get_id('momd_referral', 'group_admin'))])
            # the record type named in each administrator's language
            kind, = IrModel.search([('name', '=', name)])
            notify(Model.browse(ids[:1]), admins,
                'momd_referral.msg_retention_records_due',
                count=len(ids), kind=kind)
        # last, so that the lines of this run are kept: the trail's own
        AccessLog.apply_trail_retention(action)
