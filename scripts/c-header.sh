#!/usr/bin/env bash
# Writes include/necid.h: cbindgen over the necid-c crate *after macro expansion*, because
# the operations' extern "C" functions are expanded from the core's operation table
# (`c_operations!` in bindings/c/src/client.rs) and cbindgen 0.29 reads source text only.
#
# The expansion is rustc's `-Zunpretty=expanded`, an unstable flag: RUSTC_BOOTSTRAP=1 lets
# the stable toolchain print it. That is for generating this header text only — the
# library itself is never built with it — and it runs in a target directory of its own
# (check profile, so dependencies are only type-checked), which keeps the normal build's
# fingerprints untouched. If a future rustc prints differently, the header check of
# scripts/suites/50-c.sh fails loudly (the committed header is the reference).
# Usage: scripts/c-header.sh [cbindgen-binary] [output]   (defaults: cbindgen, include/necid.h)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CBINDGEN=${1:-cbindgen}
OUT=${2:-include/necid.h}
EXPAND_DIR="$ROOT/target/c-expand"
mkdir -p "$EXPAND_DIR"
RUSTC_BOOTSTRAP=1 cargo rustc --quiet -p necid-c --lib --profile check \
  --target-dir "$EXPAND_DIR" -- -Zunpretty=expanded >"$EXPAND_DIR/necid_c.rs"
"$CBINDGEN" --quiet --config bindings/c/cbindgen.toml --output "$OUT" "$EXPAND_DIR/necid_c.rs"
