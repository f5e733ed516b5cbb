#!/usr/bin/env bash
# Drops through the public API: two release api instances (`stockade serve`, different
# ports) on one fresh Postgres database, and a Rust load client (bench/drop) on loopback.
#
#   holds  HOLD_GUESTS (128) keep-alive guests on HOLD_INSTANCES (1) instance(s) for
#          DURATION (10) s, each cartCreate, then cartLinesAdd of 1 unit of one hot SKU
#          (plenty of stock) until its line holds CART_MAX_LINE_QUANTITY (10), then a new
#          cart; holds/s, p50/p99, and the ratio to SERVICE_RPS (the inventory service's
#          figure from bench/flash-sale, if given).
#   drop   SHOPPERS (1,000) shoppers for UNITS (300) units of one SKU, released at once,
#          round-robin over both instances: cart -> cartLinesAdd -> checkoutStart ->
#          checkoutComplete -> paymentIntentCreate -> testPaymentConfirm (test gateway);
#          paid checkouts/s, p50/p99 per step, CPU per checkout (api, Postgres, client),
#          then the database is checked: paid orders == units sold, nothing oversold,
#          `stockade inventory verify` reconciles.
#   rush   BUYERS (10,000) buyers for RUSH_UNITS (500) units released at once (a
#          barrier), each one cartCreate with the line over both instances: time until
#          every buyer has an answer, exactly RUSH_UNITS holds, winners against arrival.
#   statements
#          one shopper alone through the drop's six steps: the statements each step sends
#          to Postgres (BEGIN, SAVEPOINT and COMMIT included), from Postgres's own log of
#          every statement of the bench database (PG_LOG, Debian's cluster log by default;
#          it must be readable). Run it on its own: it logs every statement of the run.
# The client keeps at most CONNECTIONS (256) requests in flight over one keep-alive pool;
# a retryable SERVICE_UNAVAILABLE is retried after RETRY_BACKOFF_MS (50) and counted.
#
#   bash bench/drop/run.sh
#   SCENARIOS="holds drop" DURATION=20 SHOPPERS=2000 UNITS=600 SERVICE_RPS=8000 bash bench/drop/run.sh
#   STOCKADE_BIN=/path/to/other/stockade bash bench/drop/run.sh   # another server build
#   SERVER_ENV="RESERVE_BATCH_MAX=1" bash bench/drop/run.sh       # extra server settings
set -euo pipefail
cd "$(dirname "$0")/../.."

ADMIN_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
DB_NAME="stockade_bench_drop_$$"
PORT="${PORT:-8096}"
SCENARIOS="${SCENARIOS:-holds drop rush}"
DURATION="${DURATION:-10}"
HOLD_GUESTS="${HOLD_GUESTS:-128}"
HOLD_INSTANCES="${HOLD_INSTANCES:-1}"
SHOPPERS="${SHOPPERS:-1000}"
UNITS="${UNITS:-300}"
BUYERS="${BUYERS:-10000}"
RUSH_UNITS="${RUSH_UNITS:-500}"
CONNECTIONS="${CONNECTIONS:-256}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
command -v psql >/dev/null || { echo "psql is required"; exit 1; }
command -v curl >/dev/null || { echo "curl is required"; exit 1; }
# Hundreds of sockets on each side of loopback, plus the database pools.
ulimit -n 65536 2>/dev/null || ulimit -n 8192

# STOCKADE_BIN=path runs a given server binary (e.g. one built from the commit before a
# change, for a before/after comparison in the same session); the client is this tree's.
echo "== building the client$([ -z "${STOCKADE_BIN:-}" ] && echo " and the server") (release)"
if [ -n "${STOCKADE_BIN:-}" ]; then
  cargo build --release -q --locked -p stockade-bench-drop
  BIN="$STOCKADE_BIN"
else
  cargo build --release -q --locked -p stockade -p stockade-bench-drop
  BIN="$CARGO_TARGET_DIR/release/stockade"
fi
CLIENT="$CARGO_TARGET_DIR/release/stockade-bench-drop"
echo "   server: $BIN ($(stat -c %y "$BIN" | cut -d. -f1)); tree $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

DB_URL="$(python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path='/$DB_NAME').geturl())" "$ADMIN_URL")"
PGOPTIONS="-c client_min_messages=warning" psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" >/dev/null
if [[ " $SCENARIOS " == *" statements "* ]]; then
  # Every session of this database logs its statements; set before any server connects.
  psql -q "$ADMIN_URL" -c "ALTER DATABASE $DB_NAME SET log_statement = 'all'" >/dev/null
  PG_LOG="${PG_LOG:-$(ls -t /var/log/postgresql/postgresql-*-main.log 2>/dev/null | head -1)}"
  [ -r "$PG_LOG" ] || { echo "statements: Postgres's log ($PG_LOG) cannot be read; give PG_LOG"; exit 1; }
fi
WORK="$(mktemp -d)"
SERVERS=()
cleanup() {
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The environment of a load test (as the api tests' ServerProcess::for_sale): every buyer
# comes from 127.0.0.1, so no rate limits; no demo seeding at start and no background
# sweeps or payment reconciliation (holds must not lapse mid-run; all stays countable).
export DATABASE_URL="$DB_URL" LOG_FORMAT=json RUST_LOG=warn SEED_DEMO=false \
  RATE_LIMIT_BROWSE_PER_MINUTE=0 RATE_LIMIT_CHECKOUT_PER_MINUTE=0 RATE_LIMIT_CHECKOUT_ACCOUNT_PER_MINUTE=0 \
  RESERVATION_SWEEP_INTERVAL_SECS=0 COMMERCE_SWEEP_INTERVAL_SECS=0 PAYMENT_RECONCILE_INTERVAL_SECS=0 \
  PAYMENT_GATEWAY=test JWT_SECRET="bench-drop-secret-bench-drop-secret-0123456789"
# The demo catalog brings the stock locations (there is no mutation creating one); the
# drop's products are created by staff over GraphQL below.
mkdir -p "$WORK/a" "$WORK/b"
DATA_DIR="$WORK/a" "$BIN" migrate >> "$WORK/server.log" 2>&1
DATA_DIR="$WORK/a" "$BIN" seed >> "$WORK/server.log" 2>&1
STAFF_EMAIL="bench-drop@example.com"
STAFF_PASSWORD="bench drop staff $RANDOM$RANDOM"
echo "$STAFF_PASSWORD" | DATA_DIR="$WORK/a" "$BIN" create-admin --email "$STAFF_EMAIL" --password-stdin >> "$WORK/server.log" 2>&1

BASES=()
for i in 0 1; do
  port=$((PORT + i))
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then echo "port $port is taken (PORT=... to move)"; exit 1; fi
  dir="$WORK/$([ $i = 0 ] && echo a || echo b)"
  # shellcheck disable=SC2086 # SERVER_ENV is a list of KEY=VALUE words
  env DATA_DIR="$dir" LISTEN_ADDR="127.0.0.1:$port" ${SERVER_ENV:-} "$BIN" serve >> "$WORK/server$i.log" 2>&1 &
  SERVERS+=($!)
  BASES+=("http://127.0.0.1:$port")
done
for i in 0 1; do
  for _ in $(seq 1 150); do
    kill -0 "${SERVERS[$i]}" 2>/dev/null || { echo "server $i exited:"; cat "$WORK/server$i.log"; exit 1; }
    curl -fsS "${BASES[$i]}/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
done
BASE_URLS="$(IFS=,; echo "${BASES[*]}")"
API_PIDS="$(IFS=,; echo "${SERVERS[*]}")"
echo "   two instances: $BASE_URLS (pids $API_PIDS) on database $DB_NAME; $(nproc) cores shared by Postgres, both servers and the client"
export BASE_URLS API_PIDS CLK_TCK="$(getconf CLK_TCK)"

stock() { # sku, units: a new active product with that stock; prints its variant id
  STAFF_EMAIL="$STAFF_EMAIL" STAFF_PASSWORD="$STAFF_PASSWORD" SKU="$1" UNITS="$2" "$CLIENT" setup > "$WORK/setup.txt" ||
    { echo "stocking $1 failed" >&2; cat "$WORK/setup.txt" >&2; exit 1; }
  sed -n 's/^VARIANT=//p' "$WORK/setup.txt"
}
client() { # mode, env...
  local mode="$1"; shift
  env "$@" "$CLIENT" "$mode" || { echo "== the client failed; server logs:"; tail -5 "$WORK"/server*.log; exit 1; }
}
verify() { # sku, expected units taken (sold for the drop, held for the rush), what
  local v
  v=$(psql -At "$DB_URL" -c "SELECT id FROM variants WHERE sku = '$1'")
  psql -At -F ' ' "$DB_URL" -c "SELECT
      (SELECT count(DISTINCT o.id) FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE l.variant_id = $v AND o.status = 'paid'),
      (SELECT COALESCE(SUM(l.quantity), 0) FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE l.variant_id = $v AND o.status = 'paid'),
      (SELECT count(DISTINCT o.id) FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE l.variant_id = $v AND o.status <> 'paid'),
      (SELECT COALESCE(SUM(quantity), 0) FROM reservations WHERE variant_id = $v AND status = 'active'),
      (SELECT SUM(on_hand) FROM stock_levels WHERE variant_id = $v),
      (SELECT SUM(reserved) FROM stock_levels WHERE variant_id = $v),
      (SELECT COALESCE(SUM(delta_on_hand), 0) FROM stock_movements WHERE variant_id = $v AND delta_on_hand > 0)" > "$WORK/check"
  read -r paid_orders paid_units other_orders held on_hand reserved stocked < "$WORK/check"
  local oversold=$(( paid_units + held - stocked > 0 ? paid_units + held - stocked : 0 ))
  echo "   database: $paid_orders paid orders, $paid_units units paid, $other_orders other orders, $held units held by active reservations; stock $stocked received, on hand $on_hand, reserved $reserved; oversold $oversold"
  local ok=1
  case "$3" in
    sold) [ "$paid_orders" = "$2" ] && [ "$paid_units" = "$2" ] && [ "$on_hand" = $((stocked - $2)) ] || ok=0 ;;
    held) [ "$held" = "$2" ] && [ "$reserved" = "$2" ] && [ "$paid_units" = 0 ] || ok=0 ;;
  esac
  [ "$oversold" = 0 ] && [ "$reserved" -le "$on_hand" ] || ok=0
  if DATA_DIR="$WORK/a" "$BIN" inventory verify > "$WORK/verify.txt" 2>&1; then
    echo "   stockade inventory verify: every stock level reconciles with the ledger"
  else
    echo "   stockade inventory verify FAILED:"; head -20 "$WORK/verify.txt"; ok=0
  fi
  [ "$ok" = 1 ] && echo "   CHECK OK: exactly $2 units $3, nothing oversold" || { echo "   CHECK FAILED"; exit 1; }
}

for scenario in $SCENARIOS; do
  case "$scenario" in
    holds)
      echo "== holds through the public API: $HOLD_GUESTS guests, ${DURATION}s"
      variant=$(stock HOLDS-1 1000000) # the most one adjustment may add; plenty for a run
      client holds VARIANT="$variant" CONNECTIONS="$HOLD_GUESTS" INSTANCES="$HOLD_INSTANCES" DURATION="$DURATION" SERVICE_RPS="${SERVICE_RPS:-}"
      ;;
    drop)
      echo "== a whole drop: $SHOPPERS shoppers for $UNITS units, two instances, $CONNECTIONS connections"
      variant=$(stock DROP-1 "$UNITS")
      client drop VARIANT="$variant" SHOPPERS="$SHOPPERS" CONNECTIONS="$CONNECTIONS"
      verify DROP-1 $(( SHOPPERS < UNITS ? SHOPPERS : UNITS )) sold
      ;;
    rush)
      echo "== the rush: $BUYERS buyers for $RUSH_UNITS units released at once, two instances, $CONNECTIONS connections"
      variant=$(stock RUSH-1 "$RUSH_UNITS")
      client rush VARIANT="$variant" BUYERS="$BUYERS" UNITS="$RUSH_UNITS" CONNECTIONS="$CONNECTIONS"
      verify RUSH-1 $(( BUYERS < RUSH_UNITS ? BUYERS : RUSH_UNITS )) held
      ;;
    statements)
      echo "== statements per step: one shopper alone, on one instance"
      variant=$(stock STATEMENTS-1 10)
      from=$(( $(stat -c %s "$PG_LOG") + 1 ))
      client statements VARIANT="$variant" INSTANCES=1 MARK_DATABASE_URL="$DB_URL"
      # A statement's first line carries the log prefix with user@database; a step's
      # statements are those before its mark. Transaction control counted apart.
      tail -c +"$from" "$PG_LOG" | awk -v db="@$DB_NAME " '
        index($0, db) && /LOG:  (statement|execute [^:]*): / {
          if (match($0, /stockade-step [A-Za-z]+/)) {
            step = substr($0, RSTART + 14, RLENGTH - 14)
            if (step != "begin") {
              printf "   %20s: %3d statements: %2d in the shared stock transaction, %2d transaction control (BEGIN, SAVEPOINT, RELEASE, COMMIT, txid), %2d the outbox relay\n", step, n, lane, tc, relay
              total += n; totaltc += tc; totalrelay += relay; totallane += lane
            }
            n = 0; tc = 0; relay = 0; lane = 0; next
          }
          n++
          if (/: (BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)|txid_current/) tc++
          if (/FROM "outbox"|UPDATE "outbox"/) relay++
          # A shared stock transaction takes its id first (txid_current()) and holds the
          # hot row until its COMMIT: count what its connection sends in between.
          match($0, /\[[0-9]+\]/); pid = substr($0, RSTART, RLENGTH)
          if (/SELECT CAST\(txid_current\(\)/) shared[pid] = 1
          else if (shared[pid]) { lane++; if (/: (COMMIT|ROLLBACK)$/) shared[pid] = 0 }
        }
        END { printf "   %20s: %3d statements: %2d in the shared stock transaction, %2d transaction control, %2d the outbox relay\n", "a paid checkout", total, totallane, totaltc, totalrelay }'
      ;;
    *) echo "unknown scenario $scenario (holds, drop, rush, statements)"; exit 1 ;;
  esac
done
grep -h '"level":"ERROR"' "$WORK"/server*.log | head -3 | sed 's/^/   server error: /' || true
