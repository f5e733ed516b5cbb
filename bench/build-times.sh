#!/usr/bin/env bash
# Build times of the server, dev profile, with the dependencies already built: the
# workspace's own crates from clean, then an edit to a resolver, then an edit to a
# domain service (each: touch the file, rebuild the binary and the test binary).
#
#   bash bench/build-times.sh                  # this checkout
#   bash bench/build-times.sh /path/to/other   # another checkout (e.g. the commit before a change),
#                                              # same CARGO_TARGET_DIR so dependencies are shared
set -euo pipefail
REPO="$(cd "${1:-$(dirname "$0")/..}" && pwd)"
cd "$REPO"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
RUNS="${RUNS:-2}"

first() { for f in "$@"; do [ -f "$f" ] && { echo "$f"; return; }; done; echo "none of $*" >&2; exit 1; }
RESOLVER=$(first api/graphql/src/catalog/query.rs api/src/graphql/catalog/query.rs)
SERVICE=$(first api/domain/src/inventory/reserve.rs api/src/inventory/reserve.rs)
PACKAGES=$(cargo metadata --no-deps --format-version 1 | python3 -c "import json,sys; print(' '.join('-p '+p['name'] for p in json.load(sys.stdin)['packages'] if p['manifest_path'].startswith('$REPO/api') or p['name']=='migration'))")

secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); python3 -c "print(f'{$e - $s:.1f}')"; }
build() { cargo build -q -p stockade --bin stockade && cargo test -q -p stockade --no-run; }

echo "== $(git -C "$REPO" log -1 --format='%h %s' | cut -c1-70)"
echo "   dependencies (not timed)"; build >/dev/null 2>&1
for run in $(seq 1 "$RUNS"); do
  # shellcheck disable=SC2086
  cargo clean -q $PACKAGES
  clean=$(secs build)
  touch "$RESOLVER"; resolver=$(secs build)
  touch "$SERVICE"; service=$(secs build)
  echo "   run $run: workspace from clean ${clean} s | after touching a resolver ${resolver} s | after touching a domain service ${service} s"
done
