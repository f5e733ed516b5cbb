#!/usr/bin/env bash
# Instructions per uncached catalog listing, counted by valgrind (callgrind), for one or
# more server binaries on the same seeded Postgres database. Instruction counts do not
# depend on what else the machine is doing, so two builds compare exactly where wrk's
# req/s on a shared 2-core machine cannot.
#
#   bash bench/catalog/instructions.sh BIN [BIN ...]     # e.g. the builds before and after a change
#   REQUESTS=100 bash bench/catalog/instructions.sh ...
#   KEEP_PROFILE=/tmp/prof bash bench/catalog/instructions.sh ...   # keeps each build's callgrind dump
#   QUERY_FILE=bench/catalog/product.graphql OPERATION=Product VARIABLES='{"slug":"kids-cord-dungarees"}' \
#     bash bench/catalog/instructions.sh ...             # the product page instead of the listing
#
# Each server runs under callgrind with the response cache off; after a warm-up the
# counters are zeroed, REQUESTS listings are sent one at a time, and the counters are
# dumped: instructions / REQUESTS is the cost of one listing in that build (server side,
# all threads; background workers are turned off).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: $0 BIN [BIN ...]"; exit 2; }
command -v valgrind >/dev/null || { echo "installing valgrind"; apt-get install -y -qq valgrind >/dev/null; }

ADMIN_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
DB_NAME="stockade_bench_instructions"
PORT="${PORT:-8095}"
REQUESTS="${REQUESTS:-100}"
DB_URL="$(python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path='/$DB_NAME').geturl())" "$ADMIN_URL")"
psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" >/dev/null
WORK="$(mktemp -d)"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT

# Another request: QUERY_FILE=bench/catalog/product.graphql OPERATION=Product VARIABLES='{"slug":"kids-cord-dungarees"}'
QUERY_FILE="${QUERY_FILE:-bench/catalog/listing.graphql}"
OPERATION="${OPERATION:-Listing}"
VARIABLES="${VARIABLES:-{\}}"
BODY="$(python3 -c "import json,sys;print(json.dumps({'query':open(sys.argv[1]).read(),'operationName':sys.argv[2],'variables':json.loads(sys.argv[3])}))" "$QUERY_FILE" "$OPERATION" "$VARIABLES")"
listing() { curl -fsS -o /dev/null -H 'content-type: application/json' --data "$BODY" "http://127.0.0.1:$PORT/graphql"; }
serve() { # binary, wrapper...
  local bin="$1"; shift
  env DATABASE_URL="$DB_URL" LISTEN_ADDR="127.0.0.1:$PORT" DATA_DIR="$WORK" LOG_FORMAT=json RUST_LOG=warn \
    RATE_LIMIT_BROWSE_PER_MINUTE=0 RESPONSE_CACHE_ENTRIES=0 EVENTS_PUBLISHER=off RESERVATION_SWEEP_INTERVAL_SECS=0 \
    COMMERCE_SWEEP_INTERVAL_SECS=0 PAYMENT_RECONCILE_INTERVAL_SECS=0 SEED_DEMO="${SEED:-false}" \
    "$@" "$bin" serve >> "$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 600); do
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  cat "$WORK/server.log"; exit 1
}
stop() { kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; SERVER=""; }

echo "== seeding the demo catalog (first binary, natively)"
SEED=true serve "$1"; stop

for bin in "$@"; do
  serve "$bin" valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" --dump-instr=no --collect-atstart=yes
  for _ in $(seq 1 10); do listing; done
  callgrind_control -z "$SERVER" >/dev/null 2>&1
  for _ in $(seq 1 "$REQUESTS"); do listing; done
  callgrind_control -d "$SERVER" >/dev/null 2>&1
  sleep 1
  dump="$(ls -t "$WORK"/cg.out* | head -1)"
  ir="$(awk '/^(summary|totals):/ {print $2; exit}' "$dump")"
  stop
  if [ -n "${KEEP_PROFILE:-}" ]; then
    mkdir -p "$KEEP_PROFILE"
    cp "$dump" "$KEEP_PROFILE/$(basename "$bin").callgrind"
    echo "profile kept: $KEEP_PROFILE/$(basename "$bin").callgrind (callgrind_annotate --inclusive=yes FILE)"
  fi
  rm -f "$WORK"/cg.out*
  python3 -c "import sys; ir=int(sys.argv[1]); print(f'{sys.argv[3]}: {ir/int(sys.argv[2])/1e6:8.2f} M instructions per uncached {sys.argv[4]} ({ir:,} for {sys.argv[2]})')" "$ir" "$REQUESTS" "$bin" "$OPERATION"
done
