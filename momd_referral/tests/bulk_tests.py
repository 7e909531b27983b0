"""Many records written together (models/bulk.py): tests mixed into the
module test case."""
import re

from sql import Column, Table
from sql.aggregate import Max

from trytond.model import fields
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..kobo_form import Submissions
from ..models.kobo_import import _RowRefused, savepoint
from ..models.kobo_mapping import Reader
from . import kobo_import_tests as kobo
from .registry_tests import category, office, register

# what an import registers, and what registering it writes beside
REGISTRY = ['momd.household', 'momd.beneficiary', 'momd.beneficiary.phone',
    'momd.beneficiary.identifier', 'momd.case', 'momd.need']
BESIDE = ['momd.activity', 'momd.access.log']
# the methods of these models' creation that bulk.insert does, or that
# create_beneficiaries does beside it (numbers, activities of a new case):
# a model that gains another must be written by bulk.insert too
KNOWN_HOOKS = {
    'create': {
        'momd_referral.models.owned_fields.OwnedFieldsMixin',
        'momd_referral.models.beneficiary.Beneficiary',
        'momd_referral.models.case.Case',
        'momd_referral.models.audit.AuditMixin',
        },
    '_before_create': {
        'momd_referral.models.merged_record.MergedLinkMixin'},
    '_after_create': set(),
    '_validate': set(),
    '_insert_history': set(),
    }
# the values each path gives a record in its own way: ids and times; the
# number's digits (a PostgreSQL sequence is not rolled back); the writer
# (create writes the computed fields after the insert)
SKIPPED = {'id', 'create_date', 'write_date', 'write_uid', '__id', 'date',
    'due', 'session', 'ip_address'}


def converted(count):
    "The registry values of count generated submissions, as an import reads"
    Mapping = Pool().get('momd.kobo.mapping')
    submissions = Submissions(kobo.kobo_xlsx(kobo.submissions(count)))
    rows = list(submissions)
    reader = Reader(Mapping.for_version(rows[0].get('_version')),
        submissions.header)
    values = []
    for row in rows:
        read, errors = reader.read(row)
        assert not errors, errors
        values.append(read)
    return values


class Snapshot:
    """What was written after it was started, in every table of the
    registry and beside it, with the new records' ids as their place among
    the new ones"""

    def __init__(self):
        pool = Pool()
        self.models = [pool.get(n) for n in REGISTRY + BESIDE]
        self.start = {M.__name__: self._last(M._table) for M in self.models}

    @staticmethod
    def _last(name):
        table = Table(name)
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(Max(table.id)))
        return cursor.fetchone()[0] or 0

    @staticmethod
    def _rows(name, start, order='id'):
        "The rows of the table name after the id start"
        table = Table(name)
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(where=table.id > start,
                order_by=[Column(table, order).asc]))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r)) for r in cursor]

    def taken(self):
        "{table: [row]} of what was written since the start"
        new = {M.__name__: [r['id'] for r in self._rows(
                    M._table, self.start[M.__name__])] for M in self.models}
        place = {(m, i): n for m, ids in new.items()
            for n, i in enumerate(ids)}
        taken = {}
        for Model in self.models:
            name, start = Model.__name__, self.start[Model.__name__]
            # in any order: create makes the lines of several records
            # (the needs of cases) value by value
            taken[name] = sorted((self._plain(Model, r, place)
                    for r in self._rows(Model._table, start)), key=repr)
            if Model._history:
                # the record as it last was (create writes the computed
                # fields in a second history row)
                last = {r['id']: self._plain(Model, r, place)
                    for r in self._rows(
                        Model._table + '__history', start, '__id')}
                taken[name + ' (history)'] = sorted(last.values(), key=repr)
        return taken

    def _plain(self, Model, row, place):
        plain = {}
        for column, value in row.items():
            if column in SKIPPED:
                continue
            field = Model._fields.get(column)
            if column == 'record' and Model.__name__ == 'momd.access.log':
                value = place.get((row['model'], value), value)
            elif column == 'resource' and value:
                model, id_ = value.split(',')
                value = (model, place.get((model, int(id_)), id_))
            elif isinstance(field, fields.Many2One):
                value = place.get((field.model_name, value), value)
            elif column == 'code' and value:
                value = re.sub(r'\d+$', '#', value)
            plain[column] = value
        if Model.__name__ == 'momd.beneficiary':
            plain['id'] = place[(Model.__name__, row['id'])]
        return plain


def _register(values, orm):
    "Register the people of values in Sinjar, written or undone"
    Row = Pool().get('momd.kobo.import.row')
    return Row.create_beneficiaries(office('SNJ'), values, orm=orm)


class BulkTestMixin:

    @with_transaction()
    def test_bulk_insert_as_create(self):
        """The import writes its people, households, phones, documents,
        cases and needs together (bulk.insert): table by table, history,
        audit trail and the activities of a new case, exactly what each
        model's create writes for the same rows"""
        pool = Pool()
        Plan = pool.get('momd.activity.plan')
        Plan.create([{
                    'name': "Call back", 'trigger': 'case_opened',
                    'lines': [('create', [{'name': "Call the person"}])],
                    }, {
                    'name': "Housing visit", 'trigger': 'case_opened',
                    'category': category('hlp').id,
                    'lines': [('create', [{
                                    'name': "Visit the house",
                                    'role': 'supervisor',
                                    'delay_days': 3}])],
                    }])
        values = converted(30)
        self.assertTrue(any(v['needs'] for v in values))
        self.assertTrue(any(v['identifiers'] for v in values))
        taken = {}
        for orm in [True, False]:
            snapshot = Snapshot()
            with savepoint(keep=False):
                _register(values, orm)
                taken[orm] = snapshot.taken()
        for name, rows in taken[True].items():
            with self.subTest(table=name):
                self.assertTrue(rows)
                self.assertEqual(taken[False][name], rows)
        self.assertEqual(len(taken[False]['momd.beneficiary']), 30)
        self.assertTrue(any(a['role'] == 'supervisor'
                for a in taken[False]['momd.activity']))

    @with_transaction()
    def test_bulk_insert_refusals(self):
        """A value the registry refuses is refused by the import's writing
        together with the message of create, naming the field, and the
        group writes nothing"""
        beneficiary = register(identifiers=[('create', [{
                            'type': 'national_id',
                            'number': '199000000777'}])])
        good = converted(4)
        faults = [
            ('first_name', None, '"First Name"'),
            ('birth_date', 'future', '"Date of Birth"'),
            ('household_size', 0, '"Declared Size"'),
            ('phone', ['12345'], '12345'),
            ('identifiers', [('national_id', 'AB-12')], 'AB-12'),
            ]
        for target, value, text in faults:
            with self.subTest(target=target):
                values = [dict(v) for v in good]
                if value == 'future':
                    value = good[0]['birth_date'].replace(
                        year=good[0]['birth_date'].year + 200)
                values[2][target] = value
                messages = []
                for orm in [True, False]:
                    counts = kobo.registry_counts()
                    with self.assertRaises(_RowRefused) as refused:
                        with savepoint():
                            _register(values, orm)
                    self.assertEqual(kobo.registry_counts(), counts)
                    messages.append(str(refused.exception))
                    if not orm:
                        # the import registers the others again without it
                        self.assertEqual(refused.exception.row, 2)
                self.assertIn(text, messages[0])
                # the record's id and number (PostgreSQL's sequences are
                # not rolled back)
                self.assertEqual(*(re.sub(r'\d+', '#', m) for m in messages))
        # another's document: refused by the database, with the message of
        # the constraint, as create gives it
        values = [dict(v) for v in good]
        values[1]['identifiers'] = [('national_id', '199000000777')]
        counts = kobo.registry_counts()
        with self.assertRaisesRegex(_RowRefused, 'already registered'):
            with savepoint():
                _register(values, False)
        self.assertEqual(kobo.registry_counts(), counts)
        self.assertTrue(beneficiary.identifiers)

    @with_transaction()
    def test_bulk_insert_knows_the_hooks(self):
        """The methods of creation of the models an import registers are
        those bulk.insert was written for"""
        pool = Pool()
        for name in REGISTRY:
            Model = pool.get(name)
            for hook, known in KNOWN_HOOKS.items():
                owners = {'%s.%s' % (c.__module__, c.__qualname__)
                    for c in Model.__mro__ if hook in c.__dict__
                    and c.__module__.startswith('momd_referral')}
                with self.subTest(model=name, hook=hook):
                    self.assertLessEqual(owners, known)
