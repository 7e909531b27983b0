"""Tests of the provider scorecards: a provider whose referrals are known,
month by month, seen by whom may see it, exported with small cells hidden."""
import datetime as dt

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..models.export import list_fields
from .registry_tests import office
from .statistics_tests import StatisticsWorld, set_dates, spreadsheet
from .tools import create_user


class ScorecardWorld(StatisticsWorld):
    """The statistics' world, Provider A's six referrals sent last month
    (one at its very last minutes), with known answers and ratings:

    ===  ==========  ========  ==========  ===========  ======
    ref  answer      after     completed   deadline     rating
    ===  ==========  ========  ==========  ===========  ======
    0    accepted    2 h       1 day       in time      5
    2    accepted    4 h       2 days      in time      4
    4    accepted    6 h       5 days      late         2
    6    accepted    30 h      --          (late)       --
    8    no capacity 10 h      --          --           --
    10   not elig.   50 h      --          --           --
    ===  ==========  ========  ==========  ===========  ======

    Each is to acknowledge within 24 hours and complete within 3 days.
    Referral 10 is Mosul's, the others Sinjar's."""

    def __init__(self):
        Referral = Pool().get('momd.referral')
        super().__init__()
        first = self.now.date().replace(day=1)
        last_month = (first - dt.timedelta(days=1)).replace(day=1)
        self.month = last_month.strftime('%Y-%m')
        # the last half hour of last month: still last month's referral
        month_end = dt.datetime.combine(first, dt.time()) - dt.timedelta(
            minutes=30)
        base = dt.datetime.combine(last_month, dt.time(6))
        self.mine = [self.referrals[i] for i in [0, 2, 4, 6, 8, 10]]
        late = self.mine[-1]
        Referral.write([late], {'decline_reason': 'not_eligible'})
        Referral.decline([late])
        hours = {0: 2, 2: 4, 4: 6, 6: 30, 8: 10, 10: 50}
        completed = {0: 1, 2: 2, 4: 5}
        ratings = {0: 5, 2: 4, 4: 2}
        for i, referral in zip(hours, self.mine):
            sent = month_end if i == 6 else base + dt.timedelta(minutes=i)
            dates = {
                'sent_date': sent,
                'answered_date': sent + dt.timedelta(hours=hours[i]),
                'acknowledge_before': sent + dt.timedelta(hours=24),
                'complete_before': sent + dt.timedelta(days=3),
                'completed_date': (sent + dt.timedelta(days=completed[i])
                    if i in completed else None),
                }
            if i in ratings:
                dates['rating'] = ratings[i]
            set_dates(referral, **dates)


class ScorecardTestMixin:

    def provider_a_row(self, world, user=None):
        Scorecard = Pool().get('momd.provider.scorecard')
        if user:
            with world.as_(user):
                rows = Scorecard.search(
                    [('provider', '=', world.provider_a.id)])
        else:
            rows = Scorecard.search([('provider', '=', world.provider_a.id)])
        self.assertEqual(len(rows), 1)
        return rows[0]

    @with_transaction()
    def test_scorecard_figures(self):
        "A provider's month: received, answered, times, rates, rating"
        world = ScorecardWorld()
        row = self.provider_a_row(world)
        self.assertEqual(row.month, world.month)
        self.assertEqual(row.service, world.provider_a.services[0])
        self.assertEqual(row.category, world.provider_a.services[0].category)
        self.assertEqual(row.received, 6)
        self.assertEqual(row.accepted, 4)
        self.assertEqual(row.declined, 2)
        self.assertEqual(row.declined_no_capacity, 1)
        self.assertEqual(row.declined_not_eligible, 1)
        self.assertEqual(row.declined_other, 0)
        self.assertEqual(row.completed, 3)
        # accepted after 2, 4, 6 and 30 hours
        self.assertEqual(row.accept_median, 5.0)
        self.assertEqual(row.accept_p90, 22.8)
        # and declined after 10 and 50
        self.assertEqual(row.answer_median, 8.0)
        self.assertEqual(row.answer_p90, 40.0)
        self.assertEqual(row.completion_rate, 75.0)
        self.assertEqual(row.answered_on_time, 4)
        self.assertEqual(row.answer_on_time_rate, 66.7)
        self.assertEqual(row.completed_on_time, 2)
        self.assertEqual(row.completion_on_time_rate, 66.7)
        self.assertEqual(row.ratings, 3)
        self.assertAlmostEqual(row.rating, 11 / 3)

        # read again in another request, as the web client does after its
        # search: the same figures
        Scorecard = Pool().get('momd.provider.scorecard')
        from ..models import statistics as statistics_module
        statistics_module._memo.clear()
        again, = Scorecard.read([row.id], [
                'received', 'accept_median', 'answer_p90', 'completion_rate',
                'rating'])
        self.assertEqual(
            (again['received'], again['accept_median'], again['answer_p90'],
                again['completion_rate']), (6, 5.0, 40.0, 75.0))

        # Provider B's referrals are its own rows, all of them sent
        rows = Scorecard.search([('provider', '=', world.provider_b.id)])
        self.assertEqual(sum(r.received for r in rows), 6)
        self.assertEqual(sum(r.ratings for r in rows), 0)
        self.assertEqual({r.rating for r in rows}, {None})

    @with_transaction()
    def test_scorecard_scope(self):
        """A focal point sees their own provider only, a supervisor the
        referrals of their office, restricted referrals who may know"""
        Scorecard = Pool().get('momd.provider.scorecard')
        world = ScorecardWorld()
        with world.as_(world.alice):
            seen = Scorecard.search_read(
                [], fields_names=['provider', 'received'])
            self.assertEqual(
                {r['provider'] for r in seen}, {world.provider_a.id})
            self.assertEqual(Scorecard.search(
                    [('provider', '=', world.provider_b.id)]), [])
        with world.as_(world.bob):
            seen = Scorecard.search_read([], fields_names=['provider'])
        self.assertEqual({r['provider'] for r in seen}, {world.provider_b.id})
        self.assertTrue(seen)

        # the Mosul referral is not the Sinjar supervisor's
        supervisor = create_user(
            'snj.sup', groups=['group_supervisor', 'group_export'],
            offices=[office('SNJ')])
        row = self.provider_a_row(world, supervisor)
        with world.as_(supervisor):
            self.assertEqual((row.received, row.declined), (5, 1))

        # a restricted referral counts only for who may know of them
        manager = create_user(
            'manager', groups=['group_manager', 'group_export'])
        sensitive = create_user(
            'manager.gbv',
            groups=['group_manager', 'group_export', 'group_sensitive'])
        set_dates(world.mine[-1], restricted=True)
        for user, received in [(manager, 5), (sensitive, 6)]:
            with self.subTest(user=user.login):
                row = self.provider_a_row(world, user)
                with world.as_(user):
                    self.assertEqual(row.received, received)
                    self.assertEqual(row.declined_not_eligible, received - 5)
                    self.assertEqual(
                        row.answer_median, 8.0 if received == 6 else 6.0)

        # computed: no client writes a scorecard, nor reads it without a role
        for method in ['create', 'write', 'delete', 'copy', 'import_data']:
            self.assertNotIn(method, Scorecard.__rpc__)
        with world.as_(world.caseworker), self.assertRaises(AccessError):
            Scorecard.search([])

    @with_transaction()
    def test_scorecard_small_cells(self):
        "Exported counts below the threshold show as <N, their rates empty"
        pool = Pool()
        Scorecard = pool.get('momd.provider.scorecard')
        Configuration = pool.get('momd.configuration')
        world = ScorecardWorld()
        names = ['received', 'accepted', 'declined', 'completed',
            'completion_rate', 'accept_median', 'answer_on_time_rate',
            'rating']
        row = self.provider_a_row(world)
        data = Scorecard.export_data([row], names)
        self.assertEqual(
            data, [[6, '<5', '<5', '<5', '', '', '', '']])

        config = Configuration(1)
        config.small_cell_threshold = 3
        config.save()
        data, = Scorecard.export_data([row], names)
        # the rating of 3 people shows; the completion rate would tell the
        # one accepted and not completed, the answers in time the two late
        self.assertEqual(data[:4], [6, 4, '<3', 3])
        self.assertEqual(data[4:7], ['', 5.0, ''])
        self.assertAlmostEqual(data[7], 11 / 3)
        # the list itself shows the numbers: hiding is for what leaves
        self.assertEqual(row.declined, 2)

    @with_transaction()
    def test_scorecard_export(self):
        "The scorecard exports to XLSX under the user's access"
        pool = Pool()
        Spreadsheet = pool.get('momd.spreadsheet', type='report')
        Report = pool.get('momd.monthly.report.file', type='report')
        Scorecard = pool.get('momd.provider.scorecard')
        Configuration = pool.get('momd.configuration')
        world = ScorecardWorld()
        config = Configuration(1)
        config.small_cell_threshold = 2
        config.save()
        columns = list_fields(Scorecard)
        self.assertEqual(columns[:4],
            ['month', 'provider', 'category', 'received'])
        with world.as_(world.alice):
            ext, content, _, name = Spreadsheet.execute([], {
                    'model': 'momd.provider.scorecard', 'ids': None,
                    'columns': columns, 'format': 'xlsx',
                    'name': "Scorecard"})
        self.assertEqual((ext, name), ('xlsx', "Scorecard"))
        sheet = spreadsheet(content)["Scorecard"]
        header = sheet[0]
        self.assertEqual(header[:6], ['Month', 'Provider', 'Service Category',
                'Received', 'Accepted', 'Declined'])
        rows = [dict(zip(header, r)) for r in sheet[1:]]
        # the focal point's own provider, never another
        self.assertEqual({r['Provider'] for r in rows}, {"Provider A"})
        row, = [r for r in rows if r['Month'] == world.month]
        self.assertEqual(
            [row[c] for c in ['Received', 'Accepted', 'Declined',
                    'Declined: No Capacity', 'Completed',
                    'Time to Accept, Median (hours)',
                    'Time to Accept, 90% Within (hours)',
                    'Answered on Time (%)', 'Ratings']],
            [6, 4, 2, '<2', 3, 5.0, 22.8, 66.7, 3])
        # a rate that would tell the one accepted and not completed, or
        # completed late, is left out
        self.assertEqual(
            [row['Completion Rate (%)'], row['Completed on Time (%)']],
            [None, None])
        self.assertAlmostEqual(row['Rating'], 11 / 3)

        # and in the monthly report, with the month's providers
        manager = create_user(
            'manager', groups=['group_manager', 'group_export'])
        with world.as_(manager):
            _, content, _, _ = Report.execute([], {
                    'month': world.month + '-01', 'office': None})
        sheet = spreadsheet(content)["Provider scorecards"]
        header = [r for r in sheet if r and r[0] == 'Provider'][0]
        lines = [dict(zip(header, r))
            for r in sheet[sheet.index(header) + 1:]]
        mine, = [r for r in lines if r['Provider'] == "Provider A"]
        self.assertEqual((mine['Received'], mine['Accepted']), (6, 4))
        with world.as_(world.alice), self.assertRaises(AccessError):
            Report.execute([], {'month': world.month + '-01', 'office': None})

    @with_transaction()
    def test_scorecard_months(self):
        "Each month its row; the period chosen keeps its months only"
        pool = Pool()
        Scorecard = pool.get('momd.provider.scorecard')
        Referral = pool.get('momd.referral')
        world = ScorecardWorld()
        # one sent now: this month, a row of its own
        referral = Referral.create([{
                    'case': world.case.id, 'need': world.need.id,
                    'provider_service': world.provider_a.services[0].id,
                    'reason': "Lawyer", 'caseworker': world.caseworker.id,
                    }])[0]
        Referral.send([referral])
        this_month = Referral(referral.id).sent_date.strftime('%Y-%m')
        rows = Scorecard.search([('provider', '=', world.provider_a.id)])
        self.assertEqual(
            {r.month: r.received for r in rows},
            {world.month: 6, this_month: 1})
        first = dt.date.fromisoformat(this_month + '-01')
        with Transaction().set_context(from_date=first):
            rows = Scorecard.search([('provider', '=', world.provider_a.id)])
            self.assertEqual([(r.month, r.received, r.accept_median)
                    for r in rows], [(this_month, 1, None)])
        last = first - dt.timedelta(days=1)
        with Transaction().set_context(
                from_date=last.replace(day=1), to_date=last):
            row, = Scorecard.search([('provider', '=', world.provider_a.id)])
            self.assertEqual((row.month, row.received, row.accept_median),
                (world.month, 6, 5.0))
