//! Routing and the request pipeline: request id + `Date` on every response, trailing
//! slashes tolerated, bodies capped, SigV4 checked, API keys resolved to galleries.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value};

use crate::config::{DevCredentials, Limits, REGION, SERVICE};
use crate::engine::FaceEngine;
use crate::error::ApiError;
use crate::sigv4::{self, IncomingRequest, VerifyOptions};
use crate::store::Store;
use crate::{api, tenant};

/// Shared state of one running emulator.
pub(crate) struct AppState {
    pub store: Arc<Store>,
    pub engine: Arc<dyn FaceEngine>,
    pub creds: DevCredentials,
    pub limits: Limits,
    /// CORS origins (`ServerConfig::cors_origins`).
    pub cors_origins: Vec<String>,
    pub bucket_dir: Option<PathBuf>,
    /// Set on shutdown so background bulk jobs stop between records.
    pub stopping: std::sync::atomic::AtomicBool,
    /// The decode slots (`limits.max_concurrent_decodes` threads): bounds the decoded
    /// pictures in memory at once. Requests wait for a slot in arrival order.
    pub decoders: crate::intake::DecodePool,
    /// Low-priority threads (one per core) for the other CPU work on untrusted input:
    /// hashing and parsing large bodies, base64, header checks.
    pub request_cpu: crate::intake::DecodePool,
    /// The fault rules (none by default).
    pub faults: crate::faults::Faults,
    /// The admin API's token.
    pub admin_token: String,
    /// Throttling per API key (off by default).
    pub throttle: crate::throttle::Throttle,
    /// Strict mode (the reference's behaviour where the emulator would relax it).
    pub strict: std::sync::atomic::AtomicBool,
    /// Request recording (off by default).
    pub recorder: crate::record::Recorder,
    /// What `--seed DIR` registered: `{file, subjectId, eventId}`.
    pub seeded: std::sync::Mutex<Vec<serde_json::Value>>,
    /// The web console is served (and registrations keep face crops for it).
    pub console: bool,
    /// The server listens on a loopback address only: the console opens without the
    /// admin token (see [`crate::console`]).
    pub loopback: bool,
    /// The rename-tag forms served (`ServerConfig::rename_tag_routes`).
    pub rename_tag_routes: crate::config::RenameTagRoutes,
}

impl AppState {
    /// Whether strict mode is on.
    pub(crate) fn strict(&self) -> bool {
        self.strict.load(std::sync::atomic::Ordering::Relaxed)
    }
}

pub(crate) type Shared = Arc<AppState>;

/// The path and query exactly as received, before trailing-slash trimming (SigV4 signs it).
#[derive(Debug, Clone)]
pub(crate) struct RawTarget {
    path: String,
    query: Option<String>,
}

/// Builds the whole service: the router wrapped in the pre-routing front middleware.
pub(crate) fn app(state: Shared) -> Router {
    let limit = state.limits.max_body_bytes;
    // Each module routes its own operations next to their handlers (api.rs the biometric
    // API, tenant.rs the tenant API), so adding an operation does not touch this file.
    let biometric = api::routes()
        .merge(tenant::routes())
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .route("/v1.1/health", get(api::health))
        .merge(biometric)
        .merge(crate::admin::router(state.clone()))
        .merge(crate::console::router(&state))
        .fallback(unknown_route)
        .method_not_allowed_fallback(unknown_route)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Runs before routing: request id, raw target, trailing-slash trimming, CORS preflights,
/// common headers (request id, `Date`, `Access-Control-Allow-Origin`).
pub(crate) async fn front(State(state): State<Shared>, mut req: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let raw = RawTarget {
        path: req.uri().path().to_owned(),
        query: req.uri().query().map(str::to_owned),
    };
    let trimmed = raw.path.trim_end_matches('/');
    if trimmed.len() != raw.path.len() && !trimmed.is_empty() {
        let pq = match &raw.query {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        if let Ok(uri) = pq.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    let method = req.method().clone();
    let log_path = raw.path.clone();
    let origins = &state.cors_origins;
    // A CORS preflight needs no authentication (the Gateway's OPTIONS mock integration).
    let preflight = (method == axum::http::Method::OPTIONS)
        .then(|| crate::cors::allowed_methods(req.uri().path()))
        .flatten();
    let origin = req.headers().get(axum::http::header::ORIGIN).cloned();
    let console = crate::console::is_console(req.uri().path());
    req.extensions_mut().insert(raw);
    let mut resp = match preflight {
        Some(methods) => crate::cors::preflight(origins, methods),
        // The admin API and the console are never recorded or faulted.
        None if crate::admin::is_admin(req.uri().path()) => next.run(req).await,
        None if console => next.run(req).await,
        // Recording and fault rules: one relaxed load each when off.
        None if state.recorder.enabled() => recorded(&state, req, next, &request_id).await,
        None => faulted(&state, req, next).await,
    };
    // No CORS headers on the console: another origin must not read the page (it carries
    // the admin token).
    if !console {
        crate::cors::decorate(origins, origin.as_ref(), &mut resp);
    }
    // Method, path and status only: headers and bodies may carry secrets.
    tracing::debug!(%method, path = %log_path, status = resp.status().as_u16(), request_id = %request_id, "request");
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now())) {
        headers.insert(axum::http::header::DATE, v);
    }
    resp
}

/// The request through the fault rules when any is set.
async fn faulted(state: &Shared, req: Request, next: Next) -> Response {
    if state.faults.active() {
        crate::inject::run(state, req, next).await
    } else {
        next.run(req).await
    }
}

/// [`faulted`], recording the request and its answer (see [`crate::record`]).
async fn recorded(state: &Shared, req: Request, next: Next, request_id: &str) -> Response {
    use crate::record;
    let started = std::time::Instant::now();
    let seq = state.recorder.next_seq();
    let time = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let (parts, body) = req.into_parts();
    let (path, query) = match parts.extensions.get::<RawTarget>() {
        Some(raw) => (raw.path.clone(), raw.query.clone()),
        None => (
            parts.uri.path().to_owned(),
            parts.uri.query().map(str::to_owned),
        ),
    };
    let mut entry = serde_json::json!({
        "seq": seq,
        "time": time,
        "requestId": request_id,
        "method": parts.method.as_str(),
        "path": path,
        "query": query,
        "headers": record::headers(&parts.headers),
    });
    let limit = state.limits.max_body_bytes;
    let resp = match axum::body::to_bytes(body, limit).await {
        Err(_) => {
            entry["requestBody"] = serde_json::json!({"tooLarge": true});
            ApiError::too_large(limit).into_response()
        }
        Ok(bytes) => {
            entry["requestBody"] = record::body(&bytes);
            faulted(state, Request::from_parts(parts, Body::from(bytes)), next).await
        }
    };
    let applied = resp.extensions().get::<crate::inject::Applied>().cloned();
    let streamed = applied
        .as_ref()
        .is_some_and(|a| matches!(a.fault, "reset" | "truncate" | "slowBody"));
    let resp = if streamed {
        // The body is shaped on the wire: not read here.
        entry["responseBody"] = Value::Null;
        resp
    } else {
        let (rparts, rbody) = resp.into_parts();
        let bytes = axum::body::to_bytes(rbody, usize::MAX)
            .await
            .unwrap_or_default();
        entry["responseBody"] = record::body(&bytes);
        Response::from_parts(rparts, Body::from(bytes))
    };
    entry["status"] = match &applied {
        Some(a) if a.fault == "reset" => Value::Null,
        _ => resp.status().as_u16().into(),
    };
    entry["fault"] = match &applied {
        Some(a) => serde_json::json!({"id": a.id, "fault": a.fault}),
        None => Value::Null,
    };
    entry["durationMs"] = (started.elapsed().as_millis() as u64).into();
    state.recorder.push(entry);
    resp
}

async fn unknown_route() -> ApiError {
    ApiError::missing_token()
}

/// Buffers the body (413 over the limit) and verifies the SigV4 signature.
async fn authenticate(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let limit = st.limits.max_body_bytes;
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::too_large(limit).into_response();
    }
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return ApiError::too_large(limit).into_response(),
    };
    let raw = parts
        .extensions
        .get::<RawTarget>()
        .cloned()
        .unwrap_or_else(|| RawTarget {
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
        });
    let skew = st.limits.clock_skew_secs;
    let strict = st.strict();
    // Hashing a large body is CPU work: keep it off the async workers.
    let (parts, bytes, result) = if bytes.len() > OFF_WORKER_BYTES {
        let creds = st.creds.clone();
        match st
            .request_cpu
            .run(move || {
                let result = verify_request(&parts, &raw, &bytes, &creds, skew, strict);
                (parts, bytes, result)
            })
            .await
        {
            Ok(done) => done,
            Err(_) => {
                tracing::error!("the signature check failed to run");
                return ApiError::internal().into_response();
            }
        }
    } else {
        let result = verify_request(&parts, &raw, &bytes, &st.creds, skew, strict);
        (parts, bytes, result)
    };
    if let Err(e) = result {
        return ApiError::auth(&e).into_response();
    }
    // Usage-plan throttling, per API key, after authentication (as API Gateway orders it).
    if let Some(key) = parts.headers.get("x-api-key")
        && !st.throttle.admit(key.to_str().unwrap_or_default().trim())
    {
        return ApiError::throttled().into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn verify_request(
    parts: &Parts,
    raw: &RawTarget,
    bytes: &Bytes,
    creds: &DevCredentials,
    max_skew_secs: i64,
    strict: bool,
) -> Result<(), sigv4::AuthError> {
    let incoming = IncomingRequest {
        method: &parts.method,
        raw_path: &raw.path,
        raw_query: raw.query.as_deref(),
        headers: &parts.headers,
        authority: parts.uri.authority().map(|a| a.as_str()),
        body: bytes,
    };
    let opts = VerifyOptions {
        // Lenient mode accepts a signature scoped to any region and service.
        region: strict.then_some(REGION),
        service: strict.then_some(SERVICE),
        now: time::OffsetDateTime::now_utc(),
        max_skew_secs,
    };
    sigv4::verify(&incoming, |ak| creds.secret_for(ak), &opts).map(|_| ())
}

/// The gallery an `x-api-key` opens.
#[derive(Debug, Clone)]
pub(crate) struct Tenant {
    pub gallery_id: String,
    /// The application's faceMinimumQualityScore, else the gallery's.
    pub min_quality: Option<f64>,
}

async fn resolve_tenant(parts: &Parts, st: &Shared) -> Result<Option<Tenant>, ApiError> {
    let Some(key) = parts.headers.get("x-api-key") else {
        return Ok(None);
    };
    let key = key.to_str().map_err(|_| ApiError::forbidden())?;
    let app = st
        .store
        .application_by_key(key.trim())?
        .ok_or_else(ApiError::forbidden)?;
    let gallery = st
        .store
        .gallery(&app.gallery_id)?
        .ok_or_else(ApiError::forbidden)?;
    Ok(Some(Tenant {
        gallery_id: gallery.id,
        min_quality: app.face_min_quality.or(gallery.face_min_quality),
    }))
}

impl FromRequestParts<Shared> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Self, ApiError> {
        resolve_tenant(parts, st)
            .await?
            .ok_or_else(ApiError::forbidden)
    }
}

/// An API key that may be absent (face-to-face verify needs no gallery); a key that is
/// present must still be valid.
#[derive(Debug, Clone)]
pub(crate) struct OptionalTenant(pub Option<Tenant>);

impl FromRequestParts<Shared> for OptionalTenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Self, ApiError> {
        Ok(OptionalTenant(resolve_tenant(parts, st).await?))
    }
}

/// Bodies above this size are parsed (and their signatures hashed) on the request-CPU
/// threads (`AppState::request_cpu`), not on the async workers.
pub(crate) const OFF_WORKER_BYTES: usize = 64 * 1024;

/// [`json_object`], on the request-CPU threads for large bodies; the body is released once
/// parsed (only the parsed values stay in memory).
pub(crate) async fn json_object_off_worker(
    st: &Shared,
    body: Bytes,
) -> Result<Map<String, Value>, ApiError> {
    if body.len() <= OFF_WORKER_BYTES {
        return json_object(&body);
    }
    crate::api::blocking(st, move || json_object(&body)).await
}

/// Parses a request body that must be a JSON object.
pub(crate) fn json_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid("Request body must be a JSON object."));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::invalid("Request body must be a JSON object.")),
        Err(e) => Err(ApiError::invalid(format!(
            "Request body is not valid JSON: {e}"
        ))),
    }
}
