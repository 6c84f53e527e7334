//! Exit codes and the one-line error report.
//!
//! Every failure maps to one documented exit code (see `cli/README.md`): the core's
//! error kinds each get their own code (10–23), so a script can branch on "not found"
//! versus "throttled" without parsing text. Codes 1–5 are the CLI's own.

use std::fmt;

use necid::ErrorKind;
use serde::Serialize;

/// Something unexpected (a bug, or `serve`/`demo` failing).
pub const INTERNAL: u8 = 1;
/// Bad command line (clap uses 2 as well).
pub const USAGE: u8 = 2;
/// A local file could not be read or written.
pub const IO: u8 = 3;
/// The call worked but the answer is "no": `face verify` did not verify.
pub const NOT_VERIFIED: u8 = 4;
/// Some items of a batch failed (registering many images, a bulk job with failed records).
pub const PARTIAL: u8 = 5;

/// The exit code of a core error kind.
pub fn code_for_kind(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidInput => 10,
        ErrorKind::Auth => 11,
        ErrorKind::NotFound => 12,
        ErrorKind::InvalidRequest => 13,
        ErrorKind::Duplicate => 14,
        ErrorKind::Timeout => 15,
        ErrorKind::NoFace => 16,
        ErrorKind::PoorQuality => 17,
        ErrorKind::MultipleFaces => 18,
        ErrorKind::Throttled => 19,
        ErrorKind::Server => 20,
        ErrorKind::Network => 21,
        ErrorKind::TimedOut => 22,
        ErrorKind::Decode => 23,
        ErrorKind::Cancelled => 24,
        // ErrorKind is non-exhaustive: a kind added later is still a failure.
        _ => INTERNAL,
    }
}

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// The SDK or the service said no.
    Api(necid::Error),
    /// A local file problem (reading an image, writing a picture or the profile).
    Io(String),
    /// The arguments make no sense together (found after clap's own checks).
    Usage(String),
    /// `face verify` answered "not verified" (the result is already printed).
    NotVerified,
    /// Some items failed; the per-item results are already printed.
    Partial { failed: usize, total: usize },
    /// Anything else.
    Internal(String),
}

impl CliError {
    /// Shorthand for an I/O error about `what`.
    pub fn io(what: impl fmt::Display, err: impl fmt::Display) -> CliError {
        CliError::Io(format!("{what}: {err}"))
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Api(e) => code_for_kind(e.kind()),
            CliError::Io(_) => IO,
            CliError::Usage(_) => USAGE,
            CliError::NotVerified => NOT_VERIFIED,
            CliError::Partial { .. } => PARTIAL,
            CliError::Internal(_) => INTERNAL,
        }
    }

    /// Stable name printed as `kind` in JSON errors.
    pub fn kind_name(&self) -> &'static str {
        match self {
            CliError::Api(e) => e.kind().as_str(),
            CliError::Io(_) => "Io",
            CliError::Usage(_) => "Usage",
            CliError::NotVerified => "NotVerified",
            CliError::Partial { .. } => "PartialFailure",
            CliError::Internal(_) => "Internal",
        }
    }

    /// The JSON form (`{"error": {...}}`), printed on stderr with `--output json`.
    pub fn to_json(&self) -> ErrorJson {
        let (status, error_code, error_type, request_id) = match self {
            CliError::Api(e) => (
                e.status(),
                e.error_code(),
                e.error_type().map(str::to_owned),
                e.request_id().map(str::to_owned),
            ),
            _ => (None, None, None, None),
        };
        ErrorJson {
            error: ErrorBody {
                kind: self.kind_name(),
                exit_code: self.exit_code(),
                message: self.message(),
                status,
                error_code,
                error_type,
                request_id,
            },
        }
    }

    /// The human message (without the kind prefix for API errors; see `Display`).
    pub fn message(&self) -> String {
        match self {
            CliError::Api(e) => e.message().to_owned(),
            CliError::Io(m) | CliError::Usage(m) | CliError::Internal(m) => m.clone(),
            CliError::NotVerified => "not verified".to_owned(),
            CliError::Partial { failed, total } => format!("{failed} of {total} failed"),
        }
    }

    /// Whether the result was already printed and the "error" only sets the exit code.
    pub fn is_soft(&self) -> bool {
        matches!(self, CliError::NotVerified | CliError::Partial { .. })
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The core's Display: "Kind: message (HTTP 404, errorType …, request id …)".
            CliError::Api(e) => write!(f, "{e}"),
            other => f.write_str(&other.message()),
        }
    }
}

impl std::error::Error for CliError {}

impl From<necid::Error> for CliError {
    fn from(e: necid::Error) -> Self {
        CliError::Api(e)
    }
}

/// `{"error": {...}}`.
#[derive(Debug, Serialize)]
pub struct ErrorJson {
    pub error: ErrorBody,
}

/// The fields of a JSON error. Absent values are `null`, so the shape never changes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub kind: &'static str,
    pub exit_code: u8,
    pub message: String,
    pub status: Option<u16>,
    pub error_code: Option<i64>,
    pub error_type: Option<String>,
    pub request_id: Option<String>,
}

/// Every exit code with its meaning, for `--help` and the README.
pub const TABLE: &[(u8, &str)] = &[
    (0, "success"),
    (1, "unexpected failure"),
    (2, "usage error (bad arguments)"),
    (
        3,
        "local file error (cannot read an image, write a picture or the profile)",
    ),
    (4, "face verify: the faces did not match"),
    (5, "partial failure: some images or bulk records failed"),
    (
        10,
        "InvalidInput: rejected before sending (bad argument or configuration)",
    ),
    (11, "Auth: 401/403, bad signature, credentials or API key"),
    (
        12,
        "NotFound: 404, unknown subject, event, tag, batch, gallery or application",
    ),
    (
        13,
        "InvalidRequest: the service rejected the request (1001 or another 4xx)",
    ),
    (14, "Duplicate: 1002, e.g. the tag already exists"),
    (15, "Timeout: 1003, the service gave up"),
    (16, "NoFace: 2001, no face in the image"),
    (
        17,
        "PoorQuality: 2002, the face is below the gallery's quality minimum",
    ),
    (
        18,
        "MultipleFaces: 2003, more than one face where one is needed",
    ),
    (19, "Throttled: 429"),
    (20, "Server: 5xx"),
    (21, "Network: connection failed or broke"),
    (22, "TimedOut: a client-side timeout or deadline expired"),
    (23, "Decode: the response could not be read"),
    (
        24,
        "Cancelled: the call was cancelled (Ctrl-C or a cancel handle)",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_documented_code() {
        let mut seen = std::collections::HashSet::new();
        // ErrorKind::ALL grows with the core: a new kind without its own code fails here.
        for k in ErrorKind::ALL {
            let code = code_for_kind(k);
            assert_ne!(code, INTERNAL, "{k} has no exit code");
            assert!(seen.insert(code), "{k} shares code {code}");
            let doc = TABLE.iter().find(|(c, _)| *c == code).unwrap();
            assert!(doc.1.starts_with(k.as_str()), "{k}: {}", doc.1);
        }
    }
}
