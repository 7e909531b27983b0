#!/usr/bin/env python3
"""A momd_referral database of a ministry's size on PostgreSQL, for the
speed checks (`make scale`):

    DATABASE_URI=postgresql://... python scripts/scale.py [--people 1000000]
        [--db momd_scale] [--var var/scale]

The database starts as the demo one (its users, providers, services and
SLA rules), then gets offices in eight more governorates with their
caseworkers and supervisors, and by COPY and SQL: people in households,
with phones and documents, registered over three years, more in Nineveh
than elsewhere; a consent each; cases for about two thirds of them, with
one to three needs of the categories the providers serve; about two
referrals a person, in every state, their dates and deadlines following
each other as the steps did (answered after sent, completed after
started...); the referrals' history; follow-up activities of the open
ones; and the audit trail's lines of the registrations, referrals and
reads. Every row varies as real ones do: no copies of a few templates.
Then VACUUM ANALYZE. The generation is seeded: the same size gives the
same database. An existing database of that name is dropped first.
"""
import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'scripts'))

import population  # noqa: E402
from momd_setup import database, prepare  # noqa: E402

# governorate (as loaded with the module), its offices: code, district in
# English and Arabic
OFFICES = [
    ('Baghdad', [('KRK', 'Karkh', 'الكرخ'), ('RSF', 'Rusafa', 'الرصافة')]),
    ('Anbar', [('FLJ', 'Fallujah', 'الفلوجة'), ('RMD', 'Ramadi', 'الرمادي')]),
    ('Salah al-Din', [('TKR', 'Tikrit', 'تكريت'), ('BJI', 'Baiji', 'بيجي')]),
    ('Kirkuk', [('KRQ', 'Kirkuk', 'كركوك'), ('HWJ', 'Hawija', 'الحويجة')]),
    ('Duhok', [('ZKH', 'Zakho', 'زاخو'), ('SML', 'Sumel', 'سميل')]),
    ('Erbil', [('ERB', 'Erbil', 'أربيل')]),
    ('Diyala', [('BQB', 'Baquba', 'بعقوبة'), ('KHN', 'Khanaqin', 'خانقين')]),
    ('Basra', [('BSR', 'Basra', 'البصرة')]),
    ]
# the tables filled by SQL, their indexes made after them
TABLES = ['momd_consent', 'momd_case', 'momd_need', 'momd_referral',
    'momd_referral__history', 'momd_activity', 'momd_access_log']
# people registered by an office of Nineveh, against one elsewhere
NINEVEH_WEIGHT = 4
CASEWORKERS = 8
YEARS = 3
SEED = 24


def log(message, start):
    print('%6.0f s  %s' % (time.monotonic() - start, message), flush=True)


def add_offices(pool):
    """The offices of the other governorates, each with its district,
    caseworkers and a supervisor (staff of the Nineveh offices added so that
    each has CASEWORKERS); return [(office id, weight)]"""
    Location = pool.get('momd.location')
    Office = pool.get('momd.office')
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    Lang = pool.get('ir.lang')
    arabic, = Lang.search([('code', '=', 'ar')])
    caseworker = ModelData.get_id('momd_referral', 'group_caseworker')
    supervisor = ModelData.get_id('momd_referral', 'group_supervisor')
    known = {o.code for o in Office.search([])}
    for governorate_name, offices in OFFICES:
        governorate, = Location.search([
                ('level', '=', 'governorate'),
                ('name_en', '=', governorate_name)])
        for code, name_en, name_ar in offices:
            if code in known:
                continue
            district, = Location.create([{
                        'level': 'district', 'parent': governorate.id,
                        'name_en': name_en, 'name_ar': name_ar}])
            Office.create([{
                        'code': code, 'governorate': governorate.id,
                        'name_en': 'MoMD %s Office' % name_en,
                        'name_ar': 'مكتب وزارة الهجرة في %s' % name_ar,
                        'locations': [('add', [district.id])]}])
    weights = []
    users = []
    logins = {u.login for u in User.search([])}
    for office in Office.search([], order=[('id', 'ASC')]):
        weights.append((office.id, NINEVEH_WEIGHT
                if office.governorate.name_en == 'Nineveh' else 1))
        staff = [('%s.caseworker.%d' % (office.code.lower(), n),
                caseworker) for n in range(1, CASEWORKERS + 1)]
        staff.append(('%s.supervisor.1' % office.code.lower(), supervisor))
        for login, group in staff:
            if login in logins:
                continue
            users.append({
                    'login': login, 'name': login, 'language': arabic.id,
                    'groups': [('add', [group])],
                    'offices': [('add', [office.id])],
                    'supervised_offices': [('add', [office.id])]
                    if group == supervisor else []})
    User.create(users)
    return weights


def staff_tables(cursor):
    """Temporary tables of each office's caseworkers (numbered from 0), of
    the districts the offices cover and of the providers' services by
    category (numbered from 0)"""
    cursor.execute('''
        CREATE TEMPORARY TABLE scale_staff AS
        SELECT m.office, m."user" AS uid,
            ROW_NUMBER() OVER (PARTITION BY m.office ORDER BY m."user") - 1
                AS k,
            COUNT(*) OVER (PARTITION BY m.office) AS n
        FROM "momd_office-res_user" AS m
        JOIN "res_user-res_group" AS g ON g."user" = m."user"
        JOIN ir_model_data AS d ON d.db_id = g."group"
            AND d.model = 'res.group' AND d.module = 'momd_referral'
            AND d.fs_id = 'group_caseworker' ''', ())
    cursor.execute('''
        CREATE TEMPORARY TABLE scale_district AS
        SELECT ol.office, MIN(l.id) AS district
        FROM "momd_office-momd_location" AS ol
        JOIN momd_location AS l ON l.id = ol.location
            AND l.level = 'district'
        GROUP BY ol.office''')
    cursor.execute('''
        CREATE TEMPORARY TABLE scale_service AS
        SELECT s.id AS service, s.provider, s.category, c.restricted,
            ROW_NUMBER() OVER (PARTITION BY s.category ORDER BY s.id) - 1
                AS k,
            COUNT(*) OVER (PARTITION BY s.category) AS n,
            DENSE_RANK() OVER (ORDER BY s.category) - 1 AS c
        FROM momd_provider_service AS s
        JOIN momd_service_category AS c ON c.id = s.category''')
    cursor.execute('SELECT COUNT(DISTINCT category) FROM scale_service')
    categories, = cursor.fetchone()
    return categories


def consents_cases_needs(cursor, first_person, categories):
    "A consent for each person, cases for about two in three, their needs"
    cursor.execute('''
        INSERT INTO momd_consent (beneficiary, create_uid, create_date, date,
            expiry_date, given_by, information_groups, method,
            notice_version, obtained_by, purpose, state)
        SELECT b.id, s.uid, b.create_date, b.create_date::date,
            b.create_date::date + 365,
            CASE WHEN b.relationship = 'child' THEN 'guardian'
                ELSE 'beneficiary' END,
            CASE WHEN b.id %% 5 = 0 THEN '["contact", "identity"]'
                ELSE '["contact", "identity", "needs"]' END::jsonb,
            CASE WHEN b.id %% 4 = 0 THEN 'verbal' ELSE 'written' END,
            'MoMD-2026-1', s.uid, 'Referral to reintegration services',
            CASE WHEN b.create_date::date + 365 < CURRENT_DATE
                THEN 'expired' ELSE 'active' END
        FROM momd_beneficiary AS b
        JOIN scale_staff AS s ON s.office = b.office
            AND s.k = b.id %% s.n
        WHERE b.id >= %s''', (first_person,))
    cursor.execute('''
        UPDATE momd_consent SET guardian_name = 'ولي الأمر',
            guardian_relationship = 'parent'
        WHERE given_by = 'guardian' AND guardian_name IS NULL''', ())
    cursor.execute('''
        INSERT INTO momd_case (beneficiary, caseworker, code, create_uid,
            create_date, household, next_review, office, opened_date,
            risk_level, state, closed_date, closure_reason)
        SELECT b.id, s.uid,
            o.code || '-CASE-' || to_char(b.create_date, 'YYYY') || '-'
                || lpad((ROW_NUMBER() OVER (
                    PARTITION BY b.office ORDER BY b.id))::text, 6, '0'),
            s.uid, b.create_date, b.household,
            CASE WHEN closed THEN NULL
                ELSE CURRENT_DATE + (b.id %% 90)::int END,
            b.office, b.create_date::date,
            (ARRAY['low', 'low', 'medium', 'medium', 'high',
                'critical'])[1 + b.id %% 6],
            CASE WHEN closed THEN 'closed'
                WHEN b.id %% 11 = 0 THEN 'open' ELSE 'active' END,
            CASE WHEN closed THEN b.create_date::date + 200 END,
            CASE WHEN closed THEN 'Services delivered' END
        FROM (SELECT *, create_date < NOW() - INTERVAL '400 days'
                    AND id %% 3 = 0 AS closed
                FROM momd_beneficiary
                WHERE id >= %s
                    AND (relationship = 'head' OR id %% 2 = 0)) AS b
        JOIN momd_office AS o ON o.id = b.office
        JOIN scale_staff AS s ON s.office = b.office
            AND s.k = (b.id / 7) %% s.n''', (first_person,))
    # one to three needs, in the categories served, a few restricted
    cursor.execute('''
        INSERT INTO momd_need ("case", category, create_uid, create_date,
            identified_date, priority, restricted, status, description)
        SELECT c.id, v.category, c.create_uid,
            c.create_date + c.j * INTERVAL '1 day',
            c.opened_date + c.j,
            CASE WHEN h %% 20 = 0 THEN 'emergency'
                WHEN h %% 5 = 0 THEN 'urgent' ELSE 'normal' END,
            v.restricted,
            CASE WHEN c.state = 'closed' THEN 'met'
                WHEN h %% 9 = 0 THEN 'identified' ELSE 'referred' END,
            'Assessed at registration'
        FROM (SELECT c.*, j,
                (hashint4(c.id * 3 + j)::bigint & 2147483647) AS h
            FROM momd_case AS c,
                generate_series(0, c.id %% 3) AS j
            WHERE c.beneficiary >= %s) AS c
        JOIN scale_service AS v ON v.k = 0
            AND v.c = (c.h / 7) %% %s''', (first_person, categories))


REFERRALS = '''
WITH n AS (
    SELECT n.id AS need, n."case", n.category, n.priority, n.restricted,
        n.create_date, c.caseworker, c.office, cs.id AS consent, k,
        (hashint4(n.id * 2 + k)::bigint & 2147483647) AS h
    FROM momd_need AS n
    JOIN momd_case AS c ON c.id = n."case"
    JOIN momd_consent AS cs ON cs.beneficiary = c.beneficiary,
        generate_series(0, CASE WHEN n.id %% 20 < 12 THEN 1
            WHEN n.id %% 20 < 16 THEN 2 ELSE 0 END) AS k
    WHERE n.status <> 'identified' AND c.beneficiary >= %(first)s),
r AS (
    SELECT n.*, n.create_date + (h %% 240) * INTERVAL '1 hour'
            + k * INTERVAL '20 days' AS created,
        (h / 240) %% 100 AS pick, (h / 24000) %% 1000 AS spread
    FROM n),
s AS (
    SELECT r.*,
        CASE WHEN created < NOW() - INTERVAL '60 days' THEN
            CASE WHEN pick < 12 THEN 'completed'
                WHEN pick < 72 THEN 'closed'
                WHEN pick < 84 THEN 'declined'
                WHEN pick < 90 THEN 'cancelled'
                WHEN pick < 95 THEN 'in_progress'
                WHEN pick < 98 THEN 'sent'
                ELSE 'accepted' END
        ELSE
            CASE WHEN pick < 8 THEN 'draft'
                WHEN pick < 12 THEN 'to_approve'
                WHEN pick < 15 THEN 'waiting'
                WHEN pick < 40 THEN 'sent'
                WHEN pick < 55 THEN 'accepted'
                WHEN pick < 80 THEN 'in_progress'
                WHEN pick < 92 THEN 'completed'
                WHEN pick < 97 THEN 'declined'
                ELSE 'cancelled' END
        END AS state
    FROM r
    -- a later referral of a need registered lately is not made yet
    WHERE created < NOW() - INTERVAL '1 hour'),
d AS (
    SELECT s.*, v.provider, v.service,
        CASE WHEN state IN ('draft', 'to_approve', 'waiting') THEN NULL
            ELSE created + (spread %% 48) * INTERVAL '1 hour' END AS sent,
        (spread %% 96 + 1) * INTERVAL '1 hour' AS to_answer,
        (spread %% 9 + 1) * INTERVAL '1 day' AS to_start,
        (spread %% 40 + 1) * INTERVAL '1 day' AS to_complete,
        CASE priority WHEN 'emergency' THEN 24 WHEN 'urgent' THEN 72
            ELSE 336 END * INTERVAL '1 hour' AS ack,
        CASE priority WHEN 'emergency' THEN 7 WHEN 'urgent' THEN 14
            ELSE 30 END * INTERVAL '1 day' AS complete
    FROM s
    JOIN scale_service AS v ON v.category = s.category
        AND v.k = (s.h / 7) %% v.n),
t AS (
    SELECT d.*,
        CASE WHEN state IN ('accepted', 'in_progress', 'completed',
            'closed', 'declined') THEN sent + to_answer END AS answered,
        CASE WHEN state IN ('in_progress', 'completed', 'closed')
            THEN sent + to_answer + to_start END AS started
    FROM d),
u AS (
    SELECT t.*,
        CASE WHEN state IN ('completed', 'closed')
            THEN started + to_complete END AS completed
    FROM t)
'''


def referrals(cursor, first_person):
    "About two referrals a person, their steps dated in order"
    columns = {
        'code': "'NIN-REF-' || to_char(created, 'YYYY') || '-' || lpad("
            "(ROW_NUMBER() OVER (ORDER BY created, need, k))::text, 7, '0')",
        '"case"': '"case"',
        'caseworker': 'caseworker',
        'office': 'office',
        'need': 'need',
        'consent': 'consent',
        'provider': 'provider',
        'provider_service': 'service',
        'district': '(SELECT district FROM scale_district '
            'WHERE office = u.office)',
        'priority': 'priority',
        'restricted': 'restricted',
        'legal_basis': "'consent'",
        'disclosed_groups': """'["contact", "identity", "needs"]'::jsonb""",
        'reason': "(ARRAY['Referred after the needs assessment', "
            "'Asked for by the beneficiary at the office', "
            "'Follow-up of the household visit', "
            "'Found at the outreach session'])[1 + h %% 4]",
        'state': 'state',
        'create_uid': 'caseworker',
        'create_date': 'created',
        'write_uid': 'caseworker',
        'write_date': 'LEAST(GREATEST(created, sent, answered, started, '
            'completed), NOW())',
        # the steps of a referral made in the last days that would come
        # after now: done now
        'sent_date': 'LEAST(sent, NOW())',
        'acknowledge_before': 'sent + ack',
        'complete_before': 'sent + complete',
        'answered_date': 'LEAST(answered, NOW())',
        'started_date': 'LEAST(started, NOW())',
        'completed_date': 'LEAST(completed, NOW())',
        'closed_date': "CASE WHEN state = 'closed' "
            "THEN LEAST(completed + INTERVAL '3 days', NOW()) END",
        'decline_reason': "CASE WHEN state = 'declined' THEN "
            "(ARRAY['no_capacity', 'not_eligible', 'out_of_coverage', "
            "'service_unavailable', 'unreachable', 'other'])"
            "[1 + spread %% 6] END",
        'outcome': "CASE WHEN state IN ('completed', 'closed') THEN "
            "(ARRAY['provided', 'provided', 'provided', 'partly', "
            "'not_provided'])[1 + spread %% 5] END",
        'outcome_feedback': "CASE WHEN state IN ('completed', 'closed') "
            "THEN 'Reported by the provider' END",
        'overdue_since': "CASE WHEN state = 'sent' AND sent + ack < NOW() "
            "THEN sent + ack WHEN state IN ('accepted', 'in_progress') "
            "AND sent + complete < NOW() THEN sent + complete END",
        'escalation_level': '0',
        'priority_requested': 'false',
        'waitlist_date': "CASE WHEN state = 'waiting' THEN created END",
        }
    cursor.execute(REFERRALS + 'INSERT INTO momd_referral (%s)\n'
        'SELECT %s FROM u' % (', '.join(columns), ', '.join(columns.values())),
        {'first': first_person})


def history_activities_trail(cursor, first_person):
    """The referrals' history (their creation and their last step), the
    follow-up activities of the open referrals, and the trail's lines: the
    registration and the first read of each person, the creation of each
    referral"""
    cursor.execute('''
        INSERT INTO momd_referral__history (id, "case", caseworker, need,
            code, state, priority, legal_basis, reason, restricted,
            create_uid, create_date, write_uid, write_date)
        SELECT id, "case", caseworker, need, code, 'draft', priority,
            legal_basis, reason, restricted, create_uid, create_date,
            NULL, NULL
        FROM momd_referral''', ())
    cursor.execute('''
        INSERT INTO momd_referral__history (id, acknowledge_before,
            answered_date, "case", caseworker, closed_date, code,
            complete_before, completed_date, consent, create_date,
            create_uid, decline_reason, disclosed_groups, district,
            escalation_level, legal_basis, need, outcome, outcome_feedback,
            overdue_since, priority, provider, provider_service, reason,
            restricted, sent_date, started_date, state, write_date,
            write_uid)
        SELECT id, acknowledge_before, answered_date, "case", caseworker,
            closed_date, code, complete_before, completed_date, consent,
            create_date, create_uid, decline_reason, disclosed_groups,
            district, escalation_level, legal_basis, need, outcome,
            outcome_feedback, overdue_since, priority, provider,
            provider_service, reason, restricted, sent_date, started_date,
            state, write_date, write_uid
        FROM momd_referral WHERE state <> 'draft' ''', ())
    cursor.execute('''
        INSERT INTO momd_activity (create_uid, create_date, due, name,
            office, resource, restricted, role, state, "user", done_by,
            done_date)
        SELECT r.caseworker, r.sent_date, r.sent_date + INTERVAL '7 days',
            'الاتصال بالمستفيد للتأكد من تقديم الخدمة', c.office,
            'momd.referral,' || r.id, r.restricted, 'caseworker',
            CASE WHEN r.sent_date < NOW() - INTERVAL '7 days'
                AND r.id %% 3 = 0 THEN 'done' ELSE 'open' END,
            r.caseworker,
            CASE WHEN r.sent_date < NOW() - INTERVAL '7 days'
                AND r.id %% 3 = 0 THEN r.caseworker END,
            CASE WHEN r.sent_date < NOW() - INTERVAL '7 days'
                AND r.id %% 3 = 0 THEN r.sent_date + INTERVAL '6 days' END
        FROM momd_referral AS r
        JOIN momd_case AS c ON c.id = r."case"
        WHERE r.state IN ('sent', 'accepted', 'in_progress')''', ())
    cursor.execute('''
        INSERT INTO momd_access_log (create_uid, create_date, date,
            "user", action, model, record, office, changed_fields,
            shown_classes, session, ip_address)
        SELECT uid, at, at, uid, action, model, record, office,
            CASE WHEN action = 'create' THEN 'first_name,father_name' END,
            CASE WHEN action = 'read'
                THEN 'internal,personal,sensitive' END,
            md5(uid::text || to_char(at, 'YYYY-MM-DD')),
            '10.' || (office %% 200) || '.' || (uid %% 250) || '.1'
        FROM (
            SELECT b.create_uid AS uid, b.create_date AS at,
                'create' AS action, 'momd.beneficiary' AS model,
                b.id AS record, b.office
            FROM momd_beneficiary AS b WHERE b.id >= %(first)s
            UNION ALL
            SELECT c.caseworker, b.create_date + INTERVAL '2 days', 'read',
                'momd.beneficiary', b.id, b.office
            FROM momd_beneficiary AS b
            JOIN momd_case AS c ON c.beneficiary = b.id
            WHERE b.id >= %(first)s
            UNION ALL
            SELECT r.create_uid, r.create_date, 'create', 'momd.referral',
                r.id, c.office
            FROM momd_referral AS r
            JOIN momd_case AS c ON c.id = r."case") AS lines
        ORDER BY at''', {'first': first_person})


def sequences(pool, cursor):
    "Go on numbering after the generated codes"
    Sequence = pool.get('ir.sequence')
    cursor.execute("SELECT COUNT(*) FROM momd_referral")
    referrals, = cursor.fetchone()
    for sequence in Sequence.search([('prefix', 'like', '%REF%')]):
        Sequence.write([sequence], {'number_next': referrals + 1})


def generate(db, people):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond import backend
    start = time.monotonic()
    Pool(db).init()
    rng = random.Random(SEED)
    with Transaction().start(db, 0) as transaction:
        pool = Pool()
        connection = transaction.connection
        cursor = connection.cursor()
        weights = add_offices(pool)
        transaction.commit()
        log('%d offices, their staff' % len(weights), start)
        cursor.execute("SELECT setseed(%s)", (SEED / 100,))
        cursor.execute("SET work_mem = '256MB'")
        # compiling these one-off statements costs more than it saves
        cursor.execute("SET jit = off")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        now = dt.datetime.now().replace(microsecond=0)
        first_person = population.load(cursor, connection, rng, people,
            offices=weights, households=True, numbered=True,
            period=(now - dt.timedelta(days=365 * YEARS),
                now - dt.timedelta(days=1)))
        log('%d people, their households and phones' % people, start)
        cursor.execute('''
            INSERT INTO momd_beneficiary_identifier (beneficiary, type,
                number, create_uid, create_date)
            SELECT id, CASE WHEN id %% 5 = 0 THEN 'pds'
                    ELSE 'national_id' END,
                CASE WHEN id %% 5 = 0
                    THEN lpad((id::bigint * 7919 %% 99999999)::text, 8, '0')
                ELSE '19' || lpad((id::bigint * 104729 %% 10000000000)::text,
                    10, '0') END,
                0, create_date
            FROM momd_beneficiary WHERE id >= %s AND id %% 2 = 0''',
            (first_person,))
        transaction.commit()
        log('documents', start)
        categories = staff_tables(cursor)
        # the rows are consistent by their making: loaded without the
        # foreign keys' triggers and with the indexes made after them
        indexes = population.drop_indexes(cursor, TABLES)
        cursor.execute("SET session_replication_role = replica")
        consents_cases_needs(cursor, first_person, categories)
        cursor.execute('ANALYZE momd_consent, momd_case, momd_need')
        transaction.commit()
        log('consents, cases, needs', start)
        referrals(cursor, first_person)
        cursor.execute('ANALYZE momd_referral')
        transaction.commit()
        log('referrals', start)
        history_activities_trail(cursor, first_person)
        cursor.execute("SET session_replication_role = DEFAULT")
        for definition in indexes:
            cursor.execute(definition)
        sequences(pool, cursor)
        transaction.commit()
        log('history, activities, audit trail, indexes', start)
        counts = {}
        for table in ['momd_beneficiary', 'momd_household', 'momd_consent',
                'momd_case', 'momd_need', 'momd_referral',
                'momd_referral__history', 'momd_activity',
                'momd_access_log']:
            cursor.execute('SELECT COUNT(*) FROM "%s"' % table)
            counts[table], = cursor.fetchone()
        cursor.execute("SELECT state, COUNT(*) FROM momd_referral "
            "GROUP BY state ORDER BY 2 DESC")
        states = cursor.fetchall()
    connection = backend.Database(db).get_connection(autocommit=True)
    try:
        connection.cursor().execute('VACUUM ANALYZE')
    finally:
        connection.close()
    log('VACUUM ANALYZE', start)
    for table, count in counts.items():
        print('  %-26s %10d' % (table, count))
    print('  referrals by state: %s' % ', '.join(
            '%s %d' % s for s in states))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--people', type=int, default=1000000)
    parser.add_argument('--db', default='momd_scale')
    parser.add_argument('--var', default=str(ROOT / 'var' / 'scale'))
    args = parser.parse_args()
    uri = os.environ.get('DATABASE_URI', '')
    if not uri.startswith('postgresql'):
        raise SystemExit('DATABASE_URI=postgresql://... is needed')
    Path(args.var).mkdir(parents=True, exist_ok=True)
    conf = Path(args.var) / 'trytond.conf'
    if conf.exists():
        database(conf, 'drop', args.db, check=False)
        (Path(args.var) / ('%s.module' % args.db)).unlink(missing_ok=True)
    conf = prepare(args.var, 8000, args.db, uri=uri)
    os.environ['TRYTOND_CONFIG'] = str(conf)
    from trytond import config
    config.update_etc(str(conf))
    generate(args.db, args.people)


if __name__ == '__main__':
    main()
