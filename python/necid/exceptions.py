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

from typing import Optional

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


class InvalidInputError(NecIdError, ValueError):
    """Rejected by the SDK before anything was sent (bad argument or configuration)."""

    kind = "InvalidInput"


class AuthError(NecIdError):
    """401/403: bad or missing signature, credentials or API key."""

    kind = "Auth"


class NotFoundError(NecIdError):
    """404: unknown subject, event, tag, gallery or application."""

    kind = "NotFound"


class InvalidRequestError(NecIdError):
    """The service's ``InvalidRequest`` (1001), or another 4xx without a known type."""

    kind = "InvalidRequest"


class DuplicateError(NecIdError):
    """The service's ``Duplicate`` (1002), e.g. a tag that already exists."""

    kind = "Duplicate"


class ServiceTimeoutError(NecIdError):
    """The service's ``Timeout`` (1003): the service gave up on the request.

    Not a :class:`TimeoutError`: the client did not time out (that is
    :class:`TimedOutError`); the service answered that it could not finish.
    """

    kind = "Timeout"


class NoFaceError(NecIdError):
    """The service's ``NoFace`` (2001): no face was found in the image."""

    kind = "NoFace"


class PoorQualityError(NecIdError):
    """The service's ``PoorQuality`` (2002): the face's quality is below the minimum."""

    kind = "PoorQuality"


class MultipleFacesError(NecIdError):
    """The service's ``MultipleFaces`` (2003): one face was required, several found."""

    kind = "MultipleFaces"


class ThrottledError(NecIdError):
    """429: the service is throttling this client (after the SDK's own retries)."""

    kind = "Throttled"


class ServerError(NecIdError):
    """5xx from the service (after the SDK's own retries)."""

    kind = "Server"


class NetworkError(NecIdError, ConnectionError):
    """The connection failed or broke (DNS, refused, reset, TLS, truncated response)."""

    kind = "Network"


class TimedOutError(NecIdError, TimeoutError):
    """A client-side timeout or deadline expired (connect, request, or a wait)."""

    kind = "TimedOut"


class DecodeError(NecIdError):
    """The response could not be read as the documented shape."""

    kind = "Decode"


class CancelledError(NecIdError):
    """The caller cancelled the call (a cancel handle): it stopped, closed its connection
    and retried no more. (asyncio's own task cancellation raises
    :class:`asyncio.CancelledError` as usual.)"""

    kind = "Cancelled"
