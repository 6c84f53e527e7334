"""Fixtures: one emulator (`necid serve`) per test session, and per-module galleries.

The emulator binary is NECID_BIN, else the workspace's debug build of the CLI
(`cargo build -p necid-cli`).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import necid

REPO = Path(__file__).resolve().parents[2]
FACES = REPO / "cli" / "assets" / "faces"
VECTORS = REPO / "tests" / "vectors"


def _necid_bin() -> str:
    env = os.environ.get("NECID_BIN")
    if env:
        return env
    return str(REPO / "target" / "x86_64-unknown-linux-gnu" / "debug" / "necid")


@pytest.fixture(scope="session")
def emulator() -> Iterator[dict[str, Any]]:
    with _serve() as info:
        yield info


@pytest.fixture(scope="session")
def tls_emulator() -> Iterator[dict[str, Any]]:
    """A second emulator serving HTTPS (`necid serve --tls`); `caFile` is its CA (PEM)."""
    with _serve("--tls") as info:
        yield info


@contextmanager
def _serve(*extra: str) -> Iterator[dict[str, Any]]:
    work = tempfile.mkdtemp(prefix="necid-pytest-")
    ready = os.path.join(work, "ready.json")
    buckets = os.path.join(work, "buckets")
    log = open(os.path.join(work, "serve.log"), "wb")
    proc = subprocess.Popen(
        [
            _necid_bin(),
            "serve",
            "--engine",
            "deterministic",
            "--memory",
            "--port",
            "0",
            "--ready-file",
            ready,
            "--bucket-dir",
            buckets,
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not (os.path.exists(ready) and os.path.getsize(ready) > 0):
            if proc.poll() is not None:
                raise RuntimeError(f"emulator exited early: {Path(log.name).read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError("emulator did not become ready in 60 s")
            time.sleep(0.05)
        with open(ready) as f:
            info: dict[str, Any] = json.load(f)
        info["bucketDir"] = info.get("bucketDir") or buckets
        yield info
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def settings(info: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """Client keyword arguments for the emulator (dev credentials, dev gallery)."""
    kw: dict[str, Any] = {
        "endpoint": info["endpoint"],
        "tenant_endpoint": info["tenantEndpoint"],
        "region": info["region"],
        "access_key_id": info["accessKeyId"],
        "secret_access_key": info["secretAccessKey"],
        "api_key": info["apiKey"],
    }
    kw.update(overrides)
    return kw


@pytest.fixture(scope="session")
def tenant(emulator: dict[str, Any]) -> Iterator[necid.Client]:
    """A client with the dev credentials (tenant API + the default gallery)."""
    with necid.Client(**settings(emulator)) as c:
        yield c


@pytest.fixture(scope="module")
def gallery(tenant: necid.Client) -> Iterator[necid.Gallery]:
    """A fresh gallery for the test module (its own subjects and tags)."""
    g = tenant.create_gallery(f"pytest-{uuid.uuid4().hex[:8]}", size=1000)
    yield g
    tenant.delete_gallery(g.id)


@pytest.fixture()
def client(emulator: dict[str, Any], gallery: necid.Gallery) -> Iterator[necid.Client]:
    """A blocking client bound to the module's gallery."""
    assert gallery.api_key
    with necid.Client(**settings(emulator, api_key=gallery.api_key)) as c:
        yield c


@pytest.fixture()
def face() -> bytes:
    return (FACES / "obama.jpg").read_bytes()


@pytest.fixture()
def other_face() -> bytes:
    return (FACES / "biden.jpg").read_bytes()
