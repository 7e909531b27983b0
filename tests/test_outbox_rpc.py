"""Messages to beneficiaries on the real server: an administrator sets the
gateway (bad settings are refused and write nothing), a referral's steps
leave through the file gateway once each call commits, and the gateway
forwards the person's reply "٤" to the inbound route, which rates the
referral, and its delivery receipts; a forged or missing token is
refused."""
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import DB
from momd_client import RPCError

TOKEN = 'gateway-token-2026'
PHONE = '+9647509998877'


def _ids(session, model, domain, limit=None):
    return session.model(model, 'search', domain, 0, limit, None)


def _post(server, data, token=TOKEN, as_form=False,
        path='/momd/sms/inbound'):
    "POST data to a route of the gateway; return (status, answer)"
    url = '%s/%s%s' % (server.rstrip('/'), DB, path)
    headers = {}
    if token:
        headers['Authorization'] = 'Bearer ' + token
    if as_form:
        body = urllib.parse.urlencode(data).encode()
        headers['Content-Type'] = 'application/x-www-form-urlencoded'
    else:
        body = json.dumps(data).encode()
        headers['Content-Type'] = 'application/json'
    request = urllib.request.Request(
        url, data=body, headers=headers, method='POST')
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, None


@pytest.fixture
def outbox(login, tmp_path):
    "The file gateway, with the token of the inbound route"
    admin = login('administrator')
    path = tmp_path / 'outbox.jsonl'
    admin.model('momd.configuration', 'write', [1], {
            'outbox_gateway': 'file', 'outbox_file': str(path),
            'outbox_token': TOKEN})
    yield path
    admin.model('momd.configuration', 'write', [1], {
            'outbox_gateway': None, 'outbox_token': None})


def test_gateway_bad_settings_write_nothing(login, outbox):
    admin = login('administrator')
    fields = ['outbox_gateway', 'outbox_file', 'outbox_url']
    before = admin.model('momd.configuration', 'read', [1], fields)
    for values, field in [
            ({'outbox_gateway': 'http'}, 'Gateway URL Template'),
            ({'outbox_gateway': 'http', 'outbox_url': 'gw.example/{to}'},
                'Gateway URL Template'),
            ({'outbox_file': None}, 'Outbox File'),
            ]:
        with pytest.raises(RPCError) as error:
            admin.model('momd.configuration', 'write', [1], values)
        assert error.value.kind == 'UserError'
        assert '"%s"' % field in error.value.message
    assert admin.model('momd.configuration', 'read', [1], fields) == before
    # the token is the administrators'
    caseworker = login('sinjar.caseworker')
    with pytest.raises(RPCError):
        caseworker.model('momd.configuration', 'read', [1], ['outbox_token'])


def test_reply_rates_the_referral(server, login, outbox):
    admin = login('administrator')
    group, = _ids(admin, 'res.group', [('name', '=', 'Provider Focal Point')])
    focal_point, = admin.model('res.user', 'create', [{
                'login': 'outbox.focal', 'name': 'Outbox Focal Point',
                'groups': [('add', [group])],
                'password': 'Focal-point-2026!'}])
    caseworker = login('sinjar.caseworker')
    need = caseworker.model('momd.need', 'search_read', [
            ('status', '=', 'identified'),
            ('case.beneficiary.consents.state', '=', 'active')],
        0, 1, None, ['case', 'category', 'case.beneficiary'])[0]
    beneficiary = need['case.']['beneficiary']
    phones, = caseworker.model('momd.beneficiary', 'read', [beneficiary],
        ['phones'])
    # the person agrees to SMS on their only phone
    caseworker.model('momd.beneficiary', 'write', [beneficiary], {
            'contact_consent': ['sms'], 'contact_method': 'sms',
            'preferred_language': 'ar',
            'phones': [('delete', phones['phones']),
                ('create', [{'number': '0750 999 8877'}])]})
    nineveh, = _ids(admin, 'momd.location', [('pcode', '=', 'IQG15')])
    party, = admin.model('party.party', 'create', [{'name': 'Outbox CSO'}])
    provider, = admin.model('momd.provider', 'create', [{
                'name_ar': 'منظمة الرسائل', 'name_en': 'Outbox CSO',
                'party': party, 'type': 'local_cso',
                'agreement_date': '2026-01-01',
                'focal_points': [('add', [focal_point])],
                'services': [('create', [{
                                'category': need['category'],
                                'locations': [('add', [nineveh])]}])]}])
    admin.model('momd.provider', 'verify', [provider])
    admin.model('momd.provider', 'activate', [provider])
    service, = _ids(admin, 'momd.provider.service', [
            ('provider', '=', provider)])
    referral, = caseworker.model('momd.referral', 'create', [{
                'case': need['case'], 'need': need['id'],
                'provider_service': service,
                'reason': 'Outbox', 'disclosed_groups': ['identity']}])
    caseworker.model('momd.referral', 'send', [referral])
    provider_session = login('outbox.focal', password='Focal-point-2026!')
    provider_session.model('momd.referral', 'accept', [referral])
    provider_session.model('momd.referral', 'write', [referral], {
            'outcome': 'provided'})
    provider_session.model('momd.referral', 'complete', [referral])

    # each step's message left once its call committed, in Arabic
    lines = [json.loads(l) for l in outbox.read_text().splitlines()]
    assert [l['kind'] for l in lines if l['to'] == PHONE] == [
        'status_sent', 'status_accepted', 'status_completed',
        'rating_request']
    code, = [r['code'] for r in caseworker.model('momd.referral', 'read',
            [referral], ['code'])]
    assert all(code in l['text'] for l in lines if l['to'] == PHONE)
    assert 'وزارة الهجرة' in lines[-1]['text']

    # no token, a forged one: refused, nothing kept
    assert _post(server, {'from': PHONE, 'text': '4'}, token=None)[0] == 403
    assert _post(server, {'from': PHONE, 'text': '4'},
        token='forged')[0] == 403
    assert _post(server, {'text': '4'})[0] == 400
    assert caseworker.model('momd.referral', 'read', [referral],
        ['rating'])[0]['rating'] is None

    status, answer = _post(server, {'from': '0750 999 8877', 'text': '٤'})
    assert (status, answer['kind']) == (200, 'rating')
    rated, = caseworker.model('momd.referral', 'read', [referral],
        ['rating', 'rating_date'])
    assert rated['rating'] == 4 and rated['rating_date']
    # anything else (here as a form) is kept for the office's staff
    status, answer = _post(server, {'from': PHONE, 'text': 'شكراً'},
        as_form=True)
    assert (status, answer['kind']) == (200, 'reply')
    replies = caseworker.model('momd.outbox.message', 'search_read', [
            ('direction', '=', 'in'), ('recipient', '=', PHONE)],
        0, None, [('id', 'ASC')], ['kind', 'text', 'referral'])
    assert [(r['kind'], r['text'], r['referral']) for r in replies] == [
        ('rating', '٤', referral), ('reply', 'شكراً', referral)]
    # the gateway's delivery receipt of the rating request
    request, = caseworker.model('momd.outbox.message', 'search_read', [
            ('referral', '=', referral), ('kind', '=', 'rating_request')],
        0, None, None, ['gateway_reference', 'state'])
    assert request['state'] == 'sent'
    status_url = '/momd/sms/status'
    assert _post(server, {'reference': request['gateway_reference'],
            'status': 'DELIVRD'}, token='forged', path=status_url)[0] == 403
    status, answer = _post(server, {
            'reference': request['gateway_reference'],
            'status': 'DELIVRD'}, path=status_url)
    assert (status, answer) == (200, {'updated': 1})
    assert caseworker.model('momd.outbox.message', 'read', [request['id']],
        ['state'])[0]['state'] == 'delivered'
    # never the provider's
    with pytest.raises(RPCError):
        provider_session.model('momd.outbox.message', 'search', [],
            0, None, None)
