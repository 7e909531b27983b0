"""Fixtures of the system tests: a real momd_referral server with the demo
users, on PostgreSQL when MOMD_TEST_DATABASE_URI names a server (as in
`make test`), else on SQLite."""
import os
import sys
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


@pytest.fixture(scope='session')
def server(tmp_path_factory):
    "URL of a server started for the session, stopped at its end"
    var = tmp_path_factory.mktemp('server')
    uri = os.environ.get('MOMD_TEST_DATABASE_URI')
    with momd_setup.serve(DB, uri=uri, var=var) as url:
        _SERVERS[url] = (uri, var)
        yield url


_SERVERS = {}


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
