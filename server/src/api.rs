//! The biometric API (`/v1.1/...`), answering in the reference's JSON shapes.

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::crop::Crop;
use crate::engine::{self, DetectedFace, EngineError, FaceAttributes};
use crate::error::ApiError;
use crate::http::{OptionalTenant, Shared, Tenant, json_object_off_worker};
use crate::intake::{self, IntakeError};
use crate::jobs;
use crate::store::{NewEvent, TagOutcome};

/// Default search/verify threshold (reference: 7000).
const DEFAULT_THRESHOLD: i64 = 7000;
/// Default and maximum search limit (reference: 10, 1–50).
const DEFAULT_SEARCH_LIMIT: i64 = 10;
const MAX_SEARCH_LIMIT: i64 = 50;
/// Default and maximum faces returned by extract (reference: up to 20).
const DEFAULT_EXTRACT_LIMIT: i64 = 10;
const MAX_EXTRACT_LIMIT: i64 = 20;
/// Default and maximum page length of list subjects (reference: 1000).
const MAX_LIST_LENGTH: u64 = 1000;
/// Longest tag name accepted.
const MAX_TAG_LEN: usize = 128;

type ApiResult = Result<Response, ApiError>;
/// (subject id, best score, [(event id, score)]).
type Candidate = (String, u32, Vec<(String, u32)>);

/// The biometric API's routes (authenticated by `http::app`; health is routed there,
/// unauthenticated). Each operation of the core's table is routed here at the path and
/// method the table gives (`tests/e2e/tests/surfaces.rs` checks), next to its handler below.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1.1/subjects", get(list_subjects).post(register_subject))
        .route(
            "/v1.1/subjects/{id}",
            put(update_subject).delete(unregister_subject),
        )
        .route(
            "/v1.1/subjects/{id}/events",
            get(list_events).post(register_event),
        )
        .route(
            "/v1.1/subjects/{id}/events/{event_id}",
            put(update_event).delete(unregister_event),
        )
        .route("/v1.1/face/extract", post(extract))
        .route("/v1.1/face/search", post(search))
        .route("/v1.1/face/verify", post(verify))
        .route("/v1.1/tags", get(list_tags))
        .route(
            "/v1.1/tags/{name}",
            post(create_tag).put(rename_tag_body).delete(delete_tag),
        )
        .route("/v1.1/tags/{old}/{new}", put(rename_tag_path))
        .route("/v1.1/jobs/bulkregister", post(bulk_register))
        .route("/v1.1/jobs/bulkregister/{batch_id}", get(bulk_progress))
        .route(
            "/v1.1/jobs/bulkregister/{batch_id}/{paging_id}",
            get(bulk_progress_paged),
        )
}

// ----- small helpers -------------------------------------------------------------------

pub(crate) fn path<T>(p: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    p.map(|Path(v)| v)
        .map_err(|e| ApiError::invalid(format!("Invalid path parameter: {e}")))
}

fn query(
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<HashMap<String, String>, ApiError> {
    q.map(|Query(v)| v)
        .map_err(|e| ApiError::invalid(format!("Invalid query string: {e}")))
}

pub(crate) fn opt_str<'a>(
    m: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid(format!(
            "{key} property must be a string."
        ))),
    }
}

pub(crate) fn req_str<'a>(m: &'a Map<String, Value>, key: &str) -> Result<&'a str, ApiError> {
    match opt_str(m, key)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ApiError::invalid(format!(
            "{key} property must be provided."
        ))),
    }
}

/// An optional integer in `min..=max`; integral floats (`7000.0`) are accepted.
fn opt_int(m: &Map<String, Value>, key: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
    let bad = || ApiError::invalid(format!("{key} must be an integer from {min} to {max}."));
    let v = match m.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i,
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => f as i64,
            _ => return Err(bad()),
        },
        Some(_) => return Err(bad()),
    };
    if v < min || v > max {
        return Err(bad());
    }
    Ok(Some(v))
}

fn opt_tags(m: &Map<String, Value>) -> Result<Option<Vec<String>>, ApiError> {
    let bad = || ApiError::invalid("tags property must be an array of tag names.");
    match m.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => {
            let mut out: Vec<String> = Vec::new();
            for item in items {
                let Value::String(s) = item else {
                    return Err(bad());
                };
                if s.is_empty() {
                    return Err(bad());
                }
                if !out.contains(s) {
                    out.push(s.clone());
                }
            }
            Ok(Some(out))
        }
        Some(_) => Err(bad()),
    }
}

/// Fails with InvalidRequest 1001 when a tag has not been created in the gallery.
pub(crate) fn require_tags(st: &Shared, gallery: &str, tags: &[String]) -> Result<(), ApiError> {
    if let Some(t) = st.store.missing_tag(gallery, tags)? {
        return Err(ApiError::invalid(format!(
            "Tag '{t}' does not exist. Tags must be created before they are used."
        )));
    }
    Ok(())
}

/// Decodes base64 (standard or URL-safe alphabet, padding optional, whitespace and a
/// `data:...;base64,` prefix tolerated). Copies the text only when it holds whitespace.
fn decode_image(b64: &str, field: &str) -> Result<Vec<u8>, ApiError> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let s = match b64.find(";base64,") {
        Some(i) if b64.starts_with("data:") => b64.get(i + 8..).unwrap_or(""),
        _ => b64,
    };
    let cleaned;
    let s = if s.bytes().any(|b| b.is_ascii_whitespace()) {
        cleaned = s
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect::<String>();
        cleaned.as_str()
    } else {
        s
    };
    let cfg = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let standard = GeneralPurpose::new(&base64::alphabet::STANDARD, cfg);
    let url = GeneralPurpose::new(&base64::alphabet::URL_SAFE, cfg);
    let bytes = standard.decode(s).or_else(|_| url.decode(s)).map_err(|_| {
        ApiError::invalid(format!("{field} property must be a base64 encoded image."))
    })?;
    if bytes.is_empty() {
        return Err(ApiError::invalid(format!(
            "{field} property must be provided."
        )));
    }
    Ok(bytes)
}

/// Runs `f` on the request-CPU threads (low priority; CPU work on untrusted input never
/// runs on the async workers, so `/health` and every other request keep being served).
pub(crate) async fn blocking<T: Send + 'static>(
    st: &Shared,
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    st.request_cpu.run(f).await.map_err(|_| {
        tracing::error!("a request-CPU task failed or the pool is gone");
        ApiError::internal()
    })?
}

fn intake_error(field: &str, e: IntakeError) -> ApiError {
    match e {
        IntakeError::Undecodable(why) => ApiError::invalid(format!(
            "{field} property is not a supported image ({why})."
        )),
        over => ApiError::invalid(format!("{field} property is too large: {over}.")),
    }
}

/// The image pipeline of every request that carries a picture, under the intake policy:
///
/// 1. on the request-CPU threads: base64 → bytes, and the header check ([`intake::inspect`]),
///    so a picture over the limits is refused at once, even while every decode slot is
///    busy;
/// 2. wait for one of the `maxConcurrentDecodes` decode threads (requests queue in order);
/// 3. on that thread: decode ([`intake::decode`], allocation limit) and detect.
pub(crate) async fn detect(
    st: &Shared,
    b64: String,
    field: &'static str,
) -> Result<Vec<DetectedFace>, ApiError> {
    Ok(detect_full(st, b64, field, false).await?.0)
}

/// [`detect`], also cutting out the largest face for the console when `crop` is set
/// ([`crate::crop`]).
pub(crate) async fn detect_full(
    st: &Shared,
    b64: String,
    field: &'static str,
    crop: bool,
) -> Result<(Vec<DetectedFace>, Option<Crop>), ApiError> {
    let policy = st.limits.image_policy();
    let bytes = blocking(st, move || {
        let bytes = decode_image(&b64, field)?;
        drop(b64);
        intake::inspect(&bytes, &policy).map_err(|e| intake_error(field, e))?;
        Ok(bytes)
    })
    .await?;
    let engine = st.engine.clone();
    let result = st
        .decoders
        .run(move || engine::detect_with_crop(engine.as_ref(), bytes, &policy, crop))
        .await
        .map_err(|_| {
            tracing::error!("the decode slot failed or is gone");
            ApiError::internal()
        })?;
    match result {
        Ok((faces, crop)) => Ok((sorted_by_size(faces), crop)),
        Err(EngineError::InvalidImage(why)) => Err(ApiError::invalid(format!(
            "{field} property is not a supported image ({why})."
        ))),
        Err(EngineError::Internal(why)) => {
            tracing::error!("face engine failure: {why}");
            Err(ApiError::internal())
        }
    }
}

/// Removes a string property from a parsed body (no copy of a large base64 image).
fn take_str(m: &mut Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match m.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid(format!(
            "{key} property must be a string."
        ))),
    }
}

/// A required, non-blank string property, removed from the body.
fn take_req_str(m: &mut Map<String, Value>, key: &str) -> Result<String, ApiError> {
    match take_str(m, key)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ApiError::invalid(format!(
            "{key} property must be provided."
        ))),
    }
}

fn area(a: &FaceAttributes) -> i64 {
    let [l, t, r, b] = a.face_area;
    (r - l).max(0).saturating_mul((b - t).max(0))
}

/// Largest face first, then left to right (the order extract reports).
fn sorted_by_size(mut faces: Vec<DetectedFace>) -> Vec<DetectedFace> {
    faces.sort_by(|a, b| {
        area(&b.attributes)
            .cmp(&area(&a.attributes))
            .then(a.attributes.face_area[0].cmp(&b.attributes.face_area[0]))
    });
    faces
}

/// Attributes with every number as a JSON string, like the reference service.
pub(crate) fn attributes_json(a: &FaceAttributes) -> Value {
    let s = |v: i64| Value::String(v.to_string());
    let f = |v: f64| Value::String(format!("{v}"));
    let rect =
        |r: [i64; 4]| json!({"left": s(r[0]), "top": s(r[1]), "right": s(r[2]), "bottom": s(r[3])});
    json!({
        "faceArea": rect(a.face_area),
        "headArea": rect(a.head_area),
        "rightEyeCenter": {"x": s(a.right_eye_center[0]), "y": s(a.right_eye_center[1])},
        "leftEyeCenter": {"x": s(a.left_eye_center[0]), "y": s(a.left_eye_center[1])},
        "frontalFaceScore": f(a.frontal_face_score),
        "faceRoll": f(a.face_roll),
        "facePan": f(a.face_pan),
        "faceTilt": f(a.face_tilt),
        "faceScore": f(a.face_score),
        "faceQualityScore": f(a.face_quality_score),
    })
}

/// The one face a registration needs: NoFace / MultipleFaces / PoorQuality otherwise.
pub(crate) fn single_face(
    faces: Vec<DetectedFace>,
    min_quality: Option<f64>,
) -> Result<DetectedFace, ApiError> {
    let n = faces.len();
    let mut it = faces.into_iter();
    let face = match (it.next(), n) {
        (None, _) => return Err(ApiError::no_face()),
        (Some(f), 1) => f,
        (Some(_), n) => return Err(ApiError::multiple_faces(n)),
    };
    if let Some(min) = min_quality
        && face.attributes.face_quality_score < min
    {
        return Err(ApiError::poor_quality(
            face.attributes.face_quality_score,
            min,
        ));
    }
    Ok(face)
}

/// The probe face of a search or verify: the largest one.
fn probe_face(faces: Vec<DetectedFace>) -> Result<DetectedFace, ApiError> {
    faces.into_iter().next().ok_or_else(ApiError::no_face)
}

fn check_capacity(st: &Shared, gallery: &str, adding: u64) -> Result<(), ApiError> {
    let Some(g) = st.store.gallery(gallery)? else {
        return Err(ApiError::forbidden());
    };
    if st.store.active_count(gallery) + adding > g.size {
        return Err(ApiError::invalid(format!(
            "The gallery is full (size {}).",
            g.size
        )));
    }
    Ok(())
}

fn subject_response(status: StatusCode, id: &str, event_id: &str, attributes: Value) -> Response {
    (
        status,
        Json(json!({"id": id, "eventId": event_id, "attributes": attributes})),
    )
        .into_response()
}

fn subject_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Subject with id {id} not found."))
}

/// A registration's face and, with the console on, its crop.
type RegisteredFace = (DetectedFace, Option<Crop>);

/// Reads `face` + optional `tags` of a register/update body and detects the face.
async fn face_and_tags(
    st: &Shared,
    t: &Tenant,
    mut m: Map<String, Value>,
    face_required: bool,
) -> Result<(Option<RegisteredFace>, Option<Vec<String>>), ApiError> {
    let tags = opt_tags(&m)?;
    let face = if face_required {
        Some(take_req_str(&mut m, "face")?)
    } else {
        take_str(&mut m, "face")?.filter(|s| !s.trim().is_empty())
    };
    drop(m);
    if let Some(tags) = &tags {
        require_tags(st, &t.gallery_id, tags)?;
    }
    let detected = match face {
        Some(b64) => {
            let (faces, crop) = detect_full(st, b64, "face", st.console).await?;
            Some((single_face(faces, t.min_quality)?, crop))
        }
        None => None,
    };
    Ok((detected, tags))
}

pub(crate) fn new_event(face: &DetectedFace, tags: Vec<String>, crop: Option<Crop>) -> NewEvent {
    NewEvent {
        tags,
        template: face.template.clone(),
        attributes_json: attributes_json(&face.attributes).to_string(),
        crop,
    }
}

fn stored_attributes(st: &Shared, gallery: &str, event_id: &str) -> Result<Value, ApiError> {
    Ok(st
        .store
        .event_attributes(gallery, event_id)?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_else(|| json!({})))
}

fn event_tags(st: &Shared, gallery: &str, event_id: &str) -> Vec<String> {
    st.store.with_gallery_events(gallery, |evs| {
        evs.iter()
            .find(|e| e.event_id == event_id)
            .map(|e| e.tags.clone())
            .unwrap_or_default()
    })
}

// ----- health ----------------------------------------------------------------------------

/// GET /v1.1/health — no authentication.
pub(crate) async fn health(State(st): State<Shared>) -> Response {
    Json(json!({
        "status": "OK",
        "engine": st.engine.name(),
        "faceMatcher": st.engine.is_face_matcher(),
    }))
    .into_response()
}

// ----- subjects --------------------------------------------------------------------------

/// GET /v1.1/subjects?start&length&dir
pub(crate) async fn list_subjects(
    State(st): State<Shared>,
    t: Tenant,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> ApiResult {
    let q = query(q)?;
    let num = |key: &str, default: u64| -> Result<u64, ApiError> {
        match q.get(key).map(|s| s.trim()) {
            None | Some("") => Ok(default),
            Some(s) => s
                .parse::<u64>()
                .map_err(|_| ApiError::invalid(format!("{key} must be a non-negative integer."))),
        }
    };
    let start = num("start", 0)?;
    let length = num("length", MAX_LIST_LENGTH)?;
    if length == 0 {
        return Err(ApiError::invalid("length must be from 1 to 1000."));
    }
    let length = length.min(MAX_LIST_LENGTH);
    let desc = match q
        .get("dir")
        .map(|s| s.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::invalid("dir must be asc or desc.")),
    };
    let (rows, total) = st.store.list_subjects(&t.gallery_id, start, length, desc)?;
    // The reference: 404 "Subjects not found." for an empty gallery or a start past the
    // end (lenient mode answers 200 with an empty list).
    if rows.is_empty() && st.strict() {
        return Err(ApiError::not_found("Subjects not found."));
    }
    let subjects: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({"id": r.subject_id, "eventId": r.event_id, "status": r.status, "lastUpdated": r.last_updated})
        })
        .collect();
    Ok(Json(json!({"subjects": subjects, "total": total})).into_response())
}

/// POST /v1.1/subjects
pub(crate) async fn register_subject(
    State(st): State<Shared>,
    t: Tenant,
    body: Bytes,
) -> ApiResult {
    let m = json_object_off_worker(&st, body).await?;
    let (face, tags) = face_and_tags(&st, &t, m, true).await?;
    let (face, crop) = face.ok_or_else(|| ApiError::invalid("face property must be provided."))?;
    check_capacity(&st, &t.gallery_id, 1)?;
    let subject_id = uuid::Uuid::new_v4().to_string();
    let event_id = uuid::Uuid::new_v4().to_string();
    st.store.add_event(
        &t.gallery_id,
        &subject_id,
        &event_id,
        &new_event(&face, tags.unwrap_or_default(), crop),
    )?;
    Ok(subject_response(
        StatusCode::CREATED,
        &subject_id,
        &event_id,
        attributes_json(&face.attributes),
    ))
}

/// Shared by update subject and update event: a new face replaces `targets` with one
/// event keeping `keep_id`; tags alone re-tag `targets`.
async fn update_events(
    st: &Shared,
    t: &Tenant,
    subject_id: &str,
    targets: &[String],
    keep_id: &str,
    body: Bytes,
) -> ApiResult {
    let m = json_object_off_worker(st, body).await?;
    let (face, tags) = face_and_tags(st, t, m, false).await?;
    match (face, tags) {
        (Some((face, crop)), tags) => {
            let tags = tags.unwrap_or_else(|| event_tags(st, &t.gallery_id, keep_id));
            st.store.replace_events(
                &t.gallery_id,
                subject_id,
                targets,
                keep_id,
                &new_event(&face, tags, crop),
            )?;
            Ok(subject_response(
                StatusCode::OK,
                subject_id,
                keep_id,
                attributes_json(&face.attributes),
            ))
        }
        (None, Some(tags)) => {
            st.store.retag_events(&t.gallery_id, targets, &tags)?;
            let attributes = stored_attributes(st, &t.gallery_id, keep_id)?;
            Ok(subject_response(
                StatusCode::OK,
                subject_id,
                keep_id,
                attributes,
            ))
        }
        (None, None) => Err(ApiError::invalid("face or tags property must be provided.")),
    }
}

/// PUT /v1.1/subjects/{id} — the subject's events are replaced by one event (keeping the
/// first event's id) when a face is sent; tags alone re-tag every event.
pub(crate) async fn update_subject(
    State(st): State<Shared>,
    t: Tenant,
    p: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> ApiResult {
    let id = path(p)?;
    let events = st.store.subject_events(&t.gallery_id, &id)?;
    let Some(first) = events.first().cloned() else {
        return Err(subject_not_found(&id));
    };
    update_events(&st, &t, &id, &events, &first, body).await
}

/// DELETE /v1.1/subjects/{id}
pub(crate) async fn unregister_subject(
    State(st): State<Shared>,
    t: Tenant,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let id = path(p)?;
    let events = st.store.subject_events(&t.gallery_id, &id)?;
    if events.is_empty() {
        return Err(subject_not_found(&id));
    }
    st.store.delete_events(&t.gallery_id, &events)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ----- events ----------------------------------------------------------------------------

/// GET /v1.1/subjects/{id}/events
pub(crate) async fn list_events(
    State(st): State<Shared>,
    t: Tenant,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let id = path(p)?;
    let events = st.store.subject_events(&t.gallery_id, &id)?;
    if events.is_empty() {
        return Err(subject_not_found(&id));
    }
    let events: Vec<Value> = events.into_iter().map(|e| json!({"id": e})).collect();
    Ok(Json(json!({"id": id, "events": events})).into_response())
}

/// POST /v1.1/subjects/{id}/events
pub(crate) async fn register_event(
    State(st): State<Shared>,
    t: Tenant,
    p: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> ApiResult {
    let id = path(p)?;
    if st.store.subject_events(&t.gallery_id, &id)?.is_empty() {
        return Err(subject_not_found(&id));
    }
    let m = json_object_off_worker(&st, body).await?;
    let (face, tags) = face_and_tags(&st, &t, m, true).await?;
    let (face, crop) = face.ok_or_else(|| ApiError::invalid("face property must be provided."))?;
    check_capacity(&st, &t.gallery_id, 1)?;
    let event_id = uuid::Uuid::new_v4().to_string();
    st.store.add_event(
        &t.gallery_id,
        &id,
        &event_id,
        &new_event(&face, tags.unwrap_or_default(), crop),
    )?;
    Ok(subject_response(
        StatusCode::CREATED,
        &id,
        &event_id,
        attributes_json(&face.attributes),
    ))
}

/// PUT /v1.1/subjects/{id}/events/{eventId}
pub(crate) async fn update_event(
    State(st): State<Shared>,
    t: Tenant,
    p: Result<Path<(String, String)>, PathRejection>,
    body: Bytes,
) -> ApiResult {
    let (id, event_id) = path(p)?;
    let events = st.store.subject_events(&t.gallery_id, &id)?;
    if events.is_empty() {
        return Err(subject_not_found(&id));
    }
    if !events.contains(&event_id) {
        return Err(ApiError::not_found(format!(
            "Event with id {event_id} not found for subject {id}."
        )));
    }
    update_events(
        &st,
        &t,
        &id,
        std::slice::from_ref(&event_id),
        &event_id,
        body,
    )
    .await
}

/// DELETE /v1.1/subjects/{id}/events/{eventId}
pub(crate) async fn unregister_event(
    State(st): State<Shared>,
    t: Tenant,
    p: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult {
    let (id, event_id) = path(p)?;
    let events = st.store.subject_events(&t.gallery_id, &id)?;
    if events.is_empty() {
        return Err(subject_not_found(&id));
    }
    if !events.contains(&event_id) {
        return Err(ApiError::not_found(format!(
            "Event with id {event_id} not found for subject {id}."
        )));
    }
    st.store.delete_events(&t.gallery_id, &[event_id])?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ----- face ------------------------------------------------------------------------------

/// POST /v1.1/face/extract — `{faces, limit?}`; at most 20 faces, largest first.
pub(crate) async fn extract(State(st): State<Shared>, _t: Tenant, body: Bytes) -> ApiResult {
    let mut m = json_object_off_worker(&st, body).await?;
    let limit = opt_int(&m, "limit", 1, MAX_EXTRACT_LIMIT)?.unwrap_or(DEFAULT_EXTRACT_LIMIT);
    let b64 = take_req_str(&mut m, "faces")?;
    drop(m);
    let faces = detect(&st, b64, "faces").await?;
    if faces.is_empty() {
        return Err(ApiError::no_face());
    }
    let faces: Vec<Value> = faces
        .iter()
        .take(usize::try_from(limit).unwrap_or(10))
        .map(|f| json!({"attributes": attributes_json(&f.attributes)}))
        .collect();
    Ok(Json(json!({ "faces": faces })).into_response())
}

/// POST /v1.1/face/search — `{probe, threshold?, limit?, tags?}`.
pub(crate) async fn search(State(st): State<Shared>, t: Tenant, body: Bytes) -> ApiResult {
    let mut m = json_object_off_worker(&st, body).await?;
    let b64 = take_req_str(&mut m, "probe")?;
    let threshold = opt_int(&m, "threshold", 0, 9999)?.unwrap_or(DEFAULT_THRESHOLD);
    let limit = opt_int(&m, "limit", 1, MAX_SEARCH_LIMIT)?.unwrap_or(DEFAULT_SEARCH_LIMIT);
    let tags = opt_tags(&m)?.unwrap_or_default();
    drop(m);
    require_tags(&st, &t.gallery_id, &tags)?;
    let probe = probe_face(detect(&st, b64, "probe").await?)?;
    let wanted: HashSet<&String> = tags.iter().collect();
    let engine = st.engine.clone();
    let score_of = engine.scorer(&probe.template);
    // subject id → (best score, [(event id, score)])
    let mut by_subject: HashMap<String, (u32, Vec<(String, u32)>)> = HashMap::new();
    st.store.with_gallery_events(&t.gallery_id, |events| {
        for ev in events {
            if !wanted.is_empty() && !ev.tags.iter().any(|t| wanted.contains(t)) {
                continue;
            }
            let score = score_of(&ev.template);
            if i64::from(score) < threshold {
                continue;
            }
            let entry = by_subject.entry(ev.subject_id.clone()).or_default();
            entry.0 = entry.0.max(score);
            entry.1.push((ev.event_id.clone(), score));
        }
    });
    if by_subject.is_empty() {
        return Err(ApiError::not_found("Candidates not found."));
    }
    let mut candidates: Vec<Candidate> = by_subject
        .into_iter()
        .map(|(id, (best, mut events))| {
            events.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            (id, best, events)
        })
        .collect();
    candidates.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    candidates.truncate(usize::try_from(limit).unwrap_or(10));
    let candidates: Vec<Value> = candidates
        .into_iter()
        .map(|(id, score, events)| {
            let events: Vec<Value> = events
                .into_iter()
                .map(|(id, score)| json!({"id": id, "score": score}))
                .collect();
            json!({"id": id, "score": score, "events": events})
        })
        .collect();
    Ok(Json(json!({
        "candidates": candidates,
        "attributes": attributes_json(&probe.attributes),
    }))
    .into_response())
}

/// POST /v1.1/face/verify — `{id, probe}` (subject: 200 `{id, score}` at or above
/// `threshold`, default 7000, else 404) or `{face, probe}` (face to face: always 200
/// `{score}`, so callers see how far apart two faces are and apply their own threshold).
pub(crate) async fn verify(State(st): State<Shared>, t: OptionalTenant, body: Bytes) -> ApiResult {
    let mut m = json_object_off_worker(&st, body).await?;
    let id = take_str(&mut m, "id")?.filter(|s| !s.is_empty());
    let face = take_str(&mut m, "face")?.filter(|s| !s.is_empty());
    let b64 = take_req_str(&mut m, "probe")?;
    let threshold = opt_int(&m, "threshold", 0, 9999)?.unwrap_or(DEFAULT_THRESHOLD);
    drop(m);
    match (id, face) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "Provide either id (verify a subject) or face (verify two faces), not both.",
        )),
        (None, None) => Err(ApiError::invalid("id or face property must be provided.")),
        (Some(id), None) => {
            let Some(t) = t.0 else {
                return Err(ApiError::forbidden());
            };
            if st.store.subject_events(&t.gallery_id, &id)?.is_empty() {
                return Err(subject_not_found(&id));
            }
            let probe = probe_face(detect(&st, b64, "probe").await?)?;
            let engine = st.engine.clone();
            let best = st.store.with_gallery_events(&t.gallery_id, |events| {
                events
                    .iter()
                    .filter(|e| e.subject_id == id)
                    .map(|e| engine.compare(&probe.template, &e.template))
                    .max()
            });
            match best {
                Some(score) if i64::from(score) >= threshold => {
                    Ok(Json(json!({"id": id, "score": score})).into_response())
                }
                _ => Err(ApiError::not_found("Subject not verified.")),
            }
        }
        (None, Some(face)) => {
            let a = probe_face(detect(&st, face, "face").await?)?;
            let b = probe_face(detect(&st, b64, "probe").await?)?;
            let score = st.engine.compare(&a.template, &b.template);
            Ok(Json(json!({ "score": score })).into_response())
        }
    }
}

// ----- tags ------------------------------------------------------------------------------

fn valid_tag_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::invalid("Tag name must not be empty."));
    }
    if name.len() > MAX_TAG_LEN || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "Tag name must be at most {MAX_TAG_LEN} bytes without control characters."
        )));
    }
    Ok(())
}

fn ok_empty() -> Response {
    Json(json!({})).into_response()
}

/// GET /v1.1/tags — `["passport","licence"]`.
pub(crate) async fn list_tags(State(st): State<Shared>, t: Tenant) -> ApiResult {
    Ok(Json(st.store.list_tags(&t.gallery_id)?).into_response())
}

/// POST /v1.1/tags/{name}
pub(crate) async fn create_tag(
    State(st): State<Shared>,
    t: Tenant,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let name = path(p)?;
    valid_tag_name(&name)?;
    match st
        .store
        .create_tag(&t.gallery_id, &name, st.limits.max_tags)?
    {
        TagOutcome::Done => Ok(ok_empty()),
        TagOutcome::Duplicate => Err(ApiError::duplicate(format!("Tag '{name}' already exists."))),
        TagOutcome::LimitReached => Err(ApiError::invalid(format!(
            "A gallery can have at most {} tags.",
            st.limits.max_tags
        ))),
        TagOutcome::NotFound => Err(ApiError::internal()),
    }
}

fn rename(st: &Shared, t: &Tenant, old: &str, new: &str) -> ApiResult {
    valid_tag_name(new)?;
    match st.store.rename_tag(&t.gallery_id, old, new)? {
        TagOutcome::Done => Ok(ok_empty()),
        TagOutcome::Duplicate => Err(ApiError::duplicate(format!("Tag '{new}' already exists."))),
        TagOutcome::NotFound => Err(ApiError::not_found(format!("Tag '{old}' not found."))),
        TagOutcome::LimitReached => Err(ApiError::internal()),
    }
}

/// PUT /v1.1/tags/{oldName} with `{"newName": ...}` (the later revision's form).
pub(crate) async fn rename_tag_body(
    State(st): State<Shared>,
    t: Tenant,
    p: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> ApiResult {
    if st.rename_tag_routes == crate::config::RenameTagRoutes::Path {
        // A deployment of the v1.1 reference: no such route (API Gateway's answer).
        return Err(ApiError::missing_token());
    }
    let old = path(p)?;
    let m = json_object_off_worker(&st, body).await?;
    let new = req_str(&m, "newName")?;
    rename(&st, &t, &old, new)
}

/// PUT /v1.1/tags/{oldName}/{newName} (the v1.1 reference's form).
pub(crate) async fn rename_tag_path(
    State(st): State<Shared>,
    t: Tenant,
    p: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult {
    if st.rename_tag_routes == crate::config::RenameTagRoutes::Body {
        // A deployment of the later reference: no such route (API Gateway's answer).
        return Err(ApiError::missing_token());
    }
    let (old, new) = path(p)?;
    rename(&st, &t, &old, &new)
}

/// DELETE /v1.1/tags/{name} — subjects and events keep the tag.
pub(crate) async fn delete_tag(
    State(st): State<Shared>,
    t: Tenant,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let name = path(p)?;
    match st.store.delete_tag(&t.gallery_id, &name)? {
        TagOutcome::Done => Ok(ok_empty()),
        _ => Err(ApiError::not_found(format!("Tag '{name}' not found."))),
    }
}

// ----- jobs ------------------------------------------------------------------------------

/// POST /v1.1/jobs/bulkregister — `{registrations:[{filename, tags?}]}` → `{batchId}`.
pub(crate) async fn bulk_register(State(st): State<Shared>, t: Tenant, body: Bytes) -> ApiResult {
    let m = json_object_off_worker(&st, body).await?;
    let Some(Value::Array(items)) = m.get("registrations") else {
        return Err(ApiError::invalid(
            "registrations property must be provided as an array.",
        ));
    };
    if items.is_empty() {
        return Err(ApiError::invalid("registrations must not be empty."));
    }
    if items.len() > st.limits.max_bulk_records {
        return Err(ApiError::invalid(format!(
            "At most {} registrations are accepted per request.",
            st.limits.max_bulk_records
        )));
    }
    let mut records = Vec::with_capacity(items.len());
    let mut all_tags: Vec<String> = Vec::new();
    for item in items {
        let Value::Object(r) = item else {
            return Err(ApiError::invalid(
                "Each registration must be an object with a filename.",
            ));
        };
        // Only a malformed body fails the request: an absent or empty filename (like an
        // absolute, escaping, missing or unreadable one) fails its own record, with the
        // reason, when the batch runs.
        let filename = opt_str(r, "filename")?.unwrap_or_default().to_owned();
        let tags = opt_tags(r)?.unwrap_or_default();
        for tag in &tags {
            if !all_tags.contains(tag) {
                all_tags.push(tag.clone());
            }
        }
        records.push((filename, tags));
    }
    require_tags(&st, &t.gallery_id, &all_tags)?;
    let batch_id = uuid::Uuid::new_v4().to_string();
    st.store.create_job(&t.gallery_id, &batch_id, &records)?;
    jobs::spawn_batch(
        st.clone(),
        t.gallery_id.clone(),
        batch_id.clone(),
        t.min_quality,
    );
    Ok(Json(json!({ "batchId": batch_id })).into_response())
}

/// GET /v1.1/jobs/bulkregister/{batchId}[?pagingId=]
pub(crate) async fn bulk_progress(
    State(st): State<Shared>,
    t: Tenant,
    p: Result<Path<String>, PathRejection>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> ApiResult {
    let batch_id = path(p)?;
    let q = query(q)?;
    let paging = q.get("pagingId").filter(|s| !s.is_empty()).cloned();
    progress(&st, &t, &batch_id, paging.as_deref())
}

/// GET /v1.1/jobs/bulkregister/{batchId}/{pagingId}
pub(crate) async fn bulk_progress_paged(
    State(st): State<Shared>,
    t: Tenant,
    p: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult {
    let (batch_id, paging) = path(p)?;
    progress(&st, &t, &batch_id, Some(&paging))
}

fn progress(st: &Shared, t: &Tenant, batch_id: &str, paging: Option<&str>) -> ApiResult {
    if st.store.job_gallery(batch_id)?.as_deref() != Some(t.gallery_id.as_str()) {
        return Err(ApiError::not_found(format!("Batch {batch_id} not found.")));
    }
    let page = st.limits.bulk_page_size.min(1000);
    let Some((records, more)) = st.store.job_page(batch_id, paging, page)? else {
        return Err(ApiError::invalid(format!(
            "pagingId {} is not a key of batch {batch_id}.",
            paging.unwrap_or("")
        )));
    };
    let last_key = if more {
        records.last().map(|r| r.op_id.clone()).unwrap_or_default()
    } else {
        String::new()
    };
    let processed: Vec<Value> = records
        .into_iter()
        .map(|r| {
            json!({
                "id": r.op_id,
                "filename": r.filename,
                "attempts": r.attempts.to_string(),
                "eventId": r.event_id,
                "subjectId": r.subject_id,
                "registerStatus": r.register_status,
                "reason": r.reason,
                "status": r.status,
                "attributesJson": r.attributes_json,
            })
        })
        .collect();
    Ok(Json(json!({
        "batchId": batch_id,
        "processed": processed,
        "lastEvaluatedKey": last_key,
    }))
    .into_response())
}
