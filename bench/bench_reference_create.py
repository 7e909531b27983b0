"""Creating locations and offices over JSON-RPC, against party.party.

The administrator loads reference data through the API: communities in
batches (as from an OCHA gazetteer) and offices one at a time (as typed in
the client). The baseline is stock Tryton creating the same number of
party.party records through the same path, on the same server, interleaved
with ours so that both see the same machine. Database: SQLite, or
PostgreSQL when BENCH_DATABASE_URI is set.
"""
import os
import statistics
import time

import momd_setup
from momd_client import Session

COMMUNITIES = int(os.environ.get('BENCH_COMMUNITIES', 5000))
BATCH = 500
OFFICES = int(os.environ.get('BENCH_OFFICES', 200))
ROUNDS = 3


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def run():
    uri = os.environ.get('BENCH_DATABASE_URI')
    with momd_setup.serve('momd_bench', uri=uri) as url:
        session = Session(url, 'momd_bench', 'administrator', os.environ.get(
                'MOMD_DEMO_PASSWORD', 'demo'))
        subdistricts = session.model('momd.location', 'search', [
                ('level', '=', 'subdistrict')], 0, None, None)
        governorate, = session.model('momd.location', 'search', [
                ('pcode', '=', 'IQG15')], 0, None, None)
        counter = iter(range(10 ** 9))

        def create_communities():
            for start in range(0, COMMUNITIES, BATCH):
                session.model('momd.location', 'create', [{
                            'level': 'community',
                            'parent': subdistricts[i % len(subdistricts)],
                            'name_ar': 'قرية %d' % i,
                            'name_en': 'Village %d' % i,
                            'pcode': 'IQC%08d' % i,
                            } for i in (next(counter) for _ in range(
                                    min(BATCH, COMMUNITIES - start)))])

        def create_parties_batched():
            for start in range(0, COMMUNITIES, BATCH):
                session.model('party.party', 'create', [{
                            'name': 'Village %d' % next(counter),
                            } for _ in range(
                                min(BATCH, COMMUNITIES - start))])

        def create_offices():
            for _ in range(OFFICES):
                i = next(counter)
                session.model('momd.office', 'create', [{
                            'name_ar': 'مكتب %d' % i,
                            'name_en': 'Office %d' % i,
                            'code': 'B%d' % i,
                            'governorate': governorate,
                            'locations': [('add', subdistricts[:3])],
                            }])

        def create_parties_single():
            for _ in range(OFFICES):
                session.model('party.party', 'create', [{
                            'name': 'Office %d' % next(counter),
                            }])

        times = {name: [] for name in [
                'locations', 'parties batched', 'offices', 'parties single']}
        for _ in range(ROUNDS):
            times['locations'].append(timed(create_communities))
            times['parties batched'].append(timed(create_parties_batched))
            times['offices'].append(timed(create_offices))
            times['parties single'].append(timed(create_parties_single))
        median = {k: statistics.median(v) for k, v in times.items()}
        return [
            ('locations, %d per call, vs party.party' % BATCH,
                COMMUNITIES / median['locations'],
                COMMUNITIES / median['parties batched']),
            ('offices, 1 per call, vs party.party',
                OFFICES / median['offices'],
                OFFICES / median['parties single']),
            ]
