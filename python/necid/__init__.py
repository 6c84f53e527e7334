"""necid: the NEC ID face-biometrics SDK for Python.

Two clients over one Rust core (SigV4 signing, retries, validation and parsing all
happen there):

- :class:`Client` -- blocking; releases the GIL during every network call and can be
  shared by many threads.
- :class:`AsyncClient` -- asyncio; every operation returns an awaitable.

Both take the same keyword arguments, or come from the environment
(:meth:`Client.from_env`) or a profile (:meth:`Client.from_profile`)::

    import necid

    with necid.Client.from_env() as client:
        face = client.register_subject("face.jpg", tags=["staff"])
        hits = client.search("probe.jpg", threshold=7500)

Results are frozen dataclasses from :mod:`necid.models`; errors are subclasses of
:class:`NecIdError` from :mod:`necid.exceptions`.
"""

from __future__ import annotations

from . import exceptions, models
from ._logging import disable_logging, enable_logging
from ._necid import (
    AsyncClient,
    AsyncPageIterator,
    CallOptions,
    CancelToken,
    Client,
    PageIterator,
    __version__,
)
from .exceptions import (
    AuthError,
    CancelledError,
    DecodeError,
    DuplicateError,
    InvalidInputError,
    InvalidRequestError,
    MultipleFacesError,
    NecIdError,
    NetworkError,
    NoFaceError,
    NotFoundError,
    PoorQualityError,
    ServerError,
    ServiceTimeoutError,
    ThrottledError,
    TimedOutError,
)
from .models import (
    Application,
    BulkProgress,
    BulkProgressPage,
    BulkRegistration,
    Candidate,
    Event,
    EventList,
    FaceAttributes,
    FaceVerification,
    Gallery,
    GalleryDetails,
    Health,
    JobStatus,
    Point,
    Rect,
    RegisteredFace,
    ResponseMetadata,
    ResultList,
    SearchResult,
    SubjectEntry,
    SubjectPage,
    Tag,
    Verification,
)

__all__ = [
    "Application",
    "AsyncClient",
    "AsyncPageIterator",
    "AuthError",
    "BulkProgress",
    "BulkProgressPage",
    "BulkRegistration",
    "CallOptions",
    "CancelToken",
    "CancelledError",
    "Candidate",
    "Client",
    "DecodeError",
    "DuplicateError",
    "Event",
    "EventList",
    "FaceAttributes",
    "FaceVerification",
    "Gallery",
    "GalleryDetails",
    "Health",
    "InvalidInputError",
    "InvalidRequestError",
    "JobStatus",
    "MultipleFacesError",
    "NecIdError",
    "NetworkError",
    "NoFaceError",
    "NotFoundError",
    "PageIterator",
    "Point",
    "PoorQualityError",
    "Rect",
    "RegisteredFace",
    "ResponseMetadata",
    "ResultList",
    "SearchResult",
    "ServerError",
    "ServiceTimeoutError",
    "SubjectEntry",
    "SubjectPage",
    "Tag",
    "ThrottledError",
    "TimedOutError",
    "Verification",
    "__version__",
    "disable_logging",
    "enable_logging",
    "exceptions",
    "models",
]
