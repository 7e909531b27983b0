"""A provider without an account answers a referral through the link sent
to its intake address: tests mixed into the module test case, each told
as what the people involved do."""
import datetime as dt
import re

from trytond.model.exceptions import AccessError, DomainValidationError
from trytond.model.modelview import AccessButtonError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..answer_page.page import answer
from ..exceptions import AnswerLinkError
from .referral_tests import ReferralWorld, give_consent
from .registry_tests import office
from .tools import create_user, queued_emails

INTAKE = 'intake@provider-a.example'
LINK = re.compile(r'https?://\S+/momd/answer/(\S+)')


def link_mails(address=INTAKE):
    "The e-mails of answer links to address waiting for the commit"
    return [msg for msg in queued_emails()
        if msg['To'] == address and LINK.search(
            msg.get_body(('plain',)).get_content())]


def token_of(msg):
    return LINK.search(msg.get_body(('plain',)).get_content()).group(1)


class LinkWorld(ReferralWorld):
    """A referral world whose Provider A takes referrals at an intake
    address (in English), Provider B has none"""

    def __init__(self, language='en'):
        Provider = Pool().get('momd.provider')
        super().__init__()
        Provider.write([self.provider_a], {
                'intake_email': INTAKE, 'language': language})
        self.need.description = "Lost the house deed in Sinjar"
        self.need.save()

    def sent(self, provider=None):
        "A referral sent, and the token of the link e-mailed for it"
        Referral = Pool().get('momd.referral')
        referral = self.referral(provider=provider)
        Referral.send([referral])
        mails = link_mails()
        return referral, (token_of(mails[-1]) if mails else None)

    def page(self, token, method='GET', address='192.0.2.7', **form):
        """(status, html) of the link's page, opened from address, as the
        route serves it: as the system"""
        with Transaction().set_user(0), Transaction().set_context(
                _request={'remote_addr': address}, _check_access=False):
            return answer(Pool(), token, method, form.pop('args', {}), form,
                address)


def nonce(html):
    return re.search(r'name="nonce" value="([0-9a-f]+)"', html).group(1)


class AnswerLinkTestMixin:

    @with_transaction()
    def test_answer_link_issued_on_send(self):
        """A referral sent to a provider with an intake address gets a
        link e-mailed there in the provider's language, with the number
        and the link only; one to a provider without gets none"""
        pool = Pool()
        Link = pool.get('momd.referral.link')
        world = LinkWorld()
        referral, token = world.sent()
        link, = Link.search([('referral', '=', referral.id)])
        self.assertEqual((link.state, link.recipient, link.language),
            ('active', INTAKE, 'en'))
        days = (link.expiry - dt.datetime.now()).total_seconds() / 86400
        self.assertTrue(29.9 < days <= 30, days)
        msg, = link_mails()
        body = msg.get_body(('plain',)).get_content()
        self.assertEqual(msg['Content-Language'], 'en')
        self.assertIn(referral.code, msg['Subject'])
        self.assertIn("waiting for your answer", msg['Subject'])
        self.assertIn('/momd/answer/' + token, body)
        # the HTML part: the same text, the link clickable
        page = msg.get_body(('html',)).get_content()
        self.assertIn('dir="ltr"', page)
        self.assertIn('<a href="http', page)
        self.assertIn(token + '">', page)
        for personal in [world.beneficiary.full_name, "house deed"]:
            self.assertNotIn(personal, page)
        # (the token is random letters: a short name could be in it)
        body = LINK.sub('<link>', body)
        for personal in [world.beneficiary.full_name, '7501112233',
                "house deed", world.caseworker.name, "Sinjar"]:
            self.assertNotIn(personal, body)
            self.assertNotIn(personal, msg['Subject'])
        # only a digest of the token is kept
        self.assertNotEqual(link.token_hash, token)
        self.assertNotIn(token, repr(Link.read([link.id], list(
                        Link._fields))))
        other = world.referral(provider=world.provider_b)
        pool.get('momd.referral').send([other])
        self.assertEqual(Link.search([('referral', '=', other.id)]), [])

    @with_transaction()
    def test_answer_link_signature(self):
        """Only a token the database signed and issued opens a link; the
        signature is checked before any link is looked for"""
        Link = Pool().get('momd.referral.link')
        world = LinkWorld()
        referral, token = world.sent()
        link, = Link.search([('referral', '=', referral.id)])
        self.assertEqual(Link.from_token(token), link)
        nonce_, signature = token.split('.')
        forged = [
            nonce_ + '.' + signature[:-1] + ('A' if signature[-1] != 'A'
                else 'B'),
            # (another first letter than the token's own)
            ('x' if token[0] != 'x' else 'y') + token[1:],
            nonce_,
            Link.new_token(),  # signed but never issued
            '',
            token + '.' + signature,
            ]
        for other in forged:
            with self.subTest(token=other):
                self.assertIsNone(Link.from_token(other))
                status, html = world.page(other)
                self.assertEqual(status, 404)
                self.assertNotIn(referral.code, html)
                self.assertIn("This link does not work", html)
                self.assertIn('lang="ar"', html)
                self.assertIn('lang="kmr"', html)

    @with_transaction()
    def test_answer_link_expiry(self):
        "A link past its expiry gets the clear page, and the daily task ends it"
        pool = Pool()
        Link = pool.get('momd.referral.link')
        Configuration = pool.get('momd.configuration')
        config = Configuration(1)
        config.answer_link_days = 3
        config.save()
        world = LinkWorld()
        referral, token = world.sent()
        link, = Link.search([('referral', '=', referral.id)])
        days = (link.expiry - dt.datetime.now()).total_seconds() / 86400
        self.assertTrue(2.9 < days <= 3, days)
        self.assertEqual(world.page(token)[0], 200)
        table = Link.__table__()
        Transaction().connection.cursor().execute(*table.update(
                [table.expiry], [dt.datetime.now() - dt.timedelta(minutes=1)],
                where=table.id == link.id))
        for cache in Transaction().cache.values():
            cache.clear()
        link = Link(link.id)
        self.assertEqual(link.dead_reason(), 'expired')
        Link.end_dead()
        self.assertEqual(Link(link.id).state, 'ended')
        status, html = world.page(token)
        self.assertEqual(status, 410)
        self.assertNotIn(referral.code, html)
        with self.assertRaises(DomainValidationError):
            config.answer_link_days = 0
            config.save()

    @with_transaction()
    def test_answer_link_dies(self):
        """The link ends when the referral ends, when its consent is
        revoked, when the provider's agreement expires, and when the
        caseworker revokes it (with a reason)"""
        pool = Pool()
        Link = pool.get('momd.referral.link')
        Referral = pool.get('momd.referral')
        Consent = pool.get('momd.consent')
        Provider = pool.get('momd.provider')
        Date = pool.get('ir.date')
        world = LinkWorld()

        def link_of(referral):
            link, = Link.search([('referral', '=', referral.id)],
                order=[('id', 'DESC')], limit=1)
            return link

        # the end states
        referral, token = world.sent()
        with world.as_(world.caseworker):
            Referral.write([referral], {'cancel_reason': "Moved to Erbil"})
            Referral.cancel([referral])
        self.assertEqual(link_of(referral).state, 'ended')
        self.assertEqual(world.page(token)[0], 410)

        # the caseworker revokes, with a reason
        referral, token = world.sent()
        with world.as_(world.caseworker):
            with self.assertRaises(AnswerLinkError) as refusal:
                Referral.revoke_answer_link([referral])
            self.assertIn(referral.code, refusal.exception.message)
            self.assertEqual(link_of(referral).state, 'active')
            Referral.write([referral],
                {'link_revoke_reason': "Sent to the wrong address"})
            Referral.revoke_answer_link([referral])
        link = link_of(referral)
        self.assertEqual(
            (link.state, link.revoked_by, link.revoke_reason),
            ('revoked', world.caseworker, "Sent to the wrong address"))
        self.assertEqual(world.page(token)[0], 410)
        # and sends a new one: it works, the old one does not
        with world.as_(world.caseworker):
            Referral.send_answer_link([referral])
        new_token = token_of(link_mails()[-1])
        self.assertNotEqual(new_token, token)
        self.assertEqual(world.page(new_token)[0], 200)
        with world.as_(world.caseworker):
            Referral.send_answer_link([referral])
        self.assertEqual(world.page(new_token)[0], 410)
        self.assertEqual(
            Link.search([('referral', '=', referral.id),
                    ('state', '=', 'active')], count=True), 1)

        # the consent revoked
        token = token_of(link_mails()[-1])
        self.assertEqual(world.page(token)[0], 200)
        world.consent.revocation_reason = "Changed her mind"
        world.consent.save()
        Consent.revoke([world.consent])
        self.assertEqual(link_of(referral).state, 'ended')
        status, html = world.page(token)
        self.assertEqual(status, 410)
        self.assertNotIn(world.beneficiary.full_name, html)

        # the provider's agreement expired
        with world.as_(world.caseworker):
            Referral.write([referral], {'cancel_reason': "Sent again"})
            Referral.cancel([referral])
        world.consent = give_consent(world.beneficiary)
        referral, token = world.sent()
        self.assertEqual(world.page(token)[0], 200)
        Provider.write([world.provider_a],
            {'agreement_expiry': Date.today()})
        status, html = world.page(token)
        self.assertEqual(status, 410)
        self.assertNotIn(world.beneficiary.full_name, html)
        self.assertEqual(link_of(referral).state, 'ended')

    @with_transaction()
    def test_answer_link_revoke_refused(self):
        """Neither the provider's focal point nor a caseworker of another
        office revokes or sends a link"""
        pool = Pool()
        Link = pool.get('momd.referral.link')
        Referral = pool.get('momd.referral')
        world = LinkWorld()
        referral, token = world.sent()
        other = create_user('cw_other', groups=['group_caseworker'],
            offices=[office('MSL')])
        with world.as_(world.alice):
            for button in ['revoke_answer_link', 'send_answer_link']:
                with self.subTest(user='alice', button=button), \
                        self.assertRaises(AccessButtonError):
                    getattr(Referral, button)([Referral(referral.id)])
            with self.assertRaises(AccessError):
                Referral.write([Referral(referral.id)],
                    {'link_revoke_reason': "No"})
        link, = Link.search([('referral', '=', referral.id)])
        with world.as_(other):
            for button in ['revoke_answer_link', 'send_answer_link']:
                with self.subTest(user='other office', button=button), \
                        self.assertRaises(AccessError):
                    getattr(Referral, button)([Referral(referral.id)])
            self.assertEqual(Link.search([]), [])
            # nor reads or exports the link of another office's referral
            with self.assertRaises(AccessError):
                Link.read([link.id], ['recipient'])
            with self.assertRaises(AccessError):
                Link.export_data([Link(link.id)], ['recipient'])
        with world.as_(world.caseworker):
            self.assertEqual(
                Link.export_data([Link(link.id)], ['recipient', 'state']),
                [[INTAKE, 'active']])
        self.assertEqual(link.state, 'active')
        self.assertEqual(world.page(token)[0], 200)

    @with_transaction()
    def test_answer_link_token_hidden(self):
        """No client reads the token's digest nor the key that signs the
        links, nor creates or changes a link"""
        pool = Pool()
        Link = pool.get('momd.referral.link')
        Key = pool.get('momd.referral.link.key')
        world = LinkWorld()
        referral, token = world.sent()
        admin = create_user('admin2', groups=['group_admin'])
        for user in [world.caseworker, admin]:
            with world.as_(user):
                link, = Link.search([('referral', '=', referral.id)])
                self.assertEqual(link.recipient, INTAKE)
                with self.subTest(user=user.login), \
                        self.assertRaises(AccessError):
                    Link.read([link.id], ['token_hash'])
                with self.subTest(user=user.login), \
                        self.assertRaises(AccessError):
                    Key.search([])
                with self.subTest(user=user.login), \
                        self.assertRaises(AccessError):
                    Link.search([('token_hash', '!=', None)])
        for method in ['create', 'write', 'delete', 'copy']:
            self.assertNotIn(method, Link.__rpc__)
        self.assertEqual(Key.__rpc__, {})
        self.assertNotIn(Key.secret().decode(), repr(
                Link.read([l.id for l in Link.search([])],
                    list(Link._fields))))
        self.assertIn('read', Link.__rpc__)

    @with_transaction()
    def test_answer_link_page_answers(self):
        """The provider opens the page (what was disclosed only), declines
        without a reason (refused, nothing written), accepts, completes
        with an outcome; every open and answer is in the trail; the
        referral shows it was answered through the link; then the link
        is dead"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Link = pool.get('momd.referral.link')
        Log = pool.get('momd.access.log')
        world = LinkWorld()
        referral, token = world.sent()
        status, html = world.page(token)
        self.assertEqual(status, 200)
        self.assertIn('lang="en" dir="ltr"', html)
        for shown in [referral.code, world.beneficiary.full_name,
                "house deed", "Needs help with the house deed"]:
            self.assertIn(shown, html)
        # documents and vulnerabilities were not disclosed
        self.assertNotIn('Identity Documents', html)
        self.assertIn('value="accept"', html)
        self.assertIn('value="decline"', html)
        self.assertNotIn('value="complete"', html)
        status, arabic = world.page(token, args={'lang': 'ar'})
        self.assertIn('dir="rtl"', arabic)

        # decline without a reason: refused, nothing written
        status, html = world.page(token, 'POST', step='decline',
            nonce=nonce(html), decline_note="Full this month")
        self.assertEqual(status, 200)
        self.assertIn("was not recorded", html)
        self.assertIn("Decline Reason", html)
        referral = Referral(referral.id)
        self.assertEqual((referral.state, referral.decline_note),
            ('sent', None))
        # a forged nonce: refused
        status, html = world.page(token, 'POST', step='accept',
            nonce='0' * 64)
        self.assertIn("changed since this page was opened", html)
        self.assertEqual(Referral(referral.id).state, 'sent')

        status, html = world.page(token)
        status, html = world.page(token, 'POST', step='accept',
            nonce=nonce(html))
        self.assertIn("The referral is now", html)
        referral = Referral(referral.id)
        self.assertEqual(referral.state, 'accepted')
        self.assertTrue(referral.answered_through_link)
        # the page shown before accepting no longer takes a form
        self.assertNotIn('value="accept"', html)
        self.assertIn('value="complete"', html)
        status, html = world.page(token, 'POST', step='complete',
            nonce=nonce(html), outcome='provided',
            outcome_feedback="Deed copy issued")
        self.assertEqual(status, 200)
        self.assertIn("This link has now ended", html)
        referral = Referral(referral.id)
        self.assertEqual((referral.state, referral.outcome,
                referral.outcome_feedback),
            ('completed', 'provided', "Deed copy issued"))
        link, = Link.search([('referral', '=', referral.id)])
        self.assertEqual((link.state, link.steps),
            ('ended', ('accept', 'complete')))
        status, html = world.page(token)
        self.assertEqual(status, 410)
        self.assertNotIn(world.beneficiary.full_name, html)
        # the referral's answers: through the link, said by its recipient
        self.assertEqual(
            [(a.step, a.via, a.contact_name, a.recorded_by)
                for a in referral.answers],
            [('accept', 'link', INTAKE, None),
                ('complete', 'link', INTAKE, None)])
        self.assertFalse(referral.answered_by_staff)

        lines = Log.search([('answer_link', '=', link.id)],
            order=[('id', 'ASC')])
        self.assertEqual(
            [(l.action, l.operation) for l in lines], [
                ('read', None), ('read', None),
                ('denied', 'decline'), ('denied', 'accept'),
                ('read', None), ('write', 'accept'),
                ('write', 'complete'), ('denied', 'answer_link')])
        for line in lines:
            self.assertEqual((line.recipient, line.ip_address, line.model,
                    line.record, line.user),
                (INTAKE, '192.0.2.7', 'momd.referral', referral.id, None))
        # the caseworker is told as when a focal point answers
        with world.as_(world.caseworker):
            self.assertEqual(Referral(referral.id).state, 'completed')

    @with_transaction()
    def test_answer_link_rate_limit(self):
        """An address that opened too many wrong links is told to wait,
        even with a right one, and nothing of the referral is shown; other
        addresses are not"""
        from ..answer_page import page
        world = LinkWorld()
        referral, token = world.sent()
        page._failures.clear()
        try:
            for _ in range(page.MAX_FAILURES):
                self.assertEqual(
                    world.page('x' + token[1:], address='198.51.100.9')[0],
                    404)
            status, html = world.page(token, address='198.51.100.9')
            self.assertEqual(status, 429)
            self.assertNotIn(referral.code, html)
            self.assertIn("Too many wrong links", html)
            self.assertEqual(world.page(token)[0], 200)
        finally:
            page._failures.clear()
