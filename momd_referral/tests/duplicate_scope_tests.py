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
        its name; its fields are refused"""
        pool = Pool()
        Duplicate = pool.get('momd.beneficiary.duplicate')
        Office = pool.get('momd.office')
        mosul = register('MSL', first_name='زهراء', sex='female')
        talafar = register('TLF', first_name='زهراء', sex='female')
        line, = Duplicate.create([{
                    'beneficiary': talafar.id, 'office': office('TLF').id,
                    'match': mosul.id, 'match_office': office('MSL').id,
                    'score': 91, 'source': 'registration'}])
        supervisor = create_user(
            'tlf-sup', groups=['group_supervisor'], offices=[office('TLF')])
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
        self.assertIn(mosul.code, match)
        self.assertIn('Mosul', match)
        self.assertNotIn(mosul.full_name, match)
        self.assertIn(talafar.code, beneficiary)
        self.assertEqual(score, 91)
        self.assertEqual(own, [talafar.code])
