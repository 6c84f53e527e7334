"""Refreshable credentials: ``credentials_provider`` (a callable) asked before a request
when the client holds none or they expire within 10 s, a rotation in the middle of a bulk
wait (the emulator accepts the old and the new key: ``--extra-access-key``), the new key
being what signs after the rotation, and a provider that raises."""

from __future__ import annotations

import asyncio
import datetime
import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import FACES

import necid
from necid.testing import Emulator

ROTATED = ("AKIDROTATEDEXAMPLE", "rotated-secret-value-0123456789")
# The first progress poll of a bulk job answers 503 once: the wait is retrying when the
# provider rotates.
FIRST_POLL_FAILS = {
    "method": "GET",
    "path": "/v1.1/jobs/bulkregister/**",
    "fault": "error",
    "status": 503,
    "retryAfter": 0,
    "count": 1,
}


@pytest.fixture(scope="module")
def rotating_emulator() -> Iterator[Emulator]:
    """An emulator that accepts its dev key and ROTATED (for the same tenant)."""
    with Emulator(extra_args=["--extra-access-key", ":".join(ROTATED)]) as emu:
        yield emu


class Rotating:
    """The dev key for the first `rotate_after` answers, then `then`; each answer expires
    `valid_for` seconds from now (None: never)."""

    def __init__(
        self, info: dict[str, Any], then: tuple[str, str], rotate_after: int, valid_for: Any
    ) -> None:
        self.first = (info["accessKeyId"], info["secretAccessKey"])
        self.then = then
        self.rotate_after = rotate_after
        self.valid_for = valid_for
        self.calls = 0
        self.rotated = 0

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        key = self.first
        if self.calls > self.rotate_after:
            self.rotated += 1
            key = self.then
        out: dict[str, Any] = {
            "access_key_id": key[0],
            "secret_access_key": key[1],
            "session_token": "session-token-value",
        }
        if self.valid_for is not None:
            out["expiration"] = time.time() + self.valid_for
        return out


def client_for(info: dict[str, Any], provider: Any, **kw: Any) -> necid.Client:
    return necid.Client(
        endpoint=info["endpoint"],
        tenant_endpoint=info["tenantEndpoint"],
        api_key=info["apiKey"],
        credentials_provider=provider,
        **kw,
    )


def test_credentials_are_cached_until_shortly_before_expiry(rotating_emulator: Emulator) -> None:
    info = rotating_emulator.info
    long = Rotating(info, ROTATED, 10**9, 3600)
    with client_for(info, long, max_attempts=1) as c:
        for _ in range(3):
            c.list_tags()
    assert long.calls == 1
    short = Rotating(info, ROTATED, 10**9, 5)  # within the 10 s refresh margin
    with client_for(info, short, max_attempts=1) as c:
        for _ in range(3):
            c.list_tags()
    assert short.calls == 3
    # An aware datetime works too.
    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    answers = []

    def dated() -> dict[str, Any]:
        answers.append(1)
        return {
            "access_key_id": info["accessKeyId"],
            "secret_access_key": info["secretAccessKey"],
            "expiration": until,
        }

    with client_for(info, dated, max_attempts=1) as c:
        c.list_tags()
        c.list_tags()
    assert len(answers) == 1


def bulk_wait(emu: Emulator, provider: Rotating) -> necid.BulkProgress:
    info = emu.info
    folder = os.path.join(info["bucketDir"], "default")
    os.makedirs(folder, exist_ok=True)
    shutil.copy(FACES / "obama.jpg", os.path.join(folder, "obama.jpg"))
    shutil.copy(FACES / "biden.jpg", os.path.join(folder, "biden.jpg"))
    with client_for(info, provider, max_attempts=3, retry_base_delay=0.01) as c:
        batch = c.bulk_register(["obama.jpg", "biden.jpg"])
        return c.wait_for_bulk_register(batch, poll_interval=0.02)


def test_a_rotation_in_the_middle_of_a_bulk_wait(rotating_emulator: Emulator) -> None:
    rotating_emulator.set_faults([FIRST_POLL_FAILS])
    # bulk_register and the first (503) poll with the dev key, the retry onwards rotated.
    provider = Rotating(rotating_emulator.info, ROTATED, 2, 0)
    done = bulk_wait(rotating_emulator, provider)
    assert done.done and done.succeeded == 2
    assert provider.rotated >= 1


def test_after_the_rotation_the_new_key_signs(rotating_emulator: Emulator) -> None:
    rotating_emulator.set_faults([FIRST_POLL_FAILS])
    provider = Rotating(rotating_emulator.info, ("AKIDUNKNOWN", "unknown-secret"), 2, 0)
    with pytest.raises(necid.AuthError) as e:
        bulk_wait(rotating_emulator, provider)
    assert provider.rotated == 1
    assert "unknown-secret" not in str(e.value)


def test_a_provider_that_raises_fails_the_call(rotating_emulator: Emulator) -> None:
    calls = []

    def broken() -> dict[str, Any]:
        calls.append(1)
        raise RuntimeError("token service unavailable")

    with client_for(rotating_emulator.info, broken) as c:
        for _ in range(2):
            with pytest.raises(necid.AuthError, match="token service unavailable"):
                c.list_tags()
    assert len(calls) == 2
    with pytest.raises(necid.AuthError, match="access_key_id"):
        with client_for(rotating_emulator.info, lambda: {"secret_access_key": "x"}) as c:
            c.list_tags()
    with pytest.raises(TypeError):
        client_for(rotating_emulator.info, "not callable")
    with pytest.raises(necid.InvalidInputError) as both:
        necid.Client(access_key_id="a", secret_access_key="b", credentials_provider=broken)
    assert both.value.field == "credentials_provider"


def test_the_async_client_asks_the_provider_too(rotating_emulator: Emulator) -> None:
    info = rotating_emulator.info
    provider = Rotating(info, ROTATED, 1, 0)

    async def main() -> None:
        async with necid.AsyncClient(
            endpoint=info["endpoint"], api_key=info["apiKey"], credentials_provider=provider
        ) as c:
            await c.list_tags()
            await c.list_tags()  # rotated: the emulator accepts the new key too

    asyncio.run(main())
    assert provider.calls == 2 and provider.rotated == 1
