#!/usr/bin/env bash
# Search latency on a generated catalog (the demo shop plus PRODUCTS generated
# products, 10,000 by default) on SQLite and on Postgres: p50 / p99 of exact, typo
# and synonym searches through the domain services (plan, first page of 20 by
# relevance, total count), no HTTP and no response cache. See src/main.rs.
#
#   bash bench/search/run.sh
#   PRODUCTS=10000 RUNS=200 BENCH_DATABASE_URL=postgres://... bash bench/search/run.sh
#   BACKENDS=sqlite bash bench/search/run.sh       # one backend only
set -euo pipefail
cd "$(dirname "$0")/../.."

ADMIN_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
DB_NAME="stockade_bench_search"
BACKENDS="${BACKENDS:-sqlite postgres}"
export PRODUCTS="${PRODUCTS:-10000}" RUNS="${RUNS:-200}" RUST_LOG="${RUST_LOG:-warn}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# PROFILE=dev gives a quick debug-build smoke run; figures only mean something in release.
PROFILE="${PROFILE:-release}"

cargo build -q --locked --profile "$PROFILE" -p stockade-bench-search
BIN="$CARGO_TARGET_DIR/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")/stockade-bench-search"

WORK="$(mktemp -d)"
cleanup() { rm -rf "$WORK"; [[ " $BACKENDS " == *" postgres "* ]] && psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1; true; }
trap cleanup EXIT

for backend in $BACKENDS; do
  echo "== $backend"
  case "$backend" in
    sqlite) DATABASE_URL="sqlite:$WORK/bench.db" DATA_DIR="$WORK" "$BIN" ;;
    postgres)
      command -v psql >/dev/null || { echo "psql is required"; exit 1; }
      psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" >/dev/null
      DB_URL="$(python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path='/$DB_NAME').geturl())" "$ADMIN_URL")"
      DATABASE_URL="$DB_URL" DATA_DIR="$WORK" "$BIN" ;;
    *) echo "unknown backend $backend (sqlite, postgres)"; exit 1 ;;
  esac
done
