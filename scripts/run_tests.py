#!/usr/bin/env python3
"""Everything `make test` checks, with one summary line at the end:

1. module tests on SQLite (in memory);
2. module tests on PostgreSQL, in a throwaway cluster started here;
3. system tests (pytest, tests/): JSON-RPC, access probes and the browser
   in headless Chromium, against a server on that PostgreSQL.

Exits non-zero when anything failed or could not run.
"""
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


def run_module_tests(name, env, workdir):
    result = workdir / ('%s.json' % name)
    start = time.monotonic()
    print('== module tests on %s' % name, flush=True)
    process = subprocess.run(
        [PY, 'scripts/run_unittest.py', str(result)],
        cwd=ROOT, env=env)
    if result.exists():
        counts = json.loads(result.read_text())
    else:
        counts = {'passed': 0, 'failed': 1, 'skipped': 0}
    if process.returncode and not counts['failed']:
        counts['failed'] = 1
    counts['seconds'] = time.monotonic() - start
    return counts


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

    env = dict(base_env, DB_NAME=':memory:',
        DB_CACHE=str(workdir / 'db-cache'))
    results['SQLite'] = run_module_tests('SQLite', env, workdir)

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
        print('%-11s %4d passed, %d failed, %d skipped%s' % (
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
