"""necid.testing (the Emulator helper) and its pytest plugin, as users run them: the
README's example as a test file in a separate pytest process, failing and killed test
runs (the process table must hold no emulator afterwards), blocked signals, bad
arguments, async use, fault rules, recording and seeding."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

import pytest
from conftest import FACES

import necid
import necid.testing
from necid.testing import Emulator, EmulatorError, EmulatorNotFoundError

README = Path(__file__).resolve().parents[1] / "README.md"


def state(pid: int) -> Optional[str]:
    """The process's state letter from /proc, None when it does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def alive(pid: int) -> bool:
    return state(pid) not in (None, "Z", "X")


def necid_processes(marker: str = "") -> set[int]:
    """The necid serve processes of this machine (for the process-table checks); with a
    marker, only those started under `run_pytest(..., marker)` (they inherit it in their
    environment), so other suites' emulators on the same machine do not count."""
    found = set()
    tag = f"NECID_TEST_RUN={marker}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
                if not (len(cmd) > 1 and cmd[0].endswith(b"necid") and cmd[1] == b"serve"):
                    continue
                if marker and tag not in (entry / "environ").read_bytes().split(b"\0"):
                    continue
            except OSError:
                continue
            found.add(int(entry.name))
    return found


def run_pytest(
    folder: Path, *args: str, block_signals: bool = False, marker: str = ""
) -> subprocess.CompletedProcess[str]:
    """pytest in a separate process on `folder` (the plugin comes from the entry point);
    `marker` is put in its environment as NECID_TEST_RUN (see `necid_processes`)."""
    cmd = [sys.executable, "-m", "pytest", str(folder), "-p", "no:cacheprovider", "-q", *args]
    if block_signals:
        # The runner blocks SIGTERM and SIGINT; the emulator inherits the mask.
        cmd = [
            sys.executable,
            "-c",
            "import os, signal, sys; "
            "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT}); "
            "os.execv(sys.argv[1], sys.argv[1:])",
            *cmd,
        ]
    env = {**os.environ, "NECID_TEST_RUN": marker}
    return subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=300)


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="process-table checks read /proc (Linux)"
)


def test_the_readme_example_passes_as_a_user_test_file(tmp_path: Path) -> None:
    text = README.read_text()
    section = text.split("## Testing your code offline", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "no python block in the README's 'Testing your code offline'"
    (tmp_path / "test_readme_example.py").write_text(code.group(1))
    shutil.copy(FACES / "obama.jpg", tmp_path / "face.jpg")
    marker = f"readme-{os.getpid()}"
    got = run_pytest(tmp_path, marker=marker)
    assert got.returncode == 0, got.stdout + got.stderr
    assert "3 passed" in got.stdout, got.stdout
    assert necid_processes(marker) == set()


FAILING = """
import os
from pathlib import Path

def test_fails_on_purpose(necid_emulator, necid_client):
    Path(os.environ["PID_FILE"]).write_text(str(necid_emulator.pid))
    Path(os.environ["PID_FILE"] + ".sigblk").write_text(
        [l for l in Path(f"/proc/{necid_emulator.pid}/status").read_text().splitlines()
         if l.startswith("SigBlk:")][0])
    necid_client.health()
    assert False, "failing on purpose"
"""


@needs_proc
@pytest.mark.parametrize("block_signals", [False, True], ids=["plain", "sigterm-blocked"])
def test_a_failing_test_leaves_no_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_signals: bool
) -> None:
    (tmp_path / "test_fail.py").write_text(FAILING)
    pid_file = tmp_path / "pid"
    monkeypatch.setenv("PID_FILE", str(pid_file))
    got = run_pytest(tmp_path, block_signals=block_signals)
    assert got.returncode == 1, got.stdout + got.stderr
    assert "failing on purpose" in got.stdout
    pid = int(pid_file.read_text())
    blocked = int(Path(str(pid_file) + ".sigblk").read_text().split()[1], 16)
    sigterm = 1 << (signal.SIGTERM - 1)
    # The condition under test is real: the emulator ran with SIGTERM blocked (or not).
    assert bool(blocked & sigterm) == block_signals
    assert not alive(pid), f"emulator {pid} still running ({state(pid)})"
    assert pid not in necid_processes()


KILLED = """
import os, signal
from pathlib import Path

def test_killed(necid_emulator, necid_client):
    necid_client.health()
    Path(os.environ["PID_FILE"]).write_text(str(necid_emulator.pid))
    os.kill(os.getpid(), signal.SIGKILL)
"""


@needs_proc
def test_a_killed_test_runner_leaves_no_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "test_killed.py").write_text(KILLED)
    pid_file = tmp_path / "pid"
    monkeypatch.setenv("PID_FILE", str(pid_file))
    got = run_pytest(tmp_path)
    assert got.returncode == -signal.SIGKILL, got.stdout + got.stderr
    pid = int(pid_file.read_text())
    # Nobody stopped it: it sees its stdin close and stops by itself. Wait for that
    # (a deadline so that a regression fails instead of hanging; not a speed check).
    deadline = time.monotonic() + 60
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid), f"emulator {pid} outlived its killed test runner"


def test_an_unknown_engine_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match=r"unknown engine 'fast'.*'deterministic'.*'real'"):
        Emulator(engine="fast")


def test_a_missing_seed_folder_is_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"seed folder .*nowhere does not exist"):
        Emulator(seed=tmp_path / "nowhere")


def test_a_port_in_use_gives_the_emulators_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        emu = Emulator(port=port)
        with pytest.raises(EmulatorError, match=r"exited \(status \d+\) before it was ready"):
            emu.start()
        assert not emu.running


def test_a_bad_fault_rule_gives_the_emulators_error() -> None:
    emu = Emulator(faults=[{"fault": "error", "status": 418}])
    with pytest.raises(EmulatorError, match="status 418 is not one of"):
        emu.start()


def test_no_binary_anywhere_names_the_four_places(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NECID_BIN")
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(necid.testing, "PACKAGED_BINARY", Path("/nonexistent/necid"))
    with pytest.raises(EmulatorNotFoundError) as e:
        Emulator().start()
    msg = str(e.value)
    for place in ("binary= argument", "NECID_BIN", "packaged", "PATH"):
        assert place in msg, msg


def test_the_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.environ["NECID_BIN"]
    fake = tmp_path / "necid"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert necid.testing.find_binary(real) == real
    monkeypatch.setenv("NECID_BIN", str(fake))
    assert necid.testing.find_binary() == str(fake)
    assert necid.testing.find_binary(real) == real
    monkeypatch.delenv("NECID_BIN")
    monkeypatch.setattr(necid.testing, "PACKAGED_BINARY", fake)
    assert necid.testing.find_binary() == str(fake)
    monkeypatch.setattr(necid.testing, "PACKAGED_BINARY", tmp_path / "absent")
    monkeypatch.setenv("PATH", str(Path(real).parent))
    assert necid.testing.find_binary() == str(Path(real).parent / "necid")
    monkeypatch.setenv("NECID_BIN", str(tmp_path / "missing"))
    with pytest.raises(EmulatorNotFoundError, match=r"NECID_BIN is set to .*missing"):
        necid.testing.find_binary()


def test_async_with_and_an_async_client() -> None:
    async def main() -> Any:
        async with Emulator() as emu:
            assert emu.running
            async with emu.async_client() as client:
                return (await client.health()).status, emu

    status, emu = asyncio.run(main())
    assert status == "OK"
    assert not emu.running


def test_fault_rules_from_the_start_and_recording() -> None:
    rule = {"method": "GET", "path": "/v1.1/tags", "fault": "error", "status": 503}
    with Emulator(faults=[rule], record=True) as emu, emu.client(max_attempts=2) as c:
        with pytest.raises(necid.ServerError) as e:
            c.list_tags()
        assert e.value.status == 503
        assert [r["status"] for r in emu.requests(method="GET", path="/v1.1/tags")] == [503, 503]
        emu.clear_faults()
        emu.clear_requests()
        assert c.list_tags() == []
        assert [r["status"] for r in emu.requests()] == [200]


def test_seed_and_reset(tmp_path: Path) -> None:
    shutil.copy(FACES / "obama.jpg", tmp_path / "obama.jpg")
    with Emulator(seed=tmp_path) as emu, emu.client() as c:
        seeded = emu.seeded()
        assert [s["file"] for s in seeded] == ["obama.jpg"]
        hits = c.search(tmp_path / "obama.jpg")
        assert [h.subject_id for h in hits.candidates] == [seeded[0]["subjectId"]]
        emu.reset()
        assert c.search(tmp_path / "obama.jpg").candidates == ()


def test_stop_twice_and_info_after_stop() -> None:
    emu = Emulator().start()
    pid = emu.pid
    assert pid is not None and emu.running
    emu.stop()
    emu.stop()
    assert not emu.running


# The plugin's per-test gallery: the second test does not see the first one's subject.
def test_necid_client_gallery_1(necid_client: necid.Client) -> None:
    face = (FACES / "obama.jpg").read_bytes()
    necid_client.register_subject(face)
    assert len(necid_client.search(face).candidates) == 1


def test_necid_client_gallery_2(necid_client: necid.Client) -> None:
    assert necid_client.search((FACES / "obama.jpg").read_bytes()).candidates == ()


def test_necid_session_client_shares_the_emulator(
    necid_emulator: Emulator, necid_session_client: necid.Client
) -> None:
    assert necid_session_client.health().status == "OK"
    assert necid_emulator.info["endpoint"] == necid_emulator.endpoint
