"""The session of each request checked in one query.

Every call of a client starts with the check of its session key. trytond's
check finds the user's sessions from the client's address through the ORM,
then reads each one's time of last use as a record: with every model's read
checks (audit, scope...) about a tenth of the server's time on a focal
point's inbox. The same check is made here on the rows themselves, with
the same rules: a session older than `[session] max_age` is removed, and a
key found only among those is expired (False), a key not found is unknown
(None). A check restricted by a domain (trytond's own uses) stays trytond's.
"""
import datetime as dt
from secrets import compare_digest

from trytond import config
from trytond.pool import PoolMeta
from trytond.transaction import Transaction


def _timestamp(value):
    "A timestamp of the database (SQLite gives some as text)"
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


class Session(metaclass=PoolMeta):
    __name__ = 'ir.session'

    @classmethod
    def check(cls, user, key, domain=None):
        if domain is not None:
            return super().check(user, key, domain=domain)
        now = dt.datetime.now()
        max_age = dt.timedelta(seconds=config.getint('session', 'max_age'))
        ip_address, _ = Transaction().remote_address()
        table = cls.__table__()
        where = table.create_uid == user
        if ip_address:
            where &= table.ip_address == str(ip_address)
        else:
            where &= table.ip_address == None  # noqa: E711
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id, table.key, table.create_date,
                table.write_date, where=where))
        found, last_reset, expired = None, None, []
        for id_, session_key, created, written in cursor.fetchall():
            created = _timestamp(created)
            if abs(created - now) < max_age:
                if compare_digest(session_key, key):
                    found = True
                    last_reset = _timestamp(written) or created
            else:
                if found is None and compare_digest(session_key, key):
                    found = False
                expired.append(id_)
        if expired:
            cls.delete(cls.browse(expired))
        if found:
            cls._session_reset_cache.set(key, last_reset)
        return found
