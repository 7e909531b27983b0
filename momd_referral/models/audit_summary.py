"""The audit trail past its legal period, in summary form.

Administrators set how long each line of the trail is kept (empty: for
ever). Past it, the daily retention task (models/retention.py) replaces the
oldest sealed lines by daily counts: one summary line per day, user,
action, record type and office, with how many lines it stands for. The
lines summarised are those of the chain up to the last one older than the
period, so that what remains is the chain's tail; each summary line keeps
the place and digest of the last line summarised, and the verification of
the trail (models/audit_chain.py) goes on from it. With *List Them* the run
only counts the lines past the period; either way the run is in the trail.
"""
import datetime as dt
from collections import Counter

from sql import Null
from sql.aggregate import Count, Max, Min

from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .audit import ACTIONS
from .audit_chain import BATCH
from .mixins import written_by_system
from .retention import RetentionMixin, _months


class Configuration(metaclass=PoolMeta):
    __name__ = 'momd.configuration'

    audit_retention_months = fields.Integer(
        "Keep Audit Trail Lines For (months)",
        domain=_months('audit_retention_months'),
        help="How long each line of the audit trail is kept; older lines "
        "are replaced by daily counts (per user, action, record type and "
        "office) and the chain of digests goes on from them. Empty: kept. "
        "Set it to the legal period.")


class AccessSummary(ModelSQL, ModelView):
    "Daily counts of the lines of the audit trail past its legal period"
    __name__ = 'momd.access.summary'
    __string__ = "Audit Trail Summary"

    day = fields.Date("Day", readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    action = fields.Selection(ACTIONS, "Action", readonly=True)
    model = fields.Char("Record Type", readonly=True)
    office = fields.Many2One('momd.office', "Office", readonly=True)
    lines = fields.Integer("Lines", readonly=True,
        help="How many lines of the trail this count stands for.")
    last_seal = fields.Integer("Last Line Summarised", readonly=True,
        help="The place in the chain of the last line summarised by the "
        "run: the chain goes on after it.")
    last_digest = fields.Char("Digest of the Last Line", readonly=True,
        help="The digest of the last line summarised: the next line of the "
        "trail is chained to it.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.day, Index.Range())),
                Index(t, (t.last_seal, Index.Range())),
                })
        cls._order = [('day', 'DESC'), ('id', 'DESC')]
        # written by the retention task only
        written_by_system(cls)

    @classmethod
    def anchor(cls):
        "(place, digest) of the last line summarised, or (0, None)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.last_seal, table.last_digest,
                where=table.last_seal != Null,
                order_by=[table.last_seal.desc], limit=1))
        return cursor.fetchone() or (0, None)


class AccessLog(RetentionMixin, metaclass=PoolMeta):
    __name__ = 'momd.access.log'
    _retention_field = 'audit_retention_months'

    @classmethod
    def _chain_start(cls):
        "The chain goes on after the last line summarised"
        return Pool().get('momd.access.summary').anchor()

    @classmethod
    def _summarisable(cls, limit):
        """The place in the chain of the last line to summarise: the lines
        sealed up to the first one not past limit"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(Min(table.seal),
                where=(table.seal != Null) & (table.date >= limit)))
        kept, = cursor.fetchone()
        if kept is not None:
            return kept - 1
        cursor.execute(*table.select(Max(table.seal),
                where=table.seal != Null))
        last, = cursor.fetchone()
        return last or 0

    @classmethod
    def apply_trail_retention(cls, action):
        """Summarise (action 'anonymise') or count (action 'list') the
        lines past the legal period; the run's line says how many"""
        limit = cls._retention_limit()
        if limit is None:
            return
        cls.seal_trail()
        last = cls._summarisable(limit)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id,
                where=(table.seal != Null) & (table.seal <= last),
                order_by=[table.seal.desc], limit=1))
        counted = 0
        if cursor.fetchone():
            counted = (cls._summarise(last) if action == 'anonymise'
                else cls._count(last))
        cls._insert_line(action='retention', model=cls.__name__,
            operation=action, record_count=counted)

    @classmethod
    def _count(cls, last):
        "How many lines are sealed up to the place last"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(Count(table.id),
                where=(table.seal != Null) & (table.seal <= last)))
        return cursor.fetchone()[0]

    @classmethod
    def _summarise(cls, last):
        """Replace the lines sealed up to the place last by daily counts,
        anchored on the digest of that line; return how many were"""
        pool = Pool()
        Summary = pool.get('momd.access.summary')
        table = cls.__table__()
        summary = Summary.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.digest,
                where=table.seal == last, order_by=[table.id.asc], limit=1))
        anchor, = cursor.fetchone()
        counts = Counter()
        after = None
        while True:
            where = (table.seal != Null) & (table.seal <= last)
            if after is not None:
                where &= table.seal > after
            cursor.execute(*table.select(table.seal, table.date, table.user,
                    table.action, table.model, table.office, where=where,
                    order_by=[table.seal.asc], limit=BATCH))
            rows = cursor.fetchall()
            if not rows:
                break
            for seal, date, user, action, model, office in rows:
                if isinstance(date, str):
                    date = dt.datetime.fromisoformat(date)
                counts[(date.date(), user, action, model, office)] += 1
            after = rows[-1][0]
        now = dt.datetime.now()
        user = Transaction().user
        values = [[user, now, day, who, action, model, office, lines, last,
                anchor]
            for (day, who, action, model, office), lines in sorted(
                counts.items(), key=lambda i: tuple(
                    (v is None, v) for v in i[0]))]
        for start in range(0, len(values), BATCH):
            cursor.execute(*summary.insert([summary.create_uid,
                        summary.create_date, summary.day, summary.user,
                        summary.action, summary.model, summary.office,
                        summary.lines, summary.last_seal,
                        summary.last_digest],
                    values[start:start + BATCH]))
        gone = table.select(table.id,
            where=(table.seal != Null) & (table.seal <= last))
        # the index of what the exports held goes with their lines
        exported = pool.get('momd.access.log.record').__table__()
        cursor.execute(*exported.delete(where=exported.line.in_(gone)))
        cursor.execute(*table.delete(
                where=(table.seal != Null) & (table.seal <= last)))
        return sum(counts.values())
