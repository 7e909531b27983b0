"""The monthly capacity of a service and its waiting list: tests mixed into
the module test case."""
import calendar
import datetime as dt
import math

from trytond.model.exceptions import AccessError
from trytond.model.modelview import AccessButtonError
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import (
    OwnedFieldError, ReferralCapacityError, ReferralValidationError)
from .automation_tests import supervised_world, told
from .referral_tests import ReferralWorld, give_consent
from .registry_tests import category, office
from .tools import create_user


def full_world(capacity=2, world=None):
    """A referral world whose Provider A service takes capacity referrals
    a month; world.referrals(n) makes n drafts to it, each of a need of its
    own"""
    world = world or ReferralWorld()
    service = world.provider_a.services[0]
    service.capacity = capacity
    service.save()
    world.service = service

    def referrals(count, **values):
        Need = Pool().get('momd.need')
        needs = Need.create([{
                    'case': world.case.id,
                    'category': category('legal.aid').id,
                    'priority': values.get('priority', 'normal'),
                    } for _ in range(count)])
        return [world.referral(need=n.id, **values) for n in needs]
    world.referrals = referrals
    return world


def last_month():
    "Noon of the last day of the previous month"
    first = dt.datetime.now().replace(
        day=1, hour=12, minute=0, second=0, microsecond=0)
    return first - dt.timedelta(days=1)


def days_of_this_month():
    today = dt.datetime.now()
    return calendar.monthrange(today.year, today.month)[1]


def labels(user):
    return told([user])[user.id]


def priority_to_approve():
    "The referrals of the Priority to Approve tab of the waiting list"
    pool = Pool()
    Domain = pool.get('ir.action.act_window.domain')
    ModelData = pool.get('ir.model.data')
    return pool.get('momd.referral').search([('state', '=', 'waiting'),
            PYSONDecoder({}).decode(Domain(ModelData.get_id(
                        'momd_referral',
                        'act_referral_waitlist_domain_priority')).domain)])


class WaitlistTestMixin:

    @with_transaction()
    def test_waitlist_capacity_two(self):
        """A service with capacity 2: the third referral is refused on
        send naming its place, joins the waiting list at position 1, and
        is sent when one of the first two is completed; both sides told"""
        Referral = Pool().get('momd.referral')
        world = full_world(2)
        first, second, third, fourth = world.referrals(4)
        with world.as_(world.caseworker):
            Referral.send([Referral(first.id), Referral(second.id)])
            with self.assertRaises(ReferralCapacityError) as refused:
                Referral.send([Referral(third.id)])
        message = refused.exception.message
        # no history: the wait comes from 2 places a month
        wait = math.ceil(days_of_this_month() / 2)
        for part in [
                '"Provider A — Legal Aid" is full',
                'its 2 places of the month are taken',
                'would be number 1', 'estimated wait of %s days' % wait,
                '"Join Waiting List"', '"Find Providers"']:
            self.assertIn(part, message)
        third = Referral(third.id)
        self.assertEqual((third.state, third.sent_date, third.consent),
            ('draft', None, None))

        with world.as_(world.caseworker):
            Referral.join_waitlist([Referral(third.id)])
            Referral.join_waitlist([Referral(fourth.id)])
            third, fourth = Referral.browse([third.id, fourth.id])
            self.assertEqual(third.state, 'waiting')
            self.assertEqual(
                (third.waitlist_position, third.estimated_wait_days),
                (1, wait))
            self.assertEqual(fourth.waitlist_position, 2)
            self.assertEqual(
                fourth.estimated_wait_days, math.ceil(
                    2 * days_of_this_month() / 2))
            self.assertEqual(third.consent, world.consent)
            self.assertIsNone(third.sent_date)
            self.assertIn('\u25cf Waiting List \u203a \u25cb Sent',
                third.steps)
            # the waiting list, in its order
            self.assertEqual(Referral.search([('state', '=', 'waiting')],
                    order=[('waitlist_date', 'ASC'), ('id', 'ASC')]),
                [third, fourth])

        # the provider completes the first: the third is sent at once
        Transaction().user_notifications.clear()
        with world.as_(world.alice):
            Referral.accept([Referral(first.id)])
            Referral.write([Referral(first.id)], {'outcome': 'provided'})
            Referral.complete([Referral(first.id)])
        third, fourth = Referral.browse([third.id, fourth.id])
        self.assertEqual(third.state, 'sent')
        self.assertTrue(third.sent_date and third.acknowledge_before)
        self.assertEqual(third.need.status, 'referred')
        self.assertEqual(fourth.state, 'waiting')
        self.assertEqual(fourth.waitlist_position, 1)
        self.assertEqual(
            third.steps.split(' \u203a ')[:4],
            ['\u2714 Draft', '\u2714 Waiting List', '\u25cf Sent',
                '\u25cb Accepted'])
        self.assertIn(
            'Referral %s left the waiting list and was sent to Provider A'
            % third.code, labels(world.caseworker))
        self.assertIn('New referral %s' % third.code, labels(world.alice))
        self.assertNotIn('New referral %s' % fourth.code, labels(world.alice))
        self.assertEqual(world.service.load(), 2)
        # now the focal point sees it
        with world.as_(world.alice):
            self.assertIn(third, Referral.search([]))

    @with_transaction()
    def test_waitlist_declined_or_cancelled_frees(self):
        "A referral declined or cancelled after it was sent frees its place"
        Referral = Pool().get('momd.referral')
        world = full_world(1)
        first, second, third = world.referrals(3)
        Referral.send([first])
        Referral.join_waitlist([second])
        Referral.join_waitlist([third])
        with world.as_(world.alice):
            Referral.write([Referral(first.id)], {
                    'decline_reason': 'not_eligible'})
            Referral.decline([Referral(first.id)])
        self.assertEqual(
            [r.state for r in Referral.browse([second.id, third.id])],
            ['sent', 'waiting'])
        Referral.write([second], {'cancel_reason': "Moved to Erbil"})
        Referral.cancel([second])
        self.assertEqual(Referral(third.id).state, 'sent')
        # the finished ones set the pace: 2 in 90 days
        self.assertEqual(Pool().get('momd.provider.service').throughputs(
                [world.service])[world.service.id], 2 / 90)

    @with_transaction()
    def test_waitlist_load_this_month(self):
        """The load is this month's: a referral sent last month does not
        fill the service, and at the new month the waiting list is sent by
        the scheduled task"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Cron = pool.get('ir.cron')
        world = full_world(1)
        old, new, waiting = world.referrals(3)
        Referral.send([old])
        with self.assertRaises(ReferralCapacityError):
            Referral.send([new])
        Referral.join_waitlist([new])
        Referral.join_waitlist([waiting])
        self.assertEqual(world.service.load(), 1)

        # the month turns: the referral sent is last month's
        Referral.write([old], {'sent_date': last_month()})
        self.assertEqual(world.service.load(), 0)
        cron, = Cron.search(
            [('method', '=', 'momd.referral|release_waitlist')])
        Cron.run_once([cron])
        self.assertEqual(
            [r.state for r in Referral.browse([new.id, waiting.id])],
            ['sent', 'waiting'])
        self.assertEqual(world.service.load(), 1)

        # a larger capacity sends the next at once
        world.service.capacity = 2
        world.service.save()
        self.assertEqual(Referral(waiting.id).state, 'sent')
        # and no limit any more, all those waiting
        late, later = world.referrals(2)
        Referral.join_waitlist([late])
        Referral.join_waitlist([later])
        world.service.capacity = None
        world.service.save()
        self.assertEqual(
            [r.state for r in Referral.browse([late.id, later.id])],
            ['sent', 'sent'])

    @with_transaction()
    def test_waitlist_not_full_refused(self):
        "A referral to a service with places is sent, not put on the list"
        Referral = Pool().get('momd.referral')
        world = full_world(2)
        referral, = world.referrals(1)
        with world.as_(world.caseworker):
            with self.assertRaisesRegex(ReferralCapacityError,
                    'is not full this month: send referral'):
                Referral.join_waitlist([Referral(referral.id)])
        self.assertEqual(Referral(referral.id).state, 'draft')

    @with_transaction()
    def test_waitlist_checks_of_sending(self):
        """Joining is checked as sending is: without consent it is refused;
        once waiting, a referral that can no longer be sent keeps its place
        when a place frees up, its caseworker told why once, and the next
        one is sent"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Consent = pool.get('momd.consent')
        world = full_world(1)
        first, second, third = world.referrals(3)
        Referral.send([first])
        Referral.write([second], {'disclosed_groups': ['documents']})
        with self.assertRaisesRegex(ReferralValidationError,
                'No active consent'):
            Referral.join_waitlist([second])
        self.assertEqual(Referral(second.id).state, 'draft')
        documents = give_consent(
            world.beneficiary, groups=('identity', 'documents'))
        Referral.join_waitlist([second])
        Referral.join_waitlist([third])
        self.assertEqual(Referral(second.id).consent, documents)

        # the consent covering the second is revoked: it cannot leave
        Consent.write([documents], {'revocation_reason': "Asked to"})
        Consent.revoke([documents])
        Transaction().user_notifications.clear()
        with world.as_(world.alice):
            Referral.write([Referral(first.id)], {'decline_reason': 'other'})
            Referral.decline([Referral(first.id)])
        second = Referral(second.id)
        self.assertEqual(second.state, 'waiting')
        self.assertEqual(second.waitlist_position, 1)
        self.assertIn('No active consent', second.waitlist_note)
        self.assertIn('Referral %s has a place but could not be sent: it '
            'still waits' % second.code, labels(world.caseworker))
        # the freeing step went on
        self.assertEqual(Referral(third.id).state, 'sent')

        # told once, not at every run of the scheduled task
        Transaction().user_notifications.clear()
        Referral.release_waitlist()
        self.assertEqual(labels(world.caseworker), [])

    @with_transaction()
    def test_waitlist_emergency_priority(self):
        """An emergency goes first only with the approval of a supervisor
        of its office: a caseworker cannot approve it, nor a supervisor of
        another office; approver and date are recorded"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        world = full_world(1, supervised_world())
        sent, normal, emergency = world.referrals(2) + world.referrals(
            1, priority='emergency')
        Referral.send([sent])
        Referral.join_waitlist([normal])
        Referral.join_waitlist([emergency])
        with world.as_(world.caseworker):
            # only an emergency asks
            with self.assertRaises(AccessButtonError):
                Referral.request_priority([Referral(normal.id)])
            with self.assertRaises(AccessButtonError):
                Referral.approve_priority([Referral(emergency.id)])
            Referral.request_priority([Referral(emergency.id)])
            self.assertEqual(
                Referral(emergency.id).waitlist_position, 2)
            with self.assertRaises(AccessButtonError):
                Referral.approve_priority([Referral(emergency.id)])
        self.assertIn(
            'Referral %s asks to go first on the waiting list'
            % emergency.code, labels(world.supervisor))
        self.assertIsNone(Referral(emergency.id).priority_approved_by)
        self.assertEqual(priority_to_approve(), [emergency])

        # a supervisor who does not supervise the referral's office
        other = create_user('sup2', groups=['group_supervisor'],
            offices=[office('SNJ')])
        with world.as_(other):
            with self.assertRaisesRegex(ReferralCapacityError,
                    'Only a supervisor of'):
                Referral.approve_priority([Referral(emergency.id)])

        with world.as_(world.supervisor):
            Referral.approve_priority([Referral(emergency.id)])
        emergency = Referral(emergency.id)
        self.assertEqual(emergency.priority_approved_by, world.supervisor)
        self.assertTrue(emergency.priority_approved_date)
        self.assertEqual(priority_to_approve(), [])
        self.assertEqual(
            [emergency.waitlist_position,
                Referral(normal.id).waitlist_position], [1, 2])
        # first, but within the capacity: still waiting
        self.assertEqual(emergency.state, 'waiting')
        Referral.write([sent], {'cancel_reason': "Moved"})
        Referral.cancel([sent])
        self.assertEqual(
            [r.state for r in Referral.browse([emergency.id, normal.id])],
            ['sent', 'waiting'])

        # what the workflow sets, no client sets
        with world.as_(world.caseworker):
            for name, value in [
                    ('priority_approved_by', world.caseworker.id),
                    ('waitlist_date', dt.datetime.now()),
                    ('priority_requested', True)]:
                with self.subTest(field=name):
                    with self.assertRaises(OwnedFieldError) as refused:
                        Referral.write([Referral(normal.id)], {name: value})
                    self.assertIn('"%s"' % Referral.fields_get([name])[
                            name]['string'], refused.exception.message)
        self.assertIsNone(Referral(normal.id).priority_approved_by)

    @with_transaction()
    def test_waitlist_cancel_and_never_shared(self):
        """A waiting referral is cancelled with a reason; the provider
        never reads nor finds it, waiting or cancelled"""
        Referral = Pool().get('momd.referral')
        world = full_world(1)
        sent, waiting = world.referrals(2)
        Referral.send([sent])
        Referral.join_waitlist([waiting])
        with world.as_(world.alice):
            self.assertEqual(Referral.search([]), [sent])
            self.assertEqual(
                Referral.search_count([('state', '=', 'waiting')]), 0)
            with self.assertRaises(AccessError):
                Referral.read([waiting.id], ['code'])
        self.assertFalse(Referral(waiting.id).disclosure_active)
        self.assertEqual(
            Referral.disclosure_in_force([Referral(waiting.id)]), set())
        with world.as_(world.caseworker):
            Referral.write([Referral(waiting.id)], {
                    'cancel_reason': "Found help elsewhere"})
            Referral.cancel([Referral(waiting.id)])
        waiting = Referral(waiting.id)
        self.assertEqual(waiting.state, 'cancelled')
        self.assertEqual(waiting.steps,
            '\u2714 Draft \u203a \u2714 Waiting List \u203a \u2716 Cancelled')
        with world.as_(world.alice):
            with self.assertRaises(AccessError):
                Referral.read([waiting.id], ['code'])
        # a cancelled waiting referral finished nothing of the service
        self.assertEqual(Pool().get('momd.provider.service').throughputs(
                [world.service])[world.service.id], 1 / days_of_this_month())

    @with_transaction()
    def test_waitlist_supervisor_approves_onto_list(self):
        """A referral awaiting approval to a full service: Approve is
        refused naming its place; the supervisor puts it on the list, as
        its approver"""
        Referral = Pool().get('momd.referral')
        world = full_world(1, supervised_world())
        sent, referral = world.referrals(2)
        Referral.send([sent])
        Referral.write([referral], {
                'legal_basis': 'sop_exception',
                'exception_reason': "Child at risk"})
        with world.as_(world.caseworker):
            with self.assertRaisesRegex(ReferralCapacityError,
                    'needs an office supervisor\'s approval'):
                Referral.join_waitlist([Referral(referral.id)])
            Referral.send([Referral(referral.id)])
            with self.assertRaisesRegex(ReferralCapacityError,
                    'only a supervisor puts it'):
                Referral.join_waitlist([Referral(referral.id)])
        self.assertEqual(Referral(referral.id).state, 'to_approve')
        with world.as_(world.supervisor):
            with self.assertRaisesRegex(ReferralCapacityError,
                    'would be number 1'):
                Referral.approve([Referral(referral.id)])
            Referral.join_waitlist([Referral(referral.id)])
        referral = Referral(referral.id)
        self.assertEqual(
            (referral.state, referral.approved_by),
            ('waiting', world.supervisor))
        self.assertIn('\u2714 To Approve \u203a \u25cf Waiting List',
            referral.steps)

    @with_transaction()
    def test_waitlist_statistics(self):
        "The referral statistics count the waiting referrals, labelled"
        pool = Pool()
        Referral = pool.get('momd.referral')
        Statistic = pool.get('momd.referral.statistic')
        world = full_world(0)
        referral, = world.referrals(1)
        with self.assertRaisesRegex(ReferralCapacityError,
                'no estimate of the wait'):
            Referral.send([referral])
        Referral.join_waitlist([referral])
        rows = Statistic.search([('state', '=', 'waiting')])
        self.assertEqual(sum(r.referrals for r in rows), 1)
        self.assertEqual({r.state_label for r in rows}, {'Waiting List'})
        self.assertIsNone(Referral(referral.id).estimated_wait_days)
