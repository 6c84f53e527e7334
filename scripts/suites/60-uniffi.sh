#!/usr/bin/env bash
# UniFFI bindings (bindings/uniffi): builds necid-uniffi and the pinned uniffi-bindgen once
# (dev profile, shared target dir), generates Kotlin and Swift from the built library,
# fails if the committed Swift bindings are stale, runs the Kotlin JUnit tests (Maven)
# against the emulator, and builds and runs the Swift XCTests: with the host's `swift`, else
# in the Debian trixie root of scripts/swift-toolchain (made once, cached outside the
# clone). It fails if a Swift test fails or none ran; it skips the Swift part (loudly) only
# when that root cannot be made because the Debian archive is unreachable.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
UNIFFI=bindings/uniffi

# The emulator the tests start (necid serve).
cargo build -q -p necid-cli
export NECID_BIN="$ROOT/target/x86_64-unknown-linux-gnu/debug/necid"
# The forward proxy the network-settings tests send traffic through (tests/e2e).
cargo build -q -p necid-e2e --bin necid-test-proxy
export NECID_TEST_PROXY="$ROOT/target/x86_64-unknown-linux-gnu/debug/necid-test-proxy"

# The tests' library has the core's test hooks (a request for "necid-test-panic" panics
# inside the core); every cargo step below uses the same features so the library in
# target/ (which Swift links) stays that build.
export NECID_UNIFFI_FEATURES=necid-uniffi/test-hooks
echo "uniffi: building necid-uniffi + uniffi-bindgen and generating Kotlin and Swift"
bash "$UNIFFI/generate.sh" kotlin swift

echo "uniffi: Rust unit tests and lints of the binding crate"
cargo test -q -p necid-uniffi --features "$NECID_UNIFFI_FEATURES"
cargo clippy -q -p necid-uniffi -p necid-uniffi-bindgen --features "$NECID_UNIFFI_FEATURES" --all-targets -- -D warnings
cargo clippy -q -p necid-uniffi --all-targets -- -D warnings

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
rm -rf "$UNIFFI/kotlin/target/surefire-reports" "$UNIFFI/kotlin/target/readme-tests"
# The README's "Testing your code offline" example runs with the tests (the pom compiles
# target/readme-tests), pointed at a sample face.
python3 - "$UNIFFI/kotlin/README.md" "$UNIFFI/kotlin/target/readme-tests/ReadmeOfflineTest.kt" \
  "$ROOT/cli/assets/faces/obama.jpg" <<'PY'
import os, re, sys
readme, out, face = sys.argv[1:]
blocks = [b for b in re.findall(r"^```kotlin\n(.*?)^```", open(readme).read(), re.M | re.S) if re.search(r"^@NecidEmulator\b", b, re.M)]
if len(blocks) != 1 or 'File("face.jpg")' not in blocks[0]:
    sys.exit(f"kotlin: {readme} needs one complete @NecidEmulator test reading File(\"face.jpg\")")
os.makedirs(os.path.dirname(out), exist_ok=True)
open(out, "w").write(blocks[0].replace('File("face.jpg")', f'File("{face}")'))
PY
# Bindings were generated above; Maven resolves its own dependencies.
(cd "$UNIFFI/kotlin" && mvn -B -q -Dstyle.color=never -Dnecid.generate.skip=true test)
python3 - "$UNIFFI/kotlin/target/surefire-reports" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
tests = failed = skipped = 0
# Counted from the <testcase> elements: a class that runs a JUnit engine itself
# (TestingTest, through EngineTestKit) has its suite totals reported as 0 by surefire.
for f in glob.glob(sys.argv[1] + "/TEST-*.xml"):
    for case in ET.parse(f).getroot().iter("testcase"):
        tests += 1
        skipped += case.find("skipped") is not None
        failed += case.find("failure") is not None or case.find("error") is not None
if tests == 0:
    sys.exit("kotlin: no tests ran")
print(f"kotlin: {tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
if not glob.glob(sys.argv[1] + "/TEST-FaceSearchTest.xml"):
    sys.exit("kotlin: the README's offline test (FaceSearchTest) did not run")
PY

echo "uniffi: Swift tests (SwiftPM + XCTest)"
# Where `swift` is not installed (this Debian bookworm machine), scripts/swift-toolchain
# makes once (cache outside the clone) and reuses a Debian trixie root with Debian's
# swiftlang, and runs SwiftPM there with this repository mounted at the same path; the
# host-built libnecid_uniffi.so and emulator are used as they are.
swift_t0=$SECONDS
LIBDIR="$ROOT/target/x86_64-unknown-linux-gnu/debug"
SWIFT_OUT="$ROOT/target/swift"
mkdir -p "$SWIFT_OUT"
if command -v swift >/dev/null 2>&1; then
  in_swift() { env "$@"; }
  echo "uniffi: using the host's $(swift --version 2>/dev/null | head -n 1)"
else
  rc=0
  scripts/swift-toolchain ensure || rc=$?
  if [ "$rc" = 3 ]; then
    cat >&2 <<'MSG'
###########################################################################################
# uniffi: SWIFT TESTS SKIPPED: no `swift` on this machine and the Debian trixie root with  #
# swiftlang cannot be made (the Debian archive is unreachable; see the lines above).       #
# The Swift bindings were regenerated and checked against the committed copy, but NOT      #
# compiled or tested. Run this suite with network access to the Debian archive, or with   #
# `swift` installed.                                                                        #
###########################################################################################
MSG
    exit 0
  fi
  [ "$rc" = 0 ] || { echo "uniffi: could not make the Swift toolchain root (see above)" >&2; exit 1; }
  in_swift() { scripts/swift-toolchain run "$@"; }
  echo "uniffi: using $(in_swift swift --version 2>/dev/null | grep -m1 -i 'swift version') in $(scripts/swift-toolchain path)"
fi
swift_t1=$SECONDS
swift_env=(NECID_LIB_DIR="$LIBDIR" LD_LIBRARY_PATH="$LIBDIR" NECID_BIN="$NECID_BIN")
# The README's "Testing your code offline" XCTest runs with the tests (a git-ignored copy in
# the test target), pointed at a sample face.
python3 - "$UNIFFI/swift/README.md" "$UNIFFI/swift/Tests/NecidTests/ReadmeOfflineTests.swift" \
  "$ROOT/cli/assets/faces/obama.jpg" <<'PY'
import re, sys
readme, out, face = sys.argv[1:]
blocks = [b for b in re.findall(r"^```swift\n(.*?)^```", open(readme).read(), re.M | re.S)
          if b.startswith("import XCTest\n") and "startEmulator(" in b]
if len(blocks) != 1 or '"face.jpg"' not in blocks[0]:
    sys.exit(f"swift: {readme} needs one complete XCTest using startEmulator() and reading \"face.jpg\"")
open(out, "w").write(blocks[0].replace('"face.jpg"', f'"{face}"'))
PY
# Build products go to target/swift, not into the package folders.
in_swift "${swift_env[@]}" swift build --package-path "$UNIFFI/swift" \
  --scratch-path "$SWIFT_OUT/uniffi" --build-tests
swift_t2=$SECONDS
rc=0
# XCTest only (the package has no swift-testing tests). SwiftPM writes an xUnit report only
# in --parallel mode, so the counts come from XCTest's own summary lines.
in_swift "${swift_env[@]}" swift test --package-path "$UNIFFI/swift" \
  --scratch-path "$SWIFT_OUT/uniffi" --skip-build --disable-swift-testing 2>&1 |
  tee "$SWIFT_OUT/test.log" || rc=$?
python3 - "$SWIFT_OUT/test.log" "$rc" <<'PY'
import re, sys
log, rc = open(sys.argv[1], errors="replace").read(), int(sys.argv[2])
passed = len(re.findall(r"^Test Case '.*' passed", log, re.M))
failed = len(re.findall(r"^Test Case '.*' failed", log, re.M))
skipped = len(re.findall(r"^Test Case '.*' skipped", log, re.M))
total = re.findall(r"^Test Suite 'All tests' \w+ at .*\n\s*Executed (\d+) tests?, with (\d+) failures?", log, re.M)
print(f"swift: {passed} passed, {failed} failed, {skipped} skipped (XCTest)")
if not total:
    sys.exit(f"swift: no XCTest summary in the output (swift test exited {rc}): the test run did not finish")
if passed == 0:
    sys.exit("swift: no tests ran")
if not re.search(r"^Test Case '.*FaceSearchTests.testFindsARegisteredFace.*' passed", log, re.M):
    sys.exit("swift: the README's offline test (FaceSearchTests) did not pass")
if failed or skipped or rc or int(total[-1][1]):
    sys.exit(f"swift: tests failed or were skipped (swift test exited {rc})")
PY
swift_t3=$SECONDS
echo "uniffi: compiling the Swift README's examples"
# Every ```swift block of the README that starts with `import Foundation` is a whole
# program: each becomes an executable target of a throwaway package on the bindings.
README_PKG="$SWIFT_OUT/readme"
rm -rf "$README_PKG/Sources" "$README_PKG/Package.swift"
python3 - "$UNIFFI/swift/README.md" "$README_PKG" "$ROOT/$UNIFFI/swift" <<'PY'
import os, re, sys
readme, pkg, necid = sys.argv[1:]
blocks = [b for b in re.findall(r"^```swift\n(.*?)^```", open(readme).read(), re.M | re.S)
          if b.startswith("import Foundation\n")]
if not blocks:
    sys.exit(f"swift: no complete example (a swift block starting with `import Foundation`) in {readme}")
names = []
for i, code in enumerate(blocks, 1):
    names.append(f"readme-example-{i}")
    os.makedirs(f"{pkg}/Sources/{names[-1]}")
    open(f"{pkg}/Sources/{names[-1]}/main.swift", "w").write(code)
targets = ",\n".join(f'        .executableTarget(name: "{n}", dependencies: [.product(name: "Necid", package: "swift")])'
                     for n in names)
open(f"{pkg}/Package.swift", "w").write(f"""// swift-tools-version:5.7
// Generated by scripts/suites/60-uniffi.sh from {readme}.
import PackageDescription
let package = Package(
    name: "ReadmeExamples",
    platforms: [.macOS(.v12)],
    dependencies: [.package(path: "{necid}")],
    targets: [
{targets}
    ]
)
""")
print(f"swift: {len(names)} README example(s)")
PY
in_swift "${swift_env[@]}" swift build --package-path "$README_PKG" --scratch-path "$SWIFT_OUT/readme-build"
echo "uniffi: Swift timings: toolchain $((swift_t1 - swift_t0)) s, build $((swift_t2 - swift_t1)) s," \
  "tests $((swift_t3 - swift_t2)) s, README examples $((SECONDS - swift_t3)) s"
