"""The whole referral loop over JSON-RPC, against party.party.

Per referral, what the clients send: the caseworker creates and sends it,
the provider's focal point accepts it, writes the outcome and completes it
(5 calls). The baseline is stock Tryton through the same path: a party
created then written 4 times (5 calls). Interleaved on one server with the
demo data, median of the rounds. SQLite, or PostgreSQL when
BENCH_DATABASE_URI is set. (referral_loop_costs.py tells what each part of
the SOP automation adds to it.)
"""
import itertools
import os
import statistics
import time

import momd_setup
from momd_client import Session

REFERRALS = int(os.environ.get('BENCH_REFERRALS', 100))
ROUNDS = 3
PASSWORD = 'Bench-focal-2026!'


def prepare(session, url, db):
    """A provider with a focal point and a service for a need of the demo;
    return (the caseworker's session, the focal point's, the need, the
    service). session(url, db, login, password) opens a session."""
    demo = os.environ.get('MOMD_DEMO_PASSWORD', 'demo')
    admin = session(url, db, 'administrator', demo)
    caseworker = session(url, db, 'mosul.caseworker', demo)
    need = caseworker.model('momd.need', 'search_read', [
            ('case.beneficiary.consents.state', '=', 'active')],
        0, 1, None, ['case', 'category'])[0]
    group, = admin.model('res.group', 'search', [
            ('name', '=', 'Provider Focal Point')], 0, None, None)
    user, = admin.model('res.user', 'create', [{
                'login': 'bench.focal', 'name': 'Bench Focal Point',
                'groups': [('add', [group])], 'password': PASSWORD}])
    nineveh, = admin.model('momd.location', 'search', [
            ('pcode', '=', 'IQG15')], 0, None, None)
    party, = admin.model('party.party', 'create', [{'name': 'Bench'}])
    provider, = admin.model('momd.provider', 'create', [{
                'name_ar': 'جهة القياس', 'name_en': 'Bench Provider',
                'party': party, 'type': 'local_cso',
                'agreement_date': '2026-01-01',
                'focal_points': [('add', [user])],
                'services': [('create', [{
                                'category': need['category'],
                                'locations': [('add', [nineveh])]}])],
                }])
    admin.model('momd.provider', 'verify', [provider])
    admin.model('momd.provider', 'activate', [provider])
    service, = admin.model('momd.provider.service', 'search', [
            ('provider', '=', provider)], 0, None, None)
    focal = session(url, db, 'bench.focal', PASSWORD)
    return admin, caseworker, focal, need, service


def referrals(caseworker, focal, need, service, count):
    "count referrals of need taken from creation to completion"
    for _ in range(count):
        referral, = caseworker.model('momd.referral', 'create', [{
                    'case': need['case'], 'need': need['id'],
                    'provider_service': service,
                    'reason': 'Bench',
                    'disclosed_groups': ['identity']}])
        caseworker.model('momd.referral', 'send', [referral])
        focal.model('momd.referral', 'accept', [referral])
        focal.model('momd.referral', 'write', [referral], {
                'outcome': 'provided'})
        focal.model('momd.referral', 'complete', [referral])


def parties(admin, counter, count):
    "count parties created, then written 4 times each"
    for _ in range(count):
        i = next(counter)
        party, = admin.model('party.party', 'create', [{
                    'name': 'Party %d' % i}])
        for step in range(4):
            admin.model('party.party', 'write', [party], {
                    'name': 'Party %d.%d' % (i, step)})


def timed(rounds, ours, base):
    "Median seconds of ours and of base, interleaved over rounds"
    times = {'ours': [], 'base': []}
    for _ in range(rounds):
        for name, func in [('ours', ours), ('base', base)]:
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
    return statistics.median(times['ours']), statistics.median(times['base'])


def run():
    uri = os.environ.get('BENCH_DATABASE_URI')
    db = 'momd_bench_referral'
    with momd_setup.serve(db, uri=uri) as url:
        admin, caseworker, focal, need, service = prepare(Session, url, db)
        counter = itertools.count()
        ours, base = timed(ROUNDS,
            lambda: referrals(caseworker, focal, need, service, REFERRALS),
            lambda: parties(admin, counter, REFERRALS))
        return [(
                'referral loop (5 calls) vs party (5 calls)',
                REFERRALS / ours, REFERRALS / base)]
