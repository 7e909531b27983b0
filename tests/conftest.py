"""Fixtures of the system tests: a real momd_referral server with the demo
users, on PostgreSQL when MOMD_TEST_DATABASE_URI names a server (as in
`make test`), else on SQLite."""
import email
import email.policy
import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'scripts'))

import momd_setup  # noqa: E402
from momd_client import Session  # noqa: E402

DB = 'momd_system_test'


@pytest.fixture(scope='session')
def artifacts():
    path = Path(os.environ.get(
            'MOMD_TEST_ARTIFACTS', ROOT / 'test-artifacts'))
    path.mkdir(parents=True, exist_ok=True)
    return path


class Mailbox:
    """The e-mails a real SMTP server on the loopback received, each as
    (envelope recipients, email.message.EmailMessage)"""

    def __init__(self):
        self.received = []
        self.uri = None

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(
            envelope.original_content or envelope.content,
            policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), msg))
        return '250 Message accepted for delivery'

    def to(self, address):
        "The messages received for address, oldest first"
        return [m for rcpt, m in list(self.received)
            if any(address in r for r in rcpt)]

    def wait(self, address, count=1, timeout=60):
        """Wait until count messages reached address (the server sends
        after its transaction commits) and return them"""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            if time.monotonic() > deadline:
                raise AssertionError('%s e-mails to %s, %s expected: %s' % (
                        len(self.to(address)), address, count,
                        [(r, m['Subject']) for r, m in self.received]))
            time.sleep(0.2)
        return self.to(address)


@pytest.fixture(scope='session')
def smtp_server():
    "A real SMTP server on the loopback for the session's server to send to"
    from aiosmtpd.controller import Controller
    mailbox = Mailbox()
    port = momd_setup.free_port()
    controller = Controller(mailbox, hostname='127.0.0.1', port=port)
    controller.start()
    mailbox.uri = 'smtp://127.0.0.1:%s' % port
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def smtp(smtp_server):
    """The mailbox of the SMTP server the test server sends to, emptied
    for the test: smtp.wait(address, count) -> the messages to address"""
    smtp_server.received.clear()
    return smtp_server


@pytest.fixture(scope='session')
def server(tmp_path_factory, smtp_server):
    "URL of a server started for the session, stopped at its end"
    var = tmp_path_factory.mktemp('server')
    uri = os.environ.get('MOMD_TEST_DATABASE_URI')
    with momd_setup.serve(DB, uri=uri, var=var, email_uri=smtp_server.uri,
            backup_to=var / 'backup') as url:
        _SERVERS[url] = (uri, var)
        yield url


_SERVERS = {}


def demo_backup():
    """The backup (scripts/backup.sh) of the session server's database as
    it was made, before any test: None without that server (not started,
    or on SQLite)"""
    for uri, var in _SERVERS.values():
        backups = sorted((var / 'backup').glob('%s-*' % DB))
        if uri and backups:
            return backups[0]
    return None


def connect(server):
    """A direct connection to the database of the server, for what no user
    can do through the application (ageing a session, moving a date...)"""
    uri, var = _SERVERS[server]
    if uri:
        import psycopg
        return psycopg.connect(uri.rstrip('/') + '/' + DB)
    import sqlite3
    return sqlite3.connect(var / (DB + '.sqlite'))


@pytest.fixture
def database(server):
    "A direct connection to the server's database (see connect)"
    connection = connect(server)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def login(server):
    "login(user, password='demo', language='en') -> a JSON-RPC session"
    def login(user, password=None, language='en'):
        if password is None:
            password = os.environ.get(
                'MOMD_ADMIN_PASSWORD' if user == 'admin'
                else 'MOMD_DEMO_PASSWORD',
                'admin' if user == 'admin' else 'demo')
        return Session(server, DB, user, password, language)
    return login


@pytest.fixture
def web(request, server, artifacts):
    """web(login, language[, password=]) -> a user logged in to sao in
    headless Chromium (tests/webclient.py); a failure leaves screenshots of
    each"""
    from playwright.sync_api import sync_playwright
    from webclient import CHROMIUM, CHROMIUM_ARGS, WebClient
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        clients = []

        def web(login, language, **kwargs):
            client = WebClient(
                browser, server, login, language, artifacts, **kwargs)
            clients.append((login, client))
            return client
        try:
            yield web
        finally:
            for login, client in clients:
                if getattr(request.node, 'failed', False):
                    try:
                        client.screenshot('failed-%s' % login)
                    except Exception:
                        pass
            browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    "Mark the failed tests so that fixtures can keep evidence of them"
    outcome = yield
    report = outcome.get_result()
    if report.when == 'call' and report.failed:
        item.failed = True
