#!/usr/bin/env bash
# Fan-out benchmark of live stock subscriptions: the release server on a fresh Postgres
# database with the demo catalog, and a WebSocket client (bench/fanout) on loopback.
#
#   (a) SUBSCRIBERS (1,000) stockChanged subscribers of one SKU, one inventoryAdjust at a
#       time (ROUNDS of them): time until each / the last subscriber has the change
#       (p50/p99/max), next to one subscriber; server RSS per subscriber;
#   (b) SUSTAIN_SUBSCRIBERS (100) subscribers of SUSTAIN_SKUS SKUs while one writer per
#       stock level changes stock for SUSTAIN_SECS: changes/s and messages/s delivered,
#       next to the writers alone.
# Client, server and Postgres share this machine's cores; the output says how many.
#
#   bash bench/fanout/run.sh
#   BENCH_DATABASE_URL=postgres://... SUBSCRIBERS=1000 ROUNDS=5 SUSTAIN_SECS=10 bash bench/fanout/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

ADMIN_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
DB_NAME="stockade_bench_fanout"
PORT="${PORT:-8094}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
command -v psql >/dev/null || { echo "psql is required"; exit 1; }
# 1,000 sockets on each side of loopback, plus the database pool.
ulimit -n 65536 2>/dev/null || ulimit -n 8192

# PROFILE=dev gives a quick debug-build smoke run; figures only mean something in release.
PROFILE="${PROFILE:-release}"
echo "== building the server and the client ($PROFILE)"
cargo build --profile "$PROFILE" -q -p stockade -p stockade-bench-fanout
OUT="$CARGO_TARGET_DIR/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")"

DB_URL="$(python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path='/$DB_NAME').geturl())" "$ADMIN_URL")"
psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" >/dev/null
WORK="$(mktemp -d)"
cleanup() { [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT

# No rate limit: a thousand sockets from one address is the point here.
export DATABASE_URL="$DB_URL" DATA_DIR="$WORK" LOG_FORMAT=json RUST_LOG=warn SEED_DEMO=true RATE_LIMIT_BROWSE_PER_MINUTE=0 \
  JWT_SECRET="bench-fanout-secret-bench-fanout-secret"
"$OUT/stockade" migrate >> "$WORK/server.log" 2>&1
"$OUT/stockade" seed >> "$WORK/server.log" 2>&1
EMAIL="bench-$(date +%s)@example.com"
PASSWORD="bench fanout password $RANDOM$RANDOM"
echo "$PASSWORD" | "$OUT/stockade" create-admin --email "$EMAIL" --password-stdin >> "$WORK/server.log" 2>&1

LISTEN_ADDR="127.0.0.1:$PORT" "$OUT/stockade" serve >> "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
  kill -0 "$SERVER" 2>/dev/null || { echo "the server exited:"; cat "$WORK/server.log"; exit 1; }
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done

BASE_URL="http://127.0.0.1:$PORT" SERVER_PID="$SERVER" STAFF_EMAIL="$EMAIL" STAFF_PASSWORD="$PASSWORD" CLK_TCK="$(getconf CLK_TCK)" \
  "$OUT/stockade-bench-fanout" || { echo "== the client failed; server log:"; tail -20 "$WORK/server.log"; exit 1; }
