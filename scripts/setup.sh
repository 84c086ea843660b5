#!/usr/bin/env bash
# Installs everything a fresh Debian 12 machine needs to build, run and test
# the ZSK. Safe to run twice: every step checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' Cargo.lock)

log() { printf '\n== %s\n' "$*"; }

log "System packages (PostgreSQL server, Chromium)"
need_apt=()
for pkg in postgresql chromium ca-certificates pkg-config build-essential; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

log "Rust WASM target"
rustup target list --installed | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown

log "Trunk $TRUNK_VERSION"
if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

log "wasm-bindgen-cli $WASM_BINDGEN_VERSION"
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  # Without --locked: its own lockfile names a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

log "npm packages (ECharts and wasm-opt for the frontend, Playwright and axe)"
(cd frontend && npm ci --no-audit --no-fund)
(cd end2end && npm ci --no-audit --no-fund)

log "Done"
