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
