#!/bin/sh
# Fetch the real n8n node descriptions (dist/types/nodes.json of n8n-nodes-base) into a cache, so
# generated workflows can be checked against real node types, versions and required parameters.
# Only `npm pack` (no install, no scripts); only that one file is extracted.
# Usage: fetch_node_types.sh [cache_dir]   (default: <checkout>/.cache/n8n)
set -eu
VERSION="${N8N_NODES_BASE_VERSION:-2.41.2}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
CACHE="${1:-$ROOT/.cache/n8n}"
OUT="$CACHE/nodes.json"
if [ -s "$OUT" ] && [ -s "$CACHE/VERSION" ] && [ "$(cat "$CACHE/VERSION")" = "$VERSION" ]; then
    echo "n8n node types already cached: $OUT ($VERSION)"
    exit 0
fi
mkdir -p "$CACHE"
TMP="$(mktemp -d "$CACHE/pack.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
( cd "$TMP" && npm pack --silent "n8n-nodes-base@$VERSION" >/dev/null )
TARBALL="$(ls "$TMP"/n8n-nodes-base-*.tgz)"
tar -xzf "$TARBALL" -C "$TMP" package/dist/types/nodes.json
mv "$TMP/package/dist/types/nodes.json" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
printf '%s\n' "$VERSION" > "$CACHE/VERSION"
echo "n8n node types cached: $OUT ($VERSION)"
