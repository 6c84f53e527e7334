#!/usr/bin/env bash
# The prebuilt packages, installed as a user without Rust installs them.
#
# Builds dist/ for x86_64 (scripts/package), checks every artifact carries the workspace
# version and the right platform tags (auditwheel: manylinux_2_17; glibc symbols <= 2.17;
# a static CLI; a relocatable C bundle), then, in clean directories with cargo and rustc
# NOT on PATH:
#   - Python: a venv, `pip install` the wheel, the Python suite (python/tests) against the
#     emulator (the dist CLI's `necid serve`);
#   - Node: a new npm project, `npm install` the packed tarballs (main + linux-x64-gnu),
#     a user's node:test file with necid/testing (the emulator from the platform package's
#     bin/necid), the Node suite (node/test) against that installation;
#   - C: the example built with CMake (find_package, shared and static) and with
#     pkg-config against the unpacked (and then moved) tarball, run under valgrind;
#   - Kotlin: `mvn install:install-file` the jars + POMs, a new Maven project running the
#     README's quick example against the emulator, and another running the README's offline
#     test (JUnit, @NecidEmulator with the necid packaged in necid-kotlin-testing);
#   - CLI: `necid demo` from the static binary.
# Finally actionlint checks the release workflows in .github/workflows.
# The aarch64 packages are checked under qemu by scripts/dist-check-aarch64 (make dist-check).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
VERSION=$(python3 scripts/version)
# NECID_DIST_SKIP_BUILD=1: check the dist/ already built (the release workflow builds both
# architectures first); NECID_DIST_DIR: check another directory of the same layout.
DIST=${NECID_DIST_DIR:-$ROOT/dist}
WORK="$ROOT/target/dist-test"
FACES="$ROOT/cli/assets/faces"
PIP=(--quiet --disable-pip-version-check)
T0=$SECONDS
step() { printf '\n-- dist: %s (%s, +%d s)\n' "$1" "$(date -u +%H:%M:%S)" "$((SECONDS - T0))"; }
fail() { echo "dist: FAILED: $*" >&2; exit 1; }

if [ "${NECID_DIST_SKIP_BUILD:-0}" = 1 ]; then
  step "using the packages already in $DIST (NECID_DIST_SKIP_BUILD=1)"
else
  step "build dist/ (scripts/package, x86_64)"
  scripts/package --arch x86_64
fi
BUILD_SECS=$((SECONDS - T0))

rm -rf "$WORK"
mkdir -p "$WORK"
EMU_PID=""
cleanup() {
  if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

step "artifacts: versions, tags, glibc floor, static CLI, relocatable C bundle"
WHEEL=$(ls "$DIST"/python/necid-"$VERSION"-*x86_64.whl)
SDIST="$DIST/python/necid-$VERSION.tar.gz"
NPM_MAIN="$DIST/npm/necid-$VERSION.tgz"
NPM_X64="$DIST/npm/necid-linux-x64-gnu-$VERSION.tgz"
JAR="$DIST/jvm/necid-kotlin-$VERSION.jar"
POM="$DIST/jvm/necid-kotlin-$VERSION.pom"
JAR_TESTING="$DIST/jvm/necid-kotlin-testing-$VERSION.jar"
POM_TESTING="$DIST/jvm/necid-kotlin-testing-$VERSION.pom"
CTAR="$DIST/c/necid-$VERSION-linux-x86_64.tar.gz"
CLITAR="$DIST/cli/necid-$VERSION-linux-x86_64-musl.tar.gz"
for f in "$WHEEL" "$SDIST" "$NPM_MAIN" "$NPM_X64" "$JAR" "$POM" "$JAR_TESTING" "$POM_TESTING" "$CTAR" "$CLITAR"; do
  [ -s "$f" ] || fail "missing artifact $f"
done
"$ROOT/target/dist-tools/bin/auditwheel" show "$WHEEL" | tee "$WORK/auditwheel.txt"
mkdir -p "$WORK/unpacked/c" "$WORK/unpacked/cli"
tar -C "$WORK/unpacked/c" -xzf "$CTAR"
tar -C "$WORK/unpacked/cli" -xzf "$CLITAR"
python3 "$ROOT/scripts/dist-inspect" --version "$VERSION" --build-root "$ROOT" \
  --wheel "$WHEEL" --auditwheel "$WORK/auditwheel.txt" --sdist "$SDIST" \
  --npm-main "$NPM_MAIN" --npm-platform "$NPM_X64" --jar "$JAR" --pom "$POM" \
  --jar-testing "$JAR_TESTING" --pom-testing "$POM_TESTING" \
  --c-dir "$WORK/unpacked/c/necid-$VERSION-linux-x86_64" --jna-dir linux-x86-64 \
  --cli "$WORK/unpacked/cli/necid-$VERSION-linux-x86_64-musl/necid"

# The Python and Node network tests drive a real forward proxy, a test tool of tests/e2e
# (not part of any artifact); the copied Node tests cannot find it beside the repository.
cargo build -q -p necid-e2e --bin necid-test-proxy
export NECID_TEST_PROXY="$ROOT/target/x86_64-unknown-linux-gnu/debug/necid-test-proxy"

# ---- from here on: no Rust ----------------------------------------------------------
NORUST_PATH=$(python3 - <<'PY'
import os
keep = [d for d in os.environ["PATH"].split(os.pathsep)
        if d and not any(os.path.exists(os.path.join(d, t)) for t in ("cargo", "rustc", "rustup"))]
print(os.pathsep.join(keep))
PY
)
norust() {
  env -u CARGO_HOME -u RUSTUP_HOME -u CARGO_TARGET_DIR -u CARGO_BUILD_TARGET -u RUSTC \
    -u PYO3_PYTHON -u RUSTFLAGS -u NECID_LIB_DIR PATH="$NORUST_PATH" "$@"
}
if norust bash -c 'command -v cargo || command -v rustc || command -v rustup'; then
  fail "cargo/rustc still on the PATH of the no-Rust checks"
fi
echo "no-Rust PATH: cargo, rustc and rustup are not reachable"

NECID_BIN="$WORK/unpacked/cli/necid-$VERSION-linux-x86_64-musl/necid"
export NECID_BIN

step "CLI: necid demo (static musl binary)"
norust "$NECID_BIN" demo > "$WORK/demo.txt" 2>&1 || { cat "$WORK/demo.txt"; fail "necid demo"; }
tail -n 5 "$WORK/demo.txt"

start_emulator() {  # sets EMU_PID and exports NECID_ENDPOINT etc. (dev credentials)
  local dir="$WORK/emulator"
  mkdir -p "$dir/buckets"
  rm -f "$dir/ready.json"
  "$NECID_BIN" serve --engine deterministic --memory --port 0 --ready-file "$dir/ready.json" \
    --bucket-dir "$dir/buckets" > "$dir/serve.log" 2>&1 &
  EMU_PID=$!
  for _ in $(seq 600); do
    [ -s "$dir/ready.json" ] && break
    kill -0 "$EMU_PID" 2>/dev/null || { cat "$dir/serve.log"; fail "emulator exited"; }
    sleep 0.05
  done
  [ -s "$dir/ready.json" ] || fail "emulator not ready in 30 s"
  eval "$(python3 - "$dir/ready.json" <<'PY'
import json, shlex, sys
i = json.load(open(sys.argv[1]))
for env, key in [("NECID_ENDPOINT", "endpoint"), ("NECID_TENANT_ENDPOINT", "tenantEndpoint"),
                 ("NECID_REGION", "region"), ("NECID_ACCESS_KEY_ID", "accessKeyId"),
                 ("NECID_SECRET_ACCESS_KEY", "secretAccessKey"), ("NECID_API_KEY", "apiKey")]:
    print(f"export {env}={shlex.quote(str(i[key]))}")
PY
)"
  export NECID_CONFIG_FILE=/nonexistent/necid-config
  unset NECID_PROFILE
}
stop_emulator() {
  kill "$EMU_PID" 2>/dev/null || true
  wait "$EMU_PID" 2>/dev/null || true
  EMU_PID=""
  unset NECID_ENDPOINT NECID_TENANT_ENDPOINT NECID_REGION NECID_ACCESS_KEY_ID \
    NECID_SECRET_ACCESS_KEY NECID_API_KEY NECID_CONFIG_FILE
}

step "Python: pip install the wheel into a fresh venv, the Python suite"
PYW="$WORK/python"
mkdir -p "$PYW"
norust python3 -m venv "$PYW/venv"
norust "$PYW/venv/bin/python" -m pip install "${PIP[@]}" "pytest>=8" "pytest-timeout>=2.3" "mypy>=1.10" "$WHEEL"
(
  cd "$PYW"
  norust "$PYW/venv/bin/python" - "$VERSION" <<'PY'
import sys, necid
assert necid.__version__ == sys.argv[1], (necid.__version__, sys.argv[1])
assert necid.__file__.startswith(sys.prefix), necid.__file__
# A user build: the test suite's fault-injection hook is not in it.
assert not hasattr(necid._necid, "_panic_for_tests"), "test hook in the dist wheel"
print(f"python: necid {necid.__version__} from {necid.__file__}")
PY
  # A user's own offline test with nothing but the wheel: the pytest plugin comes in through
  # the entry point and the emulator is the necid executable packaged in the wheel.
  mkdir -p "$PYW/user-tests"
  cat > "$PYW/user-tests/test_offline.py" <<'PY'
import necid.testing


def test_packaged_emulator(necid_emulator, necid_client):
    assert necid.testing.find_binary() == str(necid.testing.PACKAGED_BINARY)
    assert isinstance(necid_client.list_tags(), list)
PY
  (cd "$PYW/user-tests" && env -u NECID_BIN PATH=/usr/bin:/bin \
    "$PYW/venv/bin/pytest" -p no:cacheprovider -q test_offline.py) \
    || fail "a user's pytest file with the wheel's plugin and packaged emulator"
  # The tests that need the test-hooks build (a deliberate panic inside the SDK) are left
  # out here: the dist wheel has no hooks (checked just above); 30-python runs them.
  rc=0
  norust "$PYW/venv/bin/pytest" "$ROOT/python/tests" -p no:cacheprovider --timeout 300 -q \
    -k "not panic" || rc=$?
  [ "$rc" -ne 5 ] || fail "pytest collected no tests"
  [ "$rc" -eq 0 ] || fail "Python suite against the dist wheel (pytest exit $rc)"
)

step "Node: npm install the tarballs into a new project, the Node suite"
NODEW="$WORK/node"
mkdir -p "$NODEW"
(
  cd "$NODEW"
  norust npm init -y >/dev/null
  # The other platforms' optional packages are not published yet: npm skips them.
  norust npm install --no-audit --no-fund --loglevel=error "$NPM_MAIN" "$NPM_X64"
  norust node - "$VERSION" <<'JS'
const assert = require('node:assert/strict')
const version = process.argv[2]
const necid = require('necid')
assert.equal(require('necid/package.json').version, version)
const addon = require.resolve('necid-linux-x64-gnu')
assert.ok(addon.startsWith(process.cwd() + '/node_modules/necid-linux-x64-gnu/'), addon)
assert.equal(typeof necid.Client, 'function')
console.log(`node: necid ${version}, addon ${addon}`)
JS
  # A user's own offline test with nothing but the tarballs: necid/testing starts the necid
  # executable of the platform package (no NECID_BIN, no necid on PATH).
  mkdir -p user-tests
  cat > user-tests/offline.test.js <<'JS'
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { startEmulator, findBinary } = require('necid/testing')

test('the packaged emulator', async () => {
  const packaged = path.join(path.dirname(require.resolve('necid-linux-x64-gnu/package.json')), 'bin', 'necid')
  assert.equal(findBinary(), packaged)
  const emu = await startEmulator()
  try {
    assert.deepEqual(await emu.client.listTags(), [])
  } finally {
    await emu.stop()
  }
})
JS
  norust env -u NECID_BIN node --test user-tests/offline.test.js \
    || fail "a user's node:test file with necid/testing and the packaged emulator"
  # The suite's files as they are, beside shims that are the installed package: index.js,
  # index.mjs and errors.js re-export it, loader.js is its copy, necid.node is the installed
  # platform addon; the
  # repository's fixtures (faces, vectors) are linked where the suite looks for them.
  mkdir -p pkg
  cp -r "$ROOT/node/test" pkg/test
  echo "module.exports = require('necid')" > pkg/index.js
  printf "export * from 'necid'\nexport { default } from 'necid'\n" > pkg/index.mjs
  echo "module.exports = require(require('node:path').join(require('node:path').dirname(require.resolve('necid')), 'errors.js'))" > pkg/errors.js
  cp node_modules/necid/loader.js pkg/loader.js  # loader.test.js copies it elsewhere: the file itself
  echo "module.exports = require('necid/testing')" > pkg/testing.js
  cp node_modules/necid/README.md pkg/README.md  # testing.test.js runs its offline example
  cp node_modules/necid/index.d.ts pkg/index.d.ts  # dts.test.js checks the packed declarations
  ln -s "$NODEW/node_modules/necid-linux-x64-gnu/necid.linux-x64-gnu.node" pkg/necid.node
  ln -s "$ROOT/cli" cli
  ln -s "$ROOT/tests" tests
  # The suites of the test-hooks build (describe('panics', ...): deliberate panics inside
  # the SDK) are skipped in this copy: the dist addon has no hooks (checked here); 40-node
  # runs them. (node 20's --test-name-pattern cannot exclude: the file's own name matches.)
  if grep -a -q -e __panicForTest -e __panicSyncForTest pkg/necid.node; then
    fail "the dist addon has the test hooks"
  fi
  mapfile -t skipped < <(grep -l "^describe('panics'," pkg/test/*.js || true)
  [ ${#skipped[@]} -gt 0 ] || fail "no describe('panics', ...) in node/test: update the test-hooks-only list of 95-dist.sh"
  sed -i "s/^describe('panics',/describe.skip('panics (the test-hooks build only: 40-node)',/" "${skipped[@]}"
  echo "node: skipping the test-hooks suites of: ${skipped[*]##*/}"
  norust node --test --test-reporter=spec pkg/test/*.test.js pkg/test/*.test.mjs 2>&1 | tee "$WORK/node-test.log"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || fail "Node suite against the installed tarballs (exit $rc)"
  grep -Eq '^ℹ pass [1-9]' "$WORK/node-test.log" || fail "node --test ran no test"
)

step "C: the unpacked tarball, moved, with CMake (shared + static) and pkg-config, under valgrind"
CW="$WORK/c"
mkdir -p "$CW"
# Relocatable: it is used from a different directory than the one it was unpacked in.
mv "$WORK/unpacked/c/necid-$VERSION-linux-x86_64" "$CW/necid"
mkdir -p "$CW/project"
cp bindings/c/examples/example.c "$CW/project/"
cat > "$CW/project/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.16)
project(necid_user C)
find_package(necid $VERSION EXACT REQUIRED)
add_executable(example_shared example.c)
target_link_libraries(example_shared PRIVATE necid::necid)
add_executable(example_static example.c)
target_link_libraries(example_static PRIVATE necid::necid_static)
foreach(t example_shared example_static)
  set_target_properties(\${t} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_compile_options(\${t} PRIVATE -Wall -Wextra -Werror -pedantic)
endforeach()
EOF
norust cmake -S "$CW/project" -B "$CW/build" -DCMAKE_PREFIX_PATH="$CW/necid" >/dev/null
norust cmake --build "$CW/build" >/dev/null
# shellcheck disable=SC2046  # word splitting of pkg-config output is intended
norust cc -std=c99 -Wall -Wextra -Werror -pedantic -o "$CW/example_pc" bindings/c/examples/example.c \
  $(PKG_CONFIG_PATH="$CW/necid/lib/pkgconfig" pkg-config --cflags --libs necid) -Wl,-rpath,"$CW/necid/lib"
[ "$(PKG_CONFIG_PATH="$CW/necid/lib/pkgconfig" pkg-config --modversion necid)" = "$VERSION" ] || fail "pkg-config version"
if ldd "$CW/build/example_static" | grep -q libnecid_c; then fail "example_static links libnecid_c.so"; fi
# shellcheck disable=SC2054  # the commas are valgrind's
VALGRIND=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible
  --errors-for-leak-kinds=definite,indirect,possible
  --suppressions="$ROOT/bindings/c/tests/valgrind.supp")
start_emulator
for exe in "$CW/build/example_shared" "$CW/build/example_static" "$CW/example_pc"; do
  echo "c: $(basename "$exe") under valgrind"
  RUST_BACKTRACE=0 norust "${VALGRIND[@]}" "$exe" "$FACES/obama.jpg" "$FACES/biden.jpg" \
    || fail "$(basename "$exe") (valgrind or the example failed)"
done
stop_emulator

step "Kotlin/JVM: mvn install the jars, new Maven projects run the README examples"
KW="$WORK/kotlin"
mkdir -p "$KW/src/main/kotlin"
norust mvn -B -q -Dstyle.color=never install:install-file -Dfile="$JAR" -DpomFile="$POM"
norust mvn -B -q -Dstyle.color=never install:install-file -Dfile="$JAR_TESTING" -DpomFile="$POM_TESTING"
KOTLIN_VERSION=$(sed -n 's|.*<kotlin.version>\(.*\)</kotlin.version>.*|\1|p' bindings/uniffi/kotlin/pom.xml)
cat > "$KW/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>necid-user</artifactId>
  <version>1</version>
  <properties><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
  <dependencies>
    <dependency><groupId>necid</groupId><artifactId>necid-kotlin</artifactId><version>$VERSION</version></dependency>
  </dependencies>
  <build>
    <sourceDirectory>src/main/kotlin</sourceDirectory>
    <plugins>
      <plugin>
        <groupId>org.jetbrains.kotlin</groupId><artifactId>kotlin-maven-plugin</artifactId><version>$KOTLIN_VERSION</version>
        <executions><execution><id>compile</id><phase>compile</phase><goals><goal>compile</goal></goals></execution></executions>
        <configuration><jvmTarget>17</jvmTarget></configuration>
      </plugin>
      <plugin>
        <groupId>org.codehaus.mojo</groupId><artifactId>exec-maven-plugin</artifactId><version>3.6.2</version>
        <configuration><mainClass>MainKt</mainClass></configuration>
      </plugin>
    </plugins>
  </build>
</project>
EOF
start_emulator
# The README's quick example, as written, pointed at this emulator and a sample face.
python3 - bindings/uniffi/kotlin/README.md "$KW/src/main/kotlin/Main.kt" "$NECID_ENDPOINT" "$FACES/obama.jpg" <<'PY'
import re, sys
readme, out, endpoint, face = sys.argv[1:]
blocks = re.findall(r"^```kotlin\n(.*?)^```", open(readme).read(), re.M | re.S)
code = next((b for b in blocks if "fun main()" in b), None)
if code is None:
    sys.exit(f"no Kotlin block with fun main() in {readme}")
for old, new in [('"http://127.0.0.1:8700"', f'"{endpoint}"'), ('File("face.jpg")', f'File("{face}")')]:
    if old not in code:
        sys.exit(f"the README example no longer contains {old}")
    code = code.replace(old, new)
open(out, "w").write(code)
PY
# (Maven's own colour codes are taken out of the output before it is read. The Kotlin compiler
# runs inside Maven's JVM: its default daemon would outlive this suite.)
(cd "$KW" && norust mvn -B -q -Dstyle.color=never -Dkotlin.compiler.daemon=false compile exec:java) | sed 's/\x1b\[[0-9;]*m//g' | tee "$WORK/kotlin.txt"
stop_emulator
if ! grep -q '^subject ' "$WORK/kotlin.txt" || ! grep -qx 'true' "$WORK/kotlin.txt"; then
  fail "the Kotlin README example did not register and verify"
fi

# The README's "Testing your code offline" test in a user's project: JUnit 5 + the
# test-scope necid-kotlin-testing, whose packaged necid is the emulator (no NECID_BIN,
# no necid on PATH).
KT="$WORK/kotlin-testing"
mkdir -p "$KT/src/test/kotlin"
JUNIT_VERSION=$(sed -n 's|.*<junit.version>\(.*\)</junit.version>.*|\1|p' bindings/uniffi/kotlin/pom.xml)
SUREFIRE_VERSION=$(grep -A1 '<artifactId>maven-surefire-plugin</artifactId>' bindings/uniffi/kotlin/pom.xml | sed -n 's|.*<version>\(.*\)</version>.*|\1|p')
cat > "$KT/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>necid-user-tests</artifactId>
  <version>1</version>
  <properties><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
  <dependencies>
    <dependency><groupId>necid</groupId><artifactId>necid-kotlin</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>necid</groupId><artifactId>necid-kotlin-testing</artifactId><version>$VERSION</version><scope>test</scope></dependency>
    <dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId><version>$JUNIT_VERSION</version><scope>test</scope></dependency>
  </dependencies>
  <build>
    <testSourceDirectory>src/test/kotlin</testSourceDirectory>
    <plugins>
      <plugin>
        <groupId>org.jetbrains.kotlin</groupId><artifactId>kotlin-maven-plugin</artifactId><version>$KOTLIN_VERSION</version>
        <executions><execution><id>test-compile</id><phase>test-compile</phase><goals><goal>test-compile</goal></goals></execution></executions>
        <configuration><jvmTarget>17</jvmTarget></configuration>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><version>$SUREFIRE_VERSION</version>
      </plugin>
    </plugins>
  </build>
</project>
EOF
python3 - bindings/uniffi/kotlin/README.md "$KT/src/test/kotlin/FaceSearchTest.kt" "$FACES/obama.jpg" <<'PY'
import re, sys
readme, out, face = sys.argv[1:]
blocks = [b for b in re.findall(r"^```kotlin\n(.*?)^```", open(readme).read(), re.M | re.S) if re.search(r"^@NecidEmulator\b", b, re.M)]
if len(blocks) != 1 or 'File("face.jpg")' not in blocks[0]:
    sys.exit(f"no complete @NecidEmulator test reading File(\"face.jpg\") in {readme}")
open(out, "w").write(blocks[0].replace('File("face.jpg")', f'File("{face}")'))
PY
(cd "$KT" && norust env -u NECID_BIN mvn -B -q -Dstyle.color=never -Dkotlin.compiler.daemon=false test) | sed 's/\x1b\[[0-9;]*m//g' | tee "$WORK/kotlin-testing.txt"
python3 - "$KT/target/surefire-reports" <<'PY' || fail "the Kotlin README's offline test"
import glob, sys, xml.etree.ElementTree as ET
reports = glob.glob(sys.argv[1] + "/TEST-FaceSearchTest.xml")
if not reports:
    sys.exit("kotlin: FaceSearchTest did not run")
r = ET.parse(reports[0]).getroot()
if int(r.get("tests", 0)) != 1 or int(r.get("failures", 0)) + int(r.get("errors", 0)) + int(r.get("skipped", 0)):
    sys.exit(f"kotlin: FaceSearchTest: {r.attrib}")
print("kotlin: the README's offline test passed with the packaged emulator")
PY

step "release workflows: actionlint"
bash scripts/actionlint.sh

step "package sizes (the static necid is in the wheel, the npm platform package and the testing jar)"
for f in "$WHEEL" "$NPM_X64" "$NPM_MAIN" "$JAR" "$JAR_TESTING" "$CTAR" "$CLITAR"; do
  awk -v b="$(stat -c %s "$f")" -v n="${f#"$DIST"/}" 'BEGIN { printf "  %6.1f MB  %s\n", b / 1e6, n }' 
done

echo "dist: all checks passed (package build $BUILD_SECS s, whole suite $((SECONDS - T0)) s)"
