//! Per-call options, cancellation and response metadata.
//!
//! - [`CallOptions`]: a deadline for the whole call (every attempt and the waits between
//!   them), a `max_attempts` override, extra headers (signed like the SDK's own) and a
//!   [`CancelToken`]. [`crate::Client::with_options`] returns a view of the client whose
//!   calls use them; the existing method signatures do not change.
//! - [`ResponseMetadata`]: request id, HTTP status, requests sent and the clock-skew
//!   correction of a call's last response. [`crate::Client::with_metadata`] returns it
//!   next to the result; callers who do not ask pay nothing (no slot is allocated).
//!
//! Bindings convert their own spelling of the options into a [`CallOptions`] and ask for
//! the metadata through [`MetadataSlot`]; the logic (deadline, cancellation, header
//! checks, recording) lives here and in the transport.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};

use crate::error::{Error, ErrorKind, Result};

/// Headers a caller may not set through [`CallOptions::header`]: the ones the SDK sets and
/// signs itself, the host, and HTTP framing headers.
pub const RESERVED_HEADERS: &[&str] = &[
    "host",
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
    "x-api-key",
    "content-type",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "user-agent",
    "accept",
];

/// Options of one call. `Default` changes nothing: the client's settings apply.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct CallOptions {
    /// The whole call, every attempt and backoff included, fails with `TimedOut` after
    /// this long (the client's `request_timeout` still bounds each attempt).
    pub deadline: Option<Duration>,
    /// Overrides the client's `max_attempts` (1 = no retries) for this call.
    pub max_attempts: Option<u32>,
    /// Extra request headers, signed with the request. Names the SDK owns
    /// ([`RESERVED_HEADERS`]) are refused with an `InvalidInput` error (field `headers`).
    pub headers: Vec<(String, String)>,
    /// Cancels the call from anywhere ([`CancelToken::cancel`]): it stops at once, closes
    /// its connection, retries no more and fails with `Cancelled`.
    pub cancel: Option<CancelToken>,
}

impl CallOptions {
    /// No options (the client's settings apply).
    pub fn new() -> CallOptions {
        CallOptions::default()
    }
    /// A deadline for the whole call.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }
    /// Total attempts for this call (1 = no retries).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = Some(n);
        self
    }
    /// One more request header (signed).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// The token that cancels the call.
    pub fn cancel_token(mut self, token: CancelToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// Checks the options the way a call does (a binding may call it early to fail at
    /// once): `max_attempts` ≥ 1, header names and values valid and not reserved.
    pub fn validate(&self) -> Result<()> {
        if self.max_attempts == Some(0) {
            return Err(Error::invalid_input(
                "max_attempts",
                "must be at least 1 (1 = no retries)",
            ));
        }
        self.parsed_headers().map(|_| ())
    }

    /// The extra headers as lower-case names and values, checked.
    pub(crate) fn parsed_headers(&self) -> Result<Vec<(HeaderName, HeaderValue)>> {
        let mut out = Vec::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            let lower = name.trim().to_ascii_lowercase();
            let parsed = HeaderName::from_bytes(lower.as_bytes()).map_err(|_| {
                Error::invalid_input("headers", format!("{name:?} is not a valid header name"))
            })?;
            if RESERVED_HEADERS.contains(&parsed.as_str()) || parsed.as_str().starts_with("proxy-")
            {
                return Err(Error::invalid_input(
                    "headers",
                    format!(
                        "{:?} is set (and signed) by the SDK and cannot be overridden per call",
                        parsed.as_str()
                    ),
                ));
            }
            let v = HeaderValue::from_str(value.trim()).map_err(|_| {
                Error::invalid_input(
                    "headers",
                    format!(
                        "the value of {:?} is not a valid header value",
                        parsed.as_str()
                    ),
                )
            })?;
            out.push((parsed, v));
        }
        Ok(out)
    }
}

impl fmt::Debug for CallOptions {
    /// Header values are left out (they may carry tokens).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("CallOptions")
            .field("deadline", &self.deadline)
            .field("max_attempts", &self.max_attempts)
            .field("headers", &names)
            .field("cancel", &self.cancel)
            .finish()
    }
}

/// Cancels the calls it was given to ([`CallOptions::cancel_token`]), from any thread.
/// Cheap to clone; clones cancel together. Cancelling is permanent: a call started with
/// a cancelled token fails with `Cancelled` before sending anything.
#[derive(Clone)]
pub struct CancelToken {
    tx: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Default for CancelToken {
    fn default() -> Self {
        CancelToken::new()
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> CancelToken {
        CancelToken {
            tx: Arc::new(tokio::sync::watch::Sender::new(false)),
        }
    }
    /// Cancel every call using this token (idempotent; safe from any thread, also from a
    /// signal-free context: it only flips a flag and wakes the calls).
    pub fn cancel(&self) {
        self.tx.send_replace(true);
    }
    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        *self.tx.borrow()
    }
    /// Completes once the token is cancelled.
    pub async fn cancelled(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives as long as `self`, so `wait_for` only ends by cancellation.
        let _ = rx.wait_for(|c| *c).await;
    }
}

/// What a call's last response said, for support tickets and diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseMetadata {
    /// The response's request id (`x-amzn-requestid`, `x-amz-request-id` or
    /// `x-request-id`), if it sent one.
    pub request_id: Option<String>,
    /// HTTP status of the last response (a 404 that an operation reports as an empty
    /// result keeps its 404); 0 if the call got no response.
    pub status: u16,
    /// Requests sent for the last request of the call, retries and a clock-skew resend
    /// included (1 = the first try answered).
    pub attempts: u32,
    /// Clock-skew correction (server minus local clock, ms) the last request was signed
    /// with; 0 when none was needed.
    pub clock_skew_ms: i64,
}

/// Where a call records its [`ResponseMetadata`] (bindings create one per call they want
/// metadata for). Cheap to clone; clones share the slot.
#[derive(Clone, Default, Debug)]
pub struct MetadataSlot(Arc<Mutex<Option<ResponseMetadata>>>);

impl MetadataSlot {
    /// An empty slot.
    pub fn new() -> MetadataSlot {
        MetadataSlot::default()
    }
    /// The metadata recorded so far (the last response's), if any.
    pub fn get(&self) -> Option<ResponseMetadata> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
    pub(crate) fn set(&self, m: ResponseMetadata) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(m);
    }
}

/// The per-call state a client view carries.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    pub(crate) options: CallOptions,
    pub(crate) slot: Option<MetadataSlot>,
}

impl Scope {
    /// Run an operation's future under the scope: options checked, the deadline and the
    /// cancel token raced against it (the loser is dropped, which closes its connection).
    pub(crate) async fn guard<T>(&self, fut: impl Future<Output = Result<T>>) -> Result<T> {
        self.options.validate()?;
        let cancel = self.options.cancel.clone();
        if cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            return Err(cancelled());
        }
        let cancelled_fut = async {
            match &cancel {
                Some(c) => c.cancelled().await,
                None => std::future::pending().await,
            }
        };
        let deadline = self.options.deadline;
        let timed = async {
            match deadline {
                Some(d) => tokio::time::timeout(d, fut).await.map_err(|_| {
                    Error::new(
                        ErrorKind::TimedOut,
                        format!("the call's deadline of {d:?} expired (retries included)"),
                    )
                })?,
                None => fut.await,
            }
        };
        tokio::select! {
            biased;
            () = cancelled_fut => Err(cancelled()),
            r = timed => r,
        }
    }
}

fn cancelled() -> Error {
    Error::new(ErrorKind::Cancelled, "the call was cancelled by the caller")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_and_bad_headers_are_refused() {
        for name in [
            "Authorization",
            "host",
            "X-Amz-Date",
            "x-api-key",
            "Content-Type",
            "Proxy-Authorization",
        ] {
            let e = CallOptions::new().header(name, "v").validate().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}");
            assert_eq!(e.field(), Some("headers"));
        }
        let e = CallOptions::new()
            .header("bad name", "v")
            .validate()
            .unwrap_err();
        assert_eq!(e.field(), Some("headers"));
        let e = CallOptions::new()
            .header("x-ok", "a\nb")
            .validate()
            .unwrap_err();
        assert_eq!(e.field(), Some("headers"));
        let e = CallOptions::new().max_attempts(0).validate().unwrap_err();
        assert_eq!(e.field(), Some("max_attempts"));
        let ok = CallOptions::new()
            .header("X-Trace-Id", " abc ")
            .max_attempts(1);
        ok.validate().unwrap();
        let h = ok.parsed_headers().unwrap();
        assert_eq!(h[0].0.as_str(), "x-trace-id");
        assert_eq!(h[0].1, "abc");
    }

    #[test]
    fn debug_leaves_header_values_out() {
        let o = CallOptions::new().header("x-token", "s3cr3t-value");
        let d = format!("{o:?}");
        assert!(d.contains("x-token") && !d.contains("s3cr3t-value"), "{d}");
    }

    #[test]
    fn cancel_token_clones_cancel_together() {
        let a = CancelToken::new();
        let b = a.clone();
        assert!(!b.is_cancelled());
        a.cancel();
        assert!(b.is_cancelled());
        crate::runtime().unwrap().block_on(b.cancelled());
    }
}
