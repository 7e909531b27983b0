"Tests of the escalation of unanswered referrals to the provider's contact."
import datetime as dt
import smtplib
from unittest.mock import patch
from urllib.parse import quote

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import ProviderValidationError
from .automation_tests import discard_emails, supervised_world
from .referral_tests import ReferralWorld
from .tools import queued_emails

CONTACT = 'head@provider-a.example'


class Mail:
    "A plain-text e-mail as the transaction will send it at commit"

    def __init__(self, msg):
        self.to = msg['To']
        self.subject = msg['Subject']
        self.language = msg['Content-Language']
        self.body = msg.get_body(('plain',)).get_content()


def mails(address=CONTACT):
    "The e-mails to address waiting for the commit, oldest first"
    return [Mail(msg) for msg in queued_emails()
        if address in (msg['To'] or '')]


def with_contact(provider, language='en'):
    "Give provider an escalation contact, written to in language"
    Provider = Pool().get('momd.provider')
    Provider.write([provider], {
            'escalation_name': "Layla Hassan",
            'escalation_email': CONTACT,
            'escalation_phone': '0770 123 4567',
            'language': language,
            })


def late_referral(world, **values):
    "A referral of world sent and not answered: (referral, its deadline)"
    Referral = Pool().get('momd.referral')
    referral = world.referral(**values)
    Referral.send([referral])
    referral = Referral(referral.id)
    if referral.state == 'to_approve':
        Referral.approve([referral])
        referral = Referral(referral.id)
    return referral, referral.acknowledge_before


class ProviderEscalationTestMixin:

    def assertNoPersonalData(self, world, mail):
        for private in [world.beneficiary.first_name,
                world.beneficiary.family_name, '7501112233',
                "Needs help with the house deed"]:
            self.assertNotIn(private, mail.body)
            self.assertNotIn(private, mail.subject)

    @with_transaction()
    def test_provider_escalation_once_per_level(self):
        """The provider's escalation contact is written to once at each
        level the unanswered referral reaches, not again at the next run"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Email = pool.get('ir.email')
        world = supervised_world()
        with_contact(world.provider_a)
        referral, deadline = late_referral(world)
        self.assertEqual(referral.state, 'sent')

        self.assertEqual(
            Referral.escalate(deadline - dt.timedelta(hours=1)), [])
        self.assertEqual(mails(), [])

        self.assertEqual(
            Referral.escalate(deadline + dt.timedelta(minutes=30)),
            [referral])
        first, = mails()
        self.assertEqual(first.to, 'Layla Hassan <%s>' % CONTACT)
        self.assertEqual(first.language, 'en')
        self.assertEqual(first.subject,
            'Referral %s is overdue by less than 2 hours' % referral.code)
        self.assertIn('Dear Layla Hassan,', first.body)
        self.assertIn(
            'Referral %s, sent to Provider A, has not been accepted or '
            'declined' % referral.code, first.body)
        self.assertIn('level 1 of', first.body)
        self.assertIn(
            'Service: %s' % referral.category.rec_name, first.body)
        self.assertIn('#%s/model/momd.referral/%d' % (
                quote(Transaction().database.name), referral.id), first.body)
        self.assertNoPersonalData(world, first)

        # the next hourly runs at the same level: nothing more
        for hours in [1, 2, 23]:
            Referral.escalate(deadline + dt.timedelta(hours=hours))
        self.assertEqual(len(mails()), 1)

        # the supervisor's level, then the manager's: once each
        Referral.escalate(deadline + dt.timedelta(hours=25))
        Referral.escalate(deadline + dt.timedelta(hours=26))
        self.assertEqual(len(mails()), 2)
        second = mails()[1]
        self.assertEqual(second.subject,
            'Referral %s is overdue by 25 hours' % referral.code)
        self.assertIn('level 2 of', second.body)
        Referral.escalate(deadline + dt.timedelta(hours=73))
        Referral.escalate(deadline + dt.timedelta(hours=74))
        self.assertEqual(
            [m.subject for m in mails()[2:]],
            ['Referral %s is overdue by 3 days' % referral.code])
        self.assertIn('level 3 of', mails()[2].body)
        # each kept on the referral
        self.assertEqual(len(Email.search([
                        ('resource', '=', str(referral)),
                        ('recipients', 'like', '%' + CONTACT + '%')])), 3)
        discard_emails()

    @with_transaction()
    def test_provider_escalation_only_unanswered(self):
        """An accepted referral late on completion climbs the ministry's
        chain only; a provider without contact address is not e-mailed"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        world = supervised_world()
        with_contact(world.provider_a)
        referral, _ = late_referral(world)
        with world.as_(world.alice):
            Referral.accept([Referral(referral.id)])
        referral = Referral(referral.id)
        late = referral.complete_before + dt.timedelta(hours=1)
        self.assertEqual(Referral.escalate(late), [referral])
        self.assertEqual(Referral(referral.id).escalation_level, 1)
        self.assertEqual(mails(), [])

        # a number only: no e-mail
        pool.get('momd.provider').write([world.provider_b], {
                'escalation_phone': '0750 123 4567'})
        other, deadline = late_referral(world, provider=world.provider_b)
        self.assertEqual(
            Referral.escalate(deadline + dt.timedelta(hours=1)), [other])
        self.assertEqual(Referral(other.id).escalated_to, 'caseworker')
        self.assertEqual(mails(), [])
        discard_emails()

    @with_transaction()
    def test_provider_escalation_restricted_category(self):
        "The category of a restricted referral is not named"
        pool = Pool()
        Referral = pool.get('momd.referral')
        world = ReferralWorld(need_code='protection.gbv', sensitive=True)
        with_contact(world.provider_a)
        referral, deadline = late_referral(world)
        self.assertTrue(referral.restricted)
        self.assertEqual(referral.state, 'sent')
        Referral.escalate(deadline + dt.timedelta(hours=3))
        mail, = mails()
        self.assertEqual(mail.subject,
            'Referral %s is overdue by 3 hours' % referral.code)
        self.assertNotIn('Service:', mail.body)
        for name in [referral.category.rec_name, referral.category.name_en,
                'GBV', 'Gender']:
            self.assertNotIn(name, mail.body)
        self.assertIn('/model/momd.referral/%d' % referral.id, mail.body)
        self.assertNoPersonalData(world, mail)
        discard_emails()

    @with_transaction()
    def test_provider_escalation_contact_bad_input(self):
        """An address or a number no message could reach is refused, naming
        the field (the system test checks that nothing is written); a
        mobile is stored in international form"""
        pool = Pool()
        Provider = pool.get('momd.provider')
        world = supervised_world()
        provider = world.provider_a
        with_contact(provider)
        self.assertEqual(provider.escalation_phone, '+9647701234567')
        for field, value, label in [
                ('escalation_email', 'head at provider', 'Escalation E-mail'),
                ('escalation_email', 'Layla <head@provider-a.example>',
                    'Escalation E-mail'),
                ('escalation_email', 'a@b.example, c@d.example',
                    'Escalation E-mail'),
                ('escalation_email', 'head@localhost', 'Escalation E-mail'),
                ('escalation_phone', '0770 123', 'Escalation Phone'),
                ]:
            with self.subTest(value=value):
                with_contact(provider)
                with self.assertRaisesRegex(
                        ProviderValidationError,
                        '"%s" "%s" of "Provider A"' % (label, value)):
                    Provider.write([provider], {field: value})
        with_contact(provider)
        # emptied, nobody is written to
        Provider.write([provider], {'escalation_email': None})
        self.assertIsNone(Provider(provider.id).escalation_email)

    @with_transaction()
    def test_provider_escalation_mail_server_down(self):
        """A mail server that cannot be reached fails no step: the
        escalation is made, its e-mail waits in the mail queue with the
        error and goes out when the server is back"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Mail = pool.get('momd.mail')
        world = supervised_world()
        with_contact(world.provider_a)
        referral, deadline = late_referral(world)
        self.assertEqual(
            Referral.escalate(deadline + dt.timedelta(hours=1)), [referral])
        self.assertEqual(Referral(referral.id).escalation_level, 1)
        self.assertEqual(len(mails()), 1)
        mail, = Mail.search([('to', 'like', '%' + CONTACT + '%')])
        self.assertEqual((mail.state, mail.attempts), ('queued', 0))
        # if the queue does not send it, the schedule will
        self.assertIsNotNone(mail.next_attempt)

        refused = ConnectionRefusedError(111, 'Connection refused')
        with patch.object(smtplib, 'SMTP', side_effect=refused) as smtp:
            Mail.send([mail])
        self.assertTrue(smtp.called)
        mail = Mail(mail.id)
        self.assertEqual((mail.state, mail.attempts), ('queued', 1))
        self.assertIn('Connection refused', mail.last_error)
        self.assertGreater(mail.next_attempt, dt.datetime.now())
        # not due yet: the schedule leaves it
        Mail.retry_due()
        self.assertEqual(Mail(mail.id).attempts, 1)

        # the server is back: the next attempt sends it
        Mail.write([mail], {'next_attempt': dt.datetime.now()})
        with patch.object(smtplib, 'SMTP') as smtp:
            Mail.retry_due()
        sent, = [c.args[0] for c in
            smtp.return_value.send_message.call_args_list]
        self.assertIn(CONTACT, sent['To'])
        mail = Mail(mail.id)
        self.assertEqual((mail.state, mail.attempts, mail.last_error),
            ('sent', 2, None))
        discard_emails()


class ProviderEscalationArabicTestMixin:

    @with_transaction()
    def test_provider_escalation_in_arabic(self):
        """A provider who speaks Arabic is written to in Arabic, the
        category by its Arabic name; errors of its contact in Arabic"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Category = pool.get('momd.service.category')
        Provider = pool.get('momd.provider')
        world = supervised_world()
        with_contact(world.provider_a, language='ar')
        Provider.write([world.provider_a], {'name_ar': 'منظمة ألف'})
        referral, deadline = late_referral(world)
        category = Category(referral.category.id)
        Referral.escalate(deadline + dt.timedelta(hours=50))
        mail, = mails()
        self.assertEqual(mail.language, 'ar')
        self.assertEqual(
            mail.subject, 'الإحالة %s متأخرة بمقدار 2 يوم' % referral.code)
        self.assertIn('الإحالة %s المرسلة إلى منظمة ألف' % referral.code,
            mail.body)
        self.assertIn('الخدمة: %s' % category.name_ar, mail.body)
        self.assertNotIn(category.name_en, mail.body)
        self.assertIn('/model/momd.referral/%d' % referral.id, mail.body)
        discard_emails()

        with Transaction().set_context(language='ar'), \
                self.assertRaisesRegex(ProviderValidationError,
                    '"البريد الإلكتروني للتصعيد" "head@" لـ "منظمة ألف" '
                    'ليس عنوان بريد إلكتروني صالحاً'):
            Provider.write([world.provider_a], {'escalation_email': 'head@'})
