//! `necid.Client` (blocking) and `necid.AsyncClient` (asyncio): every core operation.
//!
//! Both hold the configuration and a core client. A client used in a forked child
//! rebuilds its core client (whose connection pool belongs to the parent's runtime) on
//! first use; `close()` drops it, and later calls raise `InvalidInputError`.

use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use necid::{
    ApplicationUpdate, BulkProgress, BulkProgressPage, Config, ConfigBuilder, GalleryUpdate,
    NewApplication, NewGallery, SearchRequest, SortDirection, SubjectPage, WaitOptions,
};
use pyo3::exceptions::{PyRuntimeError, PyStopAsyncIteration, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::convert as cv;
use crate::err::{self, Fail, guard};
use crate::rt::{self, Msg};

// -------------------------------------------------------------------------------------
// shared state

struct Live {
    pid: u32,
    client: necid::Client,
}

/// Configuration + the core client (None once closed).
pub struct Core {
    config: Config,
    live: Mutex<Option<Live>>,
}

impl Core {
    fn new(py: Python<'_>, config: Config) -> PyResult<Core> {
        let client = necid::Client::new(config.clone()).map_err(|e| err::to_py(py, e))?;
        Ok(Core {
            config,
            live: Mutex::new(Some(Live {
                pid: std::process::id(),
                client,
            })),
        })
    }

    /// The core client for this process.
    fn get(&self, py: Python<'_>) -> PyResult<necid::Client> {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let Some(l) = live.as_mut() else {
            return Err(err::to_py(
                py,
                necid::Error::invalid_input("client", "the client is closed"),
            ));
        };
        let pid = std::process::id();
        if l.pid != pid {
            // Forked: the old pool's connections live on the parent's runtime. Leak it
            // rather than drop it (dropping would touch that dead runtime's driver).
            let fresh = necid::Client::new(self.config.clone()).map_err(|e| err::to_py(py, e))?;
            std::mem::forget(std::mem::replace(&mut l.client, fresh));
            l.pid = pid;
        }
        Ok(l.client.clone())
    }

    fn close(&self) {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = live.take()
            && l.pid != std::process::id()
        {
            std::mem::forget(l);
        }
    }

    fn closed(&self) -> bool {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    fn repr(&self, class: &str) -> String {
        let c = &self.config;
        format!(
            "{class}(endpoint={:?}, region={:?}, access_key_id={}, api_key={}{})",
            c.endpoint(),
            c.region(),
            c.access_key_id()
                .map_or_else(|| "None".to_owned(), |k| format!("{k:?}")),
            if c.has_api_key() { "'***'" } else { "None" },
            if self.closed() { ", closed" } else { "" }
        )
    }
}

fn build_config(
    py: Python<'_>,
    base: ConfigBuilder,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Config> {
    let b = cv::apply_settings(py, base, kwargs)?;
    b.build().map_err(|e| err::to_py(py, e))
}

fn config_from_env(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Config> {
    let base = py
        .detach(ConfigBuilder::from_env)
        .map_err(|e| err::to_py(py, e))?;
    build_config(py, base, kwargs)
}

fn config_from_profile(
    py: Python<'_>,
    name: Option<&str>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Config> {
    let config = py
        .detach(|| Config::from_profile(name))
        .map_err(|e| err::to_py(py, e))?;
    build_config(py, config.to_builder(), kwargs)
}

fn sort_dir(py: Python<'_>, dir: &str) -> PyResult<SortDirection> {
    dir.parse().map_err(|e| err::to_py(py, e))
}

fn wait_options(py: Python<'_>, poll: f64, max_poll: f64, timeout: f64) -> PyResult<WaitOptions> {
    Ok(WaitOptions {
        poll_interval: cv::seconds(py, poll, "poll_interval")?,
        max_poll_interval: cv::seconds(py, max_poll, "max_poll_interval")?,
        timeout: cv::seconds(py, timeout, "timeout")?,
    })
}

fn sign(
    py: Python<'_>,
    client: &necid::Client,
    method: &str,
    url: &str,
    headers: Option<&Bound<'_, PyAny>>,
    body: Option<&Bound<'_, PyAny>>,
    time: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<(String, String)>> {
    let headers = cv::headers(headers)?;
    let body = match body {
        Some(b) if !b.is_none() => cv::body(b)?,
        _ => bytes::Bytes::new(),
    };
    let result = match time {
        None => client.sign_request(method, url, &headers, &body),
        Some(t) if t.is_none() => client.sign_request(method, url, &headers, &body),
        Some(t) => {
            // A datetime (aware; naive means local time, as datetime.timestamp() says)
            // or seconds since the Unix epoch.
            let secs: f64 = if t.hasattr("timestamp")? {
                t.call_method0("timestamp")?.extract()?
            } else {
                t.extract().map_err(|_| {
                    PyTypeError::new_err("time: expected a datetime or seconds since the epoch")
                })?
            };
            let at = UNIX_EPOCH + cv::seconds(py, secs, "time")?;
            client.sign_request_at(method, url, &headers, &body, at)
        }
    };
    result.map_err(|e| err::to_py(py, e))
}

fn new_gallery(
    name: String,
    description: Option<String>,
    face_minimum_quality_score: Option<f64>,
    size: Option<u64>,
) -> NewGallery {
    NewGallery {
        name,
        description,
        face_minimum_quality_score,
        size,
    }
}

fn new_application(
    name: String,
    gallery_id: String,
    description: Option<String>,
    face_minimum_quality_score: Option<f64>,
) -> NewApplication {
    NewApplication {
        name,
        description,
        face_minimum_quality_score,
        gallery_id,
    }
}

fn none(py: Python<'_>, _: ()) -> PyResult<Bound<'_, PyAny>> {
    Ok(py.None().into_bound(py))
}

fn string(py: Python<'_>, s: String) -> PyResult<Bound<'_, PyAny>> {
    Ok(pyo3::types::PyString::new(py, &s).into_any())
}

// -------------------------------------------------------------------------------------
// paginators

/// A page of either paginator (one iterator class serves both).
pub enum Page {
    Subjects(SubjectPage),
    Bulk(BulkProgressPage),
}

impl Page {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Page::Subjects(p) => cv::subject_page(py, p),
            Page::Bulk(p) => cv::bulk_progress_page(py, p),
        }
    }
}

type PageStream = BoxStream<'static, necid::Result<Page>>;

fn subject_stream(c: &necid::Client, length: u32, dir: SortDirection) -> PageStream {
    c.subjects_paginator(length, dir)
        .map(|r| r.map(Page::Subjects))
        .boxed()
}

fn bulk_stream(c: &necid::Client, batch_id: &str) -> PageStream {
    c.bulk_progress_paginator(batch_id)
        .map(|r| r.map(Page::Bulk))
        .boxed()
}

enum IterState {
    Idle(PageStream),
    Busy,
    Done,
}

/// Iterator over the pages of a paginated operation; each step is one request (the GIL is
/// released while it runs). Returned by `Client.subjects_paginator` and
/// `Client.bulk_progress_paginator`.
#[pyclass(module = "necid", name = "PageIterator")]
pub struct PageIterator {
    state: Arc<Mutex<IterState>>,
}

#[pymethods]
impl PageIterator {
    /// The iterator itself.
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next page (one request); `StopIteration` after the last one.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        guard(py, || {
            let mut stream = {
                let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
                match std::mem::replace(&mut *st, IterState::Busy) {
                    IterState::Idle(s) => s,
                    IterState::Done => {
                        *st = IterState::Done;
                        return Ok(None);
                    }
                    IterState::Busy => {
                        return Err(PyRuntimeError::new_err(
                            "this paginator is being advanced by another thread",
                        ));
                    }
                }
            };
            let state = self.state.clone();
            // The stream travels into the task and back, so an interrupted step (Ctrl-C)
            // simply ends the iteration.
            let step = rt::block(py, async move {
                let item = stream.next().await;
                Ok((item, stream))
            });
            let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
            *st = IterState::Done;
            match step? {
                (None, _) => Ok(None),
                (Some(Err(e)), _) => Err(err::to_py(py, e)),
                (Some(Ok(page)), stream) => {
                    *st = IterState::Idle(stream);
                    drop(st);
                    page.to_py(py).map(Some)
                }
            }
        })
    }
}

/// Async iterator over the pages of a paginated operation (`async for page in ...`).
/// Returned by `AsyncClient.subjects_paginator` and `AsyncClient.bulk_progress_paginator`.
#[pyclass(module = "necid", name = "AsyncPageIterator")]
pub struct AsyncPageIterator {
    stream: Arc<tokio::sync::Mutex<Option<PageStream>>>,
}

#[pymethods]
impl AsyncPageIterator {
    /// The async iterator itself.
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// Awaitable of the next page; `StopAsyncIteration` after the last one.
    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let stream = self.stream.clone();
            rt::awaitable(
                py,
                async move {
                    let mut guard = stream.lock().await;
                    let Some(s) = guard.as_mut() else {
                        return Ok(None);
                    };
                    match s.next().await {
                        None => {
                            *guard = None;
                            Ok(None)
                        }
                        Some(Err(e)) => {
                            *guard = None;
                            Err(Fail::Core(e))
                        }
                        Some(Ok(p)) => Ok(Some(p)),
                    }
                },
                |py, page: Option<Page>| match page {
                    None => Err(PyStopAsyncIteration::new_err(())),
                    Some(p) => p.to_py(py),
                },
            )
        })
    }
}

// -------------------------------------------------------------------------------------
// the blocking client

/// Blocking NEC ID client.
///
/// Keyword arguments (all optional; unset ones take the SDK defaults): ``endpoint``,
/// ``tenant_endpoint``, ``region``, ``service``, ``access_key_id``,
/// ``secret_access_key``, ``session_token``, ``api_key``, ``connect_timeout`` and
/// ``request_timeout`` (seconds), ``max_attempts``, ``retry_base_delay``,
/// ``retry_max_delay`` and ``max_retry_after`` (seconds), ``user_agent_suffix``,
/// ``tls_roots`` (``"platform"``, ``"bundled"`` or ``"custom"``), ``ca_bundle`` (path of a
/// PEM file) and ``ca_bundle_pem`` (PEM ``bytes``/``str``) — the settings table of the
/// core's README. See also :meth:`from_env` and :meth:`from_profile`.
///
/// Every network call releases the GIL; one client can be shared by many threads (they
/// share its connection pool). Usable as a context manager; :meth:`close` releases the
/// connection pool. Errors are subclasses of :class:`necid.NecIdError`.
#[pyclass(module = "necid", name = "Client", frozen)]
pub struct Client {
    core: Core,
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (**kwargs))]
    fn new(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        guard(py, || {
            let config = build_config(py, ConfigBuilder::default(), kwargs)?;
            Ok(Client {
                core: Core::new(py, config)?,
            })
        })
    }

    /// A client configured from the profile file and ``NECID_*`` environment variables
    /// (environment wins); keyword arguments override both.
    #[classmethod]
    #[pyo3(signature = (**overrides))]
    fn from_env(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        overrides: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        guard(py, || {
            Ok(Client {
                core: Core::new(py, config_from_env(py, overrides)?)?,
            })
        })
    }

    /// A client configured from profile ``name`` (default: ``NECID_PROFILE`` or
    /// ``default``) of the profile file; keyword arguments override it.
    #[classmethod]
    #[pyo3(signature = (name=None, **overrides))]
    fn from_profile(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        name: Option<&str>,
        overrides: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        guard(py, || {
            Ok(Client {
                core: Core::new(py, config_from_profile(py, name, overrides)?)?,
            })
        })
    }

    /// Biometric API endpoint.
    #[getter]
    fn endpoint(&self) -> String {
        self.core.config.endpoint().to_owned()
    }
    /// Tenant (portal) API endpoint.
    #[getter]
    fn tenant_endpoint(&self) -> String {
        self.core.config.tenant_endpoint().to_owned()
    }
    /// SigV4 region.
    #[getter]
    fn region(&self) -> String {
        self.core.config.region().to_owned()
    }
    /// Access key id, if configured (never the secret).
    #[getter]
    fn access_key_id(&self) -> Option<String> {
        self.core.config.access_key_id().map(str::to_owned)
    }
    /// Whether :meth:`close` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.core.closed()
    }

    /// Endpoint, region and key id; never a secret.
    fn __repr__(&self) -> String {
        self.core.repr("Client")
    }

    /// The client itself (`with necid.Client(...) as client:`).
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the client (see `close`).
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) {
        self.core.close();
    }

    /// Release the connection pool. Later calls raise :class:`InvalidInputError`;
    /// calls already running finish normally. Idempotent.
    fn close(&self) {
        self.core.close();
    }

    /// One page of subject/event rows (``GET /subjects``); ``length`` 1-1000, ``dir``
    /// ``"asc"`` or ``"desc"``.
    #[pyo3(signature = (start=0, length=100, dir="asc"))]
    fn list_subjects<'py>(
        &self,
        py: Python<'py>,
        start: u32,
        length: u32,
        dir: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let d = sort_dir(py, dir)?;
            let v = rt::block(py, self.core.get(py)?.list_subjects(start, length, d))?;
            cv::subject_page(py, &v)
        })
    }

    /// Iterator over every page of list subjects, ``length`` rows at a time.
    #[pyo3(signature = (length=100, dir="asc"))]
    fn subjects_paginator(&self, py: Python<'_>, length: u32, dir: &str) -> PyResult<PageIterator> {
        guard(py, || {
            let d = sort_dir(py, dir)?;
            Ok(PageIterator {
                state: Arc::new(Mutex::new(IterState::Idle(subject_stream(
                    &self.core.get(py)?,
                    length,
                    d,
                )))),
            })
        })
    }

    /// Register a new subject from one face (``POST /subjects``).
    #[pyo3(signature = (face, tags=None))]
    fn register_subject<'py>(
        &self,
        py: Python<'py>,
        face: &Bound<'py, PyAny>,
        tags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let (img, t) = (cv::image(face, "face")?, cv::tags(tags, "tags")?);
            let v = rt::block(py, self.core.get(py)?.register_subject(img, &t))?;
            cv::registered_face(py, &v)
        })
    }

    /// Replace a subject's face and tags (``PUT /subjects/{id}``).
    #[pyo3(signature = (subject_id, face, tags=None))]
    fn update_subject<'py>(
        &self,
        py: Python<'py>,
        subject_id: &str,
        face: &Bound<'py, PyAny>,
        tags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let (img, t) = (cv::image(face, "face")?, cv::tags(tags, "tags")?);
            let v = rt::block(py, self.core.get(py)?.update_subject(subject_id, img, &t))?;
            cv::registered_face(py, &v)
        })
    }

    /// Unregister a subject and its events (``DELETE /subjects/{id}``).
    fn unregister_subject(&self, py: Python<'_>, subject_id: &str) -> PyResult<()> {
        guard(py, || {
            rt::block(py, self.core.get(py)?.unregister_subject(subject_id))
        })
    }

    /// A subject's events (``GET /subjects/{id}/events``).
    fn list_events<'py>(&self, py: Python<'py>, subject_id: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let v = rt::block(py, self.core.get(py)?.list_events(subject_id))?;
            cv::event_list(py, &v)
        })
    }

    /// Add a face to a subject (``POST /subjects/{id}/events``).
    #[pyo3(signature = (subject_id, face, tags=None))]
    fn register_event<'py>(
        &self,
        py: Python<'py>,
        subject_id: &str,
        face: &Bound<'py, PyAny>,
        tags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let (img, t) = (cv::image(face, "face")?, cv::tags(tags, "tags")?);
            let v = rt::block(py, self.core.get(py)?.register_event(subject_id, img, &t))?;
            cv::registered_face(py, &v)
        })
    }

    /// Replace one event's face (``PUT /subjects/{id}/events/{eventId}``).
    #[pyo3(signature = (subject_id, event_id, face, tags=None))]
    fn update_event<'py>(
        &self,
        py: Python<'py>,
        subject_id: &str,
        event_id: &str,
        face: &Bound<'py, PyAny>,
        tags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let (img, t) = (cv::image(face, "face")?, cv::tags(tags, "tags")?);
            let c = self.core.get(py)?;
            let v = rt::block(py, c.update_event(subject_id, event_id, img, &t))?;
            cv::registered_face(py, &v)
        })
    }

    /// Remove one event (``DELETE /subjects/{id}/events/{eventId}``).
    fn unregister_event(&self, py: Python<'_>, subject_id: &str, event_id: &str) -> PyResult<()> {
        guard(py, || {
            rt::block(
                py,
                self.core.get(py)?.unregister_event(subject_id, event_id),
            )
        })
    }

    /// Attributes of up to ``limit`` (1-20) faces in ``image`` (``POST /face/extract``).
    #[pyo3(signature = (image, limit=None))]
    fn extract_faces<'py>(
        &self,
        py: Python<'py>,
        image: &Bound<'py, PyAny>,
        limit: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let img = cv::image(image, "image")?;
            let v = rt::block(py, self.core.get(py)?.extract_faces(img, limit))?;
            cv::list(py, &v, cv::face_attributes)
        })
    }

    /// Search the gallery for ``probe`` (``POST /face/search``). No candidates is an
    /// empty result, not an error.
    #[pyo3(signature = (probe, *, threshold=None, limit=None, tags=None))]
    fn search<'py>(
        &self,
        py: Python<'py>,
        probe: &Bound<'py, PyAny>,
        threshold: Option<u32>,
        limit: Option<u32>,
        tags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let req = search_request(probe, threshold, limit, tags)?;
            let v = rt::block(py, self.core.get(py)?.search(req))?;
            cv::search_result(py, &v)
        })
    }

    /// Verify ``probe`` against a registered subject. A non-match is
    /// ``verified=False``, not an error.
    fn verify_subject<'py>(
        &self,
        py: Python<'py>,
        subject_id: &str,
        probe: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let img = cv::image(probe, "probe")?;
            let v = rt::block(py, self.core.get(py)?.verify_subject(subject_id, img))?;
            cv::verification(py, &v)
        })
    }

    /// Verify two faces against each other.
    fn verify_faces<'py>(
        &self,
        py: Python<'py>,
        face: &Bound<'py, PyAny>,
        probe: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let (a, b) = (cv::image(face, "face")?, cv::image(probe, "probe")?);
            let v = rt::block(py, self.core.get(py)?.verify_faces(a, b))?;
            cv::face_verification(py, &v)
        })
    }

    /// The gallery's tags (``GET /tags``).
    fn list_tags<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let v = rt::block(py, self.core.get(py)?.list_tags())?;
            cv::list(py, &v, cv::tag)
        })
    }

    /// Create a tag (``POST /tags/{name}``).
    fn create_tag(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        guard(py, || rt::block(py, self.core.get(py)?.create_tag(name)))
    }

    /// Rename a tag (``PUT /tags/{old}``).
    fn rename_tag(&self, py: Python<'_>, old_name: &str, new_name: &str) -> PyResult<()> {
        guard(py, || {
            rt::block(py, self.core.get(py)?.rename_tag(old_name, new_name))
        })
    }

    /// Delete a tag (``DELETE /tags/{name}``); subjects keep it.
    fn delete_tag(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        guard(py, || rt::block(py, self.core.get(py)?.delete_tag(name)))
    }

    /// Start a bulk registration of files in the gallery's bucket; returns the batch id.
    /// Items: :class:`necid.BulkRegistration`, ``(filename, tags)`` or a file name.
    fn bulk_register(&self, py: Python<'_>, registrations: &Bound<'_, PyAny>) -> PyResult<String> {
        guard(py, || {
            let regs = cv::registrations(registrations)?;
            rt::block(py, self.core.get(py)?.bulk_register(&regs))
        })
    }

    /// One page of a batch's progress.
    #[pyo3(signature = (batch_id, paging_id=None))]
    fn bulk_register_progress<'py>(
        &self,
        py: Python<'py>,
        batch_id: &str,
        paging_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let c = self.core.get(py)?;
            let v = rt::block(py, c.bulk_register_progress(batch_id, paging_id))?;
            cv::bulk_progress_page(py, &v)
        })
    }

    /// Iterator over every progress page of a batch.
    fn bulk_progress_paginator(&self, py: Python<'_>, batch_id: &str) -> PyResult<PageIterator> {
        guard(py, || {
            Ok(PageIterator {
                state: Arc::new(Mutex::new(IterState::Idle(bulk_stream(
                    &self.core.get(py)?,
                    batch_id,
                )))),
            })
        })
    }

    /// Poll a batch until every record is processed; returns all records. After each
    /// poll, ``on_progress(progress)`` is called on this thread; an exception it raises
    /// stops the wait and propagates. Polls back off from ``poll_interval`` (x1.5) to
    /// ``max_poll_interval`` seconds; :class:`TimedOutError` after ``timeout`` seconds.
    #[pyo3(signature = (batch_id, *, poll_interval=1.0, max_poll_interval=15.0, timeout=1800.0, on_progress=None))]
    fn wait_for_bulk_register<'py>(
        &self,
        py: Python<'py>,
        batch_id: &str,
        poll_interval: f64,
        max_poll_interval: f64,
        timeout: f64,
        on_progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let opts = wait_options(py, poll_interval, max_poll_interval, timeout)?;
            let (tx, rx) = std::sync::mpsc::channel::<Msg<BulkProgress, BulkProgress>>();
            let events = tx.clone();
            let wants_events = on_progress.is_some();
            let fut = self
                .core
                .get(py)?
                .wait_for_bulk_register(batch_id, opts, move |p| {
                    if wants_events {
                        let _ = events.send(Msg::Event(p.clone()));
                    }
                });
            let v = rt::block_with(
                py,
                async move { fut.await.map_err(Fail::from) },
                tx,
                rx,
                |py, p| match &on_progress {
                    Some(cb) => cb.call1((cv::bulk_progress(py, &p)?,)).map(|_| ()),
                    None => Ok(()),
                },
            )?;
            cv::bulk_progress(py, &v)
        })
    }

    /// ``GET /health`` (signed when credentials are configured).
    fn health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let v = rt::block(py, self.core.get(py)?.health())?;
            cv::health(py, &v)
        })
    }

    /// Sign a custom request and return the headers to add, as ``(name, value)`` pairs:
    /// ``x-api-key`` (when configured and not in ``headers``), ``x-amz-date``,
    /// ``x-amz-security-token`` (with a session token) and ``authorization``.
    ///
    /// ``url`` is absolute and percent-encoded as sent; every header in ``headers`` (a
    /// mapping or ``(name, value)`` pairs) is signed; ``body`` is the exact body. ``time``
    /// (a datetime or epoch seconds) fixes the signing time, for reproducible signatures.
    #[pyo3(signature = (method, url, headers=None, body=None, *, time=None))]
    fn sign_request(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        time: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<(String, String)>> {
        guard(py, || {
            sign(py, &self.core.get(py)?, method, url, headers, body, time)
        })
    }

    /// Tenant API: every gallery.
    fn list_galleries<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let v = rt::block(py, self.core.get(py)?.list_galleries())?;
            cv::list(py, &v, cv::gallery)
        })
    }

    /// Tenant API: one gallery with its applications.
    fn get_gallery<'py>(&self, py: Python<'py>, gallery_id: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let v = rt::block(py, self.core.get(py)?.get_gallery(gallery_id))?;
            cv::gallery_details(py, &v)
        })
    }

    /// Tenant API: create a gallery (and an application; the result carries its API key).
    #[pyo3(signature = (name, *, description=None, face_minimum_quality_score=None, size=None))]
    fn create_gallery<'py>(
        &self,
        py: Python<'py>,
        name: String,
        description: Option<String>,
        face_minimum_quality_score: Option<f64>,
        size: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let g = new_gallery(name, description, face_minimum_quality_score, size);
            let v = rt::block(py, self.core.get(py)?.create_gallery(g))?;
            cv::gallery(py, &v)
        })
    }

    /// Tenant API: change a gallery (only the arguments given are sent).
    #[pyo3(signature = (gallery_id, *, name=None, description=None, size=None))]
    fn update_gallery<'py>(
        &self,
        py: Python<'py>,
        gallery_id: &str,
        name: Option<String>,
        description: Option<String>,
        size: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let u = GalleryUpdate {
                name,
                description,
                size,
            };
            let v = rt::block(py, self.core.get(py)?.update_gallery(gallery_id, u))?;
            cv::gallery(py, &v)
        })
    }

    /// Tenant API: delete a gallery and its applications.
    fn delete_gallery(&self, py: Python<'_>, gallery_id: &str) -> PyResult<()> {
        guard(py, || {
            rt::block(py, self.core.get(py)?.delete_gallery(gallery_id))
        })
    }

    /// Tenant API: every application.
    fn list_applications<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let v = rt::block(py, self.core.get(py)?.list_applications())?;
            cv::list(py, &v, cv::application)
        })
    }

    /// Tenant API: one application.
    fn get_application<'py>(
        &self,
        py: Python<'py>,
        application_id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let v = rt::block(py, self.core.get(py)?.get_application(application_id))?;
            cv::application(py, &v)
        })
    }

    /// Tenant API: a new application (API key) for an existing gallery.
    #[pyo3(signature = (name, gallery_id, *, description=None, face_minimum_quality_score=None))]
    fn create_application<'py>(
        &self,
        py: Python<'py>,
        name: String,
        gallery_id: String,
        description: Option<String>,
        face_minimum_quality_score: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let a = new_application(name, gallery_id, description, face_minimum_quality_score);
            let v = rt::block(py, self.core.get(py)?.create_application(a))?;
            cv::application(py, &v)
        })
    }

    /// Tenant API: change an application (only the arguments given are sent).
    #[pyo3(signature = (application_id, *, name=None, description=None, face_minimum_quality_score=None))]
    fn update_application<'py>(
        &self,
        py: Python<'py>,
        application_id: &str,
        name: Option<String>,
        description: Option<String>,
        face_minimum_quality_score: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let u = ApplicationUpdate {
                name,
                description,
                face_minimum_quality_score,
            };
            let c = self.core.get(py)?;
            let v = rt::block(py, c.update_application(application_id, u))?;
            cv::application(py, &v)
        })
    }

    /// Tenant API: delete an application.
    fn delete_application(&self, py: Python<'_>, application_id: &str) -> PyResult<()> {
        guard(py, || {
            rt::block(py, self.core.get(py)?.delete_application(application_id))
        })
    }
}

fn search_request(
    probe: &Bound<'_, PyAny>,
    threshold: Option<u32>,
    limit: Option<u32>,
    tags: Option<&Bound<'_, PyAny>>,
) -> PyResult<SearchRequest> {
    let mut req = SearchRequest::new(cv::image(probe, "probe")?);
    req.threshold = threshold;
    req.limit = limit;
    req.tags = cv::tags(tags, "tags")?;
    Ok(req)
}

// -------------------------------------------------------------------------------------
// the asyncio client

/// Delivers a progress object to the user's callback on the event loop thread, and
/// reports back (Ok, or the exception it raised) so the wait can stop on an exception
/// and completes only after every callback has run.
#[pyclass(module = "necid")]
struct ProgressRelay {
    callback: Py<PyAny>,
    acks: tokio::sync::mpsc::UnboundedSender<PyResult<()>>,
}

#[pymethods]
impl ProgressRelay {
    fn __call__(&self, py: Python<'_>, progress: &Bound<'_, PyAny>) {
        let outcome = self.callback.call1(py, (progress,)).map(|_| ());
        // The wait may be over (cancelled): then nobody needs the answer.
        let _ = self.acks.send(outcome);
    }
}

/// Await `fut` while acknowledgements of scheduled progress callbacks arrive; fail with
/// the first callback exception; on success wait until all `scheduled` callbacks ran.
async fn with_progress<T>(
    fut: impl std::future::Future<Output = necid::Result<T>>,
    scheduled: Arc<std::sync::atomic::AtomicUsize>,
    mut acks: tokio::sync::mpsc::UnboundedReceiver<PyResult<()>>,
) -> Result<T, Fail> {
    let mut fut = std::pin::pin!(fut);
    let mut received = 0usize;
    let result = loop {
        tokio::select! {
            r = &mut fut => break r,
            Some(ack) = acks.recv() => match ack {
                Ok(()) => received += 1,
                Err(e) => return Err(Fail::Py(e)),
            },
        }
    };
    let value = result.map_err(Fail::from)?;
    while received < scheduled.load(std::sync::atomic::Ordering::SeqCst) {
        match acks.recv().await {
            Some(Ok(())) => received += 1,
            Some(Err(e)) => return Err(Fail::Py(e)),
            // The loop dropped the callbacks (it is closing): nothing more will come.
            None => break,
        }
    }
    Ok(value)
}

/// asyncio NEC ID client: every operation is a coroutine-like awaitable.
///
/// Takes the same keyword arguments as :class:`Client`, and has the same
/// :meth:`from_env` / :meth:`from_profile` constructors. Requests run on the SDK's own
/// I/O threads, so awaiting never blocks the event loop; cancelling the awaiting task
/// aborts the request and leaves the client usable. Usable as ``async with``;
/// :meth:`aclose` (or :meth:`close`) releases the connection pool.
#[pyclass(module = "necid", name = "AsyncClient", frozen)]
pub struct AsyncClient {
    core: Core,
}

#[pymethods]
impl AsyncClient {
    #[new]
    #[pyo3(signature = (**kwargs))]
    fn new(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        guard(py, || {
            let config = build_config(py, ConfigBuilder::default(), kwargs)?;
            Ok(AsyncClient {
                core: Core::new(py, config)?,
            })
        })
    }

    /// Like :meth:`Client.from_env`.
    #[classmethod]
    #[pyo3(signature = (**overrides))]
    fn from_env(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        overrides: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        guard(py, || {
            Ok(AsyncClient {
                core: Core::new(py, config_from_env(py, overrides)?)?,
            })
        })
    }

    /// Like :meth:`Client.from_profile`.
    #[classmethod]
    #[pyo3(signature = (name=None, **overrides))]
    fn from_profile(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        name: Option<&str>,
        overrides: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        guard(py, || {
            Ok(AsyncClient {
                core: Core::new(py, config_from_profile(py, name, overrides)?)?,
            })
        })
    }

    /// Biometric API endpoint.
    #[getter]
    fn endpoint(&self) -> String {
        self.core.config.endpoint().to_owned()
    }
    /// Tenant (portal) API endpoint.
    #[getter]
    fn tenant_endpoint(&self) -> String {
        self.core.config.tenant_endpoint().to_owned()
    }
    /// SigV4 region.
    #[getter]
    fn region(&self) -> String {
        self.core.config.region().to_owned()
    }
    /// Access key id, if configured (never the secret).
    #[getter]
    fn access_key_id(&self) -> Option<String> {
        self.core.config.access_key_id().map(str::to_owned)
    }
    /// Whether the client was closed.
    #[getter]
    fn closed(&self) -> bool {
        self.core.closed()
    }

    /// Endpoint, region and key id; never a secret.
    fn __repr__(&self) -> String {
        self.core.repr("AsyncClient")
    }

    /// Awaitable of the client itself (`async with necid.AsyncClient(...) as c:`).
    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let me = slf.unbind();
        rt::awaitable(py, async { Ok::<_, Fail>(()) }, move |py, ()| {
            Ok(me.into_bound(py).into_any())
        })
    }

    /// Closes the client; returns an awaitable.
    #[pyo3(signature = (*_args))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _args: &Bound<'py, pyo3::types::PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.core.close();
        rt::awaitable(py, async { Ok::<_, Fail>(()) }, none)
    }

    /// Release the connection pool (awaitable form of :meth:`close`).
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.core.close();
        rt::awaitable(py, async { Ok::<_, Fail>(()) }, none)
    }

    /// Release the connection pool. Later calls raise :class:`InvalidInputError`.
    fn close(&self) {
        self.core.close();
    }

    /// See :meth:`Client.list_subjects`.
    #[pyo3(signature = (start=0, length=100, dir="asc"))]
    fn list_subjects<'py>(
        &self,
        py: Python<'py>,
        start: u32,
        length: u32,
        dir: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let d = sort_dir(py, dir)?;
            let fut = self.core.get(py)?.list_subjects(start, length, d);
            rt::awaitable(py, fut, |py, v| cv::subject_page(py, &v))
        })
    }

    /// Async iterator over every page of list subjects.
    #[pyo3(signature = (length=100, dir="asc"))]
    fn subjects_paginator(
        &self,
        py: Python<'_>,
        length: u32,
        dir: &str,
    ) -> PyResult<AsyncPageIterator> {
        guard(py, || {
            let d = sort_dir(py, dir)?;
            Ok(AsyncPageIterator {
                stream: Arc::new(tokio::sync::Mutex::new(Some(subject_stream(
                    &self.core.get(py)?,
                    length,
                    d,
                )))),
            })
        })
    }

    /// See :meth:`Client.register_subject`.
    #[pyo3(signature = (face, tags=None))]
    fn register_subject<'py>(
        &self,
        py: Python<'py>,
        face: &Bound<'py, PyAny>,
        tags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let (img, t) = (cv::image(face, "face")?, cv::tags(tags, "tags")?);
            let fut = self.core.get(py)?.register_subject(img, &t);
            rt::awaitable(py, fut, |py, v| cv::registered_face(py, &v))
        })
    }

    /// See :meth:`Client.update_subject`.
    #[pyo3(signature = (subject_id, face, tags=None))]
    fn update_subject<'py>(
        &self,
        py: Python<'py>,
        subject_id: &str,
        face: &Bound<'py, PyAny>,
        tags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let (img, t) = (cv::image(face, "face")?, cv::tags(tags, "tags")?);
            let fut = self.core.get(py)?.update_subject(subject_id, img, &t);
            rt::awaitable(py, fut, |py, v| cv::registered_face(py, &v))
        })
    }

    /// See :meth:`Client.unregister_subject`.
    fn unregister_subject<'py>(
        &self,
        py: Python<'py>,
        subject_id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.unregister_subject(subject_id);
            rt::awaitable(py, fut, none)
        })
    }

    /// See :meth:`Client.list_events`.
    fn list_events<'py>(&self, py: Python<'py>, subject_id: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.list_events(subject_id);
            rt::awaitable(py, fut, |py, v| cv::event_list(py, &v))
        })
    }

    /// See :meth:`Client.register_event`.
    #[pyo3(signature = (subject_id, face, tags=None))]
    fn register_event<'py>(
        &self,
        py: Python<'py>,
        subject_id: &str,
        face: &Bound<'py, PyAny>,
        tags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let (img, t) = (cv::image(face, "face")?, cv::tags(tags, "tags")?);
            let fut = self.core.get(py)?.register_event(subject_id, img, &t);
            rt::awaitable(py, fut, |py, v| cv::registered_face(py, &v))
        })
    }

    /// See :meth:`Client.update_event`.
    #[pyo3(signature = (subject_id, event_id, face, tags=None))]
    fn update_event<'py>(
        &self,
        py: Python<'py>,
        subject_id: &str,
        event_id: &str,
        face: &Bound<'py, PyAny>,
        tags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let (img, t) = (cv::image(face, "face")?, cv::tags(tags, "tags")?);
            let fut = self
                .core
                .get(py)?
                .update_event(subject_id, event_id, img, &t);
            rt::awaitable(py, fut, |py, v| cv::registered_face(py, &v))
        })
    }

    /// See :meth:`Client.unregister_event`.
    fn unregister_event<'py>(
        &self,
        py: Python<'py>,
        subject_id: &str,
        event_id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.unregister_event(subject_id, event_id);
            rt::awaitable(py, fut, none)
        })
    }

    /// See :meth:`Client.extract_faces`.
    #[pyo3(signature = (image, limit=None))]
    fn extract_faces<'py>(
        &self,
        py: Python<'py>,
        image: &Bound<'py, PyAny>,
        limit: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let img = cv::image(image, "image")?;
            let fut = self.core.get(py)?.extract_faces(img, limit);
            rt::awaitable(py, fut, |py, v| cv::list(py, &v, cv::face_attributes))
        })
    }

    /// See :meth:`Client.search`.
    #[pyo3(signature = (probe, *, threshold=None, limit=None, tags=None))]
    fn search<'py>(
        &self,
        py: Python<'py>,
        probe: &Bound<'py, PyAny>,
        threshold: Option<u32>,
        limit: Option<u32>,
        tags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let req = search_request(probe, threshold, limit, tags)?;
            let fut = self.core.get(py)?.search(req);
            rt::awaitable(py, fut, |py, v| cv::search_result(py, &v))
        })
    }

    /// See :meth:`Client.verify_subject`.
    fn verify_subject<'py>(
        &self,
        py: Python<'py>,
        subject_id: &str,
        probe: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let img = cv::image(probe, "probe")?;
            let fut = self.core.get(py)?.verify_subject(subject_id, img);
            rt::awaitable(py, fut, |py, v| cv::verification(py, &v))
        })
    }

    /// See :meth:`Client.verify_faces`.
    fn verify_faces<'py>(
        &self,
        py: Python<'py>,
        face: &Bound<'py, PyAny>,
        probe: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let (a, b) = (cv::image(face, "face")?, cv::image(probe, "probe")?);
            let fut = self.core.get(py)?.verify_faces(a, b);
            rt::awaitable(py, fut, |py, v| cv::face_verification(py, &v))
        })
    }

    /// See :meth:`Client.list_tags`.
    fn list_tags<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.list_tags();
            rt::awaitable(py, fut, |py, v| cv::list(py, &v, cv::tag))
        })
    }

    /// See :meth:`Client.create_tag`.
    fn create_tag<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.create_tag(name);
            rt::awaitable(py, fut, none)
        })
    }

    /// See :meth:`Client.rename_tag`.
    fn rename_tag<'py>(
        &self,
        py: Python<'py>,
        old_name: &str,
        new_name: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.rename_tag(old_name, new_name);
            rt::awaitable(py, fut, none)
        })
    }

    /// See :meth:`Client.delete_tag`.
    fn delete_tag<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.delete_tag(name);
            rt::awaitable(py, fut, none)
        })
    }

    /// See :meth:`Client.bulk_register`.
    fn bulk_register<'py>(
        &self,
        py: Python<'py>,
        registrations: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let regs = cv::registrations(registrations)?;
            let fut = self.core.get(py)?.bulk_register(&regs);
            rt::awaitable(py, fut, string)
        })
    }

    /// See :meth:`Client.bulk_register_progress`.
    #[pyo3(signature = (batch_id, paging_id=None))]
    fn bulk_register_progress<'py>(
        &self,
        py: Python<'py>,
        batch_id: &str,
        paging_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self
                .core
                .get(py)?
                .bulk_register_progress(batch_id, paging_id);
            rt::awaitable(py, fut, |py, v| cv::bulk_progress_page(py, &v))
        })
    }

    /// Async iterator over every progress page of a batch.
    fn bulk_progress_paginator(
        &self,
        py: Python<'_>,
        batch_id: &str,
    ) -> PyResult<AsyncPageIterator> {
        guard(py, || {
            Ok(AsyncPageIterator {
                stream: Arc::new(tokio::sync::Mutex::new(Some(bulk_stream(
                    &self.core.get(py)?,
                    batch_id,
                )))),
            })
        })
    }

    /// See :meth:`Client.wait_for_bulk_register`. ``on_progress`` is called on the event
    /// loop's thread (scheduled with ``call_soon_threadsafe``), before the awaitable
    /// completes; an exception it raises stops the wait and is raised from it.
    #[pyo3(signature = (batch_id, *, poll_interval=1.0, max_poll_interval=15.0, timeout=1800.0, on_progress=None))]
    fn wait_for_bulk_register<'py>(
        &self,
        py: Python<'py>,
        batch_id: &str,
        poll_interval: f64,
        max_poll_interval: f64,
        timeout: f64,
        on_progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let opts = wait_options(py, poll_interval, max_poll_interval, timeout)?;
            let (acks_tx, acks_rx) = tokio::sync::mpsc::unbounded_channel::<PyResult<()>>();
            let scheduled = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let relay = match on_progress {
                Some(cb) => {
                    let event_loop = pyo3_async_runtimes::get_running_loop(py)?.unbind();
                    let relay = Py::new(
                        py,
                        ProgressRelay {
                            callback: cb.unbind(),
                            acks: acks_tx,
                        },
                    )?;
                    Some((event_loop, relay))
                }
                None => None,
            };
            let counter = scheduled.clone();
            let fut = self
                .core
                .get(py)?
                .wait_for_bulk_register(batch_id, opts, move |p| {
                    if let Some((event_loop, relay)) = &relay {
                        Python::attach(|py| {
                            let sent = cv::bulk_progress(py, p).and_then(|obj| {
                                event_loop.call_method1(
                                    py,
                                    "call_soon_threadsafe",
                                    (relay.clone_ref(py), obj),
                                )
                            });
                            // A closed loop means nobody is waiting any more.
                            if sent.is_ok() {
                                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            }
                        });
                    }
                });
            rt::awaitable(py, with_progress(fut, scheduled, acks_rx), |py, v| {
                cv::bulk_progress(py, &v)
            })
        })
    }

    /// See :meth:`Client.health`.
    fn health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.health();
            rt::awaitable(py, fut, |py, v| cv::health(py, &v))
        })
    }

    /// See :meth:`Client.sign_request` (no I/O: returns the headers directly).
    #[pyo3(signature = (method, url, headers=None, body=None, *, time=None))]
    fn sign_request(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        time: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<(String, String)>> {
        guard(py, || {
            sign(py, &self.core.get(py)?, method, url, headers, body, time)
        })
    }

    /// See :meth:`Client.list_galleries`.
    fn list_galleries<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.list_galleries();
            rt::awaitable(py, fut, |py, v| cv::list(py, &v, cv::gallery))
        })
    }

    /// See :meth:`Client.get_gallery`.
    fn get_gallery<'py>(&self, py: Python<'py>, gallery_id: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.get_gallery(gallery_id);
            rt::awaitable(py, fut, |py, v| cv::gallery_details(py, &v))
        })
    }

    /// See :meth:`Client.create_gallery`.
    #[pyo3(signature = (name, *, description=None, face_minimum_quality_score=None, size=None))]
    fn create_gallery<'py>(
        &self,
        py: Python<'py>,
        name: String,
        description: Option<String>,
        face_minimum_quality_score: Option<f64>,
        size: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let g = new_gallery(name, description, face_minimum_quality_score, size);
            let fut = self.core.get(py)?.create_gallery(g);
            rt::awaitable(py, fut, |py, v| cv::gallery(py, &v))
        })
    }

    /// See :meth:`Client.update_gallery`.
    #[pyo3(signature = (gallery_id, *, name=None, description=None, size=None))]
    fn update_gallery<'py>(
        &self,
        py: Python<'py>,
        gallery_id: &str,
        name: Option<String>,
        description: Option<String>,
        size: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let u = GalleryUpdate {
                name,
                description,
                size,
            };
            let fut = self.core.get(py)?.update_gallery(gallery_id, u);
            rt::awaitable(py, fut, |py, v| cv::gallery(py, &v))
        })
    }

    /// See :meth:`Client.delete_gallery`.
    fn delete_gallery<'py>(
        &self,
        py: Python<'py>,
        gallery_id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.delete_gallery(gallery_id);
            rt::awaitable(py, fut, none)
        })
    }

    /// See :meth:`Client.list_applications`.
    fn list_applications<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.list_applications();
            rt::awaitable(py, fut, |py, v| cv::list(py, &v, cv::application))
        })
    }

    /// See :meth:`Client.get_application`.
    fn get_application<'py>(
        &self,
        py: Python<'py>,
        application_id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.get_application(application_id);
            rt::awaitable(py, fut, |py, v| cv::application(py, &v))
        })
    }

    /// See :meth:`Client.create_application`.
    #[pyo3(signature = (name, gallery_id, *, description=None, face_minimum_quality_score=None))]
    fn create_application<'py>(
        &self,
        py: Python<'py>,
        name: String,
        gallery_id: String,
        description: Option<String>,
        face_minimum_quality_score: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let a = new_application(name, gallery_id, description, face_minimum_quality_score);
            let fut = self.core.get(py)?.create_application(a);
            rt::awaitable(py, fut, |py, v| cv::application(py, &v))
        })
    }

    /// See :meth:`Client.update_application`.
    #[pyo3(signature = (application_id, *, name=None, description=None, face_minimum_quality_score=None))]
    fn update_application<'py>(
        &self,
        py: Python<'py>,
        application_id: &str,
        name: Option<String>,
        description: Option<String>,
        face_minimum_quality_score: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let u = ApplicationUpdate {
                name,
                description,
                face_minimum_quality_score,
            };
            let fut = self.core.get(py)?.update_application(application_id, u);
            rt::awaitable(py, fut, |py, v| cv::application(py, &v))
        })
    }

    /// See :meth:`Client.delete_application`.
    fn delete_application<'py>(
        &self,
        py: Python<'py>,
        application_id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.core.get(py)?.delete_application(application_id);
            rt::awaitable(py, fut, none)
        })
    }
}

/// Test hook: panic inside the extension (synchronously, or inside an awaitable when
/// `in_future`), to check that a panic surfaces as `NecIdError`. Only in builds with the
/// `test-hooks` feature (the test suite's); never in a shipped wheel.
#[cfg(feature = "test-hooks")]
#[pyfunction]
#[pyo3(signature = (in_future=false))]
pub fn _panic_for_tests(py: Python<'_>, in_future: bool) -> PyResult<Bound<'_, PyAny>> {
    if in_future {
        return rt::awaitable(
            py,
            async { deliberate_panic("deliberate test panic (async)") },
            none,
        );
    }
    guard(py, || {
        deliberate_panic("deliberate test panic").map_err(|f| f.into_py(py))?;
        Ok(py.None().into_bound(py))
    })
}

// The one deliberate panic of the crate: the test hook above exists to trigger it.
#[cfg(feature = "test-hooks")]
#[allow(clippy::panic)]
fn deliberate_panic(message: &'static str) -> Result<(), Fail> {
    std::panic::panic_any(message)
}
