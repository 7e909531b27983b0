"The data classes of the fields: who may export what."
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from ..models import erasure
from ..models.export import list_fields
from ..models.sensitivity import FIELD_CLASSES, exportable, field_class
from .registry_tests import office, register
from .statistics_tests import spreadsheet
from .tools import acting_as, create_user


class SensitivityTestMixin:

    @with_transaction()
    def test_data_classes_declared(self):
        """The classes name fields that exist, and every field anonymisation
        erases is personal or above"""
        pool = Pool()
        for model, levels in FIELD_CLASSES.items():
            Model = pool.get(model)
            for names in levels.values():
                for name in names:
                    with self.subTest(model=model, field=name):
                        self.assertIn(name, Model._fields)
        for model, _, names in erasure.SCRUB:
            for name in names:
                with self.subTest(model=model, field=name):
                    self.assertIn(field_class(model, name),
                        {'personal', 'sensitive', 'restricted'})
        for model, _ in erasure.REMOVE:
            if model in FIELD_CLASSES:
                self.assertIn('number', FIELD_CLASSES[model]['sensitive'])

    @with_transaction()
    def test_export_classes(self):
        """A role without the sensitive class exports the list without
        phones or vulnerabilities, and a column of them is refused by
        name; the class's group lets it through; restricted notes need
        their own group; the subject access report holds everything"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Spreadsheet = pool.get('momd.spreadsheet', type='report')
        PersonalData = pool.get(
            'momd.beneficiary.personal_data', type='report')
        person = register('MSL', notes="Lost his papers at the checkpoint",
            vulnerabilities=['wg_mobility'],
            phones=[('create', [{'number': '07701234567'}])])
        caseworker = create_user(
            'cw', groups=['group_caseworker', 'group_export'],
            offices=[office('MSL')])
        supervisor = create_user('sup',
            groups=['group_supervisor', 'group_export',
                'group_class_sensitive'],
            offices=[office('MSL')])
        admin = create_user('adm', groups=['group_admin'])

        with acting_as(caseworker):
            columns = list_fields(Beneficiary)
            # a list's own columns leave out those of a class not given
            self.assertEqual(exportable(Beneficiary, ['code',
                        'phones/number', 'vulnerabilities.translated',
                        'first_name', 'notes']), ['code', 'first_name'])
            # the names are personal: exported
            rows = Beneficiary.export_data([person], ['code', 'first_name'])
            self.assertEqual(rows, [[person.code, person.first_name]])
            for column, label in [
                    ('phones/number', ('Phone', 'Sensitive')),
                    ('vulnerabilities', ('Vulnerabilities', 'Sensitive')),
                    ('identifiers/number', ('Identi', 'Sensitive')),
                    ('notes', ('Notes', 'Restricted')),
                    ('household/address', ('Household/Address',
                            'Sensitive'))]:
                with self.subTest(column=column), \
                        self.assertRaisesRegex(
                            AccessError, 'column "%s.*class "%s"' % label):
                    Spreadsheet.execute([], {'model': 'momd.beneficiary',
                            'ids': [person.id], 'columns': ['code', column],
                            'format': 'csv', 'name': "People"})
        self.assertNotIn('phones', ' '.join(columns))
        self.assertNotIn('vulnerabilities', columns)
        self.assertIn('full_name', columns)

        with acting_as(supervisor):
            rows = Beneficiary.export_data(
                [person], ['phones/number', 'vulnerabilities'])
            self.assertEqual(rows[0][0], '+9647701234567')
            with self.assertRaisesRegex(AccessError, 'class "Restricted"'):
                Beneficiary.export_data([person], ['notes'])
        with acting_as(admin):
            self.assertEqual(
                Beneficiary.export_data([person], ['notes']),
                [["Lost his papers at the checkpoint"]])

        # made for the person, the report holds the phones and the notes,
        # for a supervisor without the restricted class too
        with acting_as(supervisor):
            _, content, _, _ = PersonalData.execute([person.id], {})
        texts = str(spreadsheet(content))
        self.assertIn("Lost his papers at the checkpoint", texts)
        self.assertIn('7701234567', texts)
