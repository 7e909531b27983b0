"""Answering without an account: the single-referral answer link.

When a referral is sent to a provider with an intake e-mail address, the
provider receives a link to a page (answer_page/) where whoever reads that
address sees what was disclosed of the referral and accepts, declines,
starts or completes it, without a login. The link carries a random token
signed with a secret of the database; only a digest of the token is
stored, so nobody, the ministry's administrators included, can read a
working link back. A link works until it expires and only while the
referral is open and its disclosure in force: it ends at the end states,
when the consent behind the referral is revoked or expires, when the
provider's agreement expires, and when a caseworker revokes it."""
import base64
import datetime as dt
import hashlib
import hmac
import html
import secrets
import urllib.parse
from email.message import EmailMessage

from sql import Null
from sql.functions import CurrentTimestamp

from trytond import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.sendmail import send_message_transactional
from trytond.transaction import Transaction, without_check_access
from trytond.url import http_host

from ..exceptions import AnswerLinkError
from .audit import request_origin
from .mixins import require, written_by_system
from .referral import expects
from .referral_scope import ReferralScopeMixin

LINK_STATES = [
    ('active', "Active"),
    ('ended', "Ended"),
    ('revoked', "Revoked"),
    ]
LANGUAGES = [
    ('ar', "Arabic"),
    ('en', "English"),
    ('kmr', "Kurmanji"),
    ]
# The referral states in which the provider still answers through the link
ANSWERABLE_STATES = ['sent', 'accepted', 'in_progress']
ENDING_STATES = ['declined', 'completed', 'closed', 'cancelled']
# The workflow steps the page offers, each with the fields it writes
STEPS = {
    'accept': [],
    'decline': ['decline_reason', 'decline_note'],
    'start': [],
    'complete': ['outcome', 'outcome_feedback'],
    }
STEP_SELECTION = [
    ('accept', "Accepted"),
    ('decline', "Declined"),
    ('start', "Started"),
    ('complete', "Completed"),
    ]
DEFAULT_LINK_DAYS = 30


def _b64(data):
    return base64.urlsafe_b64encode(data).decode('ascii').rstrip('=')


def digest(token):
    "The one-way digest of a token, the only trace of it that is stored"
    return hashlib.sha256(token.encode('utf-8')).hexdigest()


def now():
    return dt.datetime.now()


class Configuration(metaclass=PoolMeta):
    __name__ = 'momd.configuration'

    answer_link_days = fields.Integer(
        "Answer Links Valid For (days)", required=True,
        domain=[('answer_link_days', '>', 0)],
        help="How long the link e-mailed to a provider's intake address "
        "to answer a referral works, at most; it ends earlier when the "
        "referral ends or its consent or the provider's agreement does.")

    @classmethod
    def default_answer_link_days(cls):
        return DEFAULT_LINK_DAYS


class AnswerLinkKey(ModelSQL):
    """The key that signs the answer links of the database: made when the
    module is installed, read by the server only (no client method, no
    access for any group)"""
    __name__ = 'momd.referral.link.key'
    __string__ = "Answer Link Key"

    key = fields.Char("Key", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.clear()

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id, limit=1))
        if not cursor.fetchone():
            cursor.execute(*table.insert(
                    [table.key, table.create_uid, table.create_date],
                    [[secrets.token_hex(32), 0, CurrentTimestamp()]]))

    @classmethod
    def secret(cls):
        "The key, as bytes"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.key,
                where=table.key != Null, order_by=[table.id.asc], limit=1))
        row = cursor.fetchone()
        return row[0].encode() if row else None


class AnswerLink(ReferralScopeMixin, ModelSQL, ModelView):
    "A link by which a provider without an account answers one referral"
    __name__ = 'momd.referral.link'
    __string__ = "Answer Link"

    referral = fields.Many2One(
        'momd.referral', "Referral", required=True, readonly=True,
        ondelete='CASCADE')
    recipient = fields.Char(
        "Sent To", readonly=True,
        help="The provider's intake address the link was sent to: who "
        "answers through it.")
    language = fields.Selection(LANGUAGES, "Language", readonly=True)
    expiry = fields.Timestamp("Works Until", readonly=True)
    state = fields.Selection(
        LINK_STATES, "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    ended_date = fields.Timestamp("Ended On", readonly=True)
    revoked_by = fields.Many2One(
        'res.user', "Revoked By", readonly=True, ondelete='RESTRICT')
    revoke_reason = fields.Text("Why Revoked", readonly=True)
    steps = fields.MultiSelection(
        STEP_SELECTION, "Answers Given", readonly=True, sort=False,
        help="The steps the provider took through this link.")
    last_used = fields.Timestamp("Last Answer", readonly=True)
    # the digest of the token: read by no client (security/access.xml)
    token_hash = fields.Char("Token Digest", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.token_hash, Index.Equality())),
                Index(t, (t.referral, Index.Range()),
                    (t.state, Index.Equality())),
                })
        cls._order = [('id', 'DESC')]
        # links are issued and ended by the workflow only
        written_by_system(cls)

    @staticmethod
    def default_state():
        return 'active'

    def get_rec_name(self, name):
        return '%s (%s)' % (self.referral.rec_name, self.recipient or '')

    # The token --------------------------------------------------------

    @staticmethod
    def _signature(secret, nonce):
        return _b64(hmac.new(secret, nonce.encode('ascii'),
                hashlib.sha256).digest())

    @classmethod
    def new_token(cls):
        "A random token signed with the database's key"
        Key = Pool().get('momd.referral.link.key')
        secret = Key.secret()
        nonce = secrets.token_urlsafe(24)
        return '%s.%s' % (nonce, cls._signature(secret, nonce))

    @classmethod
    def from_token(cls, token):
        """The link of token, or None when the token is not one the
        database signed or names no link; the signature is compared in
        constant time before the database is asked"""
        Key = Pool().get('momd.referral.link.key')
        if not isinstance(token, str) or len(token) > 200:
            return None
        nonce, _, signature = token.partition('.')
        secret = Key.secret()
        if not secret or not nonce or not signature:
            return None
        expected = cls._signature(secret, nonce)
        if not hmac.compare_digest(
                expected.encode('ascii'), signature.encode('ascii', 'ignore')):
            return None
        with without_check_access():
            links = cls.search([('token_hash', '=', digest(token))], limit=1)
        return links[0] if links else None

    def url(self, token):
        "The address of the page of the link"
        return '%s%s/%s/momd/answer/%s' % (
            http_host(), (Transaction().context.get('_request') or {}).get(
                'root_path') or '',
            urllib.parse.quote(Transaction().database.name),
            token)

    # Life of a link ---------------------------------------------------

    def dead_reason(self, date=None):
        """Why the link no longer works ('ended', 'revoked', 'expired',
        'closed', 'withdrawn'), or None while it works"""
        date = date or now()
        if self.state != 'active':
            return self.state
        if self.expiry and self.expiry <= date:
            return 'expired'
        if self.referral.state not in ANSWERABLE_STATES:
            return 'closed'
        if not self.referral.disclosure_stands():
            # consent revoked or expired, agreement expired
            return 'withdrawn'
        return None

    @classmethod
    def issue(cls, referrals):
        """A new link for each referral whose provider has an intake
        e-mail address or phone, sent there; the referral's older links
        end"""
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        with without_check_access():
            days = Configuration(1).answer_link_days or DEFAULT_LINK_DAYS
            referrals = [r for r in referrals
                if r.state in ANSWERABLE_STATES
                and (r.provider.intake_email or r.provider.intake_phone)]
            cls.end(cls.search([
                        ('referral', 'in', [r.id for r in referrals]),
                        ('state', '=', 'active')]))
            tokens, vlist = [], []
            for referral in referrals:
                token = cls.new_token()
                tokens.append(token)
                vlist.append({
                        'referral': referral.id,
                        'recipient': (referral.provider.intake_email
                            or referral.provider.intake_phone),
                        'language': referral.provider.language or 'ar',
                        'expiry': now() + dt.timedelta(days=days),
                        'token_hash': digest(token),
                        })
            links = cls.create(vlist)
            for link, token in zip(links, tokens):
                link.send(token)
        return links

    def send(self, token):
        """E-mail the link to the provider's intake address, if it has
        one, in the provider's language: the referral's number and the
        link, nothing of the person"""
        if not self.referral.provider.intake_email:
            return
        language = self.language or 'ar'
        with Transaction().set_context(language=language):
            expiry = self.expiry.strftime('%Y-%m-%d')
            subject = gettext('momd_referral.msg_answer_link_email_subject',
                referral=self.referral.code)
            body = gettext('momd_referral.msg_answer_link_email_body',
                referral=self.referral.code, url=self.url(token),
                expiry=expiry)
        msg = EmailMessage()
        msg['From'] = config.get('email', 'from')
        msg['To'] = self.referral.provider.intake_email
        msg['Subject'] = subject
        msg['Auto-Submitted'] = 'auto-generated'
        msg.set_content(body)
        # and as HTML, right to left in Arabic, the link clickable
        url = html.escape(self.url(token))
        paragraphs = ''.join('<p>%s</p>' % html.escape(p).replace(
                    url, '<a href="%s">%s</a>' % (url, url))
            for p in body.split('\n\n'))
        msg.add_alternative(
            '<!DOCTYPE html><html lang="%s" dir="%s"><body>%s</body>'
            '</html>' % (language, 'rtl' if language == 'ar' else 'ltr',
                paragraphs), subtype='html')
        for part in msg.iter_parts():
            part['Content-Language'] = language
        msg['Content-Language'] = language
        # a mail server that is down fails no step: the link can be sent
        # again from the referral
        send_message_transactional(msg)

    @classmethod
    def end(cls, links, state='ended', reason=None):
        "End the links that still work"
        links = [l for l in links if l.state == 'active']
        if not links:
            return
        values = {'state': state, 'ended_date': now()}
        if state == 'revoked':
            values.update({
                    'revoked_by': Transaction().user or None,
                    'revoke_reason': reason})
        with without_check_access():
            cls.write(links, values)

    @classmethod
    def end_of(cls, referrals, state='ended', reason=None):
        "End the working links of the referrals"
        with without_check_access():
            links = cls.search([
                    ('referral', 'in', [r.id for r in referrals]),
                    ('state', '=', 'active')])
        cls.end(links, state=state, reason=reason)

    @classmethod
    def end_dead(cls):
        """End the links that stopped working since the last run (expiry,
        a consent or agreement that ran out): the daily task"""
        Referral = Pool().get('momd.referral')
        date = now()
        with without_check_access():
            links = cls.search([('state', '=', 'active')])
            # one search for the disclosure of all, not one per link
            in_force = Referral.disclosure_in_force(
                [l.referral for l in links])
            cls.end([l for l in links
                    if (l.expiry and l.expiry <= date)
                    or l.referral.state not in ANSWERABLE_STATES
                    or l.referral.id not in in_force])

    def answered(self, step):
        "Mark that the provider took step through the link"
        with without_check_access():
            self.__class__.write([self], {
                    'steps': sorted(set(self.steps or ()) | {step},
                        key=[s for s, _ in STEP_SELECTION].index),
                    'last_used': now()})


class Referral(metaclass=PoolMeta):
    __name__ = 'momd.referral'

    answer_links = fields.One2Many(
        'momd.referral.link', 'referral', "Answer Links", readonly=True)
    answered_through_link = fields.Function(fields.Boolean(
            "Answered Through Link",
            help="The provider answered through the link sent to its "
            "intake address, without an account."),
        'get_answered_through_link')
    link_revoke_reason = fields.Text(
        "Why the Answer Link Is Revoked",
        states={'invisible': ~Eval('state').in_(ANSWERABLE_STATES)},
        help="Given before pressing \"Revoke Answer Link\"; kept on the "
        "link.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'revoke_answer_link': {
                    'invisible': ~Eval('state').in_(ANSWERABLE_STATES),
                    'icon': 'tryton-cancel', 'depends': ['state']},
                'send_answer_link': {
                    'invisible': ~Eval('state').in_(ANSWERABLE_STATES),
                    'icon': 'tryton-email', 'depends': ['state']},
                })

    @classmethod
    def get_answered_through_link(cls, referrals, name):
        Link = Pool().get('momd.referral.link')
        with without_check_access():
            links = Link.search([
                    ('referral', 'in', [r.id for r in referrals]),
                    ('steps', '!=', None)])
        answered = {l.referral.id for l in links if l.steps}
        return {r.id: r.id in answered for r in referrals}

    @classmethod
    def copy(cls, referrals, default=None):
        default = default.copy() if default else {}
        default.setdefault('answer_links', None)
        default.setdefault('link_revoke_reason', None)
        return super().copy(referrals, default=default)

    @classmethod
    def after_step(cls, referrals, state, date):
        Link = Pool().get('momd.referral.link')
        super().after_step(referrals, state, date)
        if state == 'sent':
            Link.issue(referrals)
        elif state in ENDING_STATES:
            Link.end_of(referrals)

    @classmethod
    @expects(*ANSWERABLE_STATES)
    @ModelView.button
    def revoke_answer_link(cls, referrals):
        "End the referral's working answer link, with the reason given"
        Link = Pool().get('momd.referral.link')
        require(referrals, 'link_revoke_reason',
            'momd_referral.msg_answer_link_revoke_reason',
            AnswerLinkError, 'referral')
        for referral in referrals:
            Link.end_of([referral], state='revoked',
                reason=referral.link_revoke_reason)
        cls.write(referrals, {'link_revoke_reason': None})

    @classmethod
    @expects(*ANSWERABLE_STATES)
    @ModelView.button
    def send_answer_link(cls, referrals):
        """A new answer link to the provider's intake address and phone;
        the one sent before ends"""
        Link = Pool().get('momd.referral.link')
        for referral in referrals:
            if not (referral.provider.intake_email
                    or referral.provider.intake_phone):
                raise AnswerLinkError(gettext(
                        'momd_referral.msg_answer_link_no_intake',
                        referral=referral.rec_name,
                        provider=referral.provider.rec_name))
        Link.issue(referrals)


class Consent(metaclass=PoolMeta):
    __name__ = 'momd.consent'

    @classmethod
    def revoke(cls, consents):
        super().revoke(consents)
        cls._end_answer_links(consents)

    @classmethod
    def _expire(cls, consents):
        super()._expire(consents)
        cls._end_answer_links(consents)

    @classmethod
    def _end_answer_links(cls, consents):
        "The answer links of the referrals made on the consents end"
        pool = Pool()
        Referral = pool.get('momd.referral')
        Link = pool.get('momd.referral.link')
        with without_check_access():
            referrals = Referral.search([
                    ('consent', 'in', [c.id for c in consents]),
                    ('legal_basis', '=', 'consent')])
        Link.end_of(referrals)


class AccessLog(metaclass=PoolMeta):
    __name__ = 'momd.access.log'

    answer_link = fields.Many2One(
        'momd.referral.link', "Answer Link", readonly=True,
        ondelete='SET NULL',
        help="The link through which the provider opened or answered the "
        "referral, without an account.")
    recipient = fields.Char("Link Recipient", readonly=True,
        help="Who holds the answer link: the provider's intake address.")

    @classmethod
    def log_link(cls, link, action, operation=None, changed=None):
        """A line of the trail for an open of an answer link's page or an
        answer given through it: the link's recipient, the request's
        address, the time"""
        transaction = Transaction()
        table = cls.__table__()
        date = now()
        referral = link.referral.id
        office = cls.offices_of('momd.referral', [referral]).get(referral)
        session, address = request_origin()
        cursor = transaction.connection.cursor()
        cursor.execute(*table.insert(
                [table.create_uid, table.create_date, table.action,
                    table.model, table.record, table.office,
                    table.changed_fields, table.operation, table.session,
                    table.ip_address, table.date, table.answer_link,
                    table.recipient],
                [[transaction.user, date, action, 'momd.referral',
                        referral, office,
                        ','.join(sorted(changed)) if changed else None,
                        operation, session, address, date, link.id,
                        link.recipient]]))
