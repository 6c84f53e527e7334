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
use axum::routing::{get, post};
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
        .route("/_admin/v1/throttle", get(get_throttle).put(put_throttle))
        .route("/_admin/v1/strict", get(get_strict).put(put_strict))
        .route(
            "/_admin/v1/recording",
            get(get_recording).put(put_recording),
        )
        .route(
            "/_admin/v1/requests",
            get(list_requests).delete(clear_requests),
        )
        .route("/_admin/v1/galleries/{id}/reset", post(reset_gallery))
        .route("/_admin/v1/reset", post(reset_all))
        .route("/_admin/v1/seed", get(get_seed))
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
        "strict": st.strict(),
        "throttle": throttle_json(&st),
        "recording": recording_json(&st),
        "faults": st.faults.status(),
    }))
    .into_response()
}

fn throttle_json(st: &Shared) -> Value {
    match st.throttle.spec() {
        Some(t) => json!({"enabled": true, "rate": t.rate, "burst": t.burst}),
        None => json!({"enabled": false}),
    }
}

async fn get_throttle(State(st): State<Shared>) -> Response {
    Json(throttle_json(&st)).into_response()
}

/// `{"rate": R, "burst": B}` sets the throttle; `{"enabled": false}` removes it.
async fn put_throttle(State(st): State<Shared>, bytes: axum::body::Bytes) -> AdminResult {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        enabled: Option<bool>,
        rate: Option<f64>,
        burst: Option<u32>,
    }
    let b: Body = body(&bytes)?;
    let spec = match (b.enabled, b.rate, b.burst) {
        (Some(false), None, None) => None,
        (Some(true) | None, Some(rate), Some(burst)) => {
            let spec = crate::throttle::ThrottleSpec { rate, burst };
            spec.check().map_err(AdminError::bad)?;
            Some(spec)
        }
        _ => {
            return Err(AdminError::bad(
                "send {\"rate\": R, \"burst\": B} to throttle, or {\"enabled\": false} to stop",
            ));
        }
    };
    st.throttle.set(spec);
    Ok(Json(throttle_json(&st)).into_response())
}

async fn get_strict(State(st): State<Shared>) -> Response {
    Json(json!({"strict": st.strict()})).into_response()
}

async fn put_strict(State(st): State<Shared>, bytes: axum::body::Bytes) -> AdminResult {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        strict: bool,
    }
    let b: Body = body(&bytes)?;
    st.strict
        .store(b.strict, std::sync::atomic::Ordering::Relaxed);
    Ok(Json(json!({"strict": st.strict()})).into_response())
}

fn recording_json(st: &Shared) -> Value {
    json!({
        "enabled": st.recorder.enabled(),
        "file": st.recorder.file().map(|p| p.display().to_string()),
    })
}

async fn get_recording(State(st): State<Shared>) -> Response {
    Json(recording_json(&st)).into_response()
}

async fn put_recording(State(st): State<Shared>, bytes: axum::body::Bytes) -> AdminResult {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        enabled: bool,
    }
    let b: Body = body(&bytes)?;
    st.recorder.set_enabled(b.enabled);
    Ok(Json(recording_json(&st)).into_response())
}

/// `?since=SEQ&limit=N&method=M&path=PREFIX`.
async fn list_requests(
    State(st): State<Shared>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> AdminResult {
    let num = |key: &str, default: u64| -> Result<u64, AdminError> {
        match q.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| AdminError::bad(format!("{key} must be a non-negative integer"))),
        }
    };
    let since = num("since", 0)?;
    let limit = num("limit", crate::record::RING as u64)? as usize;
    let method = q.get("method").map(|m| m.to_ascii_uppercase());
    let requests = st.recorder.list(
        since,
        limit,
        method.as_deref(),
        q.get("path").map(String::as_str),
    );
    let last = requests
        .last()
        .and_then(|r| r["seq"].as_u64())
        .unwrap_or(since);
    Ok(Json(json!({
        "recording": st.recorder.enabled(),
        "requests": requests,
        "last": last,
    }))
    .into_response())
}

async fn clear_requests(State(st): State<Shared>) -> Response {
    st.recorder.clear();
    Json(json!({})).into_response()
}

async fn reset_gallery(State(st): State<Shared>, Path(id): Path<String>) -> AdminResult {
    let store = st.store.clone();
    let gid = id.clone();
    let removed = tokio::task::spawn_blocking(move || store.reset_gallery(&gid))
        .await
        .map_err(|e| AdminError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| AdminError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    if removed.is_some() && id == crate::config::DEFAULT_GALLERY_ID {
        // The seeded subjects were in it.
        st.seeded.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
    match removed {
        Some(n) => Ok(Json(json!({"galleryId": id, "removedEvents": n})).into_response()),
        None => Err(AdminError::not_found(format!("No gallery with id {id:?}."))),
    }
}

/// Empties every gallery, clears the fault rules, the throttle's buckets and the
/// in-memory records; strict mode and the throttle's setting stay.
async fn reset_all(State(st): State<Shared>) -> AdminResult {
    let store = st.store.clone();
    let removed = tokio::task::spawn_blocking(move || -> Result<u64, String> {
        let mut n = 0;
        for (g, _) in store.list_galleries().map_err(|e| e.to_string())? {
            n += store
                .reset_gallery(&g.id)
                .map_err(|e| e.to_string())?
                .unwrap_or(0);
        }
        Ok(n)
    })
    .await
    .map_err(|e| AdminError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map_err(|e| AdminError(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    st.faults
        .replace(&FaultPlan::default())
        .map_err(AdminError::bad)?;
    st.throttle.set(st.throttle.spec());
    st.recorder.clear();
    st.seeded.lock().unwrap_or_else(|p| p.into_inner()).clear();
    Ok(Json(json!({"removedEvents": removed})).into_response())
}

async fn get_seed(State(st): State<Shared>) -> Response {
    let seeded = st.seeded.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Json(json!({ "seeded": seeded })).into_response()
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
