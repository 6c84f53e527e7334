#!/usr/bin/env bash
# Python package `necid` (python/): build the wheel once (dev profile, shared target dir),
# install it into a fresh virtualenv the way a user would, then ruff, mypy --strict, and
# pytest against the emulator (`necid serve`, started by python/tests/conftest.py).
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

step "build the wheel (maturin, dev profile)"
rm -rf "$DIST"
"$VENV/bin/maturin" build --profile dev -m python/Cargo.toml -o "$DIST" \
  -i "$VENV/bin/python"
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
exit "$rc"
