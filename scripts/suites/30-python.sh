#!/usr/bin/env bash
# Python package `necid` (python/): build the wheel once (dev profile, shared target dir),
# install it into a fresh virtualenv the way a user would, then ruff, mypy --strict, and
# pytest against the emulator (`necid serve`, started by necid.testing through the
# package's pytest plugin; python/tests/conftest.py uses it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export PYO3_PYTHON=${PYO3_PYTHON:-$(command -v python3)}
VENV="$ROOT/target/venv-python"
DIST="$ROOT/target/python-dist"
PIP=(--quiet --disable-pip-version-check)

step() { printf -- '-- %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "fresh virtualenv $VENV"
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install "${PIP[@]}" \
  "maturin>=1.16,<2" "pytest>=8" "pytest-timeout>=2.3" "mypy>=1.10" "ruff>=0.6"

step "emulator binary (necid-cli)"
cargo build -q -p necid-cli
export NECID_BIN="$ROOT/target/x86_64-unknown-linux-gnu/debug/necid"
# The forward proxy the network-settings tests send traffic through (tests/e2e).
cargo build -q -p necid-e2e --bin necid-test-proxy
export NECID_TEST_PROXY="$ROOT/target/x86_64-unknown-linux-gnu/debug/necid-test-proxy"

step "build the wheel (maturin, dev profile, with the core's test hooks)"
rm -rf "$DIST"
"$VENV/bin/maturin" build --profile dev -m python/Cargo.toml -o "$DIST" \
  -i "$VENV/bin/python" --features test-hooks
"$VENV/bin/python" -m pip install "${PIP[@]}" "$DIST"/necid-*.whl

cd "$ROOT/python"
step "ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .

step "mypy --strict (package sources and stubs)"
"$VENV/bin/mypy" --strict --no-incremental -p necid

step "pytest"
# From python/, pytest imports the installed package (python/ itself is not on sys.path).
rc=0
"$VENV/bin/pytest" tests -p no:cacheprovider --timeout 300 || rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing the suite" >&2
  exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"

# The same abi3 wheel on the oldest supported CPython, when this machine has it
# (on PATH, or installed by pyenv without being the active version).
PY39=""
if python3.9 -c "" >/dev/null 2>&1; then
  PY39=$(python3.9 -c 'import sys; print(sys.executable)')
elif command -v pyenv >/dev/null 2>&1; then
  v=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.9(\.|$)' | tail -1 || true)
  if [ -n "$v" ] && [ -x "$(pyenv root)/versions/$v/bin/python3.9" ]; then
    PY39="$(pyenv root)/versions/$v/bin/python3.9"
  fi
fi
if [ -n "$PY39" ]; then
  step "pytest on CPython 3.9 (same wheel)"
  VENV39="$ROOT/target/venv-python39"
  rm -rf "$VENV39"
  "$PY39" -m venv "$VENV39"
  "$VENV39/bin/python" -m pip install "${PIP[@]}" "pytest>=8" "pytest-timeout>=2.3" \
    "mypy>=1.10" "$DIST"/necid-*.whl
  rc=0
  "$VENV39/bin/pytest" tests -p no:cacheprovider --timeout 300 -q || rc=$?
  [ "$rc" -ne 5 ] || { echo "pytest (3.9) collected no tests" >&2; exit 1; }
  [ "$rc" -eq 0 ] || exit "$rc"
else
  echo "python3.9 not found: the 3.9 run is skipped (the wheel targets abi3 >= 3.9)"
fi

# The sdist path: build it, install it with pip into another fresh virtualenv, use it.
# pip would build in release mode from scratch (about 10 min on two busy cores); the dev
# profile and the shared target dir keep this step to about a minute. A user's
# `pip install necid-*.tar.gz` runs the same build, in release mode.
step "sdist: build, pip install into a fresh venv, smoke test"
SDIST_DIR="$ROOT/target/python-sdist"
SDIST_VENV="$ROOT/target/venv-python-sdist"
rm -rf "$SDIST_DIR" "$SDIST_VENV"
"$VENV/bin/maturin" sdist -m "$ROOT/python/Cargo.toml" -o "$SDIST_DIR"
python3 -m venv "$SDIST_VENV"
# Unpacked with fresh mtimes (-m): maturin stamps every file of the sdist with one fixed
# old date, so cargo, sharing the target dir, would take an earlier sdist build's crates
# for fresh and compile the new bindings against the old core.
SDIST_SRC="$SDIST_DIR/src"
mkdir -p "$SDIST_SRC"
tar -xzmf "$SDIST_DIR"/necid-*.tar.gz -C "$SDIST_SRC"
(
  cd "$ROOT/target"  # not inside the source tree
  MATURIN_PEP517_ARGS="--profile dev" CARGO_TARGET_DIR="$ROOT/target" \
    CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu \
    "$SDIST_VENV/bin/python" -m pip install "${PIP[@]}" "$SDIST_SRC"/necid-*/
  "$SDIST_VENV/bin/python" - "$ROOT/tests/vectors/get-tags-session-token.json" <<'PY'
import datetime, json, sys
import necid
v = json.load(open(sys.argv[1]))
c = necid.Client(access_key_id=v["credentials"]["access_key_id"],
                 secret_access_key=v["credentials"]["secret_access_key"],
                 session_token=v["credentials"]["session_token"], api_key=v["api_key"],
                 region=v["region"], service=v["service"])
when = datetime.datetime.fromisoformat(v["time"].replace("Z", "+00:00"))
got = dict(c.sign_request(v["request"]["method"], v["request"]["url"], time=when))
assert got == v["expected"]["headers"], got
assert necid.__file__.startswith(sys.prefix), necid.__file__
# Built as a user builds it (no features): the test hooks are not in it.
assert not hasattr(necid._necid, "_panic_for_tests"), "test hook in a non-test build"
print("sdist smoke test OK: the installed package signs the shared vector correctly,"
      " and has no test hooks")
PY
)
