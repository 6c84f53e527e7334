//! Sending one logical call: sign, send, classify, retry, fix clock skew.
//!
//! Retry rules (see README): GET/PUT/DELETE retry on 5xx (except 501), 429, network errors
//! and timeouts. POST and PATCH retry only when the request provably never reached the
//! server (connect failure) or on 429/503 (the service did not process it). A 403 saying
//! the signature expired / is not yet current is retried once after correcting the clock
//! offset from the response's `Date` header; the offset is kept for later requests.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use tracing::Instrument as _;

use crate::body::{Body, EMPTY_SHA256};
use crate::call::{ResponseMetadata, Scope};
use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::models::ErrorBody;
use crate::signing::Signer;

/// Largest response body read (the service's are a few KB; progress pages up to ~1 MB).
const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;
/// Longest excerpt of an unreadable body quoted in an error.
const EXCERPT_CHARS: usize = 200;

/// Which API host a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `endpoint` + `/v1.1/...`, with `x-api-key`.
    Biometric,
    /// `tenant_endpoint` + `/api/...`, SigV4 only.
    Tenant,
}

/// One logical API call.
pub(crate) struct Call {
    pub(crate) op: &'static str,
    pub(crate) method: Method,
    pub(crate) api: Api,
    /// Percent-encoded path after the endpoint, starting with `/`.
    pub(crate) path: String,
    /// Already-encoded `k=v` pairs.
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Body>,
    /// Health may be sent unsigned when no credentials are configured.
    pub(crate) auth_optional: bool,
}

impl Call {
    pub(crate) fn new(op: &'static str, method: Method, api: Api, path: String) -> Call {
        Call {
            op,
            method,
            api,
            path,
            query: Vec::new(),
            body: None,
            auth_optional: false,
        }
    }
    pub(crate) fn body(mut self, body: Body) -> Call {
        self.body = Some(body);
        self
    }
    pub(crate) fn query(mut self, k: &'static str, v: String) -> Call {
        self.query.push((k, v));
        self
    }
}

/// A successful (2xx) response, fully read.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
    pub(crate) request_id: Option<String>,
}

/// A non-2xx response: the error plus what the caller may need to special-case.
pub(crate) struct Transport {
    pub(crate) config: Config,
    pub(crate) http: reqwest::Client,
    /// Why `https://` requests cannot be made (no usable trust store), if so.
    pub(crate) https_unavailable: Option<std::sync::Arc<str>>,
    /// Static keys' signer; `None` with a credentials provider or without credentials.
    pub(crate) signer: Option<std::sync::Arc<Signer>>,
    /// The credentials provider and its cached answer, if one is configured.
    pub(crate) provider: Option<crate::credentials::CredentialsCache>,
    /// Server clock minus local clock, milliseconds (learnt from a skew 403).
    pub(crate) skew_ms: AtomicI64,
    pub(crate) user_agent: HeaderValue,
    /// `rename_tag_form` `auto`: set once the path form worked after the body form was
    /// refused, so later renames send the path form first.
    pub(crate) rename_tag_path_first: std::sync::atomic::AtomicBool,
}

/// Whether a method is safe to resend after the server may have acted on it.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::PUT | Method::DELETE | Method::HEAD | Method::OPTIONS
    )
}

/// Retry decision for an HTTP status.
pub fn should_retry_status(method: &Method, status: u16) -> bool {
    match status {
        429 | 503 => true,
        501 | 505 => false,
        500..=599 => is_idempotent(method),
        _ => false,
    }
}

/// What kind of transport failure happened, for the retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// No connection was established: the request was never sent.
    Connect,
    /// The request timed out (it may have been processed).
    Timeout,
    /// The connection broke after the request may have been sent.
    Other,
}

/// Retry decision for a failure with no response.
pub fn should_retry_failure(method: &Method, kind: FailureKind) -> bool {
    match kind {
        FailureKind::Connect => true,
        FailureKind::Timeout | FailureKind::Other => is_idempotent(method),
    }
}

/// Whether a 403 message is the clock-skew case.
pub fn is_skew_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("signature expired") || m.contains("not yet current")
}

/// The `Retry-After` value (seconds or HTTP date), if any.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some(Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Server time minus local time in milliseconds, from a response's `Date` header.
pub fn skew_from_date(headers: &HeaderMap, local_now: SystemTime) -> Option<i64> {
    let v = headers.get(reqwest::header::DATE)?.to_str().ok()?;
    let server = httpdate::parse_http_date(v.trim()).ok()?;
    Some(match server.duration_since(local_now) {
        Ok(ahead) => i64::try_from(ahead.as_millis()).unwrap_or(i64::MAX),
        Err(behind) => -i64::try_from(behind.duration().as_millis()).unwrap_or(i64::MAX),
    })
}

/// The first request-id header present.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-amzn-requestid", "x-amz-request-id", "x-request-id"]
        .iter()
        .find_map(|h| headers.get(*h))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Replace every configured secret in `text` with `***`.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if s.len() >= 4 && out.contains(s) {
            out = out.replace(s, "***");
        }
    }
    out
}

/// A short, printable excerpt of a body for error messages.
pub(crate) fn excerpt(body: &[u8], secrets: &[&str]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .take(EXCERPT_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    scrub(&out, secrets)
}

/// Map a non-2xx response to an [`Error`].
pub(crate) fn error_from_response(
    status: u16,
    body: &[u8],
    request_id: Option<String>,
    secrets: &[&str],
) -> Error {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let parsed = parsed.unwrap_or_default();
    let error_type = parsed.error_type.filter(|s| !s.is_empty());
    // errorType first; when it is absent or unknown, the documented errorCode decides.
    let known = error_type
        .as_deref()
        .and_then(ErrorKind::from_error_type)
        .or_else(|| parsed.error_code.and_then(ErrorKind::from_error_code));
    let kind = match status {
        401 | 403 => ErrorKind::Auth,
        404 => ErrorKind::NotFound,
        429 => ErrorKind::Throttled,
        _ => match known {
            Some(k) => k,
            None if status >= 500 => ErrorKind::Server,
            None if status == 408 => ErrorKind::TimedOut,
            None => ErrorKind::InvalidRequest,
        },
    };
    let message = match parsed.message.filter(|m| !m.trim().is_empty()) {
        Some(m) => scrub(&m, secrets),
        None if !body.is_empty() => format!(
            "HTTP {status} {}: {}",
            reason(status),
            excerpt(body, secrets)
        ),
        None => format!("HTTP {status} {}", reason(status)),
    };
    Error::new(kind, message)
        .with_status(status)
        .with_error_code(parsed.error_code)
        .with_error_type(error_type)
        .with_request_id(request_id)
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// Classify a reqwest error for retries and build the SDK error.
fn error_from_transport(e: &reqwest::Error, secrets: &[&str]) -> (FailureKind, Error) {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let t = s.to_string();
        if !msg.contains(&t) {
            msg.push_str(": ");
            msg.push_str(&t);
        }
        src = s.source();
    }
    let msg = scrub(&msg, secrets);
    let failure = if e.is_connect() {
        FailureKind::Connect
    } else if e.is_timeout() {
        FailureKind::Timeout
    } else {
        FailureKind::Other
    };
    let kind = if e.is_timeout() {
        ErrorKind::TimedOut
    } else {
        ErrorKind::Network
    };
    (failure, Error::new(kind, msg))
}

impl Transport {
    fn base(&self, api: Api) -> &str {
        match api {
            Api::Biometric => self.config.endpoint(),
            Api::Tenant => self.config.tenant_endpoint(),
        }
    }

    pub(crate) fn url(&self, call: &Call) -> Result<reqwest::Url> {
        let mut s = String::with_capacity(128);
        s.push_str(self.base(call.api));
        s.push_str(&call.path);
        for (i, (k, v)) in call.query.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(k);
            s.push('=');
            s.push_str(v);
        }
        reqwest::Url::parse(&s).map_err(|e| Error::invalid_input("url", format!("{e}")))
    }

    /// Current time corrected by the learnt clock skew.
    pub(crate) fn now(&self) -> SystemTime {
        let skew = self.skew_ms.load(Ordering::Relaxed);
        let now = SystemTime::now();
        if skew >= 0 {
            now + Duration::from_millis(skew.unsigned_abs())
        } else {
            now.checked_sub(Duration::from_millis(skew.unsigned_abs()))
                .unwrap_or(now)
        }
    }

    /// Clock skew currently applied (server minus local), for diagnostics and tests.
    pub(crate) fn skew(&self) -> i64 {
        self.skew_ms.load(Ordering::Relaxed)
    }

    /// The signer for the next request: the static keys', or the provider's (asked when
    /// its cached credentials are missing or about to expire).
    async fn current_signer(&self) -> Result<Option<std::sync::Arc<Signer>>> {
        match &self.provider {
            Some(p) => p.signer().await.map(Some),
            None => Ok(self.signer.clone()),
        }
    }

    fn build(
        &self,
        call: &Call,
        url: &reqwest::Url,
        extra: &[(reqwest::header::HeaderName, HeaderValue)],
        signer: Option<&Signer>,
    ) -> Result<reqwest::Request> {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(reqwest::header::USER_AGENT, self.user_agent.clone());
        let mut signed: Vec<(&str, HeaderValue)> = Vec::with_capacity(3 + extra.len());
        if call.api == Api::Biometric
            && let Some(key) = &self.config.api_key
        {
            let mut v = HeaderValue::from_str(key.expose())
                .map_err(|_| Error::invalid_input("api_key", "not a valid header value"))?;
            v.set_sensitive(true);
            signed.push(("x-api-key", v));
        }
        if call.body.is_some() {
            signed.push(("content-type", HeaderValue::from_static("application/json")));
        }
        // Per-call headers (checked against the reserved names by CallOptions) are signed
        // like the SDK's own.
        for (k, v) in extra {
            signed.push((k.as_str(), v.clone()));
        }
        let payload_hash = call
            .body
            .as_ref()
            .map_or(EMPTY_SHA256, |b| b.sha256_hex.as_str());
        match signer {
            Some(signer) => {
                let pairs: Vec<(&str, &str)> = signed
                    .iter()
                    .filter_map(|(k, v)| v.to_str().ok().map(|v| (*k, v)))
                    .collect();
                let added = signer.sign(
                    call.method.as_str(),
                    url.as_str(),
                    &pairs,
                    payload_hash,
                    self.now(),
                )?;
                for (k, v) in added {
                    let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                        .map_err(|_| Error::invalid_input("request", "bad signing header"))?;
                    let mut value = HeaderValue::from_str(&v)
                        .map_err(|_| Error::invalid_input("request", "bad signing header"))?;
                    if name == reqwest::header::AUTHORIZATION || k == "x-amz-security-token" {
                        value.set_sensitive(true);
                    }
                    headers.insert(name, value);
                }
            }
            None if call.auth_optional => {}
            None => {
                return Err(Error::invalid_input(
                    "credentials",
                    "no access key id / secret access key configured \
                     (set NECID_ACCESS_KEY_ID and NECID_SECRET_ACCESS_KEY, or a profile)",
                ));
            }
        }
        for (k, v) in signed {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| Error::invalid_input("headers", "bad header name"))?;
            headers.append(name, v);
        }
        let mut req = reqwest::Request::new(call.method.clone(), url.clone());
        *req.headers_mut() = headers;
        if let Some(body) = &call.body {
            *req.body_mut() = Some(reqwest::Body::from(body.bytes.clone()));
        } else if matches!(call.method, Method::POST | Method::PUT | Method::PATCH) {
            // Gateways answer 411 to a bodiless POST without `content-length: 0` (create
            // tag); hyper omits it for an empty body unless told.
            req.headers_mut().insert(
                reqwest::header::CONTENT_LENGTH,
                HeaderValue::from_static("0"),
            );
            *req.body_mut() = Some(reqwest::Body::from(Bytes::new()));
        }
        Ok(req)
    }

    /// Send `call` with retries; returns a 2xx response or the mapped error.
    pub(crate) async fn send(&self, call: &Call, scope: Option<&Scope>) -> Result<Response> {
        let url = self.url(call)?;
        if url.scheme() == "https"
            && let Some(why) = &self.https_unavailable
        {
            return Err(Error::invalid_input("tls_roots", why));
        }
        #[cfg(feature = "test-hooks")]
        test_hooks::maybe_panic(&url);
        let span = tracing::info_span!(
            "necid.request",
            op = call.op,
            method = %call.method,
            path = %url.path(),
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        self.send_inner(call, &url, scope).instrument(span).await
    }

    async fn send_inner(
        &self,
        call: &Call,
        url: &reqwest::Url,
        scope: Option<&Scope>,
    ) -> Result<Response> {
        let policy = &self.config.retry_policy;
        let max_attempts = scope
            .and_then(|s| s.options.max_attempts)
            .unwrap_or(policy.max_attempts);
        let extra = match scope {
            Some(s) if !s.options.headers.is_empty() => s.options.parsed_headers()?,
            _ => Vec::new(),
        };
        let slot = scope.and_then(|s| s.slot.as_ref());
        let secrets = self.config.secrets();
        let span = tracing::Span::current();
        let mut attempt: u32 = 0;
        let mut sent: u32 = 0;
        let mut skew_fixed = false;
        loop {
            attempt += 1;
            sent += 1;
            span.record("attempt", attempt);
            let skew_used = self.skew();
            // Asked before every attempt: a retry after a rotation uses the new keys.
            let signer = self.current_signer().await?;
            let req = self.build(call, url, &extra, signer.as_deref())?;
            let started = Instant::now();
            let outcome = match self.http.execute(req).await {
                Ok(resp) => read_response(resp).await,
                Err(e) => Err(e),
            };
            let latency = started.elapsed();
            span.record("latency_ms", latency.as_millis() as u64);
            match outcome {
                Ok((status, headers, body)) => {
                    let rid = request_id(&headers);
                    span.record("status", status);
                    if let Some(r) = &rid {
                        span.record("request_id", r.as_str());
                    }
                    let record = |rid: &Option<String>| {
                        if let Some(slot) = slot {
                            slot.set(ResponseMetadata {
                                request_id: rid.clone(),
                                status,
                                attempts: sent,
                                clock_skew_ms: skew_used,
                            });
                        }
                    };
                    if (200..300).contains(&status) {
                        record(&rid);
                        tracing::debug!(status, attempt, ?latency, "necid response");
                        return Ok(Response {
                            status,
                            body,
                            request_id: rid,
                        });
                    }
                    let err = error_from_response(status, &body, rid, &secrets);
                    if status == 403
                        && !skew_fixed
                        && is_skew_message(err.message())
                        && let Some(skew) = skew_from_date(&headers, SystemTime::now())
                    {
                        skew_fixed = true;
                        self.skew_ms.store(skew, Ordering::Relaxed);
                        tracing::warn!(
                            skew_ms = skew,
                            "clock skew detected from the Date header; re-signing"
                        );
                        // The request was rejected before processing: resending is safe
                        // for any method, and it does not count as a retry.
                        attempt -= 1;
                        continue;
                    }
                    if attempt < max_attempts && should_retry_status(&call.method, status) {
                        let delay = policy.delay(attempt, retry_after(&headers, SystemTime::now()));
                        tracing::info!(status, attempt, ?delay, "retrying after error status");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    record(&err.request_id().map(str::to_owned));
                    tracing::debug!(status, attempt, kind = %err.kind(), "necid error response");
                    return Err(err);
                }
                Err(e) => {
                    let (failure, mut err) = error_from_transport(&e, &secrets);
                    let certificate = crate::tls::is_certificate_error(err.message());
                    if certificate {
                        // Retrying cannot change the verdict; say what to do instead.
                        err = Error::new(
                            ErrorKind::Network,
                            format!(
                                "{} ({})",
                                crate::tls::certificate_hint(
                                    self.config.tls_roots,
                                    self.config.ca_bundle.as_ref()
                                ),
                                err.message()
                            ),
                        );
                    }
                    let refused = !certificate
                        && crate::tls::is_client_certificate_rejection(
                            err.message(),
                            self.config.client_cert.is_some(),
                        );
                    if refused {
                        // The server refused our certificate (or its absence): retrying
                        // cannot change that either.
                        err = Error::new(
                            ErrorKind::Network,
                            format!(
                                "{} ({})",
                                crate::tls::client_certificate_hint(
                                    self.config.client_cert.is_some()
                                ),
                                err.message()
                            ),
                        );
                    }
                    if !certificate
                        && !refused
                        && attempt < max_attempts
                        && should_retry_failure(&call.method, failure)
                    {
                        let delay = policy.delay(attempt, None);
                        tracing::info!(?failure, attempt, ?delay, error = %err.message(), "retrying after transport failure");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    tracing::debug!(?failure, attempt, error = %err.message(), "necid transport failure");
                    return Err(err);
                }
            }
        }
    }
}

/// Fault injection for the bindings' test suites (cargo feature `test-hooks`, never in
/// release builds): a request whose path contains [`test_hooks::PANIC_MARKER`] panics
/// inside the request, so each binding can show that a panic becomes an error instead of
/// aborting the host.
#[cfg(feature = "test-hooks")]
pub mod test_hooks {
    /// Put this in any path segment (e.g. as a subject id) to make the request panic.
    pub const PANIC_MARKER: &str = "necid-test-panic";

    #[allow(clippy::panic)]
    pub(crate) fn maybe_panic(url: &reqwest::Url) {
        if url.path().contains(PANIC_MARKER) {
            panic!("deliberate panic inside a request (necid test hook)");
        }
    }
}

async fn read_response(
    mut resp: reqwest::Response,
) -> std::result::Result<(u16, HeaderMap, Bytes), reqwest::Error> {
    let status = resp.status().as_u16();
    let headers = std::mem::take(resp.headers_mut());
    let mut buf = match resp.content_length() {
        Some(n) => Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(MAX_RESPONSE_BYTES)),
        None => Vec::new(),
    };
    while let Some(chunk) = resp.chunk().await? {
        if buf.len() + chunk.len() > MAX_RESPONSE_BYTES {
            // Keep what fits; the decoder will report the truncated body.
            let room = MAX_RESPONSE_BYTES - buf.len();
            buf.extend_from_slice(chunk.get(..room).unwrap_or(&[]));
            break;
        }
        buf.extend_from_slice(&chunk);
    }
    Ok((status, headers, buf.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderName;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn retry_decisions_by_status() {
        for m in [Method::GET, Method::PUT, Method::DELETE] {
            for s in [500, 502, 503, 504, 429] {
                assert!(should_retry_status(&m, s), "{m} {s}");
            }
            for s in [400, 401, 403, 404, 409, 501] {
                assert!(!should_retry_status(&m, s), "{m} {s}");
            }
        }
        for m in [Method::POST, Method::PATCH] {
            assert!(should_retry_status(&m, 429));
            assert!(should_retry_status(&m, 503));
            for s in [500, 502, 504, 400, 404] {
                assert!(
                    !should_retry_status(&m, s),
                    "{m} {s} may have been processed"
                );
            }
        }
    }

    #[test]
    fn retry_decisions_by_failure() {
        for m in [Method::GET, Method::PUT, Method::DELETE] {
            for f in [
                FailureKind::Connect,
                FailureKind::Timeout,
                FailureKind::Other,
            ] {
                assert!(should_retry_failure(&m, f));
            }
        }
        assert!(should_retry_failure(&Method::POST, FailureKind::Connect));
        assert!(!should_retry_failure(&Method::POST, FailureKind::Timeout));
        assert!(!should_retry_failure(&Method::POST, FailureKind::Other));
        assert!(!should_retry_failure(&Method::PATCH, FailureKind::Other));
    }

    #[test]
    fn skew_messages_and_offsets() {
        assert!(is_skew_message(
            "Signature expired: 20180816T032046Z is now earlier than 20180816T040329Z (20180816T040829Z - 5 min.)"
        ));
        assert!(is_skew_message(
            "Signature not yet current: 20180816T050000Z is still later than 20180816T040829Z (20180816T040329Z + 5 min.)"
        ));
        assert!(!is_skew_message("Forbidden"));
        assert!(!is_skew_message(
            "The request signature we calculated does not match the signature you provided."
        ));
        let now = httpdate::parse_http_date("Thu, 16 Aug 2018 04:08:29 GMT").unwrap();
        let h = headers(&[("date", "Thu, 16 Aug 2018 05:08:29 GMT")]);
        assert_eq!(skew_from_date(&h, now), Some(3_600_000));
        let h = headers(&[("date", "Thu, 16 Aug 2018 04:00:29 GMT")]);
        assert_eq!(skew_from_date(&h, now), Some(-480_000));
        assert_eq!(skew_from_date(&headers(&[("date", "garbage")]), now), None);
        assert_eq!(skew_from_date(&HeaderMap::new(), now), None);
    }

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Thu, 16 Aug 2018 04:08:29 GMT").unwrap();
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "0.5")]), now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Thu, 16 Aug 2018 04:08:39 GMT")]),
                now
            ),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Thu, 16 Aug 2018 04:00:00 GMT")]),
                now
            ),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "-3")]), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn request_id_headers() {
        assert_eq!(
            request_id(&headers(&[("x-amzn-RequestId", "a")])).as_deref(),
            Some("a")
        );
        assert_eq!(
            request_id(&headers(&[("x-amz-request-id", "b")])).as_deref(),
            Some("b")
        );
        assert_eq!(
            request_id(&headers(&[("x-request-id", "c")])).as_deref(),
            Some("c")
        );
        assert_eq!(request_id(&HeaderMap::new()), None);
    }

    #[test]
    fn kind_names_round_trip() {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), 15);
        for k in ErrorKind::ALL {
            assert_eq!(k.to_string(), k.as_str());
            if let Some(back) = ErrorKind::from_error_type(k.as_str()) {
                assert_eq!(back, k);
            }
        }
    }

    #[test]
    fn error_mapping() {
        let e = |status: u16, body: &str| error_from_response(status, body.as_bytes(), None, &[]);
        let no_face = e(
            400,
            r#"{"message":"No face found","errorCode":2001,"errorType":"NoFace"}"#,
        );
        assert_eq!(no_face.kind(), ErrorKind::NoFace);
        assert_eq!(no_face.error_code(), Some(2001));
        assert_eq!(no_face.error_type(), Some("NoFace"));
        assert_eq!(no_face.message(), "No face found");
        assert_eq!(no_face.status(), Some(400));
        for (t, k) in [
            ("InvalidRequest", ErrorKind::InvalidRequest),
            ("Duplicate", ErrorKind::Duplicate),
            ("Timeout", ErrorKind::Timeout),
            ("PoorQuality", ErrorKind::PoorQuality),
            ("MultipleFaces", ErrorKind::MultipleFaces),
        ] {
            let body = format!(r#"{{"message":"m","errorCode":1,"errorType":"{t}"}}"#);
            assert_eq!(e(400, &body).kind(), k);
        }
        assert_eq!(
            e(
                500,
                r#"{"message":"slow","errorCode":1003,"errorType":"Timeout"}"#
            )
            .kind(),
            ErrorKind::Timeout
        );
        assert_eq!(
            e(400, r#"{"message":"bad"}"#).kind(),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            e(400, r#"{"message":"x","errorType":"Weird"}"#).kind(),
            ErrorKind::InvalidRequest
        );
        assert_eq!(e(403, r#"{"message":"Forbidden"}"#).kind(), ErrorKind::Auth);
        assert_eq!(e(401, "").kind(), ErrorKind::Auth);
        assert_eq!(e(404, "").kind(), ErrorKind::NotFound);
        assert_eq!(e(429, "").kind(), ErrorKind::Throttled);
        assert_eq!(e(502, "<html>bad gateway</html>").kind(), ErrorKind::Server);
        assert!(
            e(502, "<html>bad gateway</html>")
                .message()
                .contains("bad gateway")
        );
        assert_eq!(e(503, "").message(), "HTTP 503 Service Unavailable");
    }

    #[test]
    fn messages_and_excerpts_are_scrubbed() {
        let secrets = ["my-api-key-123", "secret-key-456"];
        let err = error_from_response(
            400,
            br#"{"message":"Duplicate gallery, apiKey my-api-key-123","errorType":"Duplicate"}"#,
            None,
            &secrets,
        );
        assert!(!err.message().contains("my-api-key-123"), "{err}");
        assert!(err.message().contains("***"));
        let ex = excerpt(
            format!("garbage secret-key-456 {}", "x".repeat(500)).as_bytes(),
            &secrets,
        );
        assert!(!ex.contains("secret-key-456"));
        assert!(ex.chars().count() <= EXCERPT_CHARS + 1);
    }
}
