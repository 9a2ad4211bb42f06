#!/usr/bin/env bash
# Vendor Swagger UI for the API's docs page (/api/docs), so it works offline (no CDN).
# Writes hotline/core/static/api/vendor/swagger-ui-bundle.js, swagger-ui.css, the licence texts
# (SWAGGER-UI-LICENSE, SWAGGER-UI-NOTICE, swagger-ui-bundle.js.LICENSE.txt for the code the bundle embeds)
# and prints the version vendored. Commit the files.
# Usage: scripts/vendor_swagger.sh [npm spec]   (default: swagger-ui-dist@5)
# Needs node/npm and access to the npm registry.
set -euo pipefail

cd "$(dirname "$0")/.."
SPEC=${1:-swagger-ui-dist@5}
OUT=hotline/core/static/api/vendor

command -v npm >/dev/null || { echo "vendor_swagger.sh: npm is missing" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# npm pack downloads the published tarball only: no install scripts run (swagger-ui-dist's dependency
# @scarf/scarf is an install-time analytics hook, and is never fetched), no dependencies fetched.
TARBALL=$(cd "$WORK" && npm pack --silent "$SPEC" | tail -n 1)
tar -xzf "$WORK/$TARBALL" -C "$WORK"
PKG="$WORK/package"

for needed in swagger-ui-bundle.js swagger-ui.css LICENSE; do
    if [[ ! -f "$PKG/$needed" ]]; then
        echo "vendor_swagger.sh: $SPEC has no $needed" >&2
        exit 1
    fi
done
VERSION=$(node -p 'require(process.argv[1]).version' "$PKG/package.json")

mkdir -p "$OUT"
cp "$PKG/swagger-ui-bundle.js" "$OUT/swagger-ui-bundle.js"
# The source map is not shipped, so the stylesheet's pointer to it would only ask for a missing file.
sed -e '/sourceMappingURL=/d' "$PKG/swagger-ui.css" > "$OUT/swagger-ui.css"
cp "$PKG/LICENSE" "$OUT/SWAGGER-UI-LICENSE"
if [[ -f "$PKG/swagger-ui-bundle.js.LICENSE.txt" ]]; then
    cp "$PKG/swagger-ui-bundle.js.LICENSE.txt" "$OUT/swagger-ui-bundle.js.LICENSE.txt"
else
    rm -f "$OUT/swagger-ui-bundle.js.LICENSE.txt"
fi
if [[ -f "$PKG/NOTICE" ]]; then
    cp "$PKG/NOTICE" "$OUT/SWAGGER-UI-NOTICE"
else
    rm -f "$OUT/SWAGGER-UI-NOTICE"
fi
echo "swagger-ui-dist $VERSION -> $OUT"
