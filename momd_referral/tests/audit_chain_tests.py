"The audit trail's chain: a line changed, removed or moved is named."
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from .registry_tests import office, register
from .tools import create_user


def trail_lines():
    "The ids of the trail's lines, oldest first"
    AccessLog = Pool().get('momd.access.log')
    return [l.id for l in AccessLog.search([], order=[('id', 'ASC')])]


def execute(sql, *params):
    "Run SQL by hand, as someone with access to the database would"
    from sql import Flavor
    cursor = Transaction().connection.cursor()
    cursor.execute(sql.replace('%s', Flavor.get().param), params)
    return cursor


class AuditChainTestMixin:

    def _some_trail(self):
        "A caseworker registers, changes and reads people: trail lines"
        Beneficiary = Pool().get('momd.beneficiary')
        caseworker = create_user(
            'cw', groups=['group_caseworker'], offices=[office('MSL')])
        with Transaction().set_user(caseworker.id), \
                Transaction().set_context(_check_access=True):
            for notes in ["First visit", "Second visit", "Third visit"]:
                person = register('MSL', notes=notes)
                Beneficiary.write([person], {'notes': notes + "."})
                Beneficiary.read([person.id], ['notes'])

    @with_transaction()
    def test_audit_chain_whole(self):
        """Every line is sealed in the order of its id, after those sealed
        before; the chain of lines untouched is whole"""
        AccessLog = Pool().get('momd.access.log')
        self._some_trail()
        first = trail_lines()
        self.assertGreaterEqual(len(first), 9)
        verification = AccessLog.verify_trail()
        self.assertIsNone(verification.broken)
        self.assertEqual(verification.lines, len(first))
        self.assertEqual(verification.unsealed, 0)
        # more lines: sealed after the others, the chain goes on
        self._some_trail_more()
        self.assertEqual(AccessLog.seal_trail(), len(trail_lines()) - len(
                first))
        self.assertEqual(AccessLog.seal_trail(), 0)
        verification = AccessLog.verify_trail()
        self.assertIsNone(verification.broken)
        self.assertEqual(verification.lines, len(trail_lines()))
        seals = [l.seal for l in AccessLog.browse(trail_lines())]
        self.assertEqual(seals, list(range(1, len(seals) + 1)))
        self.assertEqual(verification.head, (
                len(seals), AccessLog(trail_lines()[-1]).digest))
        self.assertIn(str(len(seals)),
            AccessLog.describe_verification(verification))

    def _some_trail_more(self):
        Beneficiary = Pool().get('momd.beneficiary')
        person = register(notes="Later")
        Beneficiary.write([person], {'notes': "Later still"})

    @with_transaction()
    def test_audit_chain_tampered(self):
        """A line changed in the database is named, and so is the line
        after lines removed, or a line moved to another's place; the
        message says which"""
        AccessLog = Pool().get('momd.access.log')
        self._some_trail()
        AccessLog.seal_trail()
        ids = trail_lines()
        middle = ids[len(ids) // 2]
        reason, = execute('SELECT reason FROM momd_access_log WHERE id = %s',
            middle).fetchone()

        execute('UPDATE momd_access_log SET reason = %s WHERE id = %s',
            'nothing happened', middle)
        verification = AccessLog.verify_trail()
        self.assertEqual(
            (verification.broken, verification.fault), (middle, 'changed'))
        self.assertEqual(verification.lines, ids.index(middle))
        self.assertIn('%s' % middle,
            AccessLog.describe_verification(verification))
        # put back as it was: whole again (the content is what is checked)
        execute('UPDATE momd_access_log SET reason = %s WHERE id = %s',
            reason, middle)
        self.assertIsNone(AccessLog.verify_trail().broken)

        # another user named: changed too
        execute('UPDATE momd_access_log SET "user" = 0 WHERE id = %s',
            ids[1])
        self.assertEqual(AccessLog.verify_trail().broken, ids[1])
        execute('UPDATE momd_access_log SET "user" = %s WHERE id = %s',
            AccessLog(ids[2]).user.id, ids[1])
        self.assertIsNone(AccessLog.verify_trail().broken)

        # any column of the line is covered, those of other parts of the
        # module too (the answer links' recipient)
        execute('UPDATE momd_access_log SET recipient = %s WHERE id = %s',
            'intake@example.org', ids[-1])
        self.assertEqual(AccessLog.verify_trail().broken, ids[-1])
        execute('UPDATE momd_access_log SET recipient = NULL WHERE id = %s',
            ids[-1])
        self.assertIsNone(AccessLog.verify_trail().broken)

        # a line moved to the place of the one before
        seal, = execute('SELECT seal FROM momd_access_log WHERE id = %s',
            ids[3]).fetchone()
        execute('UPDATE momd_access_log SET seal = %s WHERE id = %s',
            seal - 1, ids[3])
        verification = AccessLog.verify_trail()
        self.assertEqual(
            (verification.broken, verification.fault), (ids[3], 'repeated'))
        execute('UPDATE momd_access_log SET seal = %s WHERE id = %s',
            seal, ids[3])
        self.assertIsNone(AccessLog.verify_trail().broken)

        # a line removed: the line after it is named
        execute('DELETE FROM momd_access_log WHERE id = %s', middle)
        verification = AccessLog.verify_trail()
        after = ids[ids.index(middle) + 1]
        self.assertEqual(
            (verification.broken, verification.fault), (after, 'missing'))
        self.assertNotIn(middle, trail_lines())

    @with_transaction()
    def test_audit_chain_seal_removed(self):
        """A line whose seal is taken off is sealed again at the end of the
        chain: the place it left is missing"""
        AccessLog = Pool().get('momd.access.log')
        self._some_trail()
        AccessLog.seal_trail()
        ids = trail_lines()
        execute('UPDATE momd_access_log SET seal = NULL, digest = NULL '
            'WHERE id = %s', ids[2])
        verification = AccessLog.verify_trail()
        self.assertEqual(
            (verification.broken, verification.fault), (ids[3], 'missing'))

    @with_transaction()
    def test_audit_chain_not_through_the_application(self):
        """Nobody changes a seal or a digest through the application, and
        only administrators run the verification"""
        pool = Pool()
        AccessLog = pool.get('momd.access.log')
        Verify = pool.get('momd.access.log.verify', type='wizard')
        self._some_trail()
        AccessLog.seal_trail()
        line = AccessLog(trail_lines()[0])
        supervisor = create_user(
            'sup', groups=['group_supervisor'], offices=[office('MSL')])
        admin = create_user('adm', groups=['group_admin'])
        for user in [supervisor, admin]:
            with Transaction().set_user(user.id), \
                    Transaction().set_context(_check_access=True):
                with self.assertRaises(AccessError):
                    AccessLog.write([line], {'seal': 1, 'digest': 'x'})
                with self.assertRaises(AccessError):
                    AccessLog.delete([line])
        with Transaction().set_user(supervisor.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                Verify.create()
        with Transaction().set_user(admin.id), \
                Transaction().set_context(_check_access=True):
            session_id, _, _ = Verify.create()
            result = Verify.execute(session_id, {}, 'result')
        values = result['view']['defaults']
        self.assertTrue(values['whole'])
        self.assertEqual(values['lines'], len(trail_lines()))


    @with_transaction()
    def test_audit_trail_retention(self):
        """Lines past the legal period are counted (listed), then replaced
        by daily counts; the chain of what remains still verifies, goes on
        after the summarised lines, and a line changed after is named"""
        import datetime as dt
        pool = Pool()
        AccessLog = pool.get('momd.access.log')
        Summary = pool.get('momd.access.summary')
        Beneficiary = pool.get('momd.beneficiary')
        Configuration = pool.get('momd.configuration')
        Record = pool.get('momd.access.log.record')
        # an export among the old lines, its records indexed
        AccessLog.log_export('momd.beneficiary', [1, 2], ['code'])
        self.assertEqual(len(Record.search([])), 2)
        self._some_trail()
        lines = trail_lines()
        old = lines[:6]
        when = dt.datetime.combine(pool.get('ir.date').today()
            - dt.timedelta(days=400), dt.time(9))
        # the first lines were written long ago (their seal follows)
        execute('UPDATE momd_access_log SET date = %s, seal = NULL, '
            'digest = NULL', when)
        execute('UPDATE momd_access_log SET date = %s WHERE id > %s',
            when + dt.timedelta(days=300), old[-1])
        AccessLog.seal_trail()
        Transaction().cache.clear()

        def runs():
            return [(l.operation, l.record_count) for l in AccessLog.search(
                    [('action', '=', 'retention'),
                        ('model', '=', 'momd.access.log')],
                    order=[('id', 'ASC')])]
        config = Configuration(1)
        config.audit_retention_months = 12
        config.save()
        Beneficiary.apply_retention()
        self.assertEqual(runs(), [('list', len(old))])
        self.assertEqual(trail_lines()[:len(lines)], lines)
        self.assertEqual(Summary.search([]), [])

        config.retention_action = 'anonymise'
        config.save()
        Beneficiary.apply_retention()
        self.assertEqual(runs()[-1], ('anonymise', len(old)))
        remaining = trail_lines()
        self.assertFalse(set(old) & set(remaining))
        # the index of the export's records went with its line
        self.assertEqual(Record.search([]), [])
        summaries = Summary.search([])
        self.assertEqual(sum(s.lines for s in summaries), len(old))
        self.assertEqual({s.day for s in summaries}, {when.date()})
        self.assertEqual({s.last_seal for s in summaries}, {len(old)})
        verification = AccessLog.verify_trail()
        self.assertIsNone(verification.broken)
        self.assertEqual(verification.lines, len(remaining))
        self.assertEqual(verification.head[0], len(old) + len(remaining))
        # a run finding nothing more says so
        Beneficiary.apply_retention()
        self.assertEqual(runs()[-1], ('anonymise', 0))

        # a remaining line changed by hand is still named
        model, = execute('SELECT model FROM momd_access_log WHERE id = %s',
            remaining[1]).fetchone()
        execute("UPDATE momd_access_log SET model = 'momd.case' "
            "WHERE id = %s", remaining[1])
        self.assertEqual(AccessLog.verify_trail().broken, remaining[1])
        # the first remaining line removed: the chain says one is missing
        execute('UPDATE momd_access_log SET model = %s WHERE id = %s',
            model, remaining[1])
        execute('DELETE FROM momd_access_log WHERE id = %s', remaining[0])
        verification = AccessLog.verify_trail()
        self.assertEqual(
            (verification.broken, verification.fault),
            (remaining[1], 'missing'))


    @with_transaction()
    def test_audit_chain_head_kept_outside(self):
        """Each committed sealing appends the chain's head to the file the
        deployment names; someone who rewrites a line and seals the whole
        chain again, or removes the newest lines, is found by the heads"""
        import os
        import tempfile
        from trytond import config
        from ..models.audit_head import HeadFile, read_heads
        AccessLog = Pool().get('momd.access.log')
        handle, path = tempfile.mkstemp(suffix='.heads')
        os.close(handle)
        self.addCleanup(os.unlink, path)
        if not config.has_section('momd'):
            config.add_section('momd')
        config.set('momd', 'audit_head_file', path)
        self.addCleanup(config.set, 'momd', 'audit_head_file', '')

        def commit():
            "What the commit of the transaction does for the file"
            for manager in Transaction()._datamanagers:
                if isinstance(manager, HeadFile):
                    manager.tpc_finish(None)
        self._some_trail()
        AccessLog.seal_trail()
        # nothing is written before the commit
        self.assertEqual(read_heads(path), [])
        commit()
        lines = trail_lines()
        (place, digest, _), = read_heads(path)
        self.assertEqual(place, len(lines))
        self.assertEqual(digest, AccessLog(lines[-1]).digest)
        verification = AccessLog.verify_trail()
        self.assertIsNone(verification.fault)
        self.assertEqual(len(read_heads(path)), 1)

        # more lines, another head; the chain still matches both
        self._some_trail_more()
        AccessLog.seal_trail()
        commit()
        self.assertEqual(len(read_heads(path)), 2)
        self.assertIsNone(AccessLog.verify_trail().fault)

        # a line changed, then the whole chain sealed again: whole in the
        # database, not against the heads
        lines = trail_lines()
        execute("UPDATE momd_access_log SET model = 'momd.case' "
            "WHERE id = %s", lines[2])
        execute('UPDATE momd_access_log SET seal = NULL, digest = NULL')
        AccessLog.seal_trail()
        Transaction()._datamanagers[:] = [m
            for m in Transaction()._datamanagers
            if not isinstance(m, HeadFile)]
        verification = AccessLog.verify_trail()
        first_head = read_heads(path)[0][0]
        self.assertEqual((verification.broken, verification.fault),
            (AccessLog.search([('seal', '=', first_head)])[0].id,
                'rewritten'))
        self.assertIn('was rewritten',
            AccessLog.describe_verification(verification))

        # the newest lines removed (the chain resealed as it was kept)
        execute("UPDATE momd_access_log SET model = 'momd.beneficiary' "
            "WHERE id = %s", lines[2])
        execute('UPDATE momd_access_log SET seal = NULL, digest = NULL')
        execute('DELETE FROM momd_access_log WHERE id > %s', lines[-3])
        AccessLog.seal_trail()
        Transaction()._datamanagers[:] = [m
            for m in Transaction()._datamanagers
            if not isinstance(m, HeadFile)]
        verification = AccessLog.verify_trail()
        self.assertEqual((verification.broken, verification.fault),
            (lines[-3], 'truncated'))
        self.assertIn('was cut',
            AccessLog.describe_verification(verification))


class AuditChainArabicTestMixin:

    @with_transaction(context={'language': 'ar'})
    def test_audit_chain_in_arabic(self):
        "The verification speaks Arabic and names the line tampered with"
        AccessLog = Pool().get('momd.access.log')
        AuditChainTestMixin._some_trail(self)
        AccessLog.seal_trail()
        ids = trail_lines()
        execute('UPDATE momd_access_log SET model = %s WHERE id = %s',
            'momd.case', ids[4])
        verification = AccessLog.verify_trail()
        text = AccessLog.describe_verification(verification)
        self.assertIn('تم العبث بسجل التدقيق: السطر %s (' % ids[4], text)
        # the kind of record in Arabic, not its technical name
        self.assertIn('الحالة', text)
        self.assertNotIn('momd.case', text)
        self.assertIn('رأس السلسلة: 4 سطرًا', text)
