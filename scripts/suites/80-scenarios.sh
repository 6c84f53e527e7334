#!/usr/bin/env bash
# One scenario, every language: runs tests/scenarios/*.json through the Rust, Python, Node,
# Kotlin, C and Swift runners against ONE emulator
# (deterministic engine), each runner in its own fresh gallery, and asserts that all
# normalised transcripts are identical to the Rust one (the diff is printed otherwise).
#
# It reuses what the binding suites built (30-python's venv + wheel, 40-node's addon,
# 50-c's libnecid_c, 60-uniffi's Kotlin classes) and never rebuilds a binding in another
# profile; only the Rust runner and the C runner program are built here. Run it after
# those suites (scripts/test-all does); run alone, it says which suite to run first.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DEBUG="$ROOT/target/x86_64-unknown-linux-gnu/debug"
OUT="$ROOT/target/scenarios"
FACES="$ROOT/cli/assets/faces"
mapfile -t SCENARIOS < <(ls "$ROOT"/tests/scenarios/*.json | sort)
rm -rf "$OUT"
mkdir -p "$OUT"

step() { printf -- '-- scenarios: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
need() { [ -e "$1" ] || { echo "scenarios: $1 is missing: run scripts/suites/$2 first" >&2; exit 1; }; }

need "$ROOT/target/venv-python/bin/python" 30-python.sh
need "$ROOT/node/necid.node" 40-node.sh
need "$DEBUG/libnecid_c.so" 50-c.sh
need "$ROOT/bindings/uniffi/kotlin/target/test-classes" 60-uniffi.sh

step "build the emulator, the Rust runner and the C runner"
cargo build -q -p necid-cli -p necid-reliability
cc -std=c99 -Wall -Wextra -Werror -pedantic -D_POSIX_C_SOURCE=200809L -I"$ROOT/include" \
  -o "$OUT/runner-c" tests/scenarios/c/runner.c -L"$DEBUG" -lnecid_c -Wl,-rpath,"$DEBUG"

SERVE_PID=
cleanup() { if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT
READY="$OUT/ready.json"
"$DEBUG/necid" serve --engine deterministic --memory --port 0 --ready-file "$READY" \
  > "$OUT/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 200); do [ -s "$READY" ] && break; sleep 0.1; done
[ -s "$READY" ] || { cat "$OUT/serve.log" >&2; exit 1; }

failed=0
run() { # run LANG COMMAND...: the transcript goes to $OUT/LANG.txt
  local lang=$1; shift
  step "$lang runner"
  if ! "$@" > "$OUT/$lang.txt" 2> "$OUT/$lang.err"; then
    echo "scenarios: the $lang runner failed:" >&2
    cat "$OUT/$lang.err" >&2
    failed=1
  fi
}

run rust "$DEBUG/scenario-runner" "$READY" "$FACES" "${SCENARIOS[@]}"
run python "$ROOT/target/venv-python/bin/python" tests/scenarios/python/runner.py "$READY" "$FACES" "${SCENARIOS[@]}"
run node node tests/scenarios/node/runner.js "$READY" "$FACES" "${SCENARIOS[@]}"
run c "$OUT/runner-c" "$READY" "$FACES" "${SCENARIOS[@]}"

# Kotlin: the JUnit runner alone, on the classes and native library 60-uniffi built.
kotlin() {
  local rc=0
  (cd bindings/uniffi/kotlin &&
    NECID_SCENARIO_READY="$READY" NECID_SCENARIO_OUT="$OUT/kotlin.out" \
      mvn -B -q -Dstyle.color=never -Dnecid.generate.skip=true \
        -Dtest=ScenarioTranscriptTest -Dsurefire.failIfNoSpecifiedTests=false test >&2) || rc=$?
  # The transcript is written even when an expectation failed: print it for the diff.
  if [ -f "$OUT/kotlin.out" ]; then cat "$OUT/kotlin.out"; fi
  return "$rc"
}
run kotlin kotlin

# Swift: the host's `swift`, else the Debian trixie root of scripts/swift-toolchain (as in
# 60-uniffi, which made it; made here if missing). Skipped (loudly) only when that root
# cannot be made because the Debian archive is unreachable.
swift_cmd=()
if command -v swift >/dev/null 2>&1; then
  swift_cmd=(env)
else
  rc=0
  scripts/swift-toolchain ensure || rc=$?
  if [ "$rc" = 3 ]; then
    echo "scenarios: SWIFT RUNNER SKIPPED: no \`swift\` here and the Debian trixie root with" \
      "swiftlang cannot be made (Debian archive unreachable, see above); the Swift transcript" \
      "is NOT compared." >&2
  elif [ "$rc" = 0 ]; then
    swift_cmd=(scripts/swift-toolchain run)
  else
    echo "scenarios: could not make the Swift toolchain root (see above)" >&2
    exit 1
  fi
fi
if [ ${#swift_cmd[@]} -gt 0 ]; then
  swift_run() {
    # Built first on its own so that a compile error is reported as such (and the build's
    # output stays out of the transcript).
    "${swift_cmd[@]}" NECID_LIB_DIR="$DEBUG" LD_LIBRARY_PATH="$DEBUG" \
      swift build -q --package-path tests/scenarios/swift/runner --scratch-path "$ROOT/target/swift/scenarios" >&2 &&
      "${swift_cmd[@]}" NECID_LIB_DIR="$DEBUG" LD_LIBRARY_PATH="$DEBUG" \
        "$ROOT/target/swift/scenarios/debug/scenario-runner" "$READY" "$FACES" "${SCENARIOS[@]}"
  }
  run swift swift_run
fi

step "compare transcripts"
[ -s "$OUT/rust.txt" ] || { echo "scenarios: empty Rust transcript" >&2; exit 1; }
for f in "$OUT"/*.txt; do
  lang=$(basename "$f" .txt)
  [ "$lang" = rust ] && continue
  if diff -u --label rust "$OUT/rust.txt" --label "$lang" "$f"; then
    echo "scenarios: $lang transcript = rust transcript ($(wc -l < "$f") lines)"
  else
    echo "scenarios: the $lang transcript differs from the Rust one (diff above)" >&2
    failed=1
  fi
done
exit "$failed"
