"""The SDK's log events reach the ``necid`` logger (necid.enable_logging), at the level
asked for, and never carry a secret; against the emulator (a fault rule gives a retry)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import necid
from necid.testing import Emulator


@pytest.fixture()
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e
    necid.disable_logging()


def test_events_reach_the_necid_logger_without_secrets(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.add_fault(method="GET", path="/v1.1/tags", fault="error", status=503, count=1)
    settings = emu.client_settings(max_attempts=3, retry_base_delay=0.01)
    necid.enable_logging(logging.DEBUG)
    with caplog.at_level(logging.DEBUG, logger="necid"), necid.Client(**settings) as c:
        tags = c.list_tags()
    records = [r for r in caplog.records if r.name == "necid"]
    text = "\n".join(r.getMessage() for r in records)
    assert any(r.levelno == logging.INFO and "retrying" in r.getMessage() for r in records), text
    assert any(r.levelno == logging.DEBUG for r in records), text
    assert tags.metadata is not None and tags.metadata.request_id in text
    assert all(getattr(r, "necid_target", "") for r in records)
    for secret in (settings["secret_access_key"], settings["api_key"]):
        assert secret not in text


def test_the_level_is_respected_and_logging_can_be_turned_off(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.add_fault(method="GET", path="/v1.1/tags", fault="error", status=503, count=2)
    settings = emu.client_settings(max_attempts=3, retry_base_delay=0.01)
    necid.enable_logging("INFO")
    with caplog.at_level(logging.DEBUG, logger="necid"), necid.Client(**settings) as c:
        c.list_tags()
        records = [r for r in caplog.records if r.name == "necid"]
        assert records and all(r.levelno >= logging.INFO for r in records)
        necid.disable_logging()
        caplog.clear()
        c.health()
        assert [r for r in caplog.records if r.name == "necid"] == []
    with pytest.raises(ValueError):
        necid.enable_logging("LOUD")
