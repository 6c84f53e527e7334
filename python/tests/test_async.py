"""Every operation of the asyncio client against the emulator; cancellation."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from typing import Any

import pytest
from conftest import FACES, settings
from support import FaultServer, noise_png

import necid


@pytest.fixture()
def aclient_kw(emulator: dict[str, Any], gallery: necid.Gallery) -> dict[str, Any]:
    return settings(emulator, api_key=gallery.api_key)


def test_every_operation(
    aclient_kw: dict[str, Any],
    emulator: dict[str, Any],
    gallery: necid.Gallery,
    face: bytes,
    other_face: bytes,
) -> None:
    folder = os.path.join(emulator["bucketDir"], gallery.id)
    os.makedirs(folder, exist_ok=True)
    shutil.copy(FACES / "obama3.jpg", os.path.join(folder, "async.jpg"))

    async def main() -> None:
        async with necid.AsyncClient(**aclient_kw) as c:
            assert (await c.health()).ok
            await c.create_tag("async")
            reg = await c.register_subject(face, tags=["async"])
            assert isinstance(reg, necid.RegisteredFace) and reg.event_id
            ev = await c.register_event(reg.subject_id, other_face)
            assert ev.event_id
            events = await c.list_events(reg.subject_id)
            assert len(events.events) == 2
            await c.update_event(reg.subject_id, ev.event_id, other_face, tags=["async"])
            await c.unregister_event(reg.subject_id, ev.event_id)
            await c.update_subject(reg.subject_id, face)
            page = await c.list_subjects(0, 10, "desc")
            assert reg.subject_id in [s.subject_id for s in page.subjects]
            pages = [p async for p in c.subjects_paginator(length=1)]
            assert len(pages) >= 1 and all(len(p.subjects) <= 1 for p in pages)
            faces = await c.extract_faces(face, limit=1)
            assert len(faces) == 1
            found = await c.search(face, threshold=7000, limit=3, tags=["async"])
            assert found.candidates[0].subject_id == reg.subject_id
            v = await c.verify_subject(reg.subject_id, face)
            assert v.verified and v.score == 9999
            fv = await c.verify_faces(face, face)
            assert fv.verified
            await c.rename_tag("async", "async2")
            assert "async2" in [t.name for t in await c.list_tags()]
            await c.delete_tag("async2")

            batch = await c.bulk_register([necid.BulkRegistration("async.jpg")])
            seen: list[necid.BulkProgress] = []
            loop_thread: list[int] = []

            def progress(p: necid.BulkProgress) -> None:
                # Runs on the event loop's thread.
                loop_thread.append(threading.get_ident())
                seen.append(p)

            done = await c.wait_for_bulk_register(batch, poll_interval=0.05, on_progress=progress)
            assert done.done and done.succeeded == 1
            assert seen and seen[-1] == done
            assert set(loop_thread) == {threading.get_ident()}
            first = await c.bulk_register_progress(batch)
            assert first.batch_id == batch
            bulk_pages = [p async for p in c.bulk_progress_paginator(batch)]
            assert sum(len(p.processed) for p in bulk_pages) == 1

            headers = dict(c.sign_request("GET", c.endpoint + "/v1.1/health"))
            assert "authorization" in headers
            await c.unregister_subject(reg.subject_id)
            with pytest.raises(necid.NotFoundError):
                await c.list_events(reg.subject_id)
        assert c.closed

        async with necid.AsyncClient(**settings(emulator)) as t:
            name = f"async-{uuid.uuid4().hex[:6]}"
            g = await t.create_gallery(name, size=5)
            assert g.id in [x.id for x in await t.list_galleries()]
            assert (await t.update_gallery(g.id, name=name + "x")).name == name + "x"
            assert (await t.get_gallery(g.id)).gallery.id == g.id
            app = await t.create_application("a", g.id)
            assert app.id in [a.id for a in await t.list_applications()]
            assert (await t.get_application(app.id)).id == app.id
            assert (await t.update_application(app.id, description="d")).description == "d"
            await t.delete_application(app.id)
            await t.delete_gallery(g.id)
            await t.aclose()
            assert t.closed

    asyncio.run(main())


def test_concurrent_calls_on_one_loop(aclient_kw: dict[str, Any]) -> None:
    async def main() -> None:
        c = necid.AsyncClient(**aclient_kw)
        results = await asyncio.gather(*(c.extract_faces(noise_png(64, 64, i)) for i in range(10)))
        assert [len(r) for r in results] == [1] * 10
        c.close()

    asyncio.run(main())


def test_async_callback_exception_stops_wait(aclient_kw: dict[str, Any]) -> None:
    class Stop(Exception):
        pass

    def boom(p: necid.BulkProgress) -> None:
        raise Stop()

    async def main() -> None:
        async with necid.AsyncClient(**aclient_kw) as c:
            batch = await c.bulk_register(["absent.jpg"])
            with pytest.raises(Stop):
                await c.wait_for_bulk_register(batch, poll_interval=0.05, on_progress=boom)
            assert (await c.health()).ok

    asyncio.run(main())


def test_cancellation_aborts_request_and_client_stays_usable() -> None:
    # Fault server (the emulator always answers): the first connection hangs, the next
    # ones answer a health check.
    ok = b'{"status":"OK"}'
    server = FaultServer(
        "hang",
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
        + str(len(ok)).encode()
        + b"\r\n\r\n"
        + ok,
    )
    try:

        async def main() -> None:
            c = necid.AsyncClient(endpoint=server.endpoint, max_attempts=1, request_timeout=600)
            task = asyncio.ensure_future(c.health())
            while not server.accepted.is_set():
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # The request was really aborted: the server saw the connection close.
            while not server.client_closed.is_set():
                await asyncio.sleep(0.01)
            assert (await c.health()) == necid.Health(status="OK", ok=True)
            c.close()

        asyncio.run(asyncio.wait_for(main(), 60))
    finally:
        server.close()


def test_awaitables_work_from_several_event_loops(aclient_kw: dict[str, Any]) -> None:
    c = necid.AsyncClient(**aclient_kw)

    async def one() -> bool:
        return (await c.health()).ok

    assert asyncio.run(one()) and asyncio.run(one())
    c.close()
