"""What comes back from the message gateway (its token proves it is the
gateway): the beneficiaries' replies, forwarded to POST
/<database>/momd/sms/inbound — a digit from 1 to 5 (Arabic-Indic digits
too) from the phone a rating request went to stores the rating on that
referral, anything else is kept as a reply for the office's staff — and
the delivery receipts, to POST /<database>/momd/sms/status, which mark a
sent message delivered or failed."""
import datetime as dt
import hmac
import json
import re

from trytond.pool import Pool, PoolMeta
from trytond.protocols.wrappers import (
    Response, abort, allow_null_origin, with_pool, with_transaction)
from trytond.transaction import without_check_access
from trytond.wsgi import app

from ..tools import normalize_phone
from .mixins import notify

# How long after the request a rating is still taken
RATING_REPLY_DAYS = 30
# Arabic-Indic and Eastern Arabic-Indic (Persian) digits
DIGITS = str.maketrans('٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹', '0123456789' * 2)
MAX_TEXT = 2000
# Delivery receipt statuses (SMPP's stat, the HTTP gateways' words)
DELIVERED = {'delivered', 'delivrd', 'read'}
UNDELIVERED = {'failed', 'undeliv', 'undelivered', 'rejectd', 'rejected',
    'expired', 'deleted'}


def parse_rating(text):
    """The rating a reply gives, or None: a single digit 1 to 5, in Latin or
    Arabic-Indic digits, around it only spaces and a full stop

    >>> parse_rating(' 4 '), parse_rating('٤'), parse_rating('۵.')
    (4, 4, 5)
    >>> parse_rating('6'), parse_rating('45'), parse_rating('thanks')
    (None, None, None)
    """
    text = (text or '').translate(DIGITS).strip().rstrip('.!').strip()
    if re.fullmatch('[1-5]', text):
        return int(text)
    return None


class Message(metaclass=PoolMeta):
    __name__ = 'momd.outbox.message'

    @classmethod
    def pending_rating_request(cls, number):
        """The latest request to rate a service sent to the number in the
        last RATING_REPLY_DAYS days whose referral is not rated yet"""
        since = dt.datetime.now() - dt.timedelta(days=RATING_REPLY_DAYS)
        requests = cls.search([
                ('direction', '=', 'out'),
                ('kind', '=', 'rating_request'),
                ('recipient', '=', number),
                ('state', 'in', ['queued', 'sent', 'delivered']),
                ('create_date', '>=', since),
                ('referral.rating', '=', None),
                ], order=[('create_date', 'DESC'), ('id', 'DESC')], limit=1)
        return requests[0] if requests else None

    @classmethod
    def receive(cls, phone, text, channel='sms'):
        """Keep a message a beneficiary sent from phone: a rating answering
        a pending request is stored on its referral (kind rating), anything
        else is kept for the office's staff (kind reply)"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Phone = pool.get('momd.beneficiary.phone')
        number = normalize_phone(phone) or (phone or '').strip()
        text = (text or '').strip()[:MAX_TEXT]
        with without_check_access():
            rating = parse_rating(text)
            request = (
                cls.pending_rating_request(number) if rating else None)
            values = {
                'direction': 'in',
                'channel': channel,
                'recipient': number,
                'text': text or '-',
                'state': 'received',
                'received_date': dt.datetime.now(),
                }
            if request:
                Referral.write([request.referral], {
                        'rating': rating,
                        'rating_date': dt.datetime.now(),
                        })
                values.update(kind='rating', referral=request.referral.id,
                    beneficiary=request.beneficiary.id,
                    office=request.office.id, language=request.language)
            else:
                values['kind'] = 'reply'
                # about the last message the number was sent, else the
                # person whose phone it is
                last = cls.search([
                        ('direction', '=', 'out'),
                        ('recipient', '=', number),
                        ], order=[('id', 'DESC')], limit=1)
                if last:
                    last, = last
                    values.update(
                        referral=last.referral.id if last.referral else None,
                        beneficiary=(
                            last.beneficiary.id if last.beneficiary
                            else None),
                        office=last.office.id if last.office else None,
                        language=last.language)
                else:
                    phones = Phone.search(
                        [('number', '=', number)],
                        order=[('id', 'DESC')], limit=1)
                    if phones:
                        beneficiary = phones[0].beneficiary
                        values.update(beneficiary=beneficiary.id,
                            office=beneficiary.office.id)
            message, = cls.create([values])
            if message.kind == 'reply' and message.referral:
                # the caseworker is told, not of what was said
                referral = message.referral
                notify([referral], [referral.caseworker],
                    'momd_referral.msg_outbox_reply_label',
                    referral=referral.rec_name)
        return message

    @classmethod
    def record_delivery(cls, reference, status, error=None):
        """Mark the sent messages the gateway knows by reference (one of
        the ids of its parts) delivered or failed, as its receipt says;
        return them"""
        status = (status or '').strip().lower()
        if not reference or status not in DELIVERED | UNDELIVERED:
            return []
        with without_check_access():
            messages = cls.search([
                    ('direction', '=', 'out'),
                    ('state', 'in', ['sent', 'delivered']),
                    ['OR',
                        ('gateway_reference', '=', reference),
                        ('gateway_reference', 'like', reference + ' %'),
                        ('gateway_reference', 'like', '% ' + reference),
                        ('gateway_reference', 'like',
                            '% ' + reference + ' %'),
                        ],
                    ])
            if status in DELIVERED:
                cls.write(messages, {
                        'state': 'delivered',
                        'delivered_date': dt.datetime.now()})
            else:
                cls.write(messages, {
                        'state': 'failed',
                        'last_error': (error or status)[:MAX_TEXT]})
        return messages


def _token(request, data):
    authorization = request.headers.get('Authorization') or ''
    if authorization.lower().startswith('bearer '):
        return authorization[7:].strip()
    return data.get('token') or request.args.get('token') or ''


def _gateway_data(request, pool):
    """The fields the gateway posted (JSON or a form), once its token is
    checked: 403 without the configured token, 400 when not a JSON object"""
    Configuration = pool.get('momd.configuration')
    if request.mimetype == 'application/json':
        try:
            data = json.loads(request.get_data(as_text=True) or '{}')
        except ValueError:
            abort(400)
        if not isinstance(data, dict):
            abort(400)
    else:
        data = request.form.to_dict()
    with without_check_access():
        expected = Configuration(1).outbox_token
    given = _token(request, data)
    if (not expected or not isinstance(given, str)
            or not hmac.compare_digest(
                given.encode('utf-8'), expected.encode('utf-8'))):
        abort(403)
    return data


def _json(value):
    return Response(json.dumps(value), status=200,
        content_type='application/json')


@app.route('/<database_name>/momd/sms/inbound', methods=['POST'])
@allow_null_origin
@with_pool
@with_transaction(readonly=False)
def sms_inbound(request, pool):
    """A reply from a beneficiary, forwarded by the message gateway: from
    (or phone, msisdn), text (or message) and channel (sms or whatsapp);
    the gateway token as a bearer token or as token"""
    Message = pool.get('momd.outbox.message')
    data = _gateway_data(request, pool)
    phone = data.get('from') or data.get('phone') or data.get('msisdn')
    text = data.get('text', data.get('message'))
    if not isinstance(phone, str) or not isinstance(text, str):
        abort(400)
    channel = data.get('channel')
    if channel not in ('sms', 'whatsapp'):
        channel = 'sms'
    message = Message.receive(phone, text, channel=channel)
    return _json({'id': message.id, 'kind': message.kind})


@app.route('/<database_name>/momd/sms/status', methods=['POST'])
@allow_null_origin
@with_pool
@with_transaction(readonly=False)
def sms_status(request, pool):
    """A delivery receipt from the message gateway: reference (or id,
    message_id) of the message, status (delivered, failed, or SMPP's
    DELIVRD, UNDELIV, REJECTD, EXPIRED...) and an optional error"""
    Message = pool.get('momd.outbox.message')
    data = _gateway_data(request, pool)
    reference = data.get('reference') or data.get('message_id') or data.get(
        'id')
    status = data.get('status') or data.get('stat')
    if not isinstance(reference, str) or not isinstance(status, str):
        abort(400)
    error = data.get('error')
    messages = Message.record_delivery(reference, status,
        error=error if isinstance(error, str) else None)
    return _json({'updated': len(messages)})
