"""The accounts in the audit trail: failed and throttled logins, and every
change of a user's password, login, groups, offices or activity.

A failed login names the user it was for when the login exists; the login
typed is never kept otherwise (people type their password there). Asking
for a password (the first step of a login) is no failure. The changes keep
the names of the fields changed, never their values.
"""
from trytond.exceptions import LoginException, RateLimitException
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# the fields of a user whose change is in the trail
WATCHED = {'login', 'password', 'password_hash', 'password_reset', 'groups',
    'offices', 'supervised_offices', 'active', 'provider'}


def _log(model, ids, action, changed=None, operation=None, user=None):
    if not ids:
        return
    AccessLog = Pool().get('momd.access.log')
    AccessLog._insert(model, ids, action, changed=changed,
        operation=operation, user=user, offices={})


class AccessLog(metaclass=PoolMeta):
    __name__ = 'momd.access.log'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.action.selection.extend([
                ('login', "Login Failed"),
                ('throttled', "Login Throttled"),
                ])


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def get_login(cls, login, parameters):
        try:
            user_id = super().get_login(login, parameters)
        except RateLimitException:
            cls._log_login(login, 'throttled')
            raise
        except LoginException:
            # a password or another factor asked for
            raise
        if not user_id:
            cls._log_login(login, 'login')
        return user_id

    @classmethod
    def _log_login(cls, login, action):
        "The line of a refused login: the user it was for, if there is one"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id, where=table.login == login))
        row = cursor.fetchone()
        if row:
            _log(cls.__name__, [row[0]], action, user=row[0])
        else:
            _log(cls.__name__, [None], action, operation='unknown login',
                user=False)

    @classmethod
    def create(cls, vlist):
        users = super().create(vlist)
        _log(cls.__name__, [u.id for u in users], 'create')
        return users

    @classmethod
    def write(cls, *args):
        super().write(*args)
        actions = iter(args)
        for users, values in zip(actions, actions):
            changed = set(values) & WATCHED
            if users and changed:
                _log(cls.__name__, [u.id for u in users], 'write',
                    changed=changed)

    @classmethod
    def delete(cls, users):
        ids = [u.id for u in users]
        super().delete(users)
        _log(cls.__name__, ids, 'delete')


class Group(metaclass=PoolMeta):
    __name__ = 'res.group'

    @classmethod
    def write(cls, *args):
        super().write(*args)
        actions = iter(args)
        for groups, values in zip(actions, actions):
            if groups and 'users' in values:
                _log(cls.__name__, [g.id for g in groups], 'write',
                    changed={'users'})
