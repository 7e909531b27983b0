"""The referral form PDF, per form, against WeasyPrint alone.

Forty sent referrals of Sinjar beneficiaries with Arabic names are printed
one by one, as the Print button does (the report reads the referral, checks
it is shared, logs the print, fills the template and converts it to PDF);
the baseline converts the same forty HTML documents to PDF with WeasyPrint
directly, in the same process. The time per form is printed beside the
ratio. SQLite in memory, or PostgreSQL when BENCH_DATABASE_URI is set.
"""
import json
import os
import statistics
import time

from child import run_child

FORMS = int(os.environ.get('BENCH_FORMS', 40))
ROUNDS = 3


def run():
    result = run_child(__file__, 'bench_referral_form')
    print('referral form: %.0f ms per form (WeasyPrint alone: %.0f ms)'
        % (1000 * result['ours'] / FORMS, 1000 * result['raw'] / FORMS))
    return [('referral form PDF, %d forms, vs WeasyPrint alone' % FORMS,
            FORMS / result['ours'], FORMS / result['raw'])]


def inner():
    import weasyprint
    from trytond.tests.test_tryton import DB_NAME, activate_module
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    activate_module(['momd_referral'])
    with Transaction().start(DB_NAME, 0) as transaction:
        from momd_referral.tests.referral_tests import (
            ReferralWorld, give_consent)
        from momd_referral.tests.provider_tests import location
        from momd_referral.tests.registry_tests import open_case, register
        pool = Pool()
        Referral = pool.get('momd.referral')
        ActionReport = pool.get('ir.action.report')
        Form = pool.get('momd.referral.form', type='report')
        world = ReferralWorld()
        referrals = []
        for i in range(FORMS):
            # living in Sinjar, where the provider's service reaches
            person = register(first_name='خديجة', family_name='الشمري %d' % i,
                sex='female', phones=[('create', [
                                {'number': '0750%07d' % i}])],
                current_location=location('Sinjar Centre').id)
            give_consent(person)
            case = open_case(person, ['legal.aid'])
            referrals.append(Referral(world.referral(
                        case=case.id, need=case.needs[0].id).id))
        Referral.send(referrals)
        action, = ActionReport.search(
            [('report_name', '=', 'momd.referral.form')])
        transaction.commit()

        def ours():
            with Transaction().set_user(world.caseworker.id), \
                    Transaction().set_context(_check_access=True):
                for referral in referrals:
                    ext, content, _, _ = Form.execute([referral.id], {})
                    assert ext == 'pdf' and content.startswith(b'%PDF')

        # the same documents as HTML, for the baseline
        action.extension = 'html'
        action.save()
        with Transaction().set_user(world.caseworker.id), \
                Transaction().set_context(_check_access=True):
            documents = [Form.execute([r.id], {})[1] for r in referrals]
        action.extension = 'pdf'
        action.save()
        transaction.commit()
        assert all('خديجة' in d for d in documents)

        def raw():
            for document in documents:
                content = weasyprint.HTML(string=document).write_pdf()
                assert content.startswith(b'%PDF')

        timings = {'ours': [], 'raw': []}
        for _ in range(ROUNDS):
            for key, measured in [('ours', ours), ('raw', raw)]:
                start = time.perf_counter()
                measured()
                timings[key].append(time.perf_counter() - start)
            transaction.rollback()
    print(json.dumps({k: statistics.median(v) for k, v in timings.items()}))


if __name__ == '__main__':
    inner()
