"""Tests of the answers recorded on the provider's behalf, the answer log
and the intake queue, mixed into the module test case."""
import datetime as dt

from trytond.model.exceptions import AccessError
from trytond.model.modelview import AccessButtonError
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, without_check_access

from ..exceptions import ReferralValidationError
from .referral_tests import ReferralWorld
from .registry_tests import office
from .tools import create_user


def record_answer(referral, **values):
    """Run "Record Provider's Answer" on referral as the current user, the
    form filled with its defaults and values"""
    Wizard = Pool().get('momd.referral.answer.record', type='wizard')
    with Transaction().set_context(active_model='momd.referral',
            active_id=referral.id, active_ids=[referral.id]):
        session_id, _, _ = Wizard.create()
        wizard = Wizard(session_id)
        for name, value in {
                **wizard.default_start(None), **values}.items():
            setattr(wizard.start, name, value)
        return wizard.transition_save()


def sent_hours_ago(world, hours, **values):
    """A referral of world sent by its caseworker, its sending moved hours
    back"""
    Referral = Pool().get('momd.referral')
    referral = world.referral(**values)
    with world.as_(world.caseworker):
        Referral.send([Referral(referral.id)])
    referral = Referral(referral.id)
    sent = referral.sent_date - dt.timedelta(hours=hours)
    with without_check_access():
        Referral.write([referral], {'sent_date': sent})
    return Referral(referral.id)


class ProviderAnswerTestMixin:

    @with_transaction()
    def test_answer_recorded_by_staff(self):
        """The provider says on the phone it accepts, later on paper that
        it provided the service: the caseworker records both, the
        referral moves and shows who said what, and that staff recorded
        it"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        world = ReferralWorld()
        referral = sent_hours_ago(world, 5)
        said = referral.sent_date + dt.timedelta(hours=1)
        with world.as_(world.caseworker):
            record_answer(Referral(referral.id), step='accept',
                channel='phone', contact_name="Hana Saleh",
                contact_role="Intake officer", reported_date=said)
        referral = Referral(referral.id)
        self.assertEqual(referral.state, 'accepted')
        # the answer dates from when the provider gave it
        self.assertEqual(referral.answered_date, said)
        self.assertTrue(referral.answered_by_staff)
        with world.as_(world.supervisor):
            record_answer(Referral(referral.id), step='complete',
                outcome='provided', outcome_feedback="Deed replaced",
                channel='paper', contact_name="Omar Ali",
                reported_date=said + dt.timedelta(hours=2))
        referral = Referral(referral.id)
        self.assertEqual(referral.state, 'completed')
        self.assertEqual(
            (referral.outcome, referral.outcome_feedback),
            ('provided', "Deed replaced"))
        self.assertEqual(referral.need.status, 'met')
        self.assertEqual(
            referral.completed_date, said + dt.timedelta(hours=2))
        self.assertEqual([(a.step, a.via, a.channel, a.contact_name,
                        a.contact_role, a.recorded_by)
                    for a in referral.answers], [
                ('accept', 'staff', 'phone', "Hana Saleh",
                    "Intake officer", world.caseworker),
                ('complete', 'staff', 'paper', "Omar Ali", None,
                    world.supervisor),
                ])
        self.assertEqual(referral.answers[0].reported_date, said)
        with world.as_(world.caseworker):
            self.assertEqual(Referral.search([
                        ('answered_by_staff', '=', True)]), [referral])
        # the provider reads how its answers were recorded
        with world.as_(world.alice):
            self.assertTrue(Referral(referral.id).answered_by_staff)
            self.assertEqual(len(Referral(referral.id).answers), 2)

    @with_transaction()
    def test_answer_recorded_by_staff_refused(self):
        """Refused, nothing written: a focal point, another office's
        caseworker, a time in the future or before the referral was sent,
        a decline without its reason, an answer the state does not
        allow"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Answer = pool.get('momd.referral.answer')
        world = ReferralWorld()
        referral = sent_hours_ago(world, 5)
        mosul = create_user('cw.mosul', groups=['group_caseworker'],
            offices=[office('MSL')])
        said = {'channel': 'phone', 'contact_name': "Hana Saleh"}
        for user in [world.alice, mosul]:
            with self.subTest(user=user.login), world.as_(user):
                with self.assertRaises(AccessError):
                    record_answer(Referral(referral.id), step='accept',
                        **said)
        with world.as_(world.caseworker):
            for reported in [
                    dt.datetime.now() + dt.timedelta(hours=1),
                    referral.sent_date - dt.timedelta(hours=1)]:
                with self.subTest(reported=reported), \
                        self.assertRaisesRegex(
                            ReferralValidationError, '"Said On"'):
                    record_answer(Referral(referral.id), step='accept',
                        reported_date=reported, **said)
            with self.assertRaisesRegex(
                    ReferralValidationError, '"Decline Reason"'):
                record_answer(Referral(referral.id), step='decline',
                    decline_note="Full this month", **said)
            with self.assertRaisesRegex(
                    ReferralValidationError, '"Said By"'):
                record_answer(Referral(referral.id), step='accept',
                    channel='phone', contact_name=None)
            with self.assertRaisesRegex(
                    ReferralValidationError, '"Answer"'):
                record_answer(Referral(referral.id), step='complete',
                    outcome='provided', **said)
        referral = Referral(referral.id)
        self.assertEqual((referral.state, referral.decline_note,
                referral.answered_date), ('sent', None, None))
        self.assertEqual(Answer.search([]), [])
        self.assertFalse(referral.answered_by_staff)

    @with_transaction()
    def test_answer_by_focal_point_logged(self):
        """A focal point's own answers are logged as theirs; the log is read
        by the provider's focal points only, changed by nobody"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Answer = pool.get('momd.referral.answer')
        world = ReferralWorld()
        referral = sent_hours_ago(world, 1)
        with world.as_(world.alice):
            Referral.write([Referral(referral.id)], {
                    'decline_reason': 'no_capacity'})
            Referral.decline([Referral(referral.id)])
        answer, = Answer.search([('referral', '=', referral.id)])
        self.assertEqual(
            (answer.step, answer.via, answer.recorded_by, answer.channel),
            ('decline', 'focal_point', world.alice, None))
        self.assertFalse(Referral(referral.id).answered_by_staff)
        with world.as_(world.alice):
            self.assertEqual(Answer.search([]), [answer])
            for attempt in [
                    lambda: Answer.create([{
                                'referral': referral.id, 'step': 'accept',
                                'via': 'staff'}]),
                    lambda: Answer.write([Answer(answer.id)], {
                            'via': 'staff'}),
                    lambda: Answer.delete([Answer(answer.id)]),
                    ]:
                with self.assertRaises(AccessError):
                    attempt()
        with world.as_(world.bob):
            self.assertEqual(Answer.search([]), [])
        with world.as_(world.caseworker):
            self.assertEqual(Answer.search([]), [answer])
            # the redirected draft starts with no answers
            Referral.redirect([Referral(referral.id)])
        new, = Referral(referral.id).redirections
        self.assertEqual(new.answers, ())

    @with_transaction()
    def test_answer_through_link_logged(self):
        """Code answering for the provider through another way (its answer
        link) logs its lines itself, or within answering"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Answer = pool.get('momd.referral.answer')
        world = ReferralWorld()
        referral = sent_hours_ago(world, 1)
        with Answer.answering('link', contact_name="Hana Saleh"):
            Referral.accept([Referral(referral.id)])
        Answer.record([Referral(referral.id)], 'start', 'link',
            contact_name="Hana Saleh")
        # the system's own steps are logged by the code that takes them
        with Transaction().set_user(0):
            Referral.start([Referral(referral.id)])
        self.assertEqual(
            [(a.step, a.via, a.contact_name)
                for a in Referral(referral.id).answers],
            [('accept', 'link', "Hana Saleh"),
                ('start', 'link', "Hana Saleh")])


def queue_of(user, world):
    """The referrals of the Intake Queue action as user sees them, in its
    order"""
    pool = Pool()
    Referral = pool.get('momd.referral')
    Action = pool.get('ir.action.act_window')
    ModelData = pool.get('ir.model.data')
    action = Action(ModelData.get_id('momd_referral', 'act_referral_queue'))
    decoder = PYSONDecoder({'_user': user.id})
    with world.as_(user):
        return Referral.search(decoder.decode(action.pyson_domain),
            order=decoder.decode(action.pyson_order))


class IntakeQueueTestMixin:

    @with_transaction()
    def test_intake_take(self):
        """Any focal point of the provider takes a referral of its queue;
        one a colleague took is refused with their name, another
        provider's or a caseworker cannot take it, nobody sets who took
        it by hand"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Provider = pool.get('momd.provider')
        world = ReferralWorld()
        carol = create_user('carol', groups=['group_provider'])
        Provider.write([world.provider_a], {
                'focal_points': [('add', [carol.id])]})
        referral = sent_hours_ago(world, 3)
        with world.as_(world.alice):
            Referral.take([Referral(referral.id)])
            # taking one's own again changes nothing
            Referral.take([Referral(referral.id)])
        referral = Referral(referral.id)
        self.assertEqual(referral.taken_by, world.alice)
        taken = referral.taken_date
        self.assertTrue(taken)
        with world.as_(carol):
            with self.assertRaisesRegex(
                    ReferralValidationError, 'taken by alice'):
                Referral.take([Referral(referral.id)])
            with self.assertRaises(AccessError):
                Referral.write([Referral(referral.id)], {
                        'taken_by': carol.id})
        for user in [world.bob, world.caseworker]:
            with self.subTest(user=user.login), world.as_(user), \
                    self.assertRaises((AccessError, AccessButtonError)):
                Referral.take([Referral(referral.id)])
        referral = Referral(referral.id)
        self.assertEqual(
            (referral.taken_by, referral.taken_date), (world.alice, taken))
        # still in the queue once accepted; how long since it was sent
        with world.as_(world.alice):
            Referral.accept([Referral(referral.id)])
            referral = Referral(referral.id)
            self.assertGreaterEqual(
                referral.since_sent, dt.timedelta(hours=3))
            self.assertLess(referral.since_sent, dt.timedelta(hours=4))
        self.assertEqual(queue_of(carol, world), [referral])
        # not in a draft
        draft = world.referral(need=need_of(world, 'normal').id)
        with world.as_(world.alice), self.assertRaises(AccessError):
            Referral.take([Referral(draft.id)])

    @with_transaction()
    def test_intake_queue_order(self):
        """The queue lists the open referrals of the user's provider, the
        most pressing first, then the oldest sent"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        world = ReferralWorld()
        # (priority, hours since sent)
        made = {}
        for priority, hours in [('normal', 30), ('urgent', 2),
                ('emergency', 1), ('normal', 50), ('emergency', 5)]:
            made[priority, hours] = sent_hours_ago(world, hours,
                need=need_of(world, priority).id, priority=priority)
        other = sent_hours_ago(world, 80, need=need_of(world, 'normal').id,
            provider_service=world.provider_b.services[0].id)
        declined = sent_hours_ago(world, 90,
            need=need_of(world, 'normal').id)
        with world.as_(world.alice):
            Referral.write([Referral(declined.id)], {
                    'decline_reason': 'not_eligible'})
            Referral.decline([Referral(declined.id)])
        expected = [made[k] for k in [('emergency', 5), ('emergency', 1),
                ('urgent', 2), ('normal', 50), ('normal', 30)]]
        self.assertEqual(queue_of(world.alice, world), expected)
        self.assertEqual(queue_of(world.bob, world), [other])
        ages = [r.since_sent for r in expected]
        self.assertGreaterEqual(ages[0], dt.timedelta(hours=5))
        self.assertLess(ages[1], dt.timedelta(hours=2))


def need_of(world, priority):
    "Another need of the world's case, of its category, of priority"
    Need = Pool().get('momd.need')
    need, = Need.create([{
                'case': world.case.id, 'category': world.need.category.id,
                'priority': priority}])
    return need


class ProviderAnswerArabicTestMixin:

    @with_transaction(context={'language': 'ar'})
    def test_answer_refused_in_arabic(self):
        """A decline recorded without its reason is refused in Arabic,
        naming the field; nothing written"""
        Referral = Pool().get('momd.referral')
        world = ReferralWorld()
        referral = sent_hours_ago(world, 2)
        with world.as_(world.caseworker), self.assertRaisesRegex(
                ReferralValidationError, 'أدخل "سبب الرفض" لتسجيل ردّ'):
            record_answer(Referral(referral.id), step='decline',
                channel='whatsapp', contact_name="Hana Saleh")
        self.assertEqual(Referral(referral.id).state, 'sent')
        self.assertEqual(Referral(referral.id).answers, ())
