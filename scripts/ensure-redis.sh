#!/usr/bin/env bash
# Makes sure a local Redis answers at 127.0.0.1:6379 (starting one without persistence if needed)
# and prints a URL for TEST_REDIS_URL. Usage: export TEST_REDIS_URL=$(scripts/ensure-redis.sh)
# Tests use their own key prefixes on it; the ones that kill Redis start a private redis-server.
set -euo pipefail

HOST=127.0.0.1
PORT=6379
URL="redis://${HOST}:${PORT}"

ready() {
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null)" = "PONG" ]
  else
    (exec 3<>"/dev/tcp/${HOST}/${PORT}") 2>/dev/null
  fi
}

if ! ready; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "ensure-redis: redis-server is not installed; install redis-server first" >&2
    exit 1
  fi
  echo "ensure-redis: starting redis-server on ${HOST}:${PORT}" >&2
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >&2
  for _ in $(seq 1 60); do
    ready && break
    sleep 0.5
  done
  if ! ready; then
    echo "ensure-redis: Redis did not come up at ${HOST}:${PORT} within 30 s (see /var/log/redis/ci.log)" >&2
    exit 1
  fi
fi

echo "$URL"
