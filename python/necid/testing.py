"""Test your own code offline against the NEC ID emulator (``necid serve``).

:class:`Emulator` starts a throwaway emulator (in memory or a temporary SQLite file, on a
free port), waits until it is ready, hands out configured clients, drives its admin API
(fault rules, recording, reset) and always stops it::

    from necid.testing import Emulator

    with Emulator() as emu:                     # or: async with Emulator() as emu
        with emu.client() as client:
            subject = client.register_subject("face.jpg")
            hits = client.search("face.jpg")

With pytest, installing ``necid`` registers a plugin (:mod:`necid.pytest_plugin`) giving
the fixtures ``necid_emulator``, ``necid_client`` and ``necid_session_client``.

The ``necid`` executable is looked up in this order: the ``binary`` argument, the
``NECID_BIN`` environment variable, the one packaged in this wheel (``necid/bin/necid``,
``necid.exe`` on Windows), then ``PATH``.

The emulator never outlives the test run: :meth:`Emulator.stop` runs on leaving the
``with`` block (also when the test failed) and at interpreter exit, and the emulator is
started with ``--stop-on-stdin-eof`` and a pipe as its standard input, so it stops by
itself when this process ends in any way (killed, or with SIGTERM blocked).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Optional, Union

from ._necid import AsyncClient, Client

__all__ = [
    "ENGINES",
    "Emulator",
    "EmulatorError",
    "EmulatorNotFoundError",
    "find_binary",
]

#: The face engines the emulator offers: ``deterministic`` (fast; the same picture, or a
#: nearly identical one, matches; nothing else does) and ``real`` (the offline face engine:
#: detects faces and compares people; slower, loads its weights at the first picture).
ENGINES = ("deterministic", "real")

_EXE = "necid.exe" if os.name == "nt" else "necid"
#: Where a packaged wheel carries the ``necid`` executable.
PACKAGED_BINARY = Path(__file__).resolve().parent / "bin" / _EXE

StrPath = Union[str, "os.PathLike[str]"]


class EmulatorError(RuntimeError):
    """The emulator could not be started (its own message and output are included) or an
    admin API call failed."""


class EmulatorNotFoundError(EmulatorError):
    """No ``necid`` executable was found in any of the places :func:`find_binary` looks."""


def find_binary(binary: Optional[StrPath] = None) -> str:
    """The ``necid`` executable: ``binary``, else ``$NECID_BIN``, else the packaged one,
    else ``necid`` on ``PATH``. Raises :class:`EmulatorNotFoundError` naming all four."""
    if binary is not None:
        path = Path(binary)
        if not path.is_file():
            raise EmulatorNotFoundError(f"the necid executable given ({path}) does not exist")
        return str(path)
    env = os.environ.get("NECID_BIN")
    if env:
        if not Path(env).is_file():
            raise EmulatorNotFoundError(
                f"NECID_BIN is set to {env}, which does not exist (unset it to use the "
                "packaged necid or the one on PATH)"
            )
        return env
    if PACKAGED_BINARY.is_file():
        return str(PACKAGED_BINARY)
    on_path = shutil.which("necid")
    if on_path:
        return on_path
    raise EmulatorNotFoundError(
        "no necid executable found; looked at, in order: (1) the binary= argument (not "
        "given), (2) the NECID_BIN environment variable (not set), (3) the one packaged "
        f"with this wheel ({PACKAGED_BINARY}: absent; wheels built from source do not "
        "carry it), (4) 'necid' on PATH (none). Install the necid CLI (cargo install "
        "necid-cli, or a release archive) and put it on PATH or set NECID_BIN."
    )


# Emulators not stopped yet: stopped at interpreter exit if a caller forgot.
_live: weakref.WeakSet[Emulator] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for emu in list(_live):
        emu.stop()


class Emulator:
    """A throwaway ``necid serve`` for tests. See the module documentation.

    Arguments (all keyword):

    - ``engine``: ``"deterministic"`` (default) or ``"real"``.
    - ``storage``: ``"memory"`` (default) or ``"sqlite"`` (a file in a temporary folder,
      removed at stop).
    - ``seed``: a folder of pictures registered in the default gallery before the
      emulator is ready (a picture = a subject, a sub-folder = a subject with one event
      per picture).
    - ``faults``: fault rules from the start: a list of rules, or a plan
      ``{"seed": n, "rules": [...]}`` (server/README.md, "Fault rules").
    - ``record``: record every API request (see :meth:`requests`).
    - ``lenient``: relax strict mode. ``tls``: serve HTTPS with a private CA (clients
      from :meth:`client` trust it).
    - ``port``: 0 (default) picks a free port. ``binary``: the ``necid`` executable.
    - ``startup_timeout``: seconds to wait for readiness (default 120: seeding with the
      real engine is slow). ``extra_args``: more ``necid serve`` arguments.
    """

    def __init__(
        self,
        *,
        engine: str = "deterministic",
        storage: str = "memory",
        seed: Optional[StrPath] = None,
        faults: Union[Sequence[Mapping[str, Any]], Mapping[str, Any], None] = None,
        record: bool = False,
        lenient: bool = False,
        tls: bool = False,
        port: int = 0,
        binary: Optional[StrPath] = None,
        startup_timeout: float = 120.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(
                f"unknown engine {engine!r}: choose 'deterministic' (fast, the same picture "
                "matches) or 'real' (the offline face engine)"
            )
        if storage not in ("memory", "sqlite"):
            raise ValueError(f"unknown storage {storage!r}: choose 'memory' or 'sqlite'")
        if seed is not None and not Path(seed).is_dir():
            raise ValueError(f"the seed folder {seed} does not exist or is not a folder")
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} is out of range (0-65535; 0 picks a free port)")
        if faults is not None and not isinstance(faults, Mapping):
            faults = {"rules": [dict(r) for r in faults]}
        self.engine = engine
        self.storage = storage
        self.seed = None if seed is None else Path(seed)
        self.faults: Optional[dict[str, Any]] = None if faults is None else dict(faults)
        self.record = record
        self.lenient = lenient
        self.tls = tls
        self.port = port
        self.binary = binary
        self.startup_timeout = startup_timeout
        self.extra_args = list(extra_args)
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._workdir: Optional[str] = None
        self._log: Optional[IO[bytes]] = None
        self._info: Optional[dict[str, Any]] = None
        self._lock = threading.Lock()

    # ----- life cycle -------------------------------------------------------------------

    def start(self) -> Emulator:
        """Start the emulator and wait until it is ready (its ready file is written).
        Raises :class:`EmulatorError` with the emulator's own message when it exits
        first (a port in use, a bad fault rule, an unreadable seed picture)."""
        with self._lock:
            if self._proc is not None:
                raise EmulatorError("this emulator is already started")
            exe = find_binary(self.binary)
            work = tempfile.mkdtemp(prefix="necid-emulator-")
            self._workdir = work
            ready = os.path.join(work, "ready.json")
            args = [
                exe,
                "serve",
                "--engine",
                self.engine,
                "--port",
                str(self.port),
                "--ready-file",
                ready,
                "--bucket-dir",
                os.path.join(work, "buckets"),
                "--stop-on-stdin-eof",
            ]
            if self.storage == "memory":
                args.append("--memory")
            else:
                args += ["--db", os.path.join(work, "emulator.db")]
            if self.seed is not None:
                args += ["--seed", str(self.seed)]
            if self.faults is not None:
                path = os.path.join(work, "faults.json")
                with open(path, "w", encoding="utf-8") as f:
                    json.dump(self.faults, f)
                args += ["--faults", path]
            if self.record:
                args += ["--record", os.path.join(work, "record")]
            if self.lenient:
                args.append("--lenient")
            if self.tls:
                args += ["--tls", "--tls-ca-file", os.path.join(work, "ca.pem")]
            args += self.extra_args
            self._log = open(os.path.join(work, "serve.log"), "wb")
            try:
                self._proc = subprocess.Popen(
                    args, stdin=subprocess.PIPE, stdout=self._log, stderr=subprocess.STDOUT
                )
            except OSError as e:
                self._cleanup()
                raise EmulatorError(f"could not run {exe}: {e}") from e
            _live.add(self)
        try:
            self._info = self._wait_ready(ready)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, ready: str) -> dict[str, Any]:
        proc = self._proc
        assert proc is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if os.path.exists(ready) and os.path.getsize(ready) > 0:
                with open(ready, encoding="utf-8") as f:
                    info: dict[str, Any] = json.load(f)
                info["bucketDir"] = info.get("bucketDir") or os.path.join(
                    self._workdir or "", "buckets"
                )
                return info
            code = proc.poll()
            if code is not None:
                raise EmulatorError(
                    f"the emulator exited (status {code}) before it was ready:\n{self.output()}"
                )
            if time.monotonic() > deadline:
                raise EmulatorError(
                    f"the emulator was not ready after {self.startup_timeout:g} s:\n{self.output()}"
                )
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the emulator (closing its stdin and SIGTERM, then SIGKILL after 10 s) and
        remove its temporary folder. Safe to call twice."""
        with self._lock:
            proc, self._proc = self._proc, None
            _live.discard(self)
            if proc is not None:
                if proc.stdin is not None:
                    with contextlib.suppress(OSError):
                        proc.stdin.close()
                if proc.poll() is None:
                    with contextlib.suppress(OSError):
                        proc.terminate()
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
            self._cleanup()

    def _cleanup(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> Optional[int]:
        """The emulator's process id while it runs."""
        return None if self._proc is None else self._proc.pid

    def output(self) -> str:
        """What the emulator printed so far (its start-up message, errors)."""
        if self._workdir is None:
            return ""
        try:
            return Path(self._workdir, "serve.log").read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Emulator:
        await asyncio.get_running_loop().run_in_executor(None, self.start)
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.stop)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()

    # ----- what clients need ------------------------------------------------------------

    @property
    def info(self) -> dict[str, Any]:
        """The ready file's JSON: endpoint, tenantEndpoint, region, accessKeyId,
        secretAccessKey, apiKey, bucketDir, caFile, clientCertFile and clientKeyFile (with
        ``extra_args=["--tls-client-auth"]``: a client certificate the emulator requires),
        adminEndpoint, adminToken, consoleUrl (the web console, None with --no-console),
        pid."""
        if self._info is None:
            raise EmulatorError("the emulator is not started (use start() or 'with')")
        return self._info

    @property
    def endpoint(self) -> str:
        return str(self.info["endpoint"])

    def client_settings(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for :class:`necid.Client` / :class:`necid.AsyncClient`: the
        emulator's endpoint and dev credentials (the default gallery's API key), and its
        CA with ``tls=True``; ``overrides`` win."""
        info = self.info
        kw: dict[str, Any] = {
            "endpoint": info["endpoint"],
            "tenant_endpoint": info["tenantEndpoint"],
            "region": info["region"],
            "access_key_id": info["accessKeyId"],
            "secret_access_key": info["secretAccessKey"],
            "api_key": info["apiKey"],
        }
        if info.get("caFile"):
            kw["ca_bundle"] = info["caFile"]
        kw.update(overrides)
        return kw

    def client(self, **overrides: Any) -> Client:
        """A blocking client for the emulator (see :meth:`client_settings`)."""
        return Client(**self.client_settings(**overrides))

    def async_client(self, **overrides: Any) -> AsyncClient:
        """An asyncio client for the emulator (see :meth:`client_settings`)."""
        return AsyncClient(**self.client_settings(**overrides))

    @contextlib.contextmanager
    def gallery_client(self, size: int = 1000, **overrides: Any) -> Iterator[Client]:
        """A blocking client bound to a new, empty gallery, deleted on leaving."""
        with self.client() as tenant:
            gallery = tenant.create_gallery(f"test-{uuid.uuid4().hex[:12]}", size=size)
            try:
                with self.client(api_key=gallery.api_key, **overrides) as c:
                    yield c
            finally:
                tenant.delete_gallery(gallery.id)

    # ----- admin API ----------------------------------------------------------------------

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call the admin API (``/_admin/v1`` + ``path``) with the admin token; the JSON
        answer. Raises :class:`EmulatorError` with the emulator's message on an error."""
        info = self.info
        req = urllib.request.Request(
            info["adminEndpoint"] + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": "Bearer " + info["adminToken"],
                "Content-Type": "application/json",
            },
        )
        ctx = None
        if info.get("caFile"):
            ctx = ssl.create_default_context(cafile=info["caFile"])
            if info.get("clientCertFile"):
                ctx.load_cert_chain(info["clientCertFile"], info["clientKeyFile"])
        try:
            with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            raise EmulatorError(f"admin {method} {path}: {e.code} {detail}") from None

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Append one fault rule (keys as in server/README.md, e.g. ``path=...,
        fault="error", status=503, count=1``); the rule with its ``id``."""
        got: dict[str, Any] = self.admin("POST", "/faults", rule)
        return got

    def set_faults(self, rules: Sequence[Mapping[str, Any]], seed: Optional[int] = None) -> None:
        """Replace every fault rule (``seed`` makes probabilities repeatable)."""
        plan: dict[str, Any] = {"rules": [dict(r) for r in rules]}
        if seed is not None:
            plan["seed"] = seed
        self.admin("PUT", "/faults", plan)

    def clear_faults(self) -> None:
        self.admin("DELETE", "/faults")

    def set_recording(self, enabled: bool) -> None:
        self.admin("PUT", "/recording", {"enabled": enabled})

    def requests(
        self, method: Optional[str] = None, path: Optional[str] = None
    ) -> list[dict[str, Any]]:
        """The recorded API requests (``record=True`` or :meth:`set_recording`), oldest
        first, optionally only one method and paths starting with ``path``."""
        query = {k: v for k, v in (("method", method), ("path", path)) if v is not None}
        suffix = "?" + urllib.parse.urlencode(query) if query else ""
        got: list[dict[str, Any]] = self.admin("GET", "/requests" + suffix)["requests"]
        return got

    def clear_requests(self) -> None:
        self.admin("DELETE", "/requests")

    def reset(self, gallery_id: Optional[str] = None) -> None:
        """Empty one gallery, or (no argument) every gallery, and remove every fault rule
        and record."""
        if gallery_id is None:
            self.admin("POST", "/reset")
        else:
            self.admin("POST", f"/galleries/{urllib.parse.quote(gallery_id, safe='')}/reset")

    def seeded(self) -> list[dict[str, Any]]:
        """``[{file, subjectId, eventId}]`` for the pictures of ``seed``."""
        got: list[dict[str, Any]] = self.admin("GET", "/seed")["seeded"]
        return got
