"Tests of the beneficiary registry, mixed into the module test case."
import datetime as dt

from trytond.model.exceptions import AccessError, SQLConstraintError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import (
    BeneficiaryValidationError, CaseValidationError, CategoryValidationError,
    ConsentValidationError,
    OutreachValidationError)
from ..models.beneficiary import _shift_years
from .tools import create_user, rolled_back


def office(code):
    Office = Pool().get('momd.office')
    office, = Office.search([('code', '=', code)])
    return office


def category(code):
    Category = Pool().get('momd.service.category')
    category, = Category.search([('code', '=', code)])
    return category


def register(office_code='SNJ', **values):
    "Register a beneficiary with sensible defaults"
    Beneficiary = Pool().get('momd.beneficiary')
    values = {
        'office': office(office_code).id,
        'first_name': 'خالد',
        'father_name': 'حسن',
        'grandfather_name': 'علي',
        'family_name': 'الجبوري',
        'sex': 'male',
        'birth_date': dt.date(1985, 3, 1),
        'displacement_status': 'returnee_abroad',
        # the tests' people share a name: registered knowingly
        'duplicate_reason': "Another person of the same name",
        **values,
        }
    beneficiary, = Beneficiary.create([values])
    return beneficiary


def open_case(beneficiary, needs=()):
    Case = Pool().get('momd.case')
    case, = Case.create([{
                'beneficiary': beneficiary.id,
                'office': beneficiary.office.id,
                'needs': [('create', [{
                                'category': category(code).id,
                                'priority': 'normal',
                                } for code in needs])],
                }])
    return case


class RegistryTestMixin:

    @with_transaction()
    def test_registration_numbers_per_office(self):
        "Beneficiaries and cases are numbered by their office's sequences"
        year = Pool().get('ir.date').today().year
        first = register('SNJ')
        second = register('SNJ', first_name='سعد')
        other = register('MSL', first_name='عمر')
        # (PostgreSQL sequences do not roll back with the test transactions)
        self.assertRegex(first.code, r'^SNJ-BEN-%s-\d{5}$' % year)
        self.assertEqual(
            int(second.code[-5:]), int(first.code[-5:]) + 1)
        self.assertRegex(other.code, r'^MSL-BEN-%s-\d{5}$' % year)
        case = open_case(first)
        self.assertRegex(case.code, r'^SNJ-CASE-%s-\d{5}$' % year)

    @with_transaction()
    def test_new_office_gets_sequences(self):
        "An office created by an administrator numbers its own records"
        pool = Pool()
        Office = pool.get('momd.office')
        Location = pool.get('momd.location')
        duhok, = Location.search([('name_en', '=', 'Duhok')])
        new, = Office.create([{
                    'name_ar': 'مكتب دهوك', 'name_en': 'Duhok Office',
                    'code': 'DHK', 'governorate': duhok.id}])
        self.assertEqual(new.beneficiary_sequence.prefix, 'DHK-BEN-${year}-')
        self.assertEqual(new.case_sequence.prefix, 'DHK-CASE-${year}-')
        self.assertTrue(register('DHK').code.startswith('DHK-BEN-'))

    @with_transaction()
    def test_service_categories(self):
        "Categories nest without cycles; restriction passes to children"
        Category = Pool().get('momd.service.category')
        protection = category('protection')
        self.assertEqual(
            category('protection.gbv').full_name,
            'Protection / Gender-based Violence')
        with self.assertRaisesRegex(CategoryValidationError, '"Restricted"'):
            Category.create([{'code': 'protection.other', 'name_ar': 'أخرى',
                        'name_en': 'Other', 'parent': protection.id,
                        'restricted': False}])
        hlp = category('hlp')
        with self.assertRaisesRegex(CategoryValidationError, 'cycle'):
            hlp.parent = category('hlp.rent')
            hlp.save()

    @with_transaction()
    def test_age(self):
        "Age comes from the birth date or from the estimate, never both"
        today = Pool().get('ir.date').today()
        # 30 years ago to the day (28 February when today is a 29th)
        born = register(birth_date=_shift_years(today, -30))
        self.assertEqual(born.age, 30)
        estimated = register(birth_date=None, estimated_age=40)
        self.assertEqual(estimated.age, 40)
        self.assertEqual(estimated.estimated_age_date, today)
        Beneficiary = Pool().get('momd.beneficiary')
        self.assertIn(born, Beneficiary.search([('age', '=', 30)]))
        self.assertIn(estimated, Beneficiary.search([('age', '>=', 35)]))
        self.assertNotIn(born, Beneficiary.search([('age', '>=', 35)]))

    @with_transaction()
    def test_impossible_birth_dates(self):
        "Future birth dates and ages over 120 years are refused"
        today = Pool().get('ir.date').today()
        for values, field in [
                ({'birth_date': today + dt.timedelta(days=1)},
                    '"Date of Birth"'),
                ({'birth_date': dt.date(1890, 1, 1)}, '"Date of Birth"'),
                ({'birth_date': None, 'estimated_age': None},
                    '"Estimated Age"'),
                ({'birth_date': None, 'estimated_age': 130},
                    '"Estimated Age"'),
                ]:
            with self.subTest(values=values):
                with self.assertRaisesRegex(
                        BeneficiaryValidationError, field):
                    register(**values)

    @with_transaction()
    def test_phones_normalised(self):
        "Phones are stored as +964 numbers; malformed ones are refused"
        beneficiary = register(phones=[('create', [
                        {'number': '0770 123 4567'},
                        {'number': '٠٧٥٠١٢٣٤٥٦٧'},
                        ])])
        self.assertEqual(
            sorted(p.number for p in beneficiary.phones),
            ['+9647501234567', '+9647701234567'])
        with self.assertRaisesRegex(
                BeneficiaryValidationError, 'phone "Number" "0770 12"'):
            register(first_name='سعد', phones=[('create', [
                            {'number': '0770 12'}])])

    @with_transaction()
    def test_identity_documents(self):
        "Document numbers are checked by type and registered once"
        beneficiary = register(identifiers=[('create', [{
                            'type': 'national_id',
                            'number': '1990 1234 5678'}])])
        self.assertEqual(beneficiary.identifiers[0].number, '199012345678')
        with self.assertRaisesRegex(
                BeneficiaryValidationError, '"Number" "12345"'):
            register(first_name='سعد', identifiers=[('create', [{
                                'type': 'national_id', 'number': '12345'}])])
        with self.assertRaisesRegex(SQLConstraintError, 'identity document'):
            register('MSL', first_name='سعد', identifiers=[('create', [{
                                'type': 'national_id',
                                'number': '199012345678'}])])

    @with_transaction()
    def test_duplicate_reason(self):
        """A likely duplicate shows while typing and is registered again
        only with a reason, naming the field; nothing is written without
        it; a brother sharing the phone is not a duplicate"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Duplicate = pool.get('momd.beneficiary.duplicate')
        first = register('MSL', phones=[('create', [
                        {'number': '07701234567'}])])
        values = {
            'office': office('SNJ').id, 'first_name': 'خالد',
            'father_name': 'حسن', 'grandfather_name': 'علي',
            'family_name': 'الجبوري', 'sex': 'male',
            'birth_date': dt.date(1985, 11, 20),
            'displacement_status': 'idp_in_camp',
            }
        # before saving: number, office, sex, age band, score only
        typed = Beneficiary(**values)
        shown = typed.on_change_with_likely_duplicates()
        self.assertIn(first.code, shown)
        self.assertIn('18-59', shown)
        self.assertNotIn('الجبوري', shown)
        count = Beneficiary.search_count([])
        with self.assertRaises(BeneficiaryValidationError) as error, \
                rolled_back():
            Beneficiary.create([values])
        message = error.exception.message
        self.assertIn(first.code, message)
        self.assertIn('"Reason for a New Registration"', message)
        self.assertNotIn('الجبوري حسن', message.replace(
                'خالد حسن علي الجبوري', ''))
        self.assertEqual(Beneficiary.search_count([]), count)

        second, = Beneficiary.create([dict(values,
                    duplicate_reason="Two men of this name in the camp")])
        line, = Duplicate.search([('beneficiary', '=', second.id)])
        self.assertEqual((line.match, line.source, line.state),
            (first, 'registration', 'open'))
        self.assertGreaterEqual(line.score, 80)

        brother = dict(values, first_name='سعيد',
            birth_date=dt.date(1990, 1, 1),
            phones=[('create', [{'number': '+964 770 123 4567'}])])
        third, = Beneficiary.create([brother])
        self.assertFalse(Duplicate.search([('beneficiary', '=', third.id)]))

    @with_transaction()
    def test_household(self):
        "A household groups members with a head among them"
        Household = Pool().get('momd.household')
        head = register()
        wife = register(first_name='زينب', sex='female')
        household, = Household.create([{
                    'office': head.office.id,
                    'members': [('add', [head.id, wife.id])],
                    'declared_size': 4,
                    }])
        household.head = head
        household.save()
        self.assertEqual(household.size, 2)
        self.assertIn('خالد', household.rec_name)
        with self.assertRaisesRegex(
                BeneficiaryValidationError, '"Declared Size"'):
            household.declared_size = 1
            household.save()

    @with_transaction()
    def test_consent_rules(self):
        "Consent: child needs a guardian, revocation after giving, no edit"
        pool = Pool()
        Consent = pool.get('momd.consent')
        today = pool.get('ir.date').today()
        child = register(first_name='سارة', sex='female',
            birth_date=_shift_years(today, -10))
        consent, = Consent.create([{
                    'beneficiary': child.id, 'purpose': "Referral",
                    'information_groups': ['identity', 'needs']}])
        with self.assertRaisesRegex(
                ConsentValidationError, '"Given By"'):
            Consent.activate([consent])
        consent.given_by = 'guardian'
        consent.guardian_name = 'حسن علي'
        consent.save()
        Consent.activate([consent])
        self.assertEqual(consent.state, 'active')
        with self.assertRaisesRegex(
                ConsentValidationError, '"Purpose" cannot be changed'):
            consent.purpose = "Other"
            consent.save()
        with self.assertRaisesRegex(
                ConsentValidationError, '"Revoked On"'):
            Consent.write([consent], {
                    'revoked_on': consent.date - dt.timedelta(days=1)})
        with self.assertRaisesRegex(
                ConsentValidationError, '"Revocation Reason"'):
            Consent.revoke([consent])

    @with_transaction()
    def test_consent_covers(self):
        "The helper the referrals use: groups, categories, dates, states"
        pool = Pool()
        Consent = pool.get('momd.consent')
        today = pool.get('ir.date').today()
        beneficiary = register()
        consent, = Consent.create([{
                    'beneficiary': beneficiary.id, 'purpose': "Referral",
                    'information_groups': ['identity', 'contact', 'needs'],
                    'categories': [('add', [category('hlp').id])],
                    'expiry_date': today + dt.timedelta(days=30)}])
        rent = category('hlp.rent')
        self.assertIsNone(Consent.find_covering(
                beneficiary, ['identity'], rent))  # still a draft
        Consent.activate([consent])
        self.assertEqual(Consent.find_covering(
                beneficiary, ['identity', 'needs'], rent), consent)
        self.assertIsNone(Consent.find_covering(
                beneficiary, ['documents'], rent))
        self.assertIsNone(Consent.find_covering(
                beneficiary, ['identity'], category('education')))
        self.assertIsNone(Consent.find_covering(
                beneficiary, ['identity'], rent,
                date=today + dt.timedelta(days=31)))
        Consent.expire(date=today + dt.timedelta(days=31))
        self.assertEqual(consent.state, 'expired')
        self.assertIsNone(Consent.find_covering(
                beneficiary, ['identity'], rent))

    @with_transaction()
    def test_case_workflow(self):
        "Closure asked with a reason, refused, approved; reopened with one"
        pool = Pool()
        Case = pool.get('momd.case')
        today = pool.get('ir.date').today()
        case = open_case(register(), ['hlp.rent', 'education', 'health'])
        self.assertEqual(len(case.needs), 3)
        self.assertEqual(case.state, 'open')
        self.assertGreaterEqual(
            (case.next_review - case.opened_date).days, 89)
        Case.activate([case])
        with self.assertRaisesRegex(CaseValidationError, '"Closure Reason"'):
            Case.request_closure([case])
        case.closure_reason = "All needs met"
        case.save()
        Case.request_closure([case])
        Case.refuse_closure([case])
        self.assertEqual(case.state, 'active')
        Case.request_closure([case])
        Case.approve_closure([case])
        self.assertEqual((case.state, case.closed_date), ('closed', today))
        with self.assertRaisesRegex(
                CaseValidationError, '"Reopening Reason"'):
            Case.reopen([case])
        self.assertEqual(case.state, 'closed')
        case.reopen_reason = "The house was damaged again"
        case.save()
        Case.reopen([case])
        self.assertEqual(case.state, 'active')
        self.assertIsNone(case.closed_date)

    @with_transaction()
    def test_office_scope(self):
        "A Sinjar caseworker reaches nothing of Mosul by any path"
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Case = pool.get('momd.case')
        Need = pool.get('momd.need')
        Phone = pool.get('momd.beneficiary.phone')
        Household = pool.get('momd.household')
        mosul = register('MSL', first_name='محمود', phones=[('create', [
                        {'number': '07801112222'}])])
        mosul_case = open_case(mosul, ['hlp.rent'])
        Household.create([{'office': office('MSL').id,
                    'members': [('add', [mosul.id])]}])
        sinjar = register('SNJ', first_name='دلشاد')
        sinjar_case = open_case(sinjar, ['education'])
        caseworker = create_user(
            'cw', groups=['group_caseworker'], offices=[office('SNJ')])
        manager = create_user('mgr', groups=['group_manager'])

        with Transaction().set_user(caseworker.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Beneficiary.search([]), [sinjar])
            self.assertEqual(Beneficiary.search_count([]), 1)
            self.assertEqual(
                Beneficiary.search([('rec_name', 'ilike', '%محمود%')]), [])
            self.assertEqual(Case.search([]), [sinjar_case])
            self.assertEqual(len(Need.search([])), 1)
            self.assertEqual(Phone.search([]), [])
            self.assertEqual(Household.search([]), [])
            # through a related field of an own record
            self.assertEqual(
                Case.search([('beneficiary.first_name', '=', 'محمود')]), [])
            for Model, record in [
                    (Beneficiary, mosul), (Case, mosul_case)]:
                with self.subTest(model=Model.__name__):
                    with self.assertRaises(AccessError):
                        Model.read([record.id], ['rec_name'])
                    with self.assertRaises(AccessError):
                        Model.export_data([Model(record.id)], ['id'])
            with self.assertRaises(AccessError):
                Beneficiary.write([Beneficiary(mosul.id)], {'notes': "x"})
            with self.assertRaises(AccessError):
                Case.create([{'beneficiary': mosul.id,
                            'office': office('MSL').id}])

        with Transaction().set_user(manager.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Beneficiary.search_count([]), 2)
            with self.assertRaises(AccessError):
                Beneficiary.write([Beneficiary(sinjar.id)], {'notes': "x"})

        # moved to Mosul as well: the rules follow at once
        User = pool.get('res.user')
        User.write([caseworker], {'offices': [('add', [office('MSL').id])]})
        with Transaction().set_user(caseworker.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Beneficiary.search_count([]), 2)

    @with_transaction()
    def test_restricted_needs(self):
        "Needs of restricted categories exist only for sensitive access"
        pool = Pool()
        Need = pool.get('momd.need')
        Category = pool.get('momd.service.category')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        case = open_case(register(), ['protection.gbv', 'health'])
        caseworker = create_user(
            'cw', groups=['group_caseworker'], offices=[office('SNJ')])
        sensitive = create_user(
            'cws', groups=['group_caseworker', 'group_sensitive'],
            offices=[office('SNJ')])

        with Transaction().set_user(caseworker.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(
                [n.category.code for n in Need.search([])], ['health'])
            self.assertEqual(Need.search_count([]), 1)
            self.assertFalse(Category.search([('code', 'like', 'protection%')]))
            case, = Pool().get('momd.case').read([case.id], ['needs'])
            self.assertEqual(len(case['needs']), 1)
        with Transaction().set_user(sensitive.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Need.search_count([]), 2)
        self.assertIn(
            ModelData.get_id('momd_referral', 'group_sensitive'),
            [g.id for g in User(sensitive.id).groups])

    @with_transaction()
    def test_access_log(self):
        "Opening a beneficiary or a case through the application is logged"
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        AccessLog = pool.get('momd.access.log')
        beneficiary = register()
        caseworker = create_user(
            'cw', groups=['group_caseworker'], offices=[office('SNJ')])
        with Transaction().set_user(caseworker.id), \
                Transaction().set_context(_check_access=True):
            Beneficiary.read([beneficiary.id], ['full_name'])
        logs = AccessLog.search([('user', '=', caseworker.id)])
        self.assertEqual(
            [(l.model, l.record, l.action, l.office) for l in logs],
            [('momd.beneficiary', beneficiary.id, 'read', office('SNJ'))])
        # reads by the system itself are not
        Beneficiary.read([beneficiary.id], ['full_name'])
        self.assertEqual(AccessLog.search_count([('action', '=', 'read')]), 1)

    @with_transaction()
    def test_outreach_event(self):
        "An open day counts the people reached and links registrations"
        pool = Pool()
        Event = pool.get('momd.outreach.event')
        today = pool.get('ir.date').today()
        event, = Event.create([{
                    'office': office('HMD').id, 'kind': 'open_day',
                    'date': today, 'place': "Qaraqosh youth centre",
                    'female_18_59': 12, 'male_18_59': 9, 'female_6_17': 4,
                    'male_60': 2}])
        self.assertEqual(event.people_reached, 27)
        beneficiary = register('HMD', outreach_event=event.id)
        case = open_case(beneficiary, ['livelihoods'])
        case.needs[0].outreach_event = event
        case.needs[0].save()
        self.assertEqual(event.beneficiaries, (beneficiary,))
        self.assertEqual(len(event.needs), 1)
        Event.do([event])
        self.assertEqual(event.state, 'done')
        with self.assertRaisesRegex(
                OutreachValidationError, '"Boys 0-5"'):
            Event.create([{'office': office('HMD').id, 'date': today,
                        'male_0_5': -1}])
        later, = Event.create([{'office': office('SNJ').id,
                    'date': today + dt.timedelta(days=7),
                    'place': "Sinune school"}])
        with self.assertRaisesRegex(OutreachValidationError, '"Date"'):
            Event.do([later])
