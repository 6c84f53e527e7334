"""Python runner of the cross-language scenarios (see tests/README.md).

usage: runner.py READY_FILE FACES_DIR SCENARIO.json...

Runs each scenario in a fresh gallery of the emulator described by READY_FILE, prints the
normalised transcript on stdout and expectation failures on stderr (exit 1 if any). The
format and normalisation rules mirror the Rust runner (tests/reliability/src/scenario.rs).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

import necid


def fmt(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(fmt(x) for x in v) + "]"
    return str(v)


def normalise_str(s: str, vars_: dict[str, str]) -> str:
    for name in sorted(vars_):
        value = vars_[name]
        if s == value:
            return "${" + name + "}"
        if s.startswith(value + ":"):
            return "${" + name + "}" + s[len(value) :]
    return s


def normalise(v: Any, vars_: dict[str, str]) -> Any:
    if isinstance(v, str):
        return normalise_str(v, vars_)
    if isinstance(v, list):
        return [normalise(x, vars_) for x in v]
    return v


def line(i: int, op: str, outcome: tuple[str, Any]) -> str:
    status, value = outcome
    if status == "error":
        return f"{i:02d} {op} error {value}"
    parts = [f"{i:02d} {op} ok"] + [f"{k}={fmt(value[k])}" for k in sorted(value)]
    return " ".join(parts)


def check(step: dict[str, Any], outcome: tuple[str, Any]) -> str | None:
    status, value = outcome
    want_err = step.get("error")
    if want_err is not None:
        if status == "error" and value == want_err:
            return None
        return f"expected error {want_err}, got {outcome!r}"
    if status == "error":
        return f"expected success, got error {value}"
    for k, want in (step.get("expect") or {}).items():
        got = fmt(value[k]) if k in value else None
        if got != fmt(want):
            return f"{k}: expected {fmt(want)}, got {got!r}"
    return None


class Runner:
    def __init__(self, info: dict[str, Any], faces: Path) -> None:
        self.settings = {
            "endpoint": info["endpoint"],
            "tenant_endpoint": info["tenantEndpoint"],
            "region": info["region"],
            "access_key_id": info["accessKeyId"],
            "secret_access_key": info["secretAccessKey"],
        }
        self.tenant = necid.Client(**self.settings)
        self.faces = faces

    def image(self, name: str) -> bytes:
        return b"" if name == "" else (self.faces / name).read_bytes()

    def run(self, file: Path) -> tuple[list[str], list[str]]:
        scenario = json.loads(file.read_text())
        g = self.tenant.create_gallery(f"scenario-python-{os.getpid()}", size=1000)
        assert g.api_key, "create_gallery returned no API key"
        lines = [f"# scenario {scenario.get('name', '')}"]
        failures: list[str] = []
        vars_: dict[str, str] = {}
        with necid.Client(**self.settings, api_key=g.api_key) as c:
            for i, step in enumerate(scenario["steps"], start=1):
                op = step["op"]
                outcome = self.step(c, op, step, vars_)
                if outcome[0] == "ok":
                    result = outcome[1]
                    for var, key in (step.get("capture") or {}).items():
                        vars_[var] = result[key]
                    for k in result:
                        result[k] = normalise(result[k], vars_)
                        if isinstance(result[k], list) and k != "candidates":
                            result[k] = sorted(result[k], key=fmt)
                f = check(step, outcome)
                if f is not None:
                    failures.append(f"step {i} ({op}): {f}")
                lines.append(line(i, op, outcome))
        self.tenant.delete_gallery(g.id)
        return lines, failures

    def step(
        self, c: necid.Client, op: str, step: dict[str, Any], vars_: dict[str, str]
    ) -> tuple[str, Any]:
        def var(k: str) -> str:
            s: str = step[k]
            if s.startswith("${") and s.endswith("}"):
                return vars_[s[2:-1]]
            return s

        def img(k: str) -> bytes:
            return self.image(step[k])

        tags = step.get("tags") or []
        ops: dict[str, Callable[[], dict[str, Any]]] = {
            "create_tag": lambda: (c.create_tag(var("name")), {})[1],
            "rename_tag": lambda: (c.rename_tag(var("name"), var("new_name")), {})[1],
            "delete_tag": lambda: (c.delete_tag(var("name")), {})[1],
            "list_tags": lambda: {"tags": [t.name for t in c.list_tags()]},
            "register_subject": lambda: (
                lambda r: {"subjectId": r.subject_id, "eventId": r.event_id}
            )(c.register_subject(img("image"), tags)),
            "register_event": lambda: {
                "eventId": c.register_event(var("subject"), img("image"), tags).event_id
            },
            "list_events": lambda: {
                "events": [e.event_id for e in c.list_events(var("subject")).events]
            },
            "unregister_subject": lambda: (c.unregister_subject(var("subject")), {})[1],
            "search": lambda: {
                "candidates": [
                    f"{x.subject_id}:{x.score}"
                    for x in c.search(
                        img("image"),
                        threshold=step.get("threshold"),
                        tags=step["tags"] if "tags" in step else None,
                    ).candidates
                ]
            },
            "verify_subject": lambda: (lambda v: {"verified": v.verified, "score": v.score})(
                c.verify_subject(var("subject"), img("image"))
            ),
            "verify_faces": lambda: (lambda v: {"verified": v.verified, "score": v.score})(
                c.verify_faces(img("face"), img("probe"))
            ),
            "extract_faces": lambda: {"faces": len(c.extract_faces(img("image")))},
        }
        if op not in ops:
            raise SystemExit(f"unknown op {op}")
        try:
            return ("ok", ops[op]())
        except necid.NecIdError as e:
            return ("error", e.kind)


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    info = json.loads(Path(sys.argv[1]).read_text())
    runner = Runner(info, Path(sys.argv[2]))
    failed = False
    for f in sys.argv[3:]:
        lines, failures = runner.run(Path(f))
        print("\n".join(lines))
        for x in failures:
            print(f"python runner: {f}: {x}", file=sys.stderr)
        failed = failed or bool(failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
