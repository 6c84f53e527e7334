//! The admin API: `/_admin/v1/...`, not part of the NEC ID API. JSON in and out, every
//! request needs the admin token (`Authorization: Bearer TOKEN`, or `x-necid-admin-token`),
//! which the emulator generates at start (or takes from its config) and reports in the
//! ready file. Admin requests are never faulted, throttled or recorded.
//!
//! The contract (paths, bodies, status codes) is documented in the crate README, "Admin
//! API"; a change that breaks it gets a new path prefix (`/_admin/v2`).

use axum::Json;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::faults::{FaultPlan, FaultRuleSpec};
use crate::http::Shared;

/// The prefix of every admin path.
pub(crate) const PREFIX: &str = "/_admin/";

/// Version of the admin contract served under `/_admin/v1`.
pub const ADMIN_API_VERSION: u32 = 1;

type AdminResult = Result<Response, AdminError>;

/// An admin error: status and `{"message": ...}`.
pub(crate) struct AdminError(StatusCode, String);

impl AdminError {
    fn bad(message: impl Into<String>) -> Self {
        AdminError(StatusCode::BAD_REQUEST, message.into())
    }
    fn not_found(message: impl Into<String>) -> Self {
        AdminError(StatusCode::NOT_FOUND, message.into())
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let mut resp = (self.0, Json(json!({ "message": self.1 }))).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"necid-admin\""),
            );
        }
        resp
    }
}

/// The admin router (merged into the app outside the SigV4 layer).
pub(crate) fn router(state: Shared) -> Router<Shared> {
    Router::new()
        .route("/_admin/v1", get(status))
        .route(
            "/_admin/v1/faults",
            get(get_faults)
                .put(put_faults)
                .post(add_fault)
                .delete(clear_faults),
        )
        .route(
            "/_admin/v1/faults/{id}",
            get(get_fault).delete(delete_fault),
        )
        .route("/_admin/v1/{*rest}", axum::routing::any(unknown))
        .route_layer(middleware::from_fn_with_state(state, guard))
}

/// Whether `path` (trailing slashes already trimmed) is an admin path.
pub(crate) fn is_admin(path: &str) -> bool {
    path.starts_with(PREFIX) || path == "/_admin"
}

/// Constant-time comparison of the presented token with the configured one.
fn token_ok(headers: &HeaderMap, token: &str) -> bool {
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .or_else(|| {
            headers
                .get("x-necid-admin-token")
                .and_then(|v| v.to_str().ok())
        });
    let Some(p) = presented.map(str::trim) else {
        return false;
    };
    let (a, b) = (p.as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn guard(State(st): State<Shared>, req: Request, next: Next) -> Response {
    if !token_ok(req.headers(), &st.admin_token) {
        return AdminError(
            StatusCode::UNAUTHORIZED,
            "The admin API needs the emulator's admin token: `Authorization: Bearer <adminToken>` \
             (printed at start and written to the ready file)."
                .into(),
        )
        .into_response();
    }
    next.run(req).await
}

async fn unknown() -> AdminError {
    AdminError::not_found("No such admin endpoint (see the emulator's README, \"Admin API\").")
}

/// Parses a JSON body, with a clear message when it is not.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(bytes).map_err(|e| AdminError::bad(format!("invalid body: {e}")))
}

async fn status(State(st): State<Shared>) -> Response {
    Json(json!({
        "version": ADMIN_API_VERSION,
        "engine": st.engine.name(),
        "faults": st.faults.status(),
    }))
    .into_response()
}

async fn get_faults(State(st): State<Shared>) -> Response {
    Json(st.faults.status()).into_response()
}

async fn put_faults(State(st): State<Shared>, bytes: axum::body::Bytes) -> AdminResult {
    let plan: FaultPlan = body(&bytes)?;
    st.faults.replace(&plan).map_err(AdminError::bad)?;
    Ok(Json(st.faults.status()).into_response())
}

async fn add_fault(State(st): State<Shared>, bytes: axum::body::Bytes) -> AdminResult {
    let spec: FaultRuleSpec = body(&bytes)?;
    let rule = st.faults.add(&spec).map_err(AdminError::bad)?;
    Ok((StatusCode::CREATED, Json(rule)).into_response())
}

async fn clear_faults(State(st): State<Shared>) -> AdminResult {
    st.faults
        .replace(&FaultPlan::default())
        .map_err(AdminError::bad)?;
    Ok(Json(st.faults.status()).into_response())
}

fn find_rule(st: &Shared, id: &str) -> Option<Value> {
    st.faults.status()["rules"]
        .as_array()?
        .iter()
        .find(|r| r["id"] == id)
        .cloned()
}

async fn get_fault(State(st): State<Shared>, Path(id): Path<String>) -> AdminResult {
    find_rule(&st, &id)
        .map(|r| Json(r).into_response())
        .ok_or_else(|| AdminError::not_found(format!("No fault rule with id {id:?}.")))
}

async fn delete_fault(State(st): State<Shared>, Path(id): Path<String>) -> AdminResult {
    if st.faults.remove(&id) {
        Ok(Json(json!({})).into_response())
    } else {
        Err(AdminError::not_found(format!(
            "No fault rule with id {id:?}."
        )))
    }
}
