"""Network settings through a real forward proxy on loopback (`necid-test-proxy`, built by
the suite from tests/e2e): the explicit ``proxy`` for http:// (absolute-form requests) and
https:// (a CONNECT tunnel, with the emulator's generated CA), proxy credentials that never
show, and the connection pool seen from the proxy (one SEEN line per connection)."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import REPO, settings

import necid

PROXY_BIN = os.environ.get("NECID_TEST_PROXY") or str(
    REPO / "target" / "x86_64-unknown-linux-gnu" / "debug" / "necid-test-proxy"
)


class Proxy:
    """The proxy process; `seen` holds the first request line of each connection."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [PROXY_BIN, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline().split()
        assert ready[:1] == ["READY"], ready
        self.url = ready[1]
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("SEEN "):
                self.seen.append(line[5:].rstrip("\n"))

    def wait_seen(self, n: int) -> list[str]:
        """The lines once at least `n` arrived (the proxy prints before it forwards, so
        they are on their way when the call returns), or what came within 10 s."""
        deadline = time.monotonic() + 10
        while len(self.seen) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)  # a line too many would show up here
        return list(self.seen)

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()  # the proxy exits when its stdin closes
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture()
def proxy() -> Iterator[Proxy]:
    p = Proxy()
    try:
        yield p
    finally:
        p.stop()


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        host, port = s.getsockname()
    return f"{host}:{port}"


def test_http_calls_go_through_the_explicit_proxy(emulator: dict[str, Any], proxy: Proxy) -> None:
    with necid.Client(**settings(emulator, proxy=proxy.url)) as c:
        assert c.health().ok
        c.list_tags()
    seen = proxy.wait_seen(1)
    assert seen and all(f" {emulator['endpoint']}/" in line for line in seen), seen
    # Without the setting the client goes direct.
    with necid.Client(**settings(emulator)) as c:
        assert c.health().ok
    assert proxy.wait_seen(len(seen)) == seen


def test_https_calls_tunnel_through_the_proxy(tls_emulator: dict[str, Any], proxy: Proxy) -> None:
    kw = settings(tls_emulator, proxy=proxy.url, ca_bundle=tls_emulator["caFile"])
    with necid.Client(**kw) as c:
        assert c.health().ok
    host_port = tls_emulator["endpoint"].split("://", 1)[1]
    seen = proxy.wait_seen(1)
    assert seen == [f"CONNECT {host_port} HTTP/1.1"], seen


def test_proxy_credentials_are_never_shown(emulator: dict[str, Any]) -> None:
    p = Proxy("--auth", "necid:pr0xy-pa55word")
    try:
        authority = p.url.split("://", 1)[1]
        good = f"http://necid:pr0xy-pa55word@{authority}"
        with necid.Client(**settings(emulator, proxy=good, max_attempts=1)) as c:
            assert c.health().ok
        bad = f"http://necid:wr0ng-pa55word@{authority}"
        with necid.Client(**settings(emulator, proxy=bad, max_attempts=1)) as c:
            with pytest.raises(necid.NecIdError) as e:
                c.list_tags()
            assert e.value.status == 407
            for text in (str(e.value), repr(e.value), repr(c)):
                assert "wr0ng-pa55word" not in text
    finally:
        p.stop()
    closed = f"http://necid:wr0ng-pa55word@{closed_port()}"
    with necid.Client(**settings(emulator, proxy=closed, max_attempts=1)) as c:
        with pytest.raises(necid.NetworkError) as n:
            c.health()
    assert "wr0ng-pa55word" not in str(n.value)


def test_a_bad_proxy_url_names_the_setting() -> None:
    with pytest.raises(necid.InvalidInputError) as e:
        necid.Client(proxy="ftp://user:s3cret-value@host:21")
    assert e.value.field == "proxy"
    assert "s3cret-value" not in str(e.value)


def connections(emulator: dict[str, Any], calls: int, gap: float, expected: int, **kw: Any) -> int:
    """Connections the proxy accepted for `calls` calls `gap` seconds apart (waiting for
    `expected`: a late extra one still shows in the wait's last 100 ms)."""
    p = Proxy()
    try:
        with necid.Client(**settings(emulator, proxy=p.url, **kw)) as c:
            for _ in range(calls):
                assert c.health().ok
                time.sleep(gap)
        return len(p.wait_seen(expected))
    finally:
        p.stop()


def test_the_pool_settings_decide_how_connections_are_reused(emulator: dict[str, Any]) -> None:
    assert connections(emulator, 3, 0.05, 1) == 1
    assert connections(emulator, 3, 0.05, 3, pool_max_idle_per_host=0) == 3
    assert connections(emulator, 3, 0.4, 3, pool_idle_timeout=0.1) == 3
