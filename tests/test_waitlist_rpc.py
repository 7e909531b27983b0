"""The waiting list of a full service over JSON-RPC on the real server: the
caseworker is refused with the place the referral would take, in English
and Arabic, joins the list, and the referral leaves it when the service has
places again; the provider never reads a waiting referral."""
import pytest

from momd_client import RPCError

WAITLIST_FIELDS = ['state', 'waitlist_position', 'estimated_wait_days',
    'provider_service', 'provider', 'caseworker', 'sent_date']


def _read(session, ids):
    return session.model('momd.referral', 'read', ids, WAITLIST_FIELDS)


def test_demo_services_have_a_waiting_list(login):
    """The demo has services full this month, each with a referral first on
    its list and an estimated wait, read by the sending office only"""
    admin = login('administrator')
    waiting = admin.model('momd.referral', 'search_read', [
            ('state', '=', 'waiting')], 0, None, None, WAITLIST_FIELDS)
    assert len(waiting) >= 2
    for referral in waiting:
        assert referral['waitlist_position'] >= 1, referral
        assert referral['estimated_wait_days'] is None or (
            referral['estimated_wait_days'] >= 1), referral
        assert referral['sent_date'] is None
    for focal_point in ['provider.sinjar.women', 'provider.legal.network',
            'provider.shelter']:
        session = login(focal_point)
        assert session.model('momd.referral', 'search', [
                ('state', '=', 'waiting')], 0, None, None) == []
        with pytest.raises(RPCError):
            session.model('momd.referral', 'read',
                [r['id'] for r in waiting], ['code'])


def test_full_service_waiting_list(login):
    """A draft to a full service: Send refused naming its place, in the
    caseworker's language, nothing written; Join Waiting List puts it first;
    places again (the capacity lifted) send it"""
    admin = login('administrator')
    taken = {r['provider_service'] for r in admin.model(
            'momd.referral', 'search_read', [('state', '=', 'waiting')],
            0, None, None, ['provider_service'])}
    drafts = admin.model('momd.referral', 'search_read', [
            ('state', '=', 'draft'), ('legal_basis', '=', 'consent'),
            ('provider_service', '!=', None),
            ('provider_service', 'not in', list(taken)),
            ('restricted', '=', False),
            ], 0, None, [('id', 'ASC')], WAITLIST_FIELDS)
    assert drafts
    draft = drafts[0]
    service = draft['provider_service']
    user, = admin.model('res.user', 'read', [draft['caseworker']], ['login'])
    admin.model('momd.provider.service', 'write', [service], {'capacity': 0})

    caseworker = login(user['login'])
    with pytest.raises(RPCError) as refused:
        caseworker.model('momd.referral', 'send', [draft['id']])
    assert refused.value.kind == 'UserError'
    for part in ['is full', 'would be number 1', '"Join Waiting List"',
            '"Find Providers"']:
        assert part in refused.value.message
    arabic = login(user['login'], language='ar')
    with pytest.raises(RPCError) as refused:
        arabic.model('momd.referral', 'send', [draft['id']])
    assert 'الانضمام إلى قائمة الانتظار' in refused.value.message
    assert _read(caseworker, [draft['id']])[0]['state'] == 'draft'

    caseworker.model('momd.referral', 'join_waitlist', [draft['id']])
    referral, = _read(caseworker, [draft['id']])
    assert (referral['state'], referral['waitlist_position']) == (
        'waiting', 1)
    # what the workflow sets, no client sets
    with pytest.raises(RPCError) as refused:
        caseworker.model('momd.referral', 'write', [draft['id']], {
                'waitlist_date': None})
    assert '"Joined Waiting List On"' in refused.value.message

    # no limit any more: the referral leaves the list
    admin.model('momd.provider.service', 'write', [service],
        {'capacity': None})
    referral, = _read(caseworker, [draft['id']])
    assert referral['state'] == 'sent'
    assert referral['sent_date'] is not None
    assert referral['waitlist_position'] is None
