"""Tests of the SMS to providers through the outbox: the answer link to the
intake phone, the escalation to the escalation phone."""
import datetime as dt

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from ..exceptions import AnswerLinkError
from ..gateways import sms_parts
from .answer_link_tests import INTAKE, LINK, LinkWorld, link_mails
from .automation_tests import discard_emails, run_tasks, supervised_world
from .outbox_tests import closed_port, configure, file_outbox, lines
from .provider_escalation_tests import late_referral, with_contact
from .referral_tests import ReferralWorld

INTAKE_PHONE = '0750 999 8877'


def provider_messages(referral, kind):
    Message = Pool().get('momd.outbox.message')
    return Message.search([
            ('referral', '=', referral.id), ('kind', '=', kind)],
        order=[('id', 'ASC')])


def set_intake(provider, **values):
    Provider = Pool().get('momd.provider')
    Provider.write([provider], values)
    return Provider(provider.id)


class ProviderSMSTestMixin:

    def assertNoPersonalText(self, world, text):
        # the link's token is random letters: a short name could be
        # found in it by chance
        text = LINK.sub('<link>', text)
        for private in [world.beneficiary.first_name,
                world.beneficiary.family_name, '7501112233',
                "house deed", "Sinjar", world.caseworker.name]:
            self.assertNotIn(private, text)

    @with_transaction()
    def test_provider_sms_answer_link_phone_only(self):
        """A provider with an intake phone and no intake address gets the
        link by SMS only, in English when that is its language; a provider
        with neither gets no link, and sending one is refused"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Link = pool.get('momd.referral.link')
        world = ReferralWorld()
        provider = set_intake(world.provider_a,
            intake_phone=INTAKE_PHONE, language='en')
        file_outbox(self)
        referral = world.referral()
        Referral.send([referral])
        link, = Link.search([('referral', '=', referral.id)])
        self.assertEqual(link.recipient, provider.intake_phone)
        self.assertEqual(link_mails(provider.intake_phone), [])
        message, = provider_messages(referral, 'answer_link')
        self.assertEqual(message.language, 'en')
        self.assertTrue(message.text.startswith(
                'Ministry of Migration and Displaced: referral %s is '
                'waiting for your answer.' % referral.code), message.text)
        self.assertEqual(message.encoding, 'gsm7')
        token = LINK.search(message.text).group(1)
        self.assertEqual(Link.from_token(token), link)

        other = world.referral(provider=world.provider_b)
        Referral.send([other])
        self.assertEqual(Link.search([('referral', '=', other.id)]), [])
        self.assertEqual(provider_messages(other, 'answer_link'), [])
        with self.assertRaises(AnswerLinkError) as raised:
            Referral.send_answer_link([Referral(other.id)])
        self.assertIn("intake e-mail address or phone",
            str(raised.exception))
        self.assertIn(world.provider_b.rec_name, str(raised.exception))

    @with_transaction()
    def test_provider_sms_answer_link_without_phone_or_gateway(self):
        """No SMS to a provider without an intake phone; none either when
        no gateway is configured (the e-mail still goes)"""
        Message = Pool().get('momd.outbox.message')
        world = LinkWorld()
        file_outbox(self)
        referral, token = world.sent()
        self.assertTrue(token)
        self.assertEqual(provider_messages(referral, 'answer_link'), [])

        set_intake(world.provider_b, intake_email=INTAKE,
            intake_phone=INTAKE_PHONE)
        configure(outbox_gateway=None)
        _, token = world.sent(provider=world.provider_b)
        self.assertTrue(token)
        self.assertEqual(len(link_mails()), 2)
        self.assertEqual(Message.search([]), [])
        discard_emails()

    @with_transaction()
    def test_provider_sms_failing_gateway(self):
        """A gateway that is down does not fail the sending of the
        referral: the SMS waits to be tried again"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        world = LinkWorld()
        set_intake(world.provider_a, intake_phone=INTAKE_PHONE)
        configure(outbox_gateway='http',
            outbox_url='http://127.0.0.1:%d/send?to={to}&text={text}'
            % closed_port())
        referral, token = world.sent()
        run_tasks()
        self.assertEqual(Referral(referral.id).state, 'sent')
        message, = provider_messages(referral, 'answer_link')
        self.assertEqual((message.state, message.attempts), ('queued', 1))
        self.assertTrue(message.last_error)
        self.assertTrue(message.next_attempt)
        discard_emails()

    @with_transaction()
    def test_provider_sms_escalation_once_per_level(self):
        """The provider's escalation phone gets an SMS at each level the
        unanswered referral reaches, in the provider's language, with the
        number, how late and the link; not again at the next run"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Message = pool.get('momd.outbox.message')
        Provider = pool.get('momd.provider')
        world = supervised_world()
        with_contact(world.provider_a, language='en')
        provider = Provider(world.provider_a.id)
        path = file_outbox(self)
        referral, deadline = late_referral(world)
        self.assertEqual(
            provider_messages(referral, 'provider_escalation'), [])

        Referral.escalate(deadline + dt.timedelta(minutes=30))
        for hours in [1, 2, 23]:
            Referral.escalate(deadline + dt.timedelta(hours=hours))
        first, = provider_messages(referral, 'provider_escalation')
        self.assertEqual((first.provider, first.recipient, first.language,
                first.channel),
            (provider, provider.escalation_phone, 'en', 'sms'))
        self.assertIsNone(first.beneficiary)
        self.assertIn(
            'Referral %s is overdue by less than 2 hours' % referral.code,
            first.text)
        self.assertIn('/model/momd.referral/%d' % referral.id, first.text)
        self.assertNoPersonalText(world, first.text)
        self.assertNotIn(referral.category.rec_name, first.text)

        Referral.escalate(deadline + dt.timedelta(hours=25))
        Referral.escalate(deadline + dt.timedelta(hours=26))
        _, second = provider_messages(referral, 'provider_escalation')
        self.assertIn('overdue by 25 hours', second.text)
        run_tasks()
        self.assertEqual(
            [(l['kind'], l['to']) for l in lines(path)
                if l['kind'] == 'provider_escalation'],
            [('provider_escalation', provider.escalation_phone)] * 2)
        with world.as_(world.alice):
            with self.assertRaises(AccessError):
                Message.read([first.id], ['text'])

        # the contact answers the SMS: kept as the provider's, about the
        # referral, for the office's staff
        reply = Message.receive('0770 123 4567', "We are on it")
        self.assertEqual((reply.direction, reply.kind, reply.provider,
                reply.referral, reply.beneficiary, reply.office),
            ('in', 'reply', provider, referral, None, referral.office))
        with world.as_(world.caseworker):
            self.assertIn(reply, Message.search([('kind', '=', 'reply')]))
        discard_emails()


class ProviderSMSArabicTestMixin:
    "The SMS to providers writing in Arabic (Arabic loaded)"

    assertNoPersonalText = ProviderSMSTestMixin.assertNoPersonalText

    @with_transaction()
    def test_provider_sms_answer_link(self):
        """A provider with an intake phone also gets the answer link by
        SMS, in its language, through the file gateway: the number and
        the link, nothing of the person; sending it again sends a new
        one; the provider's focal point cannot read these messages, the
        office's caseworker can"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Message = pool.get('momd.outbox.message')
        Link = pool.get('momd.referral.link')
        world = LinkWorld(language='ar')
        provider = set_intake(world.provider_a, intake_phone=INTAKE_PHONE)
        path = file_outbox(self)
        referral, token = world.sent()
        self.assertTrue(token)
        message, = provider_messages(referral, 'answer_link')
        self.assertEqual(message.provider, provider)
        self.assertIsNone(message.beneficiary)
        self.assertEqual(message.recipient, provider.intake_phone)
        self.assertEqual(message.channel, 'sms')
        self.assertEqual(message.language, 'ar')
        self.assertEqual(message.state, 'queued')
        self.assertIn(referral.code, message.text)
        self.assertEqual(LINK.search(message.text).group(1),
            token)
        self.assertIn('وزارة الهجرة والمهجرين', message.text)
        self.assertEqual((message.encoding, message.parts),
            sms_parts(message.text))
        self.assertEqual(message.encoding, 'ucs2')
        self.assertGreater(message.parts, 1)
        self.assertNoPersonalText(world, message.text)
        # the e-mail goes as before
        self.assertEqual(len(link_mails()), 1)

        run_tasks()
        line, = lines(path)
        self.assertEqual(Message(message.id).state, 'sent')
        self.assertEqual((line['to'], line['kind'], line['language']),
            (provider.intake_phone, 'answer_link', 'ar'))
        self.assertEqual(line['text'], message.text)

        with world.as_(world.caseworker):
            self.assertEqual(Message.search(
                    [('kind', '=', 'answer_link')]), [message])
        with world.as_(world.alice):
            with self.assertRaises(AccessError):
                Message.search([])
            with self.assertRaises(AccessError):
                Message.read([message.id], ['text'])

        # sent again by the caseworker: a new link, a new SMS with it
        with world.as_(world.caseworker):
            Referral.send_answer_link([Referral(referral.id)])
        first, second = provider_messages(referral, 'answer_link')
        self.assertEqual(second.text.count('/momd/answer/'), 1)
        self.assertNotEqual(
            LINK.search(second.text).group(1), LINK.search(
                first.text).group(1))
        self.assertEqual(len(Link.search([
                        ('referral', '=', referral.id),
                        ('state', '=', 'active')])), 1)
        discard_emails()

    @with_transaction()
    def test_provider_sms_escalation_in_arabic_without_phone(self):
        """In Arabic for an Arabic-speaking provider; none to a provider
        with an escalation address but no phone"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Provider = pool.get('momd.provider')
        world = supervised_world()
        with_contact(world.provider_a, language='ar')
        file_outbox(self)
        referral, deadline = late_referral(world)
        Referral.escalate(deadline + dt.timedelta(minutes=30))
        message, = provider_messages(referral, 'provider_escalation')
        self.assertEqual((message.language, message.encoding),
            ('ar', 'ucs2'))
        self.assertIn(referral.code, message.text)
        self.assertIn('الإحالة', message.text)

        Provider.write([world.provider_b], {
                'escalation_email': 'head@provider-b.example',
                'language': 'ar'})
        other, deadline = late_referral(world, provider=world.provider_b)
        self.assertEqual(other.state, 'sent')
        Referral.escalate(deadline + dt.timedelta(minutes=30))
        self.assertEqual(provider_messages(other, 'provider_escalation'), [])
        discard_emails()
