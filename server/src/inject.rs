//! Applies what the fault rules decided ([`crate::faults`]) to one request: latency, an
//! error or `Timeout` answered before or after the request is processed, a reset
//! connection, a truncated or slow body, a JSON answer with values rewritten.

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::conn::ConnTag;
use crate::faults::{Action, Phase};
use crate::http::Shared;

/// The header naming the rule that shaped a response (emulator only).
pub(crate) const FAULT_HEADER: &str = "x-necid-fault";

/// Response extension: the rule that shaped the answer and its fault (for the recorder).
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    pub id: String,
    pub fault: &'static str,
}

/// Runs the request through the fault rules (only called when some rule is set).
pub(crate) async fn run(st: &Shared, req: Request, next: Next) -> Response {
    let decision = st.faults.decide(req.method().as_str(), req.uri().path());
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let Some((id, action)) = decision.action else {
        let mut resp = next.run(req).await;
        if let Some(first) = decision.latency_rules.first() {
            tag(&mut resp, first, "latency");
        }
        return resp;
    };
    let conn = req
        .extensions()
        .get::<ConnectInfo<ConnTag>>()
        .map(|c| c.0.clone());
    let fault = match &action {
        Action::Error { .. } => "error",
        Action::Timeout { .. } => "timeout",
        Action::Reset { .. } => "reset",
        Action::Truncate { .. } => "truncate",
        Action::Latency(_) => "latency",
        Action::SlowBody { .. } => "slowBody",
        Action::Rewrite { .. } => "rewrite",
    };
    let mut resp = match action {
        Action::Error {
            status,
            retry_after,
            message,
            phase,
        } => {
            if phase == Phase::After {
                drop(next.run(req).await);
            }
            error_response(status, retry_after, message)
        }
        Action::Timeout { message, phase } => {
            if phase == Phase::After {
                drop(next.run(req).await);
            }
            timeout_response(message)
        }
        Action::Reset { phase } => {
            if phase == Phase::After {
                drop(next.run(req).await);
            }
            match conn {
                Some(c) => c.kill(),
                None => tracing::warn!("fault {id}: no connection to reset"),
            }
            // Never written: the connection is reset first.
            StatusCode::BAD_GATEWAY.into_response()
        }
        Action::Truncate { keep } => {
            let resp = next.run(req).await;
            let (mut parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let keep = keep
                .unwrap_or(bytes.len() / 2)
                .min(bytes.len().saturating_sub(1));
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            let head = bytes.slice(..keep);
            // The kept bytes, then (after a pause, so hyper has flushed them) a body error:
            // hyper aborts the connection, and the client has the head and `keep` bytes of
            // a body declared longer.
            let body = Body::from_stream(futures_util::stream::unfold(Some(head), |head| async {
                match head {
                    Some(h) => Some((Ok(h), None)),
                    None => {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Some((
                            Err(std::io::Error::other("body truncated by a fault rule")),
                            None,
                        ))
                    }
                }
            }));
            Response::from_parts(parts, body)
        }
        Action::SlowBody { chunk, interval } => {
            let resp = next.run(req).await;
            let (mut parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            let stream = futures_util::stream::unfold(0usize, move |at| {
                let bytes = bytes.clone();
                async move {
                    if at >= bytes.len() {
                        return None;
                    }
                    tokio::time::sleep(interval).await;
                    let end = (at + chunk).min(bytes.len());
                    Some((Ok::<Bytes, std::io::Error>(bytes.slice(at..end)), end))
                }
            });
            Response::from_parts(parts, Body::from_stream(stream))
        }
        Action::Rewrite { set } => {
            let resp = next.run(req).await;
            let (mut parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            // Only a JSON answer is rewritten; anything else passes as it was.
            let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Ok(mut doc) => {
                    for (path, value) in &set {
                        crate::faults::rewrite_json(&mut doc, path, value);
                    }
                    let out = serde_json::to_vec(&doc).unwrap_or_else(|_| bytes.to_vec());
                    parts
                        .headers
                        .insert(header::CONTENT_LENGTH, HeaderValue::from(out.len()));
                    Bytes::from(out)
                }
                Err(_) => bytes,
            };
            Response::from_parts(parts, Body::from(body))
        }
        Action::Latency(_) => next.run(req).await,
    };
    tag(&mut resp, &id, fault);
    resp
}

fn tag(resp: &mut Response, id: &str, fault: &'static str) {
    if let Ok(v) = HeaderValue::from_str(id) {
        resp.headers_mut().insert(FAULT_HEADER, v);
    }
    resp.extensions_mut().insert(Applied {
        id: id.to_owned(),
        fault,
    });
}

/// The bodies API Gateway and the service answer with for these statuses.
fn error_response(status: u16, retry_after: Option<u64>, message: Option<String>) -> Response {
    let (default, kind) = match status {
        429 => ("Too Many Requests", Some("TooManyRequestsException")),
        502 => ("Internal server error", None),
        503 => ("Service Unavailable", None),
        504 => ("Endpoint request timed out", None),
        _ => ("Internal server error", None),
    };
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (
        code,
        axum::Json(json!({"message": message.as_deref().unwrap_or(default)})),
    )
        .into_response();
    if let Some(kind) = kind {
        resp.headers_mut()
            .insert("x-amzn-errortype", HeaderValue::from_static(kind));
    }
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// The service's `Timeout` (1003), status 500.
fn timeout_response(message: Option<String>) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(json!({
            "message": message.as_deref().unwrap_or("Request timed out."),
            "errorCode": 1003,
            "errorType": "Timeout",
        })),
    )
        .into_response()
}
