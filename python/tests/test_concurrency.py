"""Threads sharing one client, the GIL being released, Ctrl-C, and os.fork."""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from conftest import settings
from support import FaultServer, noise_png

import necid


def test_threads_share_one_client(client: necid.Client) -> None:
    images = [noise_png(64, 64, 1000 + i) for i in range(16)]

    def work(img: bytes) -> str:
        reg = client.register_subject(img)
        assert client.verify_subject(reg.subject_id, img).verified
        return reg.subject_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(work, images))
    assert len(set(ids)) == 16
    listed = {s.subject_id for p in client.subjects_paginator(length=1000) for s in p.subjects}
    assert set(ids) <= listed
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(client.unregister_subject, ids))


def test_gil_is_released_during_a_call() -> None:
    # Fault server: the request hangs until the client gives up, so the call is still
    # in progress while this thread keeps running Python code.
    server = FaultServer("hang")
    try:
        c = necid.Client(endpoint=server.endpoint, max_attempts=1, request_timeout=600)
        errors: list[BaseException] = []

        def call() -> None:
            try:
                c.health()
            except BaseException as e:
                errors.append(e)

        t = threading.Thread(target=call, daemon=True)
        t.start()
        assert server.accepted.wait(60)
        # If the call held the GIL, this thread could not run until it finished.
        counter = sum(range(100_000))
        assert counter > 0 and t.is_alive()
        c.close()
        server.close()  # drops the connection: the call ends with a network error
        t.join(60)
        assert not t.is_alive()
        assert len(errors) == 1 and isinstance(errors[0], necid.NetworkError)
    finally:
        server.close()


def test_ctrl_c_interrupts_a_blocking_call() -> None:
    # A runner started in the background by a non-interactive shell (`cmd &`) inherits SIGINT
    # ignored, and then interrupt_main() does nothing: give SIGINT Python's own handler here.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    server = FaultServer("hang")
    try:
        c = necid.Client(endpoint=server.endpoint, max_attempts=1, request_timeout=600)

        def interrupt() -> None:
            server.accepted.wait(60)
            _thread.interrupt_main()  # what Ctrl-C does

        threading.Thread(target=interrupt, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            c.health()
        # The request was aborted, not left running.
        assert server.client_closed.wait(60)
    finally:
        server.close()
        signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_forked_child_gets_a_working_runtime(emulator: dict[str, Any]) -> None:
    import warnings

    c = necid.Client(**settings(emulator))
    assert c.health().ok  # the parent's runtime and connection pool are in use
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a multi-threaded process is risky; exactly the
        # situation under test.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # child: must not hang on the parent's (absent) runtime threads
        code = 1
        try:
            ok = c.health().ok and necid.Client(**settings(emulator)).list_tags() is not None
            code = 0 if ok else 2
        except BaseException as e:
            sys.stderr.write(f"child failed: {e!r}\n")
        finally:
            os._exit(code)
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung")
        time.sleep(0.05)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert c.health().ok  # the parent is unaffected


def _lookup(kw: dict[str, Any], subject_id: str) -> str:
    # Runs in a worker process: builds its own client there.
    with necid.Client(**kw) as c:
        return c.list_events(subject_id).subject_id


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_errors_cross_process_boundaries(emulator: dict[str, Any]) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    kw = settings(emulator)
    necid.Client(**kw).health()  # the parent's runtime is running when the pool forks
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        futures = [pool.submit(_lookup, kw, f"missing-{i}") for i in range(4)]
        for f in futures:
            with pytest.raises(necid.NotFoundError) as info:
                f.result(timeout=120)
            assert info.value.status == 404 and info.value.request_id
