"Tests of the statistics: the numbers are the database's own GROUP BY."
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from .referral_tests import ReferralWorld, give_consent
from .registry_tests import office, open_case, register
from .tools import create_user

GROUP_BY = '''
SELECT to_char(COALESCE(r.sent_date, r.create_date), 'YYYY-MM'),
    c.office, r.district, n.category, p.type, r.state, r.priority, COUNT(*)
FROM momd_referral AS r
JOIN momd_case AS c ON c.id = r."case"
JOIN momd_need AS n ON n.id = r.need
JOIN momd_provider AS p ON p.id = r.provider
GROUP BY 1, 2, 3, 4, 5, 6, 7
'''


class StatisticsTestMixin:

    @with_transaction()
    def test_referral_statistics(self):
        "Counts equal a hand-written GROUP BY; a supervisor sees their office"
        pool = Pool()
        Referral = pool.get('momd.referral')
        Statistic = pool.get('momd.referral.statistic')
        world = ReferralWorld()
        sent = world.referral()
        world.referral(provider=world.provider_b, priority='urgent')  # draft
        Referral.send([sent])
        # and a Mosul referral, to the same provider
        mosul = register('MSL', first_name='محمود')
        give_consent(mosul)
        case = open_case(mosul, ['legal.aid'])
        Referral.create([{
                    'case': case.id, 'need': case.needs[0].id,
                    'provider_service': world.provider_a.services[0].id,
                    'reason': "Lawyer", 'caseworker': world.caseworker.id}])

        fields = ['month', 'office', 'district', 'category', 'provider_type',
            'state', 'priority', 'referrals']
        ours = {tuple(row[f] for f in fields)
            for row in Statistic.search_read([], fields_names=list(fields))}
        cursor = Transaction().connection.cursor()
        cursor.execute(GROUP_BY)
        self.assertEqual(ours, set(cursor))
        self.assertEqual(sum(r[-1] for r in ours), 3)

        supervisor = create_user(
            'snj.sup', groups=['group_supervisor'], offices=[office('SNJ')])
        with Transaction().set_user(supervisor.id), \
                Transaction().set_context(_check_access=True):
            seen = Statistic.search_read([], fields_names=list(fields))
        self.assertEqual(
            {r['office'] for r in seen}, {office('SNJ').id})
        self.assertEqual(sum(r['referrals'] for r in seen), 2)
