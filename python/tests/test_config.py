"""Construction from keyword arguments, the environment and a profile; repr and secrets."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

import necid


def test_keyword_arguments_and_repr(emulator: dict[str, Any]) -> None:
    c = necid.Client(
        endpoint=emulator["endpoint"],
        access_key_id="AKIDX",
        secret_access_key="very-secret",
        api_key="api-secret",
        session_token="token-secret",
        connect_timeout=2,
        request_timeout=2.5,
        max_attempts=2,
        retry_base_delay=0.01,
        retry_max_delay=0.1,
        max_retry_after=3,
        user_agent_suffix="pytest/1",
        region="eu-west-1",
        service="execute-api",
    )
    assert c.endpoint == emulator["endpoint"] and c.region == "eu-west-1"
    assert c.access_key_id == "AKIDX"
    text = repr(c)
    for secret in ("very-secret", "api-secret", "token-secret"):
        assert secret not in text
    assert "AKIDX" in text
    with pytest.raises(TypeError, match="unexpected keyword"):
        necid.Client(endpoint_url="x")
    with pytest.raises(necid.InvalidInputError):
        necid.Client(access_key_id="only-the-id")
    with pytest.raises(necid.InvalidInputError) as info:
        necid.Client(max_retry_after=-1)
    assert info.value.field == "max_retry_after"


def test_defaults() -> None:
    c = necid.Client()
    assert c.endpoint == "https://api.id.nec.com.au"
    assert c.region == "ap-southeast-2"
    assert c.access_key_id is None


def test_from_env(
    emulator: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    monkeypatch.setenv("NECID_CONFIG_FILE", str(tmp_path / "absent"))
    monkeypatch.setenv("NECID_ENDPOINT", emulator["endpoint"])
    monkeypatch.setenv("NECID_ACCESS_KEY_ID", emulator["accessKeyId"])
    monkeypatch.setenv("NECID_SECRET_ACCESS_KEY", emulator["secretAccessKey"])
    monkeypatch.setenv("NECID_API_KEY", emulator["apiKey"])
    with necid.Client.from_env() as c:
        assert c.endpoint == emulator["endpoint"]
        assert isinstance(c.list_tags(), list)
    with necid.Client.from_env(api_key="overridden-wrong") as c:
        with pytest.raises(necid.AuthError):
            c.list_tags()
    a = necid.AsyncClient.from_env(region="us-east-1")
    assert a.region == "us-east-1" and a.endpoint == emulator["endpoint"]


def test_from_profile(
    emulator: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    profile = tmp_path / "config"
    profile.write_text(
        "[default]\nendpoint = https://example.invalid\n\n"
        f"[emu]\nendpoint = {emulator['endpoint']}\n"
        f"access_key_id = {emulator['accessKeyId']}\n"
        f"secret_access_key = {emulator['secretAccessKey']}\n"
        f"api_key = {emulator['apiKey']}\n"
    )
    monkeypatch.setenv("NECID_CONFIG_FILE", str(profile))
    monkeypatch.delenv("NECID_PROFILE", raising=False)
    assert necid.Client.from_profile().endpoint == "https://example.invalid"
    with necid.Client.from_profile("emu") as c:
        assert c.health().ok and isinstance(c.list_tags(), list)
    assert necid.AsyncClient.from_profile("emu", region="x-1").region == "x-1"
    with pytest.raises(necid.InvalidInputError, match="no profile"):
        necid.Client.from_profile("nope")
