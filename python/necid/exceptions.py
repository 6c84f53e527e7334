"""Exceptions raised by necid.

Every error the SDK raises is a :class:`NecIdError`; each error kind of the core SDK has
its own subclass, so callers can catch exactly what they can handle::

    try:
        client.register_subject(face)
    except necid.NoFaceError as e:
        print("no face in the picture:", e.error_code, e.request_id)

Every instance carries ``kind``, ``message``, ``status`` (HTTP status, when there was a
response), ``error_code`` / ``error_type`` (the service's ``errorCode`` / ``errorType``),
``request_id`` and, for :class:`InvalidInputError`, ``field`` (the rejected argument).
Instances pickle and unpickle with all of these. Secrets (secret key, session token, API
key) never appear in an error.
"""

from __future__ import annotations

from typing import Dict, Optional, Type


class NecIdError(Exception):
    """Base class of every error raised by necid.

    Also raised directly (with ``kind == "Internal"``) for an internal failure of the
    native extension, such as a Rust panic: such a failure never crashes the interpreter.
    """

    #: Stable name of the error kind (the same string in every necid binding).
    kind: str = "Internal"

    message: str
    """Human-readable description (the service's message when it sent one)."""
    status: Optional[int]
    """HTTP status of the response, when there was one."""
    error_code: Optional[int]
    """The service's numeric ``errorCode`` (e.g. 2001), when present."""
    error_type: Optional[str]
    """The service's ``errorType`` (e.g. ``"NoFace"``), when present."""
    request_id: Optional[str]
    """The response's request id, for support tickets."""
    field: Optional[str]
    """For :class:`InvalidInputError`: the argument or setting that was rejected."""

    def __init__(
        self,
        message: str = "",
        *,
        status: Optional[int] = None,
        error_code: Optional[int] = None,
        error_type: Optional[str] = None,
        request_id: Optional[str] = None,
        field: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.error_type = error_type
        self.request_id = request_id
        self.field = field

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        for name in ("status", "error_code", "error_type", "request_id", "field"):
            value = getattr(self, name, None)
            if value is not None:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


# BEGIN GENERATED: a class per error kind (tests/e2e/tests/surfaces.rs renders them from
# the core's `necid::error_kinds!`; NECID_BLESS=1 cargo test -p necid-e2e --test surfaces
# rewrites them).
__all__ = [
    "AuthError",
    "CancelledError",
    "DecodeError",
    "DuplicateError",
    "InvalidInputError",
    "InvalidRequestError",
    "MultipleFacesError",
    "NecIdError",
    "NetworkError",
    "NoFaceError",
    "NotFoundError",
    "PoorQualityError",
    "ServerError",
    "ServiceTimeoutError",
    "ThrottledError",
    "TimedOutError",
]


class InvalidInputError(NecIdError, ValueError):
    """Rejected by the SDK before any byte was sent (bad argument or configuration)."""

    kind = "InvalidInput"


class AuthError(NecIdError):
    """401/403: bad or missing signature, credentials or API key."""

    kind = "Auth"


class NotFoundError(NecIdError):
    """404: unknown subject, event, tag, gallery or application."""

    kind = "NotFound"


class InvalidRequestError(NecIdError):
    """The service's ``InvalidRequest`` (1001), or another 4xx without a known errorType."""

    kind = "InvalidRequest"


class DuplicateError(NecIdError):
    """The service's ``Duplicate`` (1002). For example, a tag that already exists."""

    kind = "Duplicate"


class ServiceTimeoutError(NecIdError):
    """The service's ``Timeout`` (1003): the *server* gave up.

    Not a :class:`TimeoutError`: the client did not time out (that is :class:`TimedOutError`);
    the service answered that it could not finish."""

    kind = "Timeout"


class NoFaceError(NecIdError):
    """The service's ``NoFace`` (2001). No face was found in the image."""

    kind = "NoFace"


class PoorQualityError(NecIdError):
    """The service's ``PoorQuality`` (2002). The face's quality is below the minimum."""

    kind = "PoorQuality"


class MultipleFacesError(NecIdError):
    """The service's ``MultipleFaces`` (2003). One face was required, several were found."""

    kind = "MultipleFaces"


class ThrottledError(NecIdError):
    """429: the service is throttling this client (after the configured retries)."""

    kind = "Throttled"


class ServerError(NecIdError):
    """5xx from the service (after the configured retries)."""

    kind = "Server"


class NetworkError(NecIdError, ConnectionError):
    """The connection failed or broke (DNS, refused, reset, TLS, truncated response)."""

    kind = "Network"


class TimedOutError(NecIdError, TimeoutError):
    """A *client-side* timeout or deadline expired."""

    kind = "TimedOut"


class DecodeError(NecIdError):
    """The response could not be read as the documented shape."""

    kind = "Decode"


class CancelledError(NecIdError):
    """The caller cancelled the call (a cancel token, an AbortSignal): it stopped, closed its
    connection and retried no more.

    In Python the cancel handle is a :class:`CancelToken`; asyncio's own task cancellation raises
    :class:`asyncio.CancelledError` as usual."""

    kind = "Cancelled"


# END GENERATED

#: Each kind's class (the extension raises the one of an error's kind; an unknown kind is
#: :class:`NecIdError` itself).
_BY_KIND: Dict[str, Type[NecIdError]] = {cls.kind: cls for cls in NecIdError.__subclasses__()}
