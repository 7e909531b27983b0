from pathlib import Path

from lxml import etree

from trytond.model.exceptions import (
    AccessError, DomainValidationError, RequiredValidationError,
    SQLConstraintError)
from ..exceptions import (
    BeneficiaryValidationError,
    LocationValidationError, OfficeValidationError)
from ..access_matrix import markdown
from ..tools import normalize_text
from trytond.model import ModelSingleton
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
# the module's database without Tryton's checks of the module's definition
# (ModuleTestCase's tests), which MomdReferralTestCase runs once: they do
# not depend on the language
from trytond.tests.test_tryton import _DBTestCase as DBTestCase
from trytond.transaction import Transaction

from .access_policy_tests import AccessPolicyTestMixin
from .answer_link_tests import AnswerLinkTestMixin
from .audit_chain_tests import (
    AuditChainArabicTestMixin, AuditChainTestMixin)
from .audit_export_tests import AuditExportTestMixin
from .breach_tests import BreachTestMixin
from .content_tests import ContentTestMixin
from .bulk_tests import BulkTestMixin
from .automation_tests import (
    AutomationTestMixin, discard_emails, emails, run_tasks,
    supervised_world, told)
from .disclosure_tests import DisclosureTestMixin
from .duplicate_scope_tests import DuplicateScopeTestMixin
from .duplicate_tests import DuplicateTestMixin
from .export_scope_tests import ExportScopeTestMixin
from .protection_tests import (
    ErasureTestMixin, ProtectionTestMixin, ScopeTestMixin)
from .owned_fields_tests import OwnedFieldsTestMixin
from .outbox_tests import OutboxLanguageTestMixin, OutboxTestMixin
from .eligibility_tests import EligibilityTestMixin
from .kobo_import_tests import KoboImportArabicTestMixin, KoboImportTestMixin
from .matching_tests import MatchingTestMixin
from .merge_tests import MergeArabicTestMixin, MergeTestMixin
from .merged_record_tests import (
    MergedRecordArabicTestMixin, MergedRecordTestMixin)
from .provider_answer_tests import (
    IntakeQueueTestMixin, ProviderAnswerArabicTestMixin,
    ProviderAnswerTestMixin)
from .provider_escalation_tests import (
    ProviderEscalationArabicTestMixin, ProviderEscalationTestMixin)
from .provider_sms_tests import (
    ProviderSMSArabicTestMixin, ProviderSMSTestMixin)
from .provider_tests import ProviderTestMixin
from .referral_tests import ReferralTestMixin
from .scorecard_tests import ScorecardTestMixin
from .report_tests import (
    ReferralFormArabicTestMixin, ReferralFormTestMixin)
from .statistics_tests import ExportTestMixin, StatisticsTestMixin
from .registry_tests import RegistryTestMixin, office, register
from .sensitivity_tests import SensitivityTestMixin
from .retention_tests import RetentionTestMixin
from .small_cells_tests import SmallCellsTestMixin
from .waitlist_tests import WaitlistTestMixin
from .tools import create_location, create_user, load_languages


class MomdReferralTestCase(
        RetentionTestMixin, BreachTestMixin, SmallCellsTestMixin, SensitivityTestMixin, AccessPolicyTestMixin, AuditChainTestMixin, AuditExportTestMixin, RegistryTestMixin, DuplicateTestMixin, DuplicateScopeTestMixin,
        ProviderTestMixin,
        ReferralTestMixin,
        EligibilityTestMixin, MatchingTestMixin, WaitlistTestMixin,
        DisclosureTestMixin, ReferralFormTestMixin, AutomationTestMixin,
        StatisticsTestMixin, ScorecardTestMixin,
        ExportTestMixin, ProtectionTestMixin, ErasureTestMixin,
        ScopeTestMixin, OwnedFieldsTestMixin, ContentTestMixin,
        ProviderAnswerTestMixin, IntakeQueueTestMixin,
        ProviderEscalationTestMixin, AnswerLinkTestMixin,
        OutboxTestMixin, ProviderSMSTestMixin, MergeTestMixin,
        MergedRecordTestMixin, KoboImportTestMixin, BulkTestMixin,
        ExportScopeTestMixin,
        ModuleTestCase):
    "Test the momd_referral module"
    module = 'momd_referral'

    @with_transaction()
    def test_list_columns_drawable(self):
        """Every column of the module's lists is one the web client can
        draw (sao has no date-and-time column: a timestamp is shown by
        its date, its time or both, each a column)"""
        pool = Pool()
        View = pool.get('ir.ui.view')
        columns = {'binary', 'boolean', 'callto', 'char', 'date', 'dict',
            'email', 'float', 'image', 'integer', 'many2many', 'many2one',
            'numeric', 'one2many', 'one2one', 'progressbar', 'reference',
            'selection', 'multiselection', 'sip', 'text', 'time',
            'timedelta', 'url'}
        undrawable = []
        for view in View.search([
                    ('module', '=', 'momd_referral'), ('type', '=', 'tree')]):
            Model = pool.get(view.model)
            arch = Model.fields_view_get(view.id, 'tree')['arch']
            fields = Model.fields_get()
            for element in etree.fromstring(arch).iter('field'):
                name = element.get('name')
                widget = element.get('widget') or fields[name]['type']
                if widget not in columns:
                    undrawable.append((view.name, name, widget))
        self.assertEqual(undrawable, [])

    @with_transaction()
    def test_access_matrix_doc(self):
        "doc/en/access-matrix.md is the module's access as it is now"
        doc = Path(__file__).resolve().parents[2] / 'doc' / 'en' / (
            'access-matrix.md')
        self.assertEqual(doc.read_text(), markdown(),
            "run: python scripts/access_matrix.py")

    @with_transaction()
    def test_access_matrix_enforced(self):
        """What the matrix refuses a role is refused when a user of that role
        tries it: reading, creating, changing and deleting each model, and
        pressing each button"""
        from trytond.model.modelview import AccessButtonError
        from ..access_matrix import matrix, role_users
        pool = Pool()
        roles, rows, buttons = matrix()
        users = dict(role_users())
        attempts = {
            'R': lambda Model: Model.search([], limit=1),
            'C': lambda Model: Model.create([{}]),
            'W': lambda Model: Model.write([], {}),
            'D': lambda Model: Model.delete([]),
            }
        for name, cells in rows:
            Model = pool.get(name)
            # statistics are computed and settings a single record: nobody
            # creates, changes or deletes them as lists
            fixed = (callable(getattr(Model, 'table_query', None))
                or issubclass(Model, ModelSingleton))
            for role in roles:
                letters = cells[role][0]
                for letter, attempt in attempts.items():
                    if letter in letters or (fixed and letter != 'R'):
                        continue
                    with self.subTest(model=name, role=role, refused=letter), \
                            Transaction().set_user(users[role].id), \
                            Transaction().set_context(_check_access=True), \
                            self.assertRaises(AccessError):
                        attempt(Model)
                if 'R' in letters:
                    with self.subTest(model=name, role=role, allowed='R'), \
                            Transaction().set_user(users[role].id), \
                            Transaction().set_context(_check_access=True):
                        attempts['R'](Model)
        for name, button, allowed in buttons:
            Model = pool.get(name)
            for role in roles:
                with self.subTest(model=name, button=button, role=role), \
                        Transaction().set_user(users[role].id), \
                        Transaction().set_context(_check_access=True):
                    if role in allowed:
                        try:
                            getattr(Model, button)([])
                        except AccessButtonError:
                            self.fail('%s refused to %s' % (button, role))
                        except Exception:
                            pass
                    else:
                        # refused for the button, or for the model itself
                        with self.assertRaises(
                                (AccessError, AccessButtonError)):
                            getattr(Model, button)([])

    def test_normalize_text(self):
        "Arabic spelling variants and Latin accents fold together"
        for a, b in [
                ('أربيل', 'اربيل'),
                ('إسماعيل', 'اسماعيل'),
                ('فاطمة', 'فاطمه'),
                ('مصطفى', 'مصطفي'),
                ('مُحَمَّد', 'محمد'),
                ('عـــلي', 'علي'),
                ('  Sinjar   Centre ', 'sinjar centre'),
                ('Qaraqôsh', 'qaraqosh'),
                ]:
            with self.subTest(a=a):
                self.assertEqual(normalize_text(a), normalize_text(b))
        self.assertNotEqual(normalize_text('سنجار'), normalize_text('سنجر'))
        self.assertEqual(normalize_text(None), '')

    @with_transaction()
    def test_nineveh_reference_data(self):
        "Nineveh, its nine districts and the four offices are loaded"
        pool = Pool()
        Location = pool.get('momd.location')
        Office = pool.get('momd.office')

        nineveh, = Location.search([('pcode', '=', 'IQG15')])
        districts = Location.search([('parent', '=', nineveh.id)])
        self.assertEqual(
            {d.name_en for d in districts},
            {'Mosul', 'Hamdaniya', 'Tel Kaif', 'Shikhan', 'Akre', 'Sinjar',
                'Tal Afar', "Ba'aj", 'Hatra'})
        self.assertTrue(all(d.level == 'district' for d in districts))
        self.assertTrue(all(d.children for d in districts))
        self.assertEqual(
            {o.code for o in Office.search([])},
            {'MSL', 'HMD', 'SNJ', 'TLF'})
        sinjar, = Office.search([('code', '=', 'SNJ')])
        self.assertEqual(
            {l.name_en for l in sinjar.locations}, {'Sinjar', "Ba'aj"})

    @with_transaction()
    def test_location_search_both_scripts(self):
        "Locations are found by Arabic or English name, variants and P-code"
        Location = Pool().get('momd.location')

        for text in ['تلعفر', 'Tal Afar', 'tal afar', 'تلعفر']:
            with self.subTest(text=text):
                found = Location.search([('rec_name', 'ilike', '%%%s%%' % text)])
                self.assertIn('Tal Afar', [l.name_en for l in found])
        # hamza and ta marbuta variants of Akre (عقرة)
        found = Location.search([('rec_name', 'ilike', '%عقره%')])
        self.assertIn('Akre', [l.name_en for l in found])
        found = Location.search([('rec_name', 'ilike', '%اربيل%')])
        self.assertEqual([l.name_en for l in found], ['Erbil'])
        found = Location.search([('rec_name', '=', 'IQG15')])
        self.assertEqual([l.name_en for l in found], ['Nineveh'])
        found = Location.search([('rec_name', 'not ilike', '%Nineveh%')])
        self.assertNotIn('Nineveh', [l.name_en for l in found])
        self.assertIn('Mosul', [l.name_en for l in found])

    @with_transaction()
    def test_location_names_follow_language(self):
        "Name and full path come in the user's language"
        Location = Pool().get('momd.location')
        bartella, = Location.search([('name_en', '=', 'Bartella')])
        with Transaction().set_context(language='en'):
            bartella = Location(bartella.id)
            self.assertEqual(bartella.rec_name, 'Bartella')
            self.assertEqual(
                bartella.full_name, 'Nineveh / Hamdaniya / Bartella')
        with Transaction().set_context(language='ar'):
            bartella = Location(bartella.id)
            self.assertEqual(bartella.rec_name, 'برطلة')
            self.assertEqual(
                bartella.full_name, 'نينوى / الحمدانية / برطلة')
        self.assertEqual(bartella.governorate.name_en, 'Nineveh')

    @with_transaction()
    def test_location_governorate_search(self):
        "Locations are searched by governorate, by id or by name"
        Location = Pool().get('momd.location')
        nineveh, = Location.search([('pcode', '=', 'IQG15')])
        inside = Location.search([('governorate', '=', nineveh.id)])
        names = {l.name_en for l in inside}
        self.assertIn('Nineveh', names)
        self.assertIn('Zummar', names)
        self.assertNotIn('Baghdad', names)
        self.assertEqual(
            set(inside),
            set(Location.search([('governorate', 'ilike', 'nineveh')])))
        outside = Location.search([('governorate', '!=', nineveh.id)])
        self.assertIn('Baghdad', {l.name_en for l in outside})
        self.assertFalse(set(inside) & set(outside))

    @with_transaction()
    def test_location_cycle(self):
        "A parent inside the location itself is refused"
        governorate = create_location('Test Governorate', 'governorate')
        district = create_location('Test District', 'district', governorate)
        subdistrict = create_location(
            'Test Sub-district', 'subdistrict', district)

        with self.assertRaisesRegex(
                LocationValidationError, r'"Parent".*cycle'):
            governorate.parent = subdistrict
            governorate.save()

    @with_transaction()
    def test_location_levels(self):
        "Each level hangs under the level above it"
        governorate = create_location('Test Governorate', 'governorate')
        district = create_location('Test District', 'district', governorate)
        other = create_location('Other Governorate', 'governorate')

        with self.assertRaisesRegex(
                LocationValidationError, 'cannot have a "Parent"'):
            create_location('Bad', 'governorate', other)
        with self.assertRaisesRegex(
                LocationValidationError, 'must be a District'):
            create_location('Bad', 'subdistrict', governorate)
        with self.assertRaises(RequiredValidationError):
            create_location('Bad', 'district')
        # A community may sit directly under a district
        community = create_location('Village', 'community', district)
        self.assertEqual(community.governorate, governorate)

    @with_transaction()
    def test_location_pcode(self):
        "P-codes are upper-cased, well-formed and unique"
        location = create_location('Test', 'governorate', pcode='iqg99')
        self.assertEqual(location.pcode, 'IQG99')
        with self.assertRaisesRegex(LocationValidationError, 'P-code'):
            create_location('Bad', 'governorate', pcode='99-IQ')
        with self.assertRaisesRegex(SQLConstraintError, 'P-code'):
            create_location('Twin', 'governorate', pcode='IQG99')

    @with_transaction()
    def test_location_search_key_follows_names(self):
        "Renaming a location updates what finds it"
        Location = Pool().get('momd.location')
        location = create_location(
            'Old Name', 'governorate', name_ar='الاسم القديم')
        location.name_en = 'New Name'
        location.save()
        self.assertEqual(
            Location.search([('rec_name', 'ilike', '%new name%')]),
            [location])
        self.assertEqual(
            Location.search([('rec_name', 'ilike', '%old name%')]), [])

    @with_transaction()
    def test_office_validation(self):
        "Offices need names, a unique code and locations in their governorate"
        pool = Pool()
        Location = pool.get('momd.location')
        Office = pool.get('momd.office')
        nineveh, = Location.search([('pcode', '=', 'IQG15')])
        baghdad, = Location.search([('name_en', '=', 'Baghdad')])
        mosul, = Location.search([('name_en', '=', 'Mosul')])

        with self.assertRaisesRegex(OfficeValidationError, '"Code"'):
            Office.create([{
                        'name_ar': 'مكتب', 'name_en': 'Office',
                        'code': 'A B', 'governorate': nineveh.id}])
        with self.assertRaisesRegex(
                DomainValidationError, '"Governorate"'):
            Office.create([{
                        'name_ar': 'مكتب', 'name_en': 'Office',
                        'code': 'NEW1', 'governorate': mosul.id}])
        with self.assertRaisesRegex(
                DomainValidationError, '"Covered Locations"'):
            Office.create([{
                        'name_ar': 'مكتب', 'name_en': 'Office',
                        'code': 'NEW2', 'governorate': baghdad.id,
                        'locations': [('add', [mosul.id])]}])
        office, = Office.create([{
                    'name_ar': 'مكتب بغداد', 'name_en': 'Baghdad Office',
                    'code': 'bgd', 'governorate': baghdad.id}])
        self.assertEqual(office.code, 'BGD')
        self.assertEqual(Office.search([('rec_name', '=', 'BGD')]), [office])
        # Last: a failed create leaves its row until the transaction is
        # rolled back, as every RPC call does.
        with self.assertRaisesRegex(
                RequiredValidationError, '"English Name"'):
            Office.create([{
                        'name_ar': 'مكتب', 'code': 'NEW3',
                        'governorate': nineveh.id}])

    @with_transaction()
    def test_office_code_unique(self):
        "Office codes are unique whatever their case"
        pool = Pool()
        Location = pool.get('momd.location')
        Office = pool.get('momd.office')
        nineveh, = Location.search([('pcode', '=', 'IQG15')])
        with self.assertRaisesRegex(SQLConstraintError, '"Code"'):
            Office.create([{
                        'name_ar': 'مكتب', 'name_en': 'Office',
                        'code': 'snj', 'governorate': nineveh.id}])

    @with_transaction()
    def test_roles_access(self):
        "Staff read offices and locations; only administrators change them"
        pool = Pool()
        Office = pool.get('momd.office')
        User = pool.get('res.user')
        sinjar, = Office.search([('code', '=', 'SNJ')])
        mosul, = Office.search([('code', '=', 'MSL')])
        caseworker = create_user(
            'cw', groups=['group_caseworker'], offices=[sinjar])
        administrator = create_user('adm', groups=['group_admin'])

        with Transaction().set_user(caseworker.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(len(Office.search([])), 4)
            with self.assertRaises(AccessError):
                Office.write([sinjar], {'phone': '+964 750 000 0000'})
            with self.assertRaises(AccessError):
                User.write([User(caseworker.id)], {
                        'offices': [('add', [mosul.id])]})
        # Preferences, which users save for themselves, leave offices alone
        with Transaction().set_user(caseworker.id):
            User.set_preferences({
                    'offices': [('add', [mosul.id])],
                    'supervised_offices': [('add', [mosul.id])],
                    })
        caseworker = User(caseworker.id)
        self.assertEqual(caseworker.offices, (sinjar,))
        self.assertEqual(caseworker.supervised_offices, ())

        with Transaction().set_user(administrator.id), \
                Transaction().set_context(_check_access=True):
            Office.write([sinjar], {'phone': '+964 750 000 0000'})
        self.assertEqual(sinjar.phone, '+964 750 000 0000')

    @with_transaction()
    def test_supervisor_inherits_caseworker(self):
        "An office supervisor has every right of a caseworker"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        supervisor = create_user('sup', groups=['group_supervisor'])
        with Transaction().set_user(supervisor.id):
            self.assertIn(
                ModelData.get_id('momd_referral', 'group_caseworker'),
                User.get_groups())


class MomdReferralArabicTestCase(
        ReferralFormArabicTestMixin, ProviderEscalationArabicTestMixin,
        OutboxLanguageTestMixin, ProviderAnswerArabicTestMixin,
        ProviderSMSArabicTestMixin, MergeArabicTestMixin,
        MergedRecordArabicTestMixin, KoboImportArabicTestMixin,
        AuditChainArabicTestMixin, DBTestCase):
    "Test the momd_referral module in Arabic"
    module = 'momd_referral'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_languages()

    @with_transaction(context={'language': 'ar'})
    def test_errors_in_arabic(self):
        "Errors reach an Arabic user in Arabic, naming the field"
        pool = Pool()
        Location = pool.get('momd.location')
        Office = pool.get('momd.office')
        nineveh, = Location.search([('pcode', '=', 'IQG15')])

        district, = Location.search([('name_en', '=', 'Sinjar')])
        with self.assertRaisesRegex(
                LocationValidationError, 'حلقة دائرية'):
            nineveh.parent = district.children[0]
            nineveh.save()
        # Last: on PostgreSQL a refused insert ends the transaction
        with self.assertRaisesRegex(
                RequiredValidationError,
                'يجب إدخال قيمة في الحقل "الاسم بالإنكليزية" .*"المكتب"'):
            Office.create([{
                        'name_ar': 'مكتب', 'code': 'NEW',
                        'governorate': nineveh.id}])

    @with_transaction(context={'language': 'ar'})
    def test_unique_code_error_in_arabic(self):
        "A database constraint answers in Arabic too"
        pool = Pool()
        Location = pool.get('momd.location')
        Office = pool.get('momd.office')
        nineveh, = Location.search([('pcode', '=', 'IQG15')])
        with self.assertRaisesRegex(
                SQLConstraintError, 'يجب أن يكون "الرمز" فريداً'):
            Office.create([{
                        'name_ar': 'مكتب', 'name_en': 'Office',
                        'code': 'MSL', 'governorate': nineveh.id}])

    @with_transaction(context={'language': 'ar'})
    def test_labels_in_arabic(self):
        "Field labels, selections and menus are translated"
        pool = Pool()
        Location = pool.get('momd.location')
        Menu = pool.get('ir.ui.menu')
        ModelData = pool.get('ir.model.data')
        fields = Location.fields_get(['parent', 'level', 'active'])
        self.assertEqual(fields['parent']['string'], 'يتبع إلى')
        # labels Tryton gives every model come from locale/core/ar
        self.assertEqual(fields['active']['string'], 'فعّال')
        self.assertIn(('district', 'قضاء'), fields['level']['selection'])
        menu = Menu(ModelData.get_id('momd_referral', 'menu_momd'))
        self.assertEqual(menu.name, 'نظام الإحالة')
        # and the user lists of offices, teams and focal points
        self.assertEqual(pool.get('res.user').fields_get(['login'])[
                'login']['string'], 'اسم الدخول')
        # Tryton's own group of administrators
        Group = pool.get('res.group')
        self.assertEqual(
            Group(ModelData.get_id('res', 'group_admin')).name,
            'إدارة النظام')
        # the user's choice of digits
        self.assertEqual(pool.get('res.user').fields_get(['digits'])[
                'digits']['string'], 'الأرقام')

    @with_transaction(context={'language': 'ar'})
    def test_duplicate_warning_in_arabic(self):
        """The likely matches are listed in Arabic, their registration
        numbers kept whole in the right-to-left text, the field to fill
        named"""
        Beneficiary = Pool().get('momd.beneficiary')
        first = register('MSL', phones=[
                ('create', [{'number': '07701234567'}])])
        second = register('HMD', birth_date=None, estimated_age=40)
        with self.assertRaises(BeneficiaryValidationError) as error:
            Beneficiary.create([{
                        'office': office('SNJ').id, 'first_name': 'خالد',
                        'father_name': 'حسن', 'grandfather_name': 'علي',
                        'family_name': 'الجبوري', 'sex': 'male',
                        'displacement_status': 'idp_in_camp',
                        'estimated_age': 41,
                        'phones': [('create', [{'number': '07701234567'}])],
                        }])
        message = error.exception.message
        for match in (first, second):
            self.assertIn('\u2066%s\u2069 (' % match.code, message)
        self.assertIn('"سبب التسجيل الجديد"', message)
        self.assertIn('، ', message)
        self.assertNotIn(', ', message)

    @with_transaction()
    def test_notifications_in_each_language(self):
        "The caseworker reads Arabic, the focal point English"
        pool = Pool()
        Referral = pool.get('momd.referral')
        User = pool.get('res.user')
        Lang = pool.get('ir.lang')
        arabic, = Lang.search([('code', '=', 'ar')])
        english, = Lang.search([('code', '=', 'en')])
        world = supervised_world()
        world.caseworker.email = 'cw@momd.example'
        world.caseworker.language = arabic
        world.alice.email = 'alice@momd.example'
        world.alice.language = english
        User.save([world.caseworker, world.alice])
        # the category and the provider have their Arabic names too
        Category = pool.get('momd.service.category')
        Provider = pool.get('momd.provider')
        referral = world.referral()
        category_en = referral.category.rec_name
        Category.write([Category(referral.category.id)], {
                'name_ar': 'المساعدة القانونية العامة'})
        Provider.write([Provider(world.provider_a.id)], {
                'name_ar': 'منظمة ألف'})
        with world.as_(world.caseworker), \
                Transaction().set_context(language='ar'):
            Referral.send([Referral(referral.id)])
        # the focal point's notification names the category in English,
        # though the caseworker who sent it works in Arabic
        sent, = [n for n in Transaction().user_notifications
            if int(n.user) == world.alice.id]
        self.assertEqual(sent.description, category_en)
        self.assertNotIn('المساعدة', sent.label)
        run_tasks()
        received, = emails('alice@')
        self.assertEqual(received.languages, ['en'])
        self.assertIn('A new referral was sent', received.body)
        with world.as_(world.alice):
            Referral.accept([Referral(referral.id)])
        run_tasks()
        accepted, = emails('cw@')
        self.assertEqual(accepted.languages, ['ar'])
        self.assertEqual(
            accepted.subject, 'الإحالة %s: مقبولة' % referral.code)
        self.assertIn('قبلت جهة تقديم الخدمة الإحالة.', accepted.body)
        self.assertIn('dir="rtl"', accepted.body)
        # the caseworker's, in Arabic, the provider's Arabic name
        self.assertIn('قبلت منظمة ألف الإحالة %s' % referral.code,
            told([world.caseworker])[world.caseworker.id][0])
        discard_emails()


del ModuleTestCase, DBTestCase
