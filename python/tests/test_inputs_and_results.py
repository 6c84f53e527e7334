"""Image input kinds, argument types, and the result objects' behaviour."""

from __future__ import annotations

import dataclasses
import io
import pathlib
import pickle

import pytest
from conftest import FACES

import necid


def test_every_image_kind(client: necid.Client, face: bytes, tmp_path: pathlib.Path) -> None:
    path = FACES / "obama.jpg"
    expected = client.extract_faces(face)
    kinds: list[object] = [
        face,
        bytearray(face),
        memoryview(face),
        memoryview(bytearray(face))[0:],
        str(path),
        path,
        io.BytesIO(face),
    ]
    for kind in kinds:
        assert client.extract_faces(kind) == expected, type(kind)
    with open(path, "rb") as f:
        assert client.extract_faces(f) == expected
    # A bytearray changed after the call does not affect the request (it was copied).
    buf = bytearray(face)
    reg = client.register_subject(buf)
    buf[:] = b"\x00" * len(buf)
    assert client.verify_subject(reg.subject_id, face).score == 9999
    client.unregister_subject(reg.subject_id)


def test_bad_image_arguments(client: necid.Client, tmp_path: pathlib.Path) -> None:
    with pytest.raises(TypeError, match="binary mode"):
        with open(FACES / "README.md") as text:
            client.extract_faces(text)
    with pytest.raises(TypeError, match="expected bytes"):
        client.extract_faces(12345)
    with pytest.raises(necid.InvalidInputError, match="cannot read"):
        client.extract_faces(tmp_path / "missing.jpg")
    with pytest.raises(necid.InvalidInputError):
        client.extract_faces(b"")


def test_tags_must_be_a_sequence_not_a_str(client: necid.Client, face: bytes) -> None:
    with pytest.raises(TypeError, match="got a str"):
        client.register_subject(face, tags="staff")
    with pytest.raises(TypeError):
        client.register_subject(face, tags=[1, 2])


def test_results_are_immutable_comparable_and_picklable(client: necid.Client, face: bytes) -> None:
    reg = client.register_subject(face)
    with pytest.raises(dataclasses.FrozenInstanceError):
        reg.subject_id = "x"  # type: ignore[misc]
    res = client.search(face)
    assert res == client.search(face)
    assert hash(res.candidates[0]) == hash(client.search(face).candidates[0])
    assert pickle.loads(pickle.dumps(res)) == res
    assert "Candidate(subject_id=" in repr(res)
    d = res.to_dict()
    assert isinstance(d["candidates"], list)
    assert d["candidates"][0]["subject_id"] == reg.subject_id
    assert isinstance(d["candidates"][0]["score"], int)
    attrs = d["attributes"]
    assert isinstance(attrs["face_area"]["left"], int)
    assert isinstance(attrs["face_quality_score"], float)
    assert isinstance(res.candidates, tuple)
    client.unregister_subject(reg.subject_id)
