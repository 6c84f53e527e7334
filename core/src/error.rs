//! One error type for every operation, with a small, stable set of kinds that every
//! binding maps one-to-one (Python exception classes, Node `code`s, C status codes).

use std::fmt;
use std::sync::Arc;

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Calls the macro `$callback` with every error kind, in declaration order, as
/// `Name "doc",` pairs: the one list the core's [`ErrorKind`] (with
/// [`ErrorKind::ALL`] and [`ErrorKind::as_str`]) and the bindings' per-kind declarations
/// (the UniFFI error cases) are expanded from. Kinds are only ever appended (C status
/// codes and CLI exit codes follow this order).
///
/// ```
/// macro_rules! names {
///     ($($kind:ident $doc:literal,)*) => { [$(stringify!($kind)),*] };
/// }
/// let names = necid::error_kinds!(names);
/// assert_eq!(names.len(), necid::ErrorKind::ALL.len());
/// assert_eq!(names[0], "InvalidInput");
/// ```
#[macro_export]
macro_rules! error_kinds {
    ($callback:ident) => {
        $callback! {
            InvalidInput "Rejected by the SDK before any byte was sent (bad argument or configuration).",
            Auth "401/403: bad or missing signature, credentials or API key.",
            NotFound "404: unknown subject, event, tag, gallery or application.",
            InvalidRequest "The service's `InvalidRequest` (1001), or another 4xx without a known errorType.",
            Duplicate "The service's `Duplicate` (1002).",
            Timeout "The service's `Timeout` (1003): the *server* gave up.",
            NoFace "The service's `NoFace` (2001).",
            PoorQuality "The service's `PoorQuality` (2002).",
            MultipleFaces "The service's `MultipleFaces` (2003).",
            Throttled "429: the service is throttling this client (after the configured retries).",
            Server "5xx from the service (after the configured retries).",
            Network "The connection failed or broke (DNS, refused, reset, TLS, truncated response).",
            TimedOut "A *client-side* timeout or deadline expired.",
            Decode "The response could not be read as the documented shape.",
            Cancelled "The caller cancelled the call (a cancel token, an AbortSignal): it stopped, closed its connection and retried no more.",
        }
    };
}

macro_rules! define_error_kind {
    ($($kind:ident $doc:literal,)*) => {
        /// What went wrong, coarsely enough that callers can branch on it.
        ///
        /// `Timeout` is the *service's* `errorType: "Timeout"` (code 1003: the server gave
        /// up); `TimedOut` is the *client's* connect/request timeout or a deadline that
        /// expired locally. The list is [`error_kinds!`](crate::error_kinds).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $(#[doc = $doc] $kind,)*
        }

        impl ErrorKind {
            /// Every kind, in declaration order (for bindings that generate one class per
            /// kind, and for tests that check a binding's list against the core's).
            pub const ALL: [ErrorKind; [$(stringify!($kind)),*].len()] = [$(ErrorKind::$kind),*];

            /// Stable name of the kind (the same string every binding uses).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => stringify!($kind),)*
                }
            }
        }
    };
}

error_kinds!(define_error_kind);

impl ErrorKind {
    /// The kind named by a service `errorType`, if it is one of the documented ones.
    pub fn from_error_type(error_type: &str) -> Option<ErrorKind> {
        Some(match error_type {
            "InvalidRequest" => ErrorKind::InvalidRequest,
            "Duplicate" => ErrorKind::Duplicate,
            "Timeout" => ErrorKind::Timeout,
            "NoFace" => ErrorKind::NoFace,
            "PoorQuality" => ErrorKind::PoorQuality,
            "MultipleFaces" => ErrorKind::MultipleFaces,
            _ => return None,
        })
    }

    /// The kind named by a service `errorCode` (the reference's table: 1001–1003,
    /// 2001–2003), for responses whose `errorType` is absent or not one of those.
    pub fn from_error_code(error_code: i64) -> Option<ErrorKind> {
        Some(match error_code {
            1001 => ErrorKind::InvalidRequest,
            1002 => ErrorKind::Duplicate,
            1003 => ErrorKind::Timeout,
            2001 => ErrorKind::NoFace,
            2002 => ErrorKind::PoorQuality,
            2003 => ErrorKind::MultipleFaces,
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from the SDK or the service.
///
/// Carries what the response said (`status`, `errorCode`, `errorType`, request id) so a
/// support ticket can quote it. Never contains the secret key, session token or API key.
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    error_code: Option<i64>,
    error_type: Option<String>,
    request_id: Option<String>,
    field: Option<String>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// A new error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                error_code: None,
                error_type: None,
                request_id: None,
                field: None,
                source: None,
            }),
        }
    }

    /// An `InvalidInput` error naming the offending argument or setting.
    pub fn invalid_input(field: &str, message: impl fmt::Display) -> Error {
        let mut e = Error::new(ErrorKind::InvalidInput, format!("{field}: {message}"));
        e.inner.field = Some(field.to_owned());
        e
    }

    pub(crate) fn with_field(mut self, field: &str) -> Error {
        self.inner.field = Some(field.to_owned());
        self
    }
    pub(crate) fn with_status(mut self, status: u16) -> Error {
        self.inner.status = Some(status);
        self
    }
    pub(crate) fn with_error_code(mut self, code: Option<i64>) -> Error {
        self.inner.error_code = code;
        self
    }
    pub(crate) fn with_error_type(mut self, t: Option<String>) -> Error {
        self.inner.error_type = t;
        self
    }
    pub(crate) fn with_request_id(mut self, id: Option<String>) -> Error {
        self.inner.request_id = id;
        self
    }
    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        self.inner.source = Some(Arc::new(source));
        self
    }

    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }
    /// Human-readable description (the service's `message` when it sent one).
    pub fn message(&self) -> &str {
        &self.inner.message
    }
    /// HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }
    /// The service's numeric `errorCode` (e.g. 2001), when present.
    pub fn error_code(&self) -> Option<i64> {
        self.inner.error_code
    }
    /// The service's `errorType` (e.g. `"NoFace"`), when present.
    pub fn error_type(&self) -> Option<&str> {
        self.inner.error_type.as_deref()
    }
    /// The response's request id (`x-amzn-requestid`, `x-amz-request-id` or `x-request-id`).
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }
    /// For `InvalidInput`: the argument or setting that was rejected.
    pub fn field(&self) -> Option<&str> {
        self.inner.field.as_deref()
    }
    /// Whether retrying the same call later might succeed (throttling, 5xx, network, timeouts).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::Throttled | ErrorKind::Server | ErrorKind::Network | ErrorKind::TimedOut
        )
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("message", &self.inner.message);
        if let Some(s) = self.inner.status {
            d.field("status", &s);
        }
        if let Some(c) = self.inner.error_code {
            d.field("error_code", &c);
        }
        if let Some(t) = &self.inner.error_type {
            d.field("error_type", t);
        }
        if let Some(r) = &self.inner.request_id {
            d.field("request_id", r);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", &s.to_string());
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.inner.kind, self.inner.message)?;
        let mut extra = Vec::new();
        if let Some(s) = self.inner.status {
            extra.push(format!("HTTP {s}"));
        }
        if let Some(t) = &self.inner.error_type {
            extra.push(format!("errorType {t}"));
        }
        if let Some(c) = self.inner.error_code {
            extra.push(format!("errorCode {c}"));
        }
        if let Some(r) = &self.inner.request_id {
            extra.push(format!("request id {r}"));
        }
        if !extra.is_empty() {
            write!(f, " ({})", extra.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
