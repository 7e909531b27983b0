"""The dashboards' queries over 2,000,000 referrals, against raw SQL GROUP BY.

The referrals are copies of the fourteen of the statistics test world
(Sinjar and Mosul cases, two providers, every step from draft to completed
and declined), their dates moved back by up to two years so that they fall
in 24 months. Measured: the referral statistics and the referral indicators
by month as a ministry manager reads them (record rules applied), the
referral statistics as a Sinjar supervisor reads them (their office only),
and the answer and completion times (median, 90th percentile) by month,
each as one search_read (as the reports, the exports and a JSON-RPC client
read them; the web client's list asks a search, then a read of the rows,
which computes the groups twice). The baselines are hand-written GROUP BY
queries (and, for the times, the durations fetched by SQL and the same
percentiles computed in Python), in the same process and database; the
results are asserted equal.
SQLite in memory, or PostgreSQL when BENCH_DATABASE_URI is set.
"""
import json
import os
import statistics
import time
from collections import defaultdict

from child import numbers, run_child

REFERRALS = int(os.environ.get('BENCH_REFERRALS_DASHBOARD', 2000000))
ROUNDS = 3


def run():
    result = run_child(__file__, 'bench_dashboard')
    return [(
            '%s, %d referrals, vs raw SQL' % (name, REFERRALS),
            REFERRALS / times['ours'], REFERRALS / times['raw'])
        for name, times in result.items()]


def fill(cursor, backend_name, templates):
    "Copy the template referrals REFERRALS times, dates spread over 2 years"
    cursor.execute('SELECT * FROM momd_referral WHERE id = %d' % templates[0])
    columns = [c[0] for c in cursor.description]
    cursor.fetchall()
    series, source = numbers(backend_name, REFERRALS)
    if backend_name == 'sqlite':
        def back(column):
            return ("datetime(t.%s, '-' || (x %% 730) || ' days')"
                % column)
    else:
        def back(column):
            return "t.%s - (x %% 730) * INTERVAL '1 day'" % column
    values = {'id': None, 'code': "'BENCH-' || x"}
    for column in ['create_date', 'sent_date', 'answered_date',
            'started_date', 'completed_date', 'closed_date',
            'acknowledge_before', 'complete_before']:
        values[column] = back(column)
    names = [c for c in columns if c != 'id']
    template = 'CASE x %% %d %s END' % (len(templates), ' '.join(
            'WHEN %d THEN %d' % (i, id_) for i, id_ in enumerate(templates)))
    cursor.execute(series
        + 'INSERT INTO momd_referral (%s) ' % ', '.join(
            '"%s"' % c for c in names)
        + 'SELECT %s FROM %s JOIN momd_referral AS t ON t.id = %s' % (
            ', '.join(values.get(c) or 't."%s"' % c for c in names),
            source, template))


def month(backend_name, column):
    if backend_name == 'sqlite':
        return 'substr(%s, 1, 7)' % column
    return "to_char(%s, 'YYYY-MM')" % column


REFERRAL_STATISTICS = '''
SELECT {month}, c.office, r.district, n.category, r.provider, p.type,
    r.state, r.priority, r.decline_reason, COUNT(*)
FROM momd_referral AS r
JOIN momd_case AS c ON c.id = r."case"
JOIN momd_need AS n ON n.id = r.need
JOIN momd_provider AS p ON p.id = r.provider
{where}
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
'''
STATISTIC_FIELDS = ['month', 'office', 'district', 'category', 'provider',
    'provider_type', 'state', 'priority', 'decline_reason', 'referrals']

INDICATORS = '''
SELECT {month}, COUNT(*),
    SUM(CASE WHEN r.answered_date IS NOT NULL
        AND r.decline_reason IS NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.decline_reason IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.completed_date IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.completed_date <= r.complete_before THEN 1 ELSE 0 END),
    SUM(CASE WHEN (r.state = 'sent' AND r.acknowledge_before < {now})
        OR (r.state IN ('accepted', 'in_progress')
            AND r.complete_before < {now}) THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.state IN ('sent', 'accepted', 'in_progress')
        THEN 1 ELSE 0 END)
FROM momd_referral AS r
WHERE r.sent_date IS NOT NULL
GROUP BY 1
'''
INDICATOR_FIELDS = ['month', 'sent', 'accepted', 'declined', 'completed',
    'completed_in_time', 'overdue', 'open']

TIMES = '''
SELECT {month}, r.sent_date, r.answered_date, r.completed_date
FROM momd_referral AS r
WHERE r.sent_date IS NOT NULL
    AND (r.answered_date IS NOT NULL OR r.completed_date IS NOT NULL)
'''
TIME_FIELDS = INDICATOR_FIELDS + ['acknowledgement_median',
    'acknowledgement_p90', 'completion_median', 'completion_p90']


def raw_times(cursor, counts, query):
    """The counts by month and the percentiles of the durations fetched by
    SQL, per month"""
    from momd_referral.models.statistics import _median_p90, _timestamp
    cursor.execute(counts)
    indicators = {row[0]: tuple(row) for row in cursor}
    cursor.execute(query)
    answers, completions = defaultdict(list), defaultdict(list)
    for key, sent, answered, completed in cursor:
        sent = _timestamp(sent)
        if answered:
            answers[key].append(
                (_timestamp(answered) - sent).total_seconds() / 3600)
        if completed:
            completions[key].append(
                (_timestamp(completed) - sent).total_seconds() / 86400)
    return {indicators[key] + _median_p90(answers[key]) + _median_p90(
                completions[key])
        for key in indicators}


def inner():
    from trytond.tests.test_tryton import DB_NAME, activate_module
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond import backend
    activate_module(['momd_referral'])
    with Transaction().start(DB_NAME, 0) as transaction:
        from momd_referral.tests.statistics_tests import StatisticsWorld
        from momd_referral.tests.registry_tests import office
        from momd_referral.tests.tools import create_user
        from momd_referral.models.referral import now
        pool = Pool()
        Statistic = pool.get('momd.referral.statistic')
        KPI = pool.get('momd.referral.kpi')
        world = StatisticsWorld()
        manager = create_user('bench.manager', groups=['group_manager'])
        supervisor = create_user('bench.supervisor',
            groups=['group_supervisor'], offices=[office('SNJ')])
        sinjar = office('SNJ').id
        templates = [r.id for r in world.referrals]
        cursor = transaction.connection.cursor()
        fill(cursor, backend.name, templates)
        cursor.execute('DELETE FROM momd_referral WHERE id IN (%s)'
            % ', '.join(map(str, templates)))
        transaction.commit()
        sent_month = month(backend.name, 'r.sent_date')
        any_month = month(
            backend.name, 'COALESCE(r.sent_date, r.create_date)')

        def ours(user, model, fields, context=None):
            with Transaction().set_user(user.id), \
                    Transaction().set_context(
                        _check_access=True, **(context or {})):
                return {tuple(r[f] for f in fields)
                    for r in model.search_read([], fields_names=list(fields))}

        def literal(value):
            return ("'%s'" if backend.name == 'sqlite'
                else "TIMESTAMP '%s'") % value.isoformat(' ')

        def raw(query):
            cursor.execute(query)
            return {tuple(r) for r in cursor}

        cases = {
            'referral statistics (manager)': (
                lambda: ours(manager, Statistic, STATISTIC_FIELDS),
                lambda: raw(REFERRAL_STATISTICS.format(
                        month=any_month, where=''))),
            'referral statistics (Sinjar supervisor)': (
                lambda: ours(supervisor, Statistic, STATISTIC_FIELDS),
                lambda: raw(REFERRAL_STATISTICS.format(
                        month=any_month,
                        where='WHERE c.office = %d' % sinjar))),
            'indicators by month (manager)': (
                lambda: ours(manager, KPI, INDICATOR_FIELDS,
                    {'kpi_by': 'month'}),
                lambda: raw(INDICATORS.format(
                        month=sent_month, now=literal(now())))),
            'answer and completion times by month (manager)': (
                lambda: ours(manager, KPI, TIME_FIELDS,
                    {'kpi_by': 'month'}),
                lambda: raw_times(cursor,
                    INDICATORS.format(month=sent_month, now=literal(now())),
                    TIMES.format(month=sent_month))),
            }
        result = {}
        for name, (our_query, raw_query) in cases.items():
            timings = {'ours': [], 'raw': []}
            for _ in range(ROUNDS):
                for key, query in [('ours', our_query), ('raw', raw_query)]:
                    start = time.perf_counter()
                    rows = query()
                    timings[key].append(time.perf_counter() - start)
                    if key == 'ours':
                        mine = rows
                assert mine == rows, (
                    name, list(mine - rows)[:3], list(rows - mine)[:3])
                assert rows
            result[name] = {k: statistics.median(v)
                for k, v in timings.items()}
            transaction.commit()
    print(json.dumps(result))


if __name__ == '__main__':
    inner()
