"""TLS trust roots against `necid serve --tls` (real HTTPS on loopback, certificate signed by a
CA the emulator generated at start), and a panic inside a request (the `test-hooks` build)
becoming an exception instead of aborting the interpreter."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from conftest import FACES, settings

import necid


def tls_settings(info: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return settings(info, max_attempts=1, **overrides)


def test_https_with_the_emulator_ca_as_custom_bundle(tls_emulator: dict[str, Any]) -> None:
    assert tls_emulator["endpoint"].startswith("https://")
    ca = tls_emulator["caFile"]
    with necid.Client(**tls_settings(tls_emulator, ca_bundle=ca)) as c:
        assert c.health().ok
        registered = c.register_subject((FACES / "obama.jpg").read_bytes())
        assert registered.subject_id
    with necid.Client(**tls_settings(tls_emulator, ca_bundle=Path(ca))) as c:
        assert c.health().ok
    with necid.Client(**tls_settings(tls_emulator, ca_bundle_pem=Path(ca).read_bytes())) as c:
        assert c.health().ok


def test_https_async_client(tls_emulator: dict[str, Any]) -> None:
    async def main() -> None:
        kw = tls_settings(tls_emulator, ca_bundle=tls_emulator["caFile"])
        async with necid.AsyncClient(**kw) as c:
            assert (await c.health()).ok

    asyncio.run(main())


def test_without_the_ca_the_certificate_error_is_clear(tls_emulator: dict[str, Any]) -> None:
    with necid.Client(**tls_settings(tls_emulator)) as c:
        with pytest.raises(necid.NetworkError) as e:
            c.health()
    msg = str(e.value)
    assert "TLS certificate verification failed" in msg
    assert "UnknownIssuer" in msg
    assert "ca_bundle" in msg


def test_bundled_roots_reject_the_self_signed_emulator(tls_emulator: dict[str, Any]) -> None:
    with necid.Client(**tls_settings(tls_emulator, tls_roots="bundled")) as c:
        with pytest.raises(necid.NetworkError, match="bundled Mozilla roots"):
            c.health()
    both = tls_settings(tls_emulator, tls_roots="bundled", ca_bundle=tls_emulator["caFile"])
    with necid.Client(**both) as c:
        assert c.health().ok


def test_bad_tls_settings_name_the_setting(tls_emulator: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(necid.InvalidInputError) as e:
        necid.Client(**tls_settings(tls_emulator, ca_bundle=tmp_path / "absent.pem"))
    assert e.value.field == "ca_bundle"
    with pytest.raises(necid.InvalidInputError) as e:
        necid.Client(**tls_settings(tls_emulator, tls_roots="system"))
    assert e.value.field == "tls_roots"
    with pytest.raises(necid.InvalidInputError) as e:
        necid.Client(**tls_settings(tls_emulator, tls_roots="custom"))
    assert e.value.field == "ca_bundle"


def mtls_settings(info: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return settings(info, max_attempts=1, ca_bundle=info["caFile"], **overrides)


def test_client_certificate_calls_succeed(
    mtls_emulators: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    info, _ = mtls_emulators
    cert, key = info["clientCertFile"], info["clientKeyFile"]
    with necid.Client(**mtls_settings(info, client_cert=cert, client_key=Path(key))) as c:
        assert c.health().ok
        assert c.register_subject((FACES / "obama.jpg").read_bytes()).subject_id
    pem = mtls_settings(
        info,
        client_cert_pem=Path(cert).read_bytes(),
        client_key_pem=Path(key).read_text(),
    )
    with necid.Client(**pem) as c:
        assert c.health().ok

    async def main() -> None:
        async with necid.AsyncClient(**mtls_settings(info, client_cert=cert, client_key=key)) as c:
            assert (await c.health()).ok

    asyncio.run(main())


def test_client_certificate_refused_without_or_from_another_ca(
    mtls_emulators: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    info, other = mtls_emulators
    with necid.Client(**mtls_settings(info)) as c:
        with pytest.raises(necid.NetworkError, match="requires a client certificate") as e:
            c.health()
    assert "client_cert" in str(e.value)
    wrong = mtls_settings(
        info, client_cert=other["clientCertFile"], client_key=other["clientKeyFile"]
    )
    with necid.Client(**wrong) as c:
        with pytest.raises(necid.NetworkError, match="does not accept the client certificate"):
            c.health()


def test_bad_client_certificate_settings_name_the_setting_not_the_key(
    mtls_emulators: tuple[dict[str, Any], dict[str, Any]], tmp_path: Path
) -> None:
    info, other = mtls_emulators
    cert, key = info["clientCertFile"], info["clientKeyFile"]
    key_line = Path(key).read_text().splitlines()[1]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"client_cert": cert}, "client_key"),
        ({"client_key": key}, "client_cert"),
        ({"client_cert": tmp_path / "absent.pem", "client_key": key}, "client_cert"),
        ({"client_cert": cert, "client_key": info["caFile"]}, "client_key"),
        ({"client_cert": cert, "client_key": other["clientKeyFile"]}, "client_key"),
        ({"client_cert_pem": b"not a certificate", "client_key": key}, "client_cert"),
    ]
    for extra, field in cases:
        with pytest.raises(necid.InvalidInputError) as e:
            necid.Client(**mtls_settings(info, **extra))
        assert e.value.field == field, (extra, str(e.value))
        assert key_line not in str(e.value)
        assert key_line not in repr(e.value)


def test_a_panic_inside_a_request_is_a_server_error(emulator: dict[str, Any]) -> None:
    with necid.Client(**settings(emulator)) as c:
        with pytest.raises(necid.ServerError, match="deliberate panic inside a request"):
            c.unregister_subject("necid-test-panic")
        assert c.health().ok


def test_a_panic_inside_an_async_request_is_a_server_error(emulator: dict[str, Any]) -> None:
    async def main() -> None:
        async with necid.AsyncClient(**settings(emulator)) as c:
            with pytest.raises(necid.ServerError, match="deliberate panic inside a request"):
                await c.unregister_subject("necid-test-panic")
            assert (await c.health()).ok

    asyncio.run(main())


def test_no_system_store_http_works_https_explains(
    emulator: dict[str, Any],
    tls_emulator: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # SSL_CERT_FILE / SSL_CERT_DIR replace the system store (the Linux platform verifier
    # reads only them when set): pointing them into an empty directory is a machine
    # without ca-certificates, as far as this process is concerned.
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    with necid.Client(**settings(emulator)) as c:
        assert c.health().ok
    with necid.Client(**tls_settings(tls_emulator)) as c:
        with pytest.raises(necid.InvalidInputError) as e:
            c.health()
    assert e.value.field == "tls_roots"
    msg = str(e.value)
    for needle in (
        "no CA certificates found in the system store",
        "ca-certificates",
        "tls_roots = bundled",
    ):
        assert needle in msg, msg
    with necid.Client(**tls_settings(tls_emulator, tls_roots="bundled")) as c:
        with pytest.raises(necid.NetworkError, match="bundled Mozilla roots"):
            c.health()
