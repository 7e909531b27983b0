#!/bin/sh
# Back up a database and its attachment store: backup.sh DB DIR
# (scripts/backup.py says what is kept and checked; TRYTOND_CONFIG names
# the server's trytond.conf)
set -eu
HERE="$(dirname "$0")"
PYTHON="${PYTHON:-$HERE/../.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
exec "$PYTHON" "$HERE/backup.py" backup "$@"
