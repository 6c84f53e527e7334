"""Every error kind raised as its class, with its fields; pickling; panics.

The emulator produces InvalidInput (client side), Auth, NotFound, InvalidRequest,
Duplicate, NoFace, PoorQuality and MultipleFaces. Throttled, Server, the service's
Timeout, Decode and TimedOut need a misbehaving server: those use `FaultServer`
(support.py), a scripted loopback HTTP server, to inject the fault.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import settings
from support import FaultServer, blank_png, http_response, noise_png

import necid
from necid import exceptions

ALL_KINDS = {
    "InvalidInput": necid.InvalidInputError,
    "Auth": necid.AuthError,
    "NotFound": necid.NotFoundError,
    "InvalidRequest": necid.InvalidRequestError,
    "Duplicate": necid.DuplicateError,
    "Timeout": necid.ServiceTimeoutError,
    "NoFace": necid.NoFaceError,
    "PoorQuality": necid.PoorQualityError,
    "MultipleFaces": necid.MultipleFacesError,
    "Throttled": necid.ThrottledError,
    "Server": necid.ServerError,
    "Network": necid.NetworkError,
    "TimedOut": necid.TimedOutError,
    "Decode": necid.DecodeError,
}


def test_hierarchy() -> None:
    for kind, cls in ALL_KINDS.items():
        assert issubclass(cls, necid.NecIdError) and cls.kind == kind
        assert getattr(exceptions, cls.__name__) is cls
    assert issubclass(necid.InvalidInputError, ValueError)
    assert issubclass(necid.TimedOutError, TimeoutError)
    assert issubclass(necid.NetworkError, ConnectionError)
    assert not issubclass(necid.ServiceTimeoutError, TimeoutError)
    assert issubclass(necid.NecIdError, Exception)


def check(
    e: necid.NecIdError,
    *,
    status: int | None,
    code: int | None = None,
    etype: str | None = None,
    request_id: bool = False,
) -> None:
    assert e.status == status
    assert e.error_code == code
    assert e.error_type == etype
    assert (e.request_id is not None) == request_id
    assert str(e) == e.message and e.message
    # Every error survives pickling with its fields (multiprocessing, concurrent.futures).
    clone = pickle.loads(pickle.dumps(e))
    assert type(clone) is type(e)
    assert (
        clone.message,
        clone.status,
        clone.error_code,
        clone.error_type,
        clone.request_id,
        clone.field,
    ) == (e.message, e.status, e.error_code, e.error_type, e.request_id, e.field)


def test_invalid_input_before_sending(client: necid.Client) -> None:
    with pytest.raises(necid.InvalidInputError) as info:
        client.register_subject(b"definitely not an image")
    e = info.value
    assert isinstance(e, ValueError)
    assert e.field == "face"
    check(e, status=None)
    with pytest.raises(necid.InvalidInputError) as info:
        client.list_subjects(length=0)
    assert info.value.field == "length"
    with pytest.raises(necid.InvalidInputError):
        client.list_subjects(dir="sideways")
    with pytest.raises(necid.InvalidInputError):
        client.search(blank_png(), threshold=10_000)
    with pytest.raises(necid.InvalidInputError):
        necid.Client(endpoint="not a url")
    with pytest.raises(necid.InvalidInputError) as info:
        necid.Client(request_timeout=-1)
    assert info.value.field == "request_timeout"


def test_auth_wrong_secret(emulator: dict[str, Any]) -> None:
    with necid.Client(**settings(emulator, secret_access_key="wrong-secret")) as c:
        with pytest.raises(necid.AuthError) as info:
            c.list_tags()
    e = info.value
    check(e, status=403, request_id=e.request_id is not None)
    assert "wrong-secret" not in str(e) and "wrong-secret" not in repr(e)


def test_auth_missing_api_key(emulator: dict[str, Any]) -> None:
    with necid.Client(**settings(emulator, api_key=None)) as c:
        with pytest.raises(necid.AuthError) as info:
            c.list_tags()
    assert info.value.status == 403


def test_not_found(client: necid.Client) -> None:
    with pytest.raises(necid.NotFoundError) as info:
        client.list_events(str(uuid.uuid4()))
    check(info.value, status=404, request_id=True)


def test_duplicate_tag(client: necid.Client) -> None:
    name = f"dup{uuid.uuid4().hex[:6]}"
    client.create_tag(name)
    with pytest.raises(necid.DuplicateError) as info:
        client.create_tag(name)
    check(info.value, status=400, code=1002, etype="Duplicate", request_id=True)


def test_invalid_request_unknown_tag(client: necid.Client) -> None:
    with pytest.raises(necid.InvalidRequestError) as info:
        client.register_subject(noise_png(64, 64, 1), tags=["never-created"])
    check(info.value, status=400, code=1001, etype="InvalidRequest", request_id=True)


def test_tag_limit(tenant: necid.Client, emulator: dict[str, Any]) -> None:
    g = tenant.create_gallery(f"tags-{uuid.uuid4().hex[:6]}")
    try:
        assert g.api_key
        with necid.Client(**settings(emulator, api_key=g.api_key)) as c:
            with pytest.raises(necid.InvalidRequestError) as info:
                for i in range(1000):
                    c.create_tag(f"tag{i}")
            assert "at most" in info.value.message
            assert len(c.list_tags()) < 1000
            check(info.value, status=400, code=1001, etype="InvalidRequest", request_id=True)
    finally:
        tenant.delete_gallery(g.id)


def test_no_face(client: necid.Client) -> None:
    with pytest.raises(necid.NoFaceError) as info:
        client.register_subject(blank_png())
    check(info.value, status=400, code=2001, etype="NoFace", request_id=True)


def test_multiple_faces(client: necid.Client) -> None:
    with pytest.raises(necid.MultipleFacesError) as info:
        client.register_subject(noise_png(128, 64, 3))  # two tiles = two faces
    check(info.value, status=400, code=2003, etype="MultipleFaces", request_id=True)


def test_poor_quality(tenant: necid.Client, emulator: dict[str, Any]) -> None:
    g = tenant.create_gallery(f"strict-{uuid.uuid4().hex[:6]}", face_minimum_quality_score=0.9)
    try:
        assert g.api_key
        with necid.Client(**settings(emulator, api_key=g.api_key)) as c:
            with pytest.raises(necid.PoorQualityError) as info:
                c.register_subject(noise_png(32, 32, 5))  # small picture = low quality
        check(info.value, status=400, code=2002, etype="PoorQuality", request_id=True)
    finally:
        tenant.delete_gallery(g.id)


@pytest.fixture()
def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()  # nothing listens here any more: connections are refused
    return port


def test_network(closed_port: int) -> None:
    with necid.Client(endpoint=f"http://127.0.0.1:{closed_port}", max_attempts=1) as c:
        with pytest.raises(necid.NetworkError) as info:
            c.health()
    assert isinstance(info.value, ConnectionError)
    check(info.value, status=None)


@pytest.fixture()
def fault() -> Iterator[list[FaultServer]]:
    servers: list[FaultServer] = []
    yield servers
    for s in servers:
        s.close()


def fault_client(fault: list[FaultServer], *replies: Any, **kw: Any) -> necid.Client:
    server = FaultServer(*replies)
    fault.append(server)
    return necid.Client(
        endpoint=server.endpoint,
        tenant_endpoint=server.endpoint,
        access_key_id="AKIDTEST",
        secret_access_key="secret-value",
        api_key="key-value",
        max_attempts=1,
        **kw,
    )


def test_timed_out(fault: list[FaultServer]) -> None:
    # The fault server reads the request and never answers.
    c = fault_client(fault, "hang", request_timeout=0.3)
    with pytest.raises(necid.TimedOutError) as info:
        c.health()
    assert isinstance(info.value, TimeoutError)
    check(info.value, status=None)


def test_throttled(fault: list[FaultServer]) -> None:
    c = fault_client(fault, http_response(429, b'{"message":"Too Many Requests"}'))
    with pytest.raises(necid.ThrottledError) as info:
        c.list_tags()
    check(info.value, status=429, request_id=True)


def test_server_error(fault: list[FaultServer]) -> None:
    c = fault_client(fault, http_response(502, b'{"message":"Bad Gateway"}'))
    with pytest.raises(necid.ServerError) as info:
        c.list_tags()
    check(info.value, status=502, request_id=True)


def test_service_timeout(fault: list[FaultServer]) -> None:
    body = json.dumps({"message": "gave up", "errorCode": 1003, "errorType": "Timeout"})
    c = fault_client(fault, http_response(400, body.encode()))
    with pytest.raises(necid.ServiceTimeoutError) as info:
        c.list_tags()
    check(info.value, status=400, code=1003, etype="Timeout", request_id=True)


def test_decode(fault: list[FaultServer]) -> None:
    c = fault_client(fault, http_response(200, b"<html>surprise</html>"))
    with pytest.raises(necid.DecodeError) as info:
        c.list_tags()
    check(info.value, status=200, request_id=True)
    assert "key-value" not in repr(info.value) and "secret-value" not in repr(info.value)


def test_async_errors_have_the_same_classes(emulator: dict[str, Any], closed_port: int) -> None:
    async def main() -> None:
        async with necid.AsyncClient(**settings(emulator)) as c:
            with pytest.raises(necid.NotFoundError) as nf:
                await c.list_events(str(uuid.uuid4()))
            check(nf.value, status=404, request_id=True)
            with pytest.raises(necid.InvalidInputError):
                await c.register_subject(b"nope")
            with pytest.raises(necid.NoFaceError):
                await c.register_subject(blank_png())
        async with necid.AsyncClient(**settings(emulator, secret_access_key="bad")) as c:
            with pytest.raises(necid.AuthError):
                await c.list_tags()
        async with necid.AsyncClient(
            endpoint=f"http://127.0.0.1:{closed_port}", max_attempts=1
        ) as c:
            with pytest.raises(necid.NetworkError):
                await c.health()

    asyncio.run(main())


def test_panic_is_necid_error() -> None:
    from necid import _necid

    with pytest.raises(necid.NecIdError) as info:
        _necid._panic_for_tests()  # type: ignore[attr-defined]
    assert type(info.value) is necid.NecIdError and info.value.kind == "Internal"
    assert "panic" in info.value.message

    async def in_future() -> None:
        await _necid._panic_for_tests(True)  # type: ignore[attr-defined]

    with pytest.raises(necid.NecIdError) as info:
        asyncio.run(in_future())
    assert "panic" in info.value.message
    # The interpreter and the runtime are fine afterwards.
    assert necid.Client().endpoint.startswith("https://")


def test_closed_client(emulator: dict[str, Any]) -> None:
    c = necid.Client(**settings(emulator))
    assert c.health().ok
    c.close()
    c.close()  # idempotent
    assert c.closed and "closed" in repr(c)
    with pytest.raises(necid.InvalidInputError) as info:
        c.health()
    assert info.value.field == "client"
