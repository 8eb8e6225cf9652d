#!/usr/bin/env bash
# Sets Switchboard up on a fresh Debian/Ubuntu machine with Node 20: system packages for offline
# speech, npm packages, the native speech addon and the TypeScript build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*"; }
step_start=$SECONDS
took() { echo "setup: ... done in $((SECONDS - step_start)) s"; step_start=$SECONDS; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

if [ -f scripts/setup-debian.sh ]; then
  say "checking the Debian packages for offline speech (an install takes a few minutes the first time)"
  bash scripts/setup-debian.sh speech
  took
fi

# npm ci only when the installed tree is missing or older than the lock file; its prepare step builds.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci) and building TypeScript into dist/ (a few minutes the first time)"
  npm ci --no-audit --no-fund
else
  say "npm packages are up to date; building TypeScript into dist/"
  npm run --silent build
fi
took

if [ -f scripts/build-native.sh ]; then
  say "building the native speech recognizer (PocketSphinx addon) if needed"
  bash scripts/build-native.sh
  took
fi
say "done. Start it with: npm start   (then, in another terminal: bin/switchboard.js call --say \"Are you open on Saturday?\")"
