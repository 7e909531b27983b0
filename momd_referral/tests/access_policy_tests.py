"Sessions left unused end; common passwords are refused; accounts in the trail."
import datetime as dt

from trytond import config
from trytond.exceptions import LoginException, RateLimitException
from trytond.pool import Pool
from trytond.res.user import PasswordError
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..models.access_policy import idle_timeout
from .registry_tests import office
from .tools import create_user


def last_use(key, when):
    "Set the session of key as last used at when, as time passing would"
    Session = Pool().get('ir.session')
    table = Session.__table__()
    Transaction().connection.cursor().execute(*table.update(
            [table.create_date, table.write_date], [when, when],
            where=table.key == key))


class AccessPolicyTestMixin:

    @with_transaction()
    def test_session_idle(self):
        """A session unused longer than the idle timeout is refused (and
        removed, and in the trail); a session in use stays alive as long
        as it is used, up to its maximum age"""
        pool = Pool()
        Session = pool.get('ir.session')
        AccessLog = pool.get('momd.access.log')
        caseworker = create_user(
            'cw', groups=['group_caseworker'], offices=[office('SNJ')])
        idle = idle_timeout()
        self.assertEqual(idle, dt.timedelta(minutes=30))
        with Transaction().set_user(caseworker.id):
            key = Session.new()
        now = dt.datetime.now()

        # used a little under the timeout ago: valid, and its use is now
        last_use(key, now - idle + dt.timedelta(minutes=2))
        self.assertTrue(Session.check(caseworker.id, key))
        session, = Session.search([('key', '=', key)])
        self.assertGreaterEqual(session.last_modified_at, now)
        # so that it is still valid well past the first use's timeout
        self.assertTrue(Session.check(caseworker.id, key))

        # unused a little over the timeout: refused and gone
        last_use(key, dt.datetime.now() - idle - dt.timedelta(minutes=1))
        self.assertFalse(Session.check(caseworker.id, key))
        self.assertEqual(Session.search([('key', '=', key)]), [])
        self.assertFalse(Session.check(caseworker.id, key))
        self.assertEqual(
            [(l.action, l.operation) for l in AccessLog.search(
                    [('user', '=', caseworker.id)], order=[('id', 'ASC')])],
            [('session', 'idle'), ('session', 'unknown')])

    @with_transaction()
    def test_session_max_age(self):
        """A session older than its maximum age is refused as expired even
        in use, and removed; checking a valid key removes the user's other
        sessions that have expired, not another user's"""
        pool = Pool()
        Session = pool.get('ir.session')
        AccessLog = pool.get('momd.access.log')
        caseworker = create_user(
            'cw', groups=['group_caseworker'], offices=[office('SNJ')])
        other = create_user(
            'cw2', groups=['group_caseworker'], offices=[office('SNJ')])
        max_age = dt.timedelta(seconds=config.getint('session', 'max_age'))
        with Transaction().set_user(caseworker.id):
            old, kept, valid = Session.new(), Session.new(), Session.new()
        with Transaction().set_user(other.id):
            others = Session.new()
        now = dt.datetime.now()
        born = now - max_age - dt.timedelta(minutes=1)
        for key in [old, kept, others]:
            last_use(key, born)
        table = Session.__table__()
        # the old one was in use a minute ago
        Transaction().connection.cursor().execute(*table.update(
                [table.write_date], [now - dt.timedelta(minutes=1)],
                where=table.key == old))

        self.assertIs(Session.check(caseworker.id, old), False)
        self.assertIs(Session.check(caseworker.id, 'no such key'), None)
        self.assertEqual(
            [(l.action, l.operation) for l in AccessLog.search(
                    [('user', '=', caseworker.id)], order=[('id', 'ASC')])],
            [('session', 'expired'), ('session', 'unknown')])
        # the expired ones of the user went with the first check
        self.assertEqual(Session.search([('key', 'in', [old, kept])]), [])
        self.assertIs(Session.check(caseworker.id, valid), True)
        self.assertEqual(
            [s.key for s in Session.search([('key', 'in', [valid, others])],
                    order=[('id', 'ASC')])], [valid, others])

    @with_transaction()
    def test_password_forbidden(self):
        """Common passwords, and the names of the ministry's places, are
        refused, also with digits after them; a long password of one's own
        is accepted"""
        User = Pool().get('res.user')
        user = create_user('cw', groups=['group_caseworker'])
        for password in ['password', 'PASSWORD', '12345678', 'qwertyuiop',
                'Password123!', 'mosul2024', 'iraq12345', 'baghdad#1',
                'كلمةالسر', 'hgsghl1234']:
            with self.subTest(password=password), \
                    self.assertRaises(PasswordError):
                User.write([user], {'password': password})
        for password in ['Shallow-River-Quiet-41', 'نهر دجلة 2019 هادئ']:
            User.write([user], {'password': password})
            self.assertTrue(User.get_login(
                    'cw', {'password': password}))

    @with_transaction()
    def test_accounts_in_trail(self):
        """Failed and throttled logins, and the changes of a user's password
        and groups, are in the trail: the fields' names, never the values;
        a login typed for nobody is not kept"""
        pool = Pool()
        User = pool.get('res.user')
        Group = pool.get('res.group')
        LoginAttempt = pool.get('res.user.login.attempt')
        AccessLog = pool.get('momd.access.log')
        ModelData = pool.get('ir.model.data')
        user = create_user('cw', groups=['group_caseworker'])
        User.write([user], {'password': 'Shallow-River-Quiet-41'})

        def lines():
            return [(l.action, l.model, l.record, l.user, l.changed_fields,
                    l.operation)
                for l in AccessLog.search([('model', 'in',
                                ['res.user', 'res.group'])],
                    order=[('id', 'ASC')])]
        # nothing created, nothing in the trail
        self.assertEqual(User.create([]), [])
        start = len(lines())
        self.assertIn(('write', 'res.user', user.id, None, 'password', None),
            [l[:3] + (None,) + l[4:] for l in lines()])

        # asked for the password first: no failure
        with self.assertRaises(LoginException):
            User.get_login('cw', {})
        self.assertIsNone(User.get_login('cw', {'password': 'wrong one'}))
        self.assertIsNone(User.get_login('nobody-x', {'password': 'secret'}))
        for _ in range(6):
            LoginAttempt.add('cw')
        with self.assertRaises(RateLimitException):
            User.get_login('cw', {'password': 'Shallow-River-Quiet-41'})
        self.assertEqual(lines()[start:], [
                ('login', 'res.user', user.id, user, None, None),
                ('login', 'res.user', None, None, None, 'unknown login'),
                ('throttled', 'res.user', user.id, user, None, None),
                ])
        self.assertNotIn('nobody-x', str(lines()))

        supervisors = Group(ModelData.get_id(
                'momd_referral', 'group_supervisor'))
        Group.write([supervisors], {'users': [('add', [user.id])]})
        User.write([user], {'groups': [('remove', [supervisors.id])],
                'name': 'Caseworker'})
        # who changed them
        admin = User(Transaction().user)
        self.assertEqual(lines()[start + 3:], [
                ('write', 'res.group', supervisors.id, admin, 'users', None),
                ('write', 'res.user', user.id, admin, 'groups', None),
                ])
