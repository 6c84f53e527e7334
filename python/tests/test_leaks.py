"""Memory stays bounded over 10k calls through the binding (issue: reliability, leaks).

Each round mixes what crosses the boundary: a network call that returns objects, one that
raises a typed exception, a network call with an image, and a no-network signing call with
a body. Resident memory is read from /proc after a warm-up and again after 10k more calls;
a leak of even ~1 KiB per call would exceed the bound (a generous one, so allocator noise
cannot trip it). Not a timed assertion: only memory is checked.
"""

from __future__ import annotations

import os

import pytest

import necid

CALLS = 10_000
WARM_UP = 1_000
# 10k calls x 1 KiB = 10 MiB; steady state should be far below.
MAX_GROWTH = 10 * 1024 * 1024


def _rss() -> int:
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.timeout(600)
def test_ten_thousand_calls_keep_memory_bounded(client: necid.Client, face: bytes) -> None:
    body = b"x" * 64 * 1024

    def one(i: int) -> None:
        kind = i % 4
        if kind == 0:
            assert isinstance(client.list_tags(), list)
        elif kind == 1:
            with pytest.raises(necid.InvalidInputError):
                client.create_tag("")
        elif kind == 2:
            assert client.health().status == "OK"
        else:
            headers = client.sign_request(
                "POST", "http://127.0.0.1:1/v1.1/face/extract", None, body
            )
            assert any(k.lower() == "authorization" for k, _ in headers)
        if i % 100 == 0:
            # an image through the whole path (base64 into the body, the emulator's engine)
            assert client.verify_faces(face, face).verified

    for i in range(WARM_UP):
        one(i)
    before = _rss()
    for i in range(CALLS):
        one(i)
    growth = _rss() - before
    print(f"rss growth over {CALLS} calls: {growth / 1024:.0f} KiB")
    assert growth < MAX_GROWTH, f"resident memory grew {growth} bytes over {CALLS} calls"
