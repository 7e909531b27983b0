"Tests of the provider network, mixed into the module test case."
import datetime as dt
import re

from trytond.model.exceptions import AccessError, DomainValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import ProviderValidationError
from .registry_tests import category
from .tools import create_user


def location(name_en):
    Location = Pool().get('momd.location')
    location, = Location.search([('name_en', '=', name_en)])
    return location


def create_provider(name, type_='local_cso', services=(), state='active',
        focal_points=()):
    """Create a provider with services given as dicts of values, where
    'category' is a code and 'locations' English names"""
    pool = Pool()
    Provider = pool.get('momd.provider')
    Party = pool.get('party.party')
    party, = Party.create([{'name': name}])
    provider, = Provider.create([{
                'name_ar': name, 'name_en': name, 'party': party.id,
                'type': type_,
                'agreement_date': dt.date(2026, 1, 15),
                'focal_points': [('add', [u.id for u in focal_points])],
                'services': [('create', [{
                                **values,
                                'category': category(
                                    values.get('category', 'hlp.rent')).id,
                                'locations': [('add', [
                                            location(l).id for l in
                                            values.get(
                                                'locations', ['Nineveh'])])],
                                } for values in services])],
                }])
    if state in {'verified', 'active'}:
        Provider.verify([provider])
    if state == 'active':
        Provider.activate([provider])
    return provider


class ProviderTestMixin:

    @with_transaction()
    def test_provider_onboarding(self):
        "Draft, verified with an agreement, active, suspended, active"
        Provider = Pool().get('momd.provider')
        provider = create_provider(
            "Sinjar Women's Association", state='draft',
            services=[{'locations': ['Sinjar']}])
        provider.agreement_date = None
        provider.save()
        with self.assertRaisesRegex(
                ProviderValidationError, '"Agreement Date"'):
            Provider.verify([provider])
        provider.agreement_date = dt.date(2026, 2, 1)
        provider.save()
        Provider.verify([provider])
        Provider.activate([provider])
        self.assertEqual(provider.state, 'active')
        with self.assertRaisesRegex(
                ProviderValidationError, '"Suspension Reason"'):
            Provider.suspend([provider])
        provider.suspension_reason = "Agreement under review"
        provider.save()
        Provider.suspend([provider])
        self.assertEqual(provider.state, 'suspended')
        Provider.activate([provider])
        self.assertEqual(
            (provider.state, provider.suspension_reason), ('active', None))

    @with_transaction()
    def test_provider_needs_service_and_valid_agreement(self):
        "No activation without a service, nor with an expired agreement"
        Provider = Pool().get('momd.provider')
        empty = create_provider("Empty", state='verified')
        with self.assertRaisesRegex(ProviderValidationError, '"Services"'):
            Provider.activate([empty])
        expired = create_provider(
            "Expired", state='draft', services=[{}])
        expired.agreement_expiry = dt.date(2026, 1, 31)
        expired.save()
        with self.assertRaisesRegex(
                ProviderValidationError, '"Agreement Expiry"'):
            Provider.verify([expired])

    @with_transaction()
    def test_service_bad_input(self):
        "Age range, capacity, commitments and coverage are checked"
        provider = create_provider("Checks", state='draft')
        Service = Pool().get('momd.provider.service')
        base = {
            'provider': provider.id, 'category': category('hlp.rent').id,
            'locations': [('add', [location('Mosul').id])],
            }
        for values, field in [
                ({'age_min': 18, 'age_max': 5}, '"Maximum Age"'),
                ({'age_min': -1}, '"Minimum Age"'),
                ({'capacity': -3}, '"Capacity per Month"'),
                ({'acknowledgement_hours': 0},
                    '"Acknowledgement Time (hours)"'),
                ({'active_from': dt.date(2026, 5, 1),
                        'active_to': dt.date(2026, 4, 1)}, '"Active To"'),
                ]:
            with self.subTest(values=values):
                with self.assertRaisesRegex(
                        DomainValidationError, re.escape(field)):
                    Service.create([{**base, **values}])
        with self.assertRaisesRegex(ProviderValidationError, '"Coverage"'):
            Service.create([{**base, 'locations': []}])

    @with_transaction()
    def test_matching(self):
        "Eligible services, the most specific coverage first"
        pool = Pool()
        Service = pool.get('momd.provider.service')
        Provider = pool.get('momd.provider')
        wide = create_provider("Nineveh Legal Aid", 'national_ngo', [{
                    'category': 'legal', 'locations': ['Nineveh'],
                    'acknowledgement_hours': 24}])
        sinjar = create_provider("Sinjar Legal Desk", 'local_cso', [{
                    'category': 'legal.aid', 'locations': ['Sinjar'],
                    'acknowledgement_hours': 72}])
        create_provider("Women Only", 'moi_women_legal', [{
                    'category': 'legal.aid', 'locations': ['Sinjar'],
                    'sex': 'female'}])
        create_provider("Children Only", 'local_cso', [{
                    'category': 'legal.aid', 'locations': ['Sinjar'],
                    'age_max': 17}])
        create_provider("Camps Only", 'international_ngo', [{
                    'category': 'legal.aid', 'locations': ['Sinjar'],
                    'displacement_statuses': ['idp_in_camp']}])
        create_provider("Mosul Only", 'local_cso', [{
                    'category': 'legal.aid', 'locations': ['Mosul']}])
        create_provider("Not Yet", 'local_cso', [{
                    'category': 'legal.aid', 'locations': ['Sinjar']}],
            state='verified')
        create_provider("Health", 'local_cso', [{
                    'category': 'health', 'locations': ['Sinjar']}])

        matches = Service.match(
            category('legal.aid'), location('Sinjar Centre'), sex='male',
            age=40, displacement_status='returned_idp')
        self.assertEqual(
            [s.provider.name_en for s in matches],
            ["Sinjar Legal Desk", "Nineveh Legal Aid"])

        women = Service.match(
            category('legal.aid'), location('Sinjar Centre'), sex='female',
            age=12, displacement_status='idp_in_camp')
        names = [s.provider.name_en for s in women]
        self.assertEqual(names[-1], "Nineveh Legal Aid")
        self.assertEqual(
            {s.provider.name_en for s in women},
            {"Women Only", "Children Only", "Camps Only",
                "Sinjar Legal Desk", "Nineveh Legal Aid"})

        sinjar.suspension_reason = "Audit"
        sinjar.save()
        Provider.suspend([sinjar])
        self.assertEqual(
            [s.provider for s in Service.match(
                    category('legal.aid'), location('Sinjar Centre'),
                    sex='male', age=40,
                    displacement_status='returned_idp')], [wide])

    @with_transaction()
    def test_focal_point_isolation(self):
        "A focal point keeps their own provider and sees no other"
        pool = Pool()
        Provider = pool.get('momd.provider')
        Service = pool.get('momd.provider.service')
        Beneficiary = pool.get('momd.beneficiary')
        alice = create_user('alice', groups=['group_provider'])
        bob = create_user('bob', groups=['group_provider'])
        a = create_provider("A", services=[{}], focal_points=[alice])
        b = create_provider("B", services=[{}], focal_points=[bob])
        with Transaction().set_user(alice.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Provider.search([]), [a])
            self.assertEqual(Service.search([]), list(a.services))
            self.assertEqual(Service.search_count([
                        ('provider', '=', b.id)]), 0)
            with self.assertRaises(AccessError):
                Service.read([b.services[0].id], ['capacity'])
            with self.assertRaises(AccessError):
                Service.write([Service(b.services[0].id)], {'capacity': 5})
            with self.assertRaises(AccessError):
                Provider.write([Provider(b.id)], {'accessibility': "x"})
            # their own profile and services they keep up to date
            Service.write([Service(a.services[0].id)], {'capacity': 30})
            Provider.write([Provider(a.id)], {'accessibility': "Ramp"})
            # but not what the ministry decides
            with self.assertRaises(AccessError):
                Provider.write([Provider(a.id)], {
                        'agreement_expiry': dt.date(2030, 1, 1)})
            with self.assertRaises(AccessError):
                Beneficiary.search([])
        self.assertEqual(a.services[0].capacity, 30)

    @with_transaction()
    def test_consent_provider_scope(self):
        "Consent names the providers, or their types, it covers"
        from .registry_tests import register
        pool = Pool()
        Consent = pool.get('momd.consent')
        cso = create_provider("CSO", 'local_cso', [{}])
        ngo = create_provider("NGO", 'international_ngo', [{}])
        police = create_provider("Police", 'moi_referral_centre', [{}])
        beneficiary = register()
        consent, = Consent.create([{
                    'beneficiary': beneficiary.id, 'purpose': "Referral",
                    'information_groups': ['identity', 'needs'],
                    'providers': [('add', [cso.id])],
                    'provider_types': ['international_ngo']}])
        Consent.activate([consent])
        rent = category('hlp.rent')
        for provider, covered in [(cso, True), (ngo, True), (police, False)]:
            with self.subTest(provider=provider.name_en):
                self.assertEqual(
                    bool(Consent.find_covering(
                            beneficiary, ['identity'], rent, provider)),
                    covered)
