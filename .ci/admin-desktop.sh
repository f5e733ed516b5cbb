#!/usr/bin/env bash
# The admin desktop app's suite (admin-desktop/): codegen check, typecheck, component
# tests, UI and app build, then the end-to-end run (the real app through tauri-driver
# + WebKitWebDriver under Xvfb against a real stockade).
#
#   .ci/admin-desktop.sh install   system packages, tauri-driver, npm ci and the built
#                                  UI: what `cargo clippy/test --workspace` need for the
#                                  Tauri crate (run it before them)
#   .ci/admin-desktop.sh           install, then the whole suite
#
# Fails on any failure; with CI=true nothing may be skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
APP="$ROOT/admin-desktop"
export CARGO_TERM_COLOR=never
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
mode="${1:-all}"

step() { printf '\n== admin-desktop: %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

APT_PACKAGES=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  librsvg2-dev libayatana-appindicator3-dev libdbus-1-dev libssl-dev
  webkit2gtk-driver xvfb xauth fonts-dejavu-core
)

install() {
  step "system packages"
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -o DPkg::Lock::Timeout=900
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=900 "${missing[@]}"
  else
    echo "all present"
  fi

  step "tauri-driver 2.1.0"
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! tauri-driver --help >/dev/null 2>&1; then
    # Its own target dir: never the workspace's (its lock file is its own).
    CARGO_TARGET_DIR="${TAURI_DRIVER_TARGET_DIR:-/var/tmp/tauri-driver-target}" \
      cargo install tauri-driver --version 2.1.0 --locked
  fi

  step "npm ci"
  (cd "$APP" && npm ci --no-audit --no-fund)

  # The Tauri crate embeds ../dist: build the UI before any cargo build of the workspace.
  step "UI build (codegen, typecheck, vite)"
  (cd "$APP" && npm run build)
}

install
[ "$mode" = "install" ] && exit 0

step "codegen check: every operation validates against schema.graphql"
(cd "$APP" && npm run codegen)

step "typecheck"
(cd "$APP" && npx tsc -b)

step "component tests (vitest)"
(cd "$APP" && npx vitest run)

step "Tauri crate tests (token store)"
cargo test -p stockade-admin --locked

step "build the app (bundled UI) and, unless given one, the server"
cargo build -p stockade-admin --features custom-protocol --locked
if [ -z "${STOCKADE_BIN:-}" ]; then
  cargo build -p stockade --locked
  STOCKADE_BIN="$TARGET/debug/stockade"
fi

step "end to end (tauri-driver + WebKitWebDriver under Xvfb)"
export PATH="$HOME/.cargo/bin:$PATH"
E2E_APP="$TARGET/debug/stockade-admin" STOCKADE_BIN="$STOCKADE_BIN" \
  xvfb-run -a -s "-screen 0 1280x800x24" node "$APP/e2e/run.mjs"

step "done"
