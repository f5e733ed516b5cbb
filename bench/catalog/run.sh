#!/usr/bin/env bash
# Catalog read benchmark: the release server on Postgres with the demo catalog, under wrk
# (CONNECTIONS=32 connections, THREADS=2, DURATION=10s per scenario, on this machine too):
#
#   healthz           GET /healthz: the ceiling of the HTTP stack at this load
#   listing           the storefront listing (listing.graphql: 20 products with their
#                     variants, prices, attributes and stock), POST, response cache on
#   listing-uncached  the same on a second server with RESPONSE_CACHE_ENTRIES=0, every
#                     request resolved from Postgres
#   product           a product page (product.graphql, the storefront's product query) for
#                     a demo product with 10 variants, cache on
#   product-uncached  the same, cache off
#   apq               the listing as an automatic persisted query over GET (the hash in the
#                     URL, no document, as a storefront sends it for a CDN), cache on;
#                     registered the APQ way first
#   live              the cached listing during a sale: a staff writer (client.py) changes
#                     the stock of the listing's variants WRITES_PER_SEC (100) times a
#                     second with inventoryAdjust while wrk runs, so the cached answer is
#                     dropped and recomputed on every change; compared with the quiet
#                     cached listing (goal: within 2x). Its server CPU includes the writes.
#
# For each: req/s, p50/p99, server CPU per request (from /proc), machine CPU per request,
# the server's VmRSS and VmHWM (peak) after the run, and on a cached server how many
# answers did not come from the response cache, and how many were patched (stock
# re-read into a stored answer) (its /metrics counters; requests that
# waited for one shared computation count each). Before anything is timed, each
# request is sent once and its answer checked (no GraphQL errors, same data with and
# without the cache, the APQ GET answers data); a run with non-2xx answers fails.
# With BASE_BIN the same runs follow for that binary, on its own freshly seeded
# database, and the output ends with new/base ratios. wrk sends no Accept-Encoding, so
# answers go out uncompressed (bench/compression measures that part).
#
#   bash bench/catalog/run.sh                          # builds the release server, runs all
#   STOCKADE_BIN=/path/new BASE_BIN=/path/base bash bench/catalog/run.sh   # two builds
#   SCENARIOS="listing live" DURATION=20s bash bench/catalog/run.sh
#   BENCH_DATABASE_URL=postgres://... CONNECTIONS=32 THREADS=2 PORT=8190 bash bench/catalog/run.sh
#
# Other settings: WRITES_PER_SEC (100) and WRITERS (8 keep-alive connections) for the
# live scenario, PRODUCT_SLUG for another product. Ports PORT..PORT+3 (8190..8193), databases
# stockade_bench_catalog_new and _base (dropped at the end). About 1.5 minutes per binary.
set -euo pipefail
cd "$(dirname "$0")/../.."

ADMIN_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
DB_PREFIX="stockade_bench_catalog"
PORT="${PORT:-8190}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
ALL_SCENARIOS="healthz listing listing-uncached product product-uncached apq live"
SCENARIOS="${SCENARIOS:-$ALL_SCENARIOS}"
WRITES_PER_SEC="${WRITES_PER_SEC:-100}"
WRITERS="${WRITERS:-8}"
PRODUCT_SLUG="${PRODUCT_SLUG:-}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

for s in $SCENARIOS; do
  [[ " $ALL_SCENARIOS " == *" $s "* ]] || { echo "unknown scenario $s (known: $ALL_SCENARIOS)"; exit 2; }
done
wanted() { [[ " $SCENARIOS " == *" $1 "* ]]; }

command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
command -v psql >/dev/null || { echo "psql is required"; exit 1; }

# STOCKADE_BIN=path runs a given server binary instead of building one; BASE_BIN=path adds
# a baseline (e.g. built from the commit before a change) measured in the same run.
if [ -n "${STOCKADE_BIN:-}" ]; then
  BIN="$STOCKADE_BIN"
else
  echo "== building the release server"
  cargo build --release -q -p stockade
  BIN="$CARGO_TARGET_DIR/release/stockade"
fi
for b in "$BIN" ${BASE_BIN:+"$BASE_BIN"}; do [ -x "$b" ] || { echo "$b is not an executable"; exit 2; }; done
DURATION_SECS="$(python3 -c "import sys; v=sys.argv[1]; m={'s':1,'m':60,'h':3600}; print(float(v[:-1])*m[v[-1]] if v[-1] in m else float(v))" "$DURATION")"

WORK="$(mktemp -d)"
PIDS=""   # servers and the writer we started: the only processes cleanup ends
DBS=""
cleanup() {
  for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
  for pid in $PIDS; do wait "$pid" 2>/dev/null || true; done
  for db in $DBS; do psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

db_url() { python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path='/'+sys.argv[2]).geturl())" "$ADMIN_URL" "$1"; }

start_server() { # bin, database url, data dir, port, extra env...; sets STARTED
  local bin="$1" url="$2" dir="$3" port="$4"; shift 4
  # All load comes from one IP here; real shoppers come from many, so the per-IP
  # browsing limit is off (it would answer 429 after 1,200 requests).
  env DATABASE_URL="$url" LISTEN_ADDR="127.0.0.1:$port" DATA_DIR="$dir" LOG_FORMAT=json RUST_LOG=warn SEED_DEMO=true \
    RATE_LIMIT_BROWSE_PER_MINUTE=0 "$@" \
    "$bin" serve >> "$dir/server.log" 2>&1 &
  STARTED=$!
  PIDS="$PIDS $STARTED"
  for _ in $(seq 1 150); do # the server we started (not some other process on the port) is ready
    kill -0 "$STARTED" 2>/dev/null || { echo "server on port $port exited:"; tail -20 "$dir/server.log"; exit 1; }
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "server on port $port not ready after 30 s:"; tail -20 "$dir/server.log"; exit 1
}
forget() { local keep="" p; for p in $PIDS; do [ "$p" = "$1" ] || keep="$keep $p"; done; PIDS="$keep"; }
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; forget "$1"; }

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
total_ticks() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
idle_ticks() { awk '/^cpu /{print $5+$6}' /proc/stat; }
HZ=$(getconf CLK_TCK)

run() { # label, scenario, server pid, server port, wrk args...: one timed run, its line, and a record in results
  local label="$1" name="$2" pid="$3" port="$4"; shift 4
  local out="$WORK/$label/$name.txt"
  curl -fsS "http://127.0.0.1:$port/metrics" > "$out.metrics0"
  local s0 t0 i0; s0=$(cpu_ticks "$pid"); t0=$(total_ticks); i0=$(idle_ticks)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" > "$out"
  local s1 t1 i1; s1=$(cpu_ticks "$pid"); t1=$(total_ticks); i1=$(idle_ticks)
  curl -fsS "http://127.0.0.1:$port/metrics" > "$out.metrics1"
  python3 - "$out" "$label" "$name" $((s1 - s0)) $(((t1 - t0) - (i1 - i0))) "$HZ" "/proc/$pid/status" "$WORK/results.jsonl" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
label, name, server_ticks, busy_ticks, hz = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
status = dict(re.findall(r"^(Vm\w+):\s+(\d+) kB", open(sys.argv[7]).read(), re.M))
def cache(suffix):  # the response cache's hit, patched and miss counters
    m = dict(re.findall(r'^stockade_graphql_response_cache_total\{result="(\w+)"\} (\d+)', open(sys.argv[1] + suffix).read(), re.M))
    return int(m.get("hit", 0)), int(m.get("patched", 0)), int(m.get("miss", 0))
(h0, p0, m0), (h1, p1, m1) = cache(".metrics0"), cache(".metrics1")
hits, patched, misses = h1 - h0, p1 - p0, m1 - m0
def ms(v, unit): return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
lat = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)", text, re.M)}
reqs = int(re.search(r"(\d+) requests in", text).group(1))
r = {"label": label, "scenario": name, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
     "p50": lat["50"], "p99": lat["99"], "cpu_us": server_ticks / hz * 1e6 / max(reqs, 1),
     "machine_us": busy_ticks / hz * 1e6 / max(reqs, 1), "rss_mb": int(status["VmRSS"]) / 1024, "hwm_mb": int(status["VmHWM"]) / 1024}
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sockets = re.search(r"Socket errors: (.*)", text)
print(f"   {name:<16} {r['rps']:8.0f} req/s  p50 {r['p50']:6.2f} ms  p99 {r['p99']:6.2f} ms  "
      f"server CPU {r['cpu_us']:5.0f} us/req  machine CPU {r['machine_us']:5.0f} us/req  "
      f"RSS {r['rss_mb']:5.1f} MB (peak {r['hwm_mb']:5.1f})"
      + (f"  {misses} not from the cache" if hits + patched + misses else "")
      + (f", {patched} patched" if patched else "")
      + (f"  NON-2XX {errors.group(1)}" if errors else "") + (f"  SOCKET ERRORS {sockets.group(1)}" if sockets else ""))
if errors:
    sys.exit(f"{label} {name}: {errors.group(1)} responses were not 2xx: these figures measure errors, not the scenario")
open(sys.argv[8], "a").write(json.dumps(r) + "\n")
PY
}

bench_binary() { # label, binary, first port: seeds a database, checks, runs the scenarios
  local label="$1" bin="$2" port="$3" uncached_port=$(($3 + 1))
  local dir="$WORK/$label" db="${DB_PREFIX}_$label" url
  mkdir -p "$dir"
  url="$(db_url "$db")"
  PGOPTIONS="-c client_min_messages=warning" psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
  DBS="$DBS $db"
  echo "== $label: $bin (ports $port, $uncached_port; database $db)"

  # The first server seeds the database; the second (response cache off) shares it.
  start_server "$bin" "$url" "$dir" "$port"; local cached=$STARTED
  start_server "$bin" "$url" "$dir" "$uncached_port" RESPONSE_CACHE_ENTRIES=0; local uncached=$STARTED
  local email="bench-writer@example.com" password="catalog bench writer $RANDOM$RANDOM"
  echo "$password" | env DATABASE_URL="$url" DATA_DIR="$dir" LOG_FORMAT=json RUST_LOG=warn \
    "$bin" create-admin --email "$email" --password-stdin >> "$dir/server.log" 2>&1 \
    || { echo "create-admin failed:"; tail -5 "$dir/server.log"; exit 1; }

  # The product with the number of variants nearest 10, chosen once for all binaries.
  [ -n "$PRODUCT_SLUG" ] || PRODUCT_SLUG="$(python3 bench/catalog/client.py pick-product "http://127.0.0.1:$port")"
  python3 bench/catalog/client.py prepare "http://127.0.0.1:$port" "http://127.0.0.1:$uncached_port" "$PRODUCT_SLUG" "$dir"

  local base="http://127.0.0.1:$port" ubase="http://127.0.0.1:$uncached_port"
  wrk -t1 -c4 -d2s -s "$dir/listing.lua" "$base/graphql" >/dev/null
  wrk -t1 -c4 -d2s -s "$dir/listing.lua" "$ubase/graphql" >/dev/null
  for s in $ALL_SCENARIOS; do
    wanted "$s" || continue
    sleep 1
    case "$s" in
      healthz) run "$label" "$s" "$cached" "$port" "$base/healthz" ;;
      listing) run "$label" "$s" "$cached" "$port" -s "$dir/listing.lua" "$base/graphql" ;;
      listing-uncached) run "$label" "$s" "$uncached" "$uncached_port" -s "$dir/listing.lua" "$ubase/graphql" ;;
      product) run "$label" "$s" "$cached" "$port" -s "$dir/product.lua" "$base/graphql" ;;
      product-uncached) run "$label" "$s" "$uncached" "$uncached_port" -s "$dir/product.lua" "$ubase/graphql" ;;
      apq) run "$label" "$s" "$cached" "$port" "$base$(cat "$dir/apq.path")" ;;
      live)
        # The writer signs in and reads the stock versions first; wrk starts once it writes.
        rm -f "$dir/writer.ready"
        python3 bench/catalog/client.py write "$base" "$email" "$password" "$dir" "$DURATION_SECS" "$WRITES_PER_SEC" "$WRITERS" > "$dir/writer.out" &
        local writer=$!; PIDS="$PIDS $writer"
        until [ -e "$dir/writer.ready" ]; do
          kill -0 "$writer" 2>/dev/null || { wait "$writer" || true; echo "the writer failed:"; cat "$dir/writer.out"; exit 1; }
          sleep 0.05
        done
        run "$label" "$s" "$cached" "$port" -s "$dir/listing.lua" "$base/graphql"
        wait "$writer" || { echo "the writer failed:"; cat "$dir/writer.out"; exit 1; }
        forget "$writer"
        cat "$dir/writer.out"
        cp "$dir/writer.json" "$WORK/writer.$label.json"
        ;;
    esac
  done
  python3 - "$WORK/results.jsonl" "$label" <<'PY'
import json, sys
r = {x["scenario"]: x for x in map(json.loads, open(sys.argv[1])) if x["label"] == sys.argv[2]}
def of(a, b, what):
    if a in r and b in r:
        print(f"   {a} / {b}: {r[a]['rps'] / r[b]['rps']:.3f} of the req/s, p99 x{r[a]['p99'] / r[b]['p99']:.2f}{what}")
of("listing", "healthz", " (cache on, the default, against the /healthz ceiling)")
of("listing-uncached", "listing", " (cache off against on)")
of("product-uncached", "product", " (cache off against on)")
of("apq", "listing", " (APQ GET against the POSTed query, both cached)")
of("live", "listing", " (during the sale against quiet; goal: within 2x, >= 0.5)")
PY
  stop "$uncached"; stop "$cached"
}

bench_binary new "$BIN" "$PORT"
[ -z "${BASE_BIN:-}" ] || bench_binary base "$BASE_BIN" $((PORT + 2))

[ -z "${BASE_BIN:-}" ] || python3 - "$WORK/results.jsonl" <<'PY'
import json, sys
rows = list(map(json.loads, open(sys.argv[1])))
new = {x["scenario"]: x for x in rows if x["label"] == "new"}
base = {x["scenario"]: x for x in rows if x["label"] == "base"}
print("== new / base (req/s: above 1 is better; latency, CPU and memory: below 1 is better)")
print(f"   {'':<16} {'req/s':>10} {'':>8}   new / base")
print(f"   {'scenario':<16} {'new':>10} {'base':>8}   {'req/s':>6}   {'p50':>5} {'p99':>5}   {'CPU/req':>7}   {'RSS':>5} {'peak':>5}")
for s, n in new.items():
    if s not in base:
        continue
    b = base[s]
    q = lambda k: n[k] / b[k] if b[k] else float("nan")
    print(f"   {s:<16} {n['rps']:10.0f} {b['rps']:8.0f} {q('rps'):6.3f}   {q('p50'):5.2f} {q('p99'):5.2f}   {q('cpu_us'):7.3f}   {q('rss_mb'):5.2f} {q('hwm_mb'):5.2f}")
if "live" in new and "listing" in new and "live" in base and "listing" in base:
    print(f"   live / quiet cached listing: new {new['live']['rps'] / new['listing']['rps']:.3f}, "
          f"base {base['live']['rps'] / base['listing']['rps']:.3f} (goal >= 0.5)")
PY
