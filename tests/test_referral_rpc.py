"""Referrals over JSON-RPC on the real server: two focal points answering
the same referral at the same moment — exactly one answer is taken."""
import itertools
import threading

import pytest

from momd_client import RPCError


def _ids(session, model, domain, limit=None):
    return session.model(model, 'search', domain, 0, limit, None)


_RUN = itertools.count(1)


@pytest.fixture
def focal_points():
    "Logins of two new focal points"
    run = next(_RUN)
    return ['race%d.one' % run, 'race%d.two' % run]


@pytest.fixture
def sent_referral(login, focal_points):
    "A referral from Sinjar to a provider with two focal points, sent"
    admin = login('administrator')
    group, = _ids(admin, 'res.group', [('name', '=', 'Provider Focal Point')])
    users = admin.model('res.user', 'create', [{
                'login': login_, 'name': login_,
                'groups': [('add', [group])],
                'password': 'Focal-point-2026!'}
            for login_ in focal_points])
    caseworker = login('sinjar.caseworker')
    need = caseworker.model('momd.need', 'search_read', [
            ('status', '=', 'identified'),
            ('case.beneficiary.consents.state', '=', 'active')],
        0, 1, None, ['case', 'category'])[0]
    nineveh, = _ids(admin, 'momd.location', [('pcode', '=', 'IQG15')])
    party, = admin.model('party.party', 'create', [{'name': 'Race CSO'}])
    provider, = admin.model('momd.provider', 'create', [{
                'name_ar': 'منظمة السباق', 'name_en': focal_points[0],
                'party': party, 'type': 'local_cso',
                'agreement_date': '2026-01-01',
                'focal_points': [('add', users)],
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
                'reason': 'Race', 'disclosed_groups': ['identity']}])
    caseworker.model('momd.referral', 'send', [referral])
    return referral


def test_two_focal_points_accept_at_once(login, focal_points, sent_referral):
    sessions = [login(name, password='Focal-point-2026!')
        for name in focal_points]
    barrier = threading.Barrier(len(sessions))
    results = [None] * len(sessions)

    def answer(i):
        barrier.wait()
        try:
            sessions[i].model('momd.referral', 'accept', [sent_referral])
            results[i] = 'accepted'
        except RPCError as error:
            results[i] = error

    threads = [threading.Thread(target=answer, args=(i,))
        for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results.count('accepted') == 1, results
    error, = [r for r in results if r != 'accepted']
    assert 'changed meanwhile' in error.message
    state, = sessions[0].model('momd.referral', 'read', [sent_referral],
        ['state', 'answered_date'])
    assert state['state'] == 'accepted'


def test_referral_bad_input_writes_nothing(login, focal_points, sent_referral):
    session = login(focal_points[0], password='Focal-point-2026!')
    with pytest.raises(RPCError) as error:
        session.model('momd.referral', 'decline', [sent_referral])
    assert '"Decline Reason"' in error.value.message
    with pytest.raises(RPCError) as error:
        session.model('momd.referral', 'complete', [sent_referral])
    state, = session.model('momd.referral', 'read', [sent_referral],
        ['state'])
    assert state['state'] == 'sent'


def test_referral_to_a_service_for_another_need(login):
    """A service of a category unrelated to the need is refused, in the
    caseworker's language, naming the field; no referral is written"""
    caseworker = login('sinjar.caseworker', language='ar')
    need = caseworker.model('momd.need', 'search_read', [
            ('status', '=', 'identified'),
            ('category.code', 'like', 'legal%')],
        0, 1, None, ['case', 'category'])[0]
    service, = _ids(caseworker, 'momd.provider.service', [
            ('category.code', 'like', 'hlp%'),
            ('provider.state', '=', 'active')], limit=1)
    before = caseworker.model('momd.referral', 'search_count', [])
    with pytest.raises(RPCError) as error:
        caseworker.model('momd.referral', 'create', [{
                    'case': need['case'], 'need': need['id'],
                    'provider_service': service, 'reason': 'سكن',
                    'disclosed_groups': ['identity']}])
    assert '"خدمة الجهة"' in error.value.message, error.value.message
    assert caseworker.model('momd.referral', 'search_count', []) == before


FOCAL_POINTS = ['provider.sinjar.women', 'provider.legal.network',
    'provider.shelter']


def test_focal_point_reaches_no_other_providers_referral(login):
    "Every way in over JSON-RPC, for each demo focal point"
    admin = login('administrator')
    sessions = {name: login(name) for name in FOCAL_POINTS}
    for name, session in sessions.items():
        provider, = _ids(session, 'momd.provider', [])
        others = admin.model('momd.referral', 'search_read', [
                ('provider', '!=', provider), ('state', '!=', 'draft')],
            0, 5, None, ['provider'])
        assert others, name
        theirs = [o['id'] for o in others]
        assert not set(theirs) & set(_ids(session, 'momd.referral', []))
        assert session.model('momd.referral', 'search_count', [
                ('id', 'in', theirs)]) == 0
        assert session.model('momd.referral', 'search_read', [
                ('provider', '=', others[0]['provider'])],
            0, None, None, ['code']) == []
        assert _ids(session, 'momd.provider.service', [
                ('provider', '=', others[0]['provider'])]) == []
        for method, args in [
                ('read', ([theirs[0]], ['code', 'state'])),
                ('read', ([theirs[0]], ['beneficiary_name'])),
                ('export_data', ([theirs[0]], ['code'])),
                ('write', ([theirs[0]], {'provider_note': 'x'})),
                ('accept', ([theirs[0]],)),
                ('decline', ([theirs[0]],)),
                ('complete', ([theirs[0]],)),
                ]:
            with pytest.raises(RPCError) as error:
                session.model('momd.referral', method, *args)
            assert error.value.kind == 'UserError', (name, method)
        # nor through the ministry's records its own referrals point to
        own = _ids(session, 'momd.referral', [], limit=1)
        assert own, name
        for method, args in [
                ('read', (own, ['case.beneficiary.full_name'])),
                ('read', (own, ['need.description'])),
                ('search', ([('case.beneficiary.full_name', 'ilike', '%')],
                        0, None, None)),
                ('export_data', (own, ['case/beneficiary/full_name'])),
                ]:
            with pytest.raises(RPCError) as error:
                session.model('momd.referral', method, *args)
            assert error.value.kind == 'UserError', (name, method, args)


def test_focal_point_sees_only_what_was_disclosed(login):
    admin = login('administrator')
    for name in FOCAL_POINTS:
        session = login(name)
        provider, = _ids(session, 'momd.provider', [])
        referrals = admin.model('momd.referral', 'search_read', [
                ('provider', '=', provider),
                ('state', 'in', ['sent', 'accepted', 'in_progress']),
                ], 0, None, None, ['disclosed_groups', 'consent.state'])
        assert referrals, name
        fields = {
            'identity': 'beneficiary_name', 'contact': 'beneficiary_phones',
            'needs': 'need_description',
            'documents': 'beneficiary_documents',
            'vulnerabilities': 'beneficiary_vulnerabilities',
            }
        for referral in referrals:
            seen, = session.model('momd.referral', 'read', [referral['id']],
                list(fields.values()))
            for group, field in fields.items():
                if group not in referral['disclosed_groups']:
                    assert seen[field] in (None, ''), (name, field)
            consent = referral.get('consent.') or {}
            if ('identity' in referral['disclosed_groups']
                    and consent.get('state') == 'active'):
                assert seen['beneficiary_name'], name


def test_out_of_coverage_needs_the_supervisor(login):
    """A Hamdaniya resident referred to a service of Hatra, Mosul and Tel
    Kaif: Send is refused, naming both, and nothing leaves; with an
    override reason the referral waits, the caseworker cannot approve it,
    the office supervisor does and is recorded"""
    admin = login('administrator')
    caseworker = login('hamdaniya.caseworker')
    supervisor = login('hamdaniya.supervisor')
    hamdaniya, = _ids(admin, 'momd.location', [
            ('name_en', '=', 'Hamdaniya'), ('level', '=', 'district')])
    need = caseworker.model('momd.need', 'search_read', [
            ('status', '=', 'identified'),
            ('case.beneficiary.consents.state', '=', 'active'),
            ('case.beneficiary.current_location', 'child_of', [hamdaniya],
                'parent')],
        0, 1, None, ['case', 'category'])[0]
    places = _ids(admin, 'momd.location', [
            ('name_en', 'in', ['Hatra', 'Mosul', 'Tel Kaif']),
            ('level', '=', 'district')])
    party, = admin.model('party.party', 'create', [{'name': 'Plains CSO'}])
    provider, = admin.model('momd.provider', 'create', [{
                'name_ar': 'منظمة السهول', 'name_en': 'Plains CSO',
                'party': party, 'type': 'local_cso',
                'agreement_date': '2026-01-01',
                'services': [('create', [{
                                'category': need['category'],
                                'locations': [('add', places)]}])]}])
    admin.model('momd.provider', 'verify', [provider])
    admin.model('momd.provider', 'activate', [provider])
    service, = _ids(admin, 'momd.provider.service', [
            ('provider', '=', provider)])
    referral, = caseworker.model('momd.referral', 'create', [{
                'case': need['case'], 'need': need['id'],
                'provider_service': service, 'reason': 'Out of area',
                'disclosed_groups': ['identity']}])

    def state():
        return caseworker.model('momd.referral', 'read', [referral], [
                'state', 'sent_date', 'consent', 'overridden_by',
                'overridden_date', 'approved_by'])[0]
    with pytest.raises(RPCError) as error:
        caseworker.model('momd.referral', 'send', [referral])
    assert error.value.kind == 'UserError'
    assert ('the service covers Hatra, Mosul, Tel Kaif; the beneficiary '
        'lives in Nineveh / Hamdaniya') in error.value.message
    assert '"Override Reason"' in error.value.message
    assert state() == {'id': referral, 'state': 'draft', 'sent_date': None,
        'consent': None, 'overridden_by': None, 'overridden_date': None,
        'approved_by': None}
    assert admin.model('momd.referral', 'search_count', [
            ('provider', '=', provider), ('state', '!=', 'draft')]) == 0

    caseworker.model('momd.referral', 'write', [referral], {
            'override_reason': 'The family moves to Mosul next week'})
    caseworker.model('momd.referral', 'send', [referral])
    assert state()['state'] == 'to_approve'
    with pytest.raises(RPCError) as error:
        caseworker.model('momd.referral', 'approve', [referral])
    assert error.value.kind == 'UserError'
    assert state()['state'] == 'to_approve'
    assert state()['overridden_by'] is None

    supervisor.model('momd.referral', 'approve', [referral])
    after = state()
    assert after['state'] == 'sent'
    assert after['overridden_by'] == supervisor.uid
    assert after['approved_by'] == supervisor.uid
    assert after['overridden_date'] and after['sent_date']
