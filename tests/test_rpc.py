"""The server as API clients and the web client reach it: login, roles and
bad input over JSON-RPC, each call its own transaction."""
import gzip
import json
import urllib.request

import pytest

from momd_client import RPCError


def test_login_admin_and_caseworker(login):
    assert login('admin').uid
    session = login('sinjar.caseworker')
    assert session.uid
    user, = session.model(
        'res.user', 'read', [session.uid], ['login', 'offices'])
    offices = session.model(
        'momd.office', 'read', user['offices'], ['code'])
    assert [o['code'] for o in offices] == ['SNJ']


def test_wrong_password_refused(login):
    with pytest.raises(RPCError) as error:
        login('sinjar.caseworker', password='not-the-password')
    assert '401' in error.value.kind


def test_caseworker_reads_but_does_not_change_offices(login):
    session = login('sinjar.caseworker', language='ar')
    offices = session.model(
        'momd.office', 'search_read', [], 0, None, None,
        ['code', 'rec_name'])
    assert {o['code'] for o in offices} == {'MSL', 'HMD', 'SNJ', 'TLF'}
    assert 'مكتب سنجار' in {o['rec_name'] for o in offices}
    with pytest.raises(RPCError) as error:
        session.model('momd.office', 'write', [offices[0]['id']],
            {'phone': '0750'})
    assert error.value.message == 'لا يُسمح لك بالوصول إلى "المكتب".'


def _office_count(session):
    return session.model('momd.office', 'search_count', [])


def _office_without_english_name(session):
    """The error of creating an office without its English name; nothing
    was written"""
    nineveh, = session.model('momd.location', 'search', [
            ('pcode', '=', 'IQG15')], 0, None, None)
    before = _office_count(session)
    with pytest.raises(RPCError) as error:
        session.model('momd.office', 'create', [{
                    'name_ar': 'مكتب دهوك', 'code': 'DHK',
                    'governorate': nineveh}])
    assert error.value.kind == 'UserError'
    assert _office_count(session) == before
    assert session.model(
        'momd.office', 'search', [('code', '=', 'DHK')], 0, None, None) == []
    return error.value.message


def test_office_without_name_writes_nothing(login):
    message = _office_without_english_name(
        login('administrator', language='ar'))
    assert 'الاسم بالإنكليزية' in message


def test_office_without_name_in_kurmanji(login):
    "A user working in Kurmanji is told in Kurmanji, the field named"
    import polib
    from conftest import ROOT
    core = {e.msgctxt: e.msgstr for e in polib.pofile(str(
                ROOT / 'momd_referral' / 'locale' / 'core' / 'kmr' / 'ir.po'))}
    module = {e.msgctxt: e.msgstr for e in polib.pofile(str(
                ROOT / 'momd_referral' / 'locale' / 'kmr.po'))}
    message = _office_without_english_name(
        login('administrator', language='kmr'))
    assert module['field:momd.office,name_en:'] in message, message
    # the sentence around it is Tryton's, in Kurmanji too
    required = core['model:ir.message,text:msg_required_validation_record']
    assert required.split('"')[0] in message, message
    assert 'A value is required' not in message


def test_duplicate_office_code_writes_nothing(login):
    session = login('administrator', language='en')
    nineveh, = session.model('momd.location', 'search', [
            ('pcode', '=', 'IQG15')], 0, None, None)
    before = _office_count(session)
    with pytest.raises(RPCError) as error:
        session.model('momd.office', 'create', [{
                    'name_ar': 'مكتب', 'name_en': 'Second Sinjar',
                    'code': 'snj', 'governorate': nineveh}])
    assert 'office "Code" must be unique' in error.value.message
    assert _office_count(session) == before
    assert session.model('momd.office', 'search', [
            ('name_en', '=', 'Second Sinjar')], 0, None, None) == []


def test_location_cycle_writes_nothing(login):
    session = login('administrator', language='ar')
    nineveh, = session.model('momd.location', 'search', [
            ('pcode', '=', 'IQG15')], 0, None, None)
    zummar, = session.model('momd.location', 'search', [
            ('name_en', '=', 'Zummar')], 0, None, None)
    with pytest.raises(RPCError) as error:
        session.model('momd.location', 'write', [nineveh],
            {'parent': zummar, 'name_en': 'Renamed'})
    assert 'يتبع إلى' in error.value.message
    assert 'حلقة دائرية' in error.value.message
    location, = session.model('momd.location', 'read', [nineveh],
        ['parent', 'name_en'])
    assert location['parent'] is None
    assert location['name_en'] == 'Nineveh'


def _raw_reply(session, accept_gzip):
    "A long reply (the menu's entries) as a client with or without gzip"
    request = urllib.request.Request(
        session.endpoint,
        data=json.dumps({'id': 1, 'method': 'model.ir.ui.menu.search_read',
                'params': [[], 0, None, None, ['name', 'complete_name'],
                    {}]}).encode(),
        headers=dict({'Content-Type': 'application/json',
                'Authorization': session.auth},
            **({'Accept-Encoding': 'gzip'} if accept_gzip else {})))
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.headers, response.read()


def test_long_reply_whole_without_gzip(login):
    """A client that does not ask for gzip gets the long reply as one plain
    body of the length said, not marked gzip; one that asks gets it gzipped,
    also in one body of the length said"""
    session = login('administrator')
    headers, body = _raw_reply(session, accept_gzip=False)
    assert len(body) > 1400
    assert headers.get('Content-Encoding') is None
    assert int(headers['Content-Length']) == len(body)
    plain = json.loads(body)['result']
    assert len(plain) > 20
    headers, body = _raw_reply(session, accept_gzip=True)
    assert headers.get('Content-Encoding') == 'gzip'
    assert int(headers['Content-Length']) == len(body)
    assert json.loads(gzip.decompress(body))['result'] == plain
