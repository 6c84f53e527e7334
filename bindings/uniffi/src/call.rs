//! Per-call options, cancellation and response metadata: `Client.withOptions(...)`
//! returns a view of the client (the core's `Client::with_options`) whose calls use the
//! options and record their metadata (`lastMetadata()`). Coroutine / Task cancellation
//! already stops a call; `CancelToken` cancels from anywhere.

use std::sync::Arc;
use std::time::Duration;

use crate::error::NecIdError;

/// Cancels the calls of every view whose `CallOptions.cancel` is this token, from any
/// thread: a running call stops at once (its connection is closed, no retry follows) and
/// throws `NecIdError.Cancelled`; a call started afterwards throws it without sending.
#[derive(Debug, uniffi::Object)]
pub struct CancelToken(pub(crate) necid::CancelToken);

#[uniffi::export]
impl CancelToken {
    /// A token not cancelled yet.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(CancelToken(necid::CancelToken::new()))
    }
    /// Cancel every call using this token (idempotent).
    pub fn cancel(&self) {
        self.0.cancel();
    }
    /// Whether `cancel()` was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// Options of the calls made on a view (`Client.withOptions`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct CallOptions {
    /// Deadline of each whole call, every attempt and backoff included: then
    /// `NecIdError.TimedOut`.
    #[uniffi(default = None)]
    pub deadline: Option<Duration>,
    /// Total attempts of each call (overrides the client's; 1 = no retries).
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
    /// Extra request headers, signed with each request. The SDK's own (`authorization`,
    /// `host`, `x-api-key`, `x-amz-*`, …) are refused with `NecIdError.InvalidInput`.
    #[uniffi(default)]
    pub headers: std::collections::HashMap<String, String>,
    /// A cancel token, or none.
    #[uniffi(default = None)]
    pub cancel: Option<Arc<CancelToken>>,
}

/// What the response of a call said (`Client.lastMetadata()` of a view).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ResponseMetadata {
    /// The response's request id (`x-amzn-requestid`), if it sent one.
    pub request_id: Option<String>,
    /// HTTP status of the call's last response.
    pub status: u16,
    /// Requests sent for the call's last request, retries included (1: no retry).
    pub attempts: u32,
    /// Clock-skew correction (server minus local, ms) the request was signed with.
    pub clock_skew_ms: i64,
}

impl CallOptions {
    pub(crate) fn to_core(&self) -> Result<necid::CallOptions, NecIdError> {
        let mut c = necid::CallOptions::new();
        c.deadline = self.deadline;
        c.max_attempts = self.max_attempts;
        let mut headers: Vec<(String, String)> = self.headers.clone().into_iter().collect();
        headers.sort();
        c.headers = headers;
        c.cancel = self.cancel.as_ref().map(|t| t.0.clone());
        c.validate()?;
        Ok(c)
    }
}

impl From<necid::ResponseMetadata> for ResponseMetadata {
    fn from(m: necid::ResponseMetadata) -> Self {
        ResponseMetadata {
            request_id: m.request_id,
            status: m.status,
            attempts: m.attempts,
            clock_skew_ms: m.clock_skew_ms,
        }
    }
}

/// Receives the SDK's log events (`setLogListener`). Called on an SDK thread: keep it
/// quick and make no SDK call from it.
#[uniffi::export(with_foreign)]
pub trait LogListener: Send + Sync {
    /// One event: `level` `"error"`, `"warn"`, `"info"`, `"debug"` or `"trace"`; `target`
    /// the emitting Rust module; `message` the text with the request's fields (operation,
    /// status, attempt, request id), never a secret.
    fn on_log(&self, level: String, target: String, message: String);
}

/// Forward the SDK's log events at `level` (`"error"`, `"warn"`, `"info"`, `"debug"`,
/// `"trace"`; `"off"` or a null listener stops) and above to `listener`: retries (info),
/// every response and failure with its request id (debug), a clock-skew correction
/// (warn). Off by default: nothing is formatted until a listener is set.
#[uniffi::export]
pub fn set_log_listener(
    listener: Option<Arc<dyn LogListener>>,
    level: String,
) -> Result<(), NecIdError> {
    let level = necid::logging::LogLevel::parse(&level)?;
    let sink = listener.map(|l| {
        let sink: necid::logging::LogSink = Arc::new(move |r| {
            let name = match r.level {
                necid::logging::LogLevel::Error => "error",
                necid::logging::LogLevel::Warn => "warn",
                necid::logging::LogLevel::Info => "info",
                necid::logging::LogLevel::Debug => "debug",
                _ => "trace",
            };
            l.on_log(name.to_owned(), r.target.to_owned(), r.message.to_owned());
        });
        sink
    });
    necid::logging::set_log_sink(sink, level)?;
    Ok(())
}
