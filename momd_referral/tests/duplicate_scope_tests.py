"""What the review of possible duplicates shows of another office's
record: tests mixed into the module test case."""
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from .registry_tests import office, register
from .tools import create_user


class DuplicateScopeTestMixin:

    @with_transaction()
    def test_duplicate_export_other_office(self):
        """The Tal Afar supervisor exports the pairs to review: of the
        Mosul record of a pair, its number, office, sex and age band, never
        its name; its fields are refused, and so is the row of a Sinjar
        import held with a Tal Afar person"""
        pool = Pool()
        Duplicate = pool.get('momd.beneficiary.duplicate')
        Office = pool.get('momd.office')
        Batch = pool.get('momd.kobo.import')
        Row = pool.get('momd.kobo.import.row')
        mosul = register('MSL', first_name='زهراء', sex='female')
        talafar = register('TLF', first_name='زهراء', sex='female')
        line, = Duplicate.create([{
                    'beneficiary': talafar.id, 'office': office('TLF').id,
                    'match': mosul.id, 'match_office': office('MSL').id,
                    'score': 91, 'source': 'registration'}])
        batch, = Batch.create([{
                    'office': office('SNJ').id, 'file': b'_uuid\nx-1\n',
                    'file_name': 'sinjar-camp-visit.csv'}])
        row, = Row.create([{
                    'batch': batch.id, 'number': 1, 'status': 'held',
                    'uuid': 'x-1'}])
        held, = Duplicate.create([{
                    'import_row': row.id, 'office': office('SNJ').id,
                    'match': talafar.id, 'match_office': office('TLF').id,
                    'score': 88, 'source': 'import'}])
        supervisor = create_user(
            'tlf-sup', groups=['group_supervisor', 'group_export'],
            offices=[office('TLF')])
        Office.write([office('TLF')], {
                'supervisors': [('add', [supervisor.id])]})
        transaction = Transaction()
        with transaction.set_user(supervisor.id):
            # browsed as the server does for a client, then checked
            lines = Duplicate.browse([line.id])
            with transaction.set_context(_check_access=True):
                (beneficiary, match, score), = Duplicate.export_data(
                    lines, ['beneficiary', 'match', 'score'])
                for path in ['match/full_name', 'match/phones/number']:
                    with self.subTest(path=path), \
                            self.assertRaises(AccessError):
                        Duplicate.export_data(lines, [path])
                own, = Duplicate.export_data(lines, ['beneficiary/code'])
                offices, = Duplicate.export_data(lines, [
                        'office', 'match_office', 'decided_by', 'state'])
                lines = Duplicate.browse([held.id])
                with self.assertRaises(AccessError):
                    Duplicate.export_data(lines, ['import_row'])
                (held_match, number), = Duplicate.export_data(
                    lines, ['match', 'score'])
        self.assertIn(mosul.code, match)
        self.assertIn('Mosul', match)
        self.assertNotIn(mosul.full_name, match)
        self.assertIn(talafar.code, beneficiary)
        self.assertEqual(score, 91)
        self.assertEqual(own, [talafar.code])
        self.assertEqual(offices[:2], [
                office('TLF').rec_name, office('MSL').rec_name])
        self.assertIn(talafar.code, held_match)
        self.assertEqual(number, 88)

    @with_transaction()
    def test_search_through_unreadable_records(self):
        """A supervisor's search finds the pairs, cases and people only
        through the records they may read: the name of the other office's
        person of a pair, or of a case's person since moved to another
        office, finds nothing; their own person's name finds the pair"""
        pool = Pool()
        Duplicate = pool.get('momd.beneficiary.duplicate')
        Beneficiary = pool.get('momd.beneficiary')
        Case = pool.get('momd.case')
        Office = pool.get('momd.office')
        mosul = register('MSL', first_name='زهراء', sex='female')
        talafar = register('TLF', first_name='رحاب', sex='female')
        line, = Duplicate.create([{
                    'beneficiary': talafar.id, 'office': office('TLF').id,
                    'match': mosul.id, 'match_office': office('MSL').id,
                    'score': 91, 'source': 'registration'}])
        moved = register('TLF', first_name='سلوى', sex='female')
        case, = Case.create([{
                    'beneficiary': moved.id, 'office': office('TLF').id}])
        # the person moved to Mosul (the case stays in Tal Afar)
        Beneficiary.write([moved], {'office': office('MSL').id})
        supervisor = create_user(
            'tlf-sup', groups=['group_supervisor', 'group_export'],
            offices=[office('TLF')])
        Office.write([office('TLF')], {
                'supervisors': [('add', [supervisor.id])]})
        with Transaction().set_user(supervisor.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Duplicate.search([]), [line])
            for domain in [
                    [('match.first_name', '=', 'زهراء')],
                    ['OR', ('match.first_name', 'ilike', 'زهر%'),
                        ('id', '=', -1)],
                    [('match', 'ilike', '%زهراء%')],
                    [('match', 'where', [('first_name', '=', 'زهراء')])],
                    [('match.phones.number', '!=', None)],
                    ]:
                with self.subTest(domain=domain):
                    self.assertEqual(Duplicate.search(domain), [])
                    self.assertEqual(Duplicate.search_count(domain), 0)
            self.assertEqual(Duplicate.search([
                        ('beneficiary.first_name', '=', 'رحاب')]), [line])
            self.assertEqual(Case.search([]), [case])
            self.assertEqual(Case.search([
                        ('beneficiary.first_name', '=', 'سلوى')]), [])
