#!/bin/sh
# Install the Debian packages the tests need: PostgreSQL (server and contrib
# extensions), Chromium and the Noto fonts that render Arabic.
set -eu
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
dpkg -s fonts-noto-core >/dev/null 2>&1 || missing="$missing fonts-noto-core"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing="$missing postgresql postgresql-contrib"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "Missing Debian packages:$missing" >&2
    echo "Install them as root: apt-get install$missing" >&2
    exit 1
fi
echo "Installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
