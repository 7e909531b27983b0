"""Breach scoping on 10M audit trail lines, against the raw query of them.

The trail: BENCH_BREACH_LINES lines (default 10,000,000) written by SQL over
a year, by 200 users from 1,750 addresses, about 20,000 people opened
(mostly), changed, printed and now and then exported (fifty at a time).
Measured: the breach scoping wizard's
answer (the lines, the people concerned with how and which columns, the
spreadsheet) for a user over 30 days, and for an address over 30 days, as an
administrator runs it; the baseline is the raw SELECT of the same lines
(same indexes, same process). Prints both times and PASS or FAIL against the
goal (an answer in under 60 s). Then the subject access report's question
"which exports held this person" for a person of the trail, through the
index of exported records, against the scan of the ids of every export
line (how it was answered before the index), both in the same process. PostgreSQL only (BENCH_DATABASE_URI); the
database is kept between runs (BENCH_BREACH_FRESH makes it again).
"""
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

from child import run_child

LINES = int(os.environ.get('BENCH_BREACH_LINES', 10000000))
PEOPLE = 20000
USERS = 200
GOAL = 60.0
DATABASE = 'bench_breach'


def run():
    if not os.environ.get('BENCH_DATABASE_URI'):
        print('skipped: breach scoping is measured on PostgreSQL '
            '(BENCH_DATABASE_URI)')
        return []
    result = run_child(__file__, DATABASE, keep=True)
    print('trail lines %d%s' % (result['lines'],
            ', generated in %.0f s' % result['generation_s']
            if 'generation_s' in result else ''))
    rows = []
    for name in ['user', 'address']:
        ours, raw = result[name]
        print('by %s over 30 days: %d lines, %d people; wizard %.2f s, raw '
            'query %.2f s; goal < %.0f s: %s' % (name, result[name + '_lines'],
                result[name + '_people'], ours, raw, GOAL,
                'PASS' if ours < GOAL else 'FAIL'))
        rows.append(('Breach scoping by %s, %dM lines' % (
                    name, result['lines'] // 1000000), 1 / ours, 1 / raw))
    ours, scan = result['exports_of']
    print('exports holding one person (%d found): index %.1f ms, scan of '
        'the export lines %.1f ms, %.0fx faster' % (result['exports_found'],
            ours * 1000, scan * 1000, scan / ours))
    rows.append(('Exports holding a person, %dM lines' % (
                result['lines'] // 1000000), 1 / ours, 1 / scan))
    return rows


def generate(cursor, connection, users, first_person):
    "LINES lines by SQL, the indexes made after them"
    cursor.execute("SELECT indexdef, indexname FROM pg_indexes WHERE "
        "tablename = 'momd_access_log' AND indexname NOT LIKE '%pkey'")
    indexes = cursor.fetchall()
    for _, name in indexes:
        cursor.execute('DROP INDEX "%s"' % name)
    user_case = 'CASE x %% %d %s END' % (len(users), ' '.join(
            'WHEN %d THEN %d' % (i, u) for i, u in enumerate(users)))
    cursor.execute(
        "INSERT INTO momd_access_log (create_uid, create_date, \"user\", "
        "action, model, record, records, exported_fields, record_count, "
        "changed_fields, session, ip_address, date) "
        "SELECT u, d, u, a, 'momd.beneficiary', "
        "CASE WHEN a = 'export' THEN NULL ELSE p END, "
        "CASE WHEN a = 'export' THEN (SELECT string_agg("
        "(%(first)d + (p + k * 37) %% %(people)d)::text, ',') "
        "FROM generate_series(0, 49) AS k) END, "
        "CASE WHEN a = 'export' THEN 'code,first_name,family_name' END, "
        "CASE WHEN a = 'export' THEN 50 END, "
        "CASE WHEN a = 'write' THEN 'notes' END, "
        "md5(u::text || (x / 500)::text), "
        "'10.' || (x %% 7) || '.' || (u %% 250) || '.1', d "
        "FROM (SELECT x, %(users)s AS u, "
        "NOW() - (x::float8 * 31536000 / %(lines)d) * INTERVAL '1 second' "
        "AS d, "
        "%(first)d + (x::bigint * 7919) %% %(people)d AS p, "
        "CASE WHEN x %% 997 = 0 THEN 'export' WHEN x %% 10 = 1 "
        "THEN 'write' WHEN x %% 10 = 2 THEN 'print' ELSE 'read' END AS a "
        "FROM generate_series(1, %(lines)d) AS x) AS s" % {
            'users': user_case, 'lines': LINES, 'first': first_person,
            'people': PEOPLE})
    cursor.execute("SET maintenance_work_mem = '512MB'")
    for definition, _ in indexes:
        cursor.execute(definition)
    cursor.execute('ANALYZE momd_access_log')
    connection.commit()


def inner():
    from trytond.tests.test_tryton import DB_NAME, activate_module
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond import backend
    assert backend.name == 'postgresql', 'PostgreSQL only'
    activate_module(['momd_referral'])
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent
        / 'scripts'))
    import population
    result = {}
    with Transaction().start(DB_NAME, 0) as transaction:
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        connection = transaction.connection
        cursor = connection.cursor()
        cursor.execute('SELECT COUNT(*) FROM momd_access_log')
        lines, = cursor.fetchone()
        if lines < LINES or os.environ.get('BENCH_BREACH_FRESH'):
            start = time.perf_counter()
            cursor.execute('TRUNCATE momd_access_log, momd_access_log_record')
            first_person = population.load(
                cursor, connection, random.Random(23), count=PEOPLE)
            logins = ['bench.%d' % i for i in range(USERS)]
            known = {u.login for u in User.search(
                        [('login', 'in', logins)])}
            User.create([{'login': l, 'name': l} for l in logins
                    if l not in known])
            users = [u.id for u in User.search(
                    [('login', 'in', logins)], order=[('id', 'ASC')])]
            connection.commit()
            generate(cursor, connection, users, first_person)
            result['generation_s'] = time.perf_counter() - start
            print('generated %d lines in %.0f s' % (
                    LINES, result['generation_s']), file=sys.stderr)
        cursor.execute('SELECT COUNT(*) FROM momd_access_log')
        result['lines'], = cursor.fetchone()
        cursor.execute('SELECT COUNT(*) FROM momd_access_log_record')
        if not cursor.fetchone()[0]:
            # the records of the exports written by SQL, as the trail
            # indexes those it writes
            cursor.execute("INSERT INTO momd_access_log_record "
                "(line, model, record) SELECT id, model, "
                "unnest(string_to_array(records, ','))::integer "
                "FROM momd_access_log WHERE action = 'export'")
            cursor.execute('ANALYZE momd_access_log_record')
            connection.commit()
        admin, = User.search([('login', '=', 'bench.admin')]) or User.create([
                {'login': 'bench.admin', 'name': 'Admin',
                    'groups': [('add', [ModelData.get_id(
                                    'momd_referral', 'group_admin')])]}])
        user, = User.search([('login', '=', 'bench.0')])
        user = user.id
        cursor.execute("SELECT ip_address FROM momd_access_log "
            "WHERE \"user\" = %s LIMIT 1", (user,))
        address, = cursor.fetchone()
        end = dt.datetime.now()
        start = end - dt.timedelta(days=30)
        Breach = pool.get('momd.access.log.breach', type='wizard')
        raw = ("SELECT id, date, \"user\", action, model, record, records, "
            "exported_fields, changed_fields, ip_address, answer_link, "
            "recipient FROM momd_access_log WHERE {} AND date >= %s "
            "AND date <= %s AND action IN ('read', 'print', 'export')")
        for name, values, where, param in [
                ('user', {'user': user}, '"user" = %s', user),
                ('address', {'ip_address': address}, 'ip_address = %s',
                    address)]:
            timings = {'ours': [], 'raw': []}
            for _ in range(3):
                began = time.perf_counter()
                cursor.execute(raw.format(where), (param, start, end))
                cursor.fetchall()
                timings['raw'].append(time.perf_counter() - began)
                with Transaction().set_user(admin.id), \
                        Transaction().set_context(_check_access=True):
                    began = time.perf_counter()
                    session_id, _, _ = Breach.create()
                    answer = Breach.execute(session_id, {'start': {
                                **values, 'start': start, 'end': end}},
                        'search')['view']['defaults']
                    timings['ours'].append(time.perf_counter() - began)
            result[name] = (statistics.median(timings['ours']),
                statistics.median(timings['raw']))
            result[name + '_lines'] = answer['lines']
            result[name + '_people'] = answer['people']
        result['exports_of'], result['exports_found'] = exports_of(
            cursor, pool.get('momd.access.log'))
        transaction.rollback()
    print(json.dumps(result))


def exports_of(cursor, AccessLog):
    """((index, scan) median seconds, lines found) of the exports holding
    a person of the trail"""
    from momd_referral.models.audit import line_records
    cursor.execute("SELECT record FROM momd_access_log_record LIMIT 1")
    person, = cursor.fetchone()
    reference = 'momd.beneficiary,%d' % person
    timings = {'index': [], 'scan': []}
    for _ in range(5):
        began = time.perf_counter()
        found = AccessLog.exports_of([reference])
        timings['index'].append(time.perf_counter() - began)
        began = time.perf_counter()
        cursor.execute("SELECT id, records FROM momd_access_log "
            "WHERE action = 'export' AND model = 'momd.beneficiary'")
        scanned = [i for i, records in cursor
            if person in line_records(None, records)]
        timings['scan'].append(time.perf_counter() - began)
    assert sorted(l.id for l in found) == sorted(scanned), 'not the same'
    return (statistics.median(timings['index']),
        statistics.median(timings['scan'])), len(found)


if __name__ == '__main__':
    inner()
