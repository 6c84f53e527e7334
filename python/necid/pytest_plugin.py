"""pytest plugin of necid (registered through the ``pytest11`` entry point, so installing
``necid`` is enough): fixtures that run your tests against the offline emulator.

- ``necid_emulator`` (session): a :class:`necid.testing.Emulator`, started at its first
  use and stopped at the end of the session, also when tests fail.
- ``necid_client`` (function): a :class:`necid.Client` bound to a new, empty gallery for
  this test; the gallery is deleted and the fault rules cleared afterwards.
- ``necid_session_client`` (session): a client bound to one gallery shared by the session.

Options (command line, or ``[tool.pytest.ini_options]`` / ``pytest.ini`` without the
dashes): ``--necid-bin PATH`` (else NECID_BIN, the packaged necid, PATH),
``--necid-engine deterministic|real``, ``--necid-seed DIR``. Nothing starts unless a
test uses a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

import pytest

from ._necid import Client
from .testing import ENGINES, Emulator

__all__ = ["necid_client", "necid_emulator", "necid_session_client"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("necid", "necid emulator (necid.testing)")
    group.addoption("--necid-bin", default=None, help="the necid executable to run")
    group.addoption(
        "--necid-engine", default=None, choices=ENGINES, help="face engine of necid_emulator"
    )
    group.addoption("--necid-seed", default=None, help="folder of pictures to register at start")
    parser.addini("necid_bin", "the necid executable to run", default=None)
    parser.addini("necid_engine", "face engine of necid_emulator", default="deterministic")
    parser.addini("necid_seed", "folder of pictures registered at start", default=None)


def _option(config: pytest.Config, name: str) -> Optional[str]:
    value = config.getoption(f"--necid-{name}")
    if value is None:
        value = config.getini(f"necid_{name}") or None
    return None if value is None else str(value)


@pytest.fixture(scope="session")
def necid_emulator(pytestconfig: pytest.Config) -> Iterator[Emulator]:
    """The session's emulator (memory storage, free port)."""
    emu = Emulator(
        engine=_option(pytestconfig, "engine") or "deterministic",
        seed=_option(pytestconfig, "seed"),
        binary=_option(pytestconfig, "bin"),
    )
    with emu:
        yield emu


@pytest.fixture(scope="session")
def necid_session_client(necid_emulator: Emulator) -> Iterator[Client]:
    """A client bound to one gallery for the whole session."""
    with necid_emulator.gallery_client() as client:
        yield client


@pytest.fixture()
def necid_client(necid_emulator: Emulator) -> Iterator[Client]:
    """A client bound to a new, empty gallery for this test only."""
    try:
        with necid_emulator.gallery_client() as client:
            yield client
    finally:
        necid_emulator.clear_faults()
