"""Closing the loop with the beneficiary: short messages about their
referral (sent, accepted, completed) and, after the service, a request to
rate it, in the person's language and only on a channel they agreed to be
contacted on.

Messages wait in an outbox. They leave through the gateway the
administrators chose in the configuration (the gateways are in
gateways.py), from the queue (trytond-worker; without one, right after the
step commits) and, when a gateway fails, again from a schedule checked
every minute, with growing delays, until the configured number of
attempts; then they are marked failed. A gateway that is down never stops
a referral step: the step only writes the message. Replies and delivery
receipts come back through outbox_reply.py."""
import datetime as dt
import logging
import re


from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from ..exceptions import BeneficiaryValidationError, OutboxValidationError
from ..gateways import (
    URL_PLACEHOLDERS, GatewayError, gateway, sms_parts, url_placeholders)
from .beneficiary import LANGUAGES

logger = logging.getLogger(__name__)

CHANNELS = [
    ('sms', "SMS"),
    ('whatsapp', "WhatsApp"),
    ('email', "E-mail"),
    ]
GATEWAY_KINDS = [
    (None, ""),
    ('file', "File (demonstration)"),
    ('http', "HTTP Gateway"),
    ('smpp', "SMPP (operator's SMS centre)"),
    ]
HTTP_METHODS = [
    ('POST', "POST"),
    ('GET', "GET"),
    ]
KINDS = [
    ('status_sent', "Referral Sent"),
    ('status_accepted', "Referral Accepted"),
    ('status_completed', "Referral Completed"),
    ('rating_request', "Rating Request"),
    ('rating', "Rating"),
    ('reply', "Reply"),
    ]
STATES = [
    ('queued', "Queued"),
    ('sent', "Sent"),
    ('delivered', "Delivered"),
    ('failed', "Failed"),
    ('received', "Received"),
    ]
DIRECTIONS = [
    ('out', "To the Beneficiary or Provider"),
    ('in', "From the Beneficiary or Provider"),
    ]
ENCODINGS = [
    ('gsm7', "GSM 7-bit"),
    ('ucs2', "UCS-2 (Arabic and other scripts)"),
    ]
# The languages the messages are written in; any other preferred language
# gets Arabic
MESSAGE_LANGUAGES = {'ar', 'en', 'kmr'}
# After the n-th failed attempt, the next one waits RETRY_DELAYS[n - 1]
# (the last delay repeats)
RETRY_DELAYS = [
    dt.timedelta(minutes=1), dt.timedelta(minutes=5),
    dt.timedelta(minutes=30), dt.timedelta(hours=2),
    dt.timedelta(hours=6), dt.timedelta(hours=12)]
DEFAULT_MAX_ATTEMPTS = 5
# The messages each step of a referral sends
STEP_MESSAGES = {
    'sent': ['status_sent'],
    'accepted': ['status_accepted'],
    'completed': ['status_completed', 'rating_request'],
    }
# The text of each kind: naming the category and the provider, and without
# them for a referral of a restricted category
TEXTS = {
    'status_sent': ('msg_outbox_sent', 'msg_outbox_sent_restricted'),
    'status_accepted': (
        'msg_outbox_accepted', 'msg_outbox_accepted_restricted'),
    'status_completed': (
        'msg_outbox_completed', 'msg_outbox_completed_restricted'),
    'rating_request': ('msg_outbox_rating_request',) * 2,
    }
# Which channels a gateway carries (e-mail goes through the server's SMTP
# unless the file gateway records everything)
CARRIES = {
    'file': {'sms', 'whatsapp', 'email'},
    'http': {'sms', 'whatsapp', 'email'},
    'smpp': {'sms', 'email'},
    }
# The settings each gateway cannot do without
GATEWAY_REQUIRES = {
    'file': ['outbox_file'],
    'http': ['outbox_url'],
    'smpp': ['smpp_host', 'smpp_system_id'],
    }


# An e-mail address, as far as a form can tell
EMAIL = re.compile(r'[^@\s]+@[^@\s]+\.[^@\s.]+')


def now():
    return dt.datetime.now()


def refused_attempt(attempts, maximum, error):
    """The values of a message refused at its attempts-th try: its error,
    and when it is tried again, or failed after maximum attempts"""
    values = {'last_error': str(error) or error.__class__.__name__}
    if attempts >= maximum:
        values.update(state='failed', next_attempt=None)
    else:
        values['next_attempt'] = now() + RETRY_DELAYS[
            min(attempts, len(RETRY_DELAYS)) - 1]
    return values


def first_attempt():
    """The next attempt of a message handed to the background queue: if
    the queue has not sent it by then, the schedule does"""
    return now() + RETRY_DELAYS[0]


class QueueSentMixin:
    """Messages sent from the background queue by the model's classmethod
    send: one refused keeps its next attempt, which the schedule takes up
    (retry_due), one failed is tried again from the start (retry).
    _sent_domain: which of the model's messages it sends."""
    __slots__ = ()
    _sent_domain = []

    @classmethod
    def queue_send(cls, messages):
        "Send messages from the background queue, as the system"
        with Transaction().set_user(0):
            cls.__queue__.send(messages)

    @classmethod
    @ModelView.button
    def retry(cls, messages):
        """Try the failed messages again from the start (once the address
        or the gateway is corrected), as the system"""
        with without_check_access():
            messages = cls.search([
                    ('id', 'in', [m.id for m in messages]),
                    ('state', '=', 'failed'),
                    ] + cls._sent_domain)
            if not messages:
                return
            cls.write(messages, {
                    'state': 'queued', 'attempts': 0, 'last_error': None,
                    'next_attempt': first_attempt(),
                    })
            cls.queue_send(messages)

    @classmethod
    def retry_due(cls):
        "Send the queued messages whose next attempt is due (scheduled)"
        messages = cls.search([
                ('state', '=', 'queued'),
                ('next_attempt', '<=', now()),
                ] + cls._sent_domain,
            order=[('next_attempt', 'ASC'), ('id', 'ASC')])
        if messages:
            cls.send(messages)


def message_language(language):
    "The language a person's messages are written in"
    return language if language in MESSAGE_LANGUAGES else 'ar'


class Configuration(metaclass=PoolMeta):
    __name__ = 'momd.configuration'

    outbox_gateway = fields.Selection(
        GATEWAY_KINDS, "Message Gateway",
        help="How messages to beneficiaries and SMS to providers leave: a "
        "file (demonstration), a generic HTTP SMS/WhatsApp gateway, or an "
        "operator's SMS centre over SMPP. Empty: beneficiaries get no "
        "messages and providers no SMS.")
    outbox_file = fields.Char(
        "Outbox File",
        states={'invisible': Eval('outbox_gateway') != 'file'},
        help="The file each message is appended to, one JSON line each.")
    outbox_url = fields.Char(
        "Gateway URL Template",
        states={'invisible': Eval('outbox_gateway') != 'http'},
        help="The address of the HTTP gateway; {to}, {text}, {token} and "
        "{channel} are replaced by the recipient, the text, the token and "
        "the channel.")
    outbox_method = fields.Selection(
        HTTP_METHODS, "Gateway HTTP Method",
        states={'invisible': Eval('outbox_gateway') != 'http'},
        help="POST also sends the recipient, text and channel as JSON.")
    outbox_token = fields.Char(
        "Gateway Token",
        help="The secret the HTTP gateway expects, and that the gateway "
        "gives back when it forwards the beneficiaries' replies.")
    smpp_host = fields.Char(
        "SMS Centre Host",
        states={'invisible': Eval('outbox_gateway') != 'smpp'})
    smpp_port = fields.Integer(
        "SMS Centre Port",
        domain=['OR', ('smpp_port', '=', None),
            [('smpp_port', '>', 0), ('smpp_port', '<', 65536)]],
        states={'invisible': Eval('outbox_gateway') != 'smpp'})
    smpp_system_id = fields.Char(
        "SMPP System ID",
        states={'invisible': Eval('outbox_gateway') != 'smpp'})
    smpp_password = fields.Char(
        "SMPP Password",
        states={'invisible': Eval('outbox_gateway') != 'smpp'})
    smpp_sender = fields.Char(
        "SMS Sender Name",
        states={'invisible': Eval('outbox_gateway') != 'smpp'},
        help="The name or short number the messages come from.")
    outbox_max_attempts = fields.Integer(
        "Message Attempts", required=True,
        domain=[('outbox_max_attempts', '>', 0)],
        help="How many times a message is tried, with growing delays "
        "(1 minute, 5 minutes, 30 minutes, 2 hours...), before it is "
        "marked failed.")

    @classmethod
    def default_outbox_method(cls):
        return 'POST'

    @classmethod
    def default_smpp_port(cls):
        return 2775

    @classmethod
    def default_outbox_max_attempts(cls):
        return DEFAULT_MAX_ATTEMPTS

    @classmethod
    def validate_fields(cls, configurations, field_names):
        super().validate_fields(configurations, field_names)
        for configuration in configurations:
            configuration.check_gateway()

    def _label(self, name):
        return self.fields_get([name])[name]['string']

    def check_gateway(self):
        "Refuse a gateway without the settings it needs"
        kind = self.outbox_gateway
        for name in GATEWAY_REQUIRES.get(kind, []):
            if not getattr(self, name):
                raise OutboxValidationError(gettext(
                        'momd_referral.msg_outbox_gateway_setting',
                        gateway=dict(self.fields_get(['outbox_gateway'])[
                                'outbox_gateway']['selection'])[kind],
                        field=self._label(name)))
        if kind == 'http':
            url = self.outbox_url
            try:
                names = url_placeholders(url)
            except ValueError:
                names = None
            if (not url.startswith(('http://', 'https://'))
                    or names is None or not names <= URL_PLACEHOLDERS):
                raise OutboxValidationError(gettext(
                        'momd_referral.msg_outbox_url',
                        field=self._label('outbox_url'), url=url))


class Beneficiary(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary'

    email = fields.Char("E-mail", strip=True)
    contact_consent = fields.MultiSelection(
        CHANNELS, "Agreed to Messages By", sort=False,
        help="The channels on which the person agreed to receive messages "
        "about their referrals (status, a request to rate the service), "
        "as recorded by staff. Empty: no message is sent to them.")

    @classmethod
    def validate_fields(cls, beneficiaries, field_names):
        super().validate_fields(beneficiaries, field_names)
        if field_names and 'email' not in field_names:
            return
        for beneficiary in beneficiaries:
            if beneficiary.email and not EMAIL.fullmatch(beneficiary.email):
                raise BeneficiaryValidationError(gettext(
                        'momd_referral.msg_beneficiary_email',
                        email=beneficiary.email,
                        field=beneficiary.fields_get(['email'])[
                            'email']['string']))

    def message_address(self, carried):
        """(channel, recipient) to message the person on: their preferred
        contact when they agreed to it, else the first channel they agreed
        to that the gateway carries and for which there is a phone or an
        e-mail; None when there is none"""
        agreed = [c for c, _ in CHANNELS
            if c in (self.contact_consent or ()) and c in carried]
        if self.contact_method in agreed:
            agreed.remove(self.contact_method)
            agreed.insert(0, self.contact_method)
        phones = [p.number for p in self.phones]
        for channel in agreed:
            recipient = self.email if channel == 'email' else (
                phones[0] if phones else None)
            if recipient:
                return channel, recipient


class Message(QueueSentMixin, ModelSQL, ModelView):
    __name__ = 'momd.outbox.message'
    __string__ = "Beneficiary Message"
    # the replies received are kept, not sent
    _sent_domain = [('direction', '=', 'out')]

    direction = fields.Selection(
        DIRECTIONS, "Direction", required=True, readonly=True)
    beneficiary = fields.Many2One(
        'momd.beneficiary', "Beneficiary", readonly=True,
        ondelete='CASCADE')
    referral = fields.Many2One(
        'momd.referral', "Referral", readonly=True, ondelete='CASCADE')
    office = fields.Many2One(
        'momd.office', "Office", readonly=True, ondelete='RESTRICT',
        help="The office of the referral, or of the beneficiary: its staff "
        "see the message.")
    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    channel = fields.Selection(
        CHANNELS, "Channel", required=True, readonly=True)
    recipient = fields.Char(
        "Phone or E-mail", required=True, readonly=True,
        help="Where the message goes, or where a reply came from.")
    language = fields.Selection(
        [(None, "")] + LANGUAGES, "Language", readonly=True)
    text = fields.Text("Text", required=True, readonly=True)
    encoding = fields.Selection(
        ENCODINGS, "SMS Alphabet", readonly=True)
    parts = fields.Integer(
        "SMS Parts", readonly=True,
        help="How many SMS the text takes: 160 characters in one (153 per "
        "part beyond) in the GSM alphabet, 70 (67) in UCS-2, as for "
        "Arabic.")
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    attempts = fields.Integer("Attempts", readonly=True)
    next_attempt = fields.Timestamp("Next Attempt", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)
    gateway = fields.Selection(
        GATEWAY_KINDS, "Gateway", readonly=True)
    gateway_reference = fields.Char(
        "Gateway Reference", readonly=True,
        help="The gateway's id of the message.")
    gateway_response = fields.Char(
        "Gateway Response", readonly=True,
        help="What the gateway answered when it took the message.")
    sent_date = fields.Timestamp("Sent On", readonly=True)
    delivered_date = fields.Timestamp("Delivered On", readonly=True)
    received_date = fields.Timestamp("Received On", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality()),
                    (t.next_attempt, Index.Range())),
                Index(t, (t.recipient, Index.Equality()),
                    (t.kind, Index.Equality())),
                Index(t, (t.referral, Index.Range())),
                Index(t, (t.office, Index.Range())),
                })
        cls._order = [('id', 'DESC')]
        cls._buttons.update({
                'retry': {
                    'invisible': ((Eval('state') != 'failed')
                        | (Eval('direction') != 'out')),
                    'icon': 'tryton-refresh',
                    'depends': ['state', 'direction'],
                    },
                })

    @staticmethod
    def default_direction():
        return 'out'

    @staticmethod
    def default_state():
        return 'queued'

    @staticmethod
    def default_attempts():
        return 0

    def get_rec_name(self, name):
        return '%s %s' % (self.recipient, self.kind_string)

    kind_string = kind.translated('kind')

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if 'text' in values:
            values['encoding'], values['parts'] = sms_parts(values['text'])
        return values

    def email_subject(self):
        "The subject of the message as an e-mail, in its language"
        with Transaction().set_context(language=self.language):
            return gettext('momd_referral.msg_outbox_email_subject')

    @classmethod
    def compose(cls, kind, referral, language):
        """The text of a message of kind about referral in language: its
        number, and its category and provider unless the category is
        restricted; nothing else of the person or the service"""
        pool = Pool()
        Category = pool.get('momd.service.category')
        Provider = pool.get('momd.provider')
        plain, restricted = TEXTS[kind]
        with Transaction().set_context(language=language):
            if referral.restricted:
                return gettext('momd_referral.' + restricted,
                    referral=referral.code)
            return gettext('momd_referral.' + plain,
                referral=referral.code,
                category=Category(referral.category.id).rec_name,
                provider=Provider(referral.provider.id).rec_name)

    @classmethod
    def tell(cls, referrals, kinds):
        """Write the messages of kinds to the beneficiaries of the referrals
        who agreed to be messaged, and hand them to the queue"""
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        configuration = Configuration(1)
        kind = configuration.outbox_gateway
        if not kind:
            return []
        values = []
        for referral in referrals:
            beneficiary = referral.beneficiary
            if not beneficiary.active:
                continue
            address = beneficiary.message_address(CARRIES[kind])
            if not address:
                continue
            channel, recipient = address
            language = message_language(beneficiary.preferred_language)
            for message_kind in kinds:
                values.append({
                        'beneficiary': beneficiary.id,
                        'referral': referral.id,
                        'office': referral.office.id,
                        'kind': message_kind,
                        'channel': channel,
                        'recipient': recipient,
                        'language': language,
                        'text': cls.compose(message_kind, referral, language),
                        'next_attempt': first_attempt(),
                        })
        messages = cls.create(values)
        if messages:
            # sent by the system, whoever took the step
            cls.queue_send(messages)
        return messages

    @classmethod
    def send(cls, messages):
        """Send the queued messages through the configured gateway: each
        taken message records the gateway's reference and answer; each
        refused one its error and when it is tried again, or, after the
        configured number of attempts, it is marked failed"""
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        configuration = Configuration(1)
        cls.lock(messages)
        # another run (the schedule, the queue) may have sent them
        messages = [m for m in cls.browse([m.id for m in messages])
            if m.state == 'queued' and m.direction == 'out']
        maximum = configuration.outbox_max_attempts or DEFAULT_MAX_ATTEMPTS
        to_write = []
        for message in messages:
            attempts = (message.attempts or 0) + 1
            values = {
                'attempts': attempts,
                'gateway': configuration.outbox_gateway,
                }
            try:
                if not configuration.outbox_gateway:
                    raise GatewayError(gettext(
                            'momd_referral.msg_outbox_no_gateway'))
                reference, response = gateway(
                    configuration, message.channel).send(message)
            except Exception as error:
                if not isinstance(error, GatewayError):
                    logger.exception('message %s not sent', message.id)
                values.update(refused_attempt(attempts, maximum, error))
            else:
                values.update(
                    state='sent', sent_date=now(), next_attempt=None,
                    gateway_reference=reference,
                    gateway_response=response, last_error=None)
            to_write.extend(([message], values))
        if to_write:
            cls.write(*to_write)


class Referral(metaclass=PoolMeta):
    __name__ = 'momd.referral'

    @classmethod
    def after_step(cls, referrals, state, date):
        "The beneficiary is told of the step, and asked to rate the service"
        super().after_step(referrals, state, date)
        if state in STEP_MESSAGES:
            Message = Pool().get('momd.outbox.message')
            with without_check_access():
                Message.tell(
                    cls.browse([r.id for r in referrals]),
                    STEP_MESSAGES[state])


class PersonalData(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary.personal_data'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # what the person gave to be messaged
        cls.PERSON = cls.PERSON + ['email', 'contact_consent.translated']

    @classmethod
    def _related(cls, beneficiary):
        "Also the messages sent to the person and their replies"
        related = super()._related(beneficiary)
        Message = Pool().get('momd.outbox.message')
        messages = Message.search([('beneficiary', '=', beneficiary.id)],
            order=[('id', 'ASC')])
        if messages:
            related.append((Message.__name__, messages))
        return related
