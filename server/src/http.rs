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
use axum::routing::{get, post, put};
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
    let biometric = Router::new()
        .route(
            "/v1.1/subjects",
            get(api::list_subjects).post(api::register_subject),
        )
        .route(
            "/v1.1/subjects/{id}",
            put(api::update_subject).delete(api::unregister_subject),
        )
        .route(
            "/v1.1/subjects/{id}/events",
            get(api::list_events).post(api::register_event),
        )
        .route(
            "/v1.1/subjects/{id}/events/{event_id}",
            put(api::update_event).delete(api::unregister_event),
        )
        .route("/v1.1/face/extract", post(api::extract))
        .route("/v1.1/face/search", post(api::search))
        .route("/v1.1/face/verify", post(api::verify))
        .route("/v1.1/tags", get(api::list_tags))
        .route(
            "/v1.1/tags/{name}",
            post(api::create_tag)
                .put(api::rename_tag_body)
                .delete(api::delete_tag),
        )
        .route("/v1.1/tags/{old}/{new}", put(api::rename_tag_path))
        .route("/v1.1/jobs/bulkregister", post(api::bulk_register))
        .route(
            "/v1.1/jobs/bulkregister/{batch_id}",
            get(api::bulk_progress),
        )
        .route(
            "/v1.1/jobs/bulkregister/{batch_id}/{paging_id}",
            get(api::bulk_progress_paged),
        )
        .route(
            "/api/galleries",
            get(tenant::list_galleries).post(tenant::create_gallery),
        )
        .route(
            "/api/galleries/{id}",
            get(tenant::get_gallery)
                .patch(tenant::update_gallery)
                .delete(tenant::delete_gallery),
        )
        .route(
            "/api/applications",
            get(tenant::list_applications).post(tenant::create_application),
        )
        .route(
            "/api/applications/{id}",
            get(tenant::get_application)
                .patch(tenant::update_application)
                .delete(tenant::delete_application),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .route("/v1.1/health", get(api::health))
        .merge(biometric)
        .merge(crate::admin::router(state.clone()))
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
    req.extensions_mut().insert(raw);
    let mut resp = match preflight {
        Some(methods) => crate::cors::preflight(origins, methods),
        // Fault rules (one relaxed load when none is set); never on the admin API.
        None if state.faults.active() && !crate::admin::is_admin(req.uri().path()) => {
            crate::inject::run(&state, req, next).await
        }
        None => next.run(req).await,
    };
    crate::cors::decorate(origins, origin.as_ref(), &mut resp);
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
    // Hashing a large body is CPU work: keep it off the async workers.
    let (parts, bytes, result) = if bytes.len() > OFF_WORKER_BYTES {
        let creds = st.creds.clone();
        match st
            .request_cpu
            .run(move || {
                let result = verify_request(&parts, &raw, &bytes, &creds, skew);
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
        let result = verify_request(&parts, &raw, &bytes, &st.creds, skew);
        (parts, bytes, result)
    };
    if let Err(e) = result {
        return ApiError::auth(&e).into_response();
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
        region: Some(REGION),
        service: Some(SERVICE),
        now: time::OffsetDateTime::now_utc(),
        max_skew_secs,
    };
    sigv4::verify(
        &incoming,
        |ak| (ak == creds.access_key_id).then(|| creds.secret_access_key.clone()),
        &opts,
    )
    .map(|_| ())
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
