#!/usr/bin/env bash
# CI for the React storefront sample (frontend-sample/): installs what it needs,
# checks codegen (every operation validates against schema.graphql and the
# generated types are current), typechecks, runs vitest, builds the bundle, builds
# the server and runs the Playwright end-to-end suite in Debian's Chromium.
# Fails on any failure; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -o DPkg::Lock::Timeout=900
  apt-get install -y -o DPkg::Lock::Timeout=900 --no-install-recommends chromium fonts-dejavu-core
fi

cd "$ROOT/frontend-sample"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
echo "== npm ci"
npm ci --no-audit --no-fund
echo "== codegen check (operations validate, generated types current)"
npm run codegen:check
echo "== typecheck"
npm run typecheck
echo "== unit and component tests"
npm test
echo "== production build"
npm run build

cd "$ROOT"
if [ -z "${STOCKADE_BIN:-}" ]; then
  echo "== building the server"
  cargo build -p stockade --locked
  STOCKADE_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/stockade"
  case "$STOCKADE_BIN" in /*) ;; *) STOCKADE_BIN="$ROOT/$STOCKADE_BIN" ;; esac
fi
export STOCKADE_BIN
echo "== end-to-end (server: $STOCKADE_BIN)"
cd "$ROOT/frontend-sample"
npm run e2e
