"Run a benchmark's inner part in a child process with its own test database."
import json
import os
import subprocess
import sys


def run_child(path, name, keep=False):
    """Run path as a script on a fresh test database (SQLite in memory, or
    a PostgreSQL database named after name when BENCH_DATABASE_URI is set;
    with keep, the database named name, kept from one run to the next);
    return the JSON it printed last"""
    env = dict(os.environ)
    if env.get('BENCH_DATABASE_URI'):
        env['TRYTOND_DATABASE_URI'] = env['BENCH_DATABASE_URI']
        env['DB_NAME'] = name if keep else '%s_%d' % (name, os.getpid())
    else:
        env['DB_NAME'] = ':memory:'
    env.pop('DB_CACHE', None)
    output = subprocess.run(
        [sys.executable, path], env=env, check=True,
        stdout=subprocess.PIPE, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def numbers(backend_name, count):
    """SQL giving the rows x = 1..count: the WITH clause to put before the
    statement and the item to select from"""
    if backend_name == 'sqlite':
        return ('WITH RECURSIVE series(x) AS (SELECT 1 UNION ALL '
            'SELECT x + 1 FROM series WHERE x < %d) ' % count, 'series')
    return '', 'generate_series(1, %d) AS series(x)' % count
