#!/usr/bin/env bash
# The one test command (npm test, and CI through .ci/run): sets up what the tests need, then
# runs the type check, lint, format check and the whole test suite, on PGlite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_NATIVE_REQUIRED=1 bash scripts/setup.sh
# Docker Compose validates compose.yaml in test/deploy.
bash scripts/setup-debian.sh deploy
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-$(bash scripts/ensure-postgres.sh)}"
if [ -f scripts/ensure-redis.sh ]; then export TEST_REDIS_URL="${TEST_REDIS_URL:-$(bash scripts/ensure-redis.sh)}"; fi

echo "== typecheck";    npx tsc -p tsconfig.json --noEmit && npx tsc -p web/tsconfig.json
echo "== lint";         npx eslint . --max-warnings 0
echo "== format";       npx prettier --check . --log-level warn
echo "== browser";      bash scripts/install-browser.sh && node scripts/build-web.mjs
if [ $# -gt 0 ]; then
  echo "== tests";      npx vitest run "$@"
else
  echo "== tests";      npx vitest run --exclude 'test/e2e/**' --exclude 'test/faults/**'
  # Whole calls run in real time: one file at a time, so other suites' CPU does not skew call timing.
  # The fault tests too: each restarts a private Redis or PostgreSQL under a call in progress.
  echo "== end-to-end calls and faults"; npx vitest run test/e2e test/faults --no-file-parallelism
fi
