#!/usr/bin/env python3
"""Everything `make test` checks, with one summary line at the end:

1. module tests on SQLite (in memory);
2. the date-sensitive module tests again on SQLite, on the days where date
   arithmetic goes wrong (see DATES), the clock set by libfaketime;
3. module tests on PostgreSQL, in a throwaway cluster started here;
4. system tests (pytest, tests/): JSON-RPC, access probes and the browser
   in headless Chromium, against a server on that PostgreSQL.

Exits non-zero when anything failed or could not run.
"""
import datetime as dt
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from momd_setup import free_port

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

# The days (and hours) on which a test that computes with today's date is
# most likely to go wrong: "yesterday" or "an hour ago" in another month or
# year, "in an hour" in the next one, months of 30 and 31 days, a year ago
# or ahead without 29 February. Today is one of them too.
DATES = [
    '2027-03-01 00:30:00',
    '2027-04-30 23:30:00',
    '2027-12-31 23:30:00',
    '2028-01-01 00:30:00',
    '2028-02-29 12:00:00',
    ]
# The module tests that compute with today's date (files of
# momd_referral/tests): statistics and the monthly report, deadlines,
# escalation, reminders and reviews, consent expiry and ages, retention and
# anonymisation, what a provider may still read after a decline or once its
# agreement ends, eligibility by age, agreements and services in force, the
# times a provider's answer was given and the age of the referrals in its
# intake queue, a service's load of the month and its waiting list, the
# scenarios that date their records. About half the suite: 30 to 45 s a
# date on an idle machine, where the whole suite takes ~80 s.
DATED_TESTS = [
    'statistics_tests', 'automation_tests', 'registry_tests',
    'protection_tests', 'disclosure_tests', 'eligibility_tests',
    'provider_tests', 'matching_tests', 'scorecard_tests',
    'provider_answer_tests', 'waitlist_tests', 'scenario_automation.rst',
    'scenario_registry.rst',
    ]


def faketime_env(env, date):
    """The environment that makes the tests' process live on date.

    libfaketime (LD_PRELOAD) fakes the clock of the whole process: Python's
    datetime and time.time, and SQLite's, as trytond's now() for SQLite and
    CURRENT_TIMESTAMP both read it in the same process (checked: all give
    the faked day). "@" starts the clock at date and lets it run, so records
    keep their order and durations stay real; without it the clock stands
    still. FAKETIME_DONT_FAKE_MONOTONIC keeps CLOCK_MONOTONIC real: faked,
    it jumps by the offset, and Python's timed waits on locks, events and
    queues (sem_clockwait on that clock, which libfaketime 0.9 does not
    translate) then wait for years, hanging the run instead of failing it.
    Its cost: time.sleep() fails with EINVAL (libfaketime shifts its
    monotonic deadline as if it were wall-clock time); trytond sleeps only
    between retries (a locked database, a report conversion, an e-mail),
    after a failed login and in its cron and worker loops, none of which
    these tests reach on SQLite in memory: one that did would fail, not
    hang."""
    libraries = sorted(glob.glob(
            '/usr/lib/*/faketime/libfaketime.so.1'))
    if not libraries:
        return None
    preload = ' '.join(filter(None, [libraries[0], env.get('LD_PRELOAD')]))
    return dict(env, LD_PRELOAD=preload, FAKETIME='@' + date,
        FAKETIME_DONT_FAKE_MONOTONIC='1')


def run_module_tests(name, env, workdir, files=(), title=None):
    result = workdir / ('%s.json' % name.replace(' ', '-'))
    start = time.monotonic()
    print('== %s' % (title or 'module tests on %s' % name), flush=True)
    process = subprocess.run(
        [PY, 'scripts/run_unittest.py', str(result), *files],
        cwd=ROOT, env=env)
    if result.exists():
        counts = json.loads(result.read_text())
    else:
        counts = {'passed': 0, 'failed': 1, 'skipped': 0}
    if process.returncode and not counts['failed']:
        counts['failed'] = 1
    counts['seconds'] = time.monotonic() - start
    return counts


def sqlite_env(base_env, cache):
    """The environment of module tests on SQLite in memory.

    There all transactions share one connection. trytond's cache check runs
    when a transaction starts, at most every clean_timeout seconds (5
    minutes), and sets that connection to autocommit, which commits
    whatever is pending: once a run had lasted 5 minutes (a loaded
    machine), a transaction opened inside a test kept that test's records
    and the tests after it failed on them (UNIQUE res_user.login). One
    process has no other process's cache to follow."""
    return dict(base_env, DB_NAME=':memory:', DB_CACHE=str(cache),
        TRYTOND_CACHE__CLEAN_TIMEOUT=str(10 ** 6))


def run_date_sweep(base_env, workdir):
    "The date-sensitive module tests on today (real clock) and each of DATES"
    results = {}
    for date in [None] + sorted(DATES):
        day = date[:10] if date else dt.date.today().isoformat()
        name = 'on ' + day
        # the faked dates share a database cache made on the earliest of
        # them, so that its records are never dated after the day a test
        # lives on; today reuses the one of the SQLite run
        env = sqlite_env(base_env, workdir / (
                'db-cache-faked' if date else 'db-cache'))
        if date:
            env = faketime_env(env, date)
        if env is None:
            print('libfaketime is missing (Debian package faketime): '
                'the date-sensitive tests did not run on %s' % day,
                file=sys.stderr)
            results[name] = {'passed': 0, 'failed': 1, 'skipped': 0}
            continue
        results[name] = run_module_tests(name, env, workdir, DATED_TESTS,
            title='date-sensitive module tests on %s' % (
                date or '%s (today, real clock)' % day))
    return results


def run_system_tests(env, workdir):
    report = workdir / 'pytest.xml'
    start = time.monotonic()
    print('== system tests', flush=True)
    process = subprocess.run(
        [PY, '-m', 'pytest', 'tests', '-q', '-p', 'no:cacheprovider',
            '--junitxml', str(report)],
        cwd=ROOT, env=env)
    counts = {'passed': 0, 'failed': 0, 'skipped': 0}
    if report.exists():
        suite = ET.parse(report).getroot()
        if suite.tag == 'testsuites':
            suite = suite[0]
        tests = int(suite.get('tests', 0))
        failed = int(suite.get('failures', 0)) + int(suite.get('errors', 0))
        skipped = int(suite.get('skipped', 0))
        counts.update(
            passed=tests - failed - skipped, failed=failed, skipped=skipped)
    # 5: no test collected, which is a failure here too
    if process.returncode and not counts['failed']:
        counts['failed'] = 1
    counts['seconds'] = time.monotonic() - start
    return counts


def main():
    workdir = Path(tempfile.mkdtemp(prefix='momd-test-'))
    base_env = dict(os.environ)
    for key in ['TRYTOND_DATABASE_URI', 'DB_NAME', 'DB_CACHE',
            'TRYTOND_CONFIG', 'DATABASE_URI']:
        base_env.pop(key, None)
    base_env['PYTHONPATH'] = str(ROOT)
    results = {}

    env = sqlite_env(base_env, workdir / 'db-cache')
    results['SQLite'] = run_module_tests('SQLite', env, workdir)

    results.update(run_date_sweep(base_env, workdir))

    pg_dir = Path(tempfile.mkdtemp(prefix='momd-pg-'))
    pg_port = free_port()
    started = subprocess.run(
        ['sh', 'scripts/pg_cluster.sh', 'start', str(pg_dir), str(pg_port)],
        cwd=ROOT).returncode == 0
    try:
        if started:
            uri = 'postgresql://postgres@127.0.0.1:%s/' % pg_port
            env = dict(base_env, TRYTOND_DATABASE_URI=uri,
                DB_NAME='test_momd', DB_CACHE=uri.rstrip('/'))
            results['PostgreSQL'] = run_module_tests(
                'PostgreSQL', env, workdir)
            env = dict(base_env, MOMD_TEST_DATABASE_URI=uri,
                MOMD_TEST_ARTIFACTS=str(ROOT / 'test-artifacts'))
            results['system'] = run_system_tests(env, workdir)
        else:
            print('PostgreSQL could not start: its tests did not run',
                file=sys.stderr)
            results['PostgreSQL'] = {'passed': 0, 'failed': 1, 'skipped': 0}
            results['system'] = {'passed': 0, 'failed': 1, 'skipped': 0}
    finally:
        subprocess.run(
            ['sh', 'scripts/pg_cluster.sh', 'stop', str(pg_dir)], cwd=ROOT)

    print()
    passed = failed = skipped = 0
    for name, counts in results.items():
        print('%-13s %4d passed, %d failed, %d skipped%s' % (
                name, counts['passed'], counts['failed'], counts['skipped'],
                ' in %.0f s' % counts['seconds']
                if 'seconds' in counts else ''))
        passed += counts['passed']
        failed += counts['failed']
        skipped += counts['skipped']
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main())
