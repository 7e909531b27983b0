"""Abuse through the real server: a caseworker writing another office's
record, a focal point pressing a button on another provider's referral, a
request with an expired session. Each is refused, writes nothing and leaves
a line in the audit trail."""
import datetime as dt
import urllib.error
import urllib.request

import pytest

from momd_client import RPCError


def _trail(admin, limit=None, **values):
    "The lines of the trail with values, newest first (limit of them)"
    domain = [(k, '=', v) for k, v in values.items()]
    return admin.model('momd.access.log', 'search_read', domain, 0, limit,
        [('id', 'DESC')], ['user', 'action', 'model', 'record', 'office',
            'operation', 'session', 'ip_address'])


def test_write_on_other_office_refused_and_logged(login):
    admin = login('administrator')
    caseworker = login('sinjar.caseworker')
    mosul, = admin.model('momd.office', 'search', [('code', '=', 'MSL')],
        0, None, None)
    target = admin.model('momd.beneficiary', 'search_read', [
            ('office', '=', mosul)], 0, 1, None, ['notes', 'first_name'])[0]
    for method, args in [
            ('write', ([target['id']], {'notes': 'Overwritten'})),
            ('delete', ([target['id']],)),
            ('read', ([target['id']], ['first_name'])),
            ]:
        with pytest.raises(RPCError) as error:
            caseworker.model('momd.beneficiary', method, *args)
        assert error.value.kind == 'UserError', method
    after, = admin.model('momd.beneficiary', 'read', [target['id']],
        ['notes', 'first_name'])
    assert after == target
    lines = _trail(admin, user=caseworker.uid, action='denied',
        record=target['id'])
    assert {l['operation'] for l in lines} >= {'write', 'delete', 'read'}
    assert {(l['model'], l['office']) for l in lines} == {
        ('momd.beneficiary', mosul)}
    assert all(l['session'] and l['ip_address'] == '127.0.0.1'
        for l in lines)
    # the supervisor of the office whose record it was sees the attempts
    supervisor = login('mosul.supervisor')
    seen = _trail(supervisor, user=caseworker.uid, action='denied',
        record=target['id'])
    assert [l['id'] for l in seen] == [l['id'] for l in lines]
    assert _trail(login('sinjar.supervisor'), action='denied',
        record=target['id']) == []


def test_button_on_other_providers_referral_refused_and_logged(login):
    admin = login('administrator')
    focal_point = login('provider.legal.network')
    provider, = focal_point.model('momd.provider', 'search', [], 0, None,
        None)
    other = admin.model('momd.referral', 'search_read', [
            ('provider', '!=', provider), ('state', '=', 'sent')],
        0, 1, None, ['state', 'answered_date'])[0]
    # (other tests of the session may have been refused on it before)
    before = {l['id'] for l in _trail(admin, user=focal_point.uid,
            action='denied', record=other['id'])}
    with pytest.raises(RPCError) as error:
        focal_point.model('momd.referral', 'accept', [other['id']])
    assert error.value.kind == 'UserError'
    after, = admin.model('momd.referral', 'read', [other['id']],
        ['state', 'answered_date'])
    assert after == other
    line, = [l for l in _trail(admin, user=focal_point.uid,
            action='denied', record=other['id']) if l['id'] not in before]
    assert line['model'] == 'momd.referral'


def test_expired_session_refused_and_logged(login, server, database):
    admin = login('administrator')
    caseworker = login('hamdaniya.caseworker')
    beneficiary = caseworker.model('momd.beneficiary', 'search_read', [],
        0, 1, None, ['notes'])[0]
    # a session older than the longest a session may live
    cursor = database.cursor()
    cursor.execute(
        'UPDATE ir_session SET create_date = %s WHERE create_uid = %s'
        .replace('%s', '%s' if 'psycopg' in type(database).__module__
            else '?'),
        (dt.datetime.now() - dt.timedelta(days=400), caseworker.uid))
    database.commit()
    with pytest.raises(RPCError) as error:
        caseworker.model('momd.beneficiary', 'write', [beneficiary['id']],
            {'notes': 'Written with an old session'})
    assert error.value.kind == 'HTTP 401'
    after, = admin.model('momd.beneficiary', 'read', [beneficiary['id']],
        ['notes'])
    assert after == beneficiary
    line = _trail(admin, user=caseworker.uid, action='session')[0]
    assert line['operation'] == 'expired'


def test_trail_cannot_be_changed_over_rpc(login):
    admin = login('administrator')
    # the newest line: the trail of the whole session is long
    line, = _trail(admin, limit=1)
    for method, args in [
            ('write', ([line['id']], {'operation': 'x'})),
            ('delete', ([line['id']],)),
            ('create', ([{'model': 'x'}],)),
            ]:
        with pytest.raises(RPCError):
            admin.model('momd.access.log', method, *args)
    assert _trail(admin, id=line['id']) == [line]


def test_unknown_route_method_not_a_way_around(server):
    "The trail is no more writable through the REST route than over RPC"
    request = urllib.request.Request(
        server + '/momd_system_test/rest/model/momd.access.log/1',
        method='DELETE')
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    assert error.value.code in {401, 403, 404}
