"""Importing a KoboToolbox export, against stock Tryton creating the same rows.

The file: BENCH_IMPORT_ROWS generated submissions (default 2,000) with
Arabic headers, 3 % bad rows and 5 % people already registered, as the
module test has them. Ours: the import batch (reading, mapping, validation,
duplicate check, household, phones, documents, case of needs, one row record
per submission). The baseline: stock Tryton reading the same file and
creating a party with its phone per row, ten per create call, without
checks. In process, SQLite in memory (or the database of DB_NAME /
TRYTOND_DATABASE_URI), validating as the server does (the tests' own check
of every computed field is off); the peak memory (RSS) is printed after a
quarter of the rows and during all of them (the file already in memory, as
the server holds it): flat when the rows are read as a stream.
"""
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault('DB_NAME', ':memory:')
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROWS = int(os.environ.get('BENCH_IMPORT_ROWS', 2000))


def reset_peak():
    "Start the peak memory again from now (Linux)"
    try:
        Path('/proc/self/clear_refs').write_text('5')
    except OSError:
        pass


def peak_rss_mb():
    "The peak resident memory since reset_peak, in MB"
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def distinct_person(index):
    """The index-th person of the module tests (kobo_import_tests.person)
    with a name of their own: the four parts follow the index, so that no
    two of the first 1,280,000 people share all of them (the tests' people
    come back after a few thousand, which would make a large file one of
    duplicates); those of one father are siblings, born years apart"""
    from momd_referral.tests import kobo_import_tests as kobo
    values = kobo.person(index)
    firsts = kobo.FEMALE if values['sex'] == 'female' else kobo.MALE
    # the birth dates come back every 840 people: those born the same day
    # get another first name
    values.update({
            'first_name': firsts[(index + index // 840) % len(firsts)],
            'father_name': kobo.FATHERS[index // 40 % 40],
            'grandfather_name': kobo.FATHERS[index // 1600 % 40],
            'family_name': kobo.FAMILIES[index // 64000 % 20],
            })
    return values


def imported(data):
    """The batch of the file imported (its rows are not read back, as the
    tests' import_file does, to measure the import's own memory)"""
    from trytond.pool import Pool
    from momd_referral.tests import kobo_import_tests as kobo
    Batch = Pool().get('momd.kobo.import')
    batch = kobo.new_batch(data)
    Batch.run([batch])
    kobo.run_queue()
    return Batch(batch.id)


def run():
    from trytond.pool import Pool
    from trytond.tests.test_tryton import activate_module
    activate_module(['momd_referral'])
    # measured as the server runs: the tests' own check of every computed
    # field of the records validated is off
    test, Pool.test = Pool.test, False
    try:
        return _run()
    finally:
        Pool.test = test


def _run():
    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME, USER
    from trytond.transaction import Transaction
    from momd_referral.kobo_form import Submissions
    from momd_referral.tests import kobo_import_tests as kobo
    from momd_referral.tests.registry_tests import register

    results = []
    with Transaction().start(DB_NAME, USER, context={}) as transaction:
        bad = set(range(0, ROWS, 33))
        for index in range(1, ROWS, 20):
            values = distinct_person(index)
            register('MSL', **{k: values[k] for k in [
                        'first_name', 'father_name', 'grandfather_name',
                        'family_name', 'sex', 'birth_date']},
                phones=[('create', [{'number': values['phone']}])])
        # other people first: the memory a quarter of the rows takes
        quarter = kobo.kobo_xlsx(kobo.submissions(
                ROWS + ROWS // 4, bad=bad, people=distinct_person)[ROWS:])
        data = kobo.kobo_xlsx(
            kobo.submissions(ROWS, bad=bad, people=distinct_person))
        reset_peak()
        imported(quarter)
        rss_quarter = peak_rss_mb()

        reset_peak()
        start = time.perf_counter()
        batch = imported(data)
        ours = ROWS / (time.perf_counter() - start)
        rss_all = peak_rss_mb()
        print('import of %d rows: created %d, errors %d, held %d, '
            'unchanged %d' % (ROWS, batch.created, batch.errors, batch.held,
                batch.unchanged))
        print('peak RSS: %.0f MB after %d rows, %.0f MB after %d rows' % (
                rss_quarter, ROWS // 4, rss_all, ROWS))

        Party = Pool().get('party.party')
        start = time.perf_counter()
        chunk = []
        for row in Submissions(data):
            chunk.append({
                    'name': ' '.join(str(row.get(k) or '') for k in [
                            'الاسم الأول', 'اسم الأب', 'اللقب']),
                    'contact_mechanisms': [('create', [{
                                    'type': 'phone',
                                    'value': str(row.get('رقم الهاتف')),
                                    }])],
                    })
            if len(chunk) == 10:
                Party.create(chunk)
                chunk = []
        Party.create(chunk)
        base = ROWS / (time.perf_counter() - start)
        transaction.rollback()
    results.append(('KoboToolbox import, %d rows' % ROWS, ours, base))
    return results


if __name__ == '__main__':
    for name, ours, base in run():
        print('%-44s %12.0f %12.0f %8.2f' % (name, ours, base, base / ours))
