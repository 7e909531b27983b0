"""The lists, counts and statistics users open most, at a ministry's size.

`scripts/scale.py` generates two databases in the bench cluster (kept from
one run to the next unless BENCH_SCALE_FRESH is set): BENCH_SCALE_PEOPLE
people (1,000,000 by default, about two referrals each, every state, three
years of dates, 18 offices in 9 governorates) and a tenth of it. In each,
as the users who open them (a Mosul caseworker, a provider's focal point,
the ministry manager), with their record rules, in one process:

- a list's first page of 80 and its count (search and search_count),
  against hand-written SQL giving the same ids and count (asserted equal):
  goal ratio <= 1.3 and <= 300 ms; the first page alone too;
- the list as the web client (sao 8.0) opens it: the counters of its tabs
  (counted up to 1,000), the first 1,000 ids of the first tab, their count
  up to 100 pages of them, and the read of the first rows it shows (1,000
  values: 100 rows of 10 columns or more) with the names of the records
  they point to and the rights on each: goal <= 500 ms;
- the referral statistics of the last 30 days and of three years as the
  manager reads them (search_read, small cells hidden), against the GROUP
  BY giving the same rows: goal ratio <= 1.5;
- growth: each list's first page's time at full size over its time at a
  tenth: goal <= 1.5. A count reads all it counts, by hand as well: its
  growth is printed beside the hand-written SQL's.

Each time is the median of ROUNDS runs after one to warm the cache.
PostgreSQL only (BENCH_DATABASE_URI).
"""
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from child import run_child

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'scripts'))
from momd_setup import prepare  # noqa: E402

PEOPLE = int(os.environ.get('BENCH_SCALE_PEOPLE', 1000000))
ROUNDS = 5
PAGE = 80
CLIENT_LIMIT = 1000
TAB_COUNT_LIMIT = 1000
GOAL_RATIO, GOAL_PAGE, GOAL_OPEN = 1.3, 0.300, 0.500
GOAL_STATISTICS, GOAL_GROWTH = 1.5, 1.5
SMALL_CELL = 5


def database_name(people):
    return 'bench_scale_%dk' % (people // 1000)


def ensure(people):
    """Generate the database of people unless it is there, whole; one
    generated before is brought to the module as it is now (its tables and
    indexes), as an update of a server would"""
    name = database_name(people)
    uri = os.environ['BENCH_DATABASE_URI']
    var = ROOT / 'var' / 'bench-scale'
    done = var / ('%s.done' % name)
    if done.exists() and not os.environ.get('BENCH_SCALE_FRESH'):
        prepare(var, 8000, name, uri)
        return name
    done.unlink(missing_ok=True)
    subprocess.run([sys.executable, str(ROOT / 'scripts' / 'scale.py'),
            '--people', str(people), '--db', name, '--var', str(var)],
        env=dict(os.environ, DATABASE_URI=uri), check=True,
        stdout=sys.stderr)
    done.write_text(str(people))
    return name


def run():
    if not os.environ.get('BENCH_DATABASE_URI'):
        print('skipped: the scale is measured on PostgreSQL '
            '(BENCH_DATABASE_URI)')
        return []
    sizes = [PEOPLE // 10, PEOPLE]
    results = {}
    for people in sizes:
        name = ensure(people)
        results[people] = run_child(__file__, name, keep=True)
    small, full = results[sizes[0]], results[sizes[1]]
    print('sizes: %s' % '; '.join('%d people, %d referrals' % (
                p, results[p]['referrals']) for p in sizes))
    rows = []
    passed = True
    print('%-56s %9s %9s %6s %9s %7s %7s' % (
            'at %dk people' % (PEOPLE // 1000), 'ours ms', 'raw ms',
            'ratio', 'goal', 'growth', 'raw gr.'))
    for name, times in full['lists'].items():
        before = small['lists'][name]
        # a count reads every row it counts: its time grows with the
        # data, by hand as well (raw growth beside ours); the goal of growth
        # is the first page's, which an index in the list's order serves
        for key, label in [('', 'page + count'), ('page ', 'first page')]:
            ours, raw = times[key + 'ours'], times[key + 'raw']
            ratio = ours / raw
            growth = ours / before[key + 'ours']
            raw_growth = raw / before[key + 'raw']
            if key:
                ok = growth <= GOAL_GROWTH
                goal = 'gr. %.1f' % GOAL_GROWTH
            else:
                ok = ratio <= GOAL_RATIO and ours <= GOAL_PAGE
                goal = '%.1f/%d' % (GOAL_RATIO, 1000 * GOAL_PAGE)
            passed &= ok
            print('%-56s %9.1f %9.1f %6.2f %9s %7.2f %7.2f %s' % (
                    '%s (%s)' % (name, label), 1000 * ours, 1000 * raw,
                    ratio, goal, growth, raw_growth,
                    'PASS' if ok else 'FAIL'))
            rows.append(('%s, %s, %dk people' % (
                        name, label, PEOPLE // 1000), 1 / ours, 1 / raw))
    for name, seconds in full['opens'].items():
        growth = seconds / small['opens'][name]
        ok = seconds <= GOAL_OPEN
        passed &= ok
        print('%-56s %9.1f %9s %6s %9s %7.2f %7s %s' % (
                name + ' (web client open)', 1000 * seconds, '', '',
                '%d' % (1000 * GOAL_OPEN), growth, '',
                'PASS' if ok else 'FAIL'))
    for name, times in full['statistics'].items():
        ratio = times['ours'] / times['raw']
        ok = ratio <= GOAL_STATISTICS
        passed &= ok
        print('%-56s %9.1f %9.1f %6.2f %9s %7s %7s %s' % (
                name, 1000 * times['ours'], 1000 * times['raw'], ratio,
                '%.1f' % GOAL_STATISTICS, '', '', 'PASS' if ok else 'FAIL'))
        rows.append(('%s, %dk people' % (name, PEOPLE // 1000),
                1 / times['ours'], 1 / times['raw']))
    print('scale goals: %s' % ('PASS' if passed else 'FAIL'))
    return rows


def median_time(function, rounds=ROUNDS):
    "The median time of function over rounds, after a first run; its result"
    result = function()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


class Lists:
    "The lists as the users open them, and the same by hand-written SQL"

    def __init__(self, pool, cursor, users):
        self.pool = pool
        self.cursor = cursor
        self.users = users
        self.contexts = {}

    def as_user(self, login, function):
        """Run function as the user of login, with the context the web
        client sends with each call (its preferences, read once at login
        as the client does)"""
        from trytond.transaction import Transaction
        User = self.pool.get('res.user')
        user = self.users[login]
        with Transaction().set_user(user.id), \
                Transaction().set_context(_check_access=True):
            if login not in self.contexts:
                self.contexts[login] = User.get_preferences(
                    context_only=True)
            with Transaction().set_context(self.contexts[login]):
                return function()

    def page(self, login, model, domain, count=True):
        Model = self.pool.get(model)

        def ours():
            ids = [r.id for r in Model.search(domain, limit=PAGE)]
            return (ids, Model.search_count(domain)) if count else (ids,)
        return lambda: self.as_user(login, ours)

    def raw(self, where, order, table, count=True, **params):
        cursor = self.cursor

        def raw():
            cursor.execute('SELECT id FROM %s WHERE %s ORDER BY %s LIMIT %d'
                % (table, where, order, PAGE), params)
            ids = [i for i, in cursor]
            if not count:
                return (ids,)
            cursor.execute('SELECT COUNT(*) FROM %s WHERE %s'
                % (table, where), params)
            return ids, cursor.fetchone()[0]
        return raw

    def open(self, login, xml_id):
        """The web client opening the action: its tabs' counters, the
        first tab's first rows, their columns read"""
        from trytond.pyson import PYSONDecoder
        from trytond.transaction import Transaction
        pool = self.pool
        ModelData = pool.get('ir.model.data')
        Action = pool.get('ir.action.act_window')
        action = Action(ModelData.get_id('momd_referral', xml_id))
        Model = pool.get(action.res_model)

        def client():
            context = {'_user': Transaction().user}
            decoder = PYSONDecoder(context)
            domain = decoder.decode(action.pyson_domain)
            tabs = [(decoder.decode(t.domain), t.count)
                for t in action.act_window_domains]
            view = Model.fields_view_get(
                action.act_window_views[0].view.id, 'tree')
            names = []
            for name, field in view['fields'].items():
                names.append(name)
                if field['type'] in {'many2one', 'one2one', 'reference'}:
                    names.append(name + '.rec_name')
            names += ['rec_name', '_timestamp', '_write', '_delete']
            for tab, count in tabs:
                if count:
                    Model.search_count(domain + tab, 0, TAB_COUNT_LIMIT)
            first = tabs[0][0] if tabs else []
            ids = [r.id for r in Model.search(
                    domain + first, limit=CLIENT_LIMIT)]
            if len(ids) == CLIENT_LIMIT:
                Model.search_count(domain + first, 0, 100 * CLIENT_LIMIT)
            shown = ids[:CLIENT_LIMIT // min(len(names), 10)]
            Model.read(shown, names)
            return len(shown)
        return lambda: self.as_user(login, client)


REFERRAL_STATISTICS = '''
SELECT SUBSTRING(CAST(COALESCE(r.sent_date, r.create_date) AS VARCHAR)
        FROM 1 FOR 7), r.office, r.district, n.category, r.provider,
    p.type, r.state, r.priority, r.decline_reason, COUNT(*)
FROM momd_referral AS r
JOIN momd_need AS n ON n.id = r.need
JOIN momd_provider AS p ON p.id = r.provider
WHERE r.restricted IS NOT TRUE AND COALESCE(r.sent_date, r.create_date) >= %s
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
'''
STATISTIC_FIELDS = ['month', 'office', 'district', 'category', 'provider',
    'provider_type', 'state', 'priority', 'decline_reason', 'referrals']


def inner():
    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME
    from trytond.transaction import Transaction
    from trytond import backend
    assert backend.name == 'postgresql', 'PostgreSQL only'
    from demo_providers import FOCAL_POINTS
    Pool(DB_NAME).init()
    with Transaction().start(DB_NAME, 0) as transaction:
        pool = Pool()
        User = pool.get('res.user')
        Date = pool.get('ir.date')
        Statistic = pool.get('momd.referral.statistic')
        cursor = transaction.connection.cursor()
        caseworker, focal_point, manager = (
            'msl.caseworker.1', sorted(FOCAL_POINTS)[0], 'manager')
        users = {u.login: u for u in User.search([
                    ('login', 'in', [caseworker, focal_point, manager])])}
        offices = [o.id for o in users[caseworker].offices]
        # as written by hand: "IN (1)", which PostgreSQL reads as "= 1"
        in_offices = 'IN (%s)' % ', '.join(map(str, offices))
        cursor.execute('SELECT provider FROM "momd_provider-res_user" '
            'WHERE "user" = %s', (users[focal_point].id,))
        in_providers = 'IN (%s)' % ', '.join(str(p) for p, in cursor)
        lists = Lists(pool, cursor, users)
        user = users[caseworker].id
        cases = {
            # name: (the user's search), (the same by hand: where, order,
            # table, parameters)
            'referrals (Mosul caseworker)': (
                (caseworker, 'momd.referral', []),
                ('office ' + in_offices + ' AND restricted IS NOT TRUE',
                    'id DESC', 'momd_referral', {})),
            'referrals (manager)': (
                (manager, 'momd.referral', []),
                ('restricted IS NOT TRUE', 'id DESC', 'momd_referral', {})),
            'inbox, to answer (focal point)': (
                (focal_point, 'momd.referral',
                    [('provider.focal_points', '=', users[focal_point].id),
                        ('state', '=', 'sent')]),
                ("provider " + in_providers + " AND state = 'sent' "
                    "AND sent_date IS NOT NULL AND restricted IS NOT TRUE",
                    'id DESC', 'momd_referral', {})),
            'beneficiaries (Mosul caseworker)': (
                (caseworker, 'momd.beneficiary', []),
                ('office ' + in_offices + ' AND active',
                    'code DESC, id DESC', 'momd_beneficiary', {})),
            'cases (Mosul caseworker)': (
                (caseworker, 'momd.case', []),
                ('office ' + in_offices, 'opened_date DESC, id DESC',
                    'momd_case', {})),
            'activities, own open (Mosul caseworker)': (
                (caseworker, 'momd.activity',
                    [('user', '=', user), ('state', '=', 'open')]),
                ("\"user\" = %(user)s AND state = 'open' "
                    "AND restricted IS NOT TRUE "
                    "AND (office " + in_offices + " OR \"user\" = %(user)s)",
                    'due ASC, id ASC', 'momd_activity', {'user': user})),
            }
        result = {'lists': {}, 'opens': {}, 'statistics': {}}
        for name, (search, (where, order, table, params)) in cases.items():
            times = result['lists'][name] = {}
            for count, key in [(True, ''), (False, 'page ')]:
                ours_time, mine = median_time(
                    lists.page(*search, count=count))
                raw_time, theirs = median_time(
                    lists.raw(where, order, table, count=count, **params))
                assert mine == theirs, (name, mine[1:], theirs[1:],
                    mine[0][:5], theirs[0][:5])
                times[key + 'ours'] = ours_time
                times[key + 'raw'] = raw_time
            transaction.rollback()
        for name, (login, xml_id) in {
                'referrals (Mosul caseworker)': (
                    caseworker, 'act_referral_form'),
                'inbox (focal point)': (focal_point, 'act_referral_inbox'),
                'beneficiaries (Mosul caseworker)': (
                    caseworker, 'act_beneficiary_form'),
                }.items():
            seconds, _ = median_time(lists.open(login, xml_id), rounds=3)
            result['opens'][name] = seconds
            transaction.rollback()
        today = Date.today()
        for name, days in [('referral statistics, 30 days (manager)', 30),
                ('referral statistics, 3 years (manager)', 3 * 365)]:
            start = today - dt.timedelta(days=days)

            def ours():
                return lists.as_user(manager, lambda: set(
                        tuple(r[f] for f in STATISTIC_FIELDS)
                        for r in Statistic.search_read([],
                            fields_names=list(STATISTIC_FIELDS))))

            def raw():
                cursor.execute(REFERRAL_STATISTICS, (
                        dt.datetime.combine(start, dt.time()),))
                return {tuple(r[:-1]) + (
                        None if 0 < r[-1] < SMALL_CELL else r[-1],)
                    for r in cursor}
            with Transaction().set_context(from_date=start):
                ours_time, mine = median_time(ours, rounds=3)
            raw_time, theirs = median_time(raw, rounds=3)
            assert mine == theirs, (name, len(mine), len(theirs),
                list(mine - theirs)[:3], list(theirs - mine)[:3])
            result['statistics'][name] = {
                'ours': ours_time, 'raw': raw_time, 'rows': len(mine)}
        cursor.execute('SELECT COUNT(*) FROM momd_referral')
        result['referrals'], = cursor.fetchone()
        transaction.rollback()
    print(json.dumps(result))


if __name__ == '__main__':
    inner()
