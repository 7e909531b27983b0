"""What beneficiaries answer: the gateway forwards each SMS or WhatsApp reply
to POST /<database>/momd/sms/inbound (its token proves it is the gateway);
a digit from 1 to 5 (Arabic-Indic digits too) from the phone a rating
request went to stores the rating on that referral; anything else is kept
as a reply for the office's staff."""
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

# How long after the request a rating is still taken
RATING_REPLY_DAYS = 30
# Arabic-Indic and Eastern Arabic-Indic (Persian) digits
DIGITS = str.maketrans('٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹', '0123456789' * 2)
MAX_TEXT = 2000


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
        return message


def _token(request, data):
    authorization = request.headers.get('Authorization') or ''
    if authorization.lower().startswith('bearer '):
        return authorization[7:].strip()
    return data.get('token') or request.args.get('token') or ''


@app.route('/<database_name>/momd/sms/inbound', methods=['POST'])
@allow_null_origin
@with_pool
@with_transaction(readonly=False)
def sms_inbound(request, pool):
    """A reply from a beneficiary, forwarded by the message gateway: JSON or
    a form with from (or phone, msisdn), text (or message) and channel
    (sms or whatsapp); the gateway token as a bearer token or as token"""
    Configuration = pool.get('momd.configuration')
    Message = pool.get('momd.outbox.message')
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
    phone = data.get('from') or data.get('phone') or data.get('msisdn')
    text = data.get('text', data.get('message'))
    if not isinstance(phone, str) or not isinstance(text, str):
        abort(400)
    channel = data.get('channel')
    if channel not in ('sms', 'whatsapp'):
        channel = 'sms'
    message = Message.receive(phone, text, channel=channel)
    return Response(
        json.dumps({'id': message.id, 'kind': message.kind}),
        status=200, content_type='application/json')

