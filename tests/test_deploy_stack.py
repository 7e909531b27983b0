"""The whole production stack on one machine (deploy/run-local.sh, `make
deploy-check`): PostgreSQL with a streaming replica, two gunicorn instances
of trytond.application behind nginx over HTTPS, trytond-worker and
trytond-cron, an SMTP server.

- plain HTTP only sends the browser to HTTPS, where the web client is;
- a deadline rule changed by an administrator through one application
  process applies at once to a referral sent through another one (the
  processes tell each other of the change: [cache] clean_timeout = 0);
- the e-mail of a referral leaves through the mail queue and the worker,
  its link naming the public HTTPS address;
- the statistics are read from the replica: while it does not replay, a
  new referral is found by a search but not counted; counted once the
  replica has replayed it;
- 20 users at once through nginx (MOMD_DEPLOY_LOAD_SECONDS, 120 s unless
  set) get no error; the requests and their p50/p95 are printed and kept
  in the artifacts (deploy-load.json).

MOMD_DEPLOY_BASE_PORT chooses the 7 ports of the stack (else free ones are
found); MOMD_DEPLOY_TMP the folder of its files (/tmp: PostgreSQL runs as
the postgres user, who must reach it). MOMD_DEPLOY_STACK_DIR names the
folder of a stack started beforehand (deploy/run-local.sh start DIR, with
MOMD_APP_WORKERS=1) to check instead, left running.
"""
import datetime as dt
import email
import email.policy
import json
import mailbox
import os
import random
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest

from conftest import ROOT, demo_backup
from deploy_client import Client
from deploy_load import (
    Load, make_network, new_provider, refer, register, search_ids,
    stack_env)

RUN_LOCAL = ROOT / 'deploy' / 'run-local.sh'
PORTS = 7
LOAD_SECONDS = float(os.environ.get('MOMD_DEPLOY_LOAD_SECONDS', 120))
DEMO_PASSWORD = os.environ.get('MOMD_DEMO_PASSWORD', 'demo')
# how long the stack may take to do what follows a request (the worker's
# e-mail, the replica's replay) on a busy machine
WAIT = 120


def free_ports(count):
    "The first of count consecutive ports free on the loopback"
    if os.environ.get('MOMD_DEPLOY_BASE_PORT'):
        return int(os.environ['MOMD_DEPLOY_BASE_PORT'])
    rng = random.Random()
    for _ in range(100):
        base = rng.randrange(20000, 30000)
        sockets = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(('127.0.0.1', port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError('no %d free ports in a row' % count)


def wait_for(what, check, timeout=WAIT):
    "Return check()'s first true value, polled until timeout"
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('%s: not within %s s' % (what, timeout))
        time.sleep(0.2)


class Stack:
    "The running stack, as deploy/run-local.sh describes it in stack.env"

    def __init__(self, directory):
        self.dir = directory
        values = stack_env(directory)
        self.db = values['MOMD_STACK_DB']
        self.primary_uri = values['MOMD_STACK_PRIMARY_URI'] + self.db
        self.replica_uri = values['MOMD_STACK_REPLICA_URI'] + self.db
        self.app_a = values['MOMD_STACK_APP_A']
        self.app_b = values['MOMD_STACK_APP_B']
        self.http = values['MOMD_STACK_HTTP']
        self.https = values['MOMD_STACK_HTTPS']
        self.maildir = Path(values['MOMD_STACK_MAILDIR'])

    def client(self, login, password=DEMO_PASSWORD, via=None):
        """A user logged in through nginx (HTTPS), or straight to the
        gunicorn instance via ('a' or 'b')"""
        url = {None: self.https, 'a': self.app_a, 'b': self.app_b}[via]
        return Client(url, self.db, login, password)

    def primary(self):
        return psycopg.connect(self.primary_uri, autocommit=True)

    def replica(self):
        return psycopg.connect(self.replica_uri, autocommit=True)

    def mails(self, address):
        "The messages the SMTP server received for address"
        box = mailbox.Maildir(self.maildir, create=False,
            factory=lambda f: email.message_from_binary_file(
                f, policy=email.policy.default))
        return [m for m in box if address in (m['X-RcptTo'] or '')]


@pytest.fixture(scope='module')
def stack(request, artifacts):
    if os.environ.get('MOMD_DEPLOY_STACK_DIR'):
        # a stack started beforehand (run-local.sh start DIR), left running
        yield Stack(Path(os.environ['MOMD_DEPLOY_STACK_DIR']))
        return
    directory = Path(tempfile.mkdtemp(prefix='deploycheck-',
            dir=os.environ.get('MOMD_DEPLOY_TMP', '/tmp')))
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_') and k != 'DATABASE_URI'}
    # one process an instance: "process A" and "process B" of the tests
    env.update(MOMD_APP_WORKERS='1')
    # in `make test`, the database the other system tests started from,
    # restored (about two minutes less than making it again)
    backup = demo_backup()
    if backup:
        env.update(MOMD_STACK_BACKUP=str(backup))
    failed = request.session.testsfailed
    log = directory / 'run-local.log'
    started = False
    try:
        with open(log, 'w') as output:
            started = subprocess.run(['sh', str(RUN_LOCAL), 'start',
                    str(directory), str(free_ports(PORTS))], env=env,
                stdout=output, stderr=subprocess.STDOUT, timeout=1800
                ).returncode == 0
        if not started:
            raise RuntimeError('the stack did not start:\n'
                + log.read_text()[-5000:])
        yield Stack(directory)
    finally:
        # what the processes wrote, kept for a failure (before the clusters
        # and their logs are removed)
        kept = artifacts / 'deploy-stack'
        shutil.rmtree(kept, ignore_errors=True)
        if not started or request.session.testsfailed > failed:
            kept.mkdir()
            if (directory / 'log').exists():
                shutil.copytree(directory / 'log', kept / 'log')
            shutil.copy(log, kept)
            for cluster in ['pg-primary', 'pg-replica']:
                server_log = directory / cluster / 'server.log'
                if server_log.exists():
                    shutil.copy(server_log, kept / ('%s.log' % cluster))
        subprocess.run(['sh', str(RUN_LOCAL), 'stop', str(directory)],
            env=env, timeout=600)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope='module')
def network(stack):
    """The check's provider of rent support in Nineveh, with two focal
    points who have e-mail addresses, and what registering needs"""
    return make_network(stack.client('administrator'), DEMO_PASSWORD)


def _get(url, **kwargs):
    "(status, headers, body) of GET url, redirections not followed"
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    opener = urllib.request.build_opener(NoRedirect,
        urllib.request.HTTPSHandler(
            context=ssl._create_unverified_context()))
    try:
        with opener.open(url, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_https_only(stack):
    "Plain HTTP sends to HTTPS; the web client is served over HTTPS"
    status, headers, _ = _get(stack.http + '/%s/rpc/' % stack.db)
    assert status == 301
    assert headers['Location'] == stack.https + '/%s/rpc/' % stack.db
    status, headers, body = _get(stack.https + '/')
    assert status == 200
    assert b'tryton-sao' in body
    assert headers['Strict-Transport-Security']


def _hours(client, referral):
    "Hours from the referral's sending to its deadline to answer"
    values, = client.model('momd.referral', 'read', [referral],
        ['sent_date', 'acknowledge_before'])

    def when(value):
        return dt.datetime(*[value[k] for k in [
                    'year', 'month', 'day', 'hour', 'minute', 'second']])
    delta = when(values['acknowledge_before']) - when(values['sent_date'])
    return round(delta.total_seconds() / 3600)


def test_deadline_rule_changed_in_one_process_applies_in_another(
        stack, network):
    """The administrator changes the deadline to answer of urgent rent
    support through process A; the next referral sent through process B,
    which had the former rule in its cache, has the new deadline"""
    rng = random.Random(2)
    admin = stack.client('administrator', via='a')
    caseworker = stack.client('mosul.caseworker', via='b')
    before, after = [register(caseworker, network, 'MSL', rng)
        for _ in range(2)]
    # B reads the rules, and keeps them
    first = refer(caseworker, *before, network['service'], 'urgent')
    hours = _hours(caseworker, first)
    # shorter: a provider's own commitment caps a longer one
    assert hours > 5
    new_hours = hours - 5
    rules = search_ids(admin, 'momd.sla.rule', [
            ('priority', '=', 'urgent'),
            ('category', '=', network['category'])])
    if rules:
        admin.model('momd.sla.rule', 'write', rules, {
                'acknowledgement_hours': new_hours})
    else:
        admin.model('momd.sla.rule', 'create', [{
                    'priority': 'urgent', 'category': network['category'],
                    'acknowledgement_hours': new_hours,
                    'completion_days': 14}])
    second = refer(caseworker, *after, network['service'], 'urgent')
    assert _hours(caseworker, second) == new_hours
    assert _hours(caseworker, first) == hours


def test_referral_email_leaves_through_the_worker(stack, network):
    """A referral sent through nginx: the focal points' e-mail is queued,
    sent by the worker to the mail server, with a link to the referral at
    the public HTTPS address"""
    rng = random.Random(3)
    caseworker = stack.client('sinjar.caseworker')
    referral = refer(caseworker, *register(caseworker, network, 'SNJ', rng),
        network['service'])
    code, = caseworker.model('momd.referral', 'read', [referral], ['code'])
    subject = 'New referral %s' % code['code']
    address = '%s@provider.example' % network['focal_points'][0]
    message, = wait_for('the e-mail of %s' % code['code'], lambda: [
            m for m in stack.mails(address) if m['Subject'] == subject])
    body = message.get_body(('plain',)).get_content()
    assert '%s#%s/model/momd.referral/%d' % (
        stack.https, stack.db, referral) in body
    admin = stack.client('administrator')
    queued = admin.model('momd.mail', 'search_read', [
            ('subject', '=', subject)], 0, None, None,
        ['state', 'attempts'])
    assert [(q['state'], q['attempts']) for q in queued] == [('sent', 1)]


def _lsn_replayed(stack, lsn):
    with stack.replica() as replica:
        return replica.execute(
            'SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s::pg_lsn)'
            ' >= 0',
            (lsn,)).fetchone()[0]


def _current_lsn(stack):
    with stack.primary() as primary:
        return primary.execute(
            'SELECT pg_current_wal_lsn()::text').fetchone()[0]


def test_statistics_read_from_the_replica(stack, network):
    """While the replica does not replay, a referral sent is found by a
    search (the primary) but not counted by the statistics (the replica);
    once replayed, it is counted"""
    rng = random.Random(4)
    admin = stack.client('administrator')
    provider, service = new_provider(admin, network,
        'Deploy Check Replica Provider %d' % random.randrange(10 ** 6))
    caseworker = stack.client('hamdaniya.caseworker')
    case, need = register(caseworker, network, 'HMD', rng)
    manager = stack.client('manager')

    def counted():
        return manager.model('momd.referral.statistic', 'search', [
                ('provider', '=', provider)], 0, None, None)

    def found():
        return manager.model('momd.referral', 'search', [
                ('provider', '=', provider)], 0, None, None)
    lsn = _current_lsn(stack)
    wait_for('the replica replays', lambda: _lsn_replayed(stack, lsn))
    assert not counted()

    with stack.replica() as replica:
        replica.execute('SELECT pg_wal_replay_pause()')
        try:
            wait_for('the replay pauses', lambda: replica.execute(
                    'SELECT pg_get_wal_replay_pause_state()'
                    ).fetchone()[0] == 'paused')
            referral = refer(caseworker, case, need, service)
            assert found() == [referral]
            assert not counted()
        finally:
            replica.execute('SELECT pg_wal_replay_resume()')
    assert wait_for('the statistics count the referral', counted)


def test_twenty_users_through_nginx(stack, network, artifacts):
    """20 users at once through nginx for MOMD_DEPLOY_LOAD_SECONDS: no
    request fails"""
    load = Load(stack.https, stack.db, network, LOAD_SECONDS, clients=20)
    summary = load.run()
    # the connections each process keeps, for the sizing of PostgreSQL
    # (deploy/README.md)
    for name, connect in [('primary', stack.primary),
            ('replica', stack.replica)]:
        with connect() as connection:
            summary['connections_' + name] = dict(connection.execute(
                    'SELECT application_name, count(*) '
                    'FROM pg_stat_activity WHERE backend_type = %s '
                    'GROUP BY 1 ORDER BY 1', ('client backend',)))
    (artifacts / 'deploy-load.json').write_text(
        json.dumps(summary, indent=2, ensure_ascii=False))
    print('\n%d users through nginx for %.0f s: %d requests (%.1f/s), '
        '%d errors, p50 %s ms, p95 %s ms, max %s ms' % (
            summary['clients'], summary['seconds'], summary['requests'],
            summary['requests_per_second'], summary['errors'],
            summary['p50_ms'], summary['p95_ms'], summary['max_ms']))
    for name, figures in summary['actions'].items():
        print('  %-17s %5d  p50 %6s ms  p95 %6s ms' % (
                name, figures['count'], figures['p50_ms'],
                figures['p95_ms']))
    print('  connections: primary %s, replica %s' % (
            summary['connections_primary'], summary['connections_replica']))
    assert not load.errors, '\n'.join(load.errors[:20])
    # every kind of action of the mix was done
    kinds = {name for user in load.users for name, _ in user.MIX[user.role]}
    assert kinds <= set(summary['actions']), kinds - set(summary['actions'])
