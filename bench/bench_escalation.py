"""The hourly overdue and escalation check, against raw SQL UPDATEs.

200,000 open referrals (sent, accepted or in progress) of one Sinjar case;
at the time of the check 1% have just passed their deadline and 1% were
overdue for 30 hours at the caseworker level. Referral.escalate() marks the
first, moves both up the chain, creates the plan's review activities, tells
the users and queues the e-mails; the baseline is the two UPDATE statements
that change the same rows the same way, in the same process and database.
SQLite in memory, or PostgreSQL when BENCH_DATABASE_URI is set. Runs in a
child process so that its test database settings stay its own.
"""
import datetime as dt
import json
import os
import time

from child import numbers, run_child

REFERRALS = int(os.environ.get('BENCH_REFERRALS_OPEN', 200000))
ROUNDS = 3


def run():
    result = run_child(__file__, 'bench_escalation')
    return [(
            'escalation check, %d open referrals (%d changed), vs raw SQL'
            % (REFERRALS, result['changed']),
            REFERRALS / result['ours'], REFERRALS / result['raw'])]


def template_referral():
    "One sent referral of a Sinjar case, made through the workflow"
    from trytond.pool import Pool
    from momd_referral.tests.automation_tests import supervised_world
    Referral = Pool().get('momd.referral')
    world = supervised_world('urgent')
    referral = world.referral(priority='urgent')
    Referral.send([referral])
    return referral


def fill(cursor, backend_name, template, now):
    "Copy the template referral REFERRALS times with SQL"
    cursor.execute("SELECT * FROM momd_referral WHERE id = %d" % template)
    columns = [c[0] for c in cursor.description]
    cursor.fetchall()
    series, source = numbers(backend_name, REFERRALS)
    if backend_name == 'sqlite':
        def at(hours):
            return "datetime('%s', '%+d hours')" % (now.isoformat(' '), hours)
    else:
        def at(hours):
            return ("(TIMESTAMP '%s' + INTERVAL '%d hours')"
                % (now.isoformat(' '), hours))
    # 1%: deadline passed 2 hours ago; 1%: overdue 30 hours at level 1;
    # the others: due in 5 days
    deadline = ("CASE WHEN x %% 100 = 0 THEN %s WHEN x %% 100 = 1 THEN %s "
        "ELSE %s END" % (at(-2), at(-30), at(120)))
    values = {
        'id': None,
        'code': "'BENCH-' || x",
        'state': ("CASE WHEN x % 5 < 3 THEN 'sent' WHEN x % 5 = 3 "
            "THEN 'accepted' ELSE 'in_progress' END"),
        'acknowledge_before': deadline,
        'complete_before': deadline,
        'overdue_since': "CASE WHEN x %% 100 = 1 THEN %s END" % at(-30),
        'escalation_level': "CASE WHEN x % 100 = 1 THEN 1 ELSE 0 END",
        'escalated_to': "CASE WHEN x % 100 = 1 THEN 'caseworker' END",
        }
    names = [c for c in columns if c != 'id']
    cursor.execute(series
        + 'INSERT INTO momd_referral (%s) ' % ', '.join(
            '"%s"' % c for c in names)
        + 'SELECT %s FROM %s, momd_referral AS t WHERE t.id = %d' % (
            ', '.join(values.get(c) or 't."%s"' % c for c in names),
            source, template))


RAW = [
    # the newly late
    '''UPDATE momd_referral SET
        overdue_since = CASE WHEN state = 'sent' THEN acknowledge_before
            ELSE complete_before END,
        escalation_level = 1, escalated_to = 'caseworker'
    WHERE overdue_since IS NULL AND (
        (state = 'sent' AND acknowledge_before < {now})
        OR (state IN ('accepted', 'in_progress')
            AND complete_before < {now}))''',
    # a day late: to the supervisor
    '''UPDATE momd_referral SET escalation_level = 2,
        escalated_to = 'supervisor'
    WHERE state IN ('sent', 'accepted', 'in_progress')
        AND overdue_since IS NOT NULL AND escalation_level < 2
        AND overdue_since <= {day_before}''',
    ]


def reset(cursor, backend_name, now):
    "Put the referrals back as fill() made them, drop what a check added"
    x = ("CAST(substr(code, 7) AS INTEGER)" if backend_name == 'sqlite'
        else "CAST(substring(code from 7) AS INTEGER)")
    cursor.execute(
        "UPDATE momd_referral SET "
        "overdue_since = CASE WHEN {x} % 100 = 1 THEN {since} END, "
        "escalation_level = CASE WHEN {x} % 100 = 1 THEN 1 ELSE 0 END, "
        "escalated_to = CASE WHEN {x} % 100 = 1 THEN 'caseworker' END"
        .format(x=x, since=("'%s'" if backend_name == 'sqlite'
                else "TIMESTAMP '%s'") % (
                now - dt.timedelta(hours=30)).isoformat(' ')))
    for table in ['momd_activity', 'ir_queue', 'momd_referral__history']:
        cursor.execute('DELETE FROM %s' % table)


def counts(cursor):
    cursor.execute('SELECT escalation_level, COUNT(*) FROM momd_referral '
        'GROUP BY escalation_level ORDER BY escalation_level')
    return [list(r) for r in cursor]


def inner():
    from trytond.tests.test_tryton import DB_NAME, activate_module
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond import backend
    activate_module(['momd_referral'])
    now = dt.datetime(2026, 11, 29, 12, 0)
    with Transaction().start(DB_NAME, 0) as transaction:
        template = template_referral()
        cursor = transaction.connection.cursor()
        fill(cursor, backend.name, template.id, now)
        # the template itself is not part of the measure
        cursor.execute('DELETE FROM momd_referral WHERE id = %d'
            % template.id)
        transaction.commit()
        Referral = Pool().get('momd.referral')
        literal = ("'%s'" if backend.name == 'sqlite'
            else "TIMESTAMP '%s'")
        timings = {'ours': [], 'raw': []}
        for _ in range(ROUNDS):
            reset(cursor, backend.name, now)
            transaction.commit()
            start = time.perf_counter()
            changed = Referral.escalate(now)
            transaction.commit()
            timings['ours'].append(time.perf_counter() - start)
            ours = counts(cursor)
            reset(cursor, backend.name, now)
            transaction.commit()
            start = time.perf_counter()
            for statement in RAW:
                cursor.execute(statement.format(
                        now=literal % now.isoformat(' '),
                        day_before=literal % (
                            now - dt.timedelta(hours=24)).isoformat(' ')))
            transaction.commit()
            timings['raw'].append(time.perf_counter() - start)
            raw = counts(cursor)
            # both leave the referrals in the same state
            assert ours == raw, (ours, raw)
            assert len(changed) == REFERRALS // 50, len(changed)
    print(json.dumps({
                'changed': len(changed),
                **{k: statistics_median(v) for k, v in timings.items()}}))


def statistics_median(values):
    import statistics
    return statistics.median(values)


if __name__ == '__main__':
    inner()
