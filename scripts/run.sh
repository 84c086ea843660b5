#!/usr/bin/env bash
# Builds what is missing and starts the ZSK on http://127.0.0.1:8080 with its
# own PostgreSQL under ./.zsk. The first start loads the region register and
# the demo data set from the reference data (ZSK_REFERENCE_DIR, default
# ../shared/data). Extra arguments go to `zsk serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
exec "$target_dir/release/zsk" serve "$@"
