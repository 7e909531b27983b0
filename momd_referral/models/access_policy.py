"""Sessions and passwords beyond Tryton's own settings.

- A session left unused longer than `[session] idle_timeout` (seconds,
  default 1800: 30 minutes) ends, besides Tryton's `max_age` (the longest a
  login lasts): the next request is refused and written to the audit trail
  as a session refused (idle). Each request a session makes keeps it alive.
- Passwords of the module's list (data/forbidden-passwords.txt: common
  passwords, and the places and names of the ministry's work) are refused
  whatever the server's configuration, also followed by digits or !@#$.;
  `[password] forbidden` may name a longer list of the server's own.
"""
import datetime as dt
import functools
from pathlib import Path

from sql.conditionals import Coalesce

from trytond import config
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.res.user import PasswordError
from trytond.transaction import Transaction

FORBIDDEN = Path(__file__).resolve().parent.parent / 'data' / (
    'forbidden-passwords.txt')
# what a password may end with and still be a forbidden one
SUFFIX = '0123456789!@#$.'


def idle_timeout():
    "How long a session may stay unused"
    return dt.timedelta(
        seconds=config.getint('session', 'idle_timeout', default=1800))


@functools.lru_cache(maxsize=1)
def forbidden_passwords():
    "The module's list of passwords nobody may choose"
    return frozenset(line.strip().lower()
        for line in FORBIDDEN.read_text(encoding='utf-8').splitlines()
        if line.strip() and not line.startswith('#'))


def is_forbidden(password):
    "Whether password is one of the list, or one of them followed by digits"
    text = password.decode('utf-8') if isinstance(password, bytes) else (
        password)
    text = text.strip().lower()
    forbidden = forbidden_passwords()
    return text in forbidden or text.rstrip(SUFFIX) in forbidden


class Session(metaclass=PoolMeta):
    __name__ = 'ir.session'

    @classmethod
    def check(cls, user, key, domain=None):
        found = super().check(user, key, domain=domain)
        if found and domain is None and not cls._still_used(user, key):
            AccessLog = Pool().get('momd.access.log')
            AccessLog.log_session(user, 'idle')
            return False
        return found

    @classmethod
    def _still_used(cls, user, key):
        """Whether the session of key was used within the idle timeout: then
        its time of last use is now (once a minute at most), else it is
        removed"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        now = dt.datetime.now()
        where = (table.create_uid == user) & (table.key == key)
        cursor.execute(*table.select(table.id,
                Coalesce(table.write_date, table.create_date), where=where))
        row = cursor.fetchone()
        if not row:
            return False
        id_, last = row
        if isinstance(last, str):  # SQLite
            last = dt.datetime.fromisoformat(last)
        timeout = idle_timeout()
        if now - last >= timeout:
            cursor.execute(*table.delete(where=table.id == id_))
            return False
        if now - last >= min(dt.timedelta(minutes=1), timeout / 10):
            cursor.execute(*table.update(
                    [table.write_date], [now], where=table.id == id_))
        return True


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def validate_password(cls, password, users):
        if is_forbidden(password):
            raise PasswordError(gettext('res.msg_password_forbidden'))
        super().validate_password(password, users)
