"Tests of the statistics: the numbers are the database's own GROUP BY."
import codecs
import contextlib
import csv
import datetime as dt
import io
import statistics

import openpyxl

from trytond import backend
from trytond.config import config
from trytond.model.exceptions import AccessError, DomainValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import StatisticsError
from ..models import replica
from ..models import statistics as statistics_module
from ..models.export import list_fields
from ..models.beneficiary import _shift_years
from .provider_tests import location
from .referral_tests import ReferralWorld, give_consent
from .registry_tests import office, open_case, register
from .tools import create_user

DISTRICT = '''CASE WHEN l0.level = 'district' THEN l0.id
    WHEN l1.level = 'district' THEN l1.id
    WHEN l2.level = 'district' THEN l2.id END'''
LOCATIONS = '''LEFT JOIN momd_location AS l0 ON l0.id = {0}
LEFT JOIN momd_location AS l1 ON l1.id = l0.parent
LEFT JOIN momd_location AS l2 ON l2.id = l1.parent'''

REFERRALS = '''
SELECT to_char(COALESCE(r.sent_date, r.create_date), 'YYYY-MM'),
    c.office, r.district, n.category, r.provider, p.type, r.state,
    r.priority, r.decline_reason, COUNT(*)
FROM momd_referral AS r
JOIN momd_case AS c ON c.id = r."case"
JOIN momd_need AS n ON n.id = r.need
JOIN momd_provider AS p ON p.id = r.provider
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
'''

BENEFICIARIES = '''
SELECT to_char(b.create_date, 'YYYY-MM'), b.office, ''' + DISTRICT + ''',
    b.displacement_status, b.sex,
    CASE WHEN b.age_reference IS NULL THEN 'unknown'
        WHEN b.age_reference > '{a6}' THEN '00_05'
        WHEN b.age_reference > '{a18}' THEN '06_17'
        WHEN b.age_reference > '{a60}' THEN '18_59'
        ELSE '60' END,
    COUNT(*),
    SUM(CASE WHEN EXISTS (SELECT 1 FROM momd_referral AS r
            JOIN momd_case AS c ON c.id = r."case"
            WHERE c.beneficiary = b.id AND r.sent_date IS NOT NULL)
        THEN 1 ELSE 0 END),
    SUM(CASE WHEN EXISTS (SELECT 1 FROM momd_referral AS r
            JOIN momd_case AS c ON c.id = r."case"
            WHERE c.beneficiary = b.id
                AND r.outcome IN ('provided', 'partly'))
        THEN 1 ELSE 0 END)
FROM momd_beneficiary AS b
''' + LOCATIONS.format('b.current_location') + '''
WHERE b.active = TRUE
GROUP BY 1, 2, 3, 4, 5, 6
'''

OUTREACH = '''
SELECT to_char(e.date, 'YYYY-MM'), e.office, ''' + DISTRICT + ''', e.kind,
    COUNT(*), SUM(COALESCE(e.female_18_59, 0)),
    SUM(COALESCE(e.female_0_5, 0) + COALESCE(e.male_0_5, 0)
        + COALESCE(e.female_6_17, 0) + COALESCE(e.male_6_17, 0)
        + COALESCE(e.female_18_59, 0) + COALESCE(e.male_18_59, 0)
        + COALESCE(e.female_60, 0) + COALESCE(e.male_60, 0)),
    SUM((SELECT COUNT(*) FROM momd_beneficiary AS b
            WHERE b.outreach_event = e.id)),
    SUM((SELECT COUNT(*) FROM momd_need AS n
            WHERE n.outreach_event = e.id))
FROM momd_outreach_event AS e
''' + LOCATIONS.format('e.location') + '''
WHERE e.state = 'done'
GROUP BY 1, 2, 3, 4
'''

KPIS = '''
SELECT {0}, COUNT(*),
    SUM(CASE WHEN r.answered_date IS NOT NULL
        AND r.decline_reason IS NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.decline_reason IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.completed_date IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.completed_date <= r.complete_before
        THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.state IN ('sent', 'accepted', 'in_progress')
        THEN 1 ELSE 0 END)
FROM momd_referral AS r
JOIN momd_case AS c ON c.id = r."case"
WHERE r.sent_date IS NOT NULL
GROUP BY 1
'''
KPI_FIELDS = [
    'sent', 'accepted', 'declined', 'completed', 'completed_in_time', 'open']


def fetch(query):
    cursor = Transaction().connection.cursor()
    cursor.execute(query)
    return {tuple(row) for row in cursor}


def rows(model, fields):
    return {tuple(r[f] for f in fields)
        for r in model.search_read([], fields_names=list(fields))}


def set_dates(referral, **dates):
    "Set the dates of a referral's steps, as if they happened then"
    Referral = Pool().get('momd.referral')
    table = Referral.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.update(
            [getattr(table, n) for n in dates], list(dates.values()),
            where=table.id == referral.id))


class StatisticsWorld(ReferralWorld):
    """Referrals of Sinjar and Mosul in every step, beneficiaries of every
    age group, outreach events; dates moved back over three months"""

    def __init__(self):
        pool = Pool()
        Referral = pool.get('momd.referral')
        Event = pool.get('momd.outreach.event')
        Household = pool.get('momd.household')
        super().__init__()
        today = pool.get('ir.date').today()
        self.now = dt.datetime.now().replace(microsecond=0)
        ages = [
            ('female', _shift_years(today, -3), None, 'idp_in_camp'),
            ('male', _shift_years(today, -6), None, 'idp_in_camp'),
            ('female', None, 17, 'returned_idp'),
            ('female', _shift_years(today, -18), None, 'returnee_abroad'),
            ('male', None, 59, 'host_community'),
            ('male', _shift_years(today, -60), None, 'idp_out_camp'),
            ('female', dt.date(1995, 5, 5), None, 'idp_out_camp'),
            ]
        self.people = []
        for i, (sex, born, estimated, status) in enumerate(ages):
            values = {'sex': sex, 'birth_date': born,
                'estimated_age': estimated, 'displacement_status': status,
                'first_name': 'فاطمة' if sex == 'female' else 'أحمد'}
            code = 'MSL' if i >= 5 else 'SNJ'
            if i % 2:
                values['current_location'] = location('Sinjar Centre').id
            else:
                # where the household lives, not the person: the services
                # are matched on it, the statistics have no district
                values['household'] = Household.create([{
                            'office': office(code).id,
                            'location': location('Sinjar Centre').id,
                            }])[0].id
            self.people.append(register(code, **values))
        for person in self.people:
            minor = person.age < 18
            give_consent(person, **({'given_by': 'guardian',
                        'guardian_name': "حسن", 'guardian_relationship': "أب"}
                    if minor else {}))
        self.referrals = []
        for person in self.people:
            case = open_case(person, ['legal.aid'])
            for provider in [self.provider_a, self.provider_b]:
                referral, = Referral.create([{
                            'case': case.id, 'need': case.needs[0].id,
                            'provider_service': provider.services[0].id,
                            'reason': "Lawyer",
                            'caseworker': self.caseworker.id}])
                self.referrals.append(referral)
        sent = self.referrals[:12]
        Referral.send(sent)
        accepted, declined = sent[:8], sent[8:10]
        Referral.accept(accepted)
        Referral.write(declined, {'decline_reason': 'no_capacity'})
        Referral.decline(declined)
        Referral.start(accepted[:6])
        Referral.write(accepted[:6], {'outcome': 'provided'})
        Referral.write(accepted[4:6], {'outcome': 'not_provided'})
        Referral.complete(accepted[:6])
        # answered after 2, 4, 6... hours, completed after 1, 2, 3... days,
        # sent over three months
        self.answer_hours, self.completion_days = [], []
        for i, referral in enumerate(sent):
            sent_date = self.now - dt.timedelta(days=30 * (i % 3) + 40)
            dates = {
                'sent_date': sent_date,
                'acknowledge_before': sent_date + dt.timedelta(hours=72),
                'complete_before': sent_date + dt.timedelta(days=4),
                }
            if referral in accepted or referral in declined:
                dates['answered_date'] = sent_date + dt.timedelta(
                    hours=2 * (i + 1))
            if referral in accepted[:6]:
                dates['completed_date'] = sent_date + dt.timedelta(
                    days=i + 1)
            set_dates(referral, **dates)

        self.events = Event.create([{
                    'office': office(code).id, 'kind': kind,
                    'date': today - dt.timedelta(days=days),
                    'location': location(place).id if place else None,
                    'female_18_59': women, 'male_0_5': boys}
                for code, kind, days, place, women, boys in [
                    ('SNJ', 'open_day', 3, 'Sinjar Centre', 12, 3),
                    ('SNJ', 'open_day', 40, 'Sinjar Centre', 7, None),
                    ('SNJ', 'field_visit', 5, None, 2, 2),
                    ('MSL', 'open_day', 1, None, 30, 11),
                    ('MSL', 'field_visit', 2, None, 9, 0),
                    ]])
        Event.do(self.events[:4])
        register('SNJ', outreach_event=self.events[0].id, sex='female')


def show_small_cells():
    """Hide no count from the users (the tests of what they see, not of
    the small cells)"""
    Configuration = Pool().get('momd.configuration')
    Configuration.write([Configuration(1)], {'small_cell_threshold': 1})


@contextlib.contextmanager
def replica_set(uri, max_lag=30):
    "The configuration naming uri as the replica, while in the block"
    if not config.has_section('momd'):
        config.add_section('momd')
    config.set('momd', 'replica_uri', uri)
    config.set('momd', 'replica_max_lag', str(max_lag))
    replica._retry_at.clear()
    timeout, replica.CONNECT_TIMEOUT = replica.CONNECT_TIMEOUT, 1
    try:
        yield
    finally:
        # as without the settings
        config.set('momd', 'replica_uri', '')
        config.set('momd', 'replica_max_lag', '30')
        replica._retry_at.clear()
        replica.close_pools()
        replica.CONNECT_TIMEOUT = timeout


class StatisticsTestMixin:

    @with_transaction()
    def test_referral_statistics(self):
        "Referral counts equal a GROUP BY; a supervisor sees their office"
        Statistic = Pool().get('momd.referral.statistic')
        world = StatisticsWorld()
        fields = ['month', 'office', 'district', 'category', 'provider',
            'provider_type', 'state', 'priority', 'decline_reason',
            'referrals']
        ours = rows(Statistic, fields)
        self.assertEqual(ours, fetch(REFERRALS))
        self.assertEqual(sum(r[-1] for r in ours), len(world.referrals))
        self.assertGreater(len({r[0] for r in ours}), 2)
        # the graphs show the states by their labels
        self.assertEqual(
            {(r['state'], r['state_label'], r['decline_reason_label'])
                for r in Statistic.search_read([('state', '=', 'declined')],
                    fields_names=['state', 'state_label',
                        'decline_reason_label'])},
            {('declined', 'Declined', 'No Capacity')})

        show_small_cells()
        supervisor = create_user(
            'snj.sup', groups=['group_supervisor', 'group_export'],
            offices=[office('SNJ')])
        with world.as_(supervisor):
            seen = Statistic.search_read([], fields_names=list(fields))
        self.assertEqual({r['office'] for r in seen}, {office('SNJ').id})
        self.assertEqual(sum(r['referrals'] for r in seen), 10)

    @with_transaction()
    def test_statistics_read_apart(self):
        """Rows read in a request of their own (the web client searches,
        then reads) are computed again; a row whose group a change has
        meanwhile emptied is read empty, not refused"""
        Statistic = Pool().get('momd.referral.statistic')
        world = StatisticsWorld()
        show_small_cells()
        manager = create_user('stat.manager', groups=['group_manager'])
        fields = ['state', 'referrals', 'state_label']
        with world.as_(manager):
            rows = Statistic.search_read([], fields_names=fields)
            statistics_module._memo.clear()
            gone = max(r['id'] for r in rows) + 1
            read = Statistic.read([rows[0]['id'], gone], fields)
        self.assertEqual(read[0], rows[0])
        self.assertEqual(read[1], {'id': gone, 'state': None,
                'referrals': None, 'state_label': None})

    @with_transaction()
    def test_statistics_replica(self):
        """With a replica configured the statistics are read there: another
        connection, which sees what is committed only; one that cannot be
        reached, or lags more than allowed, leaves them to the primary"""
        Statistic = Pool().get('momd.referral.statistic')
        world = StatisticsWorld()
        show_small_cells()

        def total():
            return sum(r['referrals'] for r in Statistic.search_read(
                    [], fields_names=['state', 'referrals']))
        made = len(world.referrals)
        self.assertEqual(total(), made)
        with replica_set('postgresql://127.0.0.1:1/'):
            # nothing listens there
            self.assertEqual(total(), made)
        if backend.name != 'postgresql':
            return
        # the primary as its own replica: a connection of its own
        with replica_set(config.get('database', 'uri')):
            self.assertLess(total(), made)
        with replica_set(config.get('database', 'uri'), max_lag=-1):
            self.assertEqual(total(), made)

    @with_transaction()
    def test_beneficiary_statistics(self):
        "Registered, referred, reached by status, sex and age group"
        pool = Pool()
        Statistic = pool.get('momd.beneficiary.statistic')
        today = pool.get('ir.date').today()
        world = StatisticsWorld()
        fields = ['month', 'office', 'district', 'displacement_status',
            'sex', 'age_group', 'registered', 'referred', 'reached']
        ours = rows(Statistic, fields)
        limits = {n: _shift_years(today, -n).isoformat() for n in [6, 18, 60]}
        self.assertEqual(ours, fetch(BENEFICIARIES.format(**{
                        'a%s' % k: v for k, v in limits.items()})))

        by_age = {}
        for row in Statistic.search_read([], fields_names=fields):
            by_age.setdefault(row['age_group'], [0, 0, 0])
            for i, name in enumerate(['registered', 'referred', 'reached']):
                by_age[row['age_group']][i] += row[name]
        # the world's own beneficiary (1985) and the outreach registration
        # (1985) are adults
        self.assertEqual(by_age, {
                '00_05': [1, 1, 1], '06_17': [2, 2, 1], '18_59': [5, 2, 0],
                '60': [1, 1, 0]})
        districts = {r['district'] for r in Statistic.search_read(
                    [('district', '!=', None)], fields_names=['district'])}
        self.assertEqual(districts, {location('Sinjar').id})

        show_small_cells()
        supervisor = create_user(
            'snj.sup', groups=['group_supervisor', 'group_export'],
            offices=[office('SNJ')])
        with world.as_(supervisor):
            seen = Statistic.search_read([], fields_names=fields)
        self.assertEqual({r['office'] for r in seen}, {office('SNJ').id})
        self.assertEqual(sum(r['registered'] for r in seen), 7)

    @with_transaction()
    def test_outreach_statistics(self):
        "Outreach counts of the events done equal a GROUP BY"
        Statistic = Pool().get('momd.outreach.statistic')
        world = StatisticsWorld()
        fields = ['month', 'office', 'district', 'kind', 'events',
            'female_18_59', 'people', 'beneficiaries', 'needs']
        ours = rows(Statistic, fields)
        self.assertEqual(ours, fetch(OUTREACH))
        self.assertEqual(sum(r[4] for r in ours), 4)
        self.assertEqual(sum(r[6] for r in ours), 12 + 3 + 7 + 4 + 30 + 11)

        supervisor = create_user(
            'msl.sup', groups=['group_supervisor', 'group_export'],
            offices=[office('MSL')])
        with world.as_(supervisor):
            seen = Statistic.search_read([], fields_names=fields)
        self.assertEqual(
            [(r['office'], r['people']) for r in seen],
            [(office('MSL').id, 41)])

    @with_transaction()
    def test_referral_kpis(self):
        "Indicators by month and office equal a GROUP BY; times computed"
        pool = Pool()
        KPI = pool.get('momd.referral.kpi')
        world = StatisticsWorld()
        for by, column in [
                ('month', "to_char(r.sent_date, 'YYYY-MM')"),
                ('office', 'c.office'),
                ('provider', 'r.provider')]:
            with self.subTest(by=by), \
                    Transaction().set_context(kpi_by=by):
                self.assertEqual(
                    rows(KPI, [by] + KPI_FIELDS),
                    fetch(KPIS.format(column)))

        with Transaction().set_context(kpi_by='office'):
            snj, = KPI.search([('office', '=', office('SNJ').id)])
            # two answered late, as the hours grow with the referral
            self.assertEqual(snj.sent, 10)
            self.assertEqual(snj.accepted, 8)
            self.assertEqual(snj.declined, 2)
            self.assertEqual(snj.acceptance_rate, 80.0)
            hours = [2 * (i + 1) for i in range(10)]
            self.assertEqual(
                snj.acknowledgement_median, statistics.median(hours))
            self.assertEqual(snj.acknowledgement_p90, round(
                    statistics.quantiles(
                        hours, n=10, method='inclusive')[-1], 1))
            self.assertEqual(snj.completion_median, 3.5)
            # completed within 4 days: the first four of six
            self.assertEqual(snj.completed_in_time, 4)
            self.assertEqual(snj.in_time_rate, round(100 * 4 / 6, 1))
            self.assertEqual(snj.month, None)

        show_small_cells()
        # read again in another request, as the web client does after its
        # search: the same groups, rates and times
        supervisor = create_user(
            'snj.sup', groups=['group_supervisor', 'group_export'],
            offices=[office('SNJ')])
        with world.as_(supervisor), \
                Transaction().set_context(kpi_by='month'):
            months = KPI.search([])
            expected = {k.id: (k.sent, k.acceptance_rate,
                    k.acknowledgement_median) for k in months}
            statistics_module._memo.clear()
            again = KPI.read([k.id for k in months],
                ['sent', 'acceptance_rate', 'acknowledgement_median'])
        self.assertEqual({r['id']: (r['sent'], r['acceptance_rate'],
                    r['acknowledgement_median']) for r in again}, expected)

        # a focal point sees the indicators of their own provider only
        with world.as_(world.alice), \
                Transaction().set_context(kpi_by='provider'):
            seen = KPI.search_read([], fields_names=['provider', 'sent'])
        self.assertEqual(
            [r['provider'] for r in seen], [world.provider_a.id])
        self.assertEqual(seen[0]['sent'], 6)

    @with_transaction()
    def test_statistics_period(self):
        "The chosen period and office filter; a future period is refused"
        pool = Pool()
        KPI = pool.get('momd.referral.kpi')
        Beneficiary = pool.get('momd.beneficiary.statistic')
        today = pool.get('ir.date').today()
        StatisticsWorld()
        with Transaction().set_context(
                kpi_by='month', from_date=today - dt.timedelta(days=45)):
            months = KPI.search_read([], fields_names=['sent'])
            self.assertEqual(sum(r['sent'] for r in months), 4)
        with Transaction().set_context(office=office('MSL').id):
            self.assertEqual(
                {r['office'] for r in Beneficiary.search_read(
                        [], fields_names=['office'])},
                {office('MSL').id})
        for context, message in [
                ({'from_date': today + dt.timedelta(days=1)}, 'future'),
                ({'from_date': today, 'to_date': today - dt.timedelta(
                                days=1)}, 'before it starts'),
                ]:
            with self.subTest(context=context), \
                    Transaction().set_context(**context), \
                    self.assertRaisesRegex(StatisticsError, message):
                KPI.search([])

    @with_transaction()
    def test_statistics_export_small_cells(self):
        "Exported counts of fewer people than configured show as <N"
        pool = Pool()
        Statistic = pool.get('momd.beneficiary.statistic')
        Configuration = pool.get('momd.configuration')
        world = StatisticsWorld()
        for i in range(6):
            register('HMD', first_name='سارة', sex='female',
                birth_date=dt.date(1990, 1, i + 1))
        with Transaction().set_context(office=office('HMD').id):
            records = Statistic.search([])
            data = Statistic.export_data(
                records, ['office/code', 'sex.translated', 'registered', 'reached'],
                header=True)
        self.assertEqual(data[0], ['Office/Code', 'Sex (string)', 'Registered',
                'Reached'])
        self.assertEqual(data[1:], [['HMD', 'Female', 6, 0]])
        with Transaction().set_context(office=office('SNJ').id):
            data = Statistic.export_data(
                Statistic.search([]), ['registered'])
        self.assertTrue(data)
        self.assertEqual({r[0] for r in data}, {'<5'})

        config = Configuration(1)
        config.small_cell_threshold = 7
        config.save()
        with Transaction().set_context(office=office('HMD').id):
            data = Statistic.export_data(
                Statistic.search([]), ['registered'])
        self.assertEqual(data, [['<7']])
        # the list itself shows the numbers: hiding is for what leaves
        self.assertEqual(Statistic.search([
                    ('office', '=', office('HMD').id)])[0].registered, 6)

        supervisor = create_user(
            'snj.sup', groups=['group_supervisor', 'group_export'],
            offices=[office('SNJ')])
        with world.as_(supervisor):
            exported = Statistic.export_data_domain(
                [], ['office/code', 'registered'])
        self.assertEqual({r[0] for r in exported}, {'SNJ'})
        # a provider exports no registry data, nor these statistics
        with world.as_(world.alice):
            for model, field in [
                    ('momd.beneficiary', 'full_name'),
                    ('momd.beneficiary.statistic', 'registered')]:
                with self.subTest(model=model), \
                        self.assertRaises(AccessError):
                    pool.get(model).export_data_domain([], [field])

        config.small_cell_threshold = 0
        with self.assertRaisesRegex(
                DomainValidationError, '"Hide Counts Below"'):
            config.save()


def spreadsheet(content):
    "The rows of each sheet of an XLSX file"
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {sheet.title: [list(row) for row in sheet.iter_rows(
                    values_only=True)] for sheet in book.worksheets}


class ExportTestMixin:

    @with_transaction()
    def test_export_spreadsheet(self):
        "Lists export to XLSX and CSV under the user's access"
        pool = Pool()
        Spreadsheet = pool.get('momd.spreadsheet', type='report')
        KPI = pool.get('momd.referral.kpi')
        world = StatisticsWorld()
        supervisor = create_user(
            'snj.sup', groups=['group_supervisor', 'group_export'],
            offices=[office('SNJ')])
        with Transaction().set_context(kpi_by='office'):
            columns = list_fields(KPI)
        self.assertEqual(columns[:2], ['office', 'sent'])
        self.assertNotIn('month', columns)

        data = {'model': 'momd.beneficiary.statistic', 'ids': None,
            'columns': ['office/code', 'sex.translated', 'registered'],
            'name': "Beneficiaries"}
        with world.as_(supervisor):
            ext, content, _, name = Spreadsheet.execute(
                [], {**data, 'format': 'xlsx'})
        self.assertEqual((ext, name), ('xlsx', "Beneficiaries"))
        sheet, = spreadsheet(content).values()
        self.assertEqual(sheet[0], ['Office/Code', 'Sex', 'Registered'])
        self.assertEqual({r[0] for r in sheet[1:]}, {'SNJ'})
        self.assertEqual({r[2] for r in sheet[1:]}, {'<5'})

        with world.as_(supervisor):
            ext, content, _, _ = Spreadsheet.execute(
                [], {**data, 'format': 'csv'})
        self.assertEqual(ext, 'csv')
        self.assertTrue(content.startswith(codecs.BOM_UTF8))
        lines = list(csv.reader(io.StringIO(content.decode('utf-8-sig'))))
        self.assertEqual(lines[1:], [r[:2] + [r[2]] for r in sheet[1:]])

        # selected records only, and never another office's
        with world.as_(supervisor):
            referrals = pool.get('momd.referral').search([], limit=2)
            _, content, _, _ = Spreadsheet.execute([], {
                    'model': 'momd.referral', 'format': 'xlsx', 'name': "R",
                    'ids': [r.id for r in referrals],
                    'columns': ['code', 'state.translated']})
        self.assertEqual(
            [r[0] for r in spreadsheet(content)['R'][1:]],
            [r.code for r in referrals])
        mosul = pool.get('momd.referral').search(
            [('case.office.code', '=', 'MSL')], limit=1)
        with world.as_(supervisor), self.assertRaises(AccessError):
            Spreadsheet.execute([], {
                    'model': 'momd.referral', 'format': 'xlsx', 'name': "R",
                    'ids': [mosul[0].id], 'columns': ['code']})

    @with_transaction()
    def test_export_provider(self):
        "A provider exports their referrals, no one's personal data"
        pool = Pool()
        Spreadsheet = pool.get('momd.spreadsheet', type='report')
        world = StatisticsWorld()
        with world.as_(world.alice):
            _, content, _, _ = Spreadsheet.execute([], {
                    'model': 'momd.referral', 'format': 'xlsx', 'ids': None,
                    'name': "Inbox", 'columns': ['code', 'provider']})
            rows = spreadsheet(content)['Inbox'][1:]
            self.assertEqual({r[1] for r in rows}, {"Provider A"})
            self.assertEqual(len(rows), 6)
            for model, column, message in [
                    ('momd.referral', 'beneficiary_name', '"Name"'),
                    ('momd.referral', 'need_description', '"Need"'),
                    ('momd.referral', 'case/beneficiary/full_name',
                        '"Case"'),
                    ('momd.beneficiary', 'full_name', 'Beneficiary'),
                    ('momd.beneficiary.statistic', 'registered',
                        'Beneficiary Statistics'),
                    ]:
                with self.subTest(column=column), \
                        self.assertRaisesRegex(AccessError, message):
                    Spreadsheet.execute([], {
                            'model': model, 'format': 'csv', 'ids': None,
                            'name': "x", 'columns': [column]})

    @with_transaction()
    def test_monthly_report(self):
        "The monthly report has every table; a future month is refused"
        pool = Pool()
        Report = pool.get('momd.monthly.report.file', type='report')
        today = pool.get('ir.date').today()
        world = StatisticsWorld()
        manager = create_user(
            'manager', groups=['group_manager', 'group_export'])
        # the month of the Mosul referrals sent 70 days ago, with Sinjar's
        month = (world.now - dt.timedelta(days=70)).date().replace(day=1)
        with world.as_(manager):
            ext, content, _, name = Report.execute([], {
                    'month': month.isoformat(), 'office': None})
        self.assertEqual(ext, 'xlsx')
        self.assertTrue(name.endswith(month.strftime('%Y-%m')))
        sheets = spreadsheet(content)
        self.assertEqual(list(sheets), [
                "Indicators by office", "Indicators by category",
                "Indicators by provider", "Decline reasons",
                "Beneficiaries", "Outreach", "Provider scorecards"])
        by_office = sheets["Indicators by office"]
        self.assertIn(month.strftime('%Y-%m'), by_office[1][0])
        header = by_office.index(
            [c for c in by_office if c and c[0] == 'Office'][0])
        sent = {r[0]: r[1] for r in by_office[header + 1:]}
        with Transaction().set_context(
                kpi_by='office', from_date=month,
                to_date=(month + dt.timedelta(days=32)).replace(day=1)
                - dt.timedelta(days=1)):
            expected = {k.office.rec_name: k.sent for k in pool.get(
                    'momd.referral.kpi').search([])}
        self.assertTrue(expected)
        self.assertEqual(sent, {
                k: v if v >= 5 else '<5' for k, v in expected.items()})

        supervisor = create_user(
            'snj.sup', groups=['group_supervisor', 'group_export'],
            offices=[office('SNJ')])
        with world.as_(supervisor):
            _, content, _, _ = Report.execute([], {
                    'month': month.isoformat(), 'office': None})
        text = str(spreadsheet(content))
        self.assertNotIn('Mosul', text)
        self.assertIn('Sinjar', text)
        with world.as_(manager):
            _, content, _, _ = Report.execute([], {
                    'month': month.isoformat(), 'office': office('MSL').id})
        sheets = spreadsheet(content)
        self.assertIn('Mosul', sheets["Indicators by office"][1][0])
        self.assertNotIn('Sinjar', str(sheets["Indicators by office"][4:]))
        # rates and times of fewer referrals than the threshold are left out
        by_provider = sheets["Indicators by provider"]
        header = [r for r in by_provider if r and r[0] == 'Provider'][0]
        rows = by_provider[by_provider.index(header) + 1:]
        self.assertTrue(rows)
        rate = header.index('Acceptance Rate (%)')
        self.assertEqual({r[rate] for r in rows if r[2] == '<5'}, {None})
        # nor a rate that would tell a count hidden beside it
        accepted = header.index('Accepted')
        declined = header.index('Declined')
        self.assertLessEqual({r[rate] for r in rows
                if '<5' in (r[accepted], r[declined])}, {None})
        self.assertEqual(header[1], 'Provider Type')
        self.assertTrue(all(r[1] for r in rows))

        future = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        with world.as_(manager), \
                self.assertRaisesRegex(StatisticsError, 'future'):
            Report.execute([], {'month': future.isoformat(), 'office': None})
        caseworker = world.caseworker
        with world.as_(caseworker), self.assertRaises(AccessError):
            Report.execute([], {'month': month.isoformat(), 'office': None})
