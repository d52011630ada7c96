#!/usr/bin/env bash
# Builds STAC Browser from npm once into .cache/stac-browser/dist (the package ships no build).
# The dependency tree is pinned by tests/browser/stac-browser/package-lock.json; a dist built from
# the same version and lock file is reused. Needs node and npm (`.ci/run` installs them).
set -euo pipefail
VERSION=4.0.1
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=$(cd "$HERE/../.." && pwd)/.cache/stac-browser
LOCK=$HERE/stac-browser/package-lock.json
WANT="$VERSION $(sha256sum "$LOCK" | cut -d' ' -f1)"

if [[ -f $CACHE/dist/.built-from && $(cat "$CACHE/dist/.built-from") == "$WANT" ]]; then
    echo "STAC Browser $VERSION is built in $CACHE/dist"
    exit 0
fi
rm -rf "$CACHE"
mkdir -p "$CACHE/src"
cd "$CACHE"
npm pack --silent "@radiantearth/stac-browser@$VERSION" >/dev/null
tar xzf "radiantearth-stac-browser-$VERSION.tgz" -C src --strip-components=1
rm "radiantearth-stac-browser-$VERSION.tgz"
cd src
# ol-stac 1.6 breaks this build; the lock file was made with this pin.
npm pkg set dependencies.ol-stac=1.4.0
cp "$LOCK" package-lock.json
# Runtime configuration: the page loads /config.js, which the test server writes per catalog.
sed -i 's|<!-- \(<script defer="defer" src="/config.js"></script>\) -->|\1|' public/index.html
grep -q '^ *<script defer="defer" src="/config.js"></script>' public/index.html
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
npx vue-cli-service build --dest "$CACHE/dist" --historyMode=hash --noSourceMaps
echo "$WANT" >"$CACHE/dist/.built-from"
rm -rf "$CACHE/src"
echo "STAC Browser $VERSION built in $CACHE/dist"
