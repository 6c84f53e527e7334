"""Per-call options, cancellation and response metadata against the emulator.

Latency and errors come from the emulator's fault rules. A small TCP forwarder in front
of the emulator (``WireWatch``) shows that a cancelled call closes its connection while
the emulator is still holding the answer back: the request stops on the wire, not only
the wait.
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import necid
from necid.testing import Emulator


class WireWatch:
    """Forwards connections to the emulator and notes when the client closes each."""

    def __init__(self, port: int) -> None:
        self.upstream = ("127.0.0.1", port)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.opened = 0
        self.closed = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.opened += 1
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        server = socket.create_connection(self.upstream)

        def down() -> None:
            try:
                while data := server.recv(65536):
                    client.sendall(data)
            except OSError:
                pass

        threading.Thread(target=down, daemon=True).start()
        try:
            while data := client.recv(65536):
                server.sendall(data)
        except OSError:
            pass
        with self.lock:
            self.closed += 1
        server.close()
        client.close()

    def wait_closed(self, n: int, within: float) -> bool:
        until = time.monotonic() + within
        while time.monotonic() < until:
            with self.lock:
                if self.closed >= n:
                    return True
            time.sleep(0.01)
        return self.closed >= n

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(record=True) as e:
        yield e


@pytest.fixture()
def fresh(emu: Emulator) -> Iterator[Emulator]:
    emu.reset()
    yield emu
    emu.clear_faults()


@pytest.fixture()
def wire(fresh: Emulator) -> Iterator[WireWatch]:
    w = WireWatch(int(fresh.endpoint.rsplit(":", 1)[1]))
    yield w
    w.close()


def settings(emu: Emulator, **kw: Any) -> dict[str, Any]:
    s = emu.client_settings(**kw)
    return s


def test_results_carry_their_metadata(fresh: Emulator) -> None:
    fresh.add_fault(method="GET", path="/v1.1/tags", fault="error", status=503, count=1)
    with necid.Client(**settings(fresh, max_attempts=3, retry_base_delay=0.01)) as c:
        tags = c.list_tags()
        assert tags == [] and isinstance(tags, list) and isinstance(tags, necid.ResultList)
        m = tags.metadata
        assert m is not None and m.status == 200 and m.attempts == 2 and m.clock_skew_ms == 0
        assert m.request_id and len(m.request_id) == 36
        assert m.request_id in {r["requestId"] for r in fresh.requests()}

        health = c.health()
        assert health.metadata is not None and health.metadata.attempts == 1
        assert health.metadata.request_id != m.request_id
        # Not a field: equality, repr and to_dict ignore it; pickling keeps the value.
        assert health == necid.Health(status=health.status, ok=health.ok)
        assert "metadata" not in repr(health) and "metadata" not in health.to_dict()
        assert pickle.loads(pickle.dumps(health)) == health
        # A 404 read as an empty page keeps its status.
        page = c.list_subjects()
        assert page.subjects == () and page.metadata is not None
        assert page.metadata.status == 404
        # Nested models and hand-made ones have none.
        assert necid.Health(status="OK").metadata is None


def test_async_results_carry_their_metadata(fresh: Emulator) -> None:
    async def main() -> None:
        async with necid.AsyncClient(**settings(fresh)) as c:
            health = await c.health()
            assert health.metadata is not None and health.metadata.status == 200
            tags = await c.list_tags()
            assert tags.metadata is not None and tags.metadata.request_id

    asyncio.run(main())


def test_with_metadata_covers_calls_without_a_result(fresh: Emulator) -> None:
    """``with_metadata`` gives the metadata of calls returning ``None`` or a string: the
    request id is the one the emulator answered with (its ``x-amzn-RequestId``, recorded
    as ``requestId``), the retry after an injected 503 counts."""
    with necid.Client(**settings(fresh, max_attempts=3, retry_base_delay=0.01)) as c:
        c.create_tag("staff")
        fresh.clear_requests()
        fresh.add_fault(
            method="DELETE", path="/v1.1/tags/staff", fault="error", status=503, count=1
        )
        result, meta = c.with_metadata(lambda v: v.delete_tag("staff"))
        assert result is None
        assert meta.status == 200 and meta.attempts == 2 and meta.clock_skew_ms == 0
        sent = fresh.requests(method="DELETE", path="/v1.1/tags/staff")
        assert [r["status"] for r in sent] == [503, 200]
        assert meta.request_id == sent[1]["requestId"] != sent[0]["requestId"]

        # A view's calls record into it; the last response wins. The client itself is
        # unchanged (results of plain calls still carry their own metadata).
        (first, second), meta = c.with_metadata(lambda v: (v.health(), v.list_tags()))
        assert second.metadata is not None and meta == second.metadata
        assert first.metadata is not None and first.metadata.request_id != meta.request_id
        # Nothing sent: no response to describe.
        _, none = c.with_metadata(lambda v: None)
        assert none.request_id is None and none.status == 0 and none.attempts == 0
        # Exceptions propagate, with their own request id.
        with pytest.raises(necid.NotFoundError) as e:
            c.with_metadata(lambda v: v.delete_tag("ghost"))
        assert e.value.request_id


def test_async_with_metadata_keeps_concurrent_calls_apart(fresh: Emulator) -> None:
    async def main() -> None:
        async with necid.AsyncClient(**settings(fresh, max_attempts=3, retry_base_delay=0.01)) as c:
            await c.create_tag("a")
            await c.create_tag("b")
            fresh.clear_requests()
            fresh.add_fault(
                method="DELETE", path="/v1.1/tags/a", fault="error", status=503, count=1
            )
            (ra, ma), (rb, mb) = await asyncio.gather(
                c.with_metadata(lambda v: v.delete_tag("a")),
                c.with_metadata(lambda v: v.delete_tag("b")),
            )
            assert ra is None and rb is None
            assert (ma.status, ma.attempts, mb.status, mb.attempts) == (200, 2, 200, 1)
            ids = {r["path"]: r["requestId"] for r in fresh.requests(method="DELETE")}
            assert ma.request_id == ids["/v1.1/tags/a"] and mb.request_id == ids["/v1.1/tags/b"]

    asyncio.run(main())


def test_max_attempts_per_call(fresh: Emulator) -> None:
    fresh.add_fault(method="GET", path="/v1.1/tags", fault="error", status=503, count=2)
    with necid.Client(**settings(fresh, max_attempts=1)) as c:
        with pytest.raises(necid.ServerError):
            c.list_tags(options=necid.CallOptions(max_attempts=1))
        tags = c.list_tags(options=necid.CallOptions(max_attempts=3))
        assert tags.metadata is not None and tags.metadata.attempts == 2
    with pytest.raises(necid.InvalidInputError) as e:
        necid.CallOptions(max_attempts=0)
    assert e.value.field == "max_attempts"


def test_extra_headers_are_signed_and_reserved_ones_refused(fresh: Emulator) -> None:
    with necid.Client(**settings(fresh)) as c:
        opts = necid.CallOptions(headers={"X-Correlation-Id": "py-4711"})
        assert "py-4711" not in repr(opts)
        c.create_tag("traced", options=opts)  # the emulator checks the signature
        rec = fresh.requests(method="POST", path="/v1.1/tags")[-1]
        assert rec["headers"]["x-correlation-id"] == "py-4711"
        assert "x-correlation-id" in rec["headers"]["authorization"].split("SignedHeaders=")[1]
    for name in ("Authorization", "host", "x-api-key", "X-Amz-Date"):
        with pytest.raises(necid.InvalidInputError) as e:
            necid.CallOptions(headers=[(name, "evil")])
        assert e.value.field == "headers"


def test_a_deadline_bounds_the_whole_call(fresh: Emulator, wire: WireWatch) -> None:
    fresh.add_fault(path="/v1.1/tags", fault="latency", delay={"ms": 2000})
    with necid.Client(**settings(fresh, endpoint=wire.endpoint, max_attempts=3)) as c:
        started = time.monotonic()
        with pytest.raises(necid.TimedOutError, match="deadline"):
            c.list_tags(options=necid.CallOptions(deadline=0.3))
        assert time.monotonic() - started < 1.5
        assert wire.wait_closed(1, 1.0), "the connection was closed before the answer"
        assert wire.opened == 1


def test_a_cancel_token_stops_a_blocked_call_on_the_wire(fresh: Emulator, wire: WireWatch) -> None:
    fresh.add_fault(path="/v1.1/tags", fault="latency", delay={"ms": 3000})
    token = necid.CancelToken()
    with necid.Client(**settings(fresh, endpoint=wire.endpoint, max_attempts=3)) as c:
        threading.Timer(0.2, token.cancel).start()
        started = time.monotonic()
        with pytest.raises(necid.CancelledError):
            c.list_tags(options=necid.CallOptions(cancel=token))
        assert time.monotonic() - started < 1.5
        assert wire.wait_closed(1, 1.0)
        assert wire.opened == 1
        assert token.cancelled
        with pytest.raises(necid.CancelledError):
            c.health(options=necid.CallOptions(cancel=token))
        assert wire.opened == 1, "a cancelled token sends nothing"


def test_asyncio_cancel_stops_the_request_on_the_wire(fresh: Emulator, wire: WireWatch) -> None:
    async def main() -> None:
        fresh.add_fault(path="/v1.1/tags", fault="latency", delay={"ms": 3000})
        async with necid.AsyncClient(**settings(fresh, endpoint=wire.endpoint)) as c:
            task = asyncio.ensure_future(c.list_tags())
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            closed = await asyncio.get_running_loop().run_in_executor(
                None, wire.wait_closed, 1, 1.0
            )
            assert closed, "cancelling the task closed the connection (not left for 3 s)"
            # The client stays usable.
            fresh.clear_faults()
            assert (await c.health()).ok

    asyncio.run(main())


def test_a_cancelled_bulk_wait_stops_on_the_wire(fresh: Emulator, wire: WireWatch) -> None:
    async def main() -> None:
        fresh.add_fault(path="/v1.1/jobs/bulkregister/**", fault="latency", delay={"ms": 3000})
        token = necid.CancelToken()
        async with necid.AsyncClient(**settings(fresh, endpoint=wire.endpoint)) as c:
            asyncio.get_running_loop().call_later(0.2, token.cancel)
            with pytest.raises(necid.CancelledError):
                await c.wait_for_bulk_register("batch-1", options=necid.CallOptions(cancel=token))
            closed = await asyncio.get_running_loop().run_in_executor(
                None, wire.wait_closed, 1, 1.0
            )
            assert closed

    asyncio.run(main())
