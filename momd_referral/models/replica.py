"""The statistics and dashboards read from a streaming replica of the
database, when one is configured, so that a manager's report over years of
referrals does not take the primary's processors from the field staff.

trytond 8.0 has no setting for replicas: with `[momd] replica_uri`
(postgresql://user@replica-host:5432/, the database of the same name is
used) the module opens read-only connections of its own, a pool per
process. The replica is not used, and the query runs on the primary as
without it, when it cannot be reached or when it lags more than
`[momd] replica_max_lag` seconds (30 by default) behind: a report does not
show old figures without saying so.
"""
import contextlib
import logging
import os
import threading
import time

from trytond import backend
from trytond.config import config
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)

# (process, database, replica) -> its pool of connections to the replica
_pools = {}
_lock = threading.Lock()
# database -> when to try a replica that could not be reached again
_retry_at = {}
RETRY_AFTER = 60
# how long a report waits for a connection to the replica
CONNECT_TIMEOUT = 5


def replica_uri():
    return config.get('momd', 'replica_uri', default=None) or None


def max_lag():
    return config.getfloat('momd', 'replica_max_lag', default=30)


def _pool(name, uri):
    from psycopg.conninfo import make_conninfo
    from psycopg_pool import ConnectionPool
    key = (os.getpid(), name, uri)
    pool = _pools.get(key)
    if pool is None:
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                parsed = config.parse_uri(uri)
                conninfo = make_conninfo(
                    parsed._replace(scheme='postgresql', path='/' + name
                        ).geturl(),
                    application_name='trytond-replica',
                    connect_timeout=CONNECT_TIMEOUT,
                    options='-c default_transaction_read_only=on')
                pool = ConnectionPool(conninfo, min_size=0,
                    max_size=config.getint('database', 'maxconn', default=64),
                    kwargs={'autocommit': True}, open=True,
                    check=ConnectionPool.check_connection)
                _pools[key] = pool
    return pool


def close_pools(name=None):
    "Close the pools of this process to the replica (of the database name)"
    with _lock:
        for key in list(_pools):
            if key[0] == os.getpid() and name in {None, key[1]}:
                _pools.pop(key).close()


def lag(cursor):
    """Seconds the replica's data is behind the primary's: 0 when it has
    replayed all it received, else since its last replayed change"""
    cursor.execute("SELECT CASE "
        "WHEN NOT pg_is_in_recovery() THEN 0 "
        "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
        "ELSE COALESCE(EXTRACT(EPOCH FROM "
        "NOW() - pg_last_xact_replay_timestamp()), 0) END")
    return float(cursor.fetchone()[0])


@contextlib.contextmanager
def reporting_cursor():
    """A cursor for a report's read-only queries: on the replica when one is
    configured, reachable and recent enough; else on the transaction's
    connection"""
    transaction = Transaction()
    uri = replica_uri()
    name = transaction.database.name
    if (not uri or backend.name != 'postgresql'
            or _retry_at.get(name, 0) > time.monotonic()):
        yield transaction.connection.cursor()
        return
    import psycopg
    from psycopg_pool import PoolTimeout
    pool = _pool(name, uri)
    connection = None
    try:
        connection = pool.getconn(timeout=CONNECT_TIMEOUT)
        cursor = connection.cursor()
        behind = lag(cursor)
    except (psycopg.Error, PoolTimeout):
        logger.warning('replica of "%s" not reachable', name, exc_info=True)
        _retry_at[name] = time.monotonic() + RETRY_AFTER
        if connection is not None:
            pool.putconn(connection)
        # made again when tried again, not reconnecting meanwhile
        close_pools(name)
        yield transaction.connection.cursor()
        return
    try:
        if behind > max_lag():
            logger.info('replica of "%s" is %.0f s behind: the primary '
                'answers', name, behind)
            yield transaction.connection.cursor()
        else:
            yield cursor
    finally:
        pool.putconn(connection)
