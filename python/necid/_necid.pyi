"""Type stubs of the native module necid._necid (PyO3). Import from ``necid`` instead."""

import datetime
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import IO, Any, Generic, Literal, Optional, TypeVar, Union

from typing_extensions import Self, TypedDict, Unpack

from .models import *

__version__: str

_T = TypeVar("_T")

#: An image: raw bytes (bytes is read without copying), a path, or a binary file object.
ImageInput = Union[bytes, bytearray, memoryview, str, os.PathLike[str], IO[bytes]]
#: Body of a request to sign.
BodyInput = Union[bytes, bytearray, memoryview, str]
#: Headers to sign: a mapping or (name, value) pairs.
HeadersInput = Union[Mapping[str, str], Iterable[tuple[str, str]], Iterable[list[str]]]
#: A bulk registration: a BulkRegistration, a (filename, tags) pair, or a file name.
RegistrationInput = Union[BulkRegistration, tuple[str, Iterable[str]], str]
SortDirection = Literal["asc", "desc"]

class _Settings(TypedDict, total=False):
    """The clients' keyword arguments: the core's settings table (``None`` = unset)."""

    # BEGIN GENERATED from the core's settings table (tests/e2e/tests/surfaces.rs renders
    # it; NECID_BLESS=1 cargo test -p necid-e2e --test surfaces rewrites it)
    endpoint: Optional[str]
    tenant_endpoint: Optional[str]
    region: Optional[str]
    service: Optional[str]
    access_key_id: Optional[str]
    secret_access_key: Optional[str]
    session_token: Optional[str]
    api_key: Optional[str]
    connect_timeout: Optional[float]
    request_timeout: Optional[float]
    max_attempts: Optional[int]
    retry_base_delay: Optional[float]
    retry_max_delay: Optional[float]
    user_agent_suffix: Optional[str]
    max_retry_after: Optional[float]
    tls_roots: Optional[Literal["platform", "bundled", "custom"]]
    ca_bundle: Optional[Union[str, os.PathLike[str]]]
    ca_bundle_pem: Optional[Union[bytes, str]]
    proxy: Optional[str]
    pool_max_idle_per_host: Optional[int]
    pool_idle_timeout: Optional[float]
    rename_tag_form: Optional[Literal["auto", "body", "path"]]
    client_cert: Optional[Union[str, os.PathLike[str]]]
    client_key: Optional[Union[str, os.PathLike[str]]]
    client_cert_pem: Optional[Union[bytes, str]]
    client_key_pem: Optional[Union[bytes, str]]
    # END GENERATED

class _Options(_Settings, total=False):
    """The settings plus ``credentials_provider``: a callable the client calls (from a
    worker thread) before a request when it holds no credentials or they expire within
    10 s, instead of the static keys. It returns a mapping: ``access_key_id``,
    ``secret_access_key``, optional ``session_token`` and ``expiration`` (an aware
    ``datetime`` or POSIX seconds; absent: never expires)."""

    credentials_provider: Optional[Callable[[], Mapping[str, Any]]]

def _set_log_bridge(level: str, emit: Optional[Callable[[int, str, str], None]] = None) -> None: ...

class CancelToken:
    def __init__(self) -> None: ...
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...

class CallOptions:
    def __init__(
        self,
        *,
        deadline: Optional[float] = None,
        max_attempts: Optional[int] = None,
        headers: Optional[HeadersInput] = None,
        cancel: Optional[CancelToken] = None,
    ) -> None: ...
    @property
    def deadline(self) -> Optional[float]: ...
    @property
    def max_attempts(self) -> Optional[int]: ...
    @property
    def headers(self) -> list[tuple[str, str]]: ...
    @property
    def cancel(self) -> Optional[CancelToken]: ...

class PageIterator(Generic[_T]):
    """Iterator over the pages of a paginated operation (one request per step)."""

    def __iter__(self) -> Self: ...
    def __next__(self) -> _T: ...

class AsyncPageIterator(Generic[_T]):
    """Async iterator over the pages of a paginated operation."""

    def __aiter__(self) -> Self: ...
    def __anext__(self) -> Awaitable[_T]: ...

class Client:
    """Blocking NEC ID client (GIL released during I/O; thread-safe)."""

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None: ...
    def with_metadata(self, call: Callable[[Client], _T]) -> tuple[_T, ResponseMetadata]: ...
    # Shared with AsyncClient (tests/e2e/tests/surfaces.rs copies these into it).
    def __init__(self, **kwargs: Unpack[_Options]) -> None: ...
    @classmethod
    def from_env(cls, **overrides: Unpack[_Options]) -> Self: ...
    @classmethod
    def from_profile(cls, name: Optional[str] = None, **overrides: Unpack[_Options]) -> Self: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def tenant_endpoint(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def access_key_id(self) -> Optional[str]: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def subjects_paginator(
        self, length: int = 1000, dir: SortDirection = "asc"
    ) -> PageIterator[SubjectPage]: ...
    def bulk_progress_paginator(self, batch_id: str) -> PageIterator[BulkProgressPage]: ...
    # BEGIN GENERATED: the operations (tests/e2e/tests/surfaces.rs renders them from
    # the core's operation table; NECID_BLESS=1 cargo test -p necid-e2e --test surfaces
    # rewrites them).
    def list_subjects(
        self,
        start: int = 0,
        length: int = 1000,
        dir: SortDirection = "asc",
        *,
        options: Optional[CallOptions] = None,
    ) -> SubjectPage: ...
    def register_subject(
        self,
        face: ImageInput,
        tags: Optional[Iterable[str]] = None,
        *,
        options: Optional[CallOptions] = None,
    ) -> RegisteredFace: ...
    def update_subject(
        self,
        subject_id: str,
        face: Optional[ImageInput] = None,
        tags: Optional[Iterable[str]] = None,
        *,
        options: Optional[CallOptions] = None,
    ) -> RegisteredFace: ...
    def unregister_subject(
        self, subject_id: str, *, options: Optional[CallOptions] = None
    ) -> None: ...
    def list_events(
        self, subject_id: str, *, options: Optional[CallOptions] = None
    ) -> EventList: ...
    def register_event(
        self,
        subject_id: str,
        face: ImageInput,
        tags: Optional[Iterable[str]] = None,
        *,
        options: Optional[CallOptions] = None,
    ) -> RegisteredFace: ...
    def update_event(
        self,
        subject_id: str,
        event_id: str,
        face: Optional[ImageInput] = None,
        tags: Optional[Iterable[str]] = None,
        *,
        options: Optional[CallOptions] = None,
    ) -> RegisteredFace: ...
    def unregister_event(
        self, subject_id: str, event_id: str, *, options: Optional[CallOptions] = None
    ) -> None: ...
    def extract_faces(
        self,
        image: ImageInput,
        limit: Optional[int] = None,
        *,
        options: Optional[CallOptions] = None,
    ) -> ResultList[FaceAttributes]: ...
    def search(
        self,
        probe: ImageInput,
        *,
        threshold: Optional[int] = None,
        limit: Optional[int] = None,
        tags: Optional[Iterable[str]] = None,
        options: Optional[CallOptions] = None,
    ) -> SearchResult: ...
    def verify_subject(
        self, subject_id: str, probe: ImageInput, *, options: Optional[CallOptions] = None
    ) -> Verification: ...
    def verify_faces(
        self, face: ImageInput, probe: ImageInput, *, options: Optional[CallOptions] = None
    ) -> FaceVerification: ...
    def list_tags(self, *, options: Optional[CallOptions] = None) -> ResultList[Tag]: ...
    def create_tag(self, name: str, *, options: Optional[CallOptions] = None) -> None: ...
    def rename_tag(
        self, old_name: str, new_name: str, *, options: Optional[CallOptions] = None
    ) -> None: ...
    def delete_tag(self, name: str, *, options: Optional[CallOptions] = None) -> None: ...
    def bulk_register(
        self, registrations: Iterable[RegistrationInput], *, options: Optional[CallOptions] = None
    ) -> str: ...
    def bulk_register_progress(
        self,
        batch_id: str,
        paging_id: Optional[str] = None,
        *,
        options: Optional[CallOptions] = None,
    ) -> BulkProgressPage: ...
    def wait_for_bulk_register(
        self,
        batch_id: str,
        *,
        poll_interval: float = 1.0,
        max_poll_interval: float = 15.0,
        timeout: float = 1800.0,
        on_progress: Optional[Callable[[BulkProgress], Any]] = None,
        options: Optional[CallOptions] = None,
    ) -> BulkProgress: ...
    def health(self, *, options: Optional[CallOptions] = None) -> Health: ...
    def sign_request(
        self,
        method: str,
        url: str,
        headers: Optional[HeadersInput] = None,
        body: Optional[BodyInput] = None,
        *,
        time: Union[datetime.datetime, float, None] = None,
    ) -> list[tuple[str, str]]: ...
    def list_galleries(self, *, options: Optional[CallOptions] = None) -> ResultList[Gallery]: ...
    def get_gallery(
        self, gallery_id: str, *, options: Optional[CallOptions] = None
    ) -> GalleryDetails: ...
    def create_gallery(
        self,
        name: str,
        *,
        description: Optional[str] = None,
        face_minimum_quality_score: Optional[float] = None,
        size: Optional[int] = None,
        options: Optional[CallOptions] = None,
    ) -> Gallery: ...
    def update_gallery(
        self,
        gallery_id: str,
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        size: Optional[int] = None,
        options: Optional[CallOptions] = None,
    ) -> Gallery: ...
    def delete_gallery(self, gallery_id: str, *, options: Optional[CallOptions] = None) -> None: ...
    def list_applications(
        self, *, options: Optional[CallOptions] = None
    ) -> ResultList[Application]: ...
    def get_application(
        self, application_id: str, *, options: Optional[CallOptions] = None
    ) -> Application: ...
    def create_application(
        self,
        name: str,
        gallery_id: str,
        *,
        description: Optional[str] = None,
        face_minimum_quality_score: Optional[float] = None,
        options: Optional[CallOptions] = None,
    ) -> Application: ...
    def update_application(
        self,
        application_id: str,
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        face_minimum_quality_score: Optional[float] = None,
        options: Optional[CallOptions] = None,
    ) -> Application: ...
    def delete_application(
        self, application_id: str, *, options: Optional[CallOptions] = None
    ) -> None: ...
    # END GENERATED

class AsyncClient:
    """asyncio NEC ID client: every operation returns an awaitable."""

    def __aenter__(self) -> Awaitable[Self]: ...
    def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> Awaitable[None]: ...
    def aclose(self) -> Awaitable[None]: ...
    def with_metadata(
        self, call: Callable[[AsyncClient], Awaitable[_T]]
    ) -> Awaitable[tuple[_T, ResponseMetadata]]: ...
    # BEGIN GENERATED: Client's shared members (tests/e2e/tests/surfaces.rs copies them;
    # NECID_BLESS=1 cargo test -p necid-e2e --test surfaces rewrites them).
    def __init__(self, **kwargs: Unpack[_Options]) -> None: ...
    @classmethod
    def from_env(cls, **overrides: Unpack[_Options]) -> Self: ...
    @classmethod
    def from_profile(cls, name: Optional[str] = None, **overrides: Unpack[_Options]) -> Self: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def tenant_endpoint(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def access_key_id(self) -> Optional[str]: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def subjects_paginator(
        self, length: int = 1000, dir: SortDirection = "asc"
    ) -> AsyncPageIterator[SubjectPage]: ...
    def bulk_progress_paginator(self, batch_id: str) -> AsyncPageIterator[BulkProgressPage]: ...
    # END GENERATED
    # BEGIN GENERATED: the operations (tests/e2e/tests/surfaces.rs renders them from
    # the core's operation table; NECID_BLESS=1 cargo test -p necid-e2e --test surfaces
    # rewrites them).
    def list_subjects(
        self,
        start: int = 0,
        length: int = 1000,
        dir: SortDirection = "asc",
        *,
        options: Optional[CallOptions] = None,
    ) -> Awaitable[SubjectPage]: ...
    def register_subject(
        self,
        face: ImageInput,
        tags: Optional[Iterable[str]] = None,
        *,
        options: Optional[CallOptions] = None,
    ) -> Awaitable[RegisteredFace]: ...
    def update_subject(
        self,
        subject_id: str,
        face: Optional[ImageInput] = None,
        tags: Optional[Iterable[str]] = None,
        *,
        options: Optional[CallOptions] = None,
    ) -> Awaitable[RegisteredFace]: ...
    def unregister_subject(
        self, subject_id: str, *, options: Optional[CallOptions] = None
    ) -> Awaitable[None]: ...
    def list_events(
        self, subject_id: str, *, options: Optional[CallOptions] = None
    ) -> Awaitable[EventList]: ...
    def register_event(
        self,
        subject_id: str,
        face: ImageInput,
        tags: Optional[Iterable[str]] = None,
        *,
        options: Optional[CallOptions] = None,
    ) -> Awaitable[RegisteredFace]: ...
    def update_event(
        self,
        subject_id: str,
        event_id: str,
        face: Optional[ImageInput] = None,
        tags: Optional[Iterable[str]] = None,
        *,
        options: Optional[CallOptions] = None,
    ) -> Awaitable[RegisteredFace]: ...
    def unregister_event(
        self, subject_id: str, event_id: str, *, options: Optional[CallOptions] = None
    ) -> Awaitable[None]: ...
    def extract_faces(
        self,
        image: ImageInput,
        limit: Optional[int] = None,
        *,
        options: Optional[CallOptions] = None,
    ) -> Awaitable[ResultList[FaceAttributes]]: ...
    def search(
        self,
        probe: ImageInput,
        *,
        threshold: Optional[int] = None,
        limit: Optional[int] = None,
        tags: Optional[Iterable[str]] = None,
        options: Optional[CallOptions] = None,
    ) -> Awaitable[SearchResult]: ...
    def verify_subject(
        self, subject_id: str, probe: ImageInput, *, options: Optional[CallOptions] = None
    ) -> Awaitable[Verification]: ...
    def verify_faces(
        self, face: ImageInput, probe: ImageInput, *, options: Optional[CallOptions] = None
    ) -> Awaitable[FaceVerification]: ...
    def list_tags(self, *, options: Optional[CallOptions] = None) -> Awaitable[ResultList[Tag]]: ...
    def create_tag(
        self, name: str, *, options: Optional[CallOptions] = None
    ) -> Awaitable[None]: ...
    def rename_tag(
        self, old_name: str, new_name: str, *, options: Optional[CallOptions] = None
    ) -> Awaitable[None]: ...
    def delete_tag(
        self, name: str, *, options: Optional[CallOptions] = None
    ) -> Awaitable[None]: ...
    def bulk_register(
        self, registrations: Iterable[RegistrationInput], *, options: Optional[CallOptions] = None
    ) -> Awaitable[str]: ...
    def bulk_register_progress(
        self,
        batch_id: str,
        paging_id: Optional[str] = None,
        *,
        options: Optional[CallOptions] = None,
    ) -> Awaitable[BulkProgressPage]: ...
    def wait_for_bulk_register(
        self,
        batch_id: str,
        *,
        poll_interval: float = 1.0,
        max_poll_interval: float = 15.0,
        timeout: float = 1800.0,
        on_progress: Optional[Callable[[BulkProgress], Any]] = None,
        options: Optional[CallOptions] = None,
    ) -> Awaitable[BulkProgress]: ...
    def health(self, *, options: Optional[CallOptions] = None) -> Awaitable[Health]: ...
    def sign_request(
        self,
        method: str,
        url: str,
        headers: Optional[HeadersInput] = None,
        body: Optional[BodyInput] = None,
        *,
        time: Union[datetime.datetime, float, None] = None,
    ) -> list[tuple[str, str]]: ...
    def list_galleries(
        self, *, options: Optional[CallOptions] = None
    ) -> Awaitable[ResultList[Gallery]]: ...
    def get_gallery(
        self, gallery_id: str, *, options: Optional[CallOptions] = None
    ) -> Awaitable[GalleryDetails]: ...
    def create_gallery(
        self,
        name: str,
        *,
        description: Optional[str] = None,
        face_minimum_quality_score: Optional[float] = None,
        size: Optional[int] = None,
        options: Optional[CallOptions] = None,
    ) -> Awaitable[Gallery]: ...
    def update_gallery(
        self,
        gallery_id: str,
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        size: Optional[int] = None,
        options: Optional[CallOptions] = None,
    ) -> Awaitable[Gallery]: ...
    def delete_gallery(
        self, gallery_id: str, *, options: Optional[CallOptions] = None
    ) -> Awaitable[None]: ...
    def list_applications(
        self, *, options: Optional[CallOptions] = None
    ) -> Awaitable[ResultList[Application]]: ...
    def get_application(
        self, application_id: str, *, options: Optional[CallOptions] = None
    ) -> Awaitable[Application]: ...
    def create_application(
        self,
        name: str,
        gallery_id: str,
        *,
        description: Optional[str] = None,
        face_minimum_quality_score: Optional[float] = None,
        options: Optional[CallOptions] = None,
    ) -> Awaitable[Application]: ...
    def update_application(
        self,
        application_id: str,
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        face_minimum_quality_score: Optional[float] = None,
        options: Optional[CallOptions] = None,
    ) -> Awaitable[Application]: ...
    def delete_application(
        self, application_id: str, *, options: Optional[CallOptions] = None
    ) -> Awaitable[None]: ...
    # END GENERATED
