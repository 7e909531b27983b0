#!/usr/bin/env python3
"""Database-server operations, on the server that the configuration named by
TRYTOND_CONFIG points to (PostgreSQL, or the SQLite folder):

    python scripts/database.py exists DB   exit 0 when DB is a Tryton database
    python scripts/database.py create DB   create DB, empty, if missing
    python scripts/database.py drop DB     drop DB
"""
import os
import sys

from trytond import backend
from trytond import config


def exists(db):
    if backend.name == 'sqlite':
        path = os.path.join(config.get('database', 'path'), db + '.sqlite')
        if not os.path.exists(path):
            return False
    else:
        server = backend.Database()
        server.connect()
        if db not in server.list():
            return False
    return backend.Database(db).connect().test()


def main(action, db):
    if action == 'exists':
        return 0 if exists(db) else 1
    server = backend.Database()
    server.connect()
    connection = server.get_connection(autocommit=True)
    try:
        if action == 'create':
            if not exists(db):
                server.create(connection, db)
        elif action == 'drop':
            server.drop(connection, db)
        else:
            raise SystemExit(__doc__)
    finally:
        server.put_connection(connection)
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:3]))
