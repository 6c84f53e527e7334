"""The shared SigV4 signing vectors (tests/vectors/*.json) through the Python package."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import VECTORS

import necid

FILES = sorted(VECTORS.glob("*.json"))


def test_vectors_exist() -> None:
    assert len(FILES) >= 5, f"no signing vectors found in {VECTORS}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_vector(path: Path) -> None:
    v: dict[str, Any] = json.loads(path.read_text())
    creds = v["credentials"]
    client = necid.Client(
        access_key_id=creds["access_key_id"],
        secret_access_key=creds["secret_access_key"],
        session_token=creds["session_token"],
        api_key=v["api_key"],
        region=v["region"],
        service=v["service"],
    )
    req = v["request"]
    when = datetime.datetime.fromisoformat(v["time"].replace("Z", "+00:00"))
    got = client.sign_request(
        req["method"],
        req["url"],
        [tuple(h) for h in req["headers"]],
        req["body"].encode(),
        time=when,
    )
    assert {k.lower(): val for k, val in got} == v["expected"]["headers"]
    # Epoch seconds are accepted as well as datetimes.
    again = client.sign_request(
        req["method"], req["url"], req["headers"], req["body"], time=when.timestamp()
    )
    assert dict(again) == dict(got)
