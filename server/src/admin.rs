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
        .route("/_admin/v1/galleries", get(list_galleries))
        .route("/_admin/v1/galleries/{id}/subjects", get(list_subjects))
        .route("/_admin/v1/galleries/{id}/subjects/{sid}", get(get_subject))
        .route("/_admin/v1/galleries/{id}/events/{eid}/crop", get(get_crop))
        .route("/_admin/v1/galleries/{id}/tags", get(list_tags))
        .route("/_admin/v1/galleries/{id}/jobs", get(list_jobs))
        .route("/_admin/v1/galleries/{id}/jobs/{batch}", get(get_job))
        .route("/_admin/v1/galleries/{id}/search", post(search))
        .route("/_admin/v1/galleries/{id}/verify", post(verify))
        .route("/_admin/v1/galleries/{id}/extract", post(extract))
        .route("/_admin/v1/{*rest}", axum::routing::any(unknown))
        .route_layer(middleware::from_fn_with_state(state, guard))
}

/// Whether `path` (trailing slashes already trimmed) is an admin path.
pub(crate) fn is_admin(path: &str) -> bool {
    path.starts_with(PREFIX) || path == "/_admin"
}

/// Constant-time comparison of the presented token with the configured one.
pub(crate) fn token_ok(headers: &HeaderMap, token: &str) -> bool {
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
    presented.is_some_and(|p| same_token(p.trim(), token))
}

/// Constant-time equality of two tokens (the length is not secret).
pub(crate) fn same_token(presented: &str, token: &str) -> bool {
    let (a, b) = (presented.as_bytes(), token.as_bytes());
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
        "console": st.console,
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

// ----- the console's views: galleries, subjects, crops, tags, jobs, search -------------

fn internal(e: impl std::fmt::Display) -> AdminError {
    tracing::error!("admin API: {e}");
    AdminError(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error (see the emulator's log).".into(),
    )
}

/// Runs a store call off the async workers.
async fn store_call<T: Send + 'static>(
    st: &Shared,
    f: impl FnOnce(&crate::store::Store) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, AdminError> {
    let store = st.store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(internal)?
        .map_err(internal)
}

/// The gallery `id`, or 404.
async fn gallery(st: &Shared, id: &str) -> Result<crate::store::Gallery, AdminError> {
    let gid = id.to_owned();
    store_call(st, move |s| s.gallery(&gid))
        .await?
        .ok_or_else(|| AdminError::not_found(format!("No gallery with id {id:?}.")))
}

/// Every gallery with its counts and applications; API keys only as fingerprints (the
/// same `sha256:` label the request recording uses).
async fn list_galleries(State(st): State<Shared>) -> AdminResult {
    let (galleries, apps) = store_call(&st, |s| {
        Ok((s.list_galleries()?, s.list_applications(None)?))
    })
    .await?;
    let mut out = Vec::new();
    for (g, active) in galleries {
        let tags = {
            let gid = g.id.clone();
            store_call(&st, move |s| s.list_tags(&gid)).await?.len()
        };
        let subjects = st.store.with_gallery_events(&g.id, |evs| {
            evs.iter()
                .map(|e| e.subject_id.as_str())
                .collect::<std::collections::HashSet<_>>()
                .len()
        });
        let applications: Vec<Value> = apps
            .iter()
            .filter(|a| a.gallery_id == g.id)
            .map(|a| {
                json!({
                    "id": a.id,
                    "name": a.name,
                    "description": a.description,
                    "apiKeyFingerprint": crate::record::fingerprint(&a.api_key),
                    "faceMinimumQualityScore": a.face_min_quality,
                })
            })
            .collect();
        out.push(json!({
            "id": g.id,
            "name": g.name,
            "description": g.description,
            "size": g.size,
            "faceMinimumQualityScore": g.face_min_quality,
            "activeEvents": active,
            "activeSubjects": subjects,
            "tags": tags,
            "applications": applications,
        }));
    }
    Ok(Json(json!({ "galleries": out })).into_response())
}

type Query = Result<
    axum::extract::Query<std::collections::HashMap<String, String>>,
    axum::extract::rejection::QueryRejection,
>;
type Ids<T> = Result<Path<T>, axum::extract::rejection::PathRejection>;

/// The query string, or a JSON 400 (never axum's plain-text rejection).
fn query_map(q: Query) -> Result<std::collections::HashMap<String, String>, AdminError> {
    q.map(|axum::extract::Query(m)| m)
        .map_err(|e| AdminError::bad(format!("invalid query string: {e}")))
}

/// The path's ids, or a JSON 400.
fn ids<T>(p: Ids<T>) -> Result<T, AdminError> {
    p.map(|Path(v)| v)
        .map_err(|e| AdminError::bad(format!("invalid path: {e}")))
}

fn query_num(
    q: &std::collections::HashMap<String, String>,
    key: &str,
    default: u64,
) -> Result<u64, AdminError> {
    match q.get(key).map(|v| v.trim()) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| AdminError::bad(format!("{key} must be a non-negative integer"))),
    }
}

/// One path segment, percent-encoded (gallery ids come from configs and the tenant API).
fn segment(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

fn event_json(gallery_id: &str, e: &crate::store::EventView) -> Value {
    let crop = e.crop_region.map(|[l, t, r, b]| {
        json!({
            "url": format!(
                "/_admin/v1/galleries/{}/events/{}/crop",
                segment(gallery_id),
                segment(&e.event_id)
            ),
            "region": {"left": l, "top": t, "right": r, "bottom": b},
        })
    });
    json!({
        "id": e.event_id,
        "status": e.status,
        "lastUpdated": e.last_updated,
        "tags": e.tags,
        "versions": e.versions,
        "attributes": serde_json::from_str::<Value>(&e.attributes_json).unwrap_or_else(|_| json!({})),
        "crop": crop,
    })
}

fn subject_json(gallery_id: &str, s: &crate::store::SubjectView) -> Value {
    let mut tags: Vec<&String> = Vec::new();
    for e in s.events.iter().filter(|e| e.status == "A") {
        for t in &e.tags {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
    }
    let events: Vec<Value> = s.events.iter().map(|e| event_json(gallery_id, e)).collect();
    json!({
        "id": s.subject_id,
        "status": s.status,
        "lastUpdated": s.last_updated,
        "tags": tags,
        "activeEvents": s.events.iter().filter(|e| e.status == "A").count(),
        "events": events,
    })
}

/// `?start&length&dir`, like list subjects (length 1–1000, default 50), but one entry per
/// subject (with its events) instead of one per event row.
async fn list_subjects(State(st): State<Shared>, p: Ids<String>, q: Query) -> AdminResult {
    let (id, q) = (ids(p)?, query_map(q)?);
    let start = query_num(&q, "start", 0)?;
    let length = query_num(&q, "length", 50)?;
    if !(1..=1000).contains(&length) {
        return Err(AdminError::bad("length must be from 1 to 1000"));
    }
    let desc = match q
        .get("dir")
        .map(|d| d.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(AdminError::bad("dir must be asc or desc")),
    };
    let g = gallery(&st, &id).await?;
    let gid = g.id.clone();
    let (subjects, total) =
        store_call(&st, move |s| s.subject_page(&gid, start, length, desc)).await?;
    let subjects: Vec<Value> = subjects.iter().map(|s| subject_json(&g.id, s)).collect();
    Ok(Json(json!({
        "galleryId": g.id,
        "subjects": subjects,
        "total": total,
        "start": start,
        "length": length,
    }))
    .into_response())
}

async fn get_subject(State(st): State<Shared>, p: Ids<(String, String)>) -> AdminResult {
    let (id, sid) = ids(p)?;
    let g = gallery(&st, &id).await?;
    let gid = g.id.clone();
    let sid2 = sid.clone();
    let view = store_call(&st, move |s| s.subject_view(&gid, &sid2))
        .await?
        .ok_or_else(|| AdminError::not_found(format!("No subject with id {sid:?}.")))?;
    Ok(Json(subject_json(&g.id, &view)).into_response())
}

/// The stored face crop (JPEG) of an event.
async fn get_crop(State(st): State<Shared>, p: Ids<(String, String)>) -> AdminResult {
    let (id, eid) = ids(p)?;
    let g = gallery(&st, &id).await?;
    let eid2 = eid.clone();
    let jpeg = store_call(&st, move |s| s.crop_image(&g.id, &eid2))
        .await?
        .ok_or_else(|| {
            AdminError::not_found(format!(
                "No face crop for event {eid:?} (registered with the console off, or by an \
                 engine that decodes by itself)."
            ))
        })?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/jpeg"),
            (axum::http::header::CACHE_CONTROL, "private, max-age=60"),
        ],
        jpeg,
    )
        .into_response())
}

/// Defined tags and the tags active events carry, with counts.
async fn list_tags(State(st): State<Shared>, p: Ids<String>) -> AdminResult {
    let id = ids(p)?;
    let g = gallery(&st, &id).await?;
    let gid = g.id.clone();
    let defined = store_call(&st, move |s| s.list_tags(&gid)).await?;
    let mut counts = st.store.tag_counts(&g.id);
    let mut tags: Vec<Value> = Vec::new();
    for name in &defined {
        let (events, subjects) = counts
            .iter()
            .find(|c| &c.0 == name)
            .map_or((0, 0), |c| (c.1, c.2));
        tags.push(json!({"name": name, "defined": true, "events": events, "subjects": subjects}));
    }
    // Tags still on events after the tag itself was deleted (the reference keeps them).
    counts.retain(|c| !defined.contains(&c.0));
    counts.sort();
    for (name, events, subjects) in counts {
        tags.push(json!({"name": name, "defined": false, "events": events, "subjects": subjects}));
    }
    Ok(Json(json!({"galleryId": g.id, "tags": tags})).into_response())
}

async fn list_jobs(State(st): State<Shared>, p: Ids<String>) -> AdminResult {
    let id = ids(p)?;
    let g = gallery(&st, &id).await?;
    let gid = g.id.clone();
    let jobs = store_call(&st, move |s| s.job_summaries(&gid)).await?;
    let jobs: Vec<Value> = jobs
        .into_iter()
        .map(|j| {
            json!({
                "batchId": j.batch_id,
                "created": j.created,
                "total": j.total,
                "processed": j.processed,
                "succeeded": j.succeeded,
                "failed": j.failed,
                "done": j.processed == j.total,
            })
        })
        .collect();
    Ok(Json(json!({"galleryId": g.id, "jobs": jobs})).into_response())
}

/// One batch's records: `?after=<record id>&limit=N` (default 100, at most 1000).
async fn get_job(State(st): State<Shared>, p: Ids<(String, String)>, q: Query) -> AdminResult {
    let ((id, batch), q) = (ids(p)?, query_map(q)?);
    let g = gallery(&st, &id).await?;
    let limit = query_num(&q, "limit", 100)?;
    if !(1..=1000).contains(&limit) {
        return Err(AdminError::bad("limit must be from 1 to 1000"));
    }
    let after = q.get("after").filter(|a| !a.is_empty()).cloned();
    let b = batch.clone();
    let owner = store_call(&st, move |s| s.job_gallery(&b)).await?;
    if owner.as_deref() != Some(g.id.as_str()) {
        return Err(AdminError::not_found(format!(
            "No batch {batch:?} in gallery {id:?}."
        )));
    }
    let b = batch.clone();
    let page = store_call(&st, move |s| {
        s.job_page(&b, after.as_deref(), usize::try_from(limit).unwrap_or(100))
    })
    .await?
    .ok_or_else(|| AdminError::bad("after is not a record of this batch"))?;
    let (records, more) = page;
    let last = if more {
        records.last().map(|r| r.op_id.clone())
    } else {
        None
    };
    let records: Vec<Value> = records
        .into_iter()
        .map(|r| {
            json!({
                "id": r.op_id,
                "filename": r.filename,
                "tags": r.tags,
                "attempts": r.attempts,
                "status": r.status,
                "registerStatus": r.register_status,
                "reason": r.reason,
                "subjectId": r.subject_id,
                "eventId": r.event_id,
            })
        })
        .collect();
    Ok(Json(json!({"batchId": batch, "records": records, "next": last})).into_response())
}

/// The gallery as an API key would open it, without the key: the admin API runs the
/// biometric API's own handlers for the console's search page (no re-implementation).
async fn tenant_of(st: &Shared, id: &str) -> Result<crate::http::Tenant, AdminError> {
    let g = gallery(st, id).await?;
    Ok(crate::http::Tenant {
        min_quality: g.face_min_quality,
        gallery_id: g.id,
    })
}

/// The API's 413 for a body over `maxBodyBytes` (the only way the body extractor fails
/// here).
fn too_large(st: &Shared) -> Response {
    crate::error::ApiError::too_large(st.limits.max_body_bytes).into_response()
}

/// `POST .../search`: `/v1.1/face/search` on this gallery (same body and answer).
async fn search(
    State(st): State<Shared>,
    p: Ids<String>,
    b: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> AdminResult {
    let id = ids(p)?;
    let t = tenant_of(&st, &id).await?;
    let Ok(body) = b else {
        return Ok(too_large(&st));
    };
    Ok(crate::api::search(State(st), t, body)
        .await
        .unwrap_or_else(IntoResponse::into_response))
}

/// `POST .../verify`: `/v1.1/face/verify` on this gallery (same body and answer).
async fn verify(
    State(st): State<Shared>,
    p: Ids<String>,
    b: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> AdminResult {
    let id = ids(p)?;
    let t = tenant_of(&st, &id).await?;
    let Ok(body) = b else {
        return Ok(too_large(&st));
    };
    Ok(
        crate::api::verify(State(st), crate::http::OptionalTenant(Some(t)), body)
            .await
            .unwrap_or_else(IntoResponse::into_response),
    )
}

/// `POST .../extract`: `/v1.1/face/extract` (same body and answer).
async fn extract(
    State(st): State<Shared>,
    p: Ids<String>,
    b: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> AdminResult {
    let id = ids(p)?;
    let t = tenant_of(&st, &id).await?;
    let Ok(body) = b else {
        return Ok(too_large(&st));
    };
    Ok(crate::api::extract(State(st), t, body)
        .await
        .unwrap_or_else(IntoResponse::into_response))
}
