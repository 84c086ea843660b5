#!/usr/bin/env bash
# Builds what is missing: the WASM app into dist/ (Trunk, release) and the
# server binary. Incremental: a second run on an unchanged tree takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/frontend/node_modules/.bin:$HOME/.cargo/bin:$PATH"
profile="${ZSK_PROFILE:-release}"

if [ ! -d frontend/node_modules/echarts ]; then
  (cd frontend && npm ci --no-audit --no-fund)
fi
# The app is rebuilt only when a source it is built from changed.
if [ ! -f dist/index.html ] || [ -n "$(find app frontend/src frontend/index.html style Cargo.lock Trunk.toml -newer dist/index.html -print -quit)" ]; then
  trunk build --release --offline=true >&2
fi
if [ "$profile" = release ]; then
  cargo build --release -p server --bin zsk >&2
else
  cargo build -p server --bin zsk >&2
fi
