"""Coverage and eligibility checked when a referral leaves the ministry, the
supervisor's override, redirecting past the providers that declined: tests
mixed into the module test case."""
from trytond.model.exceptions import AccessError, DomainValidationError
from trytond.model.modelstorage import EvalEnvironment
from trytond.model.modelview import AccessButtonError
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder, PYSONEncoder
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import ReferralEligibilityError
from .provider_tests import create_provider, location
from .referral_tests import ReferralWorld, give_consent
from .registry_tests import category
from .tools import create_user


def hamdaniya_world():
    """The Sinjar world's beneficiary now lives in Bartella (Hamdaniya); a
    legal aid service covers Hatra, Mosul and Tel Kaif only"""
    world = ReferralWorld()
    world.beneficiary.current_location = location('Bartella')
    world.beneficiary.save()
    world.mosul = create_provider("Mosul Legal Desk", services=[{
                'category': 'legal.aid',
                'locations': ['Hatra', 'Mosul', 'Tel Kaif']}])
    return world


def unchanged(referral):
    "What sending writes, as it stands"
    referral = referral.__class__(referral.id)
    return (referral.state, referral.sent_date, referral.consent,
        referral.acknowledge_before, referral.approved_by,
        referral.overridden_by, referral.overridden_date,
        referral.need.status)


class EligibilityTestMixin:

    @with_transaction()
    def test_referral_out_of_coverage_refused(self):
        """Sending to a service that does not cover where the person lives
        is refused, naming both places; nothing is written"""
        Referral = Pool().get('momd.referral')
        world = hamdaniya_world()
        referral = world.referral(world.mosul)
        before = unchanged(referral)
        with world.as_(world.caseworker):
            with self.assertRaises(ReferralEligibilityError) as cm:
                Referral.send([Referral(referral.id)])
        message = cm.exception.message
        self.assertIn('"Mosul Legal Desk — General Legal Aid"', message)
        self.assertIn(
            'the service covers Hatra, Mosul, Tel Kaif; the beneficiary '
            'lives in Nineveh / Hamdaniya / Bartella', message)
        self.assertIn('"Override Reason"', message)
        self.assertEqual(unchanged(referral), before)
        self.assertEqual(before[0], 'draft')
        # the service reaching the district of Hamdaniya covers Bartella,
        # one of its sub-districts
        Pool().get('momd.provider.service').write(
            list(world.mosul.services), {
                'locations': [('add', [location('Hamdaniya').id])]})
        with world.as_(world.caseworker):
            Referral.send([Referral(referral.id)])
        self.assertEqual(Referral(referral.id).state, 'sent')

    @with_transaction()
    def test_referral_unknown_location_refused(self):
        "Where the person lives must be known to check the coverage"
        Referral = Pool().get('momd.referral')
        world = ReferralWorld()
        world.beneficiary.current_location = None
        world.beneficiary.save()
        referral = world.referral()
        with self.assertRaisesRegex(ReferralEligibilityError,
                'covers Sinjar; the beneficiary\'s "Current Location" is '
                'not recorded'):
            Referral.send([referral])
        self.assertEqual(Referral(referral.id).state, 'draft')

    @with_transaction()
    def test_referral_ineligible_refused(self):
        """A service not open to the person's sex, age or displacement
        status is refused, each named; one of an inactive provider or an
        archived service is refused even with an override reason"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Provider = pool.get('momd.provider')
        Service = pool.get('momd.provider.service')
        world = ReferralWorld()
        girls = create_provider("Girls' Legal Clinic", services=[{
                    'category': 'legal.aid', 'locations': ['Sinjar'],
                    'sex': 'female', 'age_min': 12, 'age_max': 17,
                    'displacement_statuses': ['idp_in_camp']}])
        referral = world.referral(girls)
        with self.assertRaises(ReferralEligibilityError) as cm:
            Referral.send([referral])
        message = cm.exception.message
        for reason in [
                'the service is open to "Women and Girls"; the beneficiary '
                'is "Male"',
                'the service is for ages 12–17; the beneficiary is %s'
                % world.beneficiary.age,
                'the service is open to "IDP in Camp"; the beneficiary is '
                '"Returnee from Abroad"']:
            self.assertIn(reason, message)
        self.assertNotIn('covers', message)
        self.assertEqual(Referral(referral.id).state, 'draft')

        # the provider suspended, the service archived: no override
        other = world.referral()
        other.override_reason = "The family asked for this lawyer"
        other.save()
        world.provider_a.suspension_reason = "Agreement under review"
        world.provider_a.save()
        Provider.suspend([world.provider_a])
        with self.assertRaisesRegex(ReferralEligibilityError,
                'the provider "Provider A" is "Suspended", not active. '
                'Choose another "Provider Service".'):
            Referral.send([other])
        archived = world.provider_b.services[0]
        Service.write([archived], {'active': False})
        other.provider_service = archived
        other.save()
        with self.assertRaisesRegex(ReferralEligibilityError,
                'the service is not active'):
            Referral.send([other])
        self.assertEqual(Referral(other.id).state, 'draft')

    @with_transaction()
    def test_referral_override_by_supervisor(self):
        """With an override reason the referral waits for an office
        supervisor; approved, it leaves with who and when recorded, in the
        audit trail too"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Log = pool.get('momd.access.log')
        world = hamdaniya_world()
        referral = world.referral(world.mosul)
        with world.as_(world.caseworker):
            Referral.write([Referral(referral.id)], {
                    'override_reason': "Moves to Mosul next week"})
            self.assertIn('\u25cb To Approve', Referral(referral.id).steps)
            Referral.send([Referral(referral.id)])
        referral = Referral(referral.id)
        self.assertEqual(referral.state, 'to_approve')
        self.assertIsNone(referral.overridden_by)
        with world.as_(world.supervisor):
            Referral.approve([Referral(referral.id)])
        referral = Referral(referral.id)
        self.assertEqual(referral.state, 'sent')
        self.assertEqual(referral.override_reason, "Moves to Mosul next week")
        self.assertEqual(referral.overridden_by, world.supervisor)
        self.assertEqual(referral.approved_by, world.supervisor)
        self.assertTrue(referral.overridden_date)
        self.assertEqual(referral.consent, world.consent)
        self.assertTrue(any('overridden_by' in (line.changed_fields or '')
                for line in Log.search([
                        ('model', '=', 'momd.referral'),
                        ('record', '=', referral.id),
                        ('action', '=', 'write'),
                        ('user', '=', world.supervisor.id)])))
        # the form shows it; the provider reads it as the reason for
        # referral, while the referral is shared with it, never searches it
        with world.as_(world.caseworker):
            arch = Referral.fields_view_get(view_type='form')['arch']
        for name in ['override_reason', 'overridden_by', 'overridden_date']:
            self.assertIn('name="%s"' % name, arch)
        focal = create_user_for(world.mosul)
        with world.as_(focal):
            seen, = Referral.read([referral.id],
                ['overridden_by', 'override_reason'])
            self.assertEqual(seen, {'id': referral.id,
                    'overridden_by': world.supervisor.id,
                    'override_reason': "Moves to Mosul next week"})
            with self.assertRaises(AccessError):
                Referral.search([('override_reason', 'ilike', '%Mosul%')])

    @with_transaction()
    def test_referral_override_not_by_caseworker(self):
        """A caseworker alone cannot override: without a reason sending is
        refused, with one the referral waits, and Approve is refused"""
        Referral = Pool().get('momd.referral')
        world = hamdaniya_world()
        referral = world.referral(world.mosul)
        referral.override_reason = "Moves to Mosul next week"
        referral.save()
        with world.as_(world.caseworker):
            Referral.send([Referral(referral.id)])
            with self.assertRaises(AccessButtonError):
                Referral.approve([Referral(referral.id)])
        referral = Referral(referral.id)
        self.assertEqual(referral.state, 'to_approve')
        self.assertIsNone(referral.overridden_by)
        self.assertIsNone(referral.sent_date)

    @with_transaction()
    def test_referral_approval_checks_fit(self):
        """Approving checks again: a restricted referral whose service no
        longer covers the person waits for a reason"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Service = pool.get('momd.provider.service')
        world = ReferralWorld(
            need_code='protection.gbv', consent=False, sensitive=True)
        give_consent(world.beneficiary, categories=[
                ('add', [category('protection').id])])
        referral = world.referral()
        Referral.send([referral])
        self.assertEqual(referral.state, 'to_approve')
        Service.write(list(world.provider_a.services), {
                'locations': [('remove', [location('Sinjar').id]),
                    ('add', [location('Mosul').id])]})
        with world.as_(world.supervisor):
            with self.assertRaisesRegex(ReferralEligibilityError,
                    'the service covers Mosul; the beneficiary lives in '
                    'Nineveh / Sinjar / Sinjar Centre'):
                Referral.approve([Referral(referral.id)])
            # the supervisor writes the reason and approves
            Referral.write([Referral(referral.id)], {
                    'override_reason': "Safe house in Mosul"})
            Referral.approve([Referral(referral.id)])
        referral = Referral(referral.id)
        self.assertEqual((referral.state, referral.overridden_by),
            ('sent', world.supervisor))

    @with_transaction()
    def test_redirect_leaves_out_decliner(self):
        """Redirect does not pre-fill the provider that declined; it is not
        offered, nor taken if chosen, for any draft of the need; Find
        Providers leaves it out too"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Service = pool.get('momd.provider.service')
        Match = pool.get('momd.provider.match', type='wizard')
        world = ReferralWorld()
        declined = world.referral()
        Referral.send([declined])
        # a draft to another service of Provider A, made before it declined
        second, = Service.create([{
                    'provider': world.provider_a.id,
                    'category': world.need.category.id,
                    'locations': [('add', [location('Sinjar').id])]}])
        earlier = world.referral(provider_service=second.id)
        with world.as_(world.alice):
            Referral.write([Referral(declined.id)], {
                    'decline_reason': 'no_capacity'})
            Referral.decline([Referral(declined.id)])
        with world.as_(world.caseworker):
            Referral.redirect([Referral(declined.id)])
            new, = Referral(declined.id).redirections
            new = Referral(new.id)
            self.assertEqual((new.state, new.provider_service, new.provider),
                ('draft', None, None))
            self.assertEqual(list(new.declined_providers), [world.provider_a])
            # the services the form offers
            domain = PYSONDecoder(EvalEnvironment(new, Referral)).decode(
                PYSONEncoder().encode(Referral.provider_service.domain))
            offered = Service.search(domain)
            self.assertIn(world.provider_b.services[0], offered)
            self.assertNotIn(world.provider_a.services[0], offered)
            self.assertNotIn(second, offered)
            # a draft of before the decline is refused when sent
            with self.assertRaisesRegex(ReferralEligibilityError,
                    '"Provider A" already declined this need '
                    '\\(referral %s\\)' % declined.code):
                Referral.send([Referral(earlier.id)])
            self.assertEqual(Referral(earlier.id).state, 'draft')
            # nor is a redirected draft sent before a service is chosen
            with self.assertRaisesRegex(ReferralEligibilityError,
                    'Choose the "Provider Service"'):
                Referral.send([new])
            # chosen all the same: refused, for the redirection and for a
            # new draft of the need
            with self.assertRaisesRegex(
                    DomainValidationError, '"Provider Service"'):
                Referral.write([Referral(new.id)], {
                        'provider_service': world.provider_a.services[0].id})
            with self.assertRaisesRegex(
                    DomainValidationError, '"Provider Service"'):
                world.referral()
        # Find Providers from the need lists only Provider B
        with world.as_(world.caseworker), Transaction().set_context(
                active_model='momd.need', active_id=world.need.id,
                active_ids=[world.need.id]):
            session_id, _, _ = Match.create()
            start = {k: v for k, v in Match.execute(
                    session_id, {}, 'start')['view']['defaults'].items()
                if '.' not in k}
            found = Match.execute(session_id, {'start': start}, 'result')[
                'view']['defaults']
            self.assertEqual(found['services'],
                [world.provider_b.services[0].id])
            Match.delete(session_id)
        with world.as_(world.caseworker):
            Referral.write([Referral(new.id)], {
                    'provider_service': world.provider_b.services[0].id})
            Referral.send([Referral(new.id)])
        self.assertEqual(
            (Referral(new.id).state, Referral(new.id).provider),
            ('sent', world.provider_b))


def create_user_for(provider):
    "A focal point of provider"
    user = create_user('focal.%s' % provider.id, groups=['group_provider'])
    provider.focal_points = list(provider.focal_points) + [user]
    provider.save()
    return user
