"""Test helpers: tiny PNG writer (no Pillow needed) and a fault-injecting HTTP server.

The fault server exists only to inject faults the emulator cannot produce (429, 5xx, the
service's Timeout error, unreadable bodies, a peer that never answers); everything else
is tested against the real emulator.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import zlib
from collections.abc import Callable
from typing import Optional, Union


def png(width: int, height: int, pixel: Callable[[int, int], int]) -> bytes:
    """An 8-bit grayscale PNG whose pixel (x, y) is pixel(x, y) (0-255)."""
    raw = b"".join(b"\x00" + bytes(pixel(x, y) & 0xFF for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def noise_png(width: int, height: int, seed: int) -> bytes:
    """A high-contrast random picture: the deterministic engine sees one 'face' per
    square tile (a strip at least twice as wide as tall has width // height faces)."""
    rng = random.Random(seed)
    values = [[rng.randrange(256) for _ in range(width)] for _ in range(height)]
    return png(width, height, lambda x, y: values[y][x])


def blank_png(width: int = 64, height: int = 64) -> bytes:
    """A uniform grey picture: no face."""
    return png(width, height, lambda x, y: 128)


Response = Union[bytes, str]  # raw HTTP response bytes, or "hang" / "close"


class FaultServer:
    """Loopback HTTP server that answers each connection with the next scripted reply.

    Replies: raw response bytes, ``"hang"`` (read the request, never answer, until the
    client goes away) or ``"close"`` (close without answering). The last reply repeats.
    ``accepted`` is set whenever a connection has been read; ``client_closed`` when a
    hanging connection sees its peer close (the client aborted the request).
    """

    def __init__(self, *replies: Response) -> None:
        self.replies = list(replies)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.accepted = threading.Event()
        self.client_closed = threading.Event()
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _next(self) -> Response:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._handle, args=(conn, self._next()), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> Optional[bytes]:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def _handle(self, conn: socket.socket, reply: Response) -> None:
        try:
            while True:
                request = self._read_request(conn)
                if request is None:
                    return
                self.requests.append(request)
                self.accepted.set()
                if reply == "close":
                    return
                if reply == "hang":
                    conn.settimeout(0.1)
                    while not self._stop.is_set():
                        try:
                            if conn.recv(1) == b"":
                                self.client_closed.set()
                                return
                        except socket.timeout:
                            continue
                    return
                assert isinstance(reply, bytes)
                conn.sendall(reply)
        except OSError:
            return
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        for c in self._conns:
            try:
                c.close()
            except OSError:
                pass
        self._thread.join(timeout=5)


def http_response(status: int, body: bytes, reason: str = "X", extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nx-amzn-requestid: fault-req-{status}\r\n{extra}\r\n"
    ).encode() + body
