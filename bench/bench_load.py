"""Users at once on the application server, at a ministry's size.

On a copy of the generated database of bench_scale.py (BENCH_SCALE_PEOPLE
people, 1,000,000 by default, about two referrals each), served as in
production (deploy/gunicorn.conf.py: BENCH_LOAD_WORKERS processes of 4
threads, 2 by default, the cores of the machine this was sized on; the
queue and its e-mails in trytond-worker),
BENCH_LOAD_CLIENTS clients (20) send their calls one after the other, each
on its own connection (gzip, as a browser), for BENCH_LOAD_SECONDS (60):

- registration and referral: a caseworker registers a person (beneficiary,
  consent given, case with a need, the need read back) and refers the need
  to a provider, who is sent the referral: 7 calls. Goal: the p95 of a
  call <= 300 ms;
- the providers' inbox: the demo providers' focal points (whose inboxes
  the generation filled) search the referrals sent to their provider, read
  the page's columns, count them and accept one of their share: 4 calls,
  each a transaction. Goal: >= 60 transactions per second per process.

The baseline, in the same run on the same server and clients: the same
number of stock Tryton calls on parties (party.party, its contact
mechanisms and addresses) in the same order of creates, writes, searches,
reads and counts. PostgreSQL only (BENCH_DATABASE_URI).
"""
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from psycopg import sql

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / 'tests'))

from bench_scale import PEOPLE, ensure  # noqa: E402
from deploy_client import Client  # noqa: E402
from deploy_load import (  # noqa: E402
    OFFICES, make_network, percentile, refer, register)
from demo_providers import FOCAL_POINTS as DEMO_FOCAL_POINTS  # noqa: E402
from momd_setup import free_port, write_config  # noqa: E402

DB = 'bench_load'
WORKERS = int(os.environ.get('BENCH_LOAD_WORKERS', 2))
THREADS = 4
CLIENTS = int(os.environ.get('BENCH_LOAD_CLIENTS', 20))
SECONDS = float(os.environ.get('BENCH_LOAD_SECONDS', 60))
DEMO_PASSWORD = os.environ.get('MOMD_DEMO_PASSWORD', 'demo')
PAGE = 20
GOAL_P95, GOAL_TPS = 0.300, 60


def copy_database(uri, source, target):
    "target made anew as a copy of source, on the same server"
    drop_database(uri, target)
    with psycopg.connect(uri + 'postgres', autocommit=True) as connection:
        connection.execute(sql.SQL('CREATE DATABASE {} TEMPLATE {}').format(
                sql.Identifier(target), sql.Identifier(source)))


def drop_database(uri, name):
    "Drop name, ending the sessions still on it (the worker's pool)"
    with psycopg.connect(uri + 'postgres', autocommit=True) as connection:
        connection.execute(sql.SQL(
                'DROP DATABASE IF EXISTS {} WITH (FORCE)').format(
                sql.Identifier(name)))


class AppServer:
    """db served as deploy/ does: gunicorn (WORKERS processes of THREADS),
    trytond-worker running the queue (the e-mails leave there, never in a
    request), the e-mails to a mail server that keeps nothing"""

    def __init__(self, uri, db):
        self.var = Path(tempfile.mkdtemp(prefix='bench-load-'))
        self.port = free_port()
        self.conf = write_config(self.var, self.port, uri)
        self.db = db
        self.url = 'http://127.0.0.1:%d' % self.port
        self.processes = []

    def spawn(self, name, command, env):
        # each in a process group of its own, stopped whole (the queue
        # worker's pool outlives it otherwise)
        with open(self.var / ('%s.log' % name), 'wb') as log:
            self.processes.append(subprocess.Popen(command, env=env,
                    stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True))

    def __enter__(self):
        bin_ = Path(sys.executable).parent
        smtp = free_port()
        env = dict(os.environ, TRYTOND_CONFIG=str(self.conf),
            TRYTOND_DATABASE_NAMES=self.db,
            # the processes follow each other's changes at once
            TRYTOND_CACHE__CLEAN_TIMEOUT='0',
            TRYTOND_QUEUE__WORKER='True',
            TRYTOND_EMAIL__URI='smtp://127.0.0.1:%d' % smtp,
            MOMD_GUNICORN_CONTROL_SOCKET=str(self.var / 'gunicorn.ctl'))
        self.spawn('smtp', [sys.executable, '-m', 'aiosmtpd', '-n', '-l',
                '127.0.0.1:%d' % smtp, '-c', 'aiosmtpd.handlers.Sink'], env)
        self.spawn('gunicorn', [str(bin_ / 'gunicorn'),
                '-c', str(ROOT / 'deploy' / 'gunicorn.conf.py'),
                '--bind', '127.0.0.1:%d' % self.port,
                '--workers', str(WORKERS), '--threads', str(THREADS),
                '--access-logfile', '/dev/null',
                'trytond.application:app'], env)
        self.spawn('worker', [str(bin_ / 'trytond-worker'), '-c',
                str(self.conf), '-d', self.db, '-n', '1'], env)
        deadline = time.monotonic() + 120
        while True:
            try:
                Client(self.url, self.db, 'administrator',
                    DEMO_PASSWORD).close()
                return self
            except Exception:
                if (any(p.poll() is not None for p in self.processes)
                        or time.monotonic() > deadline):
                    self.__exit__()
                    raise RuntimeError('the server did not start:\n'
                        + (self.var / 'gunicorn.log').read_text()[-3000:])
                time.sleep(1)

    def __exit__(self, *exc):
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            process.wait(timeout=60)


class Clients:
    """CLIENTS threads, each logged in as login(index) and calling
    work(client, index, state) until the time is up; the seconds of every
    call answered"""

    def __init__(self, url, db, login, work, seconds=SECONDS):
        self.url, self.db = url, db
        self.login, self.work = login, work
        self.seconds = seconds
        self.times = []
        self.errors = []
        self.lock = threading.Lock()

    def run(self):
        clients = [Client(self.url, self.db, *self.login(i))
            for i in range(CLIENTS)]
        for client in clients:
            client.times.clear()
        deadline = time.monotonic() + self.seconds
        threads = [threading.Thread(target=self._loop,
                args=(client, i, deadline), daemon=True)
            for i, client in enumerate(clients)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        for client in clients:
            self.times.extend(client.times)
            client.close()
        return {
            'calls': len(self.times),
            'per_second': len(self.times) / elapsed,
            'p50': percentile(self.times, 0.5),
            'p95': percentile(self.times, 0.95),
            'errors': self.errors,
            }

    def _loop(self, client, index, deadline):
        rng = random.Random(index)
        state = {}
        while time.monotonic() < deadline:
            try:
                self.work(client, index, rng, state)
            except Exception as error:
                with self.lock:
                    self.errors.append('%s: %s' % (
                            type(error).__name__, str(error)[:300]))


def registration_flow(network):
    "work() of a caseworker registering a person and referring the need"
    def work(client, index, rng, state):
        office = OFFICES[index % len(OFFICES)][0]
        case, need = register(client, network, office, rng)
        refer(client, case, need, network['service'],
            rng.choice(['normal', 'normal', 'urgent']))
    return work


def party_flow(client, index, rng, state):
    "The same 7 calls on parties: creates, a write, a search"
    n = state['n'] = state.get('n', 0) + 1
    name = 'Bench %d-%d' % (index, n)
    party, = client.model('party.party', 'create', [{'name': name}])
    client.model('party.contact_mechanism', 'create', [{
                'party': party, 'type': 'phone',
                'value': '+96477%08d' % rng.randrange(10 ** 8)}])
    client.model('party.party', 'write', [party], {'name': name + ' '})
    other, = client.model('party.party', 'create', [{
                'name': name + ' household',
                'addresses': [('create', [{'city': 'Mosul'}])]}])
    client.model('party.address', 'search', [('party', '=', other)],
        0, None, None)
    client.model('party.address', 'create', [{
                'party': party, 'city': 'Sinjar'}])
    client.model('party.party', 'write', [party], {'name': name + '.'})


def _fields(client, model, state):
    "The columns of the model's list, as the web client reads them once"
    key = 'fields', model
    if key not in state:
        state[key] = sorted(client.model(
                model, 'fields_view_get', None, 'tree')['fields'])
    return state[key]


def inbox(client, index, rng, state):
    """A focal point's inbox: a page, its columns, the count, then one of
    the referrals of their share accepted"""
    domain = [('provider.focal_points', '=', client.uid),
        ('state', '=', 'sent')]
    ids = client.model('momd.referral', 'search', domain, 0, PAGE, None)
    if ids:
        client.model('momd.referral', 'read', ids,
            _fields(client, 'momd.referral', state))
    client.model('momd.referral', 'search_count', domain, 0, 1000)
    # the focal points of a provider share its inbox: each its own ids
    mine = [i for i in ids if i % CLIENTS == index]
    if mine:
        client.model('momd.referral', 'accept', [mine[0]])


def party_list(client, index, rng, state):
    "The same 4 calls on parties: a page, its columns, the count, a write"
    domain = [('name', 'ilike', 'Bench %d-%%' % index)]
    ids = client.model('party.party', 'search', domain, 0, PAGE, None)
    if ids:
        client.model('party.party', 'read', ids,
            _fields(client, 'party.party', state))
    client.model('party.party', 'search_count', domain, 0, 1000)
    if ids:
        client.model('party.party', 'write', [rng.choice(ids)],
            {'name': 'Bench %d-%d' % (index, rng.randrange(10 ** 6))})


def run():
    uri = os.environ.get('BENCH_DATABASE_URI')
    if not uri:
        print('skipped: the load is measured on PostgreSQL '
            '(BENCH_DATABASE_URI)')
        return []
    uri = uri.rstrip('/') + '/'
    source = ensure(PEOPLE)
    copy_database(uri, source, DB)
    try:
        with AppServer(uri, DB) as server:
            return measure(server.url)
    finally:
        drop_database(uri, DB)


def measure(url):
    admin = Client(url, DB, 'administrator', DEMO_PASSWORD)
    net = make_network(admin, DEMO_PASSWORD, focal_points=1)
    admin.close()
    caseworkers = [login for _, login, _ in OFFICES]
    # the demo providers' focal points, whose inboxes the generation filled
    inboxes = sorted(DEMO_FOCAL_POINTS)
    runs = {
        'registration + referral (7 calls)': Clients(url, DB,
            lambda i: (caseworkers[i % len(caseworkers)], DEMO_PASSWORD),
            registration_flow(net)),
        'party calls of the same kinds (7 calls)': Clients(url, DB,
            lambda i: ('administrator', DEMO_PASSWORD), party_flow),
        'inbox, answered (4 calls)': Clients(url, DB,
            lambda i: (inboxes[i % len(inboxes)], DEMO_PASSWORD), inbox),
        'party list, written (4 calls)': Clients(url, DB,
            lambda i: ('administrator', DEMO_PASSWORD), party_list),
        }
    # the party list pages through the parties the flow made
    results = {name: clients.run() for name, clients in runs.items()}
    print('%d clients, %d processes x %d threads, %.0f s each, '
        'at %dk people' % (CLIENTS, WORKERS, THREADS, SECONDS,
            PEOPLE // 1000))
    print('%-44s %7s %8s %8s %9s %6s' % ('', 'calls', 'p50 ms', 'p95 ms',
            'tx/s/proc', 'errors'))
    for name, result in results.items():
        print('%-44s %7d %8.0f %8.0f %9.1f %6d' % (name, result['calls'],
                1000 * result['p50'], 1000 * result['p95'],
                result['per_second'] / WORKERS, len(result['errors'])))
        for error in result['errors'][:3]:
            print('    ' + error)
    flow, party, box, parties = results.values()
    flow_ok = flow['p95'] <= GOAL_P95 and not flow['errors']
    box_ok = (box['per_second'] / WORKERS >= GOAL_TPS
        and not box['errors'])
    print('registration + referral p95 per call %.0f ms (party %.0f ms), '
        'goal <= %.0f ms: %s' % (1000 * flow['p95'], 1000 * party['p95'],
            1000 * GOAL_P95, 'PASS' if flow_ok else 'FAIL'))
    print('inbox %.1f transactions/s per process (party %.1f), goal >= %d: '
        '%s' % (box['per_second'] / WORKERS, parties['per_second'] / WORKERS,
            GOAL_TPS, 'PASS' if box_ok else 'FAIL'))
    return [
        ('registration + referral, p95 of a call, %d clients' % CLIENTS,
            1 / flow['p95'], 1 / party['p95']),
        ('inbox mix, transactions/s per process', box['per_second'],
            parties['per_second']),
        ]
