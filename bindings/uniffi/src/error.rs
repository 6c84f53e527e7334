//! The one error type: a case per [`necid::ErrorKind`] (expanded from the core's
//! `necid::error_kinds!` list, so no kind can be forgotten) plus `Internal`, each case
//! with the same fields.

use necid::ErrorKind;

macro_rules! necid_error {
    ($($kind:ident $doc:literal,)*) => {
        /// Every error the SDK reports. One case per error kind of the core, plus
        /// `Internal`; each carries:
        /// - `reason`: the human-readable message (the service's own `message` when it sent
        ///   one); named `reason` because Kotlin exceptions already own `message` (which, in
        ///   Kotlin, renders every field of the case);
        /// - `status`: HTTP status of the response, if there was one;
        /// - `error_code` / `error_type`: the service's `errorCode` (e.g. 2001) and
        ///   `errorType` (e.g. `"NoFace"`), when present;
        /// - `request_id`: the response's request id, for support tickets;
        /// - `field`: for `InvalidInput`, the argument or setting that was rejected.
        ///
        /// Never contains the secret key, session token or API key.
        #[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
        pub enum NecIdError {
            $(
                #[doc = $doc]
                $kind {
                    reason: String,
                    status: Option<i32>,
                    error_code: Option<i64>,
                    error_type: Option<String>,
                    request_id: Option<String>,
                    field: Option<String>,
                },
            )*
            /// A failure inside the SDK (a panic caught at the boundary, a task cancelled
            /// by runtime shutdown), or an error kind this build of the binding does not
            /// know (`reason` then starts with the kind's name). The rule of every binding
            /// (C `NECID_ERR_INTERNAL`, Node code `INTERNAL`, Python `NecIdError` with kind
            /// `Internal`). Please report it.
            Internal {
                reason: String,
                status: Option<i32>,
                error_code: Option<i64>,
                error_type: Option<String>,
                request_id: Option<String>,
                field: Option<String>,
            },
        }

        #[uniffi::export]
        impl NecIdError {
            /// The kind and every field, whichever case this is.
            pub fn details(&self) -> ErrorDetails {
                let (kind, reason, status, error_code, error_type, request_id, field) =
                    match self {
                        $(NecIdError::$kind { reason, status, error_code, error_type, request_id, field }
                            => (stringify!($kind), reason, status, error_code, error_type, request_id, field),)*
                        NecIdError::Internal { reason, status, error_code, error_type, request_id, field }
                            => ("Internal", reason, status, error_code, error_type, request_id, field),
                    };
                ErrorDetails {
                    kind: kind.to_owned(),
                    reason: reason.clone(),
                    status: *status,
                    error_code: *error_code,
                    error_type: error_type.clone(),
                    request_id: request_id.clone(),
                    field: field.clone(),
                }
            }
        }

        impl NecIdError {
            /// The case of `kind` (`None`: `Internal`) with the fields of `d` (whose own
            /// `kind` is not read).
            fn of_kind(kind: Option<ErrorKind>, d: ErrorDetails) -> NecIdError {
                let ErrorDetails { reason, status, error_code, error_type, request_id, field, .. } = d;
                match kind {
                    $(
                        Some(ErrorKind::$kind) => NecIdError::$kind {
                            reason, status, error_code, error_type, request_id, field,
                        },
                    )*
                    None => NecIdError::Internal {
                        reason, status, error_code, error_type, request_id, field,
                    },
                    // `ErrorKind` is non-exhaustive: a kind added to the core after this
                    // binding was built is Internal (its name stays in `reason`).
                    Some(other) => NecIdError::Internal {
                        reason: format!("{other}: {reason}"),
                        status, error_code, error_type, request_id, field,
                    },
                }
            }
        }
    };
}

necid::error_kinds!(necid_error);

impl std::fmt::Display for NecIdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.details();
        write!(f, "{}: {}", d.kind, d.reason)
    }
}

impl std::error::Error for NecIdError {}

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
    /// For `InvalidInput`: the argument or setting that was rejected.
    pub field: Option<String>,
}

impl From<necid::Error> for NecIdError {
    fn from(e: necid::Error) -> Self {
        NecIdError::of_kind(
            Some(e.kind()),
            ErrorDetails {
                kind: String::new(),
                reason: e.message().to_owned(),
                status: e.status().map(i32::from),
                error_code: e.error_code(),
                error_type: e.error_type().map(str::to_owned),
                request_id: e.request_id().map(str::to_owned),
                field: e.field().map(str::to_owned),
            },
        )
    }
}

/// A foreign callback (the bulk progress listener) threw something other than a
/// `NecIdError`.
impl From<uniffi::UnexpectedUniFFICallbackError> for NecIdError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        let reason = format!("the progress listener failed: {}", e.reason);
        NecIdError::of_kind(
            Some(ErrorKind::InvalidInput),
            ErrorDetails::new(reason, Some("on_progress")),
        )
    }
}

impl NecIdError {
    /// An SDK-internal failure (a task panicked or was cancelled by runtime shutdown).
    pub(crate) fn internal(reason: &str) -> NecIdError {
        NecIdError::of_kind(None, ErrorDetails::new(reason.to_owned(), None))
    }
}

impl ErrorDetails {
    /// A reason (and a rejected field) with no response behind it.
    fn new(reason: String, field: Option<&str>) -> ErrorDetails {
        ErrorDetails {
            kind: String::new(),
            reason,
            status: None,
            error_code: None,
            error_type: None,
            request_id: None,
            field: field.map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_its_case_with_fields() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            let e: NecIdError = necid::Error::new(kind, "boom").into();
            let d = e.details();
            assert_eq!(d.kind, kind.as_str());
            assert_eq!(d.reason, "boom");
            assert_eq!(d.status, None);
            assert_eq!(e.to_string(), format!("{kind}: boom"));
            assert!(
                seen.insert(std::mem::discriminant(&e)),
                "{kind} shares a case"
            );
        }
        let e: NecIdError = necid::Error::invalid_input("threshold", "too high").into();
        assert_eq!(e.details().field.as_deref(), Some("threshold"));
        let d = NecIdError::internal("task panicked").details();
        assert_eq!(
            (d.kind.as_str(), d.reason.as_str()),
            ("Internal", "task panicked")
        );
    }
}
