#!/usr/bin/env bash
# Smoke check of the benchmark harness (bench/): builds the Rust bench binary in the dev
# profile and runs every subcommand in a tiny mode against a real emulator on loopback,
# to prove the harness works. It checks that each measurement produced its numbers — never
# how fast they are (no timed assertions). The full benchmark is `bench/run` (not part of
# the test command). Costs well under a minute once the workspace is built.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

cargo build -q -p necid-bench -p necid-cli
DEBUG="$ROOT/target/x86_64-unknown-linux-gnu/debug"
BENCH="$DEBUG/necid-bench"
WORK=$(mktemp -d)
SERVE_PID=
NULL_PID=
cleanup() {
  if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; fi
  if [ -n "$NULL_PID" ]; then kill "$NULL_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BENCH" assets --out "$WORK/assets" > "$WORK/assets.json"
"$BENCH" sign --quick --secs 0.02 > "$WORK/sign.json"
"$BENCH" breakdown --secs 0.03 > "$WORK/breakdown.json"
"$BENCH" engine --quick --photo "$WORK/assets/photo512.jpg" > "$WORK/engine.json"

"$DEBUG/necid" serve --memory --engine deterministic --port 0 --ready-file "$WORK/ready.json" > "$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/ready.json" ] && break
  sleep 0.1
done
[ -s "$WORK/ready.json" ] || { cat "$WORK/serve.log" >&2; exit 1; }
"$BENCH" e2e --ready "$WORK/ready.json" --probe "$WORK/assets/probe.jpg" --secs 0.2 \
  --inflight 1,4 > "$WORK/e2e.json"
"$BENCH" rss --ready "$WORK/ready.json" --image "$WORK/assets/big5mb.png" --inflight 1 \
  > "$WORK/rss.json"
kill "$SERVE_PID" 2>/dev/null || true
wait "$SERVE_PID" 2>/dev/null || true
SERVE_PID=

# The null server (canned answers) and the same loops against it; the hand-off floor.
"$BENCH" null-server --ready-file "$WORK/null.json" > "$WORK/null.log" 2>&1 &
NULL_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/null.json" ] && break
  sleep 0.1
done
[ -s "$WORK/null.json" ] || { cat "$WORK/null.log" >&2; exit 1; }
"$BENCH" e2e --ready "$WORK/null.json" --probe "$WORK/assets/probe.jpg" --secs 0.2 \
  --inflight 1,4 > "$WORK/e2e-null.json"
"$BENCH" handoff --secs 0.06 > "$WORK/handoff.json"

# The gallery seeded straight into a store (1,000 subjects here), searched over HTTP with
# the real engine.
"$DEBUG/necid" serve --db "$WORK/scale.db" --engine real --no-console --port 0 \
  --ready-file "$WORK/scale-ready.json" > "$WORK/scale.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/scale-ready.json" ] && break
  sleep 0.1
done
[ -s "$WORK/scale-ready.json" ] || { cat "$WORK/scale.log" >&2; exit 1; }
kill "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null || true
FACES=cli/assets/faces
"$BENCH" seed-db --db "$WORK/scale.db" --subjects 1000 \
  --faces "$FACES/obama.jpg,$FACES/biden.jpg" > "$WORK/seed.json"
rm -f "$WORK/scale-ready.json"
"$DEBUG/necid" serve --db "$WORK/scale.db" --engine real --no-console --port 0 \
  --ready-file "$WORK/scale-ready.json" > "$WORK/scale.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/scale-ready.json" ] && break
  sleep 0.1
done
[ -s "$WORK/scale-ready.json" ] || { cat "$WORK/scale.log" >&2; exit 1; }
"$BENCH" scale --ready "$WORK/scale-ready.json" --probe "$FACES/obama2.jpg" \
  --register "$WORK/assets/photo512.jpg" --secs 0.1 --inflight 1 > "$WORK/scale.json"

python3 - "$WORK" <<'EOF'
import json, sys
w = sys.argv[1]
load = lambda n: json.load(open(f"{w}/{n}.json"))
a = load("assets")
assert 800 <= a["probe_body_bytes"] <= 1400, a          # the "1 KiB" end-to-end body
assert a["big_bytes"] >= 5_000_000, a
sign = load("sign")["sign"]
assert [r["size"] for r in sign] == [0, 1024, 102400, 2097152], sign
for r in sign:
    for k in ("necid", "aws-sigv4", "sha256", "sha256+base64"):
        assert r[k] > 0, (k, r)
b = load("breakdown")["breakdown_ns"]
assert len(b) == 7 and all(v > 0 for v in b.values()), b
e = load("engine")["engine"]
assert e["faces"] == 1 and e["photo"] == "512x512", e
assert e["search"][0]["templates"] == 10000 and e["search"][0]["hits"] >= 1, e
e2e = load("e2e")["e2e"]
for name, rows in e2e.items():
    assert [r["inflight"] for r in rows] == [1, 4], (name, rows)
    for r in rows:
        assert r["requests"] > 0 and r["errors"] == 0, (name, r)
        assert 0 < r["p50_ms"] <= r["p99_ms"], (name, r)
rss = load("rss")["rss"]
assert rss["bytes_per_inflight"] > 0 and rss["image_bytes"] >= 5_000_000, rss
e2e = load("e2e-null")["e2e"]
assert set(e2e) == {"necid async", "necid blocking (threads)", "aws-sigv4+reqwest"}, e2e
for name, rows in e2e.items():
    assert [r["inflight"] for r in rows] == [1, 4], (name, rows)
    for r in rows:
        assert r["requests"] > 0 and r["errors"] == 0, (name, r)
h = load("handoff")["handoff_ns"]
assert len(h) == 3 and all(v > 0 for v in h.values()), h
seed = load("seed")
assert seed["seeded"] == 1000 and len(seed["real_descriptors"]) == 2, seed
sc = load("scale")["scale"]
# obama2's probe finds the seeded obama among 1,000 (the synthetic ones match nobody).
assert sc["first_search_candidates"] == 1, sc
for k in ("search", "register"):
    assert sc[k][0]["requests"] > 0 and sc[k][0]["errors"] == 0, (k, sc)
assert sc["extract_same_probe"]["requests"] > 0, sc
print("bench smoke: ok", {k: round(v) for k, v in sign[0].items() if k != "size"}, "signatures/s at 0 B (debug build)")
EOF
