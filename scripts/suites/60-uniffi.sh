#!/usr/bin/env bash
# UniFFI bindings (bindings/uniffi): builds necid-uniffi and the pinned uniffi-bindgen once
# (dev profile, shared target dir), generates Kotlin and Swift from the built library,
# fails if the committed Swift bindings are stale, runs the Kotlin JUnit tests (Maven)
# against the emulator, and the Swift XCTests where a Swift toolchain exists.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
UNIFFI=bindings/uniffi

# The emulator the tests start (necid serve).
cargo build -q -p necid-cli
export NECID_BIN="$ROOT/target/x86_64-unknown-linux-gnu/debug/necid"

echo "uniffi: building necid-uniffi + uniffi-bindgen and generating Kotlin and Swift"
bash "$UNIFFI/generate.sh" kotlin swift

echo "uniffi: Rust unit tests and lints of the binding crate"
cargo test -q -p necid-uniffi
cargo clippy -q -p necid-uniffi -p necid-uniffi-bindgen --all-targets -- -D warnings

echo "uniffi: checking the committed Swift bindings are current"
stale=$(git status --porcelain -- "$UNIFFI/swift/Sources")
if [ -n "$stale" ]; then
  git --no-pager diff --stat -- "$UNIFFI/swift/Sources" || true
  echo "$stale"
  echo "error: the committed Swift bindings are stale: run bindings/uniffi/generate.sh swift and commit the result" >&2
  exit 1
fi

echo "uniffi: Kotlin tests (Maven + JUnit 5)"
if ! command -v mvn >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq maven >/dev/null
fi
rm -rf "$UNIFFI/kotlin/target/surefire-reports"
# Bindings were generated above; Maven resolves its own dependencies.
(cd "$UNIFFI/kotlin" && mvn -B -q -Dstyle.color=never -Dnecid.generate.skip=true test)
python3 - "$UNIFFI/kotlin/target/surefire-reports" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
tests = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/TEST-*.xml"):
    r = ET.parse(f).getroot()
    tests += int(r.get("tests", 0)); skipped += int(r.get("skipped", 0))
    failed += int(r.get("failures", 0)) + int(r.get("errors", 0))
if tests == 0:
    sys.exit("kotlin: no tests ran")
print(f"kotlin: {tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
PY

echo "uniffi: Swift tests (SwiftPM + XCTest)"
if command -v swift >/dev/null 2>&1; then
  LIBDIR="$ROOT/target/x86_64-unknown-linux-gnu/debug"
  LD_LIBRARY_PATH="$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" NECID_LIB_DIR="$LIBDIR" \
    swift test --package-path "$UNIFFI/swift"
else
  echo "uniffi: Swift tests skipped: no Swift toolchain (\`swift\`) on this machine." \
    "The Swift bindings were regenerated and checked against the committed copy above;" \
    "run this script where \`swift\` is installed to run bindings/uniffi/swift's XCTests."
fi
