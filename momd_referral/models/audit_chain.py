"""The audit trail made tamper-evident: each line, once sealed, carries a
digest of its content and of the digest of the line sealed before it, so
that a line changed, removed or slipped in afterwards, even by hand in the
database, breaks the chain where it was done.

A line is written without a digest: a request logging what it read never
waits for another. seal() chains the lines written since the last seal, in
the order it finds them committed, under a lock of its own; the scheduler
runs it every few minutes and verify() runs it first. verify() walks the
chain from the first seal and names the first line whose place or digest is
not what was sealed. A line is protected once sealed (minutes after it is
written). The newest lines removed together leave a shorter chain that is
whole: the head verify() gives (number of lines, last digest), kept outside
the database, is what shows it.
"""
import datetime as dt
import hashlib
import json
from collections import namedtuple

from sql import Column, Null, Select
from sql.aggregate import Count, Max

from trytond.i18n import gettext
from trytond.model import Index, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction
from trytond.wizard import Button, StateView, Wizard

from .rule import is_admin

# the columns of a line its digest leaves out: its own, and those nobody
# writes (a line is never changed)
UNCHAINED = {'digest', 'write_uid', 'write_date'}
# lines read at once while sealing or verifying
BATCH = 5000
# the lock of the sealing, one at a time on the database
SEAL_LOCK = int(hashlib.sha256(b'momd.access.log,seal').hexdigest(), 16) % (
    10 ** 8)

Verification = namedtuple('Verification',
    ['lines', 'unsealed', 'broken', 'fault', 'head'])


def digest(previous, line):
    """The digest of a line, {column: value}: of the previous line's digest
    and of the line's values that are set (a column added to the trail
    later, empty on the lines before it, leaves their digests as they were)"""
    content = json.dumps({c: _plain(v) for c, v in line.items()
            if v is not None}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(
        ('%s\n%s' % (previous or '', content)).encode('utf-8')).hexdigest()


def _plain(value):
    "A value as both backends give it back, the same each time"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat(' ') if isinstance(value, dt.datetime) else (
            value.isoformat())
    return value


class AccessLog(metaclass=PoolMeta):
    __name__ = 'momd.access.log'

    seal = fields.Integer("Seal", readonly=True,
        help="The place of the line in the sealed chain of the trail; "
        "empty for a few minutes after the line is written.")
    digest = fields.Char("Digest", readonly=True,
        help="The fingerprint of the line and of the line sealed before it: "
        "a line changed afterwards no longer matches it.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.seal, Index.Range())))

    @classmethod
    def _chained(cls):
        "The names of the columns a line's digest covers, 'id' first"
        names = sorted(n for n, f in cls._fields.items()
            if n not in UNCHAINED and n != 'id' and f.sql_type()
            and not hasattr(f, 'set')
            and not isinstance(f, fields.Function))
        return ['id'] + names

    @classmethod
    def _chain_start(cls):
        """(place, digest) of the line the first line of the trail is
        chained after: none, unless older lines were summarised
        (models/audit_summary.py)"""
        return 0, None

    @classmethod
    def seal_trail(cls):
        """Chain the lines not sealed yet, in the order of their ids, after
        the last line sealed; return how many were sealed"""
        transaction = Transaction()
        database = transaction.database
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        # one sealing at a time: the next waits, then continues the chain
        cursor.execute(*Select([database.lock_id(SEAL_LOCK, timeout=True)]))
        cursor.execute(*table.select(Max(table.seal)))
        last, = cursor.fetchone()
        if last is not None:
            cursor.execute(*table.select(table.digest,
                    where=table.seal == last, order_by=[table.id.asc],
                    limit=1))
            previous, = cursor.fetchone()
            position = last
        else:
            position, previous = cls._chain_start()
        names = cls._chained()
        # one statement for the lines of a batch
        update, _ = table.update([table.seal, table.digest], [0, ''],
            where=table.id == 0)
        sealed = 0
        while True:
            cursor.execute(*table.select(
                    *(Column(table, n) for n in names),
                    where=table.seal == Null, order_by=[table.id.asc],
                    limit=BATCH))
            rows = cursor.fetchall()
            if not rows:
                break
            values = []
            for row in rows:
                position += 1
                line = dict(zip(names, row), seal=position)
                previous = digest(previous, line)
                values.append((position, previous, line['id']))
            cursor.executemany(update, values)
            sealed += len(rows)
        return sealed

    @classmethod
    def verify_trail(cls):
        """Seal the new lines, then check the whole chain: a Verification
        whose broken is the id of the first line found changed, out of
        place or after a missing one (fault says which), None when the
        chain is whole; head: (lines sealed, last digest)"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cls.seal_trail()
        names = cls._chained()
        start, previous = cls._chain_start()
        expected, lines = start + 1, 0
        after = None
        while True:
            where = table.seal != Null
            if after is not None:
                where &= (table.seal > after[0]) | (
                    (table.seal == after[0]) & (table.id > after[1]))
            cursor.execute(*table.select(
                    *(Column(table, n) for n in names), table.digest,
                    where=where, order_by=[table.seal.asc, table.id.asc],
                    limit=BATCH))
            rows = cursor.fetchall()
            if not rows:
                break
            for *row, stored in rows:
                line = dict(zip(names, row))
                fault = None
                if line['seal'] > expected:
                    fault = 'missing'
                elif line['seal'] < expected:
                    fault = 'repeated'
                elif stored != digest(previous, line):
                    fault = 'changed'
                if fault:
                    return Verification(lines, cls._unsealed(),
                        line['id'], fault, (expected - 1, previous))
                previous, expected = stored, expected + 1
                lines += 1
            after = (line['seal'], line['id'])
        return Verification(lines, cls._unsealed(), None, None,
            (expected - 1, previous))

    @classmethod
    def _unsealed(cls):
        "The lines without a seal (written since the seal began)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(Count(table.id),
                where=table.seal == Null))
        return cursor.fetchone()[0]

    @classmethod
    def describe_verification(cls, verification):
        "The verification in the user's language"
        head = gettext('momd_referral.msg_audit_chain_head',
            lines=verification.head[0], digest=verification.head[1] or '-')
        if verification.fault is None:
            return '\n'.join([gettext('momd_referral.msg_audit_chain_whole',
                        lines=verification.lines), head])
        line = (cls._broken_line(verification.broken)
            if verification.broken is not None
            else {'date': '', 'action': '', 'model': '', 'record': ''})
        return '\n'.join([gettext(
                    'momd_referral.msg_audit_chain_%s' % verification.fault,
                    line=verification.broken, lines=verification.lines,
                    **line), head])

    @classmethod
    def _broken_line(cls, id_):
        "What the message of a broken chain says of its line"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.date, table.action, table.model,
                table.record, where=table.id == id_))
        date, action, model, record = cursor.fetchone()
        actions = dict(cls.fields_get(['action'])['action']['selection'])
        try:
            model = Pool().get(model).__names__()['model']
        except KeyError:
            pass
        return {'date': _plain(date), 'action': actions.get(action, action),
            'model': model or '', 'record': record or ''}

class VerifyResult(ModelView):
    "The result of the verification of the audit trail"
    __name__ = 'momd.access.log.verify.result'
    __string__ = "Audit Trail Verified"

    whole = fields.Boolean("Chain Whole", readonly=True)
    lines = fields.Integer("Lines Verified", readonly=True)
    unsealed = fields.Integer("Lines Not Sealed Yet", readonly=True,
        help="Written while the verification ran: the next one seals them.")
    broken = fields.Many2One('momd.access.log', "First Broken Line",
        readonly=True)
    report = fields.Text("Result", readonly=True)


class Verify(Wizard):
    "Seal the new lines of the audit trail and verify its whole chain"
    __name__ = 'momd.access.log.verify'

    result = StateView('momd.access.log.verify.result',
        'momd_referral.access_log_verify_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])
    start_state = 'result'

    def default_result(self, fields):
        AccessLog = Pool().get('momd.access.log')
        if not is_admin():
            raise AccessError(gettext('momd_referral.msg_audit_chain_admin'))
        verification = AccessLog.verify_trail()
        return {
            'whole': verification.fault is None,
            'lines': verification.lines,
            'unsealed': verification.unsealed,
            'broken': verification.broken,
            'report': AccessLog.describe_verification(verification),
            }

