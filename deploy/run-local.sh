#!/bin/sh
# The whole production stack of momd_referral on this one machine, for a
# check before a deployment (make deploy-check) or to try it:
#
#   deploy/run-local.sh start DIR [BASE_PORT]
#   deploy/run-local.sh stop DIR
#
# start runs, each with its pid file in DIR/run and its log in DIR/log:
#
#   BASE_PORT     PostgreSQL primary (wal_level=replica)
#   BASE_PORT+1   PostgreSQL streaming replica (pg_basebackup -R, hot
#                 standby, read-only): the statistics and dashboards are
#                 read there ([momd] replica_uri)
#   BASE_PORT+2   gunicorn instance A  } trytond.application:app, behind
#   BASE_PORT+3   gunicorn instance B  } nginx as one upstream
#   BASE_PORT+4   an SMTP server that keeps what it receives in the
#                 Maildir DIR/mail
#   BASE_PORT+5   nginx, HTTP: redirects to HTTPS
#   BASE_PORT+6   nginx, HTTPS (a self-signed certificate made here)
#   and trytond-worker (the queue: e-mails...) and trytond-cron.
#
# The database (MOMD_DB, "momd") is created with the module, the demo users
# and the demo data (scripts/momd_setup.py), or restored from the backup
# MOMD_STACK_BACKUP names (a folder scripts/backup.sh made, checked as
# scripts/restore.sh checks it), the configuration written to
# DIR/trytond.conf, the ports and names to DIR/stack.env. BASE_PORT is
# 56100 unless given. MOMD_APP_WORKERS and MOMD_APP_THREADS (1 and 4) are
# the processes of each gunicorn instance and the threads of each process;
# MOMD_PYTHON the Python of the virtualenv (.venv/bin/python).
#
# stop ends every process of DIR and removes both database clusters; the
# logs stay in DIR/log.
#
# As root, PostgreSQL runs as the "postgres" user: DIR must be reachable by
# it (not under a folder only root may enter).
set -eu

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${MOMD_PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
BIN="$(dirname "$PY")"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
NGINX="${NGINX:-/usr/sbin/nginx}"

usage() {
    echo "usage: $0 start DIR [BASE_PORT] | stop DIR" >&2
    exit 2
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

say() {
    echo "run-local: $*"
}

# fail MESSAGE [LOG]: say why, show the end of the log, stop what started
fail() {
    echo "run-local: $1" >&2
    if [ -n "${2:-}" ] && [ -f "$2" ]; then
        echo "--- end of $2" >&2
        tail -n 40 "$2" >&2
    fi
    exit 1
}

# spawn NAME COMMAND...: run COMMAND in the background in a session of its
# own (it and its children are stopped together), its output in
# DIR/log/NAME.log and its pid in DIR/run/NAME.pid
spawn() {
    name="$1"
    shift
    setsid "$@" >"$DIR/log/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/run/$name.pid"
}

# alive NAME: whether the process of NAME.pid still runs
alive() {
    [ -f "$DIR/run/$1.pid" ] && kill -0 "$(cat "$DIR/run/$1.pid")" 2>/dev/null
}

# wait_http NAME URL: wait until URL answers (any HTTP status) while the
# process NAME runs, for up to 5 minutes (loading the models takes a while
# on a busy machine)
wait_http() {
    "$PY" - "$2" "$DIR/run/$1.pid" <<'EOF' \
        || fail "$1 did not start" "$DIR/log/$1.log"
import os, ssl, sys, time, urllib.error, urllib.request
url, pidfile = sys.argv[1:3]
context = ssl._create_unverified_context()
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    try:
        os.kill(int(open(pidfile).read()), 0)
    except (OSError, ValueError):
        sys.exit(1)
    try:
        urllib.request.urlopen(url, timeout=30, context=context).close()
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)
    except OSError:
        time.sleep(0.5)
sys.exit(1)
EOF
}

# The PostgreSQL settings of both clusters (a hot standby needs at least
# the primary's max_connections). Besides scripts/pg_cluster.sh's own:
# full page writes back on, as a standby replays them.
PG_OPTIONS="-c wal_level=replica -c max_wal_senders=5 -c hot_standby=on \
-c full_page_writes=on -c max_connections=200 -c jit=off"

start() {
    [ -d "$DIR/run" ] && ls "$DIR/run/"*.pid >/dev/null 2>&1 \
        && fail "$DIR already has a running stack: $0 stop $DIR first"
    [ -n "$PGBIN" ] \
        || fail "PostgreSQL is not installed (make system-packages)"
    [ -x "$NGINX" ] || fail "nginx is not installed (make system-packages)"
    [ -x "$BIN/gunicorn" ] || fail "gunicorn is not installed (make install)"
    SAO="${SAO_DIR:-$ROOT/var/sao}"
    [ -f "$SAO/index.html" ] || fail "no web client in $SAO (make sao)"
    SAO="$(cd "$SAO" && pwd)"

    mkdir -p "$DIR/log" "$DIR/run" "$DIR/filestore" "$DIR/nginx/tmp" \
        "$DIR/tls"
    DIR="$(cd "$DIR" && pwd)"
    if [ "$(id -u)" = 0 ]; then
        chmod go+x "$DIR"
        runuser -u postgres -- test -x "$DIR" || fail "the postgres user \
cannot enter $DIR: choose a folder outside of root's own ones (/tmp/...)"
    fi
    trap 'status=$?; if [ $status != 0 ]; then
        echo "run-local: start failed, stopping; logs in $DIR/log" >&2;
        stop >/dev/null 2>&1; fi' EXIT

    DB="${MOMD_DB:-momd}"
    PG_PORT=$BASE
    REPLICA_PORT=$((BASE + 1))
    APP_A_PORT=$((BASE + 2))
    APP_B_PORT=$((BASE + 3))
    SMTP_PORT=$((BASE + 4))
    HTTP_PORT=$((BASE + 5))
    HTTPS_PORT=$((BASE + 6))
    cat >"$DIR/stack.env" <<EOF
MOMD_STACK_DB=$DB
MOMD_STACK_CONFIG=$DIR/trytond.conf
MOMD_STACK_PRIMARY_URI=postgresql://postgres@127.0.0.1:$PG_PORT/
MOMD_STACK_REPLICA_URI=postgresql://postgres@127.0.0.1:$REPLICA_PORT/
MOMD_STACK_APP_A=http://127.0.0.1:$APP_A_PORT
MOMD_STACK_APP_B=http://127.0.0.1:$APP_B_PORT
MOMD_STACK_SMTP=smtp://127.0.0.1:$SMTP_PORT
MOMD_STACK_MAILDIR=$DIR/mail
MOMD_STACK_HTTP=http://127.0.0.1:$HTTP_PORT
MOMD_STACK_HTTPS=https://127.0.0.1:$HTTPS_PORT
EOF

    say "PostgreSQL primary on port $PG_PORT"
    PG_SERVER_OPTIONS="$PG_OPTIONS" sh "$ROOT/scripts/pg_cluster.sh" start \
        "$DIR/pg-primary" "$PG_PORT" || fail "the primary did not start"

    say "PostgreSQL streaming replica on port $REPLICA_PORT"
    mkdir -p "$DIR/pg-replica"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR/pg-replica"
    as_owner "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres \
        -D "$DIR/pg-replica/data" -R -X stream -c fast \
        >"$DIR/pg-replica/basebackup.log" 2>&1 \
        || fail "pg_basebackup failed" "$DIR/pg-replica/basebackup.log"
    as_owner "$PGBIN/pg_ctl" -D "$DIR/pg-replica/data" \
        -l "$DIR/pg-replica/server.log" -w \
        -o "-p $REPLICA_PORT -k $DIR/pg-replica \
-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
$PG_OPTIONS" start >/dev/null \
        || fail "the replica did not start" "$DIR/pg-replica/server.log"

    CONF="$DIR/trytond.conf"
    cat >"$CONF" <<EOF
# Written by deploy/run-local.sh for a check of the whole stack on one
# machine. deploy/README.md explains each setting.
[database]
uri = postgresql://postgres@127.0.0.1:$PG_PORT/
path = $DIR/filestore
language = en

[cache]
# each process is told of a change by the others at once (LISTEN/NOTIFY)
clean_timeout = 0

[queue]
worker = True

[email]
uri = smtp://127.0.0.1:$SMTP_PORT
from = "MoMD Referral System" <referral@momd.example>

[web]
root = $SAO
# nginx, one proxy, sets X-Forwarded-For, -Proto, -Host and -Port
num_proxies = 1

[session]
max_age = 28800
idle_timeout = 1800
timeout = 300
max_attempt = 5
max_attempt_ip_network = 300

[password]
length = 12

[momd]
audit_head_file = $DIR/audit-heads.txt
replica_uri = postgresql://postgres@127.0.0.1:$REPLICA_PORT/
replica_max_lag = 600
EOF

    if [ -n "${MOMD_STACK_BACKUP:-}" ]; then
        say "database \"$DB\": restored from $MOMD_STACK_BACKUP"
        TRYTOND_CONFIG="$CONF" PYTHON="$PY" sh "$ROOT/scripts/restore.sh" \
            "$MOMD_STACK_BACKUP" "$DB" >"$DIR/log/setup.log" 2>&1 \
            || fail "the backup could not be restored" "$DIR/log/setup.log"
    else
        say "database \"$DB\": the module, the demo users and data"
        (cd "$ROOT" && "$PY" - "$CONF" "$DB" >"$DIR/log/setup.log" 2>&1 <<'EOF'
import os
import sys
sys.path.insert(0, 'scripts')
import momd_setup
conf, db = sys.argv[1:3]
momd_setup.create_database(conf, db)
momd_setup.seed(conf, db,
    os.environ.get('MOMD_ADMIN_PASSWORD', 'admin'),
    os.environ.get('MOMD_DEMO_PASSWORD', 'demo'))
EOF
        ) || fail "the database could not be set up" "$DIR/log/setup.log"
    fi

    say "SMTP server on port $SMTP_PORT (Maildir $DIR/mail)"
    spawn smtp "$PY" -m aiosmtpd -n -u -l "127.0.0.1:$SMTP_PORT" \
        -c aiosmtpd.handlers.Mailbox "$DIR/mail"

    workers="${MOMD_APP_WORKERS:-1}"
    threads="${MOMD_APP_THREADS:-4}"
    for instance in a b; do
        if [ $instance = a ]; then port=$APP_A_PORT; else port=$APP_B_PORT; fi
        say "gunicorn $instance on port $port ($workers x $threads threads)"
        spawn "gunicorn-$instance" env TRYTOND_CONFIG="$CONF" \
            TRYTOND_DATABASE_NAMES="$DB" \
            TRYTOND_APPNAME="momd-gunicorn-$instance" \
            MOMD_GUNICORN_CONTROL_SOCKET="$DIR/run/gunicorn-$instance.ctl" \
            "$BIN/gunicorn" \
            -c "$HERE/gunicorn.conf.py" --chdir "$DIR" \
            --bind "127.0.0.1:$port" --workers "$workers" \
            --threads "$threads" \
            --access-logfile "$DIR/log/gunicorn-$instance-access.log" \
            --error-logfile "-" trytond.application:app
    done
    say "trytond-worker and trytond-cron"
    # (TRYTOND_APPNAME: who holds which connection in pg_stat_activity)
    spawn worker env TRYTOND_APPNAME=momd-worker \
        "$BIN/trytond-worker" -c "$CONF" -d "$DB" -n 1 -v
    spawn cron env TRYTOND_APPNAME=momd-cron \
        "$BIN/trytond-cron" -c "$CONF" -d "$DB" -v
    wait_http gunicorn-a "http://127.0.0.1:$APP_A_PORT/"
    wait_http gunicorn-b "http://127.0.0.1:$APP_B_PORT/"
    for name in smtp worker cron; do
        alive $name || fail "$name stopped" "$DIR/log/$name.log"
    done

    say "nginx on ports $HTTP_PORT (HTTP) and $HTTPS_PORT (HTTPS)"
    openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 30 \
        -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" \
        >"$DIR/log/openssl.log" 2>&1 \
        || fail "no certificate" "$DIR/log/openssl.log"
    sed -e '/^[[:space:]]*#/d' \
        -e "s|\${MOMD_SERVER_NAME}|localhost 127.0.0.1|" \
        -e "s|\${MOMD_PUBLIC_URL}|https://127.0.0.1:$HTTPS_PORT|" \
        -e "s|\${MOMD_HTTP_LISTEN}|127.0.0.1:$HTTP_PORT|" \
        -e "s|\${MOMD_HTTPS_LISTEN}|127.0.0.1:$HTTPS_PORT|" \
        -e "s|\${MOMD_TLS_CERTIFICATE}|$DIR/tls/cert.pem|" \
        -e "s|\${MOMD_TLS_KEY}|$DIR/tls/key.pem|" \
        -e "s|\${MOMD_APP_SERVERS}|server 127.0.0.1:$APP_A_PORT; \
server 127.0.0.1:$APP_B_PORT;|" \
        "$HERE/nginx.conf" >"$DIR/nginx/momd.conf"
    grep -q '\${MOMD_' "$DIR/nginx/momd.conf" \
        && fail "a value of deploy/nginx.conf was not filled in"
    # nginx's own settings for a server of its own in DIR: no system-wide
    # configuration is read or changed
    cat >"$DIR/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $DIR/run/nginx.pid;
error_log $DIR/log/nginx-error.log;
events {
    worker_connections 512;
}
http {
    access_log $DIR/log/nginx-access.log;
    client_body_temp_path $DIR/nginx/tmp/body;
    proxy_temp_path $DIR/nginx/tmp/proxy;
    fastcgi_temp_path $DIR/nginx/tmp/fastcgi;
    uwsgi_temp_path $DIR/nginx/tmp/uwsgi;
    scgi_temp_path $DIR/nginx/tmp/scgi;
    include $DIR/nginx/momd.conf;
}
EOF
    "$NGINX" -p "$DIR/nginx/" -c "$DIR/nginx/nginx.conf" \
        -e "$DIR/log/nginx-error.log" >"$DIR/log/nginx.log" 2>&1 \
        || fail "nginx did not start" "$DIR/log/nginx-error.log"
    [ -f "$DIR/run/nginx.pid" ] || fail "nginx did not start" \
        "$DIR/log/nginx-error.log"
    wait_http nginx "https://127.0.0.1:$HTTPS_PORT/"

    trap - EXIT
    cat <<EOF

momd_referral is served at https://127.0.0.1:$HTTPS_PORT/ (database "$DB",
self-signed certificate); the logins are those of the demo (make run).
Stop it with: $0 stop $DIR
EOF
}

# end NAME...: stop the processes of each NAME.pid and their sessions
# (gunicorn's workers, the processes of the queue and of the scheduler):
# all asked at once, then waited for; what still runs after 60 s is killed
end() {
    pids=""
    for name in "$@"; do
        pidfile="$DIR/run/$name.pid"
        [ -f "$pidfile" ] || continue
        pid="$(cat "$pidfile")"
        rm -f "$pidfile"
        if [ -n "$pid" ] && kill -TERM -"$pid" 2>/dev/null; then
            pids="$pids $pid"
        fi
    done
    i=0
    while [ -n "$pids" ]; do
        running=""
        for pid in $pids; do
            kill -0 -"$pid" 2>/dev/null && running="$running $pid"
        done
        pids="$running"
        [ -z "$pids" ] && break
        i=$((i + 1))
        if [ $i -ge 600 ]; then
            for pid in $pids; do
                kill -KILL -"$pid" 2>/dev/null || true
            done
            break
        fi
        sleep 0.1
    done
}

stop() {
    [ -d "$DIR" ] || return 0
    # nginx first: no request reaches a process that is stopping
    end nginx
    end gunicorn-a gunicorn-b worker cron smtp
    sh "$ROOT/scripts/pg_cluster.sh" stop "$DIR/pg-replica"
    sh "$ROOT/scripts/pg_cluster.sh" stop "$DIR/pg-primary"
}

[ $# -ge 2 ] || usage
DIR="$2"
case "$1" in
start)
    BASE="${3:-56100}"
    start
    ;;
stop)
    [ -d "$DIR" ] && DIR="$(cd "$DIR" && pwd)"
    stop
    ;;
*)
    usage
    ;;
esac
