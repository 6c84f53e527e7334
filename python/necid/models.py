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


# BEGIN GENERATED: the result classes (tests/e2e/tests/surfaces.rs renders them from the
# core's models and the attributes `models!` lists in python/src/convert.rs; NECID_BLESS=1
# cargo test -p necid-e2e --test surfaces rewrites them).
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


@dataclass(frozen=True)
class Rect(_Model):
    """A pixel rectangle."""

    left: int
    """Left edge."""
    top: int
    """Top edge."""
    right: int
    """Right edge."""
    bottom: int
    """Bottom edge."""


@dataclass(frozen=True)
class Point(_Model):
    """A pixel position."""

    x: int
    """X."""
    y: int
    """Y."""


@dataclass(frozen=True)
class FaceAttributes(_Model):
    """Attributes of one detected face. Fields the service omitted are ``None``."""

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
    """Attributes of the face that was registered."""


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
    """Whether the row is active (status ``A``)."""


@dataclass(frozen=True)
class SubjectPage(_Model):
    """One page of list subjects."""

    subjects: Tuple[SubjectEntry, ...] = ()
    """Rows on this page."""
    total: int = 0
    """Total rows (events) in the gallery; 0 if the service did not say."""


@dataclass(frozen=True)
class Event(_Model):
    """An event id with, where the service gave one, a match score."""

    event_id: str
    """Event id."""
    score: Optional[int] = None
    """Match score 0-9999 (search/verify results; Swagger's list events)."""


@dataclass(frozen=True)
class EventList(_Model):
    """Events of one subject."""

    subject_id: str
    """Subject id (filled from the request when the response omits it, as Swagger's does)."""
    events: Tuple[Event, ...] = ()
    """Events."""


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
    """Result of a search. No candidates (the service's 404) is an empty tuple."""

    candidates: Tuple[Candidate, ...] = ()
    """Candidates, best first as the service ordered them."""
    attributes: Optional[FaceAttributes] = None
    """Attributes of the probe face."""


@dataclass(frozen=True)
class Verification(_Model):
    """Result of verifying a probe against a registered subject.

    The service answers 404 when the probe does not match; the SDK returns that as
    ``verified=False`` (not an error), like search's "no candidates"."""

    subject_id: str
    """Subject id."""
    verified: bool
    """Whether the service verified the probe as this subject."""
    score: Optional[int] = None
    """Score of the subject's best event (absent when not verified)."""
    events: Tuple[Event, ...] = ()
    """Per-event scores (Swagger variant only)."""


@dataclass(frozen=True)
class FaceVerification(_Model):
    """Result of verifying two faces against each other. 404 becomes ``verified=False``.

    The service answers face-to-face verify with a score only; the client sets
    ``verified = score >= DEFAULT_THRESHOLD`` (7000, the API's default search threshold), and
    ``verified=False`` on a 404. Callers with a stricter policy compare ``score`` with their own
    threshold."""

    verified: bool
    """``score >= DEFAULT_THRESHOLD``, or the service's verdict when it sends no score."""
    score: Optional[int] = None
    """Match score (0-9999)."""


@dataclass(frozen=True)
class Tag(_Model):
    """A tag. The service usually lists bare names; Swagger's shape adds a numeric id."""

    name: str
    """Tag name."""
    id: Optional[int] = None
    """Numeric id when the service sent one."""


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
    """Attempts so far (int or string on the wire)."""
    event_id: Optional[str] = None
    """Event id on success."""
    subject_id: Optional[str] = None
    """Subject id on success."""
    register_status: Optional[str] = None
    """``"Success"`` or ``"Failed"`` once processed."""
    reason: Optional[str] = None
    """Failure reason."""
    attributes: Optional[FaceAttributes] = None
    """Face attributes, decoded from ``attributesJson`` when it holds valid JSON."""
    attributes_json: Optional[str] = None
    """The raw ``attributesJson`` text when it did not decode as face attributes (the reference
    example's placeholder ``"..."``, or a shape this SDK does not know); ``None`` when it decoded
    (read ``attributes``) or was absent."""
    processed: bool = False
    """Whether the service has finished with this record."""
    succeeded: bool = False
    """Whether the record was registered successfully."""


@dataclass(frozen=True)
class BulkProgressPage(_Model):
    """One page of bulk-register progress."""

    batch_id: str
    """Batch id."""
    processed: Tuple[JobStatus, ...] = ()
    """Records on this page (``processed``, or the reference's misspelt ``processsed``)."""
    last_evaluated_key: Optional[str] = None
    """Paging id of the next page; ``None`` on the last page."""


@dataclass(frozen=True)
class BulkProgress(_Model):
    """All records of a batch, as gathered by ``wait_for_bulk_register``."""

    batch_id: str
    """Batch id."""
    records: Tuple[JobStatus, ...] = ()
    """Every record across all pages."""
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
    """``"OK"`` when healthy."""
    ok: bool = False
    """Whether the status is ``OK``."""


@dataclass(frozen=True)
class Application(_Model):
    """An application (API key holder). ``repr`` hides the API key."""

    id: str
    """Application id."""
    name: str
    """Name."""
    description: Optional[str] = None
    """Description."""
    api_key: Optional[str] = field(default=None, repr=False)
    """The application's API key (send as ``x-api-key``)."""
    face_minimum_quality_score: Optional[float] = None
    """Minimum face quality accepted."""
    gallery_id: Optional[str] = None
    """Gallery the application accesses, when reported."""


@dataclass(frozen=True)
class Gallery(_Model):
    """A gallery as listed, created or updated. ``repr`` hides the API key."""

    id: str
    """Gallery id."""
    name: str
    """Name."""
    description: Optional[str] = None
    """Description."""
    size: Optional[int] = None
    """Capacity."""
    count: Optional[int] = None
    """Registered count."""
    face_minimum_quality_score: Optional[float] = None
    """Minimum face quality accepted."""
    api_key: Optional[str] = field(default=None, repr=False)
    """API key of the application created with the gallery (create only)."""


@dataclass(frozen=True)
class GalleryDetails(_Model):
    """A gallery with its applications (get gallery)."""

    gallery: Gallery
    """The gallery."""
    applications: Tuple[Application, ...] = ()
    """Applications that access it."""


@dataclass(frozen=True)
class BulkRegistration(_Model):
    """One file to register in a bulk job (a file name in the gallery's bucket)."""

    filename: str
    """Object name in the gallery's bucket."""
    tags: Tuple[str, ...] = ()
    """Tags to register with the subject."""


# END GENERATED
