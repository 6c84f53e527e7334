//! `necid.Client` (blocking) and `necid.AsyncClient` (asyncio): every core operation,
//! both expanded from the core's operation table (`py_clients!` below).
//!
//! Both hold the configuration and a core client. A client used in a forked child
//! rebuilds its core client (whose connection pool belongs to the parent's runtime) on
//! first use; `close()` drops it, and later calls raise `InvalidInputError`.

use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use necid::{
    ApplicationUpdate, BulkProgress, Config, ConfigBuilder, GalleryUpdate, NewApplication,
    NewGallery, SearchRequest, SortDirection, WaitOptions,
};
use pyo3::exceptions::{PyRuntimeError, PyStopAsyncIteration, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::convert::{self as cv, ToPy};
use crate::err::{self, guard};
use crate::options::{CallOptions, MetadataReader, call_client, on_list, on_model};
use crate::rt;

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

/// The configuration of `b` with the keyword arguments `kwargs`: the settings, and
/// `credentials_provider` (a callable, not a setting of the table).
fn build_config(
    py: Python<'_>,
    mut b: ConfigBuilder,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Config> {
    for (k, v) in kwargs.into_iter().flat_map(|d| d.iter()) {
        let name: String = k.extract()?;
        if name != "credentials_provider" {
            b = cv::setting(py, b, &name, &v)?;
        } else if !v.is_none() {
            if !v.is_callable() {
                return Err(PyTypeError::new_err(
                    "credentials_provider must be a callable returning a mapping",
                ));
            }
            b = b.credentials_provider(py_credentials_provider(v.unbind()));
        }
    }
    b.build().map_err(|e| err::to_py(py, e))
}

/// A Python callable as the core's provider: called (on the SDK's blocking pool, with the
/// GIL) with no arguments, it returns a mapping with `access_key_id`, `secret_access_key`,
/// optional `session_token` and `expiration` (an aware `datetime` or POSIX seconds). What
/// it raises fails the call as an `AuthError`.
fn py_credentials_provider(f: Py<PyAny>) -> Arc<dyn necid::ProvideCredentials> {
    necid::credentials_fn(move || {
        Python::attach(|py| {
            let fail = |what: String| {
                necid::Error::new(
                    necid::ErrorKind::Auth,
                    format!("credentials_provider {what}"),
                )
            };
            let r = f
                .call0(py)
                .map_err(|e| fail(format!("raised {}", e.value(py))))?;
            let r = r.bind(py);
            let get = |k: &str| r.get_item(k).ok().filter(|v| !v.is_none());
            let text = |k: &str| {
                get(k)
                    .map(|v| v.extract::<String>())
                    .transpose()
                    .map_err(|_| fail(format!("returned a {k} that is not a str")))
            };
            let id = text("access_key_id")?
                .ok_or_else(|| fail("returned no access_key_id".to_owned()))?;
            let secret = text("secret_access_key")?
                .ok_or_else(|| fail("returned no secret_access_key".to_owned()))?;
            let mut c = necid::Credentials::new(id, secret);
            if let Some(t) = text("session_token")? {
                c = c.session_token(t);
            }
            if let Some(exp) = get("expiration") {
                let secs = cv::epoch_seconds(&exp).map_err(|_| {
                    fail("returned an expiration that is neither a datetime nor seconds".to_owned())
                })?;
                let at = std::time::Duration::try_from_secs_f64(secs.max(0.0))
                    .map_err(|_| fail("returned an expiration out of range".to_owned()))?;
                c = c.expires_at(Some(UNIX_EPOCH + at));
            }
            Ok(c)
        })
    })
}

fn sort_dir(py: Python<'_>, dir: &str) -> PyResult<SortDirection> {
    dir.parse().map_err(|e| err::to_py(py, e))
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
            let secs = cv::epoch_seconds(t).map_err(|_| {
                PyTypeError::new_err("time: expected a datetime or seconds since the epoch")
            })?;
            let at = UNIX_EPOCH + cv::seconds(py, secs, "time")?;
            client.sign_request_at(method, url, &headers, &body, at)
        }
    };
    result.map_err(|e| err::to_py(py, e))
}

fn none(py: Python<'_>, _: ()) -> PyResult<Bound<'_, PyAny>> {
    Ok(py.None().into_bound(py))
}

// -------------------------------------------------------------------------------------
// paginators

/// A page of either paginator, converted when Python takes it.
type Page = Box<dyn ToPy + Send>;

type PageStream = BoxStream<'static, necid::Result<Page>>;

fn page_stream<P: ToPy + Send + 'static>(
    pages: impl futures_util::Stream<Item = necid::Result<P>> + Send + 'static,
) -> PageStream {
    pages.map(|r| r.map(|p| Box::new(p) as Page)).boxed()
}

/// The pages of an iterator of either class: `None` once the iteration ended.
type Pages = Arc<tokio::sync::Mutex<Option<PageStream>>>;

/// The next page; the iteration ends after the last page and after an error.
async fn next_page(pages: &mut Option<PageStream>) -> necid::Result<Option<Page>> {
    let Some(stream) = pages.as_mut() else {
        return Ok(None);
    };
    let item = stream.next().await;
    if !matches!(item, Some(Ok(_))) {
        *pages = None;
    }
    item.transpose()
}

/// Iterator over the pages of a paginated operation; each step is one request (the GIL is
/// released while it runs). Returned by `Client.subjects_paginator` and
/// `Client.bulk_progress_paginator`.
#[pyclass(module = "necid", name = "PageIterator")]
pub struct PageIterator {
    pages: Pages,
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
            let mut pages = self.pages.try_lock().map_err(|_| {
                PyRuntimeError::new_err("this paginator is being advanced by another thread")
            })?;
            let step = rt::block(py, next_page(&mut pages));
            if step.is_err() {
                // Interrupted (Ctrl-C) too: the iteration ends.
                *pages = None;
            }
            step?.map(|page| page.to_py(py)).transpose()
        })
    }
}

/// Async iterator over the pages of a paginated operation (`async for page in ...`).
/// Returned by `AsyncClient.subjects_paginator` and `AsyncClient.bulk_progress_paginator`.
#[pyclass(module = "necid", name = "AsyncPageIterator")]
pub struct AsyncPageIterator {
    pages: Pages,
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
            let pages = self.pages.clone();
            rt::awaitable(
                py,
                async move { next_page(&mut *pages.lock().await).await },
                |py, page: Option<Page>| match page {
                    None => Err(PyStopAsyncIteration::new_err(())),
                    Some(p) => p.to_py(py),
                },
            )
        })
    }
}

/// The page iterator over `stream`: `PageIterator` (`blocking`, `Client`'s) or
/// `AsyncPageIterator`.
fn pages(py: Python<'_>, blocking: bool, stream: PageStream) -> PyResult<Bound<'_, PyAny>> {
    let pages = Arc::new(tokio::sync::Mutex::new(Some(stream)));
    if blocking {
        return Ok(Bound::new(py, PageIterator { pages })?.into_any());
    }
    Ok(Bound::new(py, AsyncPageIterator { pages })?.into_any())
}

// -------------------------------------------------------------------------------------
// the two clients

/// Blocking NEC ID client.
///
// # BEGIN GENERATED: the keyword arguments (tests/e2e/tests/surfaces.rs renders them from
// the core's settings table; NECID_BLESS=1 cargo test -p necid-e2e --test surfaces
// rewrites them).
#[doc = " Keyword arguments (all optional; unset ones take the SDK defaults), the settings table"]
#[doc = " of the core's README:"]
#[doc = ""]
#[doc = " - ``endpoint``: Biometric API endpoint (http or https URL, no query; trailing ``/``"]
#[doc = "   trimmed)."]
#[doc = " - ``tenant_endpoint``: Tenant (portal) API endpoint."]
#[doc = " - ``region``: SigV4 region."]
#[doc = " - ``service``: SigV4 service name."]
#[doc = " - ``access_key_id``: Access key id (with ``secret_access_key``, or neither)."]
#[doc = " - ``secret_access_key``: Secret access key."]
#[doc = " - ``session_token``: Session token of temporary credentials."]
#[doc = " - ``api_key``: Application API key (``x-api-key``), which selects the gallery."]
#[doc = " - ``connect_timeout`` (seconds): Connect timeout (must be positive)."]
#[doc = " - ``request_timeout`` (seconds): Whole-request timeout, per attempt (must be positive)."]
#[doc = " - ``max_attempts``: Total attempts including the first (1 = no retries)."]
#[doc = " - ``retry_base_delay`` (seconds): Backoff base between retries (full jitter, doubling"]
#[doc = "   per retry)."]
#[doc = " - ``retry_max_delay`` (seconds): Backoff ceiling."]
#[doc = " - ``user_agent_suffix``: Appended to the ``User-Agent`` header."]
#[doc = " - ``max_retry_after`` (seconds): Longest server ``Retry-After`` honoured; longer values"]
#[doc = "   are capped to it."]
#[doc = " - ``tls_roots``: Trusted CAs for ``https://``: ``platform`` (the OS store;"]
#[doc = "   ``SSL_CERT_FILE``/``SSL_CERT_DIR`` honoured), ``bundled`` (Mozilla roots built in) or"]
#[doc = "   ``custom`` (only the CA bundle)."]
#[doc = " - ``ca_bundle``: Path of a PEM file of CA certificates, read when the client is built:"]
#[doc = "   alone the only trust, with ``tls_roots`` ``platform``/``bundled`` trusted in"]
#[doc = "   addition. Empty: none."]
#[doc = " - ``ca_bundle_pem``: The CA bundle as PEM text or bytes instead of a file (in code"]
#[doc = "   only)."]
#[doc = " - ``proxy``: HTTP proxy for every request (``http://[user:password@]host:port``;"]
#[doc = "   ``https://`` URLs are tunnelled with CONNECT). Unset:"]
#[doc = "   ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``/``NO_PROXY`` as usual."]
#[doc = " - ``pool_max_idle_per_host``: Most idle connections kept open per host (0: none kept)."]
#[doc = " - ``pool_idle_timeout`` (seconds): How long an idle connection stays in the pool (must"]
#[doc = "   be positive)."]
#[doc = " - ``rename_tag_form``: Request of ``rename_tag``: ``body`` (``PUT /tags/{old}`` with"]
#[doc = "   ``{\"newName\"}``, the later reference), ``path`` (``PUT /tags/{old}/{new}``, the v1.1"]
#[doc = "   reference) or ``auto`` (body, then path once on a 404, 400 ``InvalidRequest`` or 403"]
#[doc = "   ``Missing Authentication Token``; remembered)."]
#[doc = " - ``client_cert``: Path of a PEM file holding the client certificate (leaf first, then"]
#[doc = "   any intermediates) for servers that require mutual TLS, read when the client is"]
#[doc = "   built; needs ``client_key``. Empty: none."]
#[doc = " - ``client_key``: Path of the PEM private key (PKCS#8, RSA or EC) of ``client_cert``"]
#[doc = "   (may be the same file); checked against the certificate when the client is built,"]
#[doc = "   never printed."]
#[doc = " - ``client_cert_pem``: The client certificate as PEM text or bytes instead of a file"]
#[doc = "   (in code only)."]
#[doc = " - ``client_key_pem``: The client certificate's private key as PEM text or bytes instead"]
#[doc = "   of a file (in code only)."]
// # END GENERATED
///
/// See also :meth:`from_env` and :meth:`from_profile`.
///
/// Every network call releases the GIL; one client can be shared by many threads (they
/// share its connection pool). Usable as a context manager; :meth:`close` releases the
/// connection pool. Errors are subclasses of :class:`necid.NecIdError`.
#[pyclass(module = "necid", name = "Client", frozen)]
pub struct Client {
    core: Arc<Core>,
    /// A `with_metadata` view's slot: every call of the view records into it.
    capture: Option<necid::MetadataSlot>,
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
    core: Arc<Core>,
    /// A `with_metadata` view's slot: every call of the view records into it.
    capture: Option<necid::MetadataSlot>,
}

// What differs between the two classes (everything else is one template): `Client` waits
// for a call with the GIL released, `AsyncClient` returns an awaitable (`rt::run`), and
// their paginators return `PageIterator`s and `AsyncPageIterator`s.
impl Client {
    const BLOCKING: bool = true;
}

impl AsyncClient {
    const BLOCKING: bool = false;
}

/// Both clients' `#[pymethods]`, expanded from the core's operation table
/// (`necid::for_each_operation!`): one template per operation, emitted into `Client`
/// (which waits with the GIL released) and `AsyncClient` (which returns an awaitable),
/// `rt::run` telling them apart by `BLOCKING`.
///
/// The entries are munched one at a time (`@ops`), each argument by its core type
/// (`@args`: the Python parameter, its place and default in the pyo3 signature, the
/// conversion to the core value and how it is passed). A struct argument (`SearchRequest`,
/// `NewGallery`, …) becomes its fields: required ones positional, optional ones
/// keyword-only. An operation whose argument type has no rule here does not compile:
/// add the rule (and the stub's spelling in `_necid.pyi`, which `tests/test_stub.py`
/// checks against this module). `wait_for_bulk_register` (a callback) and `sign_request`
/// (no I/O, a `time` keyword) have rules of their own. `py`, `'py` and `self` travel as
/// metavariables or stay within one rule (macro hygiene).
macro_rules! py_clients {
    // ---- the end: both classes
    (@ops $py:ident $lt:lifetime [$($ops:tt)*]) => {
        py_clients! { @class Client [
            /// The client itself (`with necid.Client(...) as client:`).
            fn __enter__(slf: Py<Self>) -> Py<Self> {
                slf
            }

            /// Closes the client (see `close`).
            #[pyo3(signature = (*_args))]
            fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) {
                self.core.close();
            }

            /// ``call(view)`` and the response metadata of the calls it made through
            /// ``view`` (a view of this client: same connection pool and settings), as
            /// ``(result, metadata)``; for calls whose result carries none (``None``,
            /// strings): ``_, meta = client.with_metadata(lambda c: c.delete_tag("x"))``.
            /// ``metadata`` is the last response's (status 0 and 0 attempts when no
            /// request was answered). Exceptions of ``call`` propagate (errors carry their
            /// own ``status`` and ``request_id``).
            fn with_metadata<'py>(
                &self,
                py: Python<'py>,
                call: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
                let slot = necid::MetadataSlot::new();
                let view = Bound::new(py, Client { core: self.core.clone(), capture: Some(slot.clone()) })?;
                let result = call.call1((view,))?;
                let meta = slot.get().unwrap_or_default().to_py(py)?;
                pyo3::types::PyTuple::new(py, [result, meta])
            }
        ] $($ops)* }
        py_clients! { @class AsyncClient [
            /// Awaitable of the client itself (`async with necid.AsyncClient(...) as c:`).
            fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
                let py = slf.py();
                let me = slf.unbind();
                rt::awaitable(py, async { Ok::<_, necid::Error>(()) }, move |py, ()| {
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
                self.aclose(py)
            }

            /// Release the connection pool (awaitable form of :meth:`close`).
            fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.core.close();
                rt::awaitable(py, async { Ok::<_, necid::Error>(()) }, none)
            }

            /// Awaitable of ``(result, metadata)``: ``await call(view)`` and the response
            /// metadata of the calls it made through ``view`` (a view of this client),
            /// e.g. ``_, meta = await client.with_metadata(lambda c: c.delete_tag("x"))``.
            /// Each call of ``with_metadata`` has its own view, so concurrent tasks never
            /// see each other's metadata.
            fn with_metadata<'py>(
                &self,
                py: Python<'py>,
                call: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let slot = necid::MetadataSlot::new();
                let view = Bound::new(py, AsyncClient { core: self.core.clone(), capture: Some(slot.clone()) })?;
                let awaitable = call.call1((view,))?;
                let reader = Bound::new(py, MetadataReader { slot })?;
                py.import("necid._metadata")?
                    .getattr("await_with_metadata")?
                    .call1((awaitable, reader))
            }
        ] $($ops)* }
    };

    // ---- one class: constructors, configuration getters, close, paginators, operations
    (@class $class:ident [$($own:tt)*] $($ops:tt)*) => {
        #[pymethods]
        impl $class {
            #[new]
            #[pyo3(signature = (**kwargs))]
            fn new(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
                Self::of(py, || build_config(py, ConfigBuilder::default(), kwargs))
            }

            /// A client configured from the profile file and ``NECID_*`` environment
            /// variables (environment wins); keyword arguments override both.
            #[classmethod]
            #[pyo3(signature = (**overrides))]
            fn from_env(
                _cls: &Bound<'_, PyType>,
                py: Python<'_>,
                overrides: Option<&Bound<'_, PyDict>>,
            ) -> PyResult<Self> {
                Self::of(py, || {
                    let base = py.detach(ConfigBuilder::from_env);
                    build_config(py, base.map_err(|e| err::to_py(py, e))?, overrides)
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
                Self::of(py, || {
                    let config = py.detach(|| Config::from_profile(name));
                    build_config(py, config.map_err(|e| err::to_py(py, e))?.to_builder(), overrides)
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
                self.core.repr(stringify!($class))
            }

            /// Release the connection pool. Later calls raise :class:`InvalidInputError`;
            /// calls already running finish normally. Idempotent.
            fn close(&self) {
                self.core.close();
            }

            /// Iterator (``Client``; ``async for`` with ``AsyncClient``) over every page of
            /// list subjects, ``length`` rows at a time; each step is one request.
            #[pyo3(signature = (length=necid::validate::LIST_LENGTH_DEFAULT, dir="asc"))]
            fn subjects_paginator<'py>(
                &self,
                py: Python<'py>,
                length: u32,
                dir: &str,
            ) -> PyResult<Bound<'py, PyAny>> {
                guard(py, || {
                    let dir = sort_dir(py, dir)?;
                    pages(py, Self::BLOCKING, page_stream(self.core.get(py)?.subjects_paginator(length, dir)))
                })
            }

            /// Iterator (``Client``; ``async for`` with ``AsyncClient``) over every
            /// progress page of a batch.
            fn bulk_progress_paginator<'py>(
                &self,
                py: Python<'py>,
                batch_id: &str,
            ) -> PyResult<Bound<'py, PyAny>> {
                guard(py, || {
                    let stream = page_stream(self.core.get(py)?.bulk_progress_paginator(batch_id));
                    pages(py, Self::BLOCKING, stream)
                })
            }

            $($own)*
            $($ops)*
        }

        impl $class {
            /// A client of the configuration `config` builds.
            fn of(py: Python<'_>, config: impl FnOnce() -> PyResult<Config>) -> PyResult<Self> {
                guard(py, || Ok($class { core: Arc::new(Core::new(py, config()?)?), capture: None }))
            }

            /// Where a call records its metadata: the view's slot, or a fresh one.
            fn call_slot(&self) -> necid::MetadataSlot {
                self.capture.clone().unwrap_or_default()
            }
        }
    };

    // ---- the operations with rules of their own
    (@ops $py:ident $lt:lifetime [$($ops:tt)*]
        $(#[doc = $doc:literal])*
        async fn wait_for_bulk_register(
            batch_id: [&str],
            options: [WaitOptions] { $($field:ident: [Duration] = $default:literal),* },
            on_progress: [impl FnMut(&BulkProgress) + Send + 'static]
        ) -> [BulkProgress] = $route:tt;
        $($rest:tt)*
    ) => {
        py_clients! { @ops $py $lt [$($ops)*
            $(#[doc = $doc])*
            #[doc = ""]
            #[doc = "``on_progress(progress)`` runs on the calling thread (``Client``) or on the"]
            #[doc = "event loop's thread before the awaitable completes (``AsyncClient``)."]
            #[pyo3(signature = (batch_id, *, $($field = $default,)* on_progress = None, options = None))]
            #[allow(clippy::too_many_arguments)]
            fn wait_for_bulk_register<'py>(
                &self,
                py: Python<'py>,
                batch_id: &str,
                $($field: f64,)*
                on_progress: Option<Bound<'py, PyAny>>,
                options: Option<PyRef<'py, CallOptions>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                guard(py, || {
                    let wait = WaitOptions {
                        $($field: cv::seconds(py, $field, stringify!($field))?,)*
                    };
                    let slot = self.call_slot();
                    let client = call_client(&self.core.get(py)?, options.as_deref(), &slot);
                    let on_progress = on_progress.map(Bound::unbind);
                    let wanted = on_progress.is_some();
                    rt::run(
                        py,
                        Self::BLOCKING,
                        |emit| client.wait_for_bulk_register(batch_id, wait, move |p| {
                            if wanted {
                                emit(p.clone());
                            }
                        }),
                        move |py, v: BulkProgress| on_model(py, v.to_py(py)?, slot.get()),
                        move |py, p: BulkProgress| match &on_progress {
                            Some(cb) => cb.call1(py, (p.to_py(py)?,)).map(|_| ()),
                            None => Ok(()),
                        },
                    )
                })
            }
        ] $($rest)* }
    };
    (@ops $py:ident $lt:lifetime [$($ops:tt)*]
        $(#[doc = $doc:literal])*
        sync fn sign_request(
            method: [&str],
            url: [&str],
            headers: [&[(String, String)]],
            body: [&[u8]]
        ) -> [Vec<(String, String)>] = $route:tt;
        $($rest:tt)*
    ) => {
        py_clients! { @ops $py $lt [$($ops)*
            $(#[doc = $doc])*
            #[doc = ""]
            #[doc = "``headers`` is a mapping or ``(name, value)`` pairs; ``time`` (a datetime"]
            #[doc = "or epoch seconds) fixes the signing time, for reproducible signatures."]
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
                guard(py, || sign(py, &self.core.get(py)?, method, url, headers, body, time))
            }
        ] $($rest)* }
    };

    // ---- any other operation: munch its arguments
    (@ops $py:ident $lt:lifetime $ops:tt
        $(#[doc = $doc:literal])*
        async fn $name:ident ($($args:tt)*) -> [$($ret:tt)*] = $route:tt;
        $($rest:tt)*
    ) => {
        py_clients! { @args $py $lt ($name [$(#[doc = $doc])*] [$($ret)*]) [] [] [] [] [] []
            ($($args)*,) $ops $($rest)* }
    };
    // @args $py $lt (op) [positional params] [positional signature] [keyword-only params]
    //     [keyword-only signature] [conversions] [call arguments] (arguments left) …
    (@args $py:ident $lt:lifetime $op:tt [$($pp:tt)*] [$($ps:tt)*] $kp:tt $ks:tt [$($conv:tt)*] [$($call:tt)*]
        ($arg:ident: [&str], $($more:tt)*) $($rest:tt)*) => {
        py_clients! { @args $py $lt $op [$($pp)* $arg: &str,] [$($ps)* $arg,] $kp $ks
            [$($conv)*] [$($call)* $arg,] ($($more)*) $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt [$($pp:tt)*] [$($ps:tt)*] $kp:tt $ks:tt [$($conv:tt)*] [$($call:tt)*]
        ($arg:ident: [Option<Image>], $($more:tt)*) $($rest:tt)*) => {
        py_clients! { @args $py $lt $op [$($pp)* $arg: Option<&Bound<$lt, PyAny>>,] [$($ps)* $arg = None,]
            $kp $ks [$($conv)*
                let $arg = match $arg {
                    Some(v) if !v.is_none() => Some(cv::image(v, stringify!($arg))?),
                    _ => None,
                };
            ] [$($call)* $arg,] ($($more)*) $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt [$($pp:tt)*] [$($ps:tt)*] $kp:tt $ks:tt [$($conv:tt)*] [$($call:tt)*]
        ($arg:ident: [Option<&[String]>], $($more:tt)*) $($rest:tt)*) => {
        py_clients! { @args $py $lt $op [$($pp)* $arg: Option<&Bound<$lt, PyAny>>,] [$($ps)* $arg = None,]
            $kp $ks [$($conv)* let $arg = cv::opt_tags($arg, stringify!($arg))?;]
            [$($call)* $arg.as_deref(),] ($($more)*) $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt [$($pp:tt)*] [$($ps:tt)*] $kp:tt $ks:tt [$($conv:tt)*] [$($call:tt)*]
        ($arg:ident: [Option<$t:ty>], $($more:tt)*) $($rest:tt)*) => {
        py_clients! { @args $py $lt $op [$($pp)* $arg: Option<$t>,] [$($ps)* $arg = None,] $kp $ks
            [$($conv)*] [$($call)* $arg,] ($($more)*) $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt [$($pp:tt)*] [$($ps:tt)*] $kp:tt $ks:tt [$($conv:tt)*] [$($call:tt)*]
        ($arg:ident: [u32] = $default:literal, $($more:tt)*) $($rest:tt)*) => {
        py_clients! { @args $py $lt $op [$($pp)* $arg: u32,] [$($ps)* $arg = $default,] $kp $ks
            [$($conv)*] [$($call)* $arg,] ($($more)*) $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt [$($pp:tt)*] [$($ps:tt)*] $kp:tt $ks:tt [$($conv:tt)*] [$($call:tt)*]
        ($arg:ident: [SortDirection] = $default:literal, $($more:tt)*) $($rest:tt)*) => {
        py_clients! { @args $py $lt $op [$($pp)* $arg: &str,] [$($ps)* $arg = $default,] $kp $ks
            [$($conv)* let $arg = sort_dir($py, $arg)?;] [$($call)* $arg,] ($($more)*) $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt [$($pp:tt)*] [$($ps:tt)*] $kp:tt $ks:tt [$($conv:tt)*] [$($call:tt)*]
        ($arg:ident: [impl Into<Image>], $($more:tt)*) $($rest:tt)*) => {
        py_clients! { @args $py $lt $op [$($pp)* $arg: &Bound<$lt, PyAny>,] [$($ps)* $arg,] $kp $ks
            [$($conv)* let $arg = cv::image($arg, stringify!($arg))?;] [$($call)* $arg,]
            ($($more)*) $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt [$($pp:tt)*] [$($ps:tt)*] $kp:tt $ks:tt [$($conv:tt)*] [$($call:tt)*]
        ($arg:ident: [&[String]], $($more:tt)*) $($rest:tt)*) => {
        py_clients! { @args $py $lt $op [$($pp)* $arg: Option<&Bound<$lt, PyAny>>,] [$($ps)* $arg = None,]
            $kp $ks [$($conv)* let $arg = cv::tags($arg, stringify!($arg))?;] [$($call)* &$arg,]
            ($($more)*) $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt [$($pp:tt)*] [$($ps:tt)*] $kp:tt $ks:tt [$($conv:tt)*] [$($call:tt)*]
        ($arg:ident: [&[BulkRegistration]], $($more:tt)*) $($rest:tt)*) => {
        py_clients! { @args $py $lt $op [$($pp)* $arg: &Bound<$lt, PyAny>,] [$($ps)* $arg,] $kp $ks
            [$($conv)* let $arg = cv::registrations($arg)?;] [$($call)* &$arg,]
            ($($more)*) $($rest)* }
    };
    // A struct argument: its fields, then the struct literal.
    (@args $py:ident $lt:lifetime $op:tt $pp:tt $ps:tt $kp:tt $ks:tt $conv:tt $call:tt
        ($arg:ident: [$struct:ident] { $($fields:tt)* }, $($more:tt)*) $($rest:tt)*) => {
        py_clients! { @args $py $lt $op $pp $ps $kp $ks $conv $call
            ({ $($fields)*, } $struct [] $($more)*) $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt [$($pp:tt)*] [$($ps:tt)*] $kp:tt $ks:tt [$($conv:tt)*] $call:tt
        ({ $field:ident: [Image], $($fields:tt)* } $struct:ident [$($names:ident)*] $($more:tt)*)
        $($rest:tt)*) => {
        py_clients! { @args $py $lt $op [$($pp)* $field: &Bound<$lt, PyAny>,] [$($ps)* $field,] $kp $ks
            [$($conv)* let $field = cv::image($field, stringify!($field))?;] $call
            ({ $($fields)* } $struct [$($names)* $field] $($more)*) $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt [$($pp:tt)*] [$($ps:tt)*] $kp:tt $ks:tt $conv:tt $call:tt
        ({ $field:ident: [String], $($fields:tt)* } $struct:ident [$($names:ident)*] $($more:tt)*)
        $($rest:tt)*) => {
        py_clients! { @args $py $lt $op [$($pp)* $field: String,] [$($ps)* $field,] $kp $ks $conv $call
            ({ $($fields)* } $struct [$($names)* $field] $($more)*) $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt $pp:tt $ps:tt [$($kp:tt)*] [$($ks:tt)*] $conv:tt $call:tt
        ({ $field:ident: [Option<$t:ident>], $($fields:tt)* } $struct:ident [$($names:ident)*] $($more:tt)*)
        $($rest:tt)*) => {
        py_clients! { @args $py $lt $op $pp $ps [$($kp)* $field: Option<$t>,] [$($ks)* $field = None,]
            $conv $call ({ $($fields)* } $struct [$($names)* $field] $($more)*) $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt $pp:tt $ps:tt [$($kp:tt)*] [$($ks:tt)*] [$($conv:tt)*] $call:tt
        ({ $field:ident: [Vec<String>], $($fields:tt)* } $struct:ident [$($names:ident)*] $($more:tt)*)
        $($rest:tt)*) => {
        py_clients! { @args $py $lt $op $pp $ps [$($kp)* $field: Option<&Bound<$lt, PyAny>>,]
            [$($ks)* $field = None,] [$($conv)* let $field = cv::tags($field, stringify!($field))?;]
            $call ({ $($fields)* } $struct [$($names)* $field] $($more)*) $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt $pp:tt $ps:tt $kp:tt $ks:tt $conv:tt [$($call:tt)*]
        ({} $struct:ident [$($names:ident)*] $($more:tt)*) $($rest:tt)*) => {
        py_clients! { @args $py $lt $op $pp $ps $kp $ks $conv [$($call)* $struct { $($names,)* },]
            ($($more)*) $($rest)* }
    };
    // No arguments left: the signature (a `*` before keyword-only ones), then the methods.
    (@args $py:ident $lt:lifetime $op:tt [$($pp:tt)*] [$($ps:tt)*] [] [] $conv:tt $call:tt
        ($(,)?) $($rest:tt)*) => {
        py_clients! { @emit $py $lt $op [$($pp)*] [$($ps)* *,] $conv $call $($rest)* }
    };
    (@args $py:ident $lt:lifetime $op:tt [$($pp:tt)*] [$($ps:tt)*] [$($kp:tt)+] [$($ks:tt)+]
        $conv:tt $call:tt ($(,)?) $($rest:tt)*) => {
        py_clients! { @emit $py $lt $op [$($pp)* $($kp)+] [$($ps)* *, $($ks)+] $conv $call $($rest)* }
    };
    (@emit $py:ident $lt:lifetime ($name:ident [$($doc:tt)*] [$($ret:tt)*]) [$($params:tt)*]
        [$($sig:tt)*] [$($conv:tt)*] [$($call:tt)*] [$($ops:tt)*] $($rest:tt)*) => {
        py_clients! { @ops $py $lt [$($ops)*
            $($doc)*
            #[pyo3(signature = ($($sig)* options = None))]
            fn $name<$lt>(
                &self,
                $py: Python<$lt>,
                $($params)*
                options: Option<PyRef<$lt, CallOptions>>,
            ) -> PyResult<Bound<$lt, PyAny>> {
                guard($py, || {
                    $($conv)*
                    let slot = self.call_slot();
                    let future = call_client(&self.core.get($py)?, options.as_deref(), &slot)
                        .$name($($call)*);
                    rt::run(
                        $py,
                        Self::BLOCKING,
                        move |_| future,
                        move |py, value| {
                            let obj = cv::to_py(py, py_clients!(@result [$($ret)*] value))?;
                            py_clients!(@metadata [$($ret)*] py obj slot.get())
                        },
                        |_, ()| Ok(()),
                    )
                })
            }
        ] $($rest)* }
    };
    // A top-level list result is a Python `list` (sequences inside results are tuples).
    (@result [Vec<$t:ident>] $value:ident) => { cv::List($value) };
    (@result [$($t:tt)*] $value:ident) => { $value };
    // Results that can carry it get `metadata`: models an attribute, lists become
    // `ResultList`; `None` and strings stay as they are.
    (@metadata [()] $py:ident $obj:ident $m:expr) => { Ok::<_, PyErr>($obj) };
    (@metadata [String] $py:ident $obj:ident $m:expr) => { Ok::<_, PyErr>($obj) };
    (@metadata [Vec<$t:ident>] $py:ident $obj:ident $m:expr) => { on_list($py, $obj, $m) };
    (@metadata [$t:ident] $py:ident $obj:ident $m:expr) => { on_model($py, $obj, $m) };

    // ---- the table's entries
    ($($entries:tt)*) => {
        py_clients! { @ops py 'py [] $($entries)* }
    };
}

necid::for_each_operation!(py_clients);

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
        deliberate_panic("deliberate test panic").map_err(|e| err::to_py(py, e))?;
        Ok(py.None().into_bound(py))
    })
}

// The one deliberate panic of the crate: the test hook above exists to trigger it.
#[cfg(feature = "test-hooks")]
#[allow(clippy::panic)]
fn deliberate_panic(message: &'static str) -> necid::Result<()> {
    std::panic::panic_any(message)
}
