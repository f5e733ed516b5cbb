#!/usr/bin/env bash
# Catalog listing benchmark: the release server on Postgres with the demo catalog,
# 32 connections for 10 s against the storefront listing (20 products with their
# variants, prices and attributes), with /healthz at the same load as the baseline
# measured in the same run.
#
#   bash bench/catalog/run.sh                 # defaults below
#   BENCH_DATABASE_URL=postgres://... DURATION=10s CONNECTIONS=32 bash bench/catalog/run.sh
#   STOCKADE_BIN=/path/to/other/stockade bash bench/catalog/run.sh   # another build
set -euo pipefail
cd "$(dirname "$0")/../.."

ADMIN_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
DB_NAME="stockade_bench_catalog"
PORT="${PORT:-8090}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
command -v psql >/dev/null || { echo "psql is required"; exit 1; }

# STOCKADE_BIN=path runs a given server binary instead (e.g. one built from the commit
# before a change, for a before/after comparison in the same session).
if [ -n "${STOCKADE_BIN:-}" ]; then
  BIN="$STOCKADE_BIN"
else
  echo "== building the release server"
  cargo build --release -q -p stockade
  BIN="$CARGO_TARGET_DIR/release/stockade"
fi

DB_URL="$(python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path='/$DB_NAME').geturl())" "$ADMIN_URL")"
psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" >/dev/null

WORK="$(mktemp -d)"
cleanup() { [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null; [ -n "${SERVER2:-}" ] && kill "$SERVER2" 2>/dev/null; wait 2>/dev/null; psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT

start_server() { # port, extra env...
  local port="$1"; shift
  # All load comes from one IP here; real shoppers come from many, so the per-IP
  # browsing limit is off (it would answer 429 after 1,200 requests).
  env DATABASE_URL="$DB_URL" LISTEN_ADDR="127.0.0.1:$port" DATA_DIR="$WORK" LOG_FORMAT=json RUST_LOG=warn SEED_DEMO=true \
    RATE_LIMIT_BROWSE_PER_MINUTE=0 "$@" \
    "$BIN" serve >> "$WORK/server.log" 2>&1 &
  echo $!
}
wait_ready() { # port, pid: the server we started (not some other process on the port) is ready
  for _ in $(seq 1 100); do
    kill -0 "$2" 2>/dev/null || { echo "server on port $1 exited:"; cat "$WORK/server.log"; exit 1; }
    curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  cat "$WORK/server.log"; exit 1
}

# The first server seeds the database; the second (response cache off) shares it.
SERVER=$(start_server "$PORT")
wait_ready "$PORT" "$SERVER"
UNCACHED_PORT=$((PORT + 1))
SERVER2=$(start_server "$UNCACHED_PORT" RESPONSE_CACHE_ENTRIES=0)
wait_ready "$UNCACHED_PORT" "$SERVER2"

python3 - "$WORK/listing.lua" bench/catalog/listing.graphql <<'PY'
import json, sys
query = open(sys.argv[2]).read()
body = json.dumps({"query": query, "operationName": "Listing"})
open(sys.argv[1], "w").write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' % json.dumps(body))
PY

# One check that the query works and how big the answer is.
BYTES=$(curl -fsS -H 'content-type: application/json' --data "$(python3 -c "import json;print(json.dumps({'query':open('bench/catalog/listing.graphql').read()}))")" "http://127.0.0.1:$PORT/graphql" | tee "$WORK/sample.json" | wc -c)
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert 'errors' not in d, d['errors']; e=d['data']['products']['edges']; print(f'   listing: {len(e)} products, {sum(len(x[\"node\"][\"variants\"]) for x in e)} variants, {int(sys.argv[2])} bytes per response')" "$WORK/sample.json" "$BYTES"

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
total_ticks() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
idle_ticks() { awk '/^cpu /{print $5+$6}' /proc/stat; }
HZ=$(getconf CLK_TCK)

run() { # name, server pid, wrk args...
  local name="$1" pid="$2"; shift 2
  local s0 t0 i0; s0=$(cpu_ticks "$pid"); t0=$(total_ticks); i0=$(idle_ticks)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" > "$WORK/$name.txt"
  local s1 t1 i1; s1=$(cpu_ticks "$pid"); t1=$(total_ticks); i1=$(idle_ticks)
  python3 - "$WORK/$name.txt" "$name" $((s1 - s0)) $(((t1 - t0) - (i1 - i0))) "$HZ" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
name, server_ticks, busy_ticks, hz = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def ms(v, unit): return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
lat = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)", text, re.M)}
reqs = int(re.search(r"(\d+) requests in", text).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{name:>9}: {rps:9.0f} req/s  p50 {lat['50']:6.2f} ms  p99 {lat['99']:6.2f} ms  "
      f"server CPU {server_ticks / hz * 1e6 / max(reqs, 1):6.0f} us/req  machine CPU {busy_ticks / hz * 1e6 / max(reqs, 1):6.0f} us/req"
      + (f"  NON-2XX {errors.group(1)}" if errors else ""))
if errors:
    sys.exit(f"{name}: {errors.group(1)} responses were not 2xx: these figures measure errors, not the listing")
open(sys.argv[1] + ".rps", "w").write(str(rps))
PY
}

echo "== warming up"
wrk -t1 -c4 -d2s -s "$WORK/listing.lua" "http://127.0.0.1:$PORT/graphql" >/dev/null
wrk -t1 -c4 -d2s -s "$WORK/listing.lua" "http://127.0.0.1:$UNCACHED_PORT/graphql" >/dev/null
echo "== $CONNECTIONS connections, $DURATION each (wrk, $THREADS threads, on this machine too)"
run healthz "$SERVER" "http://127.0.0.1:$PORT/healthz"
run listing "$SERVER" -s "$WORK/listing.lua" "http://127.0.0.1:$PORT/graphql"
run uncached "$SERVER2" -s "$WORK/listing.lua" "http://127.0.0.1:$UNCACHED_PORT/graphql"
python3 -c "
h, l, u = (float(open(f'$WORK/{n}.txt.rps').read()) for n in ('healthz', 'listing', 'uncached'))
print(f'   listing (response cache on, the default): {l / h:.3f} of the /healthz baseline')
print(f'   listing (response cache off, every request resolved from Postgres): {u / h:.3f} of the baseline, {u / l:.3f} of cached')
print(f'   target: >= 2000 req/s and p99 < 50 ms')"
