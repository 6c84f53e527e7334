//! The error responses, in the service's envelopes.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

/// An error answered to the client.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// 400 `{message, errorCode, errorType}`.
    Coded {
        status: StatusCode,
        code: u32,
        kind: &'static str,
        message: String,
    },
    /// Any status with `{message}` (403, 404, 413, ...), like API Gateway, which also
    /// names the error in an `x-amzn-ErrorType` header.
    Plain {
        status: StatusCode,
        message: String,
        amzn_type: Option<&'static str>,
    },
}

impl ApiError {
    /// InvalidRequest 1001.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::coded(1001, "InvalidRequest", message)
    }
    /// Duplicate 1002.
    pub fn duplicate(message: impl Into<String>) -> Self {
        Self::coded(1002, "Duplicate", message)
    }
    /// NoFace 2001.
    pub fn no_face() -> Self {
        Self::coded(2001, "NoFace", "No face was found in the provided image.")
    }
    /// PoorQuality 2002.
    pub fn poor_quality(score: f64, minimum: f64) -> Self {
        Self::coded(
            2002,
            "PoorQuality",
            format!(
                "The overall faceQualityScore ({score}) was too low to process (minimum {minimum})."
            ),
        )
    }
    /// MultipleFaces 2003.
    pub fn multiple_faces(n: usize) -> Self {
        Self::coded(
            2003,
            "MultipleFaces",
            format!(
                "{n} faces were found in the image. Only one is permitted for this type of request."
            ),
        )
    }
    fn coded(code: u32, kind: &'static str, message: impl Into<String>) -> Self {
        Self::Coded {
            status: StatusCode::BAD_REQUEST,
            code,
            kind,
            message: message.into(),
        }
    }
    /// 404 `{message}`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::plain(StatusCode::NOT_FOUND, message)
    }
    /// 403 `{"message":"Forbidden"}` (missing or unknown API key).
    pub fn forbidden() -> Self {
        Self::typed(StatusCode::FORBIDDEN, "Forbidden", "ForbiddenException")
    }
    /// 403 `{message}` for a refused signature.
    pub fn auth(e: &crate::sigv4::AuthError) -> Self {
        use crate::sigv4::AuthError;
        let kind = match e {
            AuthError::MissingToken => "MissingAuthenticationTokenException",
            AuthError::UnknownAccessKey => "UnrecognizedClientException",
            _ => "InvalidSignatureException",
        };
        Self::typed(StatusCode::FORBIDDEN, e.message(), kind)
    }
    /// 403 for unknown routes and methods, as API Gateway answers them.
    pub fn missing_token() -> Self {
        Self::typed(
            StatusCode::FORBIDDEN,
            "Missing Authentication Token",
            "MissingAuthenticationTokenException",
        )
    }
    fn typed(status: StatusCode, message: impl Into<String>, kind: &'static str) -> Self {
        Self::Plain {
            status,
            message: message.into(),
            amzn_type: Some(kind),
        }
    }
    /// 429 as API Gateway answers a usage plan's throttle.
    pub fn throttled() -> Self {
        Self::typed(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            "TooManyRequestsException",
        )
    }
    /// 413 for bodies over the limit.
    pub fn too_large(limit: usize) -> Self {
        Self::plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request Too Long: HTTP content length exceeded {limit} bytes."),
        )
    }
    /// 500 with the service's envelope (details go to the log, not the client).
    pub fn internal() -> Self {
        Self::Coded {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: 0,
            kind: "InternalError",
            message: "Internal server error".into(),
        }
    }
    /// Any status with `{message}`.
    pub fn plain(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Plain {
            status,
            message: message.into(),
            amzn_type: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!("{e}");
        ApiError::internal()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Coded {
                status,
                code,
                kind,
                message,
            } => (
                status,
                Json(json!({"message": message, "errorCode": code, "errorType": kind})),
            )
                .into_response(),
            ApiError::Plain {
                status,
                message,
                amzn_type,
            } => {
                let mut resp = (status, Json(json!({ "message": message }))).into_response();
                if let Some(kind) = amzn_type {
                    resp.headers_mut().insert(
                        "x-amzn-errortype",
                        axum::http::HeaderValue::from_static(kind),
                    );
                }
                resp
            }
        }
    }
}
