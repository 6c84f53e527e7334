#!/usr/bin/env bash
# Fuzz smoke: every fuzz target (response parsing of every model, the core's response
# headers, the emulator's Authorization/SigV4 parsing, its HTTP request parsing, image
# decoding in both face engines) must survive its seed corpus (fuzz/corpus/) plus
# deterministic random mutations — the stable harness tests/reliability/tests/fuzz_smoke.rs,
# a few seconds in the shared debug build. With NECID_FUZZ_LIBFUZZER=1 (`make fuzz-smoke`),
# also a real libFuzzer run of each target for FUZZ_SMOKE_SECS (default 4 s; ~20 s in all).
# That part is opt-in, not "whenever cargo-fuzz happens to be installed": its first
# (sanitizer, nightly) build of fuzz/ takes many minutes, which the test command must not
# depend on a machine's state for. The long run is `make fuzz`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SECS=${FUZZ_SMOKE_SECS:-4}
TARGETS=(models_json response_headers authorization image_decode emulator_request)

echo "-- fuzz smoke: stable harness ($(date -u +%H:%M:%S))"
cargo test -q -p necid-reliability --test fuzz_smoke -- --nocapture

if [ "${NECID_FUZZ_LIBFUZZER:-0}" != 1 ]; then
  echo "fuzz smoke: libFuzzer run not requested (NECID_FUZZ_LIBFUZZER=1, or make fuzz-smoke / make fuzz)"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz smoke: libFuzzer run skipped: cargo-fuzz is not installed" \
    "(cargo install cargo-fuzz; then make fuzz-smoke or make fuzz)"
  exit 0
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz smoke: libFuzzer run skipped: no nightly toolchain (rustup toolchain install nightly)"
  exit 0
fi
echo "-- fuzz smoke: libFuzzer, ${SECS} s per target ($(date -u +%H:%M:%S))"
cargo +nightly fuzz build -O
for t in "${TARGETS[@]}"; do
  work="$ROOT/fuzz/target/smoke/$t"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  # New inputs go to the scratch corpus (first dir); the committed seeds are only read.
  if ! cargo +nightly fuzz run -O "$t" "$work/corpus" "fuzz/corpus/$t" -- \
      -max_total_time="$SECS" -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 \
      -artifact_prefix="$work/artifacts/" -print_final_stats=1 > "$work/log" 2>&1; then
    tail -n 40 "$work/log" >&2
    echo "fuzz smoke: $t failed; the input is in $work/artifacts/" >&2
    exit 1
  fi
  echo "fuzz smoke: $t: $(grep -E '^stat::number_of_executed_units' "$work/log" | awk '{print $2}') runs," \
    "peak RSS $(grep -E '^stat::peak_rss_mb' "$work/log" | awk '{print $2}') MB, no crash"
done
echo "fuzz smoke: done"
