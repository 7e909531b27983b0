"""Matching providers for a need, against the equivalent raw SQL.

2,000 active providers with 5 services each (random categories, coverage of
districts or sub-districts of Nineveh, eligibility by sex, age and
displacement status). For 200 random needs, ProviderService.match() against
one hand-written SQL query doing the same filtering and ranking, in the same
process and transaction. SQLite in memory, or PostgreSQL when
BENCH_DATABASE_URI is set. Runs in a child process so that its test
database settings stay its own.
"""
import json
import os
import random
import time

from child import run_child

PROVIDERS = int(os.environ.get('BENCH_PROVIDERS', 2000))
SERVICES = 5
NEEDS = 200


def run():
    result = run_child(__file__, 'bench_matching')
    return [(
            'matching, %d providers x %d services, vs raw SQL'
            % (PROVIDERS, SERVICES),
            NEEDS / result['ours'], NEEDS / result['raw'])]


def setup(rng):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Provider = pool.get('momd.provider')
    Service = pool.get('momd.provider.service')
    Party = pool.get('party.party')
    Category = pool.get('momd.service.category')
    Location = pool.get('momd.location')
    categories = [c.id for c in Category.search([('restricted', '=', False)])]
    nineveh, = Location.search([('pcode', '=', 'IQG15')])
    places = [l.id for l in Location.search([
                ('parent', 'child_of', [nineveh.id])])]
    statuses = ['returnee_abroad', 'returned_idp', 'idp_in_camp',
        'idp_out_camp', 'host_community']
    for start in range(0, PROVIDERS, 200):
        parties = Party.create([{'name': 'P%d' % i}
                for i in range(start, start + 200)])
        providers = Provider.create([{
                    'name_ar': 'جهة %d' % p.id, 'name_en': 'Provider %d' % p.id,
                    'party': p.id, 'type': 'local_cso',
                    } for p in parties])
        Service.create([{
                    'provider': provider.id,
                    'category': rng.choice(categories),
                    'locations': [('add', rng.sample(places, 2))],
                    'sex': rng.choice(['any', 'any', 'female', 'male']),
                    **dict(zip(('age_min', 'age_max'), rng.choice([
                                    (None, None), (None, None), (6, 17),
                                    (18, 59), (18, None), (None, 17)]))),
                    'displacement_statuses': rng.sample(
                        statuses, rng.choice([0, 0, 1, 2])),
                    'capacity': rng.choice([None, 10, 50]),
                    'acknowledgement_hours': rng.choice([24, 48, 72]),
                    } for provider in providers for _ in range(SERVICES)])
        # onboarding is not what is measured: set them active directly
        table = Provider.__table__()

        Transaction().connection.cursor().execute(*table.update(
                [table.state], ['active'],
                where=table.id.in_([p.id for p in providers])))
    needs = []
    for _ in range(NEEDS):
        needs.append((
                Category(rng.choice(categories)),
                Location(rng.choice(places)),
                rng.choice(['female', 'male']), rng.randint(0, 80),
                rng.choice(statuses)))
    return needs


RAW = '''
SELECT s.id, s.displacement_statuses,
    MAX(CASE {depth} ELSE 0 END) AS specificity, s.capacity,
    s.acknowledgement_hours
FROM momd_provider_service AS s
JOIN momd_provider AS p ON p.id = s.provider
JOIN "momd_provider_service-momd_location" AS c ON c.service = s.id
WHERE p.state = 'active' AND s.active
    AND s.category IN ({categories}) AND c.location IN ({places})
    AND (s.active_from IS NULL OR s.active_from <= {param})
    AND (s.active_to IS NULL OR s.active_to >= {param})
    AND s.sex IN ('any', {param})
    AND (s.age_min IS NULL OR s.age_min <= {param})
    AND (s.age_max IS NULL OR s.age_max >= {param})
GROUP BY s.id, s.displacement_statuses, s.capacity, s.acknowledgement_hours
ORDER BY specificity DESC, s.acknowledgement_hours, s.id
'''


def raw_match(cursor, param, category, location, sex, age, status, today):
    "The same filtering and ranking, by hand"
    places, parent = [], location.id
    while parent:
        places.append(parent)
        cursor.execute(
            'SELECT parent FROM momd_location WHERE id = %s' % int(parent))
        parent, = cursor.fetchone()
    categories, parent = [], category.id
    while parent:
        categories.append(parent)
        cursor.execute('SELECT parent FROM momd_service_category '
            'WHERE id = %s' % int(parent))
        parent, = cursor.fetchone()
    children = [category.id]
    while children:
        cursor.execute('SELECT id FROM momd_service_category WHERE parent '
            'IN (%s)' % ','.join(map(str, children)))
        children = [i for i, in cursor]
        categories.extend(children)
    depth = ' '.join('WHEN c.location = %d THEN %d' % (p, len(places) - i)
        for i, p in enumerate(places))
    cursor.execute(RAW.format(
            depth=depth, categories=','.join(map(str, categories)),
            places=','.join(map(str, places)), param=param),
        (today, today, sex, age, age))
    return [row[0] for row in cursor
        if not json.loads(row[1] or '[]') or status in json.loads(row[1])]


def inner():
    from trytond.tests.test_tryton import DB_NAME, activate_module
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond import backend
    activate_module(['momd_referral'])
    rng = random.Random(7)
    with Transaction().start(DB_NAME, 0) as transaction:
        needs = setup(rng)
        Service = Pool().get('momd.provider.service')
        today = Pool().get('ir.date').today()
        param = '?' if backend.name == 'sqlite' else '%s'
        cursor = transaction.connection.cursor()
        timings = {'ours': [], 'raw': []}
        for _ in range(3):
            start = time.perf_counter()
            ours = [[s.id for s in Service.match(c, l, sex=s, age=a,
                            displacement_status=d)]
                for c, l, s, a, d in needs]
            timings['ours'].append(time.perf_counter() - start)
            transaction.cache.clear()
            start = time.perf_counter()
            raw = [raw_match(cursor, param, c, l, s, a, d, today)
                for c, l, s, a, d in needs]
            timings['raw'].append(time.perf_counter() - start)
        # both must find the same services
        assert [sorted(x) for x in ours] == [sorted(x) for x in raw]
        transaction.rollback()
    print(json.dumps({k: min(v) for k, v in timings.items()}))


if __name__ == '__main__':
    inner()
