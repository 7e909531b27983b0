"""The backup and restore drill: the test server's database, with a file
attached, is backed up by scripts/backup.sh and restored by
scripts/restore.sh into a new database; every table has the same rows and
the attachment store the same files. A backup whose file was damaged is
refused."""
import base64
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import conftest
from conftest import DB

ROOT = Path(__file__).resolve().parent.parent
RESTORED = 'momd_restore_drill'


def run(script, *args, env):
    return subprocess.run([str(ROOT / 'scripts' / script), *args],
        env=env, capture_output=True, text=True, timeout=600)


def tables(connection):
    "{table: rows} of the public schema"
    cursor = connection.cursor()
    cursor.execute("SELECT tablename FROM pg_tables "
        "WHERE schemaname = 'public' ORDER BY tablename")
    counts = {}
    for table, in cursor.fetchall():
        cursor.execute('SELECT COUNT(*) FROM "%s"' % table)
        counts[table], = cursor.fetchone()
    return counts


def files(root):
    "{relative path: SHA-256} of the files under root"
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes())
        .hexdigest() for p in root.rglob('*') if p.is_file()}


def test_backup_restore_drill(server, login, tmp_path):
    import psycopg
    uri, var = conftest._SERVERS[server]
    if not uri:
        pytest.skip('the backup is of a PostgreSQL database '
            '(MOMD_TEST_DATABASE_URI)')
    admin = login('admin')
    person, = admin.model('momd.beneficiary', 'search', [], 0, 1, None)
    content = 'سند ملكية — house deed, Hay Al-Tanak'.encode()
    admin.model('ir.attachment', 'create', [{
                'resource': 'momd.beneficiary,%d' % person,
                'name': 'deed.txt', 'data': {'__class__': 'bytes',
                    'base64': base64.b64encode(content).decode()}}])
    store = Path(var) / DB
    assert any(p.read_bytes() == content
        for p in store.rglob('*') if p.is_file())
    env = {**os.environ, 'TRYTOND_CONFIG': str(Path(var) / 'trytond.conf')}

    made = run('backup.sh', DB, str(tmp_path), env=env)
    assert made.returncode == 0, made.stderr
    backup, = [p for p in tmp_path.iterdir() if p.is_dir()]
    try:
        restored = run('restore.sh', str(backup), RESTORED, env=env)
        assert restored.returncode == 0, restored.stderr
        assert 'equal' in restored.stdout
        # compared again here, not by the script's own sums
        with psycopg.connect(uri.rstrip('/') + '/' + DB) as source, \
                psycopg.connect(uri.rstrip('/') + '/' + RESTORED) as copy:
            before, after = tables(source), tables(copy)
        assert after == before
        assert before['momd_beneficiary'] > 0
        assert files(Path(var) / RESTORED) == files(store)

        # a damaged archive is refused before anything is restored
        damaged = tmp_path / 'damaged'
        shutil.copytree(backup, damaged)
        with open(damaged / 'filestore.tar', 'r+b') as archive:
            archive.seek(600)
            archive.write(b'X')
        refused = run('restore.sh', str(damaged), RESTORED + '_2', env=env)
        assert refused.returncode != 0
        assert 'filestore.tar' in refused.stderr
        assert not (Path(var) / (RESTORED + '_2')).exists()
    finally:
        with psycopg.connect(uri.rstrip('/') + '/postgres',
                autocommit=True) as connection:
            connection.execute('DROP DATABASE IF EXISTS %s' % RESTORED)
        shutil.rmtree(Path(var) / RESTORED, ignore_errors=True)
