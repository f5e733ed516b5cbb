#!/usr/bin/env bash
# What compression costs and saves on the storefront listing (bench/catalog's query:
# 20 products with variants, prices, attributes and stock): the server (debug build is
# fine, the body is the same) answers it once on the demo catalog, then the release
# benchmark compresses that body with each encoding at the layer's level (4), the
# cached answers' level (6), and 9 for comparison.
#
#   bash bench/compression/run.sh            # RUNS=50 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
RUNS="${RUNS:-50}"
PORT="${PORT:-8091}"
work="$(mktemp -d)"
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build -q -p stockade
cargo build -q --release -p stockade-bench-compression
DATA_DIR="$work" LISTEN_ADDR="127.0.0.1:$PORT" RUST_LOG=warn RATE_LIMIT_BROWSE_PER_MINUTE=0 "$CARGO_TARGET_DIR/debug/stockade" serve &
server=$!
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
query="$(tr '\n' ' ' < bench/catalog/listing.graphql)"
curl -fs "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
  -d "$(printf '{"query": %s}' "$(printf '%s' "$query" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')")" > "$work/listing.json"
"$CARGO_TARGET_DIR/release/stockade-bench-compression" "$work/listing.json" "$RUNS"
