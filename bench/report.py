"""Merge the per-language JSON outputs of bench/run into one results.json and a Markdown table.

usage: python3 bench/report.py OUT_DIR RESULTS_JSON TABLE_MD   (stdlib only)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SIZE_NAMES = {0: "0 B", 1024: "1 KiB", 100 * 1024: "100 KiB", 2 * 1024 * 1024: "2 MiB"}
# The target's floor is SHA-256 of the body (what every signer must at least do).
FLOOR = "sha256"


def load(out: Path) -> dict[str, Any]:
    res: dict[str, Any] = {"sign": {}, "e2e": {}, "rss": [], "engine": None, "meta": {}}
    meta = out / "meta.json"
    if meta.exists():
        res["meta"] = json.loads(meta.read_text())
    for f in sorted(out.glob("*.json")):
        if f.name == "meta.json":
            continue
        text = f.read_text().strip()
        if not text:
            continue
        d = json.loads(text.splitlines()[-1])
        if "null_pinned" in d:
            res["meta"]["null_pinned"] = d["null_pinned"]
            continue
        lang = d.get("lang", "?")
        if "sign" in d:
            res["sign"][lang] = d["sign"]
        if "e2e" in d:
            server = "null server" if f.name.startswith("e2e-null-") else "emulator"
            key = f"{lang} · null server" if server == "null server" else lang
            res["e2e"][key] = {
                "lang": lang,
                "server": server,
                "body_bytes": d.get("body_bytes"),
                "clients": d["e2e"],
            }
        if "handoff_ns" in d:
            res["handoff_ns"] = d["handoff_ns"]
        if "call_future_bytes" in d:
            res["call_future_bytes"] = d["call_future_bytes"]
        if "rss" in d:
            res["rss"].append({"lang": lang, **d["rss"]})
        if "engine" in d:
            res["engine"] = d["engine"]
        if "breakdown_ns" in d:
            res["breakdown_ns"] = d["breakdown_ns"]
    return res


def fmt_rate(x: float) -> str:
    if x >= 100_000:
        return f"{x / 1000:.0f}k"
    if x >= 1000:
        return f"{x / 1000:.1f}k"
    return f"{x:.0f}"


def sign_tables(res: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    derived: dict[str, Any] = {}
    for lang, rows in res["sign"].items():
        if not rows:
            continue
        names = [k for k in rows[0] if k != "size"]
        peers = [k for k in names if k not in ("necid", "sha256", "sha256+base64")]
        lines.append(f"\n### Signing — {lang} (signatures/s, best of 3 interleaved rounds)\n")
        head = ["body"] + names + [f"necid / {p}" for p in peers] + ["necid / SHA-256 floor"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for r in rows:
            cells = [SIZE_NAMES.get(r["size"], str(r["size"]))]
            cells += [fmt_rate(r[n]) for n in names]
            ratios = {p: r["necid"] / r[p] if r[p] else 0.0 for p in peers}
            cells += [f"{ratios[p]:.2f}x" for p in peers]
            floor = r["necid"] / r[FLOOR] if r[FLOOR] else 0.0
            cells.append(f"{floor * 100:.0f} %")
            lines.append("| " + " | ".join(cells) + " |")
            derived.setdefault(lang, []).append(
                {"size": r["size"], "ratios": ratios, "fraction_of_floor": floor}
            )
    res["sign_ratios"] = derived
    return lines


def ffi_table(res: dict[str, Any]) -> list[str]:
    """Per-call cost of signing a tiny (0 B) request: the binding's overhead over Rust."""
    per = {}
    for lang, rows in res["sign"].items():
        for r in rows:
            if r["size"] == 0 and r.get("necid"):
                per[lang] = 1e9 / r["necid"]
    if "rust" not in per:
        return []
    res["ffi"] = {
        lang: {"ns_per_call": ns, "overhead_ns": ns - per["rust"]} for lang, ns in per.items()
    }
    lines = ["\n### Per-call FFI overhead (sign a 0 B request, no I/O)\n"]
    lines.append("| necid from | ns/call | overhead vs Rust |")
    lines.append("|---|---|---|")
    for lang, ns in per.items():
        lines.append(f"| {lang} | {ns:,.0f} | {ns - per['rust']:+,.0f} ns |")
    return lines


def breakdown_table(res: dict[str, Any]) -> list[str]:
    b = res.get("breakdown_ns")
    if not b:
        return []
    lines = ["\n### Where one 0 B signature's time goes (Rust, ns/call, best of 3; pieces alone)\n"]
    lines.append("| piece | ns/call |")
    lines.append("|---|---|")
    for name, ns in b.items():
        lines.append(f"| {name} | {ns:,.0f} |")
    return lines


PEER_OF = {
    "rust": ("necid async", "aws-sigv4+reqwest"),
    "python": ("necid sync (threads)", "requests+botocore (threads)"),
    "node": ("necid Client", "node:http+@smithy"),
}


def e2e_tables(res: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for key, d in res["e2e"].items():
        lang = d.get("lang", key)
        clients = d["clients"]
        levels = [row["inflight"] for row in next(iter(clients.values()))]
        where = "loopback null server" if d.get("server") == "null server" else "loopback emulator"
        lines.append(
            f"\n### End to end — {lang} (POST /v1.1/face/extract, {d['body_bytes']} B body, "
            f"{where})\n"
        )
        head = ["client"] + [f"{n} in flight: req/s · p50 · p99 (ms)" for n in levels]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for name, rows in clients.items():
            cells = [name]
            for r in rows:
                err = f" ({r['errors']} errors)" if r.get("errors") else ""
                cells.append(f"{fmt_rate(r['rps'])} · {r['p50_ms']:.2f} · {r['p99_ms']:.2f}{err}")
            lines.append("| " + " | ".join(cells) + " |")
        ours, peer = PEER_OF.get(lang, (None, None))
        if ours in clients and peer in clients:
            ratios = [
                f"{n}: {a['rps'] / b['rps']:.2f}x"
                for n, a, b in zip(levels, clients[ours], clients[peer], strict=True)
                if b["rps"]
            ]
            lines.append(f"\n{ours} / {peer} (req/s): " + ", ".join(ratios))
        if all("cpu_us_per_req" in r for rows in clients.values() for r in rows):
            lines.append(
                "\nClient CPU per request (µs; this process's CPU time, every thread, / requests):\n"
            )
            lines.append("| client | " + " | ".join(f"{n} in flight" for n in levels) + " |")
            lines.append("|" + "---|" * (len(levels) + 1))
            for name, rows in clients.items():
                cells = [f"{r['cpu_us_per_req']:.0f}" for r in rows]
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            if ours in clients and peer in clients:
                ratios = [
                    f"{n}: {b['cpu_us_per_req'] / a['cpu_us_per_req']:.2f}x"
                    for n, a, b in zip(levels, clients[ours], clients[peer], strict=True)
                    if a["cpu_us_per_req"]
                ]
                lines.append(f"\n{peer} CPU / {ours} CPU per request: " + ", ".join(ratios))
    return lines


def pick(res: dict[str, Any], key: str, client: str, n: int) -> dict[str, Any] | None:
    d = res["e2e"].get(key)
    if not d or client not in d["clients"]:
        return None
    return next((r for r in d["clients"][client] if r["inflight"] == n), None)


def null_targets(res: dict[str, Any]) -> list[str]:
    """The issue's targets, from the runs against the null server (ratios within the run)."""
    if not any(d.get("server") == "null server" for d in res["e2e"].values()):
        return []
    py, nd, rs = "python · null server", "node · null server", "rust · null server"
    rows: list[tuple[str, str, float | None, str]] = []

    def ratio(a: dict[str, Any] | None, b: dict[str, Any] | None, field: str) -> float | None:
        if not a or not b or not b.get(field):
            return None
        return a[field] / b[field]

    def add(name: str, val: float | None, target: str, ok: bool | None) -> None:
        rows.append((name, f"{val:.2f}x" if val is not None else "n/a", val, target if ok is None else
                     f"{target} — {'met' if ok else 'missed'}"))

    for n in (1, 8, 64):
        v = ratio(pick(res, py, "necid sync (threads)", n), pick(res, py, "requests+botocore (threads)", n), "rps")
        add(f"Python sync / requests+botocore, req/s, {n} in flight", v, "≥ 5x", None if v is None else v >= 5)
    for n in (1, 8, 64):
        v = ratio(pick(res, nd, "necid Client", n), pick(res, nd, "node:http+@smithy", n), "rps")
        add(f"Node / node:http+@smithy, req/s, {n} in flight", v, "≥ 1.5x", None if v is None else v >= 1.5)
    for n in (1, 8, 64):
        v = ratio(pick(res, py, "necid AsyncClient", n), pick(res, py, "aiohttp+botocore", n), "rps")
        add(f"Python AsyncClient / aiohttp+botocore, req/s, {n} in flight", v, "≥ 2x", None if v is None else v >= 2)
    for n in (1, 8, 64):
        v = ratio(pick(res, nd, "necid Client", n), pick(res, rs, "necid async", n), "cpu_us_per_req")
        tgt = "≤ 1.3x" if n in (8, 64) else "(no target)"
        add(f"Node CPU/request ÷ Rust's, {n} in flight", v, tgt, None if v is None or n == 1 else v <= 1.3)
    for n in (1, 8, 64):
        v = ratio(pick(res, py, "necid AsyncClient", n), pick(res, py, "necid sync (threads)", n), "cpu_us_per_req")
        add(f"Python AsyncClient CPU/request ÷ sync client's, {n} in flight", v, "≤ 1.3x",
            None if v is None else v <= 1.3)
    v = ratio(pick(res, py, "necid sync (threads)", 1), pick(res, rs, "necid async", 1), "p50_ms")
    add("Python sync p50 ÷ Rust async p50, 1 in flight", v, "≤ 1.25x", None if v is None else v <= 1.25)
    v = ratio(pick(res, rs, "necid blocking (threads)", 1), pick(res, rs, "necid async", 1), "p50_ms")
    add("Rust blocking p50 ÷ Rust async p50, 1 in flight (the hand-off alone)", v, "(no target)", None)
    v = ratio(pick(res, "c · null server", "necid C (threads)", 1), pick(res, rs, "necid async", 1), "p50_ms")
    add("C p50 ÷ Rust async p50, 1 in flight", v, "(no target)", None)
    kt = "kotlin · null server"
    for n in (1, 8, 64):
        v = ratio(pick(res, kt, "necid Kotlin (coroutines)", n), pick(res, rs, "necid async", n), "cpu_us_per_req")
        add(f"Kotlin CPU/request ÷ Rust's, {n} in flight", v, "(no target)", None)
    v = ratio(pick(res, kt, "necid Kotlin (coroutines)", 1), pick(res, rs, "necid async", 1), "p50_ms")
    add("Kotlin p50 ÷ Rust async p50, 1 in flight", v, "(no target)", None)
    res["null_targets"] = {name: val for name, _, val, _ in rows}
    lines = ["\n### The issue's targets against the null server (this run)\n"]
    pin = res["meta"].get("null_pinned")
    if pin:
        lines.append(f"Pinning (server / clients): {pin}\n")
    lines.append("| measure | ratio | target |")
    lines.append("|---|---|---|")
    lines += [f"| {name} | {txt} | {tgt} |" for name, txt, _, tgt in rows]
    return lines


def handoff_table(res: dict[str, Any]) -> list[str]:
    h = res.get("handoff_ns")
    if not h:
        return []
    lines = ["\n### Hand-off floor (Rust, ns per round trip, best of 3, no I/O)\n"]
    lines.append("| what | ns |")
    lines.append("|---|---|")
    lines += [f"| {k} | {v:,.0f} |" for k, v in h.items()]
    sizes = res.get("call_future_bytes")
    if sizes:
        lines.append("\n### Bytes of one call's future (Rust core, release build)\n")
        lines.append("| call | bytes |")
        lines.append("|---|---|")
        lines += [f"| {k} | {v:,} |" for k, v in sizes.items()]
    return lines


def rss_table(res: dict[str, Any]) -> list[str]:
    if not res["rss"]:
        return []
    lines = ["\n### Peak RSS while registering a ~5 MB image\n"]
    lines.append(
        "| lang | client | in flight | image | peak - baseline | per in-flight | ÷ image |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    for r in res["rss"]:
        delta = r["peak_rss"] - r["baseline_rss"]
        lines.append(
            f"| {r['lang']} | {r['client']} | {r['inflight']} | {r['image_bytes'] / 1e6:.2f} MB | "
            f"{delta / 1e6:.1f} MB | {r['bytes_per_inflight'] / 1e6:.1f} MB | "
            f"{r['ratio_to_image']:.2f}x |"
        )
    return lines


def engine_table(res: dict[str, Any]) -> list[str]:
    e = res["engine"]
    if not e:
        return []
    lines = ["\n### Face engine (necid-face-engine, release build)\n"]
    lines.append("| measurement | result |")
    lines.append("|---|---|")
    lines.append(f"| load weights (FaceEngine::new) | {e['load_ms']:.0f} ms |")
    lines.append(
        f"| extract on a {e['photo']} photo (decode + detect + landmarks + descriptor), "
        f"median of {e['extract_runs']} | {e['extract_ms']:.0f} ms ({e['faces']} face) |"
    )
    for s in e["search"]:
        lines.append(
            f"| 1:N search over {s['templates']:,} templates, f32 score loop | "
            f"{s['score_loop_ms']:.1f} ms |"
        )
        lines.append(
            f"| 1:N search over {s['templates']:,} templates, emulator's compare on stored templates | "
            f"{s['server_format_ms']:.1f} ms |"
        )
        if "server_format_sequential_ms" in s:
            lines.append(
                f"| 1:N search over {s['templates']:,} templates, the emulator's previous compare "
                f"(one sequential sum over the bytes) | {s['server_format_sequential_ms']:.1f} ms |"
            )
    return lines


def main() -> None:
    out, results_json, table_md = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    res = load(out)
    lines: list[str] = []
    m = res["meta"]
    if m:
        lines.append(
            f"Machine: {m.get('cpu')} · nproc {m.get('nproc')} · load average at start "
            f"{m.get('load_start')}, at end {m.get('load_end')} · {m.get('date')}"
        )
    lines += sign_tables(res)
    lines += ffi_table(res)
    lines += breakdown_table(res)
    lines += e2e_tables(res)
    lines += null_targets(res)
    lines += handoff_table(res)
    lines += rss_table(res)
    lines += engine_table(res)
    text = "\n".join(lines) + "\n"
    results_json.write_text(json.dumps(res, indent=1) + "\n")
    table_md.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
