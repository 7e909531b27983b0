#!/bin/sh
# Install the Tryton web client (sao) from npm into $1 (default var/sao):
# the prebuilt package plus its runtime dependencies, and the Arabic
# translation of its labels.
set -eu
VERSION="${SAO_VERSION:-8.0.11}"
DEST="${1:-var/sao}"
HERE="$(cd "$(dirname "$0")" && pwd)"

overlay() {
    # our additions: the Arabic translation of sao's labels
    cp -r "$HERE/../sao/." "$DEST/"
}

if [ -f "$DEST/.installed-$VERSION" ]; then
    overlay
    exit 0
fi
command -v npm >/dev/null 2>&1 || {
    echo "npm is needed to install the web client (apt-get install npm)" >&2
    exit 1
}
rm -rf "$DEST"
mkdir -p "$DEST"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "tryton-sao@$VERSION" >/dev/null)
tar -xzf "$TMP"/tryton-sao-*.tgz -C "$DEST" --strip-components=1
(cd "$DEST" && npm install --silent --omit=dev --legacy-peer-deps \
    --no-audit --no-fund >/dev/null 2>&1)
touch "$DEST/custom.js" "$DEST/custom.css"
overlay
touch "$DEST/.installed-$VERSION"
echo "sao $VERSION installed in $DEST"
