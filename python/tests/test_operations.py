"""Every operation of the blocking client against the emulator."""

from __future__ import annotations

import os
import shutil
import uuid
from typing import Any

import pytest
from conftest import FACES, settings
from support import noise_png

import necid


def test_health(client: necid.Client) -> None:
    h = client.health()
    assert h == necid.Health(status="OK", ok=True)


def test_subject_lifecycle(client: necid.Client, face: bytes, other_face: bytes) -> None:
    client.create_tag("lifecycle")
    reg = client.register_subject(face, tags=["lifecycle"])
    assert isinstance(reg, necid.RegisteredFace)
    assert reg.subject_id and reg.event_id
    attrs = reg.attributes
    assert attrs is not None and attrs.face_area is not None
    assert isinstance(attrs.face_area.left, int)
    assert isinstance(attrs.face_quality_score, float)

    events = client.list_events(reg.subject_id)
    assert events.subject_id == reg.subject_id
    assert [e.event_id for e in events.events] == [reg.event_id]

    ev = client.register_event(reg.subject_id, other_face)
    assert ev.subject_id == reg.subject_id and ev.event_id not in (None, reg.event_id)
    assert len(client.list_events(reg.subject_id).events) == 2

    upd_ev = client.update_event(reg.subject_id, ev.event_id or "", face, tags=["lifecycle"])
    assert upd_ev.subject_id == reg.subject_id

    client.unregister_event(reg.subject_id, ev.event_id or "")
    remaining = [e.event_id for e in client.list_events(reg.subject_id).events]
    assert ev.event_id not in remaining

    upd = client.update_subject(reg.subject_id, other_face, tags=[])
    assert upd.subject_id == reg.subject_id

    v = client.verify_subject(reg.subject_id, other_face)
    assert v.verified and v.subject_id == reg.subject_id and v.score is not None
    assert v.score > 9000
    miss = client.verify_subject(reg.subject_id, (FACES / "astronaut.png").read_bytes())
    assert miss.verified is False and miss.score is None

    client.unregister_subject(reg.subject_id)
    with pytest.raises(necid.NotFoundError):
        client.list_events(reg.subject_id)


def test_list_subjects_and_paginator(client: necid.Client) -> None:
    ids = [client.register_subject(noise_png(64, 64, seed)).subject_id for seed in range(5)]
    page = client.list_subjects(0, 2)
    assert isinstance(page, necid.SubjectPage)
    assert len(page.subjects) == 2 and page.total >= 5
    assert all(isinstance(s, necid.SubjectEntry) for s in page.subjects)
    desc = client.list_subjects(start=0, length=1000, dir="desc")
    asc = client.list_subjects(start=0, length=1000, dir="asc")
    assert [s.event_id for s in desc.subjects] == [s.event_id for s in asc.subjects][::-1]

    pages = list(client.subjects_paginator(length=2))
    assert len(pages) >= 3
    assert all(len(p.subjects) <= 2 for p in pages)
    seen = {s.subject_id for p in pages for s in p.subjects if s.active}
    assert set(ids) <= seen
    it = client.subjects_paginator(length=1000)
    assert iter(it) is it
    assert len(next(it).subjects) >= 5
    with pytest.raises(StopIteration):
        next(it)
    for sid in ids:
        client.unregister_subject(sid)


def test_extract_faces(client: necid.Client, face: bytes) -> None:
    faces = client.extract_faces(face)
    assert isinstance(faces, list) and len(faces) == 1
    assert isinstance(faces[0], necid.FaceAttributes)
    strip = noise_png(192, 64, 7)  # three tiles = three faces for the deterministic engine
    assert len(client.extract_faces(strip)) == 3
    assert len(client.extract_faces(strip, limit=2)) == 2


def test_search(client: necid.Client, face: bytes, other_face: bytes) -> None:
    client.create_tag("searchable")
    a = client.register_subject(face, tags=["searchable"])
    b = client.register_subject(other_face)
    result = client.search(face)
    assert isinstance(result, necid.SearchResult)
    assert result.candidates[0].subject_id == a.subject_id
    assert result.candidates[0].score == 9999
    assert isinstance(result.candidates[0].events[0], necid.Event)
    assert result.attributes is not None
    tagged = client.search(other_face, tags=["searchable"], threshold=0, limit=5)
    assert [c.subject_id for c in tagged.candidates] == [a.subject_id]
    none = client.search((FACES / "astronaut.png").read_bytes(), threshold=9000)
    assert none.candidates == ()
    client.unregister_subject(a.subject_id)
    client.unregister_subject(b.subject_id)


def test_verify_faces(client: necid.Client, face: bytes, other_face: bytes) -> None:
    same = client.verify_faces(face, face)
    assert same == necid.FaceVerification(verified=True, score=9999)
    diff = client.verify_faces(face, other_face)
    # The emulator answers face-to-face verify with a score (different pictures: low).
    assert diff.score is not None and diff.score < 7000


def test_tags(client: necid.Client) -> None:
    name = f"t{uuid.uuid4().hex[:6]}"
    client.create_tag(name)
    assert name in [t.name for t in client.list_tags()]
    assert all(isinstance(t, necid.Tag) for t in client.list_tags())
    client.rename_tag(name, name + "x")
    names = [t.name for t in client.list_tags()]
    assert name + "x" in names and name not in names
    client.delete_tag(name + "x")
    assert name + "x" not in [t.name for t in client.list_tags()]


def test_bulk_register(
    client: necid.Client, gallery: necid.Gallery, emulator: dict[str, Any], face: bytes
) -> None:
    folder = os.path.join(emulator["bucketDir"], gallery.id)
    os.makedirs(folder, exist_ok=True)
    shutil.copy(FACES / "obama2.jpg", os.path.join(folder, "a.jpg"))
    with open(os.path.join(folder, "b.png"), "wb") as f:
        f.write(noise_png(64, 64, 99))
    client.create_tag("bulk")
    batch = client.bulk_register(
        [necid.BulkRegistration("a.jpg", ("bulk",)), ("b.png", ["bulk"]), "missing.jpg"]
    )
    assert isinstance(batch, str) and batch

    seen: list[necid.BulkProgress] = []
    done = client.wait_for_bulk_register(batch, poll_interval=0.05, on_progress=seen.append)
    assert isinstance(done, necid.BulkProgress)
    assert done.done and done.total == 3 and done.processed == 3
    assert (done.succeeded, done.failed) == (2, 1)
    assert seen and seen[-1] == done
    by_name = {r.filename: r for r in done.records}
    assert by_name["a.jpg"].succeeded and by_name["a.jpg"].subject_id
    assert not by_name["missing.jpg"].succeeded and by_name["missing.jpg"].reason

    page = client.bulk_register_progress(batch)
    assert isinstance(page, necid.BulkProgressPage)
    assert page.batch_id == batch and len(page.processed) == 3
    pages = list(client.bulk_progress_paginator(batch))
    assert sum(len(p.processed) for p in pages) == 3
    assert pages[-1].last_evaluated_key is None


def test_wait_callback_exception_stops_wait(
    client: necid.Client, gallery: necid.Gallery, emulator: dict[str, Any]
) -> None:
    folder = os.path.join(emulator["bucketDir"], gallery.id)
    os.makedirs(folder, exist_ok=True)
    batch = client.bulk_register(["nothing-here.jpg"])

    class Stop(Exception):
        pass

    def boom(progress: necid.BulkProgress) -> None:
        raise Stop(progress.batch_id)

    with pytest.raises(Stop) as info:
        client.wait_for_bulk_register(batch, poll_interval=0.05, on_progress=boom)
    assert info.value.args == (batch,)


def test_sign_request(client: necid.Client) -> None:
    headers = dict(client.sign_request("GET", client.endpoint + "/v1.1/tags"))
    assert set(headers) == {"x-api-key", "x-amz-date", "authorization"}
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=")
    # A request signed by hand goes through the emulator's verifier.
    import urllib.request

    req = urllib.request.Request(client.endpoint + "/v1.1/tags", headers=headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200


def test_tenant_api(tenant: necid.Client, emulator: dict[str, Any]) -> None:
    name = f"tenant-{uuid.uuid4().hex[:6]}"
    g = tenant.create_gallery(name, description="d", face_minimum_quality_score=0.5, size=10)
    assert isinstance(g, necid.Gallery) and g.name == name and g.api_key
    assert g.api_key not in repr(g)
    assert g.id in [x.id for x in tenant.list_galleries()]
    g2 = tenant.update_gallery(g.id, description="changed", size=20)
    assert g2.description == "changed" and g2.size == 20
    details = tenant.get_gallery(g.id)
    assert isinstance(details, necid.GalleryDetails) and details.gallery.id == g.id
    assert len(details.applications) == 1

    app = tenant.create_application("second", g.id, description="x", face_minimum_quality_score=0.6)
    assert isinstance(app, necid.Application) and app.api_key
    assert app.api_key not in repr(app)
    assert app.id in [a.id for a in tenant.list_applications()]
    assert tenant.get_application(app.id).name == "second"
    app2 = tenant.update_application(app.id, name="renamed")
    assert app2.name == "renamed"
    # The new key works against the new gallery.
    with necid.Client(**settings(emulator, api_key=app.api_key)) as c:
        assert c.list_subjects().total == 0
    tenant.delete_application(app.id)
    with pytest.raises(necid.NotFoundError):
        tenant.get_application(app.id)
    tenant.delete_gallery(g.id)
    with pytest.raises(necid.NotFoundError):
        tenant.get_gallery(g.id)
