#!/bin/sh
# A throwaway PostgreSQL cluster for the tests.
#   pg_cluster.sh start DIR PORT   initdb in DIR and start on 127.0.0.1:PORT
#                                  (PG_SERVER_OPTIONS: more "-c name=value")
#   pg_cluster.sh stop DIR         stop it and remove DIR
# As root the server runs as the "postgres" user.
set -eu
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$BIN" ]; then
    echo "PostgreSQL server is not installed (apt-get install postgresql)" >&2
    exit 1
fi
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
case "$1" in
start)
    DIR="$2"; PORT="$3"
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    as_owner "$BIN/initdb" -D "$DIR/data" -A trust -U postgres -E UTF8 \
        --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || {
            cat "$DIR/initdb.log" >&2; exit 1; }
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
${PG_SERVER_OPTIONS:-}" \
        start >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
    ;;
stop)
    DIR="$2"
    if [ -d "$DIR/data" ]; then
        as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null \
            2>&1 || true
    fi
    rm -rf "$DIR"
    ;;
*)
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
