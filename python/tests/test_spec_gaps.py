"""Issue 16's spec gaps against the emulator: list subjects' default length (1000, the
reference's), tags changed and cleared without a new face (``None`` = not sent, ``[]`` =
cleared), rename tag in both reference forms (``rename_tag_form``; the default falls back
on a v1.1 deployment, ``--rename-tag-routes``), and a bulk record's raw ``attributesJson``
kept when it does not decode (a ``rewrite`` fault rule)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from conftest import FACES

import necid
from necid.testing import Emulator


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(record=True) as e:
        yield e


def found(c: necid.Client, tags: list[str]) -> list[str]:
    probe = (FACES / "obama.jpg").read_bytes()
    return [x.subject_id for x in c.search(probe, tags=tags or None).candidates]


def test_list_subjects_asks_for_the_reference_default_length(emu: Emulator) -> None:
    with emu.gallery_client() as c:
        c.register_subject(FACES / "obama.jpg")
        emu.clear_requests()
        page = c.list_subjects()
        assert len(page.subjects) == 1
        pages = list(c.subjects_paginator())
        assert sum(len(p.subjects) for p in pages) == 1
    queries = [r["query"] for r in emu.requests(method="GET", path="/v1.1/subjects")]
    assert len(queries) == 2
    assert all("length=1000" in q for q in queries), queries


def test_tags_change_and_clear_without_a_new_face(emu: Emulator) -> None:
    with emu.gallery_client() as c:
        c.create_tag("staff")
        c.create_tag("visitor")
        reg = c.register_subject(FACES / "obama.jpg", tags=["staff"])
        sid = reg.subject_id
        emu.clear_requests()

        up = c.update_subject(sid, tags=["visitor"])
        assert up.subject_id == sid and up.event_id == reg.event_id
        assert found(c, ["visitor"]) == [sid] and found(c, ["staff"]) == []
        c.update_subject(sid, FACES / "obama.jpg")  # tags=None: not sent, kept
        assert found(c, ["visitor"]) == [sid]
        c.update_subject(sid, tags=[])  # cleared
        assert found(c, ["visitor"]) == [] and found(c, []) == [sid]

        event = c.list_events(sid).events[0].event_id
        assert event
        c.update_event(sid, event, None, ["staff"])
        assert found(c, ["staff"]) == [sid]
        c.update_event(sid, event, tags=[])
        assert found(c, ["staff"]) == []

        with pytest.raises(necid.InvalidInputError) as e:
            c.update_subject(sid)
        assert e.value.field == "face"

    bodies = [r["requestBody"] for r in emu.requests(method="PUT")]
    assert bodies[0] == {"tags": ["visitor"]}
    assert "tags" not in bodies[1] and "face" in bodies[1]
    assert bodies[2] == {"tags": []}
    assert bodies[4] == {"tags": []}


@pytest.mark.parametrize("routes", ["both", "body", "path"])
def test_rename_tag_against_either_reference_revision(routes: str) -> None:
    with Emulator(extra_args=["--rename-tag-routes", routes]) as e, e.client() as c:
        c.create_tag("staff")
        c.rename_tag("staff", "employees")  # rename_tag_form "auto", the default
        c.rename_tag("employees", "team a")
        assert [t.name for t in c.list_tags()] == ["team a"]
        for form, served in (("body", routes != "path"), ("path", routes != "body")):
            with e.client(rename_tag_form=form) as fixed:
                if served:
                    fixed.rename_tag("team a", "team b")
                    fixed.rename_tag("team b", "team a")
                else:
                    with pytest.raises(necid.AuthError) as err:
                        fixed.rename_tag("team a", "team b")
                    assert err.value.status == 403
        assert [t.name for t in c.list_tags()] == ["team a"]
        with pytest.raises(necid.NotFoundError):
            c.rename_tag("ghost", "spirit")
    with pytest.raises(necid.InvalidInputError) as bad:
        necid.Client(rename_tag_form="sideways")
    assert bad.value.field == "rename_tag_form"


def test_bulk_progress_keeps_an_unreadable_attributes_json(emu: Emulator) -> None:
    folder = os.path.join(emu.info["bucketDir"], "default")
    os.makedirs(folder, exist_ok=True)
    name = f"raw-{uuid.uuid4().hex[:8]}.jpg"
    shutil.copy(FACES / "obama.jpg", os.path.join(folder, name))
    emu.set_faults(
        [
            {
                "method": "GET",
                "path": "/v1.1/jobs/bulkregister/**",
                "fault": "rewrite",
                "set": {"/processed/*/attributesJson": "..."},
            }
        ]
    )
    try:
        with emu.client() as c:
            batch = c.bulk_register([name])
            done = c.wait_for_bulk_register(batch, poll_interval=0.02)
            rec = done.records[0]
            assert rec.succeeded and rec.attributes is None
            assert rec.attributes_json == "..."
            emu.clear_faults()
            page = c.bulk_register_progress(batch)
            assert page.processed[0].attributes is not None
            assert page.processed[0].attributes_json is None
    finally:
        emu.clear_faults()
