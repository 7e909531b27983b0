"Tests of Find Providers' ranking, mixed into the module test case."
import datetime as dt

from sql import Column, Literal

from trytond import backend
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..models.matching import month_bounds
from .provider_tests import location
from .referral_tests import ReferralWorld
from .registry_tests import category

def past_referrals(template, rows):
    """Referrals like the draft template with (state, sent, answered,
    completed, rating) each, as the workflow would have left them"""
    Referral = Pool().get('momd.referral')
    table = Referral.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(where=table.id == template.id))
    columns = [c[0] for c in cursor.description]
    cursor.fetchall()
    dated = ['state', 'sent_date', 'answered_date', 'completed_date',
        'rating']
    copied = [c for c in columns if c not in dated + ['id', 'code']]
    for row in rows:
        past_referrals.count += 1
        cursor.execute(*table.insert(
                [Column(table, n) for n in copied + dated + ['code']],
                table.select(*[Column(table, n) for n in copied],
                    *[Literal(v) for v in row],
                    Literal('PAST-%d' % past_referrals.count),
                    where=table.id == template.id)))


past_referrals.count = 0


def answered(state, days_ago, hours=6, rating=None):
    "A referral sent days_ago, answered hours later, in state"
    sent = dt.datetime.now() - dt.timedelta(days=days_ago)
    completed = (sent + dt.timedelta(days=3)
        if state in {'completed', 'closed'} else None)
    return (state, sent, sent + dt.timedelta(hours=hours), completed, rating)


def this_month():
    "An instant of the current month, before now"
    now = dt.datetime.now()
    return max(month_bounds(now.date())[0], now - dt.timedelta(minutes=1))


class MatchingTestMixin:

    def _two_services(self):
        "A Sinjar case and two providers with the same service for it"
        world = ReferralWorld()
        names = [s.provider.name_en for s in self._match()]
        self.assertEqual(names, ["Provider A", "Provider B"])
        return world

    def _match(self, **kwargs):
        Service = Pool().get('momd.provider.service')
        return Service.match(category('legal.aid'), location('Sinjar Centre'),
            sex='male', age=40, displacement_status='returned_idp', **kwargs)

    @with_transaction()
    def test_matching_ranks_by_acceptance(self):
        """A service that declined 8 of 10 referrals ranks below one that
        accepted 9 of 10, everything else equal; older referrals and too
        few answers do not count"""
        pool = Pool()
        Service = pool.get('momd.provider.service')
        world = self._two_services()
        # the same coverage: only the performance tells them apart
        world.provider_b.services[0].locations = [location('Sinjar')]
        world.provider_b.services[0].save()
        decliner = world.referral(world.provider_a)
        accepter = world.referral(world.provider_b)
        past_referrals(decliner, [answered('declined', d) for d in range(
                    2, 10)] + [answered('accepted', d) for d in (10, 11)])
        past_referrals(accepter, [answered('accepted', d) for d in range(
                    2, 11)] + [answered('declined', 12)]
            # long ago, beyond the 90 days: not counted
            + [answered('declined', d) for d in range(100, 120)])

        self.assertEqual(
            [s.provider.name_en for s in self._match()],
            ["Provider B", "Provider A"])
        ranked = Service.rank(category('legal.aid'),
            location('Sinjar Centre'), sex='male', age=40)
        rates = {s.provider.name_en: p.acceptance_rate
            for s, p, _ in ranked}
        self.assertEqual(rates, {"Provider A": 0.2, "Provider B": 0.9})
        self.assertEqual({s.provider.name_en: p.answered
                for s, p, _ in ranked}, {"Provider A": 10, "Provider B": 10})

        # with a minimum of 20 answered referrals neither rate counts: the
        # first created comes first again
        config = pool.get('momd.configuration')(1)
        config.performance_minimum = 20
        config.save()
        self.assertEqual(
            [s.provider.name_en for s in self._match()],
            ["Provider A", "Provider B"])

    @with_transaction()
    def test_matching_ranks_by_speed_delivery_rating(self):
        """Faster answers, more deliveries and better ratings rank a
        service higher, each measured over the period"""
        world = self._two_services()
        world.provider_b.services[0].locations = [location('Sinjar')]
        world.provider_b.services[0].save()
        slow = world.referral(world.provider_a)
        fast = world.referral(world.provider_b)
        # both accept everything; A answers in 10 days, B in 2 hours
        past_referrals(slow, [answered('completed', d, hours=240, rating=2)
                for d in range(20, 30)])
        past_referrals(fast, [answered('completed', d, hours=2, rating=5)
                for d in range(20, 30)])
        Service = Pool().get('momd.provider.service')
        ranked = Service.rank(category('legal.aid'),
            location('Sinjar Centre'), sex='male', age=40)
        self.assertEqual([s.provider.name_en for s, _, _ in ranked],
            ["Provider B", "Provider A"])
        performance = {s.provider.name_en: p for s, p, _ in ranked}
        self.assertEqual(performance["Provider A"].median_response_hours, 240)
        self.assertEqual(performance["Provider B"].median_response_hours, 2)
        self.assertEqual(performance["Provider A"].rating, 2)
        self.assertEqual(performance["Provider B"].completion_rate, 1)

    @with_transaction()
    def test_matching_load_this_month(self):
        """Load counts the referrals a service took this month and has not
        finished; a full service ranks after one with places left"""
        pool = Pool()
        Service = pool.get('momd.provider.service')
        world = self._two_services()
        service = world.provider_a.services[0]
        service.capacity = 2
        service.save()
        template = world.referral(world.provider_a)
        start = month_bounds(dt.date.today())[0]
        now = this_month()
        last_month = start - dt.timedelta(hours=1)
        past_referrals(template, [
                ('sent', now, None, None, None),
                ('in_progress', now, now, None, None),
                # not this month's load: finished, or from last month
                ('completed', now, now, now, None),
                ('declined', now, now, None, None),
                ('accepted', last_month, last_month, None, None),
                ])
        self.assertEqual(service.load(), 2)
        self.assertEqual(Service.loads([service], last_month.date()),
            {service.id: 1})
        self.assertTrue(service.full())
        # Provider A covers Sinjar (more local) but is full: B first
        self.assertEqual([s.provider.name_en for s in self._match()],
            ["Provider B", "Provider A"])
        service.capacity = 3
        service.save()
        self.assertFalse(service.full())
        self.assertEqual([s.provider.name_en for s in self._match()],
            ["Provider A", "Provider B"])
        # a referral on its waiting list holds the third place
        past_referrals(template, [('waiting', None, None, None, None)])
        self.assertTrue(service.full())
        self.assertEqual([s.provider.name_en for s in self._match()],
            ["Provider B", "Provider A"])

    @with_transaction()
    def test_find_providers_explains(self):
        "Find Providers lists each service with its factors and reasons"
        pool = Pool()
        Match = pool.get('momd.provider.match', type='wizard')
        world = self._two_services()
        service = world.provider_a.services[0]
        service.capacity = 1
        service.save()
        template = world.referral(world.provider_a)
        past_referrals(template, [('sent', this_month(), None, None, None)])
        past_referrals(world.referral(world.provider_b),
            [answered('accepted', d, hours=3, rating=4)
                for d in range(2, 8)])
        with Transaction().set_context(
                active_model='momd.need', active_id=world.need.id,
                active_ids=[world.need.id]):
            session_id, _, _ = Match.create()
            match = Match(session_id)
            for name, value in match.default_start(None).items():
                setattr(match.start, name, value)
            result = match.default_result(None)
        lines = result['lines']
        self.assertEqual([l['rank'] for l in lines], [1, 2])
        first, second = lines
        self.assertEqual(pool.get('momd.provider.service')(
                first['service']).provider.name_en, "Provider B")
        self.assertEqual(first['acceptance_rate'], 100)
        self.assertEqual(first['response_hours'], 3)
        self.assertEqual(first['rating'], 4)
        self.assertEqual((second['load'], second['capacity'],
                second['full']), (1, 1, True))
        self.assertIsNone(second['acceptance_rate'])
        self.assertIn("full this month", second['why'])
        self.assertIn("fewer than 5", second['why'])
        self.assertIn("Sinjar", second['why'])
        self.assertEqual(result['services'],
            [l['service'] for l in lines])

    @with_transaction()
    def test_settings_added_to_an_existing_database(self):
        """A setting added to a database made before it gets its default
        at the update, whichever module adds it"""
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        config = Configuration(1)
        config.performance_days = 60
        config.save()
        table = Configuration.__table__()
        handler = Configuration.__table_handler__('momd_referral')
        cursor = Transaction().connection.cursor()
        names = ['performance_days', 'performance_minimum',
            'provider_access_days', 'case_review_months',
            'outbox_max_attempts', 'answer_link_days']
        for name in names:
            handler.not_null_action(name, 'remove')
        cursor.execute(*table.update(
                [Column(table, n) for n in names], [None] * len(names)))
        if backend.name == 'postgresql':
            # the update first finds them empty, then fills them
            with self.assertLogs('trytond.backend.postgresql.table',
                    'WARNING'):
                Configuration.__register__('momd_referral')
        else:
            Configuration.__register__('momd_referral')
        cursor.execute(*table.select(*[Column(table, n) for n in names]))
        self.assertEqual(cursor.fetchall(), [(90, 5, 30, 3, 5, 30)])
        if backend.name == 'postgresql':
            # (SQLite keeps no NOT NULL added to a column)
            handler = Configuration.__table_handler__('momd_referral')
            for name in names:
                self.assertTrue(handler._columns[name]['notnull'], name)
