"""The SDK's retry rules through the emulator's own fault rules (its admin API), not a mock:
Retry-After honoured, a POST that may have been processed never resent, typed errors.
The emulator's recording counts the attempts that reached it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import settings

import necid


def admin(info: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    req = urllib.request.Request(
        info["adminEndpoint"] + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": "Bearer " + info["adminToken"],
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


@pytest.fixture()
def emu(emulator: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The session emulator with recording on; rules and records cleared afterwards."""
    admin(emulator, "PUT", "/recording", {"enabled": True})
    admin(emulator, "DELETE", "/requests")
    try:
        yield emulator
    finally:
        admin(emulator, "DELETE", "/faults")
        admin(emulator, "PUT", "/recording", {"enabled": False})
        admin(emulator, "DELETE", "/requests")


def rule(info: dict[str, Any], **r: Any) -> None:
    admin(info, "PUT", "/faults", {"seed": 1, "rules": [r]})


def sent(info: dict[str, Any], method: str, path: str) -> list[Any]:
    got = admin(info, "GET", f"/requests?method={method}&path={path}")["requests"]
    return [r["status"] for r in got]


def make(info: dict[str, Any], gallery: necid.Gallery, **kw: Any) -> necid.Client:
    return necid.Client(
        **settings(info, api_key=gallery.api_key, retry_base_delay=0.01, retry_max_delay=0.05, **kw)
    )


def test_the_admin_api_needs_the_token(emulator: dict[str, Any]) -> None:
    req = urllib.request.Request(emulator["adminEndpoint"] + "/faults")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=30)
    assert info.value.code == 401


def test_retry_after_is_honoured(emu: dict[str, Any], gallery: necid.Gallery) -> None:
    rule(emu, method="GET", path="/v1.1/tags", fault="error", status=429, retryAfter=1, count=1)
    with make(emu, gallery, max_attempts=3, max_retry_after=5) as c:
        t = time.monotonic()
        c.list_tags()
        # A lower bound (the client sleeps at least what it was told): never flaky.
        assert time.monotonic() - t >= 1.0
    assert sent(emu, "GET", "/v1.1/tags") == [429, 200]


def test_a_post_that_may_have_been_processed_is_not_resent(
    emu: dict[str, Any], gallery: necid.Gallery, face: bytes
) -> None:
    rule(
        emu, method="POST", path="/v1.1/subjects", fault="error", status=500, phase="after", count=1
    )
    with make(emu, gallery, max_attempts=4) as c:
        with pytest.raises(necid.ServerError) as info:
            c.register_subject(face)
        assert info.value.status == 500
    assert sent(emu, "POST", "/v1.1/subjects") == [500]


def test_a_post_is_retried_when_the_service_says_busy(
    emu: dict[str, Any], gallery: necid.Gallery, face: bytes
) -> None:
    rule(
        emu, method="POST", path="/v1.1/subjects", fault="error", status=503, retryAfter=0, count=1
    )
    with make(emu, gallery, max_attempts=4) as c:
        r = c.register_subject(face)
        assert r.subject_id
    assert sent(emu, "POST", "/v1.1/subjects") == [503, 201]


def test_typed_errors_when_retries_run_out(emu: dict[str, Any], gallery: necid.Gallery) -> None:
    with make(emu, gallery, max_attempts=2) as c:
        rule(emu, path="/v1.1/tags", fault="error", status=429, retryAfter=0)
        with pytest.raises(necid.ThrottledError) as thr:
            c.list_tags()
        assert thr.value.status == 429
        rule(emu, path="/v1.1/tags", fault="timeout")
        with pytest.raises(necid.ServiceTimeoutError) as tmo:
            c.list_tags()
        assert tmo.value.error_code == 1003
        rule(emu, path="/v1.1/tags", fault="reset")
        with pytest.raises(necid.NetworkError):
            c.list_tags()
    # Two attempts each.
    assert sent(emu, "GET", "/v1.1/tags") == [429, 429, 500, 500, None, None]
