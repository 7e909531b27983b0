"Every export is in the audit trail, with its records."
import json

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from .registry_tests import office, register
from .tools import acting_as, create_user


def export_lines():
    AccessLog = Pool().get('momd.access.log')
    return AccessLog.search([('action', '=', 'export')],
        order=[('id', 'ASC')])


class AuditExportTestMixin:

    @with_transaction()
    def test_export_logged(self):
        """The list export, the export of a search and the spreadsheet each
        write one line: who, the model, the columns, the filters, how many
        records and which; the subject access report lists the exports that
        held the person"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Spreadsheet = pool.get('momd.spreadsheet', type='report')
        PersonalData = pool.get(
            'momd.beneficiary.personal_data', type='report')
        supervisor = create_user(
            'msl.sup', groups=['group_supervisor', 'group_class_sensitive',
                'group_export'], offices=[office('MSL')])
        people = [register('MSL', first_name=n, phones=[('create', [{
                                'number': '0770123456%d' % i}])])
            for i, n in enumerate(['سعاد', 'نور', 'هدى'])]
        other = register('SNJ', first_name='سعاد')
        self.assertEqual(export_lines(), [])

        with acting_as(supervisor):
            rows = Beneficiary.export_data(
                Beneficiary.browse(people[::-1]),
                ['code', 'first_name', 'phones/number'])
        self.assertEqual(len(rows), 3)
        line, = export_lines()
        self.assertEqual(
            (line.user, line.model, line.record_count, line.records,
                line.exported_fields, line.filters, line.record),
            (supervisor, 'momd.beneficiary', 3,
                ','.join(str(p.id) for p in people[::-1]),
                'code,first_name,phones/number', None, None))

        with acting_as(supervisor):
            rows = Beneficiary.export_data_domain(
                [('first_name', '=', 'سعاد')], ['code'])
        # the other office's person is neither exported nor listed
        self.assertEqual(rows, [[people[0].code]])
        line = export_lines()[-1]
        self.assertEqual((line.record_count, line.records),
            (1, str(people[0].id)))
        self.assertEqual(json.loads(line.filters),
            [['first_name', '=', 'سعاد']])

        with acting_as(supervisor):
            Spreadsheet.execute([], {'model': 'momd.beneficiary',
                    'ids': None, 'columns': ['code', 'family_name'],
                    'format': 'csv', 'name': "People"})
        line = export_lines()[-1]
        self.assertEqual(
            (line.record_count, set(line.records.split(','))),
            (3, {str(p.id) for p in people}))
        self.assertEqual(json.loads(line.filters)['domain'], [])
        self.assertNotIn(str(other.id), line.records.split(','))
        exports = len(export_lines())

        # a refused export writes no line
        with acting_as(supervisor), self.assertRaises(AccessError):
            Beneficiary.export_data(Beneficiary.browse([other]), ['code'])
        self.assertEqual(len(export_lines()), exports)

        # the person's subject access report lists the exports of them
        trail = PersonalData._trail(people[1])[2]
        exported = [r for r in trail if r[2] == "Exported"]
        self.assertEqual(len(exported), 2)
        self.assertEqual({r[6] for r in exported}, {3})
        self.assertEqual(
            [r[2] for r in PersonalData._trail(other)[2][1:]], ["Created"])
        # the records each export held, indexed one row each
        Record = pool.get('momd.access.log.record')
        self.assertEqual(
            sorted((r.line.id, r.model, r.record) for r in Record.search([])),
            sorted((l.id, l.model, int(i)) for l in export_lines()
                for i in l.records.split(',')))

    @with_transaction()
    def test_export_permission(self):
        """Exporting is a permission of its own: a supervisor without the
        Data Export group is refused every export path, told why, and
        nothing is logged as exported; given the group, the same exports
        pass"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Spreadsheet = pool.get('momd.spreadsheet', type='report')
        MonthlyReport = pool.get('momd.monthly.report.file', type='report')
        Group = pool.get('res.group')
        ModelData = pool.get('ir.model.data')
        supervisor = create_user('msl.sup', groups=['group_supervisor'],
            offices=[office('MSL')])
        person = register('MSL', first_name='سعاد')
        exports = [
            lambda: Beneficiary.export_data(
                Beneficiary.browse([person]), ['code']),
            lambda: Beneficiary.export_data_domain([], ['code']),
            lambda: Spreadsheet.execute([], {'model': 'momd.beneficiary',
                    'ids': None, 'columns': ['code'], 'format': 'csv',
                    'name': "People"}),
            lambda: MonthlyReport.execute([], {
                    'month': '2026-01-01', 'office': None}),
            ]
        for number, export in enumerate(exports):
            with self.subTest(path=number), acting_as(supervisor), \
                    self.assertRaises(AccessError) as refused:
                export()
            self.assertIn('"Data Export"', refused.exception.message)
        self.assertEqual(export_lines(), [])

        export_group = Group(ModelData.get_id('momd_referral', 'group_export'))
        Group.write([export_group], {'users': [('add', [supervisor.id])]})
        for number, export in enumerate(exports):
            with self.subTest(path=number), acting_as(supervisor):
                self.assertTrue(export())
        # one line a path, the monthly report one a sheet
        self.assertEqual(len(export_lines()), 3 + len(MonthlyReport.SHEETS))

    @with_transaction()
    def test_read_classes_logged(self):
        """A read's line says the data classes of the fields shown; a record
        read again in the same request is logged again only when a class
        more is shown"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        AccessLog = pool.get('momd.access.log')
        supervisor = create_user('msl.sup', groups=['group_supervisor'],
            offices=[office('MSL')])
        person = register('MSL', first_name='سعاد', phones=[('create', [{
                            'number': '07701234567'}])])

        def reads():
            return [l.shown_classes for l in AccessLog.search([
                        ('action', '=', 'read'),
                        ('model', '=', 'momd.beneficiary'),
                        ('record', '=', person.id),
                        ], order=[('id', 'ASC')])]
        with acting_as(supervisor):
            Beneficiary.read([person.id], ['code', 'office'])
            self.assertEqual(reads(), ['internal'])
            Beneficiary.read([person.id], ['code', 'first_name', 'phones'])
            Beneficiary.read([person.id], ['family_name', 'phones'])
            self.assertEqual(reads(),
                ['internal', 'internal,personal,sensitive'])
            Beneficiary.read([person.id], ['notes', 'office.rec_name'])
            line = AccessLog.search([('action', '=', 'read'),
                    ('record', '=', person.id)], order=[('id', 'DESC')],
                limit=1)[0]
            self.assertEqual(line.shown_classes, 'internal,restricted')
            self.assertEqual(line.shown_labels, "Internal, Restricted")
