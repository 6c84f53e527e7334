#!/usr/bin/env bash
# A real browser calling the emulator cross-origin: headless Chromium (Debian's `chromium`,
# installed here with apt when missing) loads server/tests/browser/cors.html from one
# loopback port; the page signs its fetch() calls with SigV4 (WebCrypto) and calls the
# emulator on another port (`--cors-origin` = the page's origin): create and list a tag,
# register a subject from a canvas picture, read a 400 error body. Every call needs a CORS
# preflight; the emulator's log must show them. Then the same page against an emulator
# that does not allow its origin must be blocked by the browser. Fails on any wrong answer. When Chromium
# cannot be installed at all (no apt, no network), it says so loudly and does not fail.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DEBUG="$ROOT/target/x86_64-unknown-linux-gnu/debug"
step() { printf -- '-- browser-cors: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  step "install chromium (apt)"
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends chromium; } >/dev/null 2>&1 || true
  fi
  CHROMIUM=$(command -v chromium || true)
fi
if [ -z "$CHROMIUM" ]; then
  echo "!!!! browser-cors: NOT RUN: Chromium is not installed and could not be installed with apt" >&2
  echo "!!!! (needs root and Debian's package repositories). The raw-HTTP CORS tests (server/tests/cors.rs) still ran." >&2
  exit 0
fi

step "build the emulator"
cargo build -q -p necid-cli

WORK=$(mktemp -d)
SERVE_PID=
PAGE_PID=
cleanup() {
  for pid in $SERVE_PID $PAGE_PID; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

step "serve the page"
cp server/tests/browser/cors.html "$WORK/index.html"
python3 -u -m http.server --bind 127.0.0.1 0 --directory "$WORK" > "$WORK/page.log" 2>&1 &
PAGE_PID=$!
PAGE_PORT=
for _ in $(seq 1 100); do
  PAGE_PORT=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$WORK/page.log" | head -1)
  [ -n "$PAGE_PORT" ] && break
  sleep 0.1
done
[ -n "$PAGE_PORT" ] || { cat "$WORK/page.log" >&2; exit 1; }
ORIGIN="http://127.0.0.1:$PAGE_PORT"

# run_page CORS_ORIGIN TAG: an emulator allowing CORS_ORIGIN, the page loaded in Chromium;
# sets RESULT (the page's verdict) and PREFLIGHTS (OPTIONS requests the emulator saw).
run_page() {
  local allowed=$1 tag=$2
  rm -f "$WORK/ready.json"
  RUST_LOG=necid_server=debug "$DEBUG/necid" serve --engine deterministic --memory --port 0 \
    --cors-origin "$allowed" --ready-file "$WORK/ready.json" > "$WORK/serve-$tag.log" 2>&1 &
  SERVE_PID=$!
  for _ in $(seq 1 300); do [ -s "$WORK/ready.json" ] && break; sleep 0.1; done
  [ -s "$WORK/ready.json" ] || { cat "$WORK/serve-$tag.log" >&2; exit 1; }
  python3 - "$WORK/ready.json" > "$WORK/config.js" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
cfg = {k: r[k] for k in ("endpoint", "region", "accessKeyId", "secretAccessKey", "apiKey")}
print("window.NECID = %s;" % json.dumps(cfg))
PY
  step "$tag: headless Chromium on $ORIGIN calls the emulator (allowed origin: $allowed)"
  local status=0
  timeout 180 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --user-data-dir="$WORK/profile-$tag" --virtual-time-budget=60000 \
    --dump-dom "$ORIGIN/index.html" > "$WORK/dom-$tag.html" 2> "$WORK/chromium-$tag.log" || status=$?
  kill "$SERVE_PID" 2>/dev/null || true
  wait "$SERVE_PID" 2>/dev/null || true
  SERVE_PID=
  RESULT=$(sed -n 's/.*<pre id="out">\([^<]*\).*/\1/p' "$WORK/dom-$tag.html" | head -1)
  PREFLIGHTS=$(grep -c 'method=OPTIONS' "$WORK/serve-$tag.log" || true)
  echo "page: ${RESULT:-<no result>} (chromium exit $status; $PREFLIGHTS preflight(s) seen)"
  if [ "$status" != 0 ]; then
    tail -20 "$WORK/chromium-$tag.log" >&2
    exit 1
  fi
}

run_page "$ORIGIN" allowed
if [ "$RESULT" != "BROWSER-CORS OK" ] || [ "$PREFLIGHTS" -lt 1 ]; then
  echo "browser-cors: FAILED: the page on an allowed origin could not use the API" >&2
  grep -v DEBUG "$WORK/serve-allowed.log" | tail -5 >&2
  exit 1
fi
# Control: the same page on an origin the emulator does not allow must be refused by the
# browser (so the check above really depends on the CORS headers).
run_page "http://127.0.0.1:1" refused
case "$RESULT" in
  "BROWSER-CORS FAIL: "*) ;;
  *) echo "browser-cors: FAILED: a page on a refused origin was not blocked by the browser" >&2; exit 1 ;;
esac
echo "browser-cors: 1 passed, 0 failed"
