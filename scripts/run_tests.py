#!/usr/bin/env python3
"""Everything `make test` checks, with one summary line at the end:

1. module tests on SQLite (in memory);
2. the date-sensitive module tests again on SQLite, on the days where date
   arithmetic goes wrong (see DATES), the clock set by libfaketime;
3. module tests on PostgreSQL, in a throwaway cluster started here;
4. system tests (pytest, tests/), in two stages, each against a server
   of its own on PostgreSQL in a throwaway cluster: JSON-RPC and the
   access probes; the browser in headless Chromium and the whole
   production stack started on this machine (deploy/run-local.sh) with
   users at work on it.

These stages run side by side, MOMD_TEST_JOBS at a time (by default two
more than the machine has cores, at least 4), the longest first: each is a
process of its own with its own database, temporary folder and log, and
its output is printed whole when it ends.

Exits non-zero when anything failed or could not run.
"""
import glob
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import xml.etree.ElementTree as ET
from pathlib import Path

from momd_setup import free_port

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

# The days (and hours) on which a test that computes with today's date is
# most likely to go wrong: "yesterday" or "an hour ago" in another month
# (after 28 days of February, 2027-03-01) or year (2028-01-01), "in an
# hour" in the next month and year and the last day of a month of 31 days
# (2027-12-31), a year ago or ahead without 29 February and the last day of
# a month of 29 (2028-02-29). The SQLite stage runs them on today too.
DATES = [
    '2027-03-01 00:30:00',
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
# scenarios that date their records. 96 of the 268 tests, about 2 minutes
# a date beside the other stages (the statistics and the scorecard, which
# build referrals of three months, are half of it).
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


class Stage:
    """One process of the run: the name of its line in the summary, its
    title, the stages whose end it waits for (a database cache they make)
    and run(stage) -> its counts. Its output goes to its log, its temporary
    files to its own folder."""

    def __init__(self, workdir, name, title, run, needs=()):
        self.name = name
        self.title = title
        self.run = run
        self.needs = list(needs)
        slug = name.replace(' ', '-')
        self.log = workdir / ('%s.log' % slug)
        self.result = workdir / ('%s.json' % slug)
        self.tmp = workdir / slug / 'tmp'

    def env(self, env):
        "env with the stage's own temporary folder"
        self.tmp.mkdir(parents=True, exist_ok=True)
        return dict(env, TMPDIR=str(self.tmp))

    def call(self, command, env):
        "Run command, its output appended to the log; return its exit code"
        with open(self.log, 'ab') as log:
            return subprocess.run(command, cwd=ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
                ).returncode

    def say(self, text):
        with open(self.log, 'a') as log:
            print(text, file=log)


def run_stages(stages, jobs):
    """Run the stages, at most jobs at a time, each as soon as the stages it
    needs have ended, in their order otherwise; print each stage's output
    whole when it ends; return the counts by stage name"""
    names = {stage.name for stage in stages}
    for stage in stages:
        assert set(stage.needs) <= names, stage.needs
    results = {}
    ended = queue.Queue()

    def work(stage):
        start = time.monotonic()
        try:
            counts = stage.run(stage)
        except Exception:
            stage.say(traceback.format_exc())
            counts = {'passed': 0, 'failed': 1, 'skipped': 0}
        counts['seconds'] = time.monotonic() - start
        ended.put((stage, counts))

    waiting = list(stages)
    running = []
    try:
        while waiting or running:
            for stage in list(waiting):
                if len(running) >= jobs:
                    break
                if all(name in results for name in stage.needs):
                    waiting.remove(stage)
                    print('-- %s: started (%s)' % (stage.title, stage.log),
                        flush=True)
                    thread = threading.Thread(target=work, args=(stage,),
                        name=stage.name, daemon=True)
                    running.append(thread)
                    thread.start()
            stage, counts = ended.get()
            running = [t for t in running if t.name != stage.name]
            results[stage.name] = counts
            print('\n== %s: ended in %.0f s, %d passed, %d failed, '
                '%d skipped' % (stage.title, counts['seconds'],
                    counts['passed'], counts['failed'], counts['skipped']),
                flush=True)
            if stage.log.exists():
                sys.stdout.write(
                    stage.log.read_text(encoding='utf-8', errors='replace'))
            if counts['failed'] and stage.tmp.parent.exists():
                # what a failed stage leaves (the server's log...) is kept
                print('(its files: %s)' % stage.tmp.parent)
            else:
                shutil.rmtree(stage.tmp.parent, ignore_errors=True)
            print(flush=True)
    except KeyboardInterrupt:
        # the stages' processes had the interrupt too: let them stop their
        # PostgreSQL clusters
        for thread in running:
            thread.join()
        raise
    return results


def module_tests(env, files=()):
    "run(stage) of the module tests (those written in files, if given)"
    def run(stage):
        # the database's files (attachments) apart from the other stages'
        stage_env = dict(stage.env(env),
            TRYTOND_DATABASE__PATH=str(stage.tmp.parent / 'db'))
        code = stage.call([PY, 'scripts/run_unittest.py', str(stage.result),
                *files], stage_env)
        if stage.result.exists():
            counts = json.loads(stage.result.read_text())
        else:
            counts = {'passed': 0, 'failed': 1, 'skipped': 0}
        if code and not counts['failed']:
            counts['failed'] = 1
        return counts
    return run


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


def date_sweep(base_env, workdir):
    """The stages of the date-sensitive module tests on each of DATES (on
    today they are run by the SQLite stage, with all the others)"""
    stages = []
    earliest = 'on ' + min(DATES)[:10]
    for date in sorted(DATES):
        name = 'on ' + date[:10]
        title = 'date-sensitive module tests on %s' % date
        # the faked dates share a database cache made on the earliest of
        # them (the others wait for it), so that its records are never
        # dated after the day a test lives on
        env = faketime_env(
            sqlite_env(base_env, workdir / 'db-cache-faked'), date)
        needs = [earliest] if name != earliest else []
        if env is None:
            def run(stage, day=date[:10]):
                stage.say('libfaketime is missing (Debian package '
                    'faketime): the date-sensitive tests did not run on %s'
                    % day)
                return {'passed': 0, 'failed': 1, 'skipped': 0}
        else:
            run = module_tests(env, DATED_TESTS)
        stages.append(Stage(workdir, name, title, run, needs))
    return stages


_cluster_lock = threading.Lock()


def postgresql(stage, run):
    """run(uri) against a throwaway PostgreSQL cluster of the stage; its
    counts, or a failure when the cluster could not start"""
    directory = None
    for attempt in range(3):
        # a port found free can be taken before the cluster listens on it
        # (by another stage): then another port
        with _cluster_lock:
            directory = Path(tempfile.mkdtemp(prefix='momd-pg-'))
            port = free_port()
            started = stage.call(['sh', 'scripts/pg_cluster.sh', 'start',
                    str(directory), str(port)], dict(os.environ)) == 0
        if started:
            break
        stage.call(['sh', 'scripts/pg_cluster.sh', 'stop', str(directory)],
            dict(os.environ))
    else:
        stage.say('PostgreSQL could not start: the tests did not run')
        return {'passed': 0, 'failed': 1, 'skipped': 0}
    try:
        return run('postgresql://postgres@127.0.0.1:%s/' % port)
    finally:
        stage.call(['sh', 'scripts/pg_cluster.sh', 'stop', str(directory)],
            dict(os.environ))


def postgresql_module_tests(base_env):
    def run(stage):
        def tests(uri):
            env = dict(base_env, TRYTOND_DATABASE_URI=uri,
                DB_NAME='test_momd', DB_CACHE=uri.rstrip('/'))
            return module_tests(env)(stage)
        return postgresql(stage, tests)
    return run


# The system tests, in two stages of their own, each with its server:
# those that call the server through its API (the leak probes, the owned
# fields... ~13 minutes on 2 cores beside the module tests), and the others,
# the web client in Chromium and the whole production stack (~11). One
# stage of both, its server answering one request at a time and its
# browser waiting on screens, kept less than a core busy for 25 minutes
# and was the whole run's length. On 2 cores the run is as long either way
# (all stages together keep both cores busy, ~27 minutes); with more cores
# the two halves end sooner.
API_TESTS = ['test_leak_probes.py', 'test_*_rpc.py']


def system_files():
    "(the files of the API tests, the files of the others), by name"
    everything = {p.name for p in (ROOT / 'tests').glob('test_*.py')}
    api = set()
    for pattern in API_TESTS:
        api.update(p.name for p in (ROOT / 'tests').glob(pattern))
    return sorted(api), sorted(everything - api)


def system_tests(base_env, files):
    "run(stage) of the system tests written in files (of tests/)"
    def run(stage):
        def tests(uri):
            # the users at work on the whole stack (test_deploy_stack.py,
            # its own clusters and servers, its database restored from a
            # backup of the stage's) for 30 s, not make deploy-check's
            # 120: ~2 minutes of the stage
            env = stage.env(dict(base_env, MOMD_TEST_DATABASE_URI=uri,
                    MOMD_TEST_ARTIFACTS=str(ROOT / 'test-artifacts'),
                    MOMD_DEPLOY_LOAD_SECONDS=base_env.get(
                        'MOMD_DEPLOY_LOAD_SECONDS', '30')))
            report = stage.result.with_suffix('.xml')
            code = stage.call([PY, '-m', 'pytest',
                    *('tests/%s' % f for f in files), '-q',
                    '-p', 'no:cacheprovider', '--junitxml', str(report),
                    # where the stage's time went, in its log
                    '--durations', '15'],
                env)
            counts = {'passed': 0, 'failed': 0, 'skipped': 0}
            if report.exists():
                suite = ET.parse(report).getroot()
                if suite.tag == 'testsuites':
                    suite = suite[0]
                tests = int(suite.get('tests', 0))
                failed = (int(suite.get('failures', 0))
                    + int(suite.get('errors', 0)))
                skipped = int(suite.get('skipped', 0))
                counts.update(passed=tests - failed - skipped,
                    failed=failed, skipped=skipped)
            # 5: no test collected, which is a failure here too
            if code and not counts['failed']:
                counts['failed'] = 1
            return counts
        return postgresql(stage, tests)
    return run


def jobs():
    """How many stages run at a time: MOMD_TEST_JOBS, else two more than
    the cores (at least 4): each stage of system tests keeps less than a
    core busy (its server waits on PostgreSQL, the browser on its screens),
    and the module tests use the rest"""
    value = os.environ.get('MOMD_TEST_JOBS')
    if value:
        return max(1, int(value))
    return max(4, (os.cpu_count() or 1) + 2)


def main():
    workdir = Path(tempfile.mkdtemp(prefix='momd-test-'))
    base_env = dict(os.environ)
    for key in ['TRYTOND_DATABASE_URI', 'DB_NAME', 'DB_CACHE',
            'TRYTOND_CONFIG', 'DATABASE_URI', 'TRYTOND_DATABASE__PATH']:
        base_env.pop(key, None)
    base_env['PYTHONPATH'] = str(ROOT)

    sqlite = Stage(workdir, 'SQLite', 'module tests on SQLite',
        module_tests(sqlite_env(base_env, workdir / 'db-cache')))
    sweep = date_sweep(base_env, workdir)
    pg = Stage(workdir, 'PostgreSQL', 'module tests on PostgreSQL',
        postgresql_module_tests(base_env))
    api, others = system_files()
    system_api = Stage(workdir, 'system API', 'system tests through the API',
        system_tests(base_env, api))
    system_web = Stage(workdir, 'system web', 'system tests of the web '
        'client and the production stack', system_tests(base_env, others))
    # the summary's order
    stages = [sqlite, *sweep, pg, system_api, system_web]
    # the longest first (on 2 cores: module tests on PostgreSQL ~17 min,
    # system tests through the API ~13, the others ~11, module tests on
    # SQLite ~13, each date of the sweep ~2-5), the first faked date before
    # the others, which wait for its database cache
    order = [pg, system_api, system_web, sqlite, *sweep]
    print('Test stages, %d at a time; logs in %s' % (jobs(), workdir),
        flush=True)
    results = run_stages(order, jobs())

    print()
    passed = failed = skipped = 0
    for stage in stages:
        counts = results[stage.name]
        print('%-14s %4d passed, %d failed, %d skipped%s' % (
                stage.name, counts['passed'], counts['failed'],
                counts['skipped'],
                ' in %.0f s' % counts['seconds']
                if 'seconds' in counts else ''))
        passed += counts['passed']
        failed += counts['failed']
        skipped += counts['skipped']
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main())
