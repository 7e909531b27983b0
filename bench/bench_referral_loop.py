"""The whole referral loop over JSON-RPC, against party.party.

Per referral, what the clients send: the caseworker creates and sends it,
the provider's focal point accepts it, writes the outcome and completes it
(5 calls). The baseline is stock Tryton through the same path: a party
created then written 4 times (5 calls). Interleaved on one server with the
demo data, median of the rounds. SQLite, or PostgreSQL when
BENCH_DATABASE_URI is set.
"""
import os
import statistics
import time

import momd_setup
from momd_client import Session

REFERRALS = int(os.environ.get('BENCH_REFERRALS', 100))
ROUNDS = 3
PASSWORD = 'Bench-focal-2026!'


def run():
    uri = os.environ.get('BENCH_DATABASE_URI')
    db = 'momd_bench_referral'
    with momd_setup.serve(db, uri=uri) as url:
        demo = os.environ.get('MOMD_DEMO_PASSWORD', 'demo')
        admin = Session(url, db, 'administrator', demo)
        caseworker = Session(url, db, 'mosul.caseworker', demo)
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
        focal = Session(url, db, 'bench.focal', PASSWORD)

        def loop():
            for _ in range(REFERRALS):
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

        counter = iter(range(10 ** 9))

        def parties():
            for _ in range(REFERRALS):
                i = next(counter)
                party, = admin.model('party.party', 'create', [{
                            'name': 'Party %d' % i}])
                for step in range(4):
                    admin.model('party.party', 'write', [party], {
                            'name': 'Party %d.%d' % (i, step)})

        times = {'ours': [], 'base': []}
        for _ in range(ROUNDS):
            start = time.perf_counter()
            loop()
            times['ours'].append(time.perf_counter() - start)
            start = time.perf_counter()
            parties()
            times['base'].append(time.perf_counter() - start)
        return [(
                'referral loop (5 calls) vs party (5 calls)',
                REFERRALS / statistics.median(times['ours']),
                REFERRALS / statistics.median(times['base']))]
