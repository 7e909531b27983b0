"""Fixtures of the system tests: a real momd_referral server with the demo
users, on PostgreSQL when MOMD_TEST_DATABASE_URI names a server (as in
`make test`), else on SQLite."""
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'scripts'))

import momd_setup  # noqa: E402
from momd_client import Session  # noqa: E402

DB = 'momd_system_test'


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='session')
def artifacts():
    path = Path(os.environ.get(
            'MOMD_TEST_ARTIFACTS', ROOT / 'test-artifacts'))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope='session')
def server():
    "URL of a server started for the session, stopped at its end"
    var = Path(tempfile.mkdtemp(prefix='momd-server-'))
    port = _free_port()
    uri = os.environ.get('MOMD_TEST_DATABASE_URI')
    conf = momd_setup.prepare(var, port, DB, uri=uri)
    log = open(var / 'server.log', 'wb')
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / 'trytond'), '-c', str(conf),
            '-d', DB],
        stdout=log, stderr=subprocess.STDOUT)
    url = 'http://127.0.0.1:%s' % port
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise RuntimeError(
                    'server did not start:\n'
                    + (var / 'server.log').read_text()[-3000:])
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=30)
    log.close()
    if uri:
        momd_setup.drop_database(conf, DB)


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
