#!/bin/sh
# Installs Lighthouse for the blog's audit into node_modules here: `npm ci` takes exactly the
# versions in package-lock.json and checks each download against its integrity hash. npm runs only
# when node_modules is missing or the lock changed since the last install (a stamp holds the
# lock's sha256), so later runs need neither the network nor npm. Nothing is installed globally;
# no package script runs. Prints the path of Lighthouse's command line script.
set -eu
cd "$(dirname "$0")"
stamp=node_modules/.kodiak-lock-sha256
cli=node_modules/lighthouse/cli/index.js
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -f "$cli" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "benchmarks/lighthouse: npm is not installed; it fetches Lighthouse for the blog's" \
      "audit. Install Node.js 20 and npm (tools/install-debian-packages.sh does), then run" \
      "again." >&2
    exit 1
  fi
  echo "benchmarks/lighthouse: npm ci (Lighthouse, pinned by package-lock.json)" >&2
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi
echo "$PWD/$cli"
