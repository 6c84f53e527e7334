#!/usr/bin/env bash
# Node package `necid` (node/): install its npm dev dependencies, build the native addon
# ONCE (debug profile, the shared target/x86_64-unknown-linux-gnu/ — @napi-rs/cli passes
# --target, which .cargo/config.toml already matches), check the committed index.d.ts is
# what the build generates, type-check the example with tsc --strict (the lint), and run
# the node:test suites against emulators they start themselves.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

stamp() { date +%s; }
T=$(stamp)
phase() { local now; now=$(stamp); echo "node: $1 took $(( now - T )) s"; T=$now; }

node --version
npm --version

# The emulator binary the tests start (usually already built by the Rust gates).
cargo build -q -p necid-cli
export NECID_BIN="$ROOT/target/x86_64-unknown-linux-gnu/debug/necid"
# The forward proxy the network-settings tests send traffic through (tests/e2e).
cargo build -q -p necid-e2e --bin necid-test-proxy
export NECID_TEST_PROXY="$ROOT/target/x86_64-unknown-linux-gnu/debug/necid-test-proxy"
phase "emulator build (cargo build -p necid-cli)"

cd "$ROOT/node"
# --ignore-scripts: the `prepare` build is done explicitly below, exactly once.
npm ci --ignore-scripts --no-audit --no-fund
phase "npm ci"

# The test addon has the core's test hooks (a request for "necid-test-panic" panics
# inside the core, to show it rejects instead of aborting Node).
npm run build -- --features test-hooks
phase "addon build (napi build, debug)"

# The generated type definitions must be committed as generated.
if ! git diff --exit-code -- index.d.ts; then
  echo "node/index.d.ts is stale: run 'npm run build' in node/ and commit it" >&2
  exit 1
fi

npm run lint
phase "tsc --strict (lint)"
npm test
phase "node --test"

# A build without the test suite's feature (what `npm run build:release` ships) has no
# test hooks: their JS names must not be in the library.
cd "$ROOT"
cargo build -q -p necid-node
LIB="$ROOT/target/x86_64-unknown-linux-gnu/debug/libnecid_node.so"
if grep -a -q -e __panicForTest -e __panicSyncForTest "$LIB"; then
  echo "node: the test hooks are in a build without the test-hooks feature ($LIB)" >&2
  exit 1
fi
echo "node: a build without test-hooks has no test hooks"
phase "non-test build check"
