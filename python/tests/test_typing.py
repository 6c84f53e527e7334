"""The stubs type-check a program using the whole API under ``mypy --strict``, and
reject wrong uses."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent / "typecheck"


def mypy(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--warn-unreachable",
            str(path),
        ],
        capture_output=True,
        text=True,
        cwd=HERE,
        timeout=600,
    )


def test_example_passes_mypy_strict() -> None:
    r = mypy(HERE / "example.py")
    assert r.returncode == 0, r.stdout + r.stderr


def test_misuse_is_rejected() -> None:
    r = mypy(HERE / "misuse.py")
    assert r.returncode == 1, r.stdout + r.stderr
    source = (HERE / "misuse.py").read_text().splitlines()
    expected = {i + 1 for i, line in enumerate(source) if line.rstrip().endswith("# error")}
    got = {int(m.group(1)) for m in re.finditer(r"misuse\.py:(\d+): error", r.stdout)}
    assert got == expected, r.stdout
