"""How a message to a beneficiary leaves the ministry: the gateways an
administrator chooses in the configuration, and how many SMS parts a text
takes.

Each gateway sends one message and returns (reference, response): the
gateway's id of the message and what it answered, kept on the message as its
delivery status. A gateway that cannot send raises GatewayError; the outbox
then tries again later."""
import json
import os
import smtplib
import string
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage

# GSM 03.38: the default alphabet (one septet each) and its extension table
# (an escape and a septet: two)
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
# (characters in one part alone, per part of a longer message)
GSM7_LIMITS = (160, 153)
UCS2_LIMITS = (70, 67)

# The placeholders a URL template of the HTTP gateway may hold
URL_PLACEHOLDERS = {'to', 'text', 'token', 'channel'}
TIMEOUT = 20  # seconds a gateway has to answer


class GatewayError(Exception):
    "The gateway did not take the message (the outbox retries later)"


def sms_parts(text):
    """Return (encoding, parts): the alphabet a text is sent in ('gsm7' when
    every character is in the GSM default alphabet, else 'ucs2', as for
    Arabic) and the number of SMS it takes: 160 characters in one SMS, 153
    per part beyond (GSM 7-bit, an extension character counting two); 70 and
    67 in UCS-2 (a character outside the basic plane counting two).

    >>> sms_parts('Referral NIN-REF-2026-000123 was sent.')
    ('gsm7', 1)
    >>> sms_parts('x' * 161)
    ('gsm7', 2)
    >>> sms_parts('أُرسلت إحالتك')
    ('ucs2', 1)
    >>> sms_parts('ا' * 71)
    ('ucs2', 2)
    """
    text = text or ''
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text):
        encoding, (single, part) = 'gsm7', GSM7_LIMITS
        length = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
    else:
        encoding, (single, part) = 'ucs2', UCS2_LIMITS
        length = len(text.encode('utf-16-le')) // 2
    if length <= single:
        return encoding, 1
    return encoding, -(-length // part)


def url_placeholders(template):
    "The names between braces in a URL template"
    return {name for _, name, _, _ in string.Formatter().parse(template)
        if name is not None}


class Gateway:
    "A way out for messages, set up from the configuration"

    def __init__(self, configuration):
        self.configuration = configuration

    def send(self, message):
        "Send message; return (reference, response) or raise GatewayError"
        raise NotImplementedError


class FileGateway(Gateway):
    """Appends each message as a line of JSON to a file: for the
    demonstration and the tests, and where another program carries the
    messages on"""

    def send(self, message):
        record = {
            'id': message.id,
            'channel': message.channel,
            'to': message.recipient,
            'language': message.language,
            'kind': message.kind,
            'text': message.text,
            'parts': message.parts,
            }
        path = self.configuration.outbox_file
        try:
            with open(path, 'a', encoding='utf-8') as file:
                file.write(json.dumps(record, ensure_ascii=False) + '\n')
                size = file.tell()
        except OSError as error:
            raise GatewayError(str(error)) from error
        return '%s:%d' % (os.path.basename(path), size), None


class HttpGateway(Gateway):
    """A generic HTTP(S) SMS or WhatsApp gateway: the URL template's {to},
    {text}, {token} and {channel} are filled in (URL-encoded); a POST also
    sends them as a JSON body. The token goes as a bearer token too. A 2xx
    answer means the gateway took the message."""

    def send(self, message):
        configuration = self.configuration
        values = {
            'to': message.recipient,
            'text': message.text,
            'token': configuration.outbox_token or '',
            'channel': message.channel,
            }
        url = configuration.outbox_url.format(**{
                k: urllib.parse.quote(v, safe='') for k, v in values.items()})
        method = configuration.outbox_method or 'POST'
        headers = {'Accept': 'application/json, text/plain'}
        if configuration.outbox_token:
            headers['Authorization'] = 'Bearer ' + configuration.outbox_token
        data = None
        if method == 'POST':
            data = json.dumps({
                    'to': message.recipient, 'text': message.text,
                    'channel': message.channel,
                    }, ensure_ascii=False).encode('utf-8')
            headers['Content-Type'] = 'application/json; charset=utf-8'
        request = urllib.request.Request(
            url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                status, body = answer.status, answer.read(2000)
        except urllib.error.HTTPError as error:
            raise GatewayError('HTTP %s %s' % (error.code, error.reason)
                ) from error
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise GatewayError(str(getattr(error, 'reason', error))
                ) from error
        if not 200 <= status < 300:
            raise GatewayError('HTTP %s' % status)
        body = body.decode('utf-8', 'replace').strip()
        reference = None
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            for key in ('message_id', 'messageId', 'id', 'sid', 'reference'):
                if answer.get(key) not in (None, ''):
                    reference = str(answer[key])
                    break
        return reference, ('HTTP %s %s' % (status, body[:200])).strip()


class SmppGateway(Gateway):
    """An SMPP 3.4 connection to an operator's SMS centre (smpplib): binds as
    a transmitter, submits the message (in parts with a UDH when long, UCS-2
    for Arabic) and keeps the message id of each submit_sm_resp"""

    def send(self, message):
        import smpplib.client
        import smpplib.consts
        import smpplib.exceptions
        import smpplib.gsm
        configuration = self.configuration
        client = smpplib.client.Client(
            configuration.smpp_host, configuration.smpp_port or 2775,
            timeout=TIMEOUT,
            # SMS centres add their own optional parameters
            allow_unknown_opt_params=True)
        ids = []
        client.set_message_sent_handler(
            lambda pdu: ids.append(pdu.message_id))
        try:
            client.connect()
            client.bind_transmitter(
                system_id=configuration.smpp_system_id,
                password=configuration.smpp_password or '')
            parts, coding, esm_class = smpplib.gsm.make_parts(message.text)
            for part in parts:
                client.send_message(
                    source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
                    source_addr=configuration.smpp_sender or '',
                    dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                    dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                    destination_addr=message.recipient.lstrip('+'),
                    short_message=part,
                    data_coding=coding,
                    esm_class=esm_class,
                    registered_delivery=True)
                client.read_once()
            if len(ids) < len(parts):
                raise GatewayError('SMPP: %d of %d parts acknowledged' % (
                        len(ids), len(parts)))
        except (smpplib.exceptions.ConnectionError,
                smpplib.exceptions.PDUError, OSError) as error:
            raise GatewayError('SMPP: %s' % error) from error
        finally:
            try:
                if client.state in (
                        smpplib.consts.SMPP_CLIENT_STATE_BOUND_TX,
                        smpplib.consts.SMPP_CLIENT_STATE_BOUND_TRX):
                    client.unbind()
            except (smpplib.exceptions.ConnectionError, OSError):
                pass  # the message is taken or not; the line is dropped
            if client.state != smpplib.consts.SMPP_CLIENT_STATE_CLOSED:
                client.disconnect()
            elif getattr(client, '_socket', None) is not None:
                # a connection refused leaves its socket open
                client._socket.close()
                client._socket = None
        references = [
            i.decode() if isinstance(i, bytes) else str(i) for i in ids]
        return ' '.join(references), 'submit_sm_resp'


class EmailGateway(Gateway):
    "E-mails to beneficiaries, through the server's SMTP settings"

    def send(self, message):
        from trytond.config import config
        from trytond.sendmail import get_smtp_server
        msg = EmailMessage()
        msg['From'] = config.get('email', 'from')
        msg['To'] = message.recipient
        msg['Subject'] = message.email_subject()
        msg['Content-Language'] = message.language or 'ar'
        msg.set_content(message.text)
        try:
            server = get_smtp_server(strict=True)
            try:
                server.send_message(msg)
            finally:
                server.quit()
        except (smtplib.SMTPException, OSError) as error:
            raise GatewayError('SMTP: %s' % error) from error
        return msg['Message-ID'], None


GATEWAYS = {
    'file': FileGateway,
    'http': HttpGateway,
    'smpp': SmppGateway,
    }


def gateway(configuration, channel):
    """The gateway that carries a message of channel: the configured one;
    for e-mail, the server's SMTP unless the file gateway records all"""
    kind = configuration.outbox_gateway
    if channel == 'email' and kind != 'file':
        return EmailGateway(configuration)
    if channel != 'sms' and kind == 'smpp':
        raise GatewayError('SMPP carries SMS only, not %s' % channel)
    return GATEWAYS[kind](configuration)
