#!/usr/bin/env python3
"""Back up a momd_referral database and its attachment store, and restore
such a backup into a new database, checking that nothing was lost.

    TRYTOND_CONFIG=/etc/momd/trytond.conf scripts/backup.sh DB DIR
    TRYTOND_CONFIG=/etc/momd/trytond.conf scripts/restore.sh BACKUP NEWDB

The backup is a folder DIR/DB-<UTC time> holding the database in pg_dump's
custom format (database.dump), the attachment store of the database as a
tar archive (filestore.tar: the files under [database] path/DB) and
manifest.json: the SHA-256 of both files, the number of rows of every
table and a checksum of the store's files, all taken from one snapshot of
the database (pg_dump runs on the snapshot the counts are read in).

The restore checks the files against the manifest, creates NEWDB (which
must not exist), restores the dump into it and the store under
[database] path/NEWDB, then counts the rows of every table and sums the
store again: it prints each difference and exits 1 if there is one, 0 when
every table and the store are equal.

The database server and the store come from trytond.conf ([database] uri
and path), or from TRYTOND_DATABASE__URI and TRYTOND_DATABASE__PATH.
"""
import configparser
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg
from psycopg import sql

CHUNK = 1 << 20


def settings():
    "(server URI ending with /, store root) from trytond.conf or the env"
    parser = configparser.ConfigParser(interpolation=None)
    if os.environ.get('TRYTOND_CONFIG'):
        parser.read(os.environ['TRYTOND_CONFIG'])
    uri = os.environ.get('TRYTOND_DATABASE__URI') or parser.get(
        'database', 'uri', fallback='')
    path = os.environ.get('TRYTOND_DATABASE__PATH') or parser.get(
        'database', 'path', fallback='')
    if not uri.startswith('postgresql'):
        sys.exit('backup: [database] uri must name a PostgreSQL server')
    if not path:
        sys.exit('backup: [database] path (the attachment store) is not set')
    return uri.rstrip('/') + '/', Path(path)


def file_digest(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for chunk in iter(lambda: file.read(CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def store_checksum(root):
    """(files, SHA-256) of the store's files: of their paths and contents,
    in the order of their paths"""
    digest = hashlib.sha256()
    files = 0
    if root.is_dir():
        for path in sorted(p for p in root.rglob('*') if p.is_file()):
            digest.update(str(path.relative_to(root)).encode() + b'\0')
            digest.update(file_digest(path).encode() + b'\n')
            files += 1
    return files, digest.hexdigest()


def row_counts(connection):
    "{table: rows} of every table of the public schema"
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables "
            "WHERE schemaname = 'public' ORDER BY tablename")
        tables = [t for t, in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(sql.SQL('SELECT COUNT(*) FROM {}').format(
                    sql.Identifier(table)))
            counts[table], = cursor.fetchone()
    return counts


def backup(db, into):
    uri, store = settings()
    folder = Path(into) / ('%s-%s' % (
            db, dt.datetime.now(dt.timezone.utc).strftime('%Y%m%dT%H%M%SZ')))
    folder.mkdir(parents=True)
    dump, archive = folder / 'database.dump', folder / 'filestore.tar'
    # the counts and the dump of one snapshot: the transaction that
    # exports it stays open while pg_dump reads it
    with psycopg.connect(uri + db) as connection:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with connection.cursor() as cursor:
            cursor.execute('SELECT pg_export_snapshot()')
            snapshot, = cursor.fetchone()
        subprocess.run(['pg_dump', '--format=custom', '--no-owner',
                '--snapshot=' + snapshot, '--file', str(dump), uri + db],
            check=True)
        counts = row_counts(connection)
    with tarfile.open(archive, 'w') as tar:
        if (store / db).is_dir():
            tar.add(store / db, arcname='.')
    files, checksum = store_checksum(store / db)
    manifest = {
        'database': db,
        'made': dt.datetime.now(dt.timezone.utc).isoformat(),
        'dump_sha256': file_digest(dump),
        'filestore_sha256': file_digest(archive),
        'store_files': files,
        'store_checksum': checksum,
        'rows': counts,
        }
    (folder / 'manifest.json').write_text(json.dumps(manifest, indent=1))
    print('backup of "%s": %s (%d tables, %d rows, %d files in the store)' % (
            db, folder, len(counts), sum(counts.values()), files))
    return folder


def restore(folder, db):
    uri, store = settings()
    folder = Path(folder)
    manifest = json.loads((folder / 'manifest.json').read_text())
    dump, archive = folder / 'database.dump', folder / 'filestore.tar'
    for path, key in [(dump, 'dump_sha256'), (archive, 'filestore_sha256')]:
        if file_digest(path) != manifest[key]:
            sys.exit('restore: %s is not the file the backup made '
                '(its SHA-256 differs)' % path.name)
    target = store / db
    if target.exists():
        sys.exit('restore: the store %s already exists' % target)
    with psycopg.connect(uri + 'postgres', autocommit=True) as connection:
        connection.execute(sql.SQL('CREATE DATABASE {}').format(
                sql.Identifier(db)))
    subprocess.run(['pg_restore', '--no-owner', '--exit-on-error',
            '--dbname', uri + db, str(dump)], check=True)
    target.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter='data')
    with psycopg.connect(uri + db) as connection:
        counts = row_counts(connection)
    files, checksum = store_checksum(target)
    differences = ['table %s: %s rows backed up, %s restored' % (
            table, manifest['rows'].get(table), counts.get(table))
        for table in sorted(set(counts) | set(manifest['rows']))
        if counts.get(table) != manifest['rows'].get(table)]
    if (files, checksum) != (manifest['store_files'],
            manifest['store_checksum']):
        differences.append('attachment store: %s files backed up, %s '
            'restored, or their contents differ' % (
                manifest['store_files'], files))
    for difference in differences:
        print('restore: ' + difference, file=sys.stderr)
    if differences:
        return 1
    print('restored "%s" into "%s": %d tables and %d rows equal, the store '
        'equal (%d files)' % (manifest['database'], db, len(counts),
            sum(counts.values()), files))
    return 0


def main(argv):
    if len(argv) != 3 or argv[0] not in {'backup', 'restore'}:
        sys.exit(__doc__)
    if argv[0] == 'backup':
        backup(*argv[1:])
        return 0
    return restore(*argv[1:])


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
