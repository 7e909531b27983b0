"""Tests of the fields owned by the workflow or the system: no client path
sets them, whoever the user (mixed into the module test case)."""
import datetime as dt

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import ConsentValidationError, OwnedFieldError
from .referral_tests import ReferralWorld, give_consent
from .registry_tests import office, register
from .tools import create_user


def stored(record, *names):
    "The values of names as the database holds them now"
    Model = record.__class__
    with Transaction().set_context(_check_access=False):
        values, = Model.read([record.id], list(names))
    return {n: values[n] for n in names}


class OwnedFieldsTestMixin:

    def assertRefused(self, call, field):
        "call is refused, naming the field's label"
        with self.assertRaises(OwnedFieldError) as refusal:
            call()
        self.assertIn('"%s"' % field, refusal.exception.message)

    def administrator(self):
        return create_user('administrator', groups=['group_admin'])

    @with_transaction()
    def test_owned_fields_of_referral(self):
        "No plain write sends, reroutes or completes a referral"
        pool = Pool()
        Referral = pool.get('momd.referral')
        world = ReferralWorld()
        other = register(first_name='سالم')
        other_consent = give_consent(other)
        referral = world.referral()
        before = stored(referral, 'state', 'consent', 'sent_date')
        for user in [world.caseworker, world.supervisor,
                self.administrator()]:
            with self.subTest(user=user.login), world.as_(user):
                # sent without the consent check nor the approval
                self.assertRefused(lambda: Referral.write(
                        [Referral(referral.id)],
                        {'state': 'sent', 'consent': other_consent.id}),
                    "State")
                self.assertRefused(lambda: Referral.write(
                        [Referral(referral.id)], {'code': 'NIN-REF-X'}),
                    "Number")
        self.assertEqual(stored(referral, 'state', 'consent', 'sent_date'),
            before)

        with world.as_(world.caseworker):
            # what the caseworker types in a draft stays theirs
            Referral.write([Referral(referral.id)], {'reason': "Deed"})
            Referral.send([Referral(referral.id)])
        self.assertEqual(stored(referral, 'reason')['reason'], "Deed")
        for values, label in [
                ({'provider': world.provider_b.id}, "Provider"),
                ({'provider_service': world.provider_b.services[0].id},
                    "Provider Service"),
                ({'reason': "Another"}, "Reason for Referral"),
                ({'restricted': True}, "Restricted Category"),
                ({'escalation_level': 3}, "Escalation Level"),
                ({'approved_by': world.supervisor.id}, "Approved By"),
                ({'beneficiary_name': "X"}, "Name"),
                ]:
            with self.subTest(values=values), world.as_(world.caseworker):
                self.assertRefused(lambda: Referral.write(
                        [Referral(referral.id)], values), label)
        self.assertEqual(Referral(referral.id).provider, world.provider_a)
        self.assertFalse(Referral(referral.id).restricted)

        with world.as_(world.alice):
            # the focal point answers with the buttons, not a write
            self.assertRefused(lambda: Referral.write(
                    [Referral(referral.id)], {'state': 'completed'}),
                "State")
            self.assertRefused(lambda: Referral.write(
                    [Referral(referral.id)], {
                        'completed_date': dt.datetime(2026, 1, 1)}),
                "Completed On")
            # the fields the provider writes are still open to it
            Referral.write([Referral(referral.id)], {
                    'provider_note': "Called him", 'decline_reason': None})
        self.assertEqual(stored(referral, 'state', 'provider_note'), {
                'state': 'sent', 'provider_note': "Called him"})

    @with_transaction()
    def test_owned_fields_of_consent(self):
        "A revoked consent is not made active again by a write"
        pool = Pool()
        Consent = pool.get('momd.consent')
        world = ReferralWorld()
        consent = world.consent
        Consent.write([consent], {'revocation_reason': "Asked"})
        Consent.revoke([consent])
        for user in [world.caseworker, self.administrator()]:
            for values in [
                    {'state': 'active', 'revoked_on': None},
                    {'revoked_on': None},
                    # once active it is revoked and replaced, never edited
                    {'information_groups': ['identity', 'documents']},
                    ]:
                with self.subTest(user=user.login, values=values), \
                        world.as_(user), self.assertRaises(
                            (OwnedFieldError, ConsentValidationError)):
                    Consent.write([Consent(consent.id)], values)
        self.assertEqual(stored(consent, 'state')['state'], 'revoked')
        self.assertTrue(stored(consent, 'revoked_on')['revoked_on'])

    @with_transaction()
    def test_owned_fields_of_other_models(self):
        "States, codes, flags and offices are the system's for everyone"
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Case = pool.get('momd.case')
        Need = pool.get('momd.need')
        Provider = pool.get('momd.provider')
        Event = pool.get('momd.outreach.event')
        world = ReferralWorld()
        event, = Event.create([{
                    'office': office('SNJ').id, 'kind': 'open_day',
                    'date': dt.date(2026, 1, 10), 'place': "Sinune school"}])
        Case.activate([world.case])
        admin = self.administrator()
        for Model, record, values, label in [
                (Beneficiary, world.beneficiary,
                    {'anonymised': dt.date(2026, 1, 1)}, "Anonymised On"),
                (Beneficiary, world.beneficiary, {'code': 'X'},
                    "Registration Number"),
                (Need, world.need, {'restricted': True}, "Restricted"),
                (Case, world.case, {'state': 'closed'}, "State"),
                (Case, world.case, {'code': 'X'}, "Number"),
                # chosen when the case opens, then moved by reassignment
                (Case, world.case, {'office': office('MSL').id}, "Office"),
                (Provider, world.provider_a, {'state': 'draft'}, "State"),
                (Event, event, {'state': 'done'}, "State"),
                ]:
            before = stored(record, *values)
            with self.subTest(model=Model.__name__, values=values), \
                    world.as_(admin):
                self.assertRefused(lambda: Model.write(
                        [Model(record.id)], values), label)
            self.assertEqual(stored(record, *values), before)

    @with_transaction()
    def test_owned_fields_create_with_lists(self):
        """A new record comes with its lists as the web client sends them
        (actions on them) and fields read-only only in other states"""
        pool = Pool()
        Consent = pool.get('momd.consent')
        world = ReferralWorld(consent=False)
        category = world.need.category
        with world.as_(world.caseworker):
            consent, = Consent.create([{
                        'beneficiary': world.beneficiary.id,
                        'given_by': 'guardian', 'guardian_name': "Hassan",
                        'purpose': "Referral",
                        'information_groups': ['identity'],
                        'categories': [('add', [category.id])],
                        }])
        consent = Consent(consent.id)
        self.assertEqual(consent.categories, (category,))
        self.assertEqual(consent.guardian_name, "Hassan")

    @with_transaction()
    def test_owned_fields_on_create_copy_import(self):
        "Create, copy defaults and import refuse them as write does"
        pool = Pool()
        Referral = pool.get('momd.referral')
        Consent = pool.get('momd.consent')
        world = ReferralWorld()
        count = Referral.search_count([])
        values = {
            'case': world.case.id, 'need': world.need.id,
            'provider_service': world.provider_a.services[0].id,
            'reason': "Deed", 'caseworker': world.caseworker.id}
        with world.as_(world.caseworker):
            self.assertRefused(lambda: Referral.create([
                        {**values, 'state': 'sent'}]), "State")
            # read-only in the state a new referral starts in
            self.assertRefused(lambda: Referral.create([
                        {**values, 'outcome': 'provided'}]), "Outcome")
            self.assertRefused(lambda: Consent.create([{
                            'beneficiary': world.beneficiary.id,
                            'purpose': "Referral", 'state': 'active'}]),
                "State")
        self.assertEqual(Referral.search_count([]), count)

        referral = world.referral()
        Referral.send([referral])
        with world.as_(world.alice):
            Referral.write([Referral(referral.id)],
                {'decline_reason': 'no_capacity', 'decline_note': "Full"})
            Referral.decline([Referral(referral.id)])
        with world.as_(world.caseworker):
            for default, label in [
                    ({'state': 'sent'}, "State"),
                    ({'code': 'NIN-REF-1'}, "Number"),
                    ({'decline_reason': 'other'}, "Decline Reason"),
                    ]:
                with self.subTest(default=default):
                    self.assertRefused(lambda: Referral.copy(
                            [Referral(referral.id)], default=default), label)
            # a plain copy starts as a draft, without the provider's answer
            copy, = Referral.copy([Referral(referral.id)])
        copy = Referral(copy.id)
        self.assertEqual(copy.state, 'draft')
        self.assertIsNone(copy.decline_reason)
        self.assertIsNone(copy.decline_note)
        self.assertNotEqual(copy.code, referral.code)

        with world.as_(world.caseworker):
            self.assertRefused(lambda: Referral.import_data(
                    ['id', 'state'], [[str(copy.id), 'sent']]), "State")
            self.assertRefused(lambda: Referral.import_data(
                    ['id', 'approved_by'],
                    [[str(copy.id), world.supervisor.rec_name]]),
                "Approved By")
        self.assertEqual(Referral(copy.id).state, 'draft')

    @with_transaction()
    def test_owned_fields_of_first_configuration(self):
        "The configuration's first write creates it, checked as a creation"
        Configuration = Pool().get('momd.configuration')
        Configuration.delete(Configuration.search([]))
        admin = self.administrator()
        with Transaction().set_user(admin.id), \
                Transaction().set_context(_check_access=True):
            self.assertRefused(lambda: Configuration.write(
                    [Configuration(1)],
                    {'create_date': dt.datetime(2020, 1, 1)}), "Created at")
            self.assertIsNone(Configuration.get_singleton())
            Configuration.write(
                [Configuration(1)], {'small_cell_threshold': 7})
        self.assertEqual(Configuration(1).small_cell_threshold, 7)
