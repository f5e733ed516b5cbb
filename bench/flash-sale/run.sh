#!/usr/bin/env bash
# Flash-sale benchmark: reservations through the inventory service on Postgres (each
# answered after its durable commit, concurrent ones on a SKU sharing a transaction),
# compared with pgbench running today's single-reservation transaction.
#
#   (a) CLIENTS tasks reserve 1 unit of ONE hot SKU, again and again, for DURATION s,
#       combined per SKU (up to RESERVE_BATCH_MAX, BATCH here, per shared transaction)
#       and with one transaction per reservation (batches of 1);
#   (b) the same spread over SKUS SKUs;
#   (c) pgbench, same statements (one reservation transaction), same client count,
#       on the hot row and spread over the same SKUs; ours is printed as a ratio.
# The oversold count must be 0 (checked against the stock levels and the ledger).
#
#   bash bench/flash-sale/run.sh
#   BENCH_DATABASE_URL=postgres://... CLIENTS=64 DURATION=10 SKUS=1000 bash bench/flash-sale/run.sh
#   (the service gets a pool of POOL connections, at most 64 by default, whatever CLIENTS is;
#   pgbench needs a connection per client, so it runs PGBENCH_CLIENTS, at most 64 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."

ADMIN_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
DB_NAME="stockade_bench_flash_sale"
CLIENTS="${CLIENTS:-64}"
PGBENCH_CLIENTS="${PGBENCH_CLIENTS:-$(( CLIENTS < 64 ? CLIENTS : 64 ))}"
DURATION="${DURATION:-10}"
SKUS="${SKUS:-1000}"
THREADS="${THREADS:-2}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

command -v pgbench >/dev/null || { echo "pgbench is required (postgresql-contrib / postgresql-client)"; exit 1; }
command -v psql >/dev/null || { echo "psql is required"; exit 1; }

# PROFILE=dev gives a quick debug-build smoke run; figures only mean something in release.
PROFILE="${PROFILE:-release}"
# BENCH_BIN=path runs a given build of the benchmark (e.g. one built from the commit
# before a change, for a before/after comparison in the same session).
if [ -n "${BENCH_BIN:-}" ]; then
  BIN="$BENCH_BIN"
else
  echo "== building the benchmark ($PROFILE)"
  cargo build --profile "$PROFILE" -q -p stockade-bench-flash-sale
  BIN="$CARGO_TARGET_DIR/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")/stockade-bench-flash-sale"
fi

DB_URL="$(python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path='/$DB_NAME').geturl())" "$ADMIN_URL")"
psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" >/dev/null
WORK="$(mktemp -d)"
cleanup() { psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT

echo "== (a) hot SKU, (b) $SKUS SKUs: $CLIENTS clients through InventoryService::reserve, ${DURATION}s each"
DATABASE_URL="$DB_URL" CLIENTS="$CLIENTS" DURATION_SECS="$DURATION" SKUS="$SKUS" RUST_LOG=warn "$BIN" | tee "$WORK/ours.txt"
eval "$(grep -o 'PGBENCH_[A-Z_]*=[0-9]*' "$WORK/ours.txt" | sed 's/^/export /')"

# Spread runs address SKU k as (first id + k): check the ids are contiguous.
CONTIGUOUS=$(psql -At "$DB_URL" -c "SELECT count(*) FROM stock_levels WHERE location_id = $PGBENCH_LOCATION
  AND id - $PGBENCH_FIRST_LEVEL = variant_id - $PGBENCH_FIRST_VARIANT AND id - $PGBENCH_FIRST_LEVEL BETWEEN 0 AND $((SKUS - 1))")
[ "$CONTIGUOUS" = "$SKUS" ] || { echo "stock level ids are not contiguous ($CONTIGUOUS of $SKUS)"; exit 1; }

# One reservation transaction, statement for statement as InventoryService::reserve
# sent it when the issue set this baseline (hint read, reservation row, guarded update,
# ledger row, outbox event). The service now sends the reservation row with the guarded
# update, and the ledger row with its event, as one statement each; the baseline stays.
cat > "$WORK/reserve.sql" <<'SQL'
\set k random(0, :span - 1)
\set variant_id :base_variant + :k
\set level_id :base_level + :k
\set owner random(1, 2000000000)
BEGIN;
SELECT v.id AS variant_id, sl.id AS level_id, sl.location_id AS location_id, l.priority AS priority, sl.on_hand - sl.reserved AS available FROM variants v LEFT JOIN stock_levels sl ON sl.variant_id = v.id LEFT JOIN stock_locations l ON l.id = sl.location_id WHERE v.id IN (:variant_id);
INSERT INTO reservations (variant_id, location_id, quantity, owner_type, owner_id, status, expires_at, created_at, updated_at) VALUES (:variant_id, :location_id, 1, 'cart', 'pgbench-' || :owner, 'active', now() + interval '15 minutes', now(), now()) RETURNING id \gset res_
UPDATE stock_levels SET reserved = reserved + 1, version = version + 1, updated_at = now() WHERE id = :level_id AND on_hand - reserved >= 1 RETURNING id, variant_id, location_id, on_hand, reserved, version, updated_at \gset lvl_
INSERT INTO stock_movements (variant_id, location_id, delta_on_hand, delta_reserved, on_hand_after, reserved_after, version_after, reason, actor_type, actor_id, reference_type, reference_id, note, created_at) VALUES (:variant_id, :location_id, 0, 1, :lvl_on_hand, :lvl_reserved, :lvl_version, 'reserve', 'guest', NULL, 'reservation', :res_id, '', now()) RETURNING id \gset mv_
INSERT INTO outbox (aggregate_type, aggregate_id, sequence, event_type, payload, created_at, delivered_at) VALUES ('stock_level', :variant_id::text || ':' || :location_id::text, :lvl_version, 'stock_level.changed', jsonb_build_object('variantId', :variant_id::bigint, 'locationId', :location_id::bigint, 'onHand', :lvl_on_hand::bigint, 'reserved', :lvl_reserved::bigint, 'available', :lvl_on_hand::bigint - :lvl_reserved::bigint, 'version', :lvl_version::bigint, 'movement', jsonb_build_object('id', :mv_id::bigint, 'reason', 'reserve', 'deltaOnHand', 0, 'deltaReserved', 1, 'actor', jsonb_build_object('type', 'guest', 'id', NULL), 'reference', jsonb_build_object('type', 'reservation', 'id', :res_id::text), 'note', '', 'at', now())), now(), NULL);
COMMIT;
SQL

pgbench_run() { # name, span, base variant, base level[, clients]
  pgbench -n -M prepared -c "${5:-$PGBENCH_CLIENTS}" -j "$THREADS" -T "$DURATION" -r \
    -D span="$2" -D base_variant="$3" -D base_level="$4" -D location_id="$PGBENCH_LOCATION" \
    -f "$WORK/reserve.sql" "$DB_URL" > "$WORK/pgbench-$1.txt" 2>&1 || { cat "$WORK/pgbench-$1.txt"; exit 1; }
  python3 - "$WORK/pgbench-$1.txt" "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
tps = float(re.search(r"tps = ([\d.]+)", text).group(1))
lat = float(re.search(r"latency average = ([\d.]+) ms", text).group(1))
failed = re.search(r"number of failed transactions: (\d+)", text)
print(f"{sys.argv[2]:>11}: {tps:8.0f} transactions/s  average {lat:6.2f} ms" + (f"  FAILED {failed.group(1)}" if failed and failed.group(1) != "0" else ""))
open(sys.argv[1] + ".tps", "w").write(str(tps))
PY
}
echo "== (c) pgbench, same statements, $PGBENCH_CLIENTS clients (a connection each), ${DURATION}s each"
pgbench_run hot 1 "$PGBENCH_HOT_VARIANT" "$PGBENCH_HOT_LEVEL"
pgbench_run spread "$SKUS" "$PGBENCH_FIRST_VARIANT" "$PGBENCH_FIRST_LEVEL"
# For reference: the hot row with only a few clients, i.e. without a long lock queue.
pgbench_run hot-few 1 "$PGBENCH_HOT_VARIANT" "$PGBENCH_HOT_LEVEL" "${FEW_CLIENTS:-2}"

python3 - "$WORK" <<'PY'
import sys
work = sys.argv[1]
ours = {l.split()[1]: l.split() for l in open(f"{work}/ours.txt") if l.startswith("RESULT ")}
for phase, pg_phase in (("hot", "hot"), ("hot-single", "hot"), ("spread", "spread")):
    pg = float(open(f"{work}/pgbench-{pg_phase}.txt.tps").read())
    _, _, rps, p50, p99, oversold, errors = ours[phase]
    print(f"   {phase:>11}: ours {float(rps):7.0f}/s vs pgbench {pg:7.0f}/s = {float(rps) / pg:.2f} of raw SQL  (p50 {p50} ms, p99 {p99} ms, oversold {oversold}, errors {errors})")
few = float(open(f"{work}/pgbench-hot-few.txt.tps").read())
print(f"   the hot row's ceiling with one durable commit per reservation (pgbench, few clients): {few:.0f}/s; ours combined = {float(ours['hot'][2]) / few:.2f}x it")
PY
echo "== final check: the ledger still replays to every level after pgbench's rows too"
psql -At "$DB_URL" -c "SELECT count(*) FROM stock_levels sl WHERE sl.reserved > sl.on_hand OR sl.reserved <> (SELECT COALESCE(SUM(quantity), 0) FROM reservations r WHERE r.variant_id = sl.variant_id AND r.location_id = sl.location_id AND r.status = 'active') OR sl.on_hand <> (SELECT COALESCE(SUM(delta_on_hand), 0) FROM stock_movements m WHERE m.variant_id = sl.variant_id AND m.location_id = sl.location_id) OR sl.reserved <> (SELECT COALESCE(SUM(delta_reserved), 0) FROM stock_movements m WHERE m.variant_id = sl.variant_id AND m.location_id = sl.location_id)" | sed 's/^/   stock levels not reconciling: /'
