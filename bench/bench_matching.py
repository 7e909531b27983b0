"""Find Providers over 5,000 services and 1M referrals, against raw SQL.

1,000 active providers with 5 services each (random categories, coverage of
districts or sub-districts of Nineveh, eligibility by sex, age and
displacement status, capacities) and 1,000,000 referrals of history spread
over them and over the last 400 days (states, answer times, deliveries,
ratings). For 100 random needs, ProviderService.match() (eligibility,
this month's load and the performance of the last 90 days, ranked)
against one hand-written SQL query fetching the same rows, ranked with the
same arithmetic, in the same process and transaction. SQLite in memory, or
PostgreSQL when BENCH_DATABASE_URI is set. Runs in a child process so that
its test database settings stay its own.
"""
import datetime as dt
import json
import os
import random
import time

from child import numbers, run_child

PROVIDERS = int(os.environ.get('BENCH_PROVIDERS', 1000))
SERVICES = 5
REFERRALS = int(os.environ.get('BENCH_MATCHING_REFERRALS', 1000000))
NEEDS = 100


def run():
    result = run_child(__file__, 'bench_matching')
    return [(
            'Find Providers, %d services, %dk referrals, vs raw SQL'
            % (PROVIDERS * SERVICES, REFERRALS // 1000),
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
    service_ids = []
    for start in range(0, PROVIDERS, 200):
        parties = Party.create([{'name': 'P%d' % i}
                for i in range(start, start + 200)])
        providers = Provider.create([{
                    'name_ar': 'جهة %d' % p.id, 'name_en': 'Provider %d' % p.id,
                    'party': p.id, 'type': 'local_cso',
                    } for p in parties])
        service_ids += [s.id for s in Service.create([{
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
                    } for provider in providers for _ in range(SERVICES)])]
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
    return needs, service_ids


def template_referral():
    "One draft referral of a Sinjar case, the history is copied from"
    from momd_referral.tests.referral_tests import ReferralWorld
    return ReferralWorld().referral()


def fill(cursor, backend_name, template, services, now):
    """Copy the template REFERRALS times with SQL, over the services and
    the last 400 days: 10% open, sent this month; the others answered (1 in
    4 declined) 1 to 96 hours after, the accepted ones mostly delivered and
    a third of those rated 1 to 5"""
    cursor.execute("SELECT * FROM momd_referral WHERE id = %d" % template)
    columns = [c[0] for c in cursor.description]
    cursor.fetchall()
    series, source = numbers(backend_name, REFERRALS)
    if backend_name == 'sqlite':
        def at(hours):
            return "datetime('%s', (%s) || ' hours')" % (
                now.isoformat(' '), hours)
    else:
        def at(hours):
            return "(TIMESTAMP '%s' + (%s) * INTERVAL '1 hour')" % (
                now.isoformat(' '), hours)
    # hours before now: the open ones within this month's first instants
    sent = ('(CASE WHEN x %% 10 = 0 THEN 0 ELSE -(x %% 9600) END) - %d'
        % min(1, now.day - 1))
    delivered = 'x % 10 > 0 AND x % 4 <> 1 AND x % 7 <> 2'
    service = '%d + (x * 7919) %% %d' % (min(services), len(services))
    values = {
        'code': "'BENCH-' || x",
        'provider_service': service,
        'provider': ('(SELECT s.provider FROM momd_provider_service AS s '
            'WHERE s.id = %s)' % service),
        'state': ("CASE WHEN x % 10 = 0 THEN 'sent' "
            "WHEN x % 4 = 1 THEN 'declined' "
            "WHEN x % 7 = 2 THEN 'cancelled' ELSE 'completed' END"),
        'sent_date': at(sent),
        'answered_date': 'CASE WHEN x %% 10 > 0 THEN %s END' % at(
            '%s + 1 + x %% 96' % sent),
        'completed_date': 'CASE WHEN %s THEN %s END' % (
            delivered, at('%s + 200' % sent)),
        'rating': 'CASE WHEN %s AND x %% 3 = 0 THEN 1 + x %% 5 END' % (
            delivered),
        }
    names = [c for c in columns if c != 'id']
    cursor.execute(series
        + 'INSERT INTO momd_referral (%s) ' % ', '.join(
            '"%s"' % c for c in names)
        + 'SELECT %s FROM %s, momd_referral AS t WHERE t.id = %d' % (
            ', '.join(values.get(c) or 't."%s"' % c for c in names),
            source, template))


RAW = """
SELECT c.id, c.specificity, r.state, r.sent_date, r.answered_date,
    r.completed_date, r.rating
FROM (
    SELECT s.id AS id, MAX(CASE {depth} ELSE 0 END) AS specificity
    FROM momd_provider_service AS s
    JOIN momd_provider AS p ON p.id = s.provider
    JOIN "momd_provider_service-momd_location" AS c ON c.service = s.id
    WHERE s.category IN ({categories}) AND p.state = 'active' AND s.active
        AND (s.active_from IS NULL OR s.active_from <= {param})
        AND (s.active_to IS NULL OR s.active_to >= {param})
        AND c.location IN ({places})
        AND s.sex IN ('any', {param})
        AND (s.age_min IS NULL OR s.age_min <= {param})
        AND (s.age_max IS NULL OR s.age_max >= {param})
    GROUP BY s.id) AS c
LEFT JOIN momd_referral AS r
    ON r.provider_service = c.id
        AND (r.sent_date >= {param} OR r.state = 'waiting')
"""
SERVICES_SQL = """
SELECT id, displacement_statuses, capacity, acknowledgement_hours
FROM momd_provider_service WHERE id IN ({ids})
"""


def raw_match(cursor, param, category, location, sex, age, status, today,
        window):
    "The same filtering and ranking, by hand"
    from collections import defaultdict
    from momd_referral.models.matching import Performance
    since, month, minimum = window
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
        (today, today, sex, age, age, since))
    specificities = {}
    performances = defaultdict(lambda: Performance(minimum))
    for service_id, specific, *row in cursor:
        specificities[service_id] = specific
        if row[0] is not None:
            performances[service_id].add(*row, month=month)
    if not specificities:
        return []
    cursor.execute(SERVICES_SQL.format(
            ids=','.join(map(str, specificities))))
    services = [(i, capacity, hours) for i, statuses, capacity, hours
        in cursor if not json.loads(statuses or '[]')
        or status in json.loads(statuses)]

    def key(service):
        id_, capacity, hours = service
        performance = performances[id_]
        full = performance.full(capacity)
        return (full, -specificities[id_],
            -round(performance.score(hours), 6),
            performance.taken / capacity if capacity else 0, id_)
    return [s[0] for s in sorted(services, key=key)]


def inner():
    from trytond.tests.test_tryton import DB_NAME, activate_module
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond import backend
    activate_module(['momd_referral'])
    rng = random.Random(7)
    with Transaction().start(DB_NAME, 0) as transaction:
        template = template_referral()
        needs, services = setup(rng)
        Service = Pool().get('momd.provider.service')
        today = Pool().get('ir.date').today()
        param = '?' if backend.name == 'sqlite' else '%s'
        cursor = transaction.connection.cursor()
        assert max(services) - min(services) + 1 == len(services)
        fill(cursor, backend.name, template.id, services, dt.datetime.now())
        cursor.execute('ANALYZE')
        window = Service.performance_window(today)
        timings = {'ours': [], 'raw': []}
        for _ in range(3):
            start = time.perf_counter()
            ours = [[s.id for s in Service.match(c, l, sex=s, age=a,
                            displacement_status=d)]
                for c, l, s, a, d in needs]
            timings['ours'].append(time.perf_counter() - start)
            transaction.cache.clear()
            start = time.perf_counter()
            raw = [raw_match(cursor, param, c, l, s, a, d, today, window)
                for c, l, s, a, d in needs]
            timings['raw'].append(time.perf_counter() - start)
        # both must find the same services in the same order
        assert ours == raw, 'not the same ranking'
        assert sum(map(len, ours)) > NEEDS, 'too few services found'
        transaction.rollback()
    print(json.dumps({k: min(v) for k, v in timings.items()}))


if __name__ == '__main__':
    inner()
