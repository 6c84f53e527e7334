#!/usr/bin/env bash
# C library (bindings/c, crate necid-c): builds the library once (dev profile), checks that
# the committed include/necid.h is what cbindgen generates, builds the CMake project
# (example + tests), runs ctest, runs every test again under valgrind memcheck (zero leaks,
# zero errors), then installs to a temporary prefix and builds the example against it
# with find_package(necid) and with pkg-config.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
TARGET_DIR="$ROOT/target/x86_64-unknown-linux-gnu"
BUILD="$ROOT/target/c-build"
CBINDGEN_VERSION=0.29.4
CBINDGEN="$ROOT/target/tools/bin/cbindgen"
JOBS=2

step() { printf '\n-- c: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "tools"
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v cc >/dev/null || missing+=(gcc)
command -v c++ >/dev/null || missing+=(g++)
command -v valgrind >/dev/null || missing+=(valgrind)
command -v pkg-config >/dev/null || missing+=(pkg-config)
[ -e /usr/include/gtest/gtest.h ] || missing+=(libgtest-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! "$CBINDGEN" --version 2>/dev/null | grep -qx "cbindgen $CBINDGEN_VERSION"; then
  cargo install --quiet --locked cbindgen --version "$CBINDGEN_VERSION" --root "$ROOT/target/tools"
fi
cmake --version | head -1
valgrind --version
"$CBINDGEN" --version

step "cargo build -p necid-c (dev, with the core's test hooks) and the emulator"
# test-hooks: a request for "necid-test-panic" panics inside the core (test_errors.c shows
# it becomes NECID_ERR_SERVER instead of aborting the program). Every build below uses it.
cargo build -p necid-c --features test-hooks
cargo build -p necid-cli
export NECID_BIN="$TARGET_DIR/debug/necid"
# The forward proxy test_network sends traffic through (tests/e2e).
cargo build -p necid-e2e --bin necid-test-proxy
export NECID_TEST_PROXY="$TARGET_DIR/debug/necid-test-proxy"

step "Rust unit tests of the FFI layer (panic guard, status mapping)"
cargo test -p necid-c --features test-hooks

step "include/necid.h is fresh"
# cbindgen over the macro-expanded crate (the operations are expanded from the core's
# table); see scripts/c-header.sh for why and how.
scripts/c-header.sh "$CBINDGEN" include/necid.h
if ! git diff --exit-code -- include/necid.h; then
  echo "include/necid.h is stale: commit the regenerated header (diff above)" >&2
  exit 1
fi

step "cmake configure + build (C99 -pedantic -Werror, C++ GoogleTest, example)"
cmake -S bindings/c -B "$BUILD" -DNECID_VALGRIND=ON -DNECID_CARGO_PROFILE=debug \
  -DNECID_CARGO_FEATURES=test-hooks >/dev/null
cmake --build "$BUILD" -j"$JOBS"

step "ctest"
ctest --test-dir "$BUILD" -LE valgrind --output-on-failure -j"$JOBS"

step "ctest under valgrind memcheck"
# A Rust backtrace leaves a large still-reachable cache: keep backtraces off here.
RUST_BACKTRACE=0 ctest --test-dir "$BUILD" -L valgrind --output-on-failure -j"$JOBS"

step "install + find_package(necid) + pkg-config"
PREFIX=$(mktemp -d)
trap 'rm -rf "$PREFIX"' EXIT
cmake --install "$BUILD" --prefix "$PREFIX/usr" >/dev/null
ls "$PREFIX/usr/include/necid.h" "$PREFIX/usr/lib/libnecid_c.so" "$PREFIX/usr/lib/libnecid_c.a" \
   "$PREFIX/usr/lib/pkgconfig/necid.pc" "$PREFIX/usr/lib/cmake/necid/necidConfig.cmake" \
   "$PREFIX/usr/include/necid_testing.h" "$PREFIX/usr/lib/libnecid_testing.a" >/dev/null
cmake -S bindings/c/examples -B "$PREFIX/example-build" -DCMAKE_PREFIX_PATH="$PREFIX/usr" >/dev/null
cmake --build "$PREFIX/example-build" >/dev/null
FACES="$ROOT/cli/assets/faces"
"$BUILD/tests/with_emulator" "$PREFIX/example-build/necid_example" "$FACES/obama.jpg" "$FACES/biden.jpg"

step "the README's offline test (necid::testing from the installed package)"
mkdir -p "$PREFIX/offline"
python3 - bindings/c/README.md "$PREFIX/offline/test_offline.c" <<'PY'
import re, sys
readme, out = sys.argv[1:]
blocks = [b for b in re.findall(r"^```c\n(.*?)^```", open(readme).read(), re.M | re.S) if "necid_emulator_start" in b]
if len(blocks) != 1 or "int main" not in blocks[0]:
    sys.exit(f"c: {readme} needs one complete test program using necid_emulator_start")
open(out, "w").write(blocks[0])
PY
cat > "$PREFIX/offline/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(offline C)
find_package(necid REQUIRED)
add_executable(test_offline test_offline.c)
set_target_properties(test_offline PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_compile_options(test_offline PRIVATE -Wall -Wextra -Werror -pedantic)
target_link_libraries(test_offline PRIVATE necid::testing)
CMAKE
cmake -S "$PREFIX/offline" -B "$PREFIX/offline-build" -DCMAKE_PREFIX_PATH="$PREFIX/usr" >/dev/null
cmake --build "$PREFIX/offline-build" >/dev/null
"$PREFIX/offline-build/test_offline" "$FACES/obama.jpg"

export PKG_CONFIG_PATH="$PREFIX/usr/lib/pkgconfig"
pkg-config --modversion necid
# shellcheck disable=SC2046  # word splitting of pkg-config output is intended
cc -std=c99 -Wall -Wextra -Werror -pedantic -o "$PREFIX/example-pc" bindings/c/examples/example.c \
  $(pkg-config --cflags --libs necid) -Wl,-rpath,"$PREFIX/usr/lib"
"$BUILD/tests/with_emulator" "$PREFIX/example-pc" "$FACES/obama.jpg" "$FACES/biden.jpg"

step "done"
