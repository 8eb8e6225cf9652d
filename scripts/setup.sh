#!/usr/bin/env bash
# Sets Switchboard up on a fresh Debian/Ubuntu machine with Node 20: system packages for offline
# speech, npm packages, the native speech addon and the TypeScript build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

if [ -f scripts/setup-debian.sh ]; then bash scripts/setup-debian.sh; fi

# npm ci only when the installed tree is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run --silent build
fi

if [ -f scripts/build-native.sh ]; then bash scripts/build-native.sh; fi
echo "setup: done"
