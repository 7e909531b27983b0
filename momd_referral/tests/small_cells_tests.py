"Small counts hidden in every statistics list a user reads."
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from .statistics_tests import StatisticsWorld
from .registry_tests import register
from .tools import acting_as, create_user

PEOPLE = ['registered', 'referred', 'reached']


class SmallCellsTestMixin:

    @with_transaction()
    def test_small_cells_hidden(self):
        """A manager reads the statistics lists: no count of 1 to 4, no
        rate that would give one away; a search telling small counts apart
        is refused, naming the field; the order by a count does not sort
        the small ones"""
        pool = Pool()
        Statistic = pool.get('momd.beneficiary.statistic')
        KPI = pool.get('momd.referral.kpi')
        StatisticsWorld()
        # a row of three people, newer than the rows of one, and a row of
        # five
        for status, count in [('host_community', 3), ('idp_in_camp', 5)]:
            for _ in range(count):
                register('MSL', displacement_status=status, sex='female')
        manager = create_user(
            'manager', groups=['group_manager', 'group_export',
                'group_class_sensitive'])
        raw = {r['id']: r for r in Statistic.search_read(
                [], fields_names=PEOPLE)}
        with Transaction().set_context(kpi_by='office'):
            raw_kpis = {r['id']: r for r in KPI.search_read(
                    [], fields_names=['sent', 'accepted', 'declined',
                        'acceptance_rate', 'acknowledgement_median'])}
        # the world has small counts, and larger ones: the test can fail
        values = [r[n] for r in raw.values() for n in PEOPLE]
        self.assertIn(3, values)
        self.assertTrue(any(0 < v < 5 for v in values))
        self.assertTrue(any(v >= 5 for v in values))

        with acting_as(manager):
            seen = {r['id']: r for r in Statistic.search_read(
                    [], fields_names=PEOPLE)}
            with Transaction().set_context(kpi_by='office'):
                kpis = {r['id']: r for r in KPI.search_read(
                        [], fields_names=['sent', 'accepted', 'declined',
                            'acceptance_rate', 'acknowledgement_median'])}
        self.assertEqual(set(seen), set(raw))
        for id_, row in raw.items():
            for name in PEOPLE:
                self.assertEqual(seen[id_][name],
                    None if 0 < row[name] < 5 else row[name])
        for id_, row in raw_kpis.items():
            hidden = any(0 < (row[n] or 0) < 5
                for n in ['accepted', 'declined'])
            self.assertEqual(kpis[id_]['acceptance_rate'],
                None if hidden else row['acceptance_rate'])
            if row['sent'] < 5:
                self.assertIsNone(kpis[id_]['acknowledgement_median'])
        self.assertTrue(any(k['acceptance_rate'] is None
                and raw_kpis[i]['acceptance_rate'] is not None
                for i, k in kpis.items()))

        with acting_as(manager):
            for domain in [[('registered', '=', 3)],
                    [('referred', '>', 1)],
                    ['OR', ('office', '=', None), ('reached', 'in', [1, 2])]]:
                with self.subTest(domain=domain), \
                        self.assertRaisesRegex(AccessError, '"Re'):
                    Statistic.search(domain)
            with Transaction().set_context(kpi_by='office'), \
                    self.assertRaisesRegex(
                        AccessError, '"Answer Time, Median'):
                KPI.search([('acknowledgement_median', '<', 3)])
            # those the small counts all pass, or all fail, are answered
            for domain, expected in [
                    ([('registered', '>=', 5)],
                        {i for i, r in raw.items() if r['registered'] >= 5}),
                    ([('registered', '<', 5)],
                        {i for i, r in raw.items() if r['registered'] < 5}),
                    ([('reached', '=', 0)],
                        {i for i, r in raw.items() if r['reached'] == 0})]:
                self.assertEqual(
                    {s.id for s in Statistic.search(domain)}, expected)
            ordered = Statistic.search([],
                order=[('registered', 'DESC'), ('id', 'ASC')])
        small = [s.id for s in ordered if 0 < raw[s.id]['registered'] < 5]
        zero = [s.id for s in ordered if raw[s.id]['registered'] == 0]
        # the small ones sorted as zeros: by id, not by their counts (the
        # row of three, newest, would come before those of one)
        self.assertEqual([i for i in [s.id for s in ordered]
                if i in set(small + zero)], sorted(small + zero))
