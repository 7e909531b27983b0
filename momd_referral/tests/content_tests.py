"""Tests that a record is not saved empty, mixed into the module test
case."""
from contextlib import contextmanager

from trytond.exceptions import UserError
from trytond.model import ModelSingleton
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..access_matrix import ROLES, models
from ..exceptions import ContentValidationError
from .registry_tests import office, register
from .tools import create_user


@contextmanager
def _as(user):
    "Act as user, from a client (with the access checked)"
    transaction = Transaction()
    with transaction.set_user(user.id), transaction.set_context(
            _check_access=True):
        yield


class ContentTestMixin:

    @with_transaction()
    def test_household_not_empty(self):
        """A household of nobody, of which nothing is said, is refused, the
        fields it needs named; its address alone, or its members, make one"""
        Household = Pool().get('momd.household')
        caseworker = create_user(
            'content.caseworker', ['group_caseworker'], [office('SNJ')])
        with _as(caseworker):
            with self.assertRaisesRegex(ContentValidationError,
                    r'"Household".*"Members".*"Head of Household".*'
                    r'"Declared Size".*"Location".*"Address"'):
                Household.create([{}])
            with self.assertRaises(ContentValidationError):
                Household.create([{'office': office('SNJ').id,
                            'address': '', 'members': []}])
            # created from a person's form before anyone is its member
            household, = Household.create([{'address': 'Sinune, street 4'}])
            with self.assertRaises(ContentValidationError):
                Household.write([household], {'address': None})
        member = register('SNJ')
        with _as(caseworker):
            household, = Household.create([{
                        'office': office('SNJ').id,
                        'members': [('add', [member.id])]}])
            self.assertEqual(household.members, (member,))

    @with_transaction()
    def test_outreach_event_not_empty(self):
        """An outreach event that says nothing but its office, kind and
        date (all filled by default) is refused; where it is, its team,
        the people reached or notes make one"""
        Event = Pool().get('momd.outreach.event')
        supervisor = create_user(
            'content.supervisor', ['group_supervisor'], [office('HMD')])
        with _as(supervisor):
            with self.assertRaisesRegex(ContentValidationError,
                    r'"Outreach Event".*"Location".*"Place".*"Team".*'
                    r'"Notes"'):
                Event.create([{}])
            with self.assertRaises(ContentValidationError):
                Event.create([{'kind': 'field_visit', 'female_0_5': 0}])
            for values in [
                    {'place': "Qaraqosh youth centre"},
                    {'team': [('add', [supervisor.id])]},
                    {'female_18_59': 4},
                    {'notes': "Families from Bartella asked for it"},
                    ]:
                with self.subTest(values=values):
                    event, = Event.create([values])
                    self.assertEqual(event.office, office('HMD'))

    @with_transaction()
    def test_no_model_saved_from_nothing(self):
        """No stored model of the module makes a record from no values, for
        any role that may create it: each refuses with a message (settings,
        which are one record, and computed statistics aside)"""
        pool = Pool()
        users = []
        for i, (role, groups) in enumerate(ROLES):
            users.append((role, create_user('content.%s' % i, groups,
                        [office('SNJ')])))
        for name in models():
            Model = pool.get(name)
            if (issubclass(Model, ModelSingleton)
                    or callable(getattr(Model, 'table_query', None))):
                continue
            for role, user in users:
                # a refused insert leaves PostgreSQL's transaction unusable
                cursor = Transaction().connection.cursor()
                cursor.execute('SAVEPOINT empty_record')
                try:
                    with self.subTest(model=name, role=role), _as(user):
                        with self.assertRaises(UserError):
                            Model.create([{}])
                finally:
                    cursor.execute('ROLLBACK TO SAVEPOINT empty_record')
