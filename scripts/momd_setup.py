#!/usr/bin/env python3
"""Create, seed and describe a momd_referral database.

    python scripts/momd_setup.py [--var var] [--port 8000] [--db momd]

writes <var>/trytond.conf, creates the database with the module and Arabic
when it does not exist yet, adds the demo users and prints the URL and the
logins; an existing database is updated when the module has changed. DATABASE_URI=postgresql://... uses PostgreSQL instead of the SQLite
file <var>/<db>.sqlite. Also imported by the system tests and benchmarks.
"""
import argparse
import contextlib
import hashlib
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# office, its code, the names of its caseworker and supervisor (they work in
# Arabic, and are named as their colleagues would write them)
OFFICE_USERS = [
    ('mosul', 'MSL', 'رنا يونس الحيالي', 'عمر خليل الجبوري'),
    ('hamdaniya', 'HMD', 'مريم حنا بطرس', 'يوسف متي داود'),
    ('sinjar', 'SNJ', 'نوفا خلف حسن', 'حسين قاسم خديدا'),
    ('talafar', 'TLF', 'زينب عباس البياتي', 'مصطفى حيدر التركماني'),
    ]


def demo_users():
    "The demo accounts: a caseworker and a supervisor per office, and more"
    users = []
    for prefix, code, caseworker, supervisor in OFFICE_USERS:
        users.append({
                'login': '%s.caseworker' % prefix, 'name': caseworker,
                'role': 'caseworker', 'groups': ['group_caseworker'],
                'offices': [code], 'supervised': [], 'language': 'ar'})
        users.append({
                'login': '%s.supervisor' % prefix, 'name': supervisor,
                'role': 'supervisor',
                'groups': ['group_supervisor', 'group_class_sensitive',
                    'group_export'],
                'offices': [code], 'supervised': [code], 'language': 'ar'})
    users.append({
            'login': 'manager', 'name': 'سعاد عبد الله الطائي',
            'role': 'manager',
            'groups': ['group_manager', 'group_class_sensitive',
                'group_export'],
            'offices': [], 'supervised': [],
            'language': 'ar'})
    users.append({
            'login': 'administrator', 'name': 'System Administrator',
            'role': 'administrator',
            'groups': ['group_admin', 'res.group_admin'],
            'offices': [], 'supervised': [], 'language': 'en'})
    return users


def write_config(var, port, uri):
    "Write the trytond configuration for this database and return its path"
    var = Path(var).resolve()
    var.mkdir(parents=True, exist_ok=True)
    sao = Path(os.environ.get('SAO_DIR', ROOT / 'var' / 'sao')).resolve()
    conf = var / 'trytond.conf'
    conf.write_text(
        '# Written by scripts/momd_setup.py for a local, demo server.\n'
        '# Production settings live in deploy/.\n'
        '[database]\n'
        f'uri = {uri}\n'
        f'path = {var}\n'
        'language = en\n'
        '\n[web]\n'
        f'listen = 127.0.0.1:{port}\n'
        f'root = {sao}\n'
        '\n[session]\n'
        'max_age = 28800\n'
        'idle_timeout = 1800\n'
        'max_attempt = 5\n'
        'timeout = 300\n'
        '\n[password]\n'
        'length = 8\n'
        '\n[attachment]\n'
        f'path = {var / "attachments"}\n')
    return conf


def database(conf, action, db, check=True):
    "Run scripts/database.py ACTION DB on the server conf points to"
    return subprocess.run(
        [sys.executable, str(ROOT / 'scripts' / 'database.py'), action, db],
        env=dict(os.environ, TRYTOND_CONFIG=str(conf)),
        check=check).returncode


def module_hash():
    "A digest of the module's files: when it changes, the database is updated"
    digest = hashlib.sha256()
    module = ROOT / 'momd_referral'
    for path in sorted(module.rglob('*')):
        if path.is_file() and path.suffix in {
                '.py', '.xml', '.po', '.cfg', '.svg'}:
            digest.update(str(path.relative_to(module)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def update_database(conf, db):
    "Bring an existing database to the module's current models and data"
    print('Updating the database "%s" to the module...' % db, flush=True)
    subprocess.run([
            str(BIN / 'trytond-admin'), '-c', str(conf), '-d', db,
            '-u', 'momd_referral', '-l', 'ar', 'kmr'],
        env=dict(os.environ, TRYTOND_CONFIG=str(conf)), check=True)


def create_database(conf, db):
    "Create the database with momd_referral, Arabic and Kurmanji"
    database(conf, 'create', db)
    # The "admin" password set here is random: the demo password is stored
    # afterwards by seed(), which the password policy would refuse.
    with tempfile.NamedTemporaryFile('w', suffix='.pass') as passfile:
        passfile.write(secrets.token_urlsafe(24) + '\n')
        passfile.flush()
        subprocess.run([
                str(BIN / 'trytond-admin'), '-c', str(conf), '-d', db,
                '-u', 'momd_referral', '--activate-dependencies',
                '-l', 'ar', 'kmr', '--email', 'admin@example.org'],
            env=dict(os.environ, TRYTOND_CONFIG=str(conf),
                TRYTONPASSFILE=passfile.name),
            check=True)


def seed(conf, db, admin_password, demo_password):
    "Add the demo users and skip the first-login configuration wizard"
    env = dict(os.environ, TRYTOND_CONFIG=str(conf))
    subprocess.run(
        [sys.executable, str(ROOT / 'scripts' / 'demo_users.py'), db],
        env=dict(env, MOMD_ADMIN_PASSWORD=admin_password,
            MOMD_DEMO_PASSWORD=demo_password),
        check=True)
    subprocess.run(
        [sys.executable, str(ROOT / 'scripts' / 'demo_data.py'), db],
        env=env, check=True)


def prepare(var, port, db, uri=None):
    "Make the database ready to serve; return the configuration path"
    uri = uri or os.environ.get('DATABASE_URI') or 'sqlite://'
    conf = write_config(var, port, uri)
    admin_password = os.environ.get('MOMD_ADMIN_PASSWORD', 'admin')
    demo_password = os.environ.get('MOMD_DEMO_PASSWORD', 'demo')
    stamp = Path(var) / ('%s.module' % db)
    if database(conf, 'exists', db, check=False):
        print('Creating the database "%s"...' % db,
            flush=True)
        create_database(conf, db)
        seed(conf, db, admin_password, demo_password)
    elif not stamp.exists() or stamp.read_text() != module_hash():
        update_database(conf, db)
    stamp.write_text(module_hash())
    return conf


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(db, uri=None, var=None, email_uri=None, backup_to=None):
    """Prepare db in a fresh folder, serve it on a free port and yield the
    URL; the server stops (and a PostgreSQL database is dropped) after.
    The server sends its e-mails to email_uri (smtp://host:port) if given.
    With backup_to (PostgreSQL), the database as prepared is backed up
    there (scripts/backup.sh) before it is served."""
    var = Path(var or tempfile.mkdtemp(prefix='momd-server-'))
    port = free_port()
    conf = prepare(var, port, db, uri=uri)
    env = dict(os.environ)
    if backup_to and uri:
        subprocess.run([sys.executable, str(ROOT / 'scripts' / 'backup.py'),
                'backup', db, str(backup_to)],
            env=dict(env, TRYTOND_CONFIG=str(conf)), check=True,
            stdout=subprocess.DEVNULL)
    if email_uri:
        env['TRYTOND_EMAIL__URI'] = email_uri
    with open(var / 'server.log', 'wb') as log:
        process = subprocess.Popen(
            [str(BIN / 'trytond'), '-c', str(conf), '-d', db],
            stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(
                        ('127.0.0.1', port), timeout=1).close()
                    break
                except OSError:
                    if (process.poll() is not None
                            or time.monotonic() > deadline):
                        raise RuntimeError('server did not start:\n'
                            + (var / 'server.log').read_text()[-3000:])
                    time.sleep(0.2)
            yield 'http://127.0.0.1:%s' % port
        finally:
            process.terminate()
            process.wait(timeout=30)
    if uri:
        database(conf, 'drop', db)


def describe(port, db):
    admin_password = os.environ.get('MOMD_ADMIN_PASSWORD', 'admin')
    demo_password = os.environ.get('MOMD_DEMO_PASSWORD', 'demo')
    lines = [
        '',
        'momd_referral is served at http://127.0.0.1:%s/ (database "%s")'
        % (port, db),
        '',
        '  %-22s %-14s %s' % ('login', 'password', 'role'),
        '  %-22s %-14s %s' % ('admin', admin_password, 'Tryton superuser'),
        ]
    for user in demo_users():
        lines.append('  %-22s %-14s %s' % (
                user['login'], demo_password, user['role']
                + (' (%s)' % ', '.join(user['offices'])
                    if user['offices'] else '')))
    sys.path.insert(0, str(ROOT / 'scripts'))
    from demo_providers import FOCAL_POINTS
    for login, provider in FOCAL_POINTS.items():
        lines.append('  %-22s %-14s %s' % (
                login, demo_password, 'provider focal point (%s)' % provider))
    lines.append('')
    print('\n'.join(lines), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--var', default=str(ROOT / 'var'))
    parser.add_argument('--port', default=os.environ.get('PORT', '8000'))
    parser.add_argument('--db', default=os.environ.get('DB', 'momd'))
    args = parser.parse_args()
    prepare(args.var, args.port, args.db)
    describe(args.port, args.db)


if __name__ == '__main__':
    main()
