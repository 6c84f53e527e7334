#!/usr/bin/env bash
# The emulator's web console in a real browser: headless Chromium (Debian's `chromium`,
# installed here with apt when missing) driven over the DevTools protocol by
# server/tests/browser/console.mjs (Node's own WebSocket, no npm package), against a
# `necid serve --engine real` it starts and always stops. Subjects are registered through
# the CLI (the Rust SDK); the console must list them, show a face crop, count tags, follow
# a bulk job live, find the right subject for a dropped photo, list recorded requests.
# Screenshots: target/console-screenshots/*.png. Unlike 87-browser-cors, a missing
# Chromium FAILS this suite (CI runs as root with apt).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DEBUG="$ROOT/target/x86_64-unknown-linux-gnu/debug"
step() { printf -- '-- console: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
START=$(date +%s)

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  step "install chromium (apt)"
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends chromium; } || true
  fi
  CHROMIUM=$(command -v chromium || true)
fi
if [ -z "$CHROMIUM" ]; then
  echo "!!!! console: FAILED: Chromium is not installed and could not be installed with apt" >&2
  echo "!!!! (needs root and Debian's package repositories: apt-get install chromium)." >&2
  exit 1
fi
# Node's WebSocket: behind a flag on Node 20 (>= 20.10), built in from Node 22.
HAS_WS='if (typeof WebSocket !== "function") process.exit(1)'
if node -e "$HAS_WS" 2>/dev/null; then
  NODE_WS=()
elif node --experimental-websocket -e "$HAS_WS" 2>/dev/null; then
  NODE_WS=(--experimental-websocket)
else
  echo "!!!! console: FAILED: this Node ($(node --version 2>&1)) has no WebSocket (Node >= 20.10 needed)" >&2
  exit 1
fi

step "build the emulator"
cargo build -q -p necid-cli

OUT="$ROOT/target/console-screenshots"
rm -rf "$OUT"
step "headless Chromium drives the console ($("$CHROMIUM" --version 2>/dev/null | head -1))"
# The script stops the emulator and Chromium itself (also on failure); `timeout` bounds a
# hang, and the process group (node, the emulator, Chromium) is killed on any exit.
status=0
timeout --kill-after=10 240 node "${NODE_WS[@]}" --no-warnings \
  server/tests/browser/console.mjs "$DEBUG/necid" "$CHROMIUM" "$ROOT/cli/assets/faces" "$OUT" &
NODE_PID=$!
trap 'kill -KILL -- "-$NODE_PID" 2>/dev/null || true' EXIT
wait "$NODE_PID" || status=$?
ls "$OUT" 2>/dev/null | sed 's/^/   screenshot: /' || true
if [ "$status" != 0 ]; then
  echo "console: FAILED (exit $status)" >&2
  exit 1
fi
echo "console: 1 passed, 0 failed ($(( $(date +%s) - START )) s)"
