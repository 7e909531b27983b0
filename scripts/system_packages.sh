#!/bin/sh
# Install the Debian packages momd_referral needs.
#   sh scripts/system_packages.sh run   what the server needs: the Noto
#       fonts that render Arabic and the Pango libraries WeasyPrint draws
#       the PDF reports with
#   sh scripts/system_packages.sh       and what the tests need besides:
#       PostgreSQL (server and contrib extensions), Chromium,
#       poppler-utils (pdftotext, pdftoppm) that reads the PDFs back and
#       faketime (libfaketime) that runs the date-sensitive tests on other
#       days than today, nginx and openssl for the check of the whole
#       production stack on one machine (deploy/run-local.sh)
set -eu
missing=""
for package in fonts-noto-core libpango-1.0-0 libpangoft2-1.0-0; do
    dpkg -s $package >/dev/null 2>&1 || missing="$missing $package"
done
if [ "${1:-test}" != run ]; then
    [ -x /usr/bin/chromium ] || missing="$missing chromium"
    dpkg -s poppler-utils >/dev/null 2>&1 || missing="$missing poppler-utils"
    dpkg -s faketime >/dev/null 2>&1 || missing="$missing faketime"
    [ -x /usr/sbin/nginx ] || missing="$missing nginx"
    command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        missing="$missing postgresql postgresql-contrib"
    fi
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
