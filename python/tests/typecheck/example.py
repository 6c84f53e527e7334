"""A program using the whole public API, type-checked with ``mypy --strict`` by
test_typing.py (it is never run: it needs real credentials)."""

from __future__ import annotations

import asyncio
import datetime
import io
import pathlib
import pickle

import necid
from necid import models


def sync_tour(image: bytes) -> None:
    client = necid.Client(
        endpoint="http://127.0.0.1:8700",
        access_key_id="AKID",
        secret_access_key="secret",
        api_key="key",
        request_timeout=30.0,
        connect_timeout=5,
        max_attempts=3,
        retry_base_delay=0.2,
        retry_max_delay=5.0,
        user_agent_suffix="example/1",
    )
    env_client: necid.Client = necid.Client.from_env(api_key="other")
    profile_client: necid.Client = necid.Client.from_profile("prod", region="ap-southeast-2")
    with client as c:
        endpoint: str = c.endpoint + c.tenant_endpoint + c.region
        key_id: str | None = c.access_key_id
        closed: bool = c.closed
        health: necid.Health = c.health()
        ok: bool = health.ok
        reg: necid.RegisteredFace = c.register_subject(image, tags=["staff"])
        c.register_subject(bytearray(image))
        c.register_subject(memoryview(image))
        c.register_subject("face.jpg")
        c.register_subject(pathlib.Path("face.jpg"))
        c.register_subject(io.BytesIO(image))
        with open("face.jpg", "rb") as f:
            c.register_subject(f)
        sid: str = reg.subject_id
        eid: str | None = reg.event_id
        attrs: necid.FaceAttributes | None = reg.attributes
        if attrs is not None and attrs.face_area is not None:
            left: int = attrs.face_area.left
            score: float | None = attrs.face_quality_score
            eye: necid.Point | None = attrs.left_eye_center
        c.update_subject(sid, image, tags=("a", "b"))
        events: necid.EventList = c.list_events(sid)
        for ev in events.events:
            evid: str = ev.event_id
            evscore: int | None = ev.score
        new_ev = c.register_event(sid, image)
        c.update_event(sid, new_ev.event_id or "", image, tags=[])
        c.unregister_event(sid, new_ev.event_id or "")
        page: necid.SubjectPage = c.list_subjects(0, 100, "desc")
        total: int = page.total
        for p in c.subjects_paginator(length=500, dir="asc"):
            for entry in p.subjects:
                active: bool = entry.active
                status: str = entry.status
        faces: list[necid.FaceAttributes] = c.extract_faces(image, limit=5)
        found: necid.SearchResult = c.search(image, threshold=7000, limit=10, tags=["staff"])
        for cand in found.candidates:
            cscore: int = cand.score
        ver: necid.Verification = c.verify_subject(sid, image)
        fver: necid.FaceVerification = c.verify_faces(image, image)
        verified: bool = ver.verified and fver.verified
        tags: list[necid.Tag] = c.list_tags()
        c.create_tag("t")
        c.rename_tag("t", "u")
        c.delete_tag("u")
        batch: str = c.bulk_register(
            [necid.BulkRegistration("a.jpg", ("staff",)), ("b.jpg", ["x"]), "c.jpg"]
        )
        prog_page: necid.BulkProgressPage = c.bulk_register_progress(batch, None)
        next_key: str | None = prog_page.last_evaluated_key
        for bp in c.bulk_progress_paginator(batch):
            for rec in bp.processed:
                done_rec: bool = rec.processed and rec.succeeded
        seen: list[necid.BulkProgress] = []
        progress: necid.BulkProgress = c.wait_for_bulk_register(
            batch, poll_interval=0.5, max_poll_interval=5, timeout=60, on_progress=seen.append
        )
        counts: tuple[int, int, int, int, bool] = (
            progress.total,
            progress.processed,
            progress.succeeded,
            progress.failed,
            progress.done,
        )
        headers: list[tuple[str, str]] = c.sign_request(
            "GET",
            "https://api.id.nec.com.au/v1.1/tags",
            {"content-type": "application/json"},
            b"",
            time=datetime.datetime.now(datetime.timezone.utc),
        )
        c.sign_request("POST", "https://h/x", [("a", "b")], "body", time=1_700_000_000.0)
        galleries: list[necid.Gallery] = c.list_galleries()
        g: necid.Gallery = c.create_gallery(
            "g", description="d", face_minimum_quality_score=0.5, size=10
        )
        details: necid.GalleryDetails = c.get_gallery(g.id)
        apps_of_g: tuple[necid.Application, ...] = details.applications
        c.update_gallery(g.id, name="h", description=None, size=20)
        apps: list[necid.Application] = c.list_applications()
        app: necid.Application = c.create_application(
            "a", g.id, description="x", face_minimum_quality_score=0.6
        )
        c.get_application(app.id)
        c.update_application(app.id, name="b", description="y", face_minimum_quality_score=0.7)
        c.delete_application(app.id)
        c.delete_gallery(g.id)
        c.unregister_subject(sid)
        as_dict: dict[str, object] = found.to_dict()
        same: bool = found == pickle.loads(pickle.dumps(found))
        m: models.Rect = models.Rect(left=1, top=2, right=3, bottom=4)
        print(
            endpoint,
            key_id,
            closed,
            ok,
            eid,
            faces,
            verified,
            tags,
            next_key,
            counts,
            headers,
            galleries,
            apps_of_g,
            apps,
            as_dict,
            same,
            m,
            total,
        )
    env_client.close()
    profile_client.close()


def errors_tour(client: necid.Client) -> None:
    try:
        client.health()
    except necid.InvalidInputError as e:
        field: str | None = e.field
        as_value_error: ValueError = e
        print(field, as_value_error)
    except necid.TimedOutError as e:
        as_timeout: TimeoutError = e
        print(as_timeout)
    except necid.NetworkError as e:
        as_conn: ConnectionError = e
        print(as_conn)
    except (
        necid.AuthError,
        necid.NotFoundError,
        necid.InvalidRequestError,
        necid.DuplicateError,
        necid.ServiceTimeoutError,
        necid.NoFaceError,
        necid.PoorQualityError,
        necid.MultipleFacesError,
        necid.ThrottledError,
        necid.ServerError,
        necid.DecodeError,
    ) as e:
        print(e.kind, e.status, e.error_code, e.error_type, e.request_id, e.message)
    except necid.NecIdError as e:
        status: int | None = e.status
        code: int | None = e.error_code
        etype: str | None = e.error_type
        rid: str | None = e.request_id
        print(status, code, etype, rid)


async def async_tour(image: bytes) -> None:
    async with necid.AsyncClient(endpoint="http://127.0.0.1:8700") as c:
        h: necid.Health = await c.health()
        reg = await c.register_subject(image, tags=["x"])
        await c.update_subject(reg.subject_id, image)
        evs: necid.EventList = await c.list_events(reg.subject_id)
        ev = await c.register_event(reg.subject_id, image)
        await c.update_event(reg.subject_id, ev.event_id or "", image)
        await c.unregister_event(reg.subject_id, ev.event_id or "")
        page: necid.SubjectPage = await c.list_subjects(0, 10)
        async for p in c.subjects_paginator(length=10):
            n: int = len(p.subjects)
        faces: list[necid.FaceAttributes] = await c.extract_faces(image)
        res: necid.SearchResult = await c.search(image, threshold=7000)
        v: necid.Verification = await c.verify_subject(reg.subject_id, image)
        fv: necid.FaceVerification = await c.verify_faces(image, image)
        tags: list[necid.Tag] = await c.list_tags()
        await c.create_tag("a")
        await c.rename_tag("a", "b")
        await c.delete_tag("b")
        batch: str = await c.bulk_register(["a.jpg"])
        bp: necid.BulkProgressPage = await c.bulk_register_progress(batch)
        async for page2 in c.bulk_progress_paginator(batch):
            print(page2.batch_id)
        done: necid.BulkProgress = await c.wait_for_bulk_register(
            batch, on_progress=lambda p: print(p.processed)
        )
        signed: list[tuple[str, str]] = c.sign_request("GET", "https://h/x")
        gs: list[necid.Gallery] = await c.list_galleries()
        g = await c.create_gallery("g")
        d: necid.GalleryDetails = await c.get_gallery(g.id)
        await c.update_gallery(g.id, name="x")
        apps: list[necid.Application] = await c.list_applications()
        app = await c.create_application("a", g.id)
        await c.get_application(app.id)
        await c.update_application(app.id, name="b")
        await c.delete_application(app.id)
        await c.delete_gallery(g.id)
        await c.unregister_subject(reg.subject_id)
        print(h, evs, page, faces, res, v, fv, tags, bp, done, signed, gs, d, apps)
    other = necid.AsyncClient.from_env()
    third = necid.AsyncClient.from_profile()
    await other.aclose()
    third.close()


if __name__ == "__main__":
    asyncio.run(async_tour(b""))
    sync_tour(b"")
    print(necid.__version__)
