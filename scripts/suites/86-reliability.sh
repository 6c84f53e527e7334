#!/usr/bin/env bash
# Reliability checks of crate necid-reliability (tests/reliability; see tests/README.md):
#  - signing properties (proptest): core signatures verify; any one-byte change is rejected;
#  - fault injection: the emulator's own fault rules (fault_rules.rs: retries, Retry-After,
#    stalls, POSTs never resent when they may have been processed, typed errors) and a
#    raw-TCP proxy in front of it for what only a proxy can do (fault_proxy.rs: replaced
#    content types, non-JSON bodies);
#  - the scenarios against an in-process emulator (their expectations, Rust only), and
#    again with TRACE logging on: no secret key or API key in the log;
#  - durability: kill -9 a `necid serve` 8 times during a 600-record bulk job: nothing lost,
#    nothing registered twice;
#  - load: 200 concurrent clients for NECID_LOAD_SECS (5 s here; `make load` runs 30 s)
#    against a `necid serve` process: no errors, no lost writes, RSS report (< 2x growth).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
step() { printf -- '-- reliability: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "build (emulator binary + test crate)"
cargo build -q -p necid-cli
cargo test -q -p necid-reliability --no-run
export NECID_BIN="$ROOT/target/x86_64-unknown-linux-gnu/debug/necid"

step "signing properties, fault injection, scenarios (in-process)"
cargo test -q -p necid-reliability --lib --bins --test signing_props --test fault_proxy --test fault_rules \
  --test scenarios \
  --test secrets_in_logs

step "durability (kill -9 during a bulk job)"
cargo test -q -p necid-reliability --test durability -- --nocapture

step "load (${NECID_LOAD_SECS:=5} s, 200 clients)"
NECID_LOAD_SECS="$NECID_LOAD_SECS" cargo test -q -p necid-reliability --test load -- --nocapture
