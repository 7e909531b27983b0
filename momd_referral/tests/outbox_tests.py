"""Tests of the messages to beneficiaries: who gets them, in which language,
what they say, how the gateways carry them and retry."""
import datetime as dt
import io
import json
import os
import socket
import struct
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from openpyxl import load_workbook

from trytond.model.exceptions import AccessError
from trytond.model.modelview import AccessButtonError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import BeneficiaryValidationError, OutboxValidationError
from ..gateways import sms_parts
from .automation_tests import run_tasks, told
from .referral_tests import ReferralWorld, give_consent
from .registry_tests import category, office
from .tools import create_user

PHONE = '+9647501112233'


def configure(**values):
    Configuration = Pool().get('momd.configuration')
    configuration = Configuration(1)
    for name, value in values.items():
        setattr(configuration, name, value)
    configuration.save()
    return configuration


def file_outbox(test):
    "Messages go to a new file, read back with lines()"
    handle, path = tempfile.mkstemp(suffix='.jsonl')
    os.close(handle)
    test.addCleanup(os.unlink, path)
    configure(outbox_gateway='file', outbox_file=path)
    return path


def lines(path):
    with open(path, encoding='utf-8') as file:
        return [json.loads(line) for line in file]


def closed_port():
    "A loopback port nothing listens on"
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def messages(referral=None):
    Message = Pool().get('momd.outbox.message')
    domain = [('referral', '=', referral.id)] if referral else []
    return Message.search(domain, order=[('id', 'ASC')])


def agree(beneficiary, channels, **values):
    "The person agrees to be messaged on channels"
    Beneficiary = Pool().get('momd.beneficiary')
    Beneficiary.write([beneficiary], {
            'contact_consent': list(channels), **values})


def deliver(world, referral, as_provider=True):
    """Accepted and completed by the provider's focal point (or the
    administrator), each step committed as a call of its own"""
    Referral = Pool().get('momd.referral')
    focal_point = (world.alice if referral.provider == world.provider_a
        else world.bob)

    def as_provider_():
        return (world.as_(focal_point) if as_provider
            else Transaction().set_context(_check_access=False))
    with as_provider_():
        Referral.accept([Referral(referral.id)])
    run_tasks()
    with as_provider_():
        Referral.write([Referral(referral.id)], {'outcome': 'provided'})
        Referral.complete([Referral(referral.id)])
    run_tasks()


class _Gateway(BaseHTTPRequestHandler):
    "An HTTP SMS gateway on the loopback that takes every message"
    requests = None

    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        self.requests.append({
                'method': self.command, 'path': self.path,
                'authorization': self.headers.get('Authorization'),
                'body': self.rfile.read(length).decode('utf-8')})
        body = json.dumps({'message_id': 'gw-%d' % len(self.requests)})
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


def http_gateway(test):
    "Start a gateway on the loopback; return its URL and what it received"
    requests = []
    handler = type('Gateway', (_Gateway,), {'requests': requests})
    server = HTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    test.addCleanup(server.server_close)
    test.addCleanup(server.shutdown)
    return 'http://127.0.0.1:%d' % server.server_port, requests


class _SMSC(threading.Thread):
    """An SMS centre on the loopback speaking enough SMPP 3.4: it takes a
    transmitter's bind, answers each submit_sm with an id, and unbinds"""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.submitted = []  # (destination, data coding, bytes)

    @staticmethod
    def _cstring(body, offset):
        end = body.index(b'\0', offset)
        return body[offset:end].decode('ascii'), end + 1

    def _submitted(self, body):
        offset = self._cstring(body, 0)[1] + 2  # service type, TON, NPI
        offset = self._cstring(body, offset)[1] + 2  # source
        destination, offset = self._cstring(body, offset)
        offset += 3  # ESM class, protocol, priority
        offset = self._cstring(body, offset)[1]  # schedule
        offset = self._cstring(body, offset)[1] + 2  # validity...
        coding = body[offset]
        length = body[offset + 2]
        return destination, coding, body[offset + 3:offset + 3 + length]

    def run(self):
        connection, _ = self.sock.accept()
        with connection:
            while True:
                header = connection.recv(16, socket.MSG_WAITALL)
                if len(header) < 16:
                    return
                length, command, _, sequence = struct.unpack(
                    '>IIII', header)
                body = connection.recv(
                    length - 16, socket.MSG_WAITALL) if length > 16 else b''
                if command == 0x02:  # bind_transmitter
                    answer = b'SMSC\0'
                elif command == 0x04:  # submit_sm
                    self.submitted.append(self._submitted(body))
                    answer = b'smsc-%d\0' % len(self.submitted)
                else:  # unbind, enquire_link
                    answer = b''
                connection.sendall(struct.pack('>IIII',
                        16 + len(answer), command | 0x80000000, 0,
                        sequence) + answer)
                if command == 0x06:
                    return


class OutboxTestMixin:

    @with_transaction()
    def test_outbox_only_with_contact_consent(self):
        """Messages only to a person who agreed to a channel the gateway
        carries, on their preferred one; none without a gateway"""
        Referral = Pool().get('momd.referral')
        world = ReferralWorld()
        first = world.referral()
        agree(world.beneficiary, ['sms'])
        Referral.send([first])
        # no gateway configured: nobody is messaged
        self.assertEqual(messages(), [])

        file_outbox(self)
        agree(world.beneficiary, [])
        Referral.accept([first])
        self.assertEqual(messages(), [])

        agree(world.beneficiary, ['sms'])
        Referral.write([first], {'outcome': 'provided'})
        Referral.complete([first])
        sent = messages(first)
        self.assertEqual(
            [(m.kind, m.channel, m.recipient, m.state) for m in sent], [
                ('status_completed', 'sms', PHONE, 'queued'),
                ('rating_request', 'sms', PHONE, 'queued')])

        # WhatsApp preferred and agreed to: WhatsApp
        agree(world.beneficiary, ['sms', 'whatsapp'],
            contact_method='whatsapp')
        second = world.referral(provider=world.provider_b)
        Referral.send([second])
        message, = messages(second)
        self.assertEqual((message.channel, message.recipient),
            ('whatsapp', PHONE))
        # e-mail agreed to, but no address given: nothing
        agree(world.beneficiary, ['email'])
        Referral.accept([second])
        self.assertEqual(len(messages(second)), 1)
        # the address given: by e-mail
        agree(world.beneficiary, ['email'], email='khaled@example.org')
        Referral.write([second], {'outcome': 'partly'})
        Referral.complete([second])
        self.assertEqual(
            [(m.channel, m.recipient) for m in messages(second)[1:]],
            [('email', 'khaled@example.org')] * 2)

    @with_transaction()
    def test_outbox_file_gateway(self):
        """The file gateway records each message; the referral's office
        staff read them, its provider does not"""
        Referral = Pool().get('momd.referral')
        Message = Pool().get('momd.outbox.message')
        world = ReferralWorld()
        path = file_outbox(self)
        agree(world.beneficiary, ['sms'], preferred_language='en')
        referral = world.referral()
        with world.as_(world.caseworker):
            Referral.send([Referral(referral.id)])
        run_tasks()
        message, = messages(referral)
        self.assertEqual(message.state, 'sent')
        self.assertEqual(message.attempts, 1)
        self.assertTrue(message.gateway_reference)
        self.assertTrue(message.sent_date)
        self.assertEqual((message.encoding, message.parts), ('gsm7', 1))
        line, = lines(path)
        self.assertEqual(line['to'], PHONE)
        self.assertEqual(line['kind'], 'status_sent')
        self.assertEqual(line['language'], 'en')
        self.assertIn(referral.code, line['text'])
        self.assertIn('General Legal Aid', line['text'])
        self.assertIn('Provider A', line['text'])
        # nothing else of the person
        self.assertNotIn('خالد', line['text'])

        deliver(world, referral)
        run_tasks()
        self.assertEqual([l['kind'] for l in lines(path)], [
                'status_sent', 'status_accepted', 'status_completed',
                'rating_request'])
        self.assertEqual(
            {m.state for m in messages(referral)}, {'sent'})
        self.assertIn('1', lines(path)[-1]['text'])
        self.assertIn('5', lines(path)[-1]['text'])

        with world.as_(world.caseworker):
            self.assertEqual(len(Message.search([])), 4)
        with world.as_(world.alice):
            with self.assertRaises(AccessError):
                Message.search([])
        mosul = create_user(
            'cw.mosul', groups=['group_caseworker'], offices=[office('MSL')])
        with world.as_(mosul):
            self.assertEqual(Message.search([]), [])
            # nor does anyone change them
            with self.assertRaises(AccessError):
                Message.write(messages(referral)[:1], {'state': 'failed'})

    @with_transaction()
    def test_outbox_restricted_referral(self):
        """A message about a referral of a restricted category names
        neither the category nor the provider, and only who may know of the
        referral reads it"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Message = pool.get('momd.outbox.message')
        world = ReferralWorld(
            need_code='protection.gbv', consent=False, sensitive=True)
        give_consent(world.beneficiary, categories=[
                ('add', [category('protection').id])])
        path = file_outbox(self)
        agree(world.beneficiary, ['sms'], preferred_language='en')
        referral = world.referral()
        Referral.send([referral])
        with world.as_(world.supervisor):
            Referral.approve([Referral(referral.id)])
        run_tasks()
        # (its focal points have no access to restricted categories)
        deliver(world, referral, as_provider=False)
        run_tasks()
        texts = [l['text'] for l in lines(path)]
        self.assertEqual(len(texts), 4)
        gbv = category('protection.gbv')
        for text in texts:
            self.assertIn(referral.code, text)
            for name in [gbv.name_en, gbv.name_ar,
                    gbv.parent.name_en, gbv.parent.name_ar,
                    world.provider_a.name_en, world.provider_a.name_ar]:
                self.assertNotIn(name, text)
        with world.as_(world.caseworker):
            self.assertEqual(len(Message.search([])), 4)
        other = create_user(
            'cw.other', groups=['group_caseworker'], offices=[office('SNJ')])
        with world.as_(other):
            self.assertEqual(Message.search([]), [])

    @with_transaction()
    def test_outbox_failing_gateway_retried_then_failed(self):
        """A gateway that is down does not stop the step; the message is
        tried again later and later, then marked failed"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Message = pool.get('momd.outbox.message')
        world = ReferralWorld()
        configure(outbox_gateway='http', outbox_max_attempts=4,
            outbox_url='http://127.0.0.1:%d/send?to={to}&text={text}'
            % closed_port())
        agree(world.beneficiary, ['sms'])
        referral = world.referral()
        with world.as_(world.caseworker):
            Referral.send([Referral(referral.id)])
        self.assertEqual(Referral(referral.id).state, 'sent')

        delays = []
        for attempt in range(1, 5):
            before = dt.datetime.now()
            if attempt == 1:
                run_tasks()  # the queue's attempt
            else:
                # the next attempt is due: the schedule tries it
                Message.write(messages(referral), {
                        'next_attempt': before - dt.timedelta(seconds=1)})
                Message.retry_due()
            message, = messages(referral)
            self.assertEqual(message.attempts, attempt)
            self.assertTrue(message.last_error)
            if attempt < 4:
                self.assertEqual(message.state, 'queued')
                delays.append(message.next_attempt - before)
            else:
                self.assertEqual(message.state, 'failed')
                self.assertIsNone(message.next_attempt)
        # 1 minute, 5 minutes, 30 minutes (and the time the call took)
        for delay, expected in zip(delays, [1, 5, 30]):
            self.assertGreaterEqual(delay, dt.timedelta(minutes=expected))
            self.assertLess(delay, dt.timedelta(minutes=expected, seconds=30))
        # a failed message is not tried again
        Message.retry_due()
        self.assertEqual(messages(referral)[0].attempts, 4)
        # and the referral goes on
        deliver(world, referral)
        self.assertEqual(Referral(referral.id).state, 'completed')

        # the gateway back, a supervisor sends the failed message again;
        # a caseworker or a provider may not
        path = file_outbox(self)
        failed = messages(referral)[0]
        for user in [world.caseworker, world.alice]:
            with self.subTest(user=user.login), world.as_(user):
                with self.assertRaises((AccessError, AccessButtonError)):
                    Message.retry([Message(failed.id)])
        with world.as_(world.supervisor):
            Message.retry([Message(failed.id)])
        self.assertEqual((failed.state, failed.attempts), ('queued', 0))
        run_tasks()
        self.assertEqual((failed.state, failed.attempts), ('sent', 1))
        self.assertEqual(lines(path)[0]['kind'], 'status_sent')

    @with_transaction()
    def test_outbox_http_gateway(self):
        "The HTTP gateway gets the message and its id is kept"
        Referral = Pool().get('momd.referral')
        world = ReferralWorld()
        url, requests = http_gateway(self)
        configure(outbox_gateway='http', outbox_method='GET',
            outbox_token='s3cret',
            outbox_url=url + '/sms?to={to}&text={text}&key={token}')
        agree(world.beneficiary, ['sms'], preferred_language='en')
        referral = world.referral()
        Referral.send([referral])
        run_tasks()
        message, = messages(referral)
        self.assertEqual(message.state, 'sent')
        self.assertEqual(message.gateway_reference, 'gw-1')
        self.assertRegex(message.gateway_response, r'^HTTP 200 ')
        request, = requests
        self.assertEqual(request['method'], 'GET')
        self.assertIn('to=%2B9647501112233', request['path'])
        self.assertIn('key=s3cret', request['path'])
        self.assertEqual(request['authorization'], 'Bearer s3cret')

        # POST sends the message as JSON too
        configure(outbox_method='POST', outbox_url=url + '/sms')
        deliver(world, referral)
        run_tasks()
        body = json.loads(requests[1]['body'])
        self.assertEqual(body['to'], PHONE)
        self.assertIn(referral.code, body['text'])

        # the gateway's delivery receipts
        Message = Pool().get('momd.outbox.message')
        self.assertEqual(Message.record_delivery('gw-1', 'enroute'), [])
        self.assertEqual(Message.record_delivery('gw-1', 'DELIVRD'),
            [message])
        self.assertEqual(message.state, 'delivered')
        self.assertTrue(message.delivered_date)
        failed, = Message.record_delivery(
            'gw-2', 'UNDELIV', error="Absent subscriber")
        self.assertEqual(failed.gateway_reference, 'gw-2')
        self.assertEqual((failed.state, failed.last_error),
            ('failed', "Absent subscriber"))
        self.assertEqual(Message.record_delivery('gw-99', 'DELIVRD'), [])

    @with_transaction()
    def test_outbox_smpp_unreachable(self):
        "An SMS centre that does not answer: retried, the error kept"
        Referral = Pool().get('momd.referral')
        world = ReferralWorld()
        configure(outbox_gateway='smpp', smpp_host='127.0.0.1',
            smpp_port=closed_port(), smpp_system_id='momd')
        agree(world.beneficiary, ['whatsapp', 'sms'],
            contact_method='whatsapp')
        referral = world.referral()
        Referral.send([referral])
        run_tasks()
        message, = messages(referral)
        # SMPP carries no WhatsApp: by SMS
        self.assertEqual(message.channel, 'sms')
        self.assertEqual((message.state, message.attempts), ('queued', 1))
        self.assertRegex(message.last_error, '^SMPP')

    @with_transaction()
    def test_outbox_rating_reply(self):
        """A reply 1-5 (Latin or Arabic-Indic digits) from the phone a
        rating request went to rates that referral; anything else is kept
        as a reply"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Message = pool.get('momd.outbox.message')
        world = ReferralWorld()
        file_outbox(self)
        agree(world.beneficiary, ['sms'])
        first = world.referral()
        Referral.send([first])
        # not asked yet: kept as a reply, nothing rated
        reply = Message.receive('0750 111 2233', '5')
        self.assertEqual((reply.kind, reply.direction, reply.state),
            ('reply', 'in', 'received'))
        self.assertEqual(reply.referral, first)
        # the caseworker is told that the person replied, not what
        self.assertEqual(told([world.caseworker])[world.caseworker.id], [
                'The beneficiary of referral %s replied to a message'
                % first.code])
        self.assertIsNone(Referral(first.id).rating)

        deliver(world, first)
        rating = Message.receive('0750 111 2233', ' ٤ ')
        self.assertEqual((rating.kind, rating.referral, rating.recipient),
            ('rating', first, PHONE))
        self.assertEqual(rating.office, first.office)
        first = Referral(first.id)
        self.assertEqual(first.rating, 4)
        self.assertTrue(first.rating_date)
        # rated once: another digit is only a reply
        again = Message.receive(PHONE, '1')
        self.assertEqual(again.kind, 'reply')
        self.assertEqual(Referral(first.id).rating, 4)

        second = world.referral(provider=world.provider_b)
        Referral.send([second])
        deliver(world, second)
        for text in ['thank you', '6', '45']:
            with self.subTest(text=text):
                self.assertEqual(
                    Message.receive(PHONE, text).kind, 'reply')
        self.assertEqual(Message.receive(PHONE, '4').referral, second)
        self.assertEqual(
            (Referral(second.id).rating, Referral(first.id).rating), (4, 4))
        # from a number never messaged: kept, nobody rated
        stranger = Message.receive('07701234567', '3')
        self.assertEqual((stranger.kind, stranger.referral,
                stranger.beneficiary), ('reply', None, None))
        # the person's subject access file holds them, and their agreement
        Report = pool.get('momd.beneficiary.personal_data', type='report')
        _, content, _, _ = Report.execute([world.beneficiary.id], {})
        book = load_workbook(io.BytesIO(content))
        sheet = book['Beneficiary Message']
        texts = ' '.join(str(c.value) for row in sheet.iter_rows()
            for c in row if c.value is not None)
        self.assertIn(PHONE, texts)
        self.assertIn('Rating Request', texts)
        self.assertIn('SMS', ' '.join(str(c.value)
                for row in book['Beneficiary'].iter_rows() for c in row))
        # the staff of the office read the replies, providers do not
        with world.as_(world.caseworker):
            self.assertIn(rating, Message.search([('direction', '=', 'in')]))
        with world.as_(world.alice):
            with self.assertRaises(AccessError):
                Message.search([('direction', '=', 'in')])

        # erased on request: the messages and the e-mail go with the rest
        Beneficiary = pool.get('momd.beneficiary')
        Beneficiary.write([world.beneficiary], {'email': 'k@example.org'})
        pool.get('momd.case').write([world.case], {
                'state': 'closed', 'closure_reason': "Moved away"})
        Beneficiary.anonymise(
            [Beneficiary(world.beneficiary.id)], "Asked to be forgotten")
        self.assertEqual(Message.search(
                [('recipient', '=', PHONE)]), [])
        self.assertIsNone(Beneficiary(world.beneficiary.id).email)

    @with_transaction()
    def test_outbox_smpp_gateway(self):
        """An SMS centre takes an Arabic message in UCS-2 parts; each part's
        id is kept and a delivery receipt names any of them"""
        Referral = Pool().get('momd.referral')
        Message = Pool().get('momd.outbox.message')
        smsc = _SMSC()
        smsc.start()
        self.addCleanup(smsc.sock.close)
        world = ReferralWorld()
        configure(outbox_gateway='smpp', smpp_host='127.0.0.1',
            smpp_port=smsc.port, smpp_system_id='momd',
            smpp_password='pw', smpp_sender='MoMD')
        agree(world.beneficiary, ['sms'])
        referral = world.referral()
        Referral.send([referral])
        message, = messages(referral)
        # a long Arabic text
        Message.write([message], {'text': 'ر' * 100})
        self.assertEqual((message.encoding, message.parts), ('ucs2', 2))
        run_tasks()
        smsc.join(timeout=10)
        self.assertEqual((message.state, message.attempts), ('sent', 1))
        self.assertEqual(message.gateway_reference, 'smsc-1 smsc-2')
        self.assertEqual(len(smsc.submitted), 2)
        for destination, coding, _ in smsc.submitted:
            self.assertEqual(destination, PHONE.lstrip('+'))
            self.assertEqual(coding, 8)  # UCS-2
        # the parts, joined, are the text (after their 6-byte headers)
        self.assertEqual(
            b''.join(part[6:] for _, _, part in smsc.submitted).decode(
                'utf-16-be'), 'ر' * 100)
        self.assertEqual(
            Message.record_delivery('smsc-2', 'DELIVRD'), [message])

    def test_sms_parts(self):
        "SMS parts in the GSM alphabet (160/153) and in UCS-2 (70/67)"
        for text, expected in [
                ('', ('gsm7', 1)),
                ('a' * 160, ('gsm7', 1)),
                ('a' * 161, ('gsm7', 2)),
                ('a' * 306, ('gsm7', 2)),
                ('a' * 307, ('gsm7', 3)),
                # an extension character counts two
                ('€' * 80, ('gsm7', 1)),
                ('€' * 81, ('gsm7', 2)),
                ('ر' * 70, ('ucs2', 1)),
                ('ر' * 71, ('ucs2', 2)),
                ('ر' * 134, ('ucs2', 2)),
                ('ر' * 135, ('ucs2', 3)),
                # one Arabic letter makes the whole text UCS-2
                ('a' * 69 + 'ر', ('ucs2', 1)),
                ('a' * 70 + 'ر', ('ucs2', 2)),
                # Kurmanji letters outside the GSM alphabet
                ('Referansa te hat şandin', ('ucs2', 1)),
                ]:
            with self.subTest(text=text[:5], length=len(text)):
                self.assertEqual(sms_parts(text), expected)

    @with_transaction()
    def test_outbox_configuration_errors(self):
        """A gateway without what it needs, or a bad URL, is refused naming
        the setting (that nothing is written: tests/test_outbox_rpc.py)"""
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        Beneficiary = pool.get('momd.beneficiary')
        configure(outbox_max_attempts=5)
        for values, message in [
                ({'outbox_gateway': 'http'}, '"Gateway URL Template"'),
                ({'outbox_gateway': 'file'}, '"Outbox File"'),
                ({'outbox_gateway': 'smpp', 'smpp_host': None,
                        'smpp_system_id': 'momd'},
                    '"SMS Centre Host"'),
                ({'outbox_gateway': 'smpp', 'smpp_host': 'smsc.example',
                        'smpp_system_id': None},
                    '"SMPP System ID"'),
                ({'outbox_gateway': 'http',
                        'outbox_url': 'ftp://gw.example/{to}'},
                    '"Gateway URL Template" must be'),
                ({'outbox_gateway': 'http',
                        'outbox_url': 'https://gw.example/?to={phone}'},
                    '"Gateway URL Template" must be'),
                ]:
            with self.subTest(values=values):
                with self.assertRaisesRegex(OutboxValidationError, message):
                    Configuration.write([Configuration(1)], values)
        world = ReferralWorld()
        with self.assertRaisesRegex(
                BeneficiaryValidationError, '"E-mail"'):
            Beneficiary.write([world.beneficiary], {'email': 'not-an-email'})

    @with_transaction()
    def test_outbox_credentials_admin_only(self):
        "The gateway's token and password are read by administrators only"
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        configure(outbox_gateway='http', outbox_token='s3cret',
            outbox_url='https://gw.example/send', smpp_password='pw')
        caseworker = create_user(
            'cw', groups=['group_caseworker'], offices=[office('SNJ')])
        admin = create_user('adm', groups=['group_admin'])
        for name in ['outbox_token', 'smpp_password', 'outbox_url']:
            with Transaction().set_user(caseworker.id), \
                    Transaction().set_context(_check_access=True):
                with self.subTest(field=name), self.assertRaises(AccessError):
                    Configuration.read([1], [name])
        with Transaction().set_user(admin.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Configuration.read([1], ['outbox_token'])[0][
                    'outbox_token'], 's3cret')


class OutboxLanguageTestMixin:
    "Run where the module's languages are loaded"

    @with_transaction()
    def test_outbox_in_preferred_language(self):
        """Each message in the person's language: Arabic, English,
        Kurmanji; another language gets Arabic"""
        Referral = Pool().get('momd.referral')
        world = ReferralWorld()
        file_outbox(self)
        agree(world.beneficiary, ['sms'])
        for language, expected, encoding in [
                ('ar', 'أُرسلت إحالتك', 'ucs2'),
                ('en', 'was sent to Provider', 'gsm7'),
                ('kmr', 'hat şandin', 'ucs2'),
                ('tk', 'أُرسلت إحالتك', 'ucs2'),
                ]:
            with self.subTest(language=language):
                world.beneficiary.preferred_language = language
                world.beneficiary.save()
                referral = world.referral()
                Referral.send([referral])
                message, = messages(referral)
                self.assertIn(expected, message.text)
                self.assertEqual(message.language,
                    'ar' if language == 'tk' else language)
                self.assertEqual(message.encoding, encoding)
                self.assertEqual(
                    (message.encoding, message.parts),
                    sms_parts(message.text))
                Referral.write([referral], {'cancel_reason': "Test"})
                Referral.cancel([referral])
        # the category in the person's script
        self.assertIn(category('legal.aid').name_ar,
            messages()[0].text)
