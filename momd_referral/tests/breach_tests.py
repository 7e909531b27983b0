"Breach scoping: what a user, a provider or an address was shown."
import datetime as dt

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import BreachScopeError
from .registry_tests import office, register
from .statistics_tests import spreadsheet
from .tools import create_user


def scoped(values):
    "Run the breach scoping wizard as its administrator would"
    Breach = Pool().get('momd.access.log.breach', type='wizard')
    session_id, _, _ = Breach.create()
    result = Breach.execute(session_id, {'start': values}, 'search')
    return result['view']['defaults']


class BreachTestMixin:

    @with_transaction()
    def test_breach_scoping(self):
        """The lines of what a user was shown in the period, from any
        address, and the people concerned with how and which columns; not
        another user's; an address's lines whoever the user; nothing
        outside the period"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        admin = create_user('adm', groups=['group_admin'])
        cw = create_user('cw', groups=['group_caseworker', 'group_export'],
            offices=[office('MSL')])
        other = create_user('other', groups=['group_caseworker'],
            offices=[office('MSL')])
        people = [register('MSL', first_name=n)
            for n in ['سعاد', 'نور', 'هدى']]
        before = dt.datetime.now() - dt.timedelta(seconds=1)
        with Transaction().set_user(cw.id), Transaction().set_context(
                _check_access=True,
                _request={'remote_addr': '10.0.0.7'}):
            Beneficiary.read([people[0].id], ['first_name'])
            Beneficiary.export_data(
                Beneficiary.browse(people[:2]), ['code', 'first_name'])
        with Transaction().set_user(other.id), Transaction().set_context(
                _check_access=True,
                _request={'remote_addr': '10.0.0.9'}):
            Beneficiary.read([people[2].id], ['first_name'])
        after = dt.datetime.now() + dt.timedelta(seconds=1)

        with Transaction().set_user(admin.id), \
                Transaction().set_context(_check_access=True):
            found = scoped({'user': cw.id, 'start': before, 'end': after})
            by_address = scoped({'ip_address': '10.0.0.9', 'start': before,
                    'end': after})
            earlier = scoped({'user': cw.id,
                    'start': before - dt.timedelta(days=2),
                    'end': before - dt.timedelta(days=1)})
            for values in [{'start': before, 'end': after},
                    {'user': cw.id, 'start': after, 'end': before}]:
                with self.subTest(values=values), \
                        self.assertRaises(BreachScopeError):
                    scoped(values)
        self.assertEqual((found['lines'], found['people']), (2, 2))
        self.assertEqual((by_address['lines'], by_address['people']),
            (1, 1))
        self.assertEqual((earlier['lines'], earlier['people']), (0, 0))
        sheets = list(spreadsheet(found['file']).values())
        trail, persons = sheets
        self.assertEqual([r[2] for r in trail[1:]], ["Opened", "Exported"])
        self.assertEqual({r[7] for r in trail[1:]}, {'10.0.0.7'})
        self.assertEqual(sorted((r[0], r[2], r[3]) for r in persons[1:]),
            sorted([
                    (people[0].code, 'Exported: Beneficiary',
                        'code, first_name'),
                    # a read says the classes of the fields shown
                    (people[0].code, 'Opened: Beneficiary', 'Personal'),
                    (people[1].code, 'Exported: Beneficiary',
                        'code, first_name'),
                    ]))
        _, by_address_people = spreadsheet(by_address['file']).values()
        self.assertEqual([r[0] for r in by_address_people[1:]],
            [people[2].code])

    @with_transaction()
    def test_breach_scoping_provider(self):
        """A provider's focal points' lines, and the cases and referrals
        they opened lead to their people"""
        from .referral_tests import ReferralWorld
        pool = Pool()
        Referral = pool.get('momd.referral')
        world = ReferralWorld()
        referral = world.referral()
        Referral.send([referral])
        start = dt.datetime.now() - dt.timedelta(seconds=1)
        with Transaction().set_user(world.alice.id), \
                Transaction().set_context(_check_access=True):
            Referral.read([referral.id], ['code', 'reason'])
        end = dt.datetime.now() + dt.timedelta(seconds=1)
        found = scoped({'provider': world.provider_a.id, 'start': start,
                'end': end})
        self.assertEqual((found['lines'], found['people']), (1, 1))
        _, persons = spreadsheet(found['file']).values()
        self.assertEqual(persons[1][:3],
            [world.beneficiary.code, world.beneficiary.office.rec_name,
                'Opened: Referral'])
