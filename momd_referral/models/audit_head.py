"""The head of the audit trail's chain, kept outside the database.

The chain of digests (models/audit_chain.py) shows a line changed by hand;
someone able to write the whole table could still recompute every digest
after their change, or remove the newest lines. So each sealing, once
committed, appends the new head of the chain (when, place, digest) to a
file outside the database, named by `[momd] audit_head_file` in trytond.conf
(deploy/README.md: on a disk the database's owner cannot write, or copied
off the server). The verification then checks the chain against every head
of the file: a line whose digest is not the one kept for its place shows
the trail was rewritten; a chain shorter than a head kept shows its newest
lines were removed.
"""
import datetime as dt

from sql import Null

from trytond import config
from trytond.pool import PoolMeta
from trytond.transaction import Transaction


def head_file():
    "The path of the file of the heads, if the deployment names one"
    return config.get('momd', 'audit_head_file', default=None) or None


def read_heads(path):
    "[(place, digest, when)] of the heads kept in the file at path"
    heads = []
    try:
        with open(path, encoding='ascii') as file:
            for line in file:
                parts = line.split()
                if len(parts) == 3 and parts[1].isdigit():
                    heads.append((int(parts[1]), parts[2], parts[0]))
    except FileNotFoundError:
        pass
    return heads


class HeadFile:
    """Appends the heads of the sealings of a transaction to the file once
    the transaction is committed (a sealing rolled back leaves nothing)"""

    def __init__(self, path):
        self.path = path
        self.heads = []

    def __eq__(self, other):
        if not isinstance(other, HeadFile):
            return NotImplemented
        return self.path == other.path

    def add(self, place, digest):
        self.heads.append((dt.datetime.now().isoformat(
                    timespec='seconds'), place, digest))

    def abort(self, trans):
        self.heads = []

    def tpc_begin(self, trans):
        pass

    def commit(self, trans):
        pass

    def tpc_vote(self, trans):
        pass

    def tpc_finish(self, trans):
        if self.heads:
            with open(self.path, 'a', encoding='ascii') as file:
                file.writelines('%s %s %s\n' % h for h in self.heads)
        self.heads = []

    def tpc_abort(self, trans):
        self.heads = []

    def sortKey(self):
        return 'momd_referral.audit_head'


class AccessLog(metaclass=PoolMeta):
    __name__ = 'momd.access.log'

    @classmethod
    def seal_trail(cls):
        sealed = super().seal_trail()
        path = head_file()
        if sealed and path:
            place, digest = cls._head()
            Transaction().join(HeadFile(path)).add(place, digest)
        return sealed

    @classmethod
    def _head(cls):
        "(place, digest) of the last line sealed"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.seal, table.digest,
                where=table.seal != Null,
                order_by=[table.seal.desc, table.id.asc], limit=1))
        return cursor.fetchone() or cls._chain_start()

    @classmethod
    def verify_trail(cls):
        """And, if the chain is whole, against the heads kept outside the
        database: the first line whose digest differs from the one kept for
        its place ('rewritten'), or the last line of a chain shorter than a
        head kept ('truncated')"""
        verification = super().verify_trail()
        path = head_file()
        if verification.broken is not None or not path:
            return verification
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        start, anchor = cls._chain_start()
        last = verification.head[0]
        for place, digest, _ in sorted(read_heads(path)):
            if place < start:
                # summarised: only the anchor is left of it
                continue
            if place > last:
                cursor.execute(*table.select(table.id,
                        where=table.seal == last, limit=1))
                row = cursor.fetchone()
                return verification._replace(
                    broken=row[0] if row else None, fault='truncated')
            if place == start:
                # the last line summarised: named by the first one after it
                cursor.execute(*table.select(table.id,
                        where=table.seal == start + 1, limit=1))
                found = [(i, anchor) for i, in cursor.fetchall()]
            else:
                cursor.execute(*table.select(table.id, table.digest,
                        where=table.seal == place, limit=1))
                found = cursor.fetchall()
            if found and found[0][1] != digest:
                return verification._replace(
                    broken=found[0][0], fault='rewritten')
        return verification
