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
def server():
    "URL of a server started for the session, stopped at its end"
    with momd_setup.serve(
            DB, uri=os.environ.get('MOMD_TEST_DATABASE_URI')) as url:
        yield url


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    "Mark the failed tests so that fixtures can keep evidence of them"
    outcome = yield
    report = outcome.get_result()
    if report.when == 'call' and report.failed:
        item.failed = True
