"Tests of the referral form, mixed into the module test cases."
import re
import subprocess
import tempfile

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import ReferralFormError
from .referral_tests import ReferralWorld, give_consent
from .tools import create_user

# the marks pdftotext puts around right-to-left runs
BIDI_MARKS = re.compile('[\u200e\u200f\u202a-\u202e\u2066-\u2069]')


def print_form(referral):
    "The PDF content of the referral form, printed as the client does"
    pool = Pool()
    ReferralForm = pool.get('momd.referral.form', type='report')
    ModelData = pool.get('ir.model.data')
    ext, content, _, _ = ReferralForm.execute([referral.id], {
            'action_id': ModelData.get_id(
                'momd_referral', 'report_referral_form'),
            'model': 'momd.referral',
            'id': referral.id,
            'ids': [referral.id],
            })
    assert ext == 'pdf', ext
    return content


def pdf_text(content):
    "The text of the PDF in reading order, as pdftotext -layout gives it"
    with tempfile.NamedTemporaryFile(suffix='.pdf') as pdf:
        pdf.write(content)
        pdf.flush()
        text = subprocess.run(
            ['pdftotext', '-enc', 'UTF-8', '-layout', pdf.name, '-'],
            check=True, capture_output=True, text=True).stdout
    return BIDI_MARKS.sub('', text)


def form_html(referral):
    "The HTML the form is printed from"
    pool = Pool()
    ReferralForm = pool.get('momd.referral.form', type='report')
    ActionReport = pool.get('ir.action.report')
    action, = ActionReport.search([
            ('report_name', '=', 'momd.referral.form')])
    records = ReferralForm._get_records(
        [referral.id], 'momd.referral', {})
    return ReferralForm.render(
        action, ReferralForm.get_context(records, {}, {}))


def statements(referral):
    """The text of the form's statements (legal basis), as written: marks
    of direction left out"""
    html = form_html(referral)
    return ' '.join(BIDI_MARKS.sub('', re.sub(r'\s+', ' ', p))
        for p in re.findall(r'<p class="statement">(.*?)</p>', html, re.S))


def sent_world():
    """A referral sent with identity, contact and needs disclosed, of a
    beneficiary with a document and a vulnerability not disclosed"""
    pool = Pool()
    Beneficiary = pool.get('momd.beneficiary')
    Need = pool.get('momd.need')
    Referral = pool.get('momd.referral')
    world = ReferralWorld()
    Beneficiary.write([world.beneficiary], {
            'first_name': 'خديجة',
            'father_name': 'حسن',
            'sex': 'female',
            'identifiers': [('create', [{
                            'type': 'national_id',
                            'number': '199087654321'}])],
            'vulnerabilities': ['chronic_illness'],
            })
    Need.write([world.need], {
            'description': "Lost the house deed when the village burned"})
    world.sent = world.referral()
    Referral.send([world.sent])
    return world


def guardian_world(groups=('identity', 'contact', 'needs'), **values):
    """A referral sent under the consent a parent or guardian gave for the
    beneficiary, sharing groups"""
    Referral = Pool().get('momd.referral')
    world = ReferralWorld(consent=False)
    world.consent = give_consent(world.beneficiary, groups=groups,
        given_by='guardian', guardian_name='حسن علي الجبوري', **values)
    world.sent = world.referral()
    Referral.send([world.sent])
    return world


class ReferralFormTestMixin:

    @with_transaction()
    def test_referral_form_english(self):
        "The form holds what was disclosed and nothing else"
        world = sent_world()
        referral = world.sent
        content = print_form(referral)
        self.assertTrue(content.startswith(b'%PDF'))
        text = pdf_text(content)
        self.assertIn('Inter-Agency Referral Form', text)
        self.assertIn(referral.code, text)
        self.assertIn('Provider A', text)
        self.assertIn('خديجة حسن علي الجبوري', text)
        self.assertIn('Lost the house deed when the village burned', text)
        self.assertIn('Needs help with the house deed', text)
        # documents and vulnerabilities, the two groups not disclosed, are
        # said so and their values are not there
        self.assertEqual(text.count('Not disclosed'), 2)
        self.assertRegex(text, r'Vulnerabilities +Not disclosed')
        self.assertNotIn('199087654321', text)
        self.assertNotIn('Unified National Card', text)
        self.assertNotIn('Chronic Illness', text)
        self.assertIn('Identity • Contact Details • Needs', text)
        self.assertIn(
            'The beneficiary gave informed consent on %s to share the '
            'information above'
            % world.consent.date.strftime('%m/%d/%Y'),
            re.sub(r'\s+', ' ', text))
        self.assertIn('Page 1 of 1', text)
        self.assertIn(
            'Confidential — do not copy or share beyond the service '
            'provider', text)

    @with_transaction()
    def test_referral_form_guardian_consent(self):
        """A consent given by a parent or guardian: the form names them and
        their relationship, not the beneficiary"""
        world = guardian_world(guardian_relationship='Father')
        self.assertEqual(world.sent.consent, world.consent)
        date = world.consent.date.strftime('%m/%d/%Y')
        self.assertIn(
            "The beneficiary's parent or guardian, حسن علي الجبوري (Father), "
            "gave informed consent on %s on the beneficiary's behalf to "
            "share the information above with this provider for this "
            "referral only." % date, statements(world.sent))
        # printed so (pdftotext gives the Arabic name out of its place)
        text = re.sub(r'\s+', ' ', pdf_text(print_form(world.sent)))
        for value in ["The beneficiary's parent or guardian,",
                'حسن علي الجبوري', 'Father)', "gave informed consent on %s on "
                "the beneficiary's behalf" % date]:
            with self.subTest(value=value):
                self.assertIn(value, text)
        self.assertNotIn('The beneficiary gave informed consent', text)

    @with_transaction()
    def test_referral_form_guardian_consent_unnamed(self):
        """Without the relationship recorded the guardian is named alone;
        without the identity disclosed, not named at all"""
        pool = Pool()
        Consent = pool.get('momd.consent')
        Referral = pool.get('momd.referral')
        world = guardian_world()
        self.assertIn(
            "The beneficiary's parent or guardian, حسن علي الجبوري, gave "
            "informed consent on %s on the beneficiary's behalf"
            % world.consent.date.strftime('%m/%d/%Y'), statements(world.sent))

        # the father's consent now covers the needs only
        world.consent.revocation_reason = "Replaced"
        world.consent.save()
        Consent.revoke([world.consent])
        Referral.write([world.sent], {'cancel_reason': "Replaced"})
        Referral.cancel([world.sent])
        consent = give_consent(world.beneficiary, groups=['needs'],
            given_by='guardian', guardian_name='حسن علي الجبوري',
            guardian_relationship='Father')
        referral = world.referral(disclosed_groups=['needs'])
        Referral.send([referral])
        self.assertEqual(referral.consent, consent)
        text = re.sub(r'\s+', ' ', pdf_text(print_form(referral)))
        self.assertIn(
            "A parent or guardian of the beneficiary gave informed consent "
            "on %s on the beneficiary's behalf" % consent.date.strftime(
                '%m/%d/%Y'), text)
        for value in ['حسن', 'Father', 'The beneficiary gave']:
            with self.subTest(value=value):
                self.assertNotIn(value, text)

    @with_transaction()
    def test_referral_form_consent_revoked(self):
        "Once the consent is revoked the form shows nothing of the person"
        Consent = Pool().get('momd.consent')
        world = sent_world()
        consent = world.consent
        consent.revocation_reason = "Changed her mind"
        consent.save()
        Consent.revoke([consent])
        text = pdf_text(print_form(world.sent))
        self.assertIn(world.sent.code, text)
        for value in ['خديجة', '07501112233', '7501112233',
                'Lost the house deed', 'Needs help with the house deed']:
            with self.subTest(value=value):
                self.assertNotIn(value, text)
        self.assertRegex(text, r'Name +Not disclosed')
        # identity (3), contact (2), needs, reason, documents, vulnerabilities
        self.assertEqual(text.count('Not disclosed'), 9)
        self.assertIn(
            "The provider's access to the beneficiary's information has "
            "ended", re.sub(r'\s+', ' ', text))

    @with_transaction()
    def test_referral_form_unshared_refused(self):
        "A draft or cancelled referral is not printed"
        Referral = Pool().get('momd.referral')
        world = ReferralWorld()
        draft = world.referral()
        with self.assertRaisesRegex(
                ReferralFormError, r'form of referral %s .*"Draft"' % draft.code):
            print_form(draft)
        Referral.write([draft], {'cancel_reason': "Beneficiary moved"})
        Referral.cancel([draft])
        with self.assertRaisesRegex(ReferralFormError, '"Cancelled"'):
            print_form(draft)

    @with_transaction()
    def test_referral_form_sop_exception(self):
        "Shared under the SOP exception: the form names who approved it"
        Referral = Pool().get('momd.referral')
        world = ReferralWorld(consent=False)
        referral = world.referral(
            legal_basis='sop_exception',
            exception_reason="Child at risk of immediate harm")
        Referral.send([referral])
        self.assertEqual(referral.state, 'to_approve')
        with self.assertRaisesRegex(ReferralFormError, '"To Approve"'):
            print_form(referral)
        with world.as_(world.supervisor):
            Referral.approve([Referral(referral.id)])
        text = re.sub(r'\s+', ' ', pdf_text(print_form(referral)))
        self.assertIn(
            "shared without the beneficiary's consent, under the SOP "
            "exception", text)
        self.assertIn('approved by sup.', text)
        self.assertNotIn('gave informed consent', text)
        self.assertIn('خالد حسن علي الجبوري', text)

    @with_transaction()
    def test_referral_form_focal_points(self):
        "The provider's focal point prints its referral, another cannot"
        AccessLog = Pool().get('momd.access.log')
        world = sent_world()
        with world.as_(world.alice):
            text = pdf_text(print_form(world.sent))
            self.assertIn('خديجة حسن علي الجبوري', text)
            self.assertIn(world.sent.code, text)
        # the print is a read of the referral like any other
        self.assertTrue(AccessLog.search([
                    ('user', '=', world.alice.id),
                    ('model', '=', 'momd.referral'),
                    ('record', '=', world.sent.id),
                    ]))
        with world.as_(world.bob):
            with self.assertRaises(AccessError):
                print_form(world.sent)
        # nor anyone outside the groups the form is printed for
        outsider = create_user('outsider')
        with Transaction().set_user(outsider.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                print_form(world.sent)


class ReferralFormArabicTestMixin:

    @with_transaction(context={'language': 'ar'})
    def test_referral_form_arabic(self):
        "In Arabic the form reads right to left, the name in its order"
        world = sent_world()
        html = form_html(world.sent)
        self.assertIn('dir="rtl"', html)
        self.assertIn('lang="ar"', html)
        text = pdf_text(print_form(world.sent))
        # shaped and laid out right to left, the words come back in the
        # order they are read (pdftotext -raw would give them reversed)
        self.assertIn('خديجة حسن علي الجبوري', text)
        self.assertNotIn('الجبوري علي حسن خديجة', text)
        self.assertIn(world.sent.code, text)
        # the sex, the priority and the groups disclosed in Arabic
        self.assertIn('أنثى', text)
        self.assertIn('عادية', text)
        self.assertIn('بيانات الهوية', text)
        self.assertNotIn('199087654321', text)

    @with_transaction(context={'language': 'ar'})
    def test_referral_form_guardian_consent_arabic(self):
        "In Arabic too the form names the guardian who gave the consent"
        world = guardian_world(guardian_relationship='الأب')
        self.assertIn(
            'أعطى أحد والدَي المستفيد أو الوصي عليه، حسن علي الجبوري '
            '(الأب)، موافقته المستنيرة بتاريخ', statements(world.sent))
        text = pdf_text(print_form(world.sent))
        self.assertIn('حسن علي الجبوري', text)
        self.assertIn('الأب', text)
        self.assertNotIn('أعطى المستفيد موافقته', text)
