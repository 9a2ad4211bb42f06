#!/usr/bin/env bash
# Vendor Apache ECharts for the supervisor wallboard, so the page works offline (no CDN).
# Writes hotline/wallboard/static/wallboard/vendor/echarts.min.js, ECHARTS-LICENSE, ECHARTS-NOTICE (when
# the package has one), the licences of the code ECharts embeds (ECHARTS-LICENSE-d3, …) and of zrender,
# its renderer bundled into echarts.min.js (ZRENDER-LICENSE), and prints the version vendored.
# Commit the files.
# Usage: scripts/vendor_echarts.sh [npm spec]   (default: echarts@6)
# Needs node/npm and access to the npm registry.
set -euo pipefail

cd "$(dirname "$0")/.."
SPEC=${1:-echarts@6}
OUT=hotline/wallboard/static/wallboard/vendor

command -v npm >/dev/null || { echo "vendor_echarts.sh: npm is missing" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# npm pack downloads the published tarball only: no install scripts run, no dependencies fetched.
TARBALL=$(cd "$WORK" && npm pack --silent "$SPEC" | tail -n 1)
tar -xzf "$WORK/$TARBALL" -C "$WORK"
PKG="$WORK/package"

if [[ ! -f "$PKG/dist/echarts.min.js" ]]; then
    echo "vendor_echarts.sh: $SPEC has no dist/echarts.min.js" >&2
    exit 1
fi
VERSION=$(node -p 'require(process.argv[1]).version' "$PKG/package.json")
ZRENDER=$(node -p 'require(process.argv[1]).dependencies.zrender' "$PKG/package.json")
ZTARBALL=$(cd "$WORK" && npm pack --silent "zrender@$ZRENDER" | tail -n 1)
mkdir -p "$WORK/zrender"
tar -xzf "$WORK/$ZTARBALL" -C "$WORK/zrender"

mkdir -p "$OUT"
rm -f "$OUT"/ECHARTS-LICENSE-*
cp "$PKG/dist/echarts.min.js" "$OUT/echarts.min.js"
for extra in "$PKG"/licenses/LICENSE-*; do
    if [[ -e "$extra" ]]; then cp "$extra" "$OUT/ECHARTS-$(basename "$extra")"; fi
done
cp "$WORK/zrender/package/LICENSE" "$OUT/ZRENDER-LICENSE"
cp "$PKG/LICENSE" "$OUT/ECHARTS-LICENSE"
if [[ -f "$PKG/NOTICE" ]]; then
    cp "$PKG/NOTICE" "$OUT/ECHARTS-NOTICE"
else
    rm -f "$OUT/ECHARTS-NOTICE"
fi
echo "echarts $VERSION (zrender $ZRENDER) -> $OUT"
