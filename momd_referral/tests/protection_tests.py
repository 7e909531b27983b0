"Data protection: the audit trail, erasure, subject access and retention."
import datetime as dt
import os
import uuid

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from .registry_tests import office, open_case, register
from .tools import create_user


def as_user(user):
    "Act as user through the application (access rights checked)"
    return Transaction().set_user(user.id), Transaction().set_context(
        _check_access=True)


class ProtectionTestMixin:

    @with_transaction()
    def test_audit_trail_changes(self):
        "Creations, changes and deletions are in the trail with their office"
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Consent = pool.get('momd.consent')
        AccessLog = pool.get('momd.access.log')
        caseworker = create_user(
            'cw', groups=['group_caseworker'], offices=[office('SNJ')])
        user, context = as_user(caseworker)
        with user, context:
            beneficiary = register(notes="First visit")
            Beneficiary.write([beneficiary], {
                    'notes': "Second visit", 'family_name': 'الطائي'})
            consent, = Consent.create([{
                        'beneficiary': beneficiary.id, 'purpose': "Referral",
                        'information_groups': ['identity'],
                        }])
            Consent.delete([consent])
        lines = AccessLog.search([
                ('user', '=', caseworker.id),
                ('action', '!=', 'read'),
                ], order=[('id', 'ASC')])
        self.assertEqual(
            [(l.action, l.model, l.record, l.office, l.changed_fields)
                for l in lines],
            [('create', 'momd.beneficiary', beneficiary.id, office('SNJ'),
                    None),
                ('write', 'momd.beneficiary', beneficiary.id, office('SNJ'),
                    'family_name,notes'),
                ('create', 'momd.consent', consent.id, office('SNJ'), None),
                ('delete', 'momd.consent', consent.id, office('SNJ'), None),
                ])
        # the values themselves are not in the trail: it holds no personal
        # data to erase
        self.assertNotIn('Second', str([l.changed_fields for l in lines]))

    @with_transaction()
    def test_audit_trail_scope(self):
        """Supervisors read the trail of their office, administrators all of
        it; caseworkers none; nobody changes or deletes a line"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        AccessLog = pool.get('momd.access.log')
        sinjar = register('SNJ')
        mosul = register('MSL')
        for beneficiary in [sinjar, mosul]:
            Beneficiary.write([beneficiary], {'notes': "Visited"})
        supervisor = create_user(
            'sup', groups=['group_supervisor'], offices=[office('SNJ')])
        caseworker = create_user(
            'cw', groups=['group_caseworker'], offices=[office('SNJ')])
        admin = create_user('adm', groups=['group_admin'])
        mosul_line, = AccessLog.search([
                ('record', '=', mosul.id), ('action', '=', 'write')])
        user, context = as_user(supervisor)
        with user, context:
            lines = AccessLog.search([])
            self.assertTrue(lines)
            self.assertEqual({l.office for l in lines}, {office('SNJ')})
            self.assertIn(sinjar.id, {l.record for l in lines})
            with self.assertRaises(AccessError):
                AccessLog.read([mosul_line.id], ['model'])
        user, context = as_user(caseworker)
        with user, context, self.assertRaises(AccessError):
            AccessLog.search([])
        user, context = as_user(admin)
        with user, context:
            lines = AccessLog.search([('action', '=', 'write')])
            self.assertEqual(
                {l.record for l in lines}, {sinjar.id, mosul.id})
            with self.assertRaises(AccessError):
                AccessLog.write(lines, {'user': admin.id})
            with self.assertRaises(AccessError):
                AccessLog.delete(lines)
        # not even the system deletes lines, and the methods are not
        # reachable over RPC at all
        with self.assertRaises(AccessError):
            AccessLog.delete(AccessLog.search([]))
        for method in ['create', 'write', 'delete', 'copy']:
            self.assertNotIn(method, AccessLog.__rpc__)

    @with_transaction()
    def test_session_refused_logged(self):
        "An expired session is refused and the attempt is in the trail"
        pool = Pool()
        Session = pool.get('ir.session')
        AccessLog = pool.get('momd.access.log')
        caseworker = create_user(
            'cw', groups=['group_caseworker'], offices=[office('SNJ')])
        with Transaction().set_user(caseworker.id):
            key = Session.new()
        self.assertTrue(Session.check(caseworker.id, key))
        session, = Session.search([('key', '=', key)])
        table = Session.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.create_date],
                [dt.datetime.now() - dt.timedelta(days=400)],
                where=table.id == session.id))
        self.assertFalse(Session.check(caseworker.id, key))
        self.assertFalse(Session.check(caseworker.id, key))
        self.assertEqual(
            [(l.action, l.operation) for l in AccessLog.search(
                    [('user', '=', caseworker.id)], order=[('id', 'ASC')])],
            [('session', 'expired'), ('session', 'unknown')])


# What identifies the person of the erasure tests; none of it may remain in
# any table once they are anonymised
ZAHRA = {
    'first_name': 'زهراءفريدة', 'father_name': 'عبدالمحسنفريد',
    'family_name': 'الفريداوية', 'first_name_latin': 'Zahraafarida',
    }
ZAHRA_ID = '198712345678'
ZAHRA_PHONE = '07709876543'
# the number as stored, whatever its prefix
ZAHRA_PHONE_DIGITS = '7709876543'
ZAHRA_STORY = 'Zahraafarida lost her house deed'


def store_files_holding(content):
    "The files of the attachment store whose bytes hold content"
    from trytond.filestore import filestore
    root = os.path.join(filestore.path, Transaction().database.name)
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, 'rb') as file:
                if content in file.read():
                    found.append(path)
    return found


def database_texts(needles):
    """(table, column) of every text column of the database holding one of
    needles, found by SQL over the whole database"""
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    if transaction.database.flavor.ilike:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('character varying', 'text', 'character', 'bytea', 'json', "
            "'jsonb')")
        columns = list(cursor)
    else:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")
        columns = []
        for table, in list(cursor):
            cursor.execute('PRAGMA table_info("%s")' % table)
            columns += [(table, c[1]) for c in cursor
                if (c[2] or '').upper() in {'VARCHAR', 'TEXT', 'BLOB', ''}]
    found = []
    for table, column in columns:
        for needle in needles:
            cursor.execute(
                'SELECT COUNT(*) FROM "%s" WHERE CAST("%s" AS TEXT) LIKE %s'
                % (table, column, transaction.database.flavor.param),
                ('%' + needle + '%',))
            if cursor.fetchone()[0]:
                found.append((table, column, needle))
    return found


def run_anonymise(beneficiary, reason):
    "The Anonymise wizard, started from the beneficiary's form"
    Wizard = Pool().get('momd.beneficiary.anonymise', type='wizard')
    session_id, _, _ = Wizard.create()
    wizard = Wizard(session_id)
    with Transaction().set_context(
            active_model='momd.beneficiary', active_id=beneficiary.id,
            active_ids=[beneficiary.id]):
        wizard = Wizard(session_id)
        wizard.start.beneficiary = beneficiary.id
        wizard.start.reason = reason
        return wizard.transition_anonymise()


class ErasureTestMixin:

    def erasure_world(self):
        "Zahra: registered, referred, served, her case closed"
        from .referral_tests import ReferralWorld
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Referral = pool.get('momd.referral')
        Case = pool.get('momd.case')
        Household = pool.get('momd.household')
        Note = pool.get('ir.note')
        Attachment = pool.get('ir.attachment')
        world = ReferralWorld()
        zahra = world.beneficiary
        Beneficiary.write([zahra], {
                **ZAHRA, 'sex': 'female', 'notes': ZAHRA_STORY,
                'identifiers': [('create', [{
                                'type': 'national_id', 'number': ZAHRA_ID}])],
                'phones': [('create', [{'number': ZAHRA_PHONE}])],
                })
        # a second change, so that the history holds several versions
        Beneficiary.write([zahra], {'grandfather_name': 'فريدون'})
        sister = register(first_name='سلمى')
        Household.create([{
                    'office': zahra.office.id, 'head': zahra.id,
                    'members': [('add', [zahra.id, sister.id])],
                    'address': 'Hay Al-Tanak street 7'}])
        referral = world.referral(reason=ZAHRA_STORY)
        Referral.send([referral])
        Referral.accept([referral])
        Referral.start([referral])
        Referral.write([referral], {
                'outcome': 'provided', 'outcome_feedback': ZAHRA_STORY})
        Referral.complete([referral])
        Referral.close([referral])
        Case.write([world.case], {
                'summary': ZAHRA_STORY, 'closure_reason': ZAHRA_STORY})
        pool.get('momd.need').write(
            list(world.case.needs), {'description': ZAHRA_STORY})
        Note.create([{'resource': str(zahra), 'message': ZAHRA_STORY}])
        Attachment.create([{'resource': str(referral), 'name': 'deed.txt',
                    'data': ZAHRA_STORY.encode()}])
        Case.request_closure([world.case])
        Case.approve_closure([world.case])
        return world, zahra, sister

    @with_transaction()
    def test_anonymise_erases_everywhere(self):
        """After anonymisation no table, history included, holds the
        person's names, ID number, phone or story; the statistics count
        them as before"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Statistic = pool.get('momd.beneficiary.statistic')
        ReferralStatistic = pool.get('momd.referral.statistic')
        AccessLog = pool.get('momd.access.log')
        world, zahra, sister = self.erasure_world()
        needles = [*ZAHRA.values(), ZAHRA_ID, ZAHRA_PHONE_DIGITS, ZAHRA_STORY]
        # the check finds them before: it can fail
        self.assertEqual(
            {n for _, _, n in database_texts(needles)}, set(needles))

        def counts():
            return (
                sorted((s.sex, s.age_group, s.displacement_status,
                        s.registered, s.referred, s.reached)
                    for s in Statistic.search([])),
                sorted((s.state, s.provider.id, s.referrals)
                    for s in ReferralStatistic.search([])))
        before = counts()
        # a scan of her passport: its bytes are found in the store by
        # their content, before
        scan = ('passport scan %s' % uuid.uuid4()).encode()
        Attachment = pool.get('ir.attachment')
        attachment, = Attachment.create([{'resource': str(zahra),
                    'name': 'passport.jpg', 'data': scan}])
        self.assertEqual(len(store_files_holding(scan)), 1)
        file_id = attachment.file_id
        user, context = as_user(world.supervisor)
        with user, context:
            run_anonymise(zahra, "Asked to be forgotten")
        self.assertEqual(database_texts(needles), [])
        # and after, nowhere in the store, nor waiting in Tryton's queue
        self.assertEqual(store_files_holding(scan), [])
        self.assertEqual(Attachment.search([('id', '=', attachment.id)]), [])
        self.assertEqual(pool.get('ir.filestore.queue').search(
                [('file_id', '=', file_id)]), [])
        self.assertEqual(counts(), before)
        zahra = Beneficiary(zahra.id)
        self.assertEqual(zahra.anonymised, pool.get('ir.date').today())
        self.assertEqual((zahra.first_name, zahra.phones,
                zahra.identifiers, zahra.household), ('***', (), (), None))
        # of the date of birth only the year stays, in the history too
        self.assertEqual((zahra.birth_date, zahra.age_reference),
            (None, dt.date(1985, 7, 1)))
        cursor = Transaction().connection.cursor()
        history = Beneficiary.__table_history__()
        cursor.execute(*history.select(history.age_reference,
                history.birth_date, where=history.id == zahra.id))
        self.assertEqual({tuple(str(v)[:10] if v else v for v in row)
                for row in cursor} - {(None, None)}, {('1985-07-01', None)})
        # her sister keeps her data, and the household its address
        self.assertEqual(Beneficiary(sister.id).first_name, 'سلمى')
        household = Beneficiary(sister.id).household
        self.assertEqual(
            (household.address, household.head), ('Hay Al-Tanak street 7', None))
        line, = AccessLog.search([('action', '=', 'anonymise')])
        self.assertEqual((line.user, line.model, line.record, line.reason),
            (world.supervisor, 'momd.beneficiary', zahra.id,
                "Asked to be forgotten"))

    @with_transaction()
    def test_anonymise_refused(self):
        """An open case, a caseworker, another office's supervisor: refused,
        nothing erased"""
        from ..exceptions import ErasureError
        from .referral_tests import ReferralWorld
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        world = ReferralWorld()
        zahra = world.beneficiary
        with self.assertRaisesRegex(ErasureError, world.case.rec_name):
            run_anonymise(zahra, "Request")
        self.assertEqual(Beneficiary(zahra.id).first_name, 'خالد')
        self.assertEqual(len(Beneficiary(zahra.id).phones), 1)
        world.case.closure_reason = "Done"
        world.case.save()
        pool.get('momd.case').request_closure([world.case])
        pool.get('momd.case').approve_closure([world.case])
        mosul = create_user('msup', groups=['group_supervisor'],
            offices=[office('MSL')])
        for user in [world.caseworker, mosul]:
            user_, context = as_user(user)
            with user_, context, self.assertRaises(AccessError):
                run_anonymise(zahra, "Request")
        self.assertEqual(Beneficiary(zahra.id).first_name, 'خالد')
        run_anonymise(zahra, "Request")
        from ..exceptions import ErasureError as Error
        with self.assertRaisesRegex(Error, 'already'):
            run_anonymise(Beneficiary(zahra.id), "Again")

    @with_transaction()
    def test_retention(self):
        """People whose cases all closed longer ago than the retention
        period are listed, or anonymised, by the daily task"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Case = pool.get('momd.case')
        Configuration = pool.get('momd.configuration')
        admin = create_user('adm', groups=['group_admin'])
        today = pool.get('ir.date').today()
        old, recent, still_open = (
            register(first_name=n) for n in ['قديم', 'حديث', 'مفتوح'])
        cases = {}
        for beneficiary, closed in [
                (old, today - dt.timedelta(days=800)),
                (recent, today - dt.timedelta(days=30)),
                (still_open, today - dt.timedelta(days=800))]:
            case = open_case(beneficiary)
            case.closure_reason = "Served"
            case.save()
            Case.request_closure([case])
            Case.approve_closure([case])
            Case.write([case], {'closed_date': closed})
            cases[beneficiary] = case
        # a second case, still open, keeps the person
        open_case(still_open)

        def expired():
            return Beneficiary.search([('retention_expired', '=', True)])
        self.assertEqual(expired(), [])
        config = Configuration(1)
        config.retention_months = 12
        config.save()
        self.assertEqual(expired(), [old])
        self.assertEqual(
            [b.retention_expired for b in [old, recent, still_open]],
            [True, False, False])
        Beneficiary.apply_retention()
        self.assertEqual(Beneficiary(old.id).first_name, 'قديم')
        from .automation_tests import told
        self.assertEqual(told([admin]), {admin.id: [
                    'Beneficiaries past the retention period: 1. See '
                    'Data Protection › Past Retention Period.']})
        config.retention_action = 'anonymise'
        config.save()
        Beneficiary.apply_retention()
        self.assertEqual(Beneficiary(old.id).first_name, '***')
        self.assertEqual(Beneficiary(recent.id).first_name, 'حديث')
        self.assertEqual(expired(), [])
        # each run is in the trail: listed, anonymised, and found none
        Beneficiary.apply_retention()
        AccessLog = pool.get('momd.access.log')
        self.assertEqual([(l.operation, l.record_count, l.records)
                for l in AccessLog.search([('action', '=', 'retention')],
                    order=[('id', 'ASC')])], [
                ('list', 1, str(old.id)), ('anonymise', 1, str(old.id)),
                ('anonymise', 0, '')])
        # bad input: a period of no months
        from trytond.model.exceptions import DomainValidationError
        config.retention_months = 0
        with self.assertRaisesRegex(
                DomainValidationError, 'Keep Closed Cases For'):
            config.save()

    @with_transaction()
    def test_personal_data_export(self):
        """A supervisor exports everything held about a person in one
        file: their fields, documents, phones, consents, cases, needs,
        referrals and who opened them"""
        import io
        from openpyxl import load_workbook
        pool = Pool()
        Report = pool.get('momd.beneficiary.personal_data', type='report')
        world, zahra, _ = self.erasure_world()
        user, context = as_user(world.supervisor)
        with user, context:
            pool.get('momd.beneficiary').read([zahra.id], ['first_name'])
            extension, content, _, name = Report.execute([zahra.id], {})
        self.assertEqual(extension, 'xlsx')
        book = load_workbook(io.BytesIO(content))
        texts = {
            sheet.title: ' '.join(str(c.value) for row in sheet.iter_rows()
                for c in row if c.value is not None)
            for sheet in book.worksheets}
        self.assertEqual(list(texts), [
                'Beneficiary', 'Identity Document', 'Beneficiary Phone',
                'Consent', 'Case', 'Need', 'Referral', 'Audit Trail'])
        self.assertIn(ZAHRA['family_name'], texts['Beneficiary'])
        self.assertIn(ZAHRA_ID, texts['Identity Document'])
        self.assertIn(ZAHRA_PHONE_DIGITS, texts['Beneficiary Phone'])
        self.assertIn('Provider A', texts['Referral'])
        self.assertIn('sup', texts['Audit Trail'])
        # a caseworker or another office's supervisor gets nothing
        mosul = create_user('msup', groups=['group_supervisor'],
            offices=[office('MSL')])
        for someone in [world.caseworker, mosul]:
            user, context = as_user(someone)
            with user, context, self.assertRaises(AccessError):
                Report.execute([zahra.id], {})


class ScopeTestMixin:
    "Paths around the record rules that the leak probes found, closed"

    @with_transaction()
    def test_restricted_through_related_records(self):
        """A user without sensitive access finds no case by its restricted
        need, reads and exports no restricted need in a case's list"""
        pool = Pool()
        Case = pool.get('momd.case')
        Need = pool.get('momd.need')
        case = open_case(register(), ['protection.gbv', 'health'])
        Need.write([n for n in case.needs
                if n.category.code == 'protection.gbv'],
            {'description': 'Hidden story'})
        caseworker = create_user(
            'cw', groups=['group_caseworker', 'group_class_sensitive',
                'group_export'],
            offices=[office('SNJ')])
        sensitive = create_user(
            'cws', groups=['group_caseworker', 'group_sensitive',
                'group_class_sensitive', 'group_export'],
            offices=[office('SNJ')])
        probes = [
            [('needs.restricted', '=', True)],
            [('needs.category.restricted', '=', True)],
            [('needs.description', 'ilike', '%Hidden%')],
            ]
        for user, found in [(caseworker, []), (sensitive, [case])]:
            user_, context = as_user(user)
            with user_, context:
                for domain in probes:
                    with self.subTest(user=user.login, domain=domain):
                        self.assertEqual(Case.search(domain), found)
                rows = Case.export_data(
                    Case.search([]), ['needs/description', 'needs/category'])
                self.assertEqual(
                    'Hidden story' in str(rows), user == sensitive)
                needs = Case.read([case.id], ['needs'])[0]['needs']
                self.assertEqual(len(needs), 1 if user == caseworker else 2)
                # a client cannot lift it through the context it sends
                with Transaction().set_context(_momd_hide_restricted=False):
                    self.assertEqual(Case.search(probes[0]), found)

    @with_transaction()
    def test_around_the_rules_refused(self):
        """Another office's records: no form computation, no list of past
        versions, no export of the notes attached to them"""
        pool = Pool()
        Case = pool.get('momd.case')
        Beneficiary = pool.get('momd.beneficiary')
        Note = pool.get('ir.note')
        mosul = register('MSL')
        Beneficiary.write([mosul], {'notes': "Changed"})
        note, = Note.create([{
                    'resource': str(mosul), 'message': "About Mosul"}])
        caseworker = create_user(
            'cw', groups=['group_caseworker'], offices=[office('SNJ')])
        user, context = as_user(caseworker)
        with user, context:
            case = Case(beneficiary=mosul.id)
            with self.assertRaises(AccessError):
                case.on_change(['beneficiary'])
            with self.assertRaises(AccessError):
                Beneficiary.history_revisions([mosul.id])
            with self.assertRaises(AccessError):
                Note.export_data([Note(note.id)], ['message'])
            own = register('SNJ')
            self.assertTrue(Beneficiary.history_revisions([own.id]))
