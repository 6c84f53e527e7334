//! The async client: every operation of the biometric and tenant APIs.
//!
//! Each method validates its arguments, builds the request body (images base64-encoded
//! once, straight into the JSON buffer) and returns a `'static + Send` future that runs on
//! the SDK's own runtime ([`crate::runtime()`]), so it can be awaited from any executor.
//! Nothing is sent until the future is first polled.

use crate::DEFAULT_THRESHOLD;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use reqwest::Method;
use reqwest::header::HeaderValue;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::body::{self, Body, JsonObjectWriter};
use crate::call::{CallOptions, MetadataSlot, ResponseMetadata, Scope};
use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;
use crate::models::*;
use crate::runtime::run;
use crate::signing::{Signer, sha256_hex};
use crate::transport::{Api, Call, Response, Transport};
use crate::validate::{self, encode_segment as seg};

const BASE: &str = "/v1.1";

/// Async NEC ID client. Cheap to clone (shares one connection pool and clock offset).
#[derive(Clone)]
pub struct Client {
    t: Handle,
}

/// The shared transport plus the per-call scope of a client view
/// ([`Client::with_options`], [`Client::with_metadata`]); `None` for a plain client.
#[derive(Clone)]
struct Handle {
    transport: Arc<Transport>,
    scope: Option<Arc<Scope>>,
}

impl std::ops::Deref for Handle {
    type Target = Transport;
    fn deref(&self) -> &Transport {
        &self.transport
    }
}

impl Handle {
    /// Send one request under the view's scope (retry override, extra headers, metadata).
    async fn send(&self, call: &Call) -> Result<Response> {
        self.transport.send(call, self.scope.as_deref()).await
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.t.config)
            .finish()
    }
}

/// Arguments of [`Client::search`].
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// Probe image.
    pub probe: Image,
    /// Minimum score 0–9999 (service default 7000).
    pub threshold: Option<u32>,
    /// Maximum candidates 1–50 (service default 10).
    pub limit: Option<u32>,
    /// Only subjects with any of these tags (OR).
    pub tags: Vec<String>,
}

impl SearchRequest {
    /// A search with the service's default threshold and limit.
    pub fn new(probe: impl Into<Image>) -> SearchRequest {
        SearchRequest {
            probe: probe.into(),
            threshold: None,
            limit: None,
            tags: Vec::new(),
        }
    }
    /// Minimum score 0–9999.
    pub fn threshold(mut self, t: u32) -> Self {
        self.threshold = Some(t);
        self
    }
    /// Maximum candidates 1–50.
    pub fn limit(mut self, l: u32) -> Self {
        self.limit = Some(l);
        self
    }
    /// Restrict to subjects with any of these tags.
    pub fn tags(mut self, tags: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }
}

/// Polling settings of [`Client::wait_for_bulk_register`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitOptions {
    /// First delay between polls. Default 1 s.
    pub poll_interval: Duration,
    /// Polling backs off ×1.5 up to this. Default 15 s.
    pub max_poll_interval: Duration,
    /// Give up (`TimedOut`) after this long. Default 30 min.
    pub timeout: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            poll_interval: Duration::from_secs(1),
            max_poll_interval: Duration::from_secs(15),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

impl Client {
    /// A client for `config`. Does no I/O.
    pub fn new(config: Config) -> Result<Client> {
        let (connect_timeout, request_timeout) = (config.connect_timeout, config.request_timeout);
        let (pool_idle, pool_max) = (config.pool_idle_timeout, config.pool_max_idle_per_host);
        let proxy = match &config.proxy {
            Some(url) => Some(reqwest::Proxy::all(url.expose()).map_err(|_| {
                // reqwest's message quotes the URL, which may hold a password.
                Error::invalid_input("proxy", "not a usable proxy URL")
            })?),
            None => None,
        };
        let identity = match (&config.client_cert, &config.client_key) {
            (Some(cert), Some(key)) => Some(crate::tls::load_client_identity(cert, key)?),
            _ => None,
        };
        let base = move || {
            let mut b = reqwest::Client::builder()
                .connect_timeout(connect_timeout)
                .timeout(request_timeout)
                .pool_idle_timeout(pool_idle)
                .tcp_keepalive(Duration::from_secs(30))
                .tcp_nodelay(true);
            if let Some(n) = pool_max {
                b = b.pool_max_idle_per_host(n as usize);
            }
            // An explicit proxy replaces the environment's (reqwest reads HTTP(S)_PROXY,
            // ALL_PROXY and NO_PROXY only when none is given).
            if let Some(p) = &proxy {
                b = b.proxy(p.clone());
            }
            if let Some(id) = &identity {
                b = b.identity(id.clone());
            }
            b
        };
        let built = crate::tls::build(base, config.tls_roots, config.ca_bundle.as_ref())?;
        let mut ua = format!("necid-rust/{}", env!("CARGO_PKG_VERSION"));
        if let Some(s) = &config.user_agent_suffix {
            ua.push(' ');
            ua.push_str(s);
        }
        let user_agent = HeaderValue::from_str(&ua)
            .map_err(|_| Error::invalid_input("user_agent_suffix", "not a valid header value"))?;
        let provider = config
            .credentials_provider
            .clone()
            .map(|p| crate::credentials::CredentialsCache::new(p, &config.region, &config.service));
        let signer = match (&config.access_key_id, &config.secret_access_key) {
            (Some(id), Some(secret)) => Some(Arc::new(Signer::new(
                id,
                secret,
                config.session_token.as_ref(),
                &config.region,
                &config.service,
            ))),
            _ => None,
        };
        Ok(Client {
            t: Handle {
                transport: Arc::new(Transport {
                    config,
                    http: built.http,
                    https_unavailable: built.https_unavailable,
                    signer,
                    provider,
                    skew_ms: AtomicI64::new(0),
                    user_agent,
                    rename_tag_path_first: std::sync::atomic::AtomicBool::new(false),
                }),
                scope: None,
            },
        })
    }

    /// `Client::new(Config::from_env()?)`.
    pub fn from_env() -> Result<Client> {
        Client::new(Config::from_env()?)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.t.config
    }

    /// The clock offset (server minus local, ms) learnt from a clock-skew 403; 0 until then.
    pub fn clock_skew_ms(&self) -> i64 {
        self.t.skew()
    }

    /// A view of this client whose calls use `options` (a deadline for the whole call, a
    /// `max_attempts` override, extra signed headers, a cancel token). It shares the
    /// connection pool and clock offset; creating one allocates once and does no I/O.
    /// Bad options (a reserved header, `max_attempts` 0) fail each call with
    /// `InvalidInput` before anything is sent.
    ///
    /// ```no_run
    /// # async fn f(client: necid::Client) -> necid::Result<()> {
    /// use std::time::Duration;
    /// let token = necid::CancelToken::new();
    /// let quick = client.with_options(
    ///     necid::CallOptions::new()
    ///         .deadline(Duration::from_secs(2))
    ///         .max_attempts(1)
    ///         .header("x-correlation-id", "abc-123")
    ///         .cancel_token(token.clone()),
    /// );
    /// let tags = quick.list_tags().await?; // token.cancel() elsewhere stops it
    /// # let _ = tags; Ok(()) }
    /// ```
    pub fn with_options(&self, options: CallOptions) -> Client {
        let slot = self.t.scope.as_ref().and_then(|s| s.slot.clone());
        self.view(Scope { options, slot })
    }

    /// Run one call of this client (made by `call` on the view it is given; the view
    /// moves into the future, hence `async move`) and return its result with the
    /// [`ResponseMetadata`] of its last response: request id, HTTP status, requests sent,
    /// clock-skew correction. Errors carry the status and request id themselves. Calls
    /// made without it record nothing.
    ///
    /// ```no_run
    /// # async fn f(client: necid::Client) -> necid::Result<()> {
    /// let (tags, meta) = client.with_metadata(|c| async move { c.list_tags().await }).await?;
    /// println!("{} tags, request id {:?}, {} attempt(s)", tags.len(), meta.request_id, meta.attempts);
    /// # Ok(()) }
    /// ```
    pub fn with_metadata<T, F, Fut>(
        &self,
        call: F,
    ) -> impl Future<Output = Result<(T, ResponseMetadata)>> + Send + 'static
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let slot = MetadataSlot::new();
        let fut = call(self.with_metadata_slot(slot.clone()));
        async move {
            let value = fut.await?;
            Ok((value, slot.get().unwrap_or_default()))
        }
    }

    /// A view of this client that records each call's [`ResponseMetadata`] in `slot`
    /// (for bindings, which keep one slot per call; Rust callers use
    /// [`Client::with_metadata`]).
    pub fn with_metadata_slot(&self, slot: MetadataSlot) -> Client {
        let options = self
            .t
            .scope
            .as_ref()
            .map(|s| s.options.clone())
            .unwrap_or_default();
        self.view(Scope {
            options,
            slot: Some(slot),
        })
    }

    fn view(&self, scope: Scope) -> Client {
        Client {
            t: Handle {
                transport: self.t.transport.clone(),
                scope: Some(Arc::new(scope)),
            },
        }
    }

    // -----------------------------------------------------------------------------------
    // plumbing

    /// Run an operation's future on the SDK runtime, under this view's deadline and
    /// cancel token when it has them.
    fn run<T, F>(&self, fut: F) -> impl Future<Output = Result<T>> + Send + 'static
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        let scope = self.t.scope.clone();
        run(async move {
            match scope {
                // Boxed: the guard holds `fut` in its own state, and unboxed that state
                // would sit beside this block's copy of `fut` in every call's future
                // (doubling it), not only in calls made with a deadline or token.
                Some(s) if s.options.deadline.is_some() || s.options.cancel.is_some() => {
                    Box::pin(s.guard(fut)).await
                }
                Some(s) => {
                    s.options.validate()?;
                    fut.await
                }
                None => fut.await,
            }
        })
    }

    fn send(&self, call: Result<Call>) -> impl Future<Output = Result<Response>> + Send + 'static {
        let t = self.t.clone();
        self.run(async move {
            let call = call?;
            t.send(&call).await
        })
    }

    fn send_json<T: DeserializeOwned + Send + 'static>(
        &self,
        call: Result<Call>,
    ) -> impl Future<Output = Result<T>> + Send + 'static {
        let t = self.t.clone();
        self.run(async move {
            let call = call?;
            let op = call.op;
            let resp = t.send(&call).await?;
            decode(&t, op, &resp, |v| serde_json::from_value(v))
        })
    }

    fn send_unit(&self, call: Result<Call>) -> impl Future<Output = Result<()>> + Send + 'static {
        let fut = self.send(call);
        async move { fut.await.map(|_| ()) }
    }

    // -----------------------------------------------------------------------------------
    // subjects

    /// `GET /subjects`: one page of subject/event rows (one row per event, deleted rows
    /// included). `length` 1–1000. The service's 404 ("Subjects not found", an empty
    /// gallery or a start past the end) is an empty page, not an error.
    pub fn list_subjects(
        &self,
        start: u32,
        length: u32,
        dir: SortDirection,
    ) -> impl Future<Output = Result<SubjectPage>> + Send + 'static {
        let call = validate::range("length", length, 1, validate::LIST_LENGTH_MAX).map(|_| {
            Call::new(
                "list_subjects",
                Method::GET,
                Api::Biometric,
                format!("{BASE}/subjects"),
            )
            .query("start", start.to_string())
            .query("length", length.to_string())
            .query("dir", dir.as_str().to_owned())
        });
        let t = self.t.clone();
        self.run(async move {
            let call = call?;
            match t.send(&call).await {
                Ok(resp) => decode(&t, "list_subjects", &resp, serde_json::from_value),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(SubjectPage {
                    subjects: Vec::new(),
                    total: 0,
                }),
                Err(e) => Err(e),
            }
        })
    }

    /// Every page of list subjects, `length` rows at a time, until the service runs out.
    ///
    /// The next page starts after the rows received (not after `length`), and when the
    /// service reports `total` paging continues until it is reached even if a page is
    /// shorter than `length` (a service that caps pages below 1000 loses no rows); without a
    /// `total`, a short or empty page is the last.
    pub fn subjects_paginator(
        &self,
        length: u32,
        dir: SortDirection,
    ) -> BoxStream<'static, Result<SubjectPage>> {
        let this = self.clone();
        futures_util::stream::try_unfold(Some(0u32), move |state| {
            let this = this.clone();
            async move {
                let Some(start) = state else { return Ok(None) };
                let page = this.list_subjects(start, length, dir).await?;
                let n = u32::try_from(page.subjects.len()).unwrap_or(u32::MAX);
                let next = start.saturating_add(n);
                let done = n == 0
                    || next == u32::MAX
                    || if page.total > 0 {
                        u64::from(next) >= page.total
                    } else {
                        n < length
                    };
                Ok(Some((page, if done { None } else { Some(next) })))
            }
        })
        .boxed()
    }

    /// `POST /subjects`: register a new subject from one face.
    pub fn register_subject(
        &self,
        face: impl Into<Image>,
        tags: &[String],
    ) -> impl Future<Output = Result<RegisteredFace>> + Send + 'static {
        let call = face_tags_body(face.into(), tags).map(|b| {
            Call::new(
                "register_subject",
                Method::POST,
                Api::Biometric,
                format!("{BASE}/subjects"),
            )
            .body(b)
        });
        self.send_json(call)
    }

    /// `PUT /subjects/{id}`: replace a subject's face, its tags, or both.
    ///
    /// `face`: `Some` replaces the subject's events by one event of that face; `None` sends
    /// no face (the events stay). `tags`: `None` sends no tags (the service keeps them),
    /// `Some(&[])` sends an empty list (clears them), `Some(tags)` replaces them. At least
    /// one of the two must be given (`InvalidInput` naming `face` otherwise).
    pub fn update_subject(
        &self,
        subject_id: &str,
        face: Option<Image>,
        tags: Option<&[String]>,
    ) -> impl Future<Output = Result<RegisteredFace>> + Send + 'static {
        let id = subject_id.to_owned();
        let call = validate::path_value("subject_id", subject_id)
            .and_then(|_| update_body(face, tags))
            .map(|b| {
                Call::new(
                    "update_subject",
                    Method::PUT,
                    Api::Biometric,
                    format!("{BASE}/subjects/{}", seg(&id)),
                )
                .body(b)
            });
        let fut = self.send_json::<RegisteredFace>(call);
        async move {
            let mut r = fut.await?;
            if r.subject_id.is_empty() {
                r.subject_id = id;
            }
            Ok(r)
        }
    }

    /// `DELETE /subjects/{id}`: unregister a subject and its events.
    pub fn unregister_subject(
        &self,
        subject_id: &str,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let call = validate::path_value("subject_id", subject_id).map(|_| {
            Call::new(
                "unregister_subject",
                Method::DELETE,
                Api::Biometric,
                format!("{BASE}/subjects/{}", seg(subject_id)),
            )
        });
        self.send_unit(call)
    }

    // -----------------------------------------------------------------------------------
    // events

    /// `GET /subjects/{id}/events`.
    pub fn list_events(
        &self,
        subject_id: &str,
    ) -> impl Future<Output = Result<EventList>> + Send + 'static {
        let id = subject_id.to_owned();
        let call = validate::path_value("subject_id", subject_id).map(|_| {
            Call::new(
                "list_events",
                Method::GET,
                Api::Biometric,
                format!("{BASE}/subjects/{}/events", seg(&id)),
            )
        });
        let fut = self.send_json::<EventList>(call);
        async move {
            let mut r = fut.await?;
            if r.subject_id.is_empty() {
                r.subject_id = id;
            }
            Ok(r)
        }
    }

    /// `POST /subjects/{id}/events`: add a face to a subject.
    pub fn register_event(
        &self,
        subject_id: &str,
        face: impl Into<Image>,
        tags: &[String],
    ) -> impl Future<Output = Result<RegisteredFace>> + Send + 'static {
        let id = subject_id.to_owned();
        let call = validate::path_value("subject_id", subject_id)
            .and_then(|_| face_tags_body(face.into(), tags))
            .map(|b| {
                Call::new(
                    "register_event",
                    Method::POST,
                    Api::Biometric,
                    format!("{BASE}/subjects/{}/events", seg(&id)),
                )
                .body(b)
            });
        let fut = self.send_json::<RegisteredFace>(call);
        async move { Ok(fix_event_result(fut.await?, &id, None)) }
    }

    /// `PUT /subjects/{id}/events/{eventId}`: replace one event's face, its tags, or both
    /// (`face`/`tags` as in [`Client::update_subject`]).
    pub fn update_event(
        &self,
        subject_id: &str,
        event_id: &str,
        face: Option<Image>,
        tags: Option<&[String]>,
    ) -> impl Future<Output = Result<RegisteredFace>> + Send + 'static {
        let id = subject_id.to_owned();
        let eid = event_id.to_owned();
        let call = validate::path_value("subject_id", subject_id)
            .and_then(|_| validate::path_value("event_id", event_id))
            .and_then(|_| update_body(face, tags))
            .map(|b| {
                Call::new(
                    "update_event",
                    Method::PUT,
                    Api::Biometric,
                    format!("{BASE}/subjects/{}/events/{}", seg(&id), seg(&eid)),
                )
                .body(b)
            });
        let fut = self.send_json::<RegisteredFace>(call);
        async move { Ok(fix_event_result(fut.await?, &id, Some(&eid))) }
    }

    /// `DELETE /subjects/{id}/events/{eventId}`.
    pub fn unregister_event(
        &self,
        subject_id: &str,
        event_id: &str,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let call = validate::path_value("subject_id", subject_id)
            .and_then(|_| validate::path_value("event_id", event_id))
            .map(|_| {
                Call::new(
                    "unregister_event",
                    Method::DELETE,
                    Api::Biometric,
                    format!(
                        "{BASE}/subjects/{}/events/{}",
                        seg(subject_id),
                        seg(event_id)
                    ),
                )
            });
        self.send_unit(call)
    }

    // -----------------------------------------------------------------------------------
    // face

    /// `POST /face/extract`: attributes of up to `limit` (1–20, service default 10) faces.
    pub fn extract_faces(
        &self,
        image: impl Into<Image>,
        limit: Option<u32>,
    ) -> impl Future<Output = Result<Vec<FaceAttributes>>> + Send + 'static {
        let image = image.into();
        let call = (|| {
            if let Some(l) = limit {
                validate::range("limit", l, 1, validate::EXTRACT_LIMIT_MAX)?;
            }
            image.validate("image")?;
            let cap = body::check_size(&[("image", &image)], 16)?;
            let mut w = JsonObjectWriter::with_image_first("faces", image, cap);
            if let Some(l) = limit {
                w.value("limit", &l)?;
            }
            Ok(Call::new(
                "extract_faces",
                Method::POST,
                Api::Biometric,
                format!("{BASE}/face/extract"),
            )
            .body(w.finish()))
        })();
        let t = self.t.clone();
        self.run(async move {
            let call = call?;
            let resp = t.send(&call).await?;
            decode(&t, "extract_faces", &resp, parse_extract)
        })
    }

    /// `POST /face/search`. No candidates (the service's 404) is `Ok` with an empty list.
    pub fn search(
        &self,
        request: SearchRequest,
    ) -> impl Future<Output = Result<SearchResult>> + Send + 'static {
        let call = (|| {
            if let Some(th) = request.threshold {
                validate::range("threshold", th, 0, validate::THRESHOLD_MAX)?;
            }
            if let Some(l) = request.limit {
                validate::range("limit", l, 1, validate::SEARCH_LIMIT_MAX)?;
            }
            validate::tags(&request.tags)?;
            request.probe.validate("probe")?;
            let cap =
                body::check_size(&[("probe", &request.probe)], body::json_len(&request.tags))?;
            let mut w = JsonObjectWriter::with_image_first("probe", request.probe, cap + 48);
            if let Some(th) = request.threshold {
                w.value("threshold", &th)?;
            }
            if let Some(l) = request.limit {
                w.value("limit", &l)?;
            }
            if !request.tags.is_empty() {
                w.value("tags", &request.tags)?;
            }
            Ok(Call::new(
                "search",
                Method::POST,
                Api::Biometric,
                format!("{BASE}/face/search"),
            )
            .body(w.finish()))
        })();
        let t = self.t.clone();
        self.run(async move {
            let call = call?;
            match t.send(&call).await {
                Ok(resp) => decode(&t, "search", &resp, serde_json::from_value),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(SearchResult::default()),
                Err(e) => Err(e),
            }
        })
    }

    /// `POST /face/verify {id, probe}`. The service's 404 ("not verified") is
    /// `Ok(Verification { verified: false, score: None, .. })`, not an error.
    pub fn verify_subject(
        &self,
        subject_id: &str,
        probe: impl Into<Image>,
    ) -> impl Future<Output = Result<Verification>> + Send + 'static {
        let id = subject_id.to_owned();
        let probe = probe.into();
        let call = (|| {
            validate::path_value("subject_id", &id)?;
            probe.validate("probe")?;
            let cap = body::check_size(&[("probe", &probe)], body::json_len(&id))?;
            let mut w = JsonObjectWriter::with_capacity(cap);
            w.value("id", &id)?;
            w.image("probe", &probe);
            Ok(Call::new(
                "verify_subject",
                Method::POST,
                Api::Biometric,
                format!("{BASE}/face/verify"),
            )
            .body(w.finish()))
        })();
        let t = self.t.clone();
        self.run(async move {
            let call = call?;
            match t.send(&call).await {
                Ok(resp) => {
                    let mut v: Verification =
                        decode(&t, "verify_subject", &resp, serde_json::from_value)?;
                    if v.subject_id.is_empty() {
                        v.subject_id = id;
                    }
                    Ok(v)
                }
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(Verification {
                    subject_id: id,
                    verified: false,
                    score: None,
                    events: Vec::new(),
                }),
                Err(e) => Err(e),
            }
        })
    }

    /// `POST /face/verify {face, probe}`: compare two faces. `verified` is
    /// `score >= DEFAULT_THRESHOLD` (7000, the API's default threshold) when the service
    /// sends a score; its 404 is `verified: false`.
    pub fn verify_faces(
        &self,
        face: impl Into<Image>,
        probe: impl Into<Image>,
    ) -> impl Future<Output = Result<FaceVerification>> + Send + 'static {
        let face = face.into();
        let probe = probe.into();
        let call = (|| {
            face.validate("face")?;
            probe.validate("probe")?;
            let cap = body::check_size(&[("face", &face), ("probe", &probe)], 0)?;
            let mut w = JsonObjectWriter::with_image_first("face", face, cap);
            w.image("probe", &probe);
            Ok(Call::new(
                "verify_faces",
                Method::POST,
                Api::Biometric,
                format!("{BASE}/face/verify"),
            )
            .body(w.finish()))
        })();
        let t = self.t.clone();
        self.run(async move {
            let call = call?;
            match t.send(&call).await {
                Ok(resp) => decode(&t, "verify_faces", &resp, serde_json::from_value).map(
                    |mut v: FaceVerification| {
                        // The service reports only a score here: apply the API's default
                        // threshold so `verified` means the same as for verify_subject.
                        if let Some(score) = v.score {
                            v.verified = score >= DEFAULT_THRESHOLD;
                        }
                        v
                    },
                ),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(FaceVerification {
                    verified: false,
                    score: None,
                }),
                Err(e) => Err(e),
            }
        })
    }

    // -----------------------------------------------------------------------------------
    // tags

    /// `GET /tags`.
    pub fn list_tags(&self) -> impl Future<Output = Result<Vec<Tag>>> + Send + 'static {
        let t = self.t.clone();
        self.run(async move {
            let call = Call::new(
                "list_tags",
                Method::GET,
                Api::Biometric,
                format!("{BASE}/tags"),
            );
            let resp = t.send(&call).await?;
            decode(&t, "list_tags", &resp, parse_tags)
        })
    }

    /// `POST /tags/{name}`.
    pub fn create_tag(&self, name: &str) -> impl Future<Output = Result<()>> + Send + 'static {
        let call = validate::tag_name("name", name).map(|_| {
            Call::new(
                "create_tag",
                Method::POST,
                Api::Biometric,
                format!("{BASE}/tags/{}", seg(name)),
            )
        });
        self.send_unit(call)
    }

    /// Rename a tag. The request follows the `rename_tag_form` setting
    /// ([`RenameTagForm`](crate::RenameTagForm)): `PUT /tags/{old}` with
    /// `{"newName": new}` (the later reference), `PUT /tags/{old}/{new}` (the v1.1
    /// reference), or by default the first and, when the service answers it with 404 or
    /// 400 `InvalidRequest`, the second once (remembered for this client when it works).
    pub fn rename_tag(
        &self,
        old_name: &str,
        new_name: &str,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        use crate::config::RenameTagForm;
        use std::sync::atomic::Ordering;
        let checked = validate::tag_name("old_name", old_name)
            .and_then(|_| validate::tag_name("new_name", new_name))
            .and_then(|_| Body::json(&serde_json::json!({ "newName": new_name })));
        let body_form = checked.map(|b| {
            Call::new(
                "rename_tag",
                Method::PUT,
                Api::Biometric,
                format!("{BASE}/tags/{}", seg(old_name)),
            )
            .body(b)
        });
        let path_form = Call::new(
            "rename_tag",
            Method::PUT,
            Api::Biometric,
            format!("{BASE}/tags/{}/{}", seg(old_name), seg(new_name)),
        );
        let form = self.t.config.rename_tag_form;
        let t = self.t.clone();
        self.run(async move {
            let body_form = body_form?;
            let path_first = t.rename_tag_path_first.load(Ordering::Relaxed);
            match form {
                RenameTagForm::Body => t.send(&body_form).await.map(|_| ()),
                RenameTagForm::Path => t.send(&path_form).await.map(|_| ()),
                RenameTagForm::Auto if path_first => t.send(&path_form).await.map(|_| ()),
                RenameTagForm::Auto => match t.send(&body_form).await {
                    Ok(_) => Ok(()),
                    Err(e) if refused_form(&e) => {
                        tracing::debug!(
                            status = e.status(),
                            "rename_tag: the body form was refused; trying PUT /tags/{{old}}/{{new}}"
                        );
                        match t.send(&path_form).await {
                            Ok(_) => {
                                t.rename_tag_path_first.store(true, Ordering::Relaxed);
                                Ok(())
                            }
                            // Refused in this form too (e.g. a deployment without it): the
                            // body form's answer (a 404 for a missing tag) is the one to give.
                            Err(e2) if refused_form(&e2) && e2.status() != Some(404) => Err(e),
                            Err(e2) => Err(e2),
                        }
                    }
                    Err(e) => Err(e),
                },
            }
        })
    }

    /// `DELETE /tags/{name}` (subjects keep the tag).
    pub fn delete_tag(&self, name: &str) -> impl Future<Output = Result<()>> + Send + 'static {
        let call = validate::tag_name("name", name).map(|_| {
            Call::new(
                "delete_tag",
                Method::DELETE,
                Api::Biometric,
                format!("{BASE}/tags/{}", seg(name)),
            )
        });
        self.send_unit(call)
    }

    // -----------------------------------------------------------------------------------
    // bulk

    /// `POST /jobs/bulkregister`: returns the batch id.
    pub fn bulk_register(
        &self,
        registrations: &[BulkRegistration],
    ) -> impl Future<Output = Result<String>> + Send + 'static {
        let call = (|| {
            if registrations.is_empty() {
                return Err(Error::invalid_input(
                    "registrations",
                    "at least one registration is required",
                ));
            }
            for (i, r) in registrations.iter().enumerate() {
                if r.filename.trim().is_empty() {
                    return Err(Error::invalid_input(
                        &format!("registrations[{i}].filename"),
                        "must not be empty",
                    ));
                }
                for (j, t) in r.tags.iter().enumerate() {
                    validate::tag_name(&format!("registrations[{i}].tags[{j}]"), t)?;
                }
            }
            let b = Body::json(&serde_json::json!({ "registrations": registrations }))?;
            if b.bytes.len() > crate::image::MAX_BODY_BYTES {
                return Err(Error::invalid_input(
                    "registrations",
                    "too many registrations for one request (body over 10 MB); split the batch",
                ));
            }
            Ok(Call::new(
                "bulk_register",
                Method::POST,
                Api::Biometric,
                format!("{BASE}/jobs/bulkregister"),
            )
            .body(b))
        })();
        let fut = self.send_json::<BatchIdResponse>(call);
        async move {
            let r = fut.await?;
            if r.batch_id.is_empty() {
                return Err(Error::new(
                    ErrorKind::Decode,
                    "bulk_register response has no batchId",
                ));
            }
            Ok(r.batch_id)
        }
    }

    /// `GET /jobs/bulkregister/{batchId}[/{pagingId}]`: one page of progress.
    pub fn bulk_register_progress(
        &self,
        batch_id: &str,
        paging_id: Option<&str>,
    ) -> impl Future<Output = Result<BulkProgressPage>> + Send + 'static {
        let bid = batch_id.to_owned();
        let call = (|| {
            validate::path_value("batch_id", batch_id)?;
            let mut path = format!("{BASE}/jobs/bulkregister/{}", seg(batch_id));
            if let Some(p) = paging_id.filter(|p| !p.is_empty()) {
                validate::path_value("paging_id", p)?;
                path.push('/');
                path.push_str(&seg(p));
            }
            Ok(Call::new(
                "bulk_register_progress",
                Method::GET,
                Api::Biometric,
                path,
            ))
        })();
        let fut = self.send_json::<BulkProgressPage>(call);
        async move {
            let mut p = fut.await?;
            if p.batch_id.is_empty() {
                p.batch_id = bid;
            }
            Ok(p)
        }
    }

    /// Every progress page of a batch, following `lastEvaluatedKey`.
    pub fn bulk_progress_paginator(
        &self,
        batch_id: &str,
    ) -> BoxStream<'static, Result<BulkProgressPage>> {
        let this = self.clone();
        let batch_id = batch_id.to_owned();
        // State: None = finished; Some(None) = first page; Some(Some(key)) = next page.
        futures_util::stream::try_unfold(Some(None::<String>), move |state| {
            let this = this.clone();
            let batch_id = batch_id.clone();
            async move {
                let Some(key) = state else { return Ok(None) };
                let page = this
                    .bulk_register_progress(&batch_id, key.as_deref())
                    .await?;
                let next = match &page.last_evaluated_key {
                    None => None,
                    Some(k) if Some(k) == key.as_ref() => {
                        return Err(Error::new(
                            ErrorKind::Decode,
                            "bulk progress: the service returned the same lastEvaluatedKey twice",
                        ));
                    }
                    Some(k) => Some(Some(k.clone())),
                };
                Ok(Some((page, next)))
            }
        })
        .boxed()
    }

    /// Poll a batch until every record is `Processed`, calling `on_progress` after each
    /// poll with all records so far. Backs off ×1.5 between polls; `TimedOut` at the
    /// deadline. An empty record list (job not populated yet) is not "done".
    pub fn wait_for_bulk_register<F>(
        &self,
        batch_id: &str,
        options: WaitOptions,
        mut on_progress: F,
    ) -> impl Future<Output = Result<BulkProgress>> + Send + 'static
    where
        F: FnMut(&BulkProgress) + Send + 'static,
    {
        let this = self.clone();
        let batch_id = batch_id.to_owned();
        self.run(async move {
            validate::path_value("batch_id", &batch_id)?;
            // A huge timeout means "no deadline" rather than an Instant overflow.
            let deadline = Instant::now().checked_add(options.timeout);
            let max_interval = options.max_poll_interval.max(options.poll_interval);
            let mut interval = options.poll_interval.max(Duration::from_millis(10));
            loop {
                let mut records = Vec::new();
                let mut pages = this.bulk_progress_paginator(&batch_id);
                while let Some(page) = pages.next().await {
                    records.extend(page?.processed);
                }
                let progress = BulkProgress {
                    batch_id: batch_id.clone(),
                    records,
                };
                on_progress(&progress);
                if progress.is_done() {
                    return Ok(progress);
                }
                let now = Instant::now();
                let remaining = deadline.map(|d| d.saturating_duration_since(now));
                if remaining == Some(Duration::ZERO) {
                    return Err(Error::new(
                        ErrorKind::TimedOut,
                        format!(
                            "bulk registration {batch_id} not finished after {:?}: {}/{} records processed",
                            options.timeout,
                            progress.processed(),
                            progress.total()
                        ),
                    ));
                }
                tokio::time::sleep(remaining.map_or(interval, |r| interval.min(r))).await;
                interval = Duration::try_from_secs_f64(interval.as_secs_f64() * 1.5)
                    .unwrap_or(max_interval)
                    .min(max_interval);
            }
        })
    }

    // -----------------------------------------------------------------------------------
    // health and custom signing

    /// `GET /health`. Signed when credentials are configured, unsigned otherwise.
    pub fn health(&self) -> impl Future<Output = Result<Health>> + Send + 'static {
        let mut call = Call::new(
            "health",
            Method::GET,
            Api::Biometric,
            format!("{BASE}/health"),
        );
        call.auth_optional = true;
        self.send_json(Ok(call))
    }

    /// Sign a custom request now (with the learnt clock offset) and return the headers to
    /// add: `x-api-key` (when configured and not in `headers`), `x-amz-date`,
    /// `x-amz-security-token` (with a session token) and `authorization`.
    ///
    /// `url` is absolute and percent-encoded as it will be sent; every header in `headers`
    /// is signed; `body` is the exact body bytes (empty for none).
    pub fn sign_request(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<(String, String)>> {
        self.sign_request_at(method, url, headers, body, self.t.now())
    }

    /// [`Client::sign_request`] at a fixed time (test vectors, reproducible signatures).
    pub fn sign_request_at(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        time: SystemTime,
    ) -> Result<Vec<(String, String)>> {
        let signer = match &self.t.provider {
            // Synchronous: only the provider's cached, unexpired answer can be used.
            Some(p) => p.cached_signer().ok_or_else(|| {
                Error::invalid_input(
                    "credentials",
                    "the credentials provider has no current credentials yet: make a call \
                     first (sign_request never waits for the provider)",
                )
            })?,
            None => self.t.signer.clone().ok_or_else(|| {
                Error::invalid_input(
                    "credentials",
                    "no access key id / secret access key configured",
                )
            })?,
        };
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(Error::invalid_input(
                "method",
                "must be an HTTP method name",
            ));
        }
        // The signer parses and checks `url` (absolute http/https with a host) once.
        let mut out = Vec::new();
        let mut pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let has_key = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("x-api-key"));
        if let (false, Some(key)) = (has_key, &self.t.config.api_key) {
            pairs.push(("x-api-key", key.expose()));
            out.push(("x-api-key".to_owned(), key.expose().to_owned()));
        }
        let upper = method.to_ascii_uppercase();
        out.extend(signer.sign(&upper, url, &pairs, &sha256_hex(body), time)?);
        Ok(out)
    }

    // -----------------------------------------------------------------------------------
    // tenant API

    /// `GET /api/galleries`.
    pub fn list_galleries(&self) -> impl Future<Output = Result<Vec<Gallery>>> + Send + 'static {
        let t = self.t.clone();
        self.run(async move {
            let call = Call::new(
                "list_galleries",
                Method::GET,
                Api::Tenant,
                "/api/galleries".into(),
            );
            let resp = t.send(&call).await?;
            decode(&t, "list_galleries", &resp, |v| parse_list(v, "galleries"))
        })
    }

    /// `GET /api/galleries/{id}`: the gallery with its applications.
    pub fn get_gallery(
        &self,
        gallery_id: &str,
    ) -> impl Future<Output = Result<GalleryDetails>> + Send + 'static {
        let call = validate::path_value("gallery_id", gallery_id).map(|_| {
            Call::new(
                "get_gallery",
                Method::GET,
                Api::Tenant,
                format!("/api/galleries/{}", seg(gallery_id)),
            )
        });
        self.send_json(call)
    }

    /// `POST /api/galleries`: creates a gallery and an application; the result carries
    /// the new API key.
    pub fn create_gallery(
        &self,
        gallery: NewGallery,
    ) -> impl Future<Output = Result<Gallery>> + Send + 'static {
        let call = (|| {
            if gallery.name.trim().is_empty() {
                return Err(Error::invalid_input("name", "must not be empty"));
            }
            validate::quality(
                "face_minimum_quality_score",
                gallery.face_minimum_quality_score,
            )?;
            if gallery.size == Some(0) {
                return Err(Error::invalid_input("size", "must be positive"));
            }
            Ok(Call::new(
                "create_gallery",
                Method::POST,
                Api::Tenant,
                "/api/galleries".into(),
            )
            .body(Body::json(&gallery)?))
        })();
        self.send_json(call)
    }

    /// `PATCH /api/galleries/{id}`.
    pub fn update_gallery(
        &self,
        gallery_id: &str,
        update: GalleryUpdate,
    ) -> impl Future<Output = Result<Gallery>> + Send + 'static {
        let call = (|| {
            validate::path_value("gallery_id", gallery_id)?;
            if update.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
                return Err(Error::invalid_input("name", "must not be empty"));
            }
            Ok(Call::new(
                "update_gallery",
                Method::PATCH,
                Api::Tenant,
                format!("/api/galleries/{}", seg(gallery_id)),
            )
            .body(Body::json(&update)?))
        })();
        self.send_json(call)
    }

    /// `DELETE /api/galleries/{id}` (and its applications).
    pub fn delete_gallery(
        &self,
        gallery_id: &str,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let call = validate::path_value("gallery_id", gallery_id).map(|_| {
            Call::new(
                "delete_gallery",
                Method::DELETE,
                Api::Tenant,
                format!("/api/galleries/{}", seg(gallery_id)),
            )
        });
        self.send_unit(call)
    }

    /// `GET /api/applications`.
    pub fn list_applications(
        &self,
    ) -> impl Future<Output = Result<Vec<Application>>> + Send + 'static {
        let t = self.t.clone();
        self.run(async move {
            let call = Call::new(
                "list_applications",
                Method::GET,
                Api::Tenant,
                "/api/applications".into(),
            );
            let resp = t.send(&call).await?;
            decode(&t, "list_applications", &resp, |v| {
                parse_list(v, "applications")
            })
        })
    }

    /// `GET /api/applications/{id}`.
    pub fn get_application(
        &self,
        application_id: &str,
    ) -> impl Future<Output = Result<Application>> + Send + 'static {
        let call = validate::path_value("application_id", application_id).map(|_| {
            Call::new(
                "get_application",
                Method::GET,
                Api::Tenant,
                format!("/api/applications/{}", seg(application_id)),
            )
        });
        self.send_json(call)
    }

    /// `POST /api/applications`: a new API key for an existing gallery.
    pub fn create_application(
        &self,
        application: NewApplication,
    ) -> impl Future<Output = Result<Application>> + Send + 'static {
        let call = (|| {
            if application.name.trim().is_empty() {
                return Err(Error::invalid_input("name", "must not be empty"));
            }
            if application.gallery_id.trim().is_empty() {
                return Err(Error::invalid_input("gallery_id", "must not be empty"));
            }
            validate::quality(
                "face_minimum_quality_score",
                application.face_minimum_quality_score,
            )?;
            Ok(Call::new(
                "create_application",
                Method::POST,
                Api::Tenant,
                "/api/applications".into(),
            )
            .body(Body::json(&application)?))
        })();
        self.send_json(call)
    }

    /// `PATCH /api/applications/{id}`.
    pub fn update_application(
        &self,
        application_id: &str,
        update: ApplicationUpdate,
    ) -> impl Future<Output = Result<Application>> + Send + 'static {
        let call = (|| {
            validate::path_value("application_id", application_id)?;
            if update.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
                return Err(Error::invalid_input("name", "must not be empty"));
            }
            validate::quality(
                "face_minimum_quality_score",
                update.face_minimum_quality_score,
            )?;
            Ok(Call::new(
                "update_application",
                Method::PATCH,
                Api::Tenant,
                format!("/api/applications/{}", seg(application_id)),
            )
            .body(Body::json(&update)?))
        })();
        self.send_json(call)
    }

    /// `DELETE /api/applications/{id}`.
    pub fn delete_application(
        &self,
        application_id: &str,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let call = validate::path_value("application_id", application_id).map(|_| {
            Call::new(
                "delete_application",
                Method::DELETE,
                Api::Tenant,
                format!("/api/applications/{}", seg(application_id)),
            )
        });
        self.send_unit(call)
    }
}

/// `{face, tags?}` with the image encoded in place.
/// Whether a rename in the body form was refused in a way the v1.1 path form may not be:
/// 404 (no such route, or no such tag), 400 `InvalidRequest` (a body it does not read), or
/// API Gateway's answer for a route it does not have (403 "Missing Authentication Token").
fn refused_form(e: &crate::Error) -> bool {
    match e.status() {
        Some(404) => true,
        Some(400) => e.kind() == ErrorKind::InvalidRequest,
        Some(403) => e.message().contains("Missing Authentication Token"),
        _ => false,
    }
}

/// Update subject/event: the face when given, the tags when given (an empty list too: that
/// clears them); not neither.
fn update_body(face: Option<Image>, tags: Option<&[String]>) -> Result<Body> {
    let Some(face) = face else {
        let Some(tags) = tags else {
            return Err(crate::Error::invalid_input(
                "face",
                "give a face, tags (an empty list clears them) or both",
            ));
        };
        validate::tags(tags)?;
        return Body::json(&serde_json::json!({ "tags": tags }));
    };
    validate::tags(tags.unwrap_or_default())?;
    face.validate("face")?;
    let cap = body::check_size(&[("face", &face)], body::json_len(&tags))?;
    let mut w = JsonObjectWriter::with_image_first("face", face, cap);
    if let Some(tags) = tags {
        w.value("tags", &tags)?;
    }
    Ok(w.finish())
}

fn face_tags_body(face: Image, tags: &[String]) -> Result<Body> {
    validate::tags(tags)?;
    face.validate("face")?;
    let cap = body::check_size(&[("face", &face)], body::json_len(&tags))?;
    let mut w = JsonObjectWriter::with_image_first("face", face, cap);
    if !tags.is_empty() {
        w.value("tags", &tags)?;
    }
    Ok(w.finish())
}

/// Register/update event: the reference returns `{id: subject, eventId, attributes}`;
/// Swagger's `Event` is `{id: event, score}`. Normalise to subject + event ids.
fn fix_event_result(
    mut r: RegisteredFace,
    subject_id: &str,
    event_id: Option<&str>,
) -> RegisteredFace {
    if r.event_id.is_none() {
        if let Some(e) = event_id {
            r.event_id = Some(e.to_owned());
            if r.subject_id.is_empty() {
                r.subject_id = subject_id.to_owned();
            }
        } else if !r.subject_id.is_empty() && r.subject_id != subject_id {
            // Swagger shape: `id` is the new event's id.
            r.event_id = Some(std::mem::take(&mut r.subject_id));
            r.subject_id = subject_id.to_owned();
        }
    }
    if r.subject_id.is_empty() {
        r.subject_id = subject_id.to_owned();
    }
    r
}

/// Parse a 2xx body as JSON, then as `T`; failures are `Decode` quoting an excerpt.
fn decode<T>(
    t: &Transport,
    op: &str,
    resp: &Response,
    parse: impl FnOnce(Value) -> std::result::Result<T, serde_json::Error>,
) -> Result<T> {
    let secrets = t.config.secrets();
    let fail = |what: String| {
        Error::new(
            ErrorKind::Decode,
            format!(
                "cannot read the {op} response ({what}); body starts: {:?}",
                crate::transport::excerpt(&resp.body, &secrets)
            ),
        )
        .with_status(resp.status)
        .with_request_id(resp.request_id.clone())
    };
    let value: Value = serde_json::from_slice(&resp.body).map_err(|e| fail(e.to_string()))?;
    parse(value).map_err(|e| fail(e.to_string()))
}
