#!/usr/bin/env bash
# Interoperability: requests signed by botocore (another SigV4 implementation) are
# accepted by the emulator's own verifier (server/tests/botocore.rs drives
# server/tests/botocore_check.py against an in-process emulator).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
VENV="$ROOT/target/venv-botocore"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check botocore
NECID_PYTHON="$VENV/bin/python" cargo test -p necid-server --test botocore -- --ignored
