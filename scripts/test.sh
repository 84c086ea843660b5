#!/usr/bin/env bash
# Runs every check and test: formatting, clippy for the server (ssr) and the
# browser (csr) build, unit and integration tests against a private
# PostgreSQL the tests start themselves, and the Playwright browser tests
# against the real server. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/frontend/node_modules/.bin:$HOME/.cargo/bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"

step() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }

# The official reference data lives beside the project unless told otherwise.
if [ -z "${ZSK_REFERENCE_DIR:-}" ]; then
  export ZSK_REFERENCE_DIR="$PWD/../shared/data"
fi

step "cargo fmt"
cargo fmt --all --check

step "clippy (server build, ssr)"
cargo clippy -p app -p server --features app/ssr --all-targets -- -D warnings

step "clippy (browser build, csr)"
cargo clippy -p frontend -p app --features app/csr --target wasm32-unknown-unknown -- -D warnings

step "unit and integration tests (real PostgreSQL)"
cargo test -p app --features ssr
cargo test -p server

step "browser tests (Playwright, Chromium, axe)"
trunk build --release --offline=true
cargo build -p server --bin zsk
(cd end2end && [ -d node_modules ] || npm ci --no-audit --no-fund)
(cd end2end && ZSK_BIN="$target_dir/debug/zsk" npx playwright test)

step "all tests passed"
