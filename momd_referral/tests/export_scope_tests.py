"""An export names only what the user may read: tests mixed into the
module test case, each told as what the people involved do."""
from unittest import mock

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..models.export import export, list_fields
from .merge_tests import MergeWorld, run_merge
from .referral_tests import ReferralWorld
from .registry_tests import office, open_case, register
from .tools import create_user


def exported(user, model, ids, names):
    """The rows the user exports of the records ids, checked as a client's
    (the user given the sensitive data class: the classes are tested in
    sensitivity_tests)"""
    pool = Pool()
    Model = pool.get(model)
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    User.write([user], {'groups': [('add', [ModelData.get_id(
                        'momd_referral', 'group_class_sensitive')])]})
    transaction = Transaction()
    with transaction.set_user(user.id), \
            transaction.set_context(_check_access=True):
        return Model.export_data(Model.browse(ids), names)


class ExportScopeTestMixin:

    def assertExportRefused(self, user, model, ids, names, column=None):
        """The export is refused (naming the column where the path ends on
        records the user may not read); nothing is given"""
        with self.assertRaises(AccessError) as refusal:
            exported(user, model, ids, names)
        if column:
            self.assertIn('"%s"' % column, str(refusal.exception))

    @with_transaction()
    def test_export_case_after_merge(self):
        """The manager merges the returnee's Mosul record into his Sinjar
        one: a Mosul caseworker still exports the Mosul case, but not the
        Sinjar person it is now about (name, number, phones), by any
        column; the Sinjar caseworker does not export the Mosul case
        through the person's cases"""
        world = MergeWorld()
        mosul_caseworker = create_user(
            'msl-cw', groups=['group_caseworker', 'group_export'],
            offices=[office('MSL')])
        run_merge(world.manager, [world.mosul, world.beneficiary])
        case = world.mosul_case.id
        for names, column in [
                (['code', 'beneficiary'], 'Beneficiary'),
                # through the person: refused as Tryton reads him
                (['beneficiary/full_name'], None),
                (['state', 'beneficiary/phones/number'], None)]:
            with self.subTest(names=names):
                self.assertExportRefused(
                    mosul_caseworker, 'momd.case', [case], names, column)
        # what is of the Mosul office stays exportable
        (code, office_name), = exported(
            mosul_caseworker, 'momd.case', [case], ['code', 'office'])
        self.assertEqual(code, world.mosul_case.code)
        self.assertIn('Mosul', office_name)
        # the Sinjar person is readable to Sinjar, not his Mosul case
        self.assertExportRefused(world.caseworker, 'momd.beneficiary',
            [world.beneficiary.id], ['code', 'cases'], 'Cases')
        self.assertExportRefused(world.caseworker, 'momd.beneficiary',
            [world.beneficiary.id], ['cases/code'])
        (number,), = exported(world.caseworker, 'momd.beneficiary',
            [world.beneficiary.id], ['code'])
        self.assertEqual(number, world.beneficiary.code)
        # the manager reads both offices: the whole path is exported
        rows = exported(world.manager, 'momd.case', [case],
            ['beneficiary', 'beneficiary/phones/number'])
        self.assertIn(world.beneficiary.code, rows[0][0])

    @with_transaction()
    def test_export_transferred_beneficiary(self):
        """A person registered in Sinjar moves to Tal Afar's office; his
        Sinjar case stays in Sinjar: the Sinjar caseworker exports the case
        but not the person now of Tal Afar, by any path"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        caseworker = create_user(
            'cw', groups=['group_caseworker', 'group_export'],
            offices=[office('SNJ')])
        person = register('SNJ', phones=[
                ('create', [{'number': '07701234567'}])])
        case = open_case(person, ['legal.aid'])
        Beneficiary.write([person], {'office': office('TLF').id})
        for names, column in [
                (['beneficiary'], 'Beneficiary'),
                (['needs/case/beneficiary'], 'Needs/Case/Beneficiary'),
                (['beneficiary/phones/number'], None),
                (['needs/case/beneficiary/code'], None)]:
            with self.subTest(names=names):
                self.assertExportRefused(
                    caseworker, 'momd.case', [case.id], names, column)
        (code, state), = exported(
            caseworker, 'momd.case', [case.id], ['code', 'state'])
        self.assertEqual(code, case.code)
        # the module's own exports (the personal data file) run as the
        # system: the whole path is given
        (name,), = Pool().get('momd.case').export_data(
            [case], ['beneficiary'])
        self.assertIn(person.code, name)

    @with_transaction()
    def test_export_own_office(self):
        """The Sinjar caseworker exports the cases of the office, their
        people, phones and needs; the list's spreadsheet too; the
        provider's focal point exports the referrals sent to it"""
        pool = Pool()
        Case = pool.get('momd.case')
        Referral = pool.get('momd.referral')
        world = ReferralWorld()
        second = register('SNJ', first_name='سعيد',
            phones=[('create', [{'number': '07509998877'}])])
        cases = [world.case, open_case(second, ['legal.aid'])]
        ids = [c.id for c in cases]
        rows = exported(world.caseworker, 'momd.case', ids, [
                'code', 'beneficiary', 'beneficiary/phones/number',
                'needs/category', 'office'])
        text = repr(rows)
        for expected in [world.beneficiary.code, second.code,
                '+9647501112233', '+9647509998877']:
            self.assertIn(expected, text)
        rows = exported(world.caseworker, 'momd.beneficiary',
            [world.beneficiary.id, second.id], ['code', 'cases/code'])
        self.assertEqual(
            {r[1] for r in rows}, {c.code for c in cases})
        transaction = Transaction()
        with transaction.set_user(world.caseworker.id), \
                transaction.set_context(_check_access=True):
            sheet = export(Case, Case.browse(ids), list_fields(Case))
        self.assertEqual(len(sheet), 3)
        # the focal point: the referrals of its provider, its services
        referral = world.referral()
        Referral.send([referral])
        (code, service), = exported(world.alice, 'momd.referral',
            [referral.id], ['code', 'provider_service'])
        self.assertEqual(code, referral.code)
        self.assertTrue(service)

    @with_transaction()
    def test_export_import_row_other_office(self):
        """A row of a Sinjar import registered its person, since moved to
        Tal Afar's office: the Sinjar caseworker exports the rows of the
        import, not the person the row names"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Batch = pool.get('momd.kobo.import')
        Row = pool.get('momd.kobo.import.row')
        caseworker = create_user(
            'cw', groups=['group_caseworker', 'group_export'],
            offices=[office('SNJ')])
        person = register('SNJ')
        batch, = Batch.create([{
                    'office': office('SNJ').id, 'file': b'_uuid\nx-1\n',
                    'file_name': 'sinjar-camp-visit.csv'}])
        row, = Row.create([{
                    'batch': batch.id, 'number': 1, 'status': 'created',
                    'uuid': 'x-1', 'beneficiary': person.id}])
        (before,), = exported(
            caseworker, 'momd.kobo.import.row', [row.id], ['beneficiary'])
        self.assertIn(person.code, before)
        Beneficiary.write([person], {'office': office('TLF').id})
        self.assertExportRefused(caseworker, 'momd.kobo.import.row',
            [row.id], ['number', 'beneficiary'], 'Beneficiary')
        (number,), = exported(
            caseworker, 'momd.kobo.import.row', [row.id], ['number'])
        self.assertEqual(number, 1)

    @with_transaction()
    def test_export_scope_cost(self):
        """An export of many cases checks their people together: one read
        of them for the column, however many cases"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        caseworker = create_user(
            'cw', groups=['group_caseworker', 'group_export'],
            offices=[office('SNJ')])
        cases = [open_case(register('SNJ'), ['legal.aid'])
            for _ in range(12)]
        checks = []
        read = Beneficiary.read

        def counted(cls, ids, fields_names):
            if fields_names == ['id']:
                checks.append(len(ids))
            return read(ids, fields_names)
        with mock.patch.object(
                Beneficiary, 'read', classmethod(counted)):
            rows = exported(caseworker, 'momd.case', [c.id for c in cases],
                ['code', 'beneficiary'])
        self.assertEqual(len(rows), 12)
        self.assertEqual(checks, [12])
