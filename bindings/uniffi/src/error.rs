//! The one error type: a case per [`necid::ErrorKind`], each with the same fields.

use necid::ErrorKind;

/// Every error the SDK reports. One case per error kind, each carrying:
/// - `reason`: the human-readable message (the service's own `message` when it sent one);
///   named `reason` because Kotlin exceptions already own `message` (which, in Kotlin,
///   renders every field of the case);
/// - `status`: HTTP status of the response, if there was one;
/// - `error_code` / `error_type`: the service's `errorCode` (e.g. 2001) and `errorType`
///   (e.g. `"NoFace"`), when present;
/// - `request_id`: the response's request id, for support tickets.
///
/// Never contains the secret key, session token or API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum NecIdError {
    /// Rejected by the SDK before any byte was sent (bad argument or configuration).
    #[error("InvalidInput: {reason}")]
    InvalidInput {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
    /// 401/403: bad or missing signature, credentials or API key.
    #[error("Auth: {reason}")]
    Auth {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
    /// 404: unknown subject, event, tag, gallery or application.
    #[error("NotFound: {reason}")]
    NotFound {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
    /// The service's `InvalidRequest` (1001), or another 4xx without a known errorType.
    #[error("InvalidRequest: {reason}")]
    InvalidRequest {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
    /// The service's `Duplicate` (1002).
    #[error("Duplicate: {reason}")]
    Duplicate {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
    /// The service's `Timeout` (1003): the *server* gave up.
    #[error("Timeout: {reason}")]
    Timeout {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
    /// The service's `NoFace` (2001).
    #[error("NoFace: {reason}")]
    NoFace {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
    /// The service's `PoorQuality` (2002).
    #[error("PoorQuality: {reason}")]
    PoorQuality {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
    /// The service's `MultipleFaces` (2003).
    #[error("MultipleFaces: {reason}")]
    MultipleFaces {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
    /// 429: the service is throttling this client (after the configured retries).
    #[error("Throttled: {reason}")]
    Throttled {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
    /// 5xx from the service (after the configured retries).
    #[error("Server: {reason}")]
    Server {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
    /// The connection failed or broke (DNS, refused, reset, TLS, truncated response).
    #[error("Network: {reason}")]
    Network {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
    /// A *client-side* timeout or deadline expired.
    #[error("TimedOut: {reason}")]
    TimedOut {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
    /// The response could not be read as the documented shape.
    #[error("Decode: {reason}")]
    Decode {
        reason: String,
        status: Option<i32>,
        error_code: Option<i64>,
        error_type: Option<String>,
        request_id: Option<String>,
    },
}

/// The fields every [`NecIdError`] case carries, for code that handles all kinds alike.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ErrorDetails {
    /// Stable kind name, e.g. `"NotFound"` (the same string in every binding).
    pub kind: String,
    /// Human-readable message.
    pub reason: String,
    /// HTTP status, when there was a response.
    pub status: Option<i32>,
    /// The service's numeric `errorCode`.
    pub error_code: Option<i64>,
    /// The service's `errorType`.
    pub error_type: Option<String>,
    /// The response's request id.
    pub request_id: Option<String>,
}

macro_rules! by_kind {
    ($kind:expr, $($name:ident),*; $fields:tt) => {
        match $kind {
            $(ErrorKind::$name => by_kind!(@make $name $fields),)*
            // `ErrorKind` is non-exhaustive: a kind added to the core later reads as
            // Decode here until this binding learns it (the kind name stays in `reason`).
            _ => by_kind!(@make Decode $fields),
        }
    };
    (@make $name:ident { $($f:ident),* }) => { NecIdError::$name { $($f),* } };
}

impl From<necid::Error> for NecIdError {
    fn from(e: necid::Error) -> Self {
        let reason = match e.kind() {
            ErrorKind::InvalidInput
            | ErrorKind::Auth
            | ErrorKind::NotFound
            | ErrorKind::InvalidRequest
            | ErrorKind::Duplicate
            | ErrorKind::Timeout
            | ErrorKind::NoFace
            | ErrorKind::PoorQuality
            | ErrorKind::MultipleFaces
            | ErrorKind::Throttled
            | ErrorKind::Server
            | ErrorKind::Network
            | ErrorKind::TimedOut
            | ErrorKind::Decode => e.message().to_owned(),
            other => format!("{other}: {}", e.message()),
        };
        let status = e.status().map(i32::from);
        let error_code = e.error_code();
        let error_type = e.error_type().map(str::to_owned);
        let request_id = e.request_id().map(str::to_owned);
        by_kind!(e.kind(), InvalidInput, Auth, NotFound, InvalidRequest, Duplicate, Timeout,
            NoFace, PoorQuality, MultipleFaces, Throttled, Server, Network, TimedOut, Decode;
            { reason, status, error_code, error_type, request_id })
    }
}

impl NecIdError {
    /// An SDK-internal failure (a task panicked or was cancelled by runtime shutdown).
    pub(crate) fn internal(reason: &str) -> NecIdError {
        NecIdError::Network {
            reason: reason.to_owned(),
            status: None,
            error_code: None,
            error_type: None,
            request_id: None,
        }
    }
}

/// A foreign callback (the bulk progress listener) threw something other than a
/// `NecIdError`.
impl From<uniffi::UnexpectedUniFFICallbackError> for NecIdError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        NecIdError::InvalidInput {
            reason: format!("the progress listener failed: {}", e.reason),
            status: None,
            error_code: None,
            error_type: None,
            request_id: None,
        }
    }
}

#[uniffi::export]
impl NecIdError {
    /// The kind and every field, whichever case this is.
    pub fn details(&self) -> ErrorDetails {
        let (kind, reason, status, error_code, error_type, request_id) = match self {
            NecIdError::InvalidInput {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => (
                "InvalidInput",
                reason,
                status,
                error_code,
                error_type,
                request_id,
            ),
            NecIdError::Auth {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => ("Auth", reason, status, error_code, error_type, request_id),
            NecIdError::NotFound {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => (
                "NotFound", reason, status, error_code, error_type, request_id,
            ),
            NecIdError::InvalidRequest {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => (
                "InvalidRequest",
                reason,
                status,
                error_code,
                error_type,
                request_id,
            ),
            NecIdError::Duplicate {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => (
                "Duplicate",
                reason,
                status,
                error_code,
                error_type,
                request_id,
            ),
            NecIdError::Timeout {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => (
                "Timeout", reason, status, error_code, error_type, request_id,
            ),
            NecIdError::NoFace {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => ("NoFace", reason, status, error_code, error_type, request_id),
            NecIdError::PoorQuality {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => (
                "PoorQuality",
                reason,
                status,
                error_code,
                error_type,
                request_id,
            ),
            NecIdError::MultipleFaces {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => (
                "MultipleFaces",
                reason,
                status,
                error_code,
                error_type,
                request_id,
            ),
            NecIdError::Throttled {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => (
                "Throttled",
                reason,
                status,
                error_code,
                error_type,
                request_id,
            ),
            NecIdError::Server {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => ("Server", reason, status, error_code, error_type, request_id),
            NecIdError::Network {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => (
                "Network", reason, status, error_code, error_type, request_id,
            ),
            NecIdError::TimedOut {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => (
                "TimedOut", reason, status, error_code, error_type, request_id,
            ),
            NecIdError::Decode {
                reason,
                status,
                error_code,
                error_type,
                request_id,
            } => ("Decode", reason, status, error_code, error_type, request_id),
        };
        ErrorDetails {
            kind: kind.to_owned(),
            reason: reason.clone(),
            status: *status,
            error_code: *error_code,
            error_type: error_type.clone(),
            request_id: request_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_its_case_with_fields() {
        for kind in [
            ErrorKind::InvalidInput,
            ErrorKind::Auth,
            ErrorKind::NotFound,
            ErrorKind::InvalidRequest,
            ErrorKind::Duplicate,
            ErrorKind::Timeout,
            ErrorKind::NoFace,
            ErrorKind::PoorQuality,
            ErrorKind::MultipleFaces,
            ErrorKind::Throttled,
            ErrorKind::Server,
            ErrorKind::Network,
            ErrorKind::TimedOut,
            ErrorKind::Decode,
        ] {
            let e: NecIdError = necid::Error::new(kind, "boom").into();
            let d = e.details();
            assert_eq!(d.kind, kind.as_str());
            assert_eq!(d.reason, "boom");
            assert_eq!(d.status, None);
        }
    }
}
