"""Fixtures: one emulator (`necid serve`) per test session, and per-module galleries.

The emulator is started by the package's own helper, `necid.testing.Emulator` (the same
one users get, with its pytest plugin loaded through the entry point): NECID_BIN, else
the workspace's debug build of the CLI (`cargo build -p necid-cli`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import necid
from necid.testing import Emulator

REPO = Path(__file__).resolve().parents[2]
FACES = REPO / "cli" / "assets" / "faces"
VECTORS = REPO / "tests" / "vectors"

if not os.environ.get("NECID_BIN"):
    os.environ["NECID_BIN"] = str(REPO / "target" / "x86_64-unknown-linux-gnu" / "debug" / "necid")


@pytest.fixture(scope="session")
def emulator(necid_emulator: Emulator) -> dict[str, Any]:
    """The ready file's JSON of the session's emulator (the plugin's necid_emulator)."""
    return necid_emulator.info


@pytest.fixture(scope="session")
def tls_emulator() -> Iterator[dict[str, Any]]:
    """A second emulator serving HTTPS (`necid serve --tls`); `caFile` is its CA (PEM)."""
    with Emulator(tls=True) as emu:
        yield emu.info


@pytest.fixture(scope="module")
def mtls_emulators() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Two emulators requiring client certificates (`--tls --tls-client-auth`), each with
    its own CA: `clientCertFile`/`clientKeyFile` of one are not trusted by the other."""
    with Emulator(tls=True, extra_args=["--tls-client-auth"]) as one:
        with Emulator(tls=True, extra_args=["--tls-client-auth"]) as other:
            yield one.info, other.info


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
