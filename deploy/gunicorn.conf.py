"""gunicorn settings of the momd_referral application server.

    TRYTOND_CONFIG=/etc/momd/trytond.conf TRYTOND_DATABASE_NAMES=momd \\
        gunicorn -c /etc/momd/gunicorn.conf.py trytond.application:app

Options given on the command line win over this file (deploy/run-local.sh
gives the address, the number of processes and the files of its check).
The sizing of processes against PostgreSQL's connections is explained in
deploy/README.md.
"""
import os

# nginx, on the same machine, is the only client
bind = os.environ.get('MOMD_GUNICORN_BIND', '127.0.0.1:8000')
# Each process loads all the models (about 100 MB of memory once it has
# served the demo's screens). A process serves `threads` requests at a
# time: a request that waits on the database leaves the core to another.
workers = int(os.environ.get('MOMD_GUNICORN_WORKERS', 4))
worker_class = 'gthread'
threads = int(os.environ.get('MOMD_GUNICORN_THREADS', 4))
# A gthread worker's heartbeat is kept by its main thread: this is how long
# a process may hang before it is replaced, not a limit on a request (a
# report or an export may take minutes).
timeout = 120
graceful_timeout = 60
# longer than nginx keeps an idle connection to it (keepalive_timeout of
# the upstream in deploy/nginx.conf, 60 s): else nginx may send a request
# on a connection gunicorn is closing, and the user gets a 502
keepalive = 75
# nginx sends X-Forwarded-Proto; trusted from these addresses only
forwarded_allow_ips = os.environ.get(
    'MOMD_GUNICORN_FORWARDED_ALLOW_IPS', '127.0.0.1,::1')
# gunicornc's socket (gunicorn 25.1 and later): one per instance, not the
# default one in the user's home that every instance would share
control_socket = os.environ.get(
    'MOMD_GUNICORN_CONTROL_SOCKET', '/run/momd-gunicorn/gunicorn.ctl')
accesslog = '-'
access_log_format = (
    '%({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s '
    '%(M)sms')
errorlog = '-'
