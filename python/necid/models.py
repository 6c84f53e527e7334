"""Typed results (and inputs) of necid operations.

Every result is a frozen dataclass: attribute access, ``repr``, ``==``, hashing and
pickling work as usual, and ``to_dict()`` gives plain ``dict``/``list`` values (for JSON).
Numbers are always ``int`` (pixels, scores 0-9999, counts) or ``float`` (0-1 scores,
angles), whatever the service put on the wire. Sequences are tuples, so results stay
immutable. API keys are hidden from ``repr``.

The native extension builds these objects from the core SDK's models; nothing here
parses or decides anything.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, TypeVar

__all__ = [
    "Application",
    "BulkProgress",
    "BulkProgressPage",
    "BulkRegistration",
    "Candidate",
    "Event",
    "EventList",
    "FaceAttributes",
    "FaceVerification",
    "Gallery",
    "GalleryDetails",
    "Health",
    "JobStatus",
    "Point",
    "Rect",
    "RegisteredFace",
    "ResponseMetadata",
    "ResultList",
    "SearchResult",
    "SubjectEntry",
    "SubjectPage",
    "Tag",
    "Verification",
]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class ResponseMetadata:
    """What the response of a call said: for support tickets and diagnostics.

    Results carry it as ``result.metadata`` (models, and the ``ResultList`` of list
    results); operations that return ``None`` or a string have none. It is not a field:
    ``==``, ``repr``, hashing and ``to_dict()`` ignore it.
    """

    request_id: Optional[str]
    """The response's request id (``x-amzn-requestid``), if it sent one."""
    status: int
    """HTTP status of the call's last response (a 404 read as an empty result keeps it)."""
    attempts: int
    """Requests sent for the call's last request, retries included (1: no retry)."""
    clock_skew_ms: int
    """Clock-skew correction (server minus local, ms) the request was signed with."""


_T = TypeVar("_T")


class ResultList(List[_T]):
    """A list result (``list_tags()`` and the like): a ``list`` with ``metadata``."""

    metadata: Optional[ResponseMetadata] = None


class _Model:
    """Shared behaviour of the result classes."""

    metadata: Optional[ResponseMetadata] = None
    """The response metadata of the call that returned this result (``None`` for
    results nested in another, and for objects built by hand)."""

    def to_dict(self) -> Dict[str, Any]:
        """This object as plain ``dict``/``list``/``str``/``int``/``float``/``None``
        values, keyed by attribute name (nested results become dicts too)."""
        result: Dict[str, Any] = _plain(self)
        return result


@dataclass(frozen=True)
class Rect(_Model):
    """A pixel rectangle."""

    left: int
    top: int
    right: int
    bottom: int


@dataclass(frozen=True)
class Point(_Model):
    """A pixel position."""

    x: int
    y: int


@dataclass(frozen=True)
class FaceAttributes(_Model):
    """Attributes of one detected face. Values the service omitted are ``None``."""

    face_area: Optional[Rect] = None
    """Bounds of the face."""
    head_area: Optional[Rect] = None
    """Bounds of the head."""
    right_eye_center: Optional[Point] = None
    """Centre of the right eye."""
    left_eye_center: Optional[Point] = None
    """Centre of the left eye."""
    face_score: Optional[float] = None
    """Likeness to a face (0-1)."""
    frontal_face_score: Optional[float] = None
    """Degree of frontal view (0-1)."""
    face_quality_score: Optional[float] = None
    """Overall quality estimate (0-1)."""
    face_roll: Optional[float] = None
    """Roll angle, degrees."""
    face_pan: Optional[float] = None
    """Pan angle, degrees."""
    face_tilt: Optional[float] = None
    """Tilt angle, degrees."""


@dataclass(frozen=True)
class RegisteredFace(_Model):
    """Result of register/update subject and register/update event."""

    subject_id: str
    """Subject id."""
    event_id: Optional[str] = None
    """Event id (the registered image)."""
    attributes: Optional[FaceAttributes] = None
    """Attributes of the registered face."""


@dataclass(frozen=True)
class SubjectEntry(_Model):
    """One row of list subjects: one per event, deleted rows included."""

    subject_id: str
    """Subject id."""
    event_id: str
    """Event id."""
    status: str
    """``"A"`` (active) or ``"D"`` (deleted)."""
    last_updated: Optional[str] = None
    """ISO 8601 timestamp of the last update."""
    active: bool = False
    """Whether the row is active."""


@dataclass(frozen=True)
class SubjectPage(_Model):
    """One page of list subjects."""

    subjects: Tuple[SubjectEntry, ...] = ()
    """Rows on this page."""
    total: int = 0
    """Total rows (events) in the gallery; 0 if the service did not say."""


@dataclass(frozen=True)
class Event(_Model):
    """An event id with, where the service gave one, a match score (0-9999)."""

    event_id: str
    score: Optional[int] = None


@dataclass(frozen=True)
class EventList(_Model):
    """Events of one subject."""

    subject_id: str
    events: Tuple[Event, ...] = ()


@dataclass(frozen=True)
class Candidate(_Model):
    """One search candidate."""

    subject_id: str
    """Subject id."""
    score: int
    """Highest score among the subject's events (0-9999)."""
    events: Tuple[Event, ...] = ()
    """Matching events with their scores."""


@dataclass(frozen=True)
class SearchResult(_Model):
    """Result of a search. No candidates is an empty tuple (not an error)."""

    candidates: Tuple[Candidate, ...] = ()
    """Candidates, best first as the service ordered them."""
    attributes: Optional[FaceAttributes] = None
    """Attributes of the probe face."""


@dataclass(frozen=True)
class Verification(_Model):
    """Result of verifying a probe against a registered subject.

    A probe that does not match is ``verified=False`` (not an error)."""

    subject_id: str
    verified: bool
    score: Optional[int] = None
    """Score of the subject's best event (absent when not verified)."""
    events: Tuple[Event, ...] = ()
    """Per-event scores, when the service sent them."""


@dataclass(frozen=True)
class FaceVerification(_Model):
    """Result of verifying two faces against each other."""

    verified: bool
    score: Optional[int] = None


@dataclass(frozen=True)
class Tag(_Model):
    """A tag; ``id`` when the service sent a numeric id."""

    name: str
    id: Optional[int] = None


@dataclass(frozen=True)
class BulkRegistration(_Model):
    """Input of ``bulk_register``: a file in the gallery's bucket, with tags."""

    filename: str
    tags: Tuple[str, ...] = ()


@dataclass(frozen=True)
class JobStatus(_Model):
    """Status of one record of a bulk job."""

    id: str
    """Operation id (not a subject or event id)."""
    filename: str
    """File name from the request."""
    status: str
    """``"New"`` or ``"Processed"``."""
    attempts: Optional[int] = None
    event_id: Optional[str] = None
    """Event id on success."""
    subject_id: Optional[str] = None
    """Subject id on success."""
    register_status: Optional[str] = None
    """``"Success"`` or ``"Failed"`` once processed."""
    reason: Optional[str] = None
    """Failure reason."""
    attributes: Optional[FaceAttributes] = None
    """Face attributes, when the service reported readable ones."""
    attributes_json: Optional[str] = None
    """The raw ``attributesJson`` text when it did not decode as face attributes."""
    processed: bool = False
    """Whether the service has finished with this record."""
    succeeded: bool = False
    """Whether the record was registered successfully."""


@dataclass(frozen=True)
class BulkProgressPage(_Model):
    """One page of bulk-register progress."""

    batch_id: str
    processed: Tuple[JobStatus, ...] = ()
    """Records on this page."""
    last_evaluated_key: Optional[str] = None
    """Paging id of the next page; ``None`` on the last page."""


@dataclass(frozen=True)
class BulkProgress(_Model):
    """All records of a batch, as gathered by ``wait_for_bulk_register``."""

    batch_id: str
    records: Tuple[JobStatus, ...] = ()
    total: int = 0
    """Number of records."""
    processed: int = 0
    """Records with status ``Processed``."""
    succeeded: int = 0
    """Records registered successfully."""
    failed: int = 0
    """Records processed but failed."""
    done: bool = False
    """Whether there is at least one record and every record is processed."""


@dataclass(frozen=True)
class Health(_Model):
    """Health check result."""

    status: str
    ok: bool = False
    """Whether the status is ``OK``."""


@dataclass(frozen=True)
class Application(_Model):
    """An application (API key holder). ``repr`` hides the API key."""

    id: str
    name: str
    description: Optional[str] = None
    api_key: Optional[str] = field(default=None, repr=False)
    """The application's API key (sent as ``x-api-key``)."""
    face_minimum_quality_score: Optional[float] = None
    gallery_id: Optional[str] = None


@dataclass(frozen=True)
class Gallery(_Model):
    """A gallery as listed, created or updated. ``repr`` hides the API key."""

    id: str
    name: str
    description: Optional[str] = None
    size: Optional[int] = None
    """Capacity."""
    count: Optional[int] = None
    """Registered count."""
    face_minimum_quality_score: Optional[float] = None
    api_key: Optional[str] = field(default=None, repr=False)
    """API key of the application created with the gallery (create only)."""


@dataclass(frozen=True)
class GalleryDetails(_Model):
    """A gallery with its applications."""

    gallery: Gallery
    applications: Tuple[Application, ...] = ()
