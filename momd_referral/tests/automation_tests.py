"Tests of the SOP automation: deadlines, escalation, activities, reviews."
import datetime as dt

from trytond.model.exceptions import (
    AccessError, DomainValidationError, RequiredValidationError,
    SQLConstraintError)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import ActivityValidationError, SLAValidationError
from .referral_tests import ReferralWorld
from .registry_tests import category, office, open_case, register
from .tools import create_user, discard_queued_emails, queued_emails


def told(users=None, what='label'):
    """{user id: [labels]} of the notifications of the transaction (or
    their descriptions, what='description'), for users if given"""
    result = {}
    for notification in Transaction().user_notifications:
        result.setdefault(int(notification.user), []).append(
            getattr(notification, what))
    if users is not None:
        return {u.id: result.get(u.id, []) for u in users}
    return result


def run_tasks():
    "Run the queued tasks (trigger actions) as the server would after a call"
    Queue = Pool().get('ir.queue')
    transaction = Transaction()
    while transaction.tasks:
        Queue(transaction.tasks.pop()).run()


class Sent:
    "An e-mail as the transaction will send it at commit"

    def __init__(self, msg):
        self.to = ', '.join(filter(None, (msg['To'], msg['Cc'], msg['Bcc'])))
        self.subject = msg['Subject']
        self.languages = sorted({part['Content-Language']
                for part in msg.walk() if part['Content-Language']})
        self.body = msg.get_body(('html',)).get_content()


def emails(address):
    "The e-mails to address of the transaction, oldest first"
    return [Sent(msg) for msg in queued_emails() if address in msg['To']]


def discard_emails():
    "Drop the e-mails of the transaction: tests have no SMTP server"
    discard_queued_emails()


def supervised_world(priority='urgent'):
    "A referral world whose Sinjar supervisor supervises the office"
    Office = Pool().get('momd.office')
    world = ReferralWorld()
    Office.write([office('SNJ')], {
            'supervisors': [('add', [world.supervisor.id])]})
    world.need.priority = priority
    world.need.save()
    return world


class AutomationTestMixin:

    @with_transaction()
    def test_sla_deadlines(self):
        "Deadlines from the priority, the category, the service's promise"
        pool = Pool()
        Referral = pool.get('momd.referral')
        SLARule = pool.get('momd.sla.rule')
        Service = pool.get('momd.provider.service')
        world = supervised_world('urgent')
        referral = world.referral(priority='urgent')
        Referral.send([referral])
        self.assertEqual(
            referral.acknowledge_before - referral.sent_date,
            dt.timedelta(hours=72))
        self.assertEqual(
            referral.complete_before - referral.sent_date,
            dt.timedelta(days=14))
        self.assertFalse(referral.overdue)

        # the administrator shortens urgent answers to 48 h: the next
        # referral has it at once
        rule, = SLARule.search([
                ('priority', '=', 'urgent'), ('category', '=', None)])
        rule.acknowledgement_hours = 48
        rule.save()
        # a category's own deadline covers its sub-categories
        SLARule.create([{
                    'priority': 'urgent', 'category': category('legal').id,
                    'acknowledgement_hours': 60, 'completion_days': 10}])
        other = world.referral(
            priority='urgent', provider=world.provider_b)
        Referral.send([other])
        self.assertEqual(
            other.acknowledge_before - other.sent_date,
            dt.timedelta(hours=60))
        self.assertEqual(
            other.complete_before - other.sent_date, dt.timedelta(days=10))
        # a provider who promises to answer sooner is held to it
        Service.write([world.provider_a.services[0]], {
                'acknowledgement_hours': 24, 'completion_days': 30})
        self.assertEqual(SLARule.deadlines(
                'urgent', world.need.category,
                world.provider_a.services[0]), (24, 10))

    @with_transaction()
    def test_sla_bad_input(self):
        "Negative deadlines, a plan without trigger, a looping chain"
        pool = Pool()
        SLARule = pool.get('momd.sla.rule')
        Step = pool.get('momd.escalation.step')
        Plan = pool.get('momd.activity.plan')
        for field, value, name, code in [
                ('acknowledgement_hours', -5, 'Acknowledge Within', 'hlp'),
                ('completion_days', 0, 'Complete Within', 'legal')]:
            with self.subTest(field=field):
                values = {
                    'priority': 'normal', 'category': category(code).id,
                    'acknowledgement_hours': 10, 'completion_days': 10}
                values[field] = value
                with self.assertRaisesRegex(DomainValidationError, name):
                    SLARule.create([values])
        with self.assertRaisesRegex(
                RequiredValidationError, '"Referral State"'):
            Plan.create([{'name': "No state", 'trigger': 'referral_state'}])
        with self.assertRaisesRegex(
                ActivityValidationError, '"Referral State"'):
            Plan.create([{'name': "State without referral",
                        'trigger': 'case_opened', 'state': 'sent'}])
        # a chain that comes back to the supervisor would loop
        with self.assertRaisesRegex(SLAValidationError, 'loop'):
            Step.create([{
                        'sequence': 40, 'role': 'supervisor',
                        'delay_hours': 200}])
        with self.assertRaisesRegex(SLAValidationError, 'later'):
            Step.write(Step.search([('role', '=', 'manager')]), {
                    'delay_hours': 10})
        with self.assertRaisesRegex(DomainValidationError, 'After'):
            Step.write(Step.search([('role', '=', 'caseworker')]), {
                    'delay_hours': -1})
        # last: on PostgreSQL a refused insert ends the transaction
        with self.assertRaisesRegex(RequiredValidationError, '"When"'):
            Plan.create([{'name': "No trigger"}])

    @with_transaction()
    def test_sla_rule_unique(self):
        "One deadline per priority and category, one default per priority"
        SLARule = Pool().get('momd.sla.rule')
        with self.assertRaisesRegex(SQLConstraintError, 'one deadline'):
            SLARule.create([{
                        'priority': 'normal',
                        'acknowledgement_hours': 1, 'completion_days': 1}])

    @with_transaction()
    def test_overdue_escalation(self):
        "Not answered in 72 h: overdue, then up the chain, with activities"
        pool = Pool()
        Referral = pool.get('momd.referral')
        Activity = pool.get('momd.activity')
        world = supervised_world('urgent')
        referral = world.referral(priority='urgent')
        Referral.send([referral])
        sent = referral.sent_date
        Transaction().user_notifications.clear()

        self.assertEqual(Referral.escalate(sent + dt.timedelta(hours=71)), [])
        late = sent + dt.timedelta(hours=73)
        self.assertEqual(Referral.escalate(late), [referral])
        referral = Referral(referral.id)
        self.assertEqual(referral.overdue_since, referral.acknowledge_before)
        self.assertEqual(
            (referral.escalation_level, referral.escalated_to),
            (1, 'caseworker'))
        # the plan asks the supervisors to review it by the next day
        activity, = Activity.search([('resource', '=', str(referral))])
        self.assertEqual(
            (activity.role, activity.user, activity.office, activity.due),
            ('supervisor', None, office('SNJ'),
                (late + dt.timedelta(days=1)).replace(
                    second=0, microsecond=0)))
        seen = told([world.caseworker, world.supervisor, world.bob])
        self.assertEqual(len(seen[world.caseworker.id]), 1)
        self.assertEqual(len(seen[world.supervisor.id]), 1)  # the activity
        self.assertEqual(seen[world.bob.id], [])
        # nothing new an hour later
        self.assertEqual(Referral.escalate(late + dt.timedelta(hours=1)), [])
        # a day later it reaches the supervisor, not yet the manager
        Transaction().user_notifications.clear()
        self.assertEqual(
            Referral.escalate(late + dt.timedelta(hours=25)), [referral])
        referral = Referral(referral.id)
        self.assertEqual(referral.escalated_to, 'supervisor')
        self.assertEqual(
            list(told([world.supervisor]).values()),
            [['1 referrals overdue']])
        self.assertEqual(len(Activity.search([])), 1)

        # the answer comes: the clock of the completion starts again
        with world.as_(world.alice):
            Referral.accept([Referral(referral.id)])
        referral = Referral(referral.id)
        self.assertEqual(
            (referral.overdue_since, referral.escalation_level), (None, 0))
        self.assertEqual(Referral.escalate(late + dt.timedelta(days=2)), [])
        overdue_on = referral.complete_before + dt.timedelta(minutes=1)
        self.assertEqual(Referral.escalate(overdue_on), [referral])

    @with_transaction()
    def test_overdue_search(self):
        "Overdue is computed now and searchable"
        Referral = Pool().get('momd.referral')
        world = supervised_world('emergency')
        late, on_time = world.referral(), world.referral(
            provider=world.provider_b)
        Referral.send([late, on_time])
        Referral.write([late], {
                'acknowledge_before': dt.datetime.now()
                - dt.timedelta(hours=1)})
        self.assertEqual(Referral.search([('overdue', '=', True)]), [late])
        self.assertEqual(
            Referral.search([('overdue', '=', False)]), [on_time])
        self.assertEqual(
            [r.overdue for r in Referral.browse([late, on_time])],
            [True, False])

    @with_transaction()
    def test_completion_follow_up(self):
        "Completing a referral asks its caseworker to call in 2 days"
        pool = Pool()
        Referral = pool.get('momd.referral')
        Activity = pool.get('momd.activity')
        world = supervised_world()
        referral = world.referral()
        Referral.send([referral])
        self.assertEqual(Activity.search([]), [])
        with world.as_(world.alice):
            Referral.accept([Referral(referral.id)])
            Referral.write([Referral(referral.id)], {'outcome': 'provided'})
            Referral.complete([Referral(referral.id)])
        referral = Referral(referral.id)
        activity, = Activity.search([])
        self.assertEqual(
            (activity.user, activity.resource, activity.due),
            (world.caseworker, referral,
                (referral.completed_date + dt.timedelta(days=2)).replace(
                    second=0, microsecond=0)))
        self.assertIn(world.caseworker.id, told())
        # the caseworker sees and does it; the focal point does not see it
        with world.as_(world.caseworker):
            mine, = Activity.search([('mine', '=', True)])
            Activity.do([mine])
        with world.as_(world.bob):
            self.assertEqual(Activity.search([]), [])
        self.assertEqual(
            (Activity(activity.id).state, Activity(activity.id).done_by),
            ('done', world.caseworker))

    @with_transaction()
    def test_plan_added_by_administrator(self):
        "A plan line added in the application fires at the next step"
        pool = Pool()
        Referral = pool.get('momd.referral')
        Activity = pool.get('momd.activity')
        Plan = pool.get('momd.activity.plan')
        world = supervised_world()
        Plan.create([{
                    'name': "Prepare the file for the provider",
                    'trigger': 'referral_state', 'state': 'accepted',
                    'category': category('legal').id,
                    'lines': [('create', [{
                                    'name': "Send the documents",
                                    'role': 'focal_point',
                                    'delay_days': 0, 'delay_hours': 4}])],
                    }])
        referral = world.referral()
        Referral.send([referral])
        with world.as_(world.alice):
            Referral.accept([Referral(referral.id)])
            mine, = Activity.search([('mine', '=', True)])
        self.assertEqual(
            (mine.name, mine.provider, mine.role),
            ("Send the documents", world.provider_a, 'focal_point'))
        with world.as_(world.bob):
            self.assertEqual(Activity.search([]), [])
        with self.assertRaises(ActivityValidationError):
            with world.as_(world.alice):
                Activity.cancel([mine])

    @with_transaction()
    def test_case_review(self):
        "Reviews fall due, are asked for once, and are done"
        pool = Pool()
        Case = pool.get('momd.case')
        Activity = pool.get('momd.activity')
        Config = pool.get('momd.configuration')
        config = Config(1)
        config.case_review_months = 2
        config.save()
        today = pool.get('ir.date').today()
        case = open_case(register(), ['hlp.rent'])
        self.assertEqual(
            case.next_review, Case.default_next_review())
        self.assertGreaterEqual((case.next_review - today).days, 58)
        self.assertFalse(case.review_due)
        due = case.next_review
        self.assertEqual(Case.flag_reviews(due - dt.timedelta(days=1)), [])
        self.assertEqual(Case.flag_reviews(due), [case])
        self.assertEqual(Case.flag_reviews(due), [])
        activity, = Activity.search([('resource', '=', str(case))])
        self.assertEqual(activity.user, case.caseworker)
        Case.review([case])
        self.assertEqual(
            (case.last_review, case.review_flagged), (today, None))
        self.assertEqual(Case.search([('review_due', '=', True)]), [])

    @with_transaction()
    def test_activity_reminders(self):
        "Activities due within a day are reminded once"
        pool = Pool()
        Activity = pool.get('momd.activity')
        world = supervised_world()
        now = dt.datetime.now()
        soon, later = Activity.create([{
                    'name': "Call back", 'user': world.caseworker.id,
                    'due': now + dt.timedelta(hours=5),
                    'office': office('SNJ').id,
                    }, {
                    'name': "Visit", 'role': 'supervisor', 'user': None,
                    'office': office('SNJ').id,
                    'due': now + dt.timedelta(days=5),
                    }])
        Transaction().user_notifications.clear()
        self.assertEqual(Activity.remind(now), [soon])
        self.assertEqual(Activity.remind(now), [])
        self.assertEqual(told([world.caseworker, world.supervisor]), {
                world.caseworker.id: ['1 activities due within a day'],
                world.supervisor.id: []})
        self.assertEqual(
            Activity.remind(now + dt.timedelta(days=4, hours=1)), [later])
        self.assertEqual(
            told([world.supervisor])[world.supervisor.id],
            ['1 activities due within a day'])

    @with_transaction()
    def test_activity_of_restricted_referral(self):
        """A to-do about a GBV referral is seen and told only by the
        supervisors with sensitive access, as the referral is"""
        pool = Pool()
        Activity = pool.get('momd.activity')
        Office = pool.get('momd.office')
        world = ReferralWorld(need_code='protection.gbv', sensitive=True)
        other = create_user('sup.plain', groups=['group_supervisor'],
            offices=[office('SNJ')])
        Office.write([office('SNJ')], {'supervisors': [
                    ('add', [world.supervisor.id, other.id])]})
        referral = world.referral()
        Transaction().user_notifications.clear()
        activity, plain = Activity.create([{
                    'name': "Safety plan review", 'role': 'supervisor',
                    'user': None, 'office': office('SNJ').id,
                    'resource': str(referral)}, {
                    'name': "Call the office", 'role': 'supervisor',
                    'user': None, 'office': office('SNJ').id}])
        self.assertEqual((activity.restricted, plain.restricted),
            (True, False))
        self.assertEqual(told([world.supervisor, other], 'description'), {
                world.supervisor.id: [
                    "Safety plan review", "Call the office"],
                other.id: ["Call the office"]})
        with world.as_(world.supervisor):
            self.assertEqual(Activity.search([]), [activity, plain])
        with world.as_(other):
            self.assertEqual(Activity.search([]), [plain])
            self.assertEqual(Activity.search([
                        ('name', '=', "Safety plan review")]), [])
            with self.assertRaises(AccessError):
                Activity.read([activity.id], ['name'])
        # the need turns out to be of an ordinary category
        world.need.category = category('legal.aid')
        world.need.save()
        self.assertFalse(Activity(activity.id).restricted)
        with world.as_(other):
            self.assertEqual(Activity.search([]), [activity, plain])

    @with_transaction()
    def test_email_without_address_or_with_fallback(self):
        """Nobody with an address: no e-mail task; a fallback recipient an
        administrator sets is written to from the next step on"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Email = pool.get('notification.email')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        world = supervised_world()
        first, second = world.referral(), world.referral(world.provider_b)
        Referral.send([first])
        self.assertEqual(Transaction().tasks, [])
        world.supervisor.email = 'sup@momd.example'
        User.save([world.supervisor])
        received = Email(ModelData.get_id(
                'momd_referral', 'email_referral_received'))
        received.fallback_recipients = world.supervisor
        received.save()
        Referral.send([second])
        run_tasks()
        sent, = emails('sup@')
        self.assertEqual(sent.subject, 'New referral %s' % second.code)
        discard_emails()

    @with_transaction()
    def test_email_notifications(self):
        "Each step e-mails the right people, with no personal data"
        pool = Pool()
        Referral = pool.get('momd.referral')
        User = pool.get('res.user')
        world = supervised_world()
        for user in [world.caseworker, world.alice, world.bob,
                world.supervisor]:
            user.email = '%s@momd.example' % user.login
        User.save([world.caseworker, world.alice, world.bob,
                world.supervisor])
        referral = world.referral()
        Referral.send([referral])
        run_tasks()
        received, = emails('alice@')
        self.assertEqual(received.subject, 'New referral %s' % referral.code)
        self.assertIn('A new referral was sent to your organisation',
            received.body)
        self.assertIn('/model/momd.referral/%d' % referral.id, received.body)
        # the registry stays in the registry
        for private in [world.beneficiary.first_name,
                world.beneficiary.family_name, '7501112233']:
            self.assertNotIn(private, received.body)
        self.assertEqual(emails('bob@'), [])
        self.assertEqual(emails('cw@'), [])

        with world.as_(world.alice):
            Referral.accept([Referral(referral.id)])
        run_tasks()
        accepted, = emails('cw@')
        self.assertEqual(
            accepted.subject, 'Referral %s: Accepted' % referral.code)
        self.assertIn('The provider accepted the referral', accepted.body)

        # late: the chain writes to the caseworker, then the supervisor
        Referral.escalate(
            Referral(referral.id).complete_before + dt.timedelta(hours=1))
        run_tasks()
        self.assertEqual(
            [e.subject for e in emails('cw@')][-1],
            'Overdue referral %s' % referral.code)
        self.assertIn('This referral is overdue', emails('cw@')[-1].body)
        Referral.escalate(
            Referral(referral.id).complete_before + dt.timedelta(hours=30))
        run_tasks()
        overdue = [e for e in emails('sup@')
            if e.subject == 'Overdue referral %s' % referral.code]
        self.assertEqual(len(overdue), 1)
        # and the plan's review activity was announced to the supervisor
        self.assertTrue([e for e in emails('sup@')
                if e.subject.startswith('New activity: ')])
        self.assertEqual(emails('bob@'), [])
        discard_emails()
