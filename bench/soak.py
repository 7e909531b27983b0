#!/usr/bin/env python3
"""The soak (`make soak`): the whole stack of deploy/run-local.sh, its two
application processes (one gunicorn instance each, behind nginx), with 20
users at work through HTTPS for SOAK_MINUTES (30) minutes — the mix of
tests/deploy_load.py: caseworkers registering and referring, focal points
answering, supervisors and managers reading lists and statistics.

Every SAMPLE seconds it reads the resident memory (RSS) of each
application process, the worker and the scheduler. Goals: no request
fails; the application processes' resident memory grows by less than 10 %:
their mean over the WINDOW minutes after the first WARM_UP (caches
filled) against their mean over the last WINDOW minutes.
Prints the samples every 5 minutes, then the requests, their p50/p95 and
the growth; exits 1 when a goal is missed. The samples are written to
memory.tsv in the stack's folder, SOAK_DIR where given (else a folder of
/tmp, kept with the logs).
"""
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tests'))
sys.path.insert(0, str(ROOT / 'scripts'))

from deploy_client import Client  # noqa: E402
from deploy_load import Load, make_network, stack_env  # noqa: E402

MINUTES = float(os.environ.get('SOAK_MINUTES', 30))
CLIENTS = 20
SAMPLE = 30
WARM_UP = 3
WINDOW = 5
GOAL_GROWTH = 0.10
DEMO_PASSWORD = os.environ.get('MOMD_DEMO_PASSWORD', 'demo')
RUN_LOCAL = ROOT / 'deploy' / 'run-local.sh'
PROCESSES = ['gunicorn-a', 'gunicorn-b', 'worker', 'cron']


def rss(pid):
    "Resident memory of pid in kB (0 once it has ended)"
    try:
        with open('/proc/%d/status' % pid) as status:
            for line in status:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def processes(directory):
    """{name: [pids]}: the application processes are the gunicorn workers,
    children of each instance's master"""
    result = {}
    for name in PROCESSES:
        pid = int((directory / 'run' / ('%s.pid' % name)).read_text())
        if name.startswith('gunicorn'):
            children = subprocess.run(['ps', '--ppid', str(pid), '-o',
                    'pid='], capture_output=True, text=True).stdout.split()
            result[name] = [int(c) for c in children]
        else:
            result[name] = [pid]
    return result


def main():
    directory = Path(os.environ.get('SOAK_DIR') or tempfile.mkdtemp(
            prefix='momd-soak-', dir='/tmp'))
    env = dict(os.environ, MOMD_APP_WORKERS='1')
    subprocess.run(['sh', str(RUN_LOCAL), 'start', str(directory)],
        env=env, check=True)
    try:
        return soak(directory)
    finally:
        subprocess.run(['sh', str(RUN_LOCAL), 'stop', str(directory)],
            env=env)


def soak(directory):
    values = stack_env(directory)
    url, db = values['MOMD_STACK_HTTPS'], values['MOMD_STACK_DB']
    admin = Client(url, db, 'administrator', DEMO_PASSWORD)
    network = make_network(admin, DEMO_PASSWORD)
    admin.close()
    pids = processes(directory)
    samples = []
    done = threading.Event()

    def sample():
        start = time.monotonic()
        while True:
            minute = (time.monotonic() - start) / 60
            samples.append((minute, {name: sum(rss(p) for p in ids)
                        for name, ids in pids.items()}))
            if len(samples) % (300 // SAMPLE) == 1:
                print('%5.1f min  ' % minute + '  '.join(
                        '%s %d MB' % (name, kb // 1024)
                        for name, kb in samples[-1][1].items()),
                    flush=True)
            if done.wait(SAMPLE):
                return
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    load = Load(url, db, network, MINUTES * 60, clients=CLIENTS)
    summary = load.run()
    done.set()
    sampler.join()

    def application(window):
        "Mean resident memory of the application processes in window"
        values = [figures['gunicorn-a'] + figures['gunicorn-b']
            for _, figures in window]
        return sum(values) / len(values)
    # the allocator gives memory back and takes it again (100 to 170 MB
    # a process within minutes): the means of WINDOW minutes are compared,
    # after the warm-up and at the end
    start = min(WARM_UP, MINUTES / 3)
    width = min(WINDOW, MINUTES / 3)
    first = application([s for s in samples if start <= s[0] < start + width])
    last = application([s for s in samples if s[0] >= samples[-1][0] - width])
    growth = (last - first) / first
    (directory / 'memory.tsv').write_text(''.join(
            '%.1f\t%s\n' % (minute, '\t'.join(
                    str(figures[n]) for n in PROCESSES))
            for minute, figures in samples))
    print('%d users through nginx for %.0f min: %d requests (%.1f/s), '
        '%d errors, p50 %s ms, p95 %s ms, max %s ms' % (
            CLIENTS, summary['seconds'] / 60, summary['requests'],
            summary['requests_per_second'], summary['errors'],
            summary['p50_ms'], summary['p95_ms'], summary['max_ms']))
    for message in summary['error_messages']:
        print('  ' + message)
    print('application processes: %d MB on average from minute %.0f to '
        '%.0f, %d MB in the last %.0f minutes: growth %.1f %% (goal < %d '
        '%%); every sample in %s' % (first // 1024, start, start + width,
            last // 1024, width, 100 * growth, 100 * GOAL_GROWTH,
            directory / 'memory.tsv'))
    passed = not summary['errors'] and growth < GOAL_GROWTH
    print('soak: %s' % ('PASS' if passed else 'FAIL'))
    return 0 if passed else 1


if __name__ == '__main__':
    sys.exit(main())
