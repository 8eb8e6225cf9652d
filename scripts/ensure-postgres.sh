#!/usr/bin/env bash
# Makes sure the local PostgreSQL answers at 127.0.0.1:5432 (starting Debian's cluster if needed)
# and prints a URL for TEST_DATABASE_URL. Usage: export TEST_DATABASE_URL=$(scripts/ensure-postgres.sh)
set -euo pipefail

HOST=127.0.0.1
PORT=5432
URL="postgres://postgres@${HOST}:${PORT}/postgres"

ready() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$HOST" -p "$PORT"
  else
    (exec 3<>"/dev/tcp/${HOST}/${PORT}") 2>/dev/null
  fi
}

if ! ready; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    echo "ensure-postgres: no cluster under /etc/postgresql; install postgresql first" >&2
    exit 1
  fi
  echo "ensure-postgres: starting PostgreSQL ${version}/main" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
  for _ in $(seq 1 60); do
    ready && break
    sleep 0.5
  done
  if ! ready; then
    echo "ensure-postgres: PostgreSQL did not come up at ${HOST}:${PORT} within 30 s" >&2
    exit 1
  fi
fi

echo "$URL"
