"""Before/after comparison of a binding change, interleaved in one run (stdlib only).

Runs the necid clients of two builds of the Python extension and/or the Node addon against
one null server (bench/rust/src/null.rs), alternating A, B, A, B, ... for ROUNDS rounds so
that load from other processes hits both alike, and prints the median over rounds of
req/s, p50 and client CPU per request for each (client, in-flight level).

  python3 bench/ab.py --bench target/x86_64-unknown-linux-gnu/release/necid-bench \\
      --probe target/bench/assets/probe.jpg --py target/bench-venv/bin/python \\
      --python-a DIR --python-b DIR --node-a DIR --node-b DIR [--rounds 3] [--secs 2]

--python-X is a directory with the `necid` package (an unpacked wheel), put first on
PYTHONPATH; --node-X a staged Node package (index.js + necid.node), as NECID_NODE_PKG.
Clients are pinned to CPU 0 and the server to CPU 1 when taskset works.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--bench", required=True)
    p.add_argument("--probe", required=True)
    p.add_argument("--py", default=sys.executable)
    p.add_argument("--python-a")
    p.add_argument("--python-b")
    p.add_argument("--node-a")
    p.add_argument("--node-b")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--secs", default="2")
    p.add_argument("--inflight", default="1,8,64")
    p.add_argument("--out", default=str(ROOT / "target/bench/ab.json"))
    a = p.parse_args()
    a.probe = str(Path(a.probe).resolve())
    for k in ("python_a", "python_b", "node_a", "node_b"):
        if getattr(a, k):
            setattr(a, k, str(Path(getattr(a, k)).resolve()))

    pin_srv: list[str] = []
    pin_cli: list[str] = []
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        pin_srv, pin_cli = ["taskset", "-c", "1"], ["taskset", "-c", "0"]
    tmp = Path(tempfile.mkdtemp())
    ready = tmp / "ready.json"
    srv = subprocess.Popen([*pin_srv, a.bench, "null-server", "--ready-file", str(ready)])
    try:
        for _ in range(100):
            if ready.exists() and ready.stat().st_size:
                break
            time.sleep(0.1)
        runs: list[tuple[str, str, list[str], dict[str, str]]] = []
        for tag, d in (("A", a.python_a), ("B", a.python_b)):
            if d:
                env = {"PYTHONPATH": d}
                cmd = [a.py, str(ROOT / "bench/python/bench.py"), "e2e", "--ready", str(ready),
                       "--probe", a.probe, "--secs", a.secs, "--inflight", a.inflight,
                       "--clients", "necid sync (threads),necid AsyncClient"]
                runs.append(("python", tag, cmd, env))
        for tag, d in (("A", a.node_a), ("B", a.node_b)):
            if d:
                env = {"NECID_NODE_PKG": d}
                cmd = ["node", str(ROOT / "bench/node/bench.mjs"), "e2e", "--ready", str(ready),
                       "--probe", a.probe, "--secs", a.secs, "--inflight", a.inflight,
                       "--clients", "necid Client"]
                runs.append(("node", tag, cmd, env))
        results: dict[tuple[str, str, str, int], list[dict]] = {}
        loads = [Path("/proc/loadavg").read_text().split()[:3]]
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        for r in range(a.rounds):
            order = runs if r % 2 == 0 else [x for pair in zip(runs[1::2], runs[0::2]) for x in pair]
            for lang, tag, cmd, env in order:
                out = subprocess.run([*pin_cli, *cmd], env={**os.environ, **env}, cwd=ROOT / "bench/node"
                                     if lang == "node" else ROOT, capture_output=True, text=True)
                if out.returncode != 0:
                    sys.exit(f"{cmd} failed:\n{out.stderr[-2000:]}")
                d = json.loads(out.stdout.strip().splitlines()[-1])
                for client, rows in d["e2e"].items():
                    for row in rows:
                        results.setdefault((lang, client, tag, row["inflight"]), []).append(row)
            loads.append(Path("/proc/loadavg").read_text().split()[:3])
    finally:
        srv.terminate()
        srv.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    def med(rows: list[dict], k: str) -> float:
        return statistics.median(r[k] for r in rows)

    summary = []
    lines = [f"A/B run {started}, {a.rounds} rounds x {a.secs} s, pinned: {bool(pin_cli)}, "
             f"load average per round: {' | '.join(' '.join(x) for x in loads)}", "",
             "| client | in flight | req/s A → B | p50 ms A → B | CPU µs/req A → B | CPU B/A |",
             "|---|---|---|---|---|---|"]
    keys = sorted({(lang, c, n) for lang, c, _, n in results}, key=lambda k: (k[0], k[1], k[2]))
    for lang, client, n in keys:
        ra, rb = results.get((lang, client, "A", n)), results.get((lang, client, "B", n))
        if not ra or not rb:
            continue
        row = {"lang": lang, "client": client, "inflight": n}
        for k in ("rps", "p50_ms", "cpu_us_per_req"):
            row[k] = [med(ra, k), med(rb, k)]
        summary.append(row)
        lines.append(
            f"| {lang} {client} | {n} | {row['rps'][0]:,.0f} → {row['rps'][1]:,.0f} | "
            f"{row['p50_ms'][0]:.3f} → {row['p50_ms'][1]:.3f} | "
            f"{row['cpu_us_per_req'][0]:.0f} → {row['cpu_us_per_req'][1]:.0f} | "
            f"{row['cpu_us_per_req'][1] / row['cpu_us_per_req'][0]:.2f} |"
        )
    Path(a.out).write_text(json.dumps({"date": started, "loads": loads, "rows": summary,
                                       "raw": {"|".join(map(str, k)): v for k, v in results.items()}},
                                      indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
