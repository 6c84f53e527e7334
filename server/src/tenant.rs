//! The tenant API (`/api/galleries`, `/api/applications`): SigV4 only, no `x-api-key`.

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use crate::api::{opt_str, path, req_str};
use crate::config::DEFAULT_GALLERY_ID;
use crate::error::ApiError;
use crate::http::{Shared, json_object_off_worker};
use crate::store::{Application, Gallery, new_api_key};

type ApiResult = Result<Response, ApiError>;

/// The documented floor of faceMinimumQualityScore.
const MIN_QUALITY_FLOOR: f64 = 0.45;

fn opt_quality(m: &Map<String, Value>) -> Result<Option<f64>, ApiError> {
    match m.get("faceMinimumQualityScore") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(q) if (MIN_QUALITY_FLOOR..=1.0).contains(&q) => Ok(Some(q)),
            _ => Err(ApiError::invalid(
                "faceMinimumQualityScore must be a number from 0.45 to 1.",
            )),
        },
        Some(_) => Err(ApiError::invalid(
            "faceMinimumQualityScore must be a number from 0.45 to 1.",
        )),
    }
}

fn opt_size(m: &Map<String, Value>) -> Result<Option<u64>, ApiError> {
    match m.get("size") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(s) if s >= 1 => Ok(Some(s)),
            _ => Err(ApiError::invalid("size must be a positive integer.")),
        },
        Some(_) => Err(ApiError::invalid("size must be a positive integer.")),
    }
}

/// The tenant API's routes (authenticated by `http::app`), next to their handlers below.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/galleries", get(list_galleries).post(create_gallery))
        .route(
            "/api/galleries/{id}",
            get(get_gallery)
                .patch(update_gallery)
                .delete(delete_gallery),
        )
        .route(
            "/api/applications",
            get(list_applications).post(create_application),
        )
        .route(
            "/api/applications/{id}",
            get(get_application)
                .patch(update_application)
                .delete(delete_application),
        )
}

fn gallery_json(g: &Gallery, count: u64) -> Value {
    json!({"id": g.id, "name": g.name, "description": g.description, "size": g.size, "count": count})
}

fn app_json(a: &Application) -> Value {
    json!({
        "id": a.id,
        "name": a.name,
        "description": a.description,
        "apiKey": a.api_key,
        "galleryId": a.gallery_id,
        "faceMinimumQualityScore": a.face_min_quality,
    })
}

fn gallery_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Gallery {id} not found."))
}

fn application_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Application {id} not found."))
}

/// GET /api/galleries
pub(crate) async fn list_galleries(State(st): State<Shared>) -> ApiResult {
    let galleries: Vec<Value> = st
        .store
        .list_galleries()?
        .iter()
        .map(|(g, count)| gallery_json(g, *count))
        .collect();
    Ok(Json(json!({ "galleries": galleries })).into_response())
}

/// GET /api/galleries/{id} — with its applications and their API keys.
pub(crate) async fn get_gallery(
    State(st): State<Shared>,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let id = path(p)?;
    let g = st
        .store
        .gallery(&id)?
        .ok_or_else(|| gallery_not_found(&id))?;
    let mut body = gallery_json(&g, st.store.active_count(&id));
    let apps: Vec<Value> = st
        .store
        .list_applications(Some(&id))?
        .iter()
        .map(|a| json!({"id": a.id, "name": a.name, "apiKey": a.api_key}))
        .collect();
    if let Value::Object(m) = &mut body {
        m.insert("applications".into(), Value::Array(apps));
        m.insert("faceMinimumQualityScore".into(), json!(g.face_min_quality));
    }
    Ok(Json(body).into_response())
}

/// POST /api/galleries — creates the gallery and an application; answers with its API key.
pub(crate) async fn create_gallery(State(st): State<Shared>, body: Bytes) -> ApiResult {
    let m = json_object_off_worker(&st, body).await?;
    let name = req_str(&m, "name")?.trim().to_owned();
    let description = opt_str(&m, "description")?.unwrap_or("").to_owned();
    let quality = opt_quality(&m)?;
    let size = opt_size(&m)?.unwrap_or(st.limits.default_gallery_size);
    if st.store.gallery_by_name(&name)?.is_some() {
        // The real service puts the existing API key in this message; the emulator keeps
        // secrets out of error messages (get the key with GET /api/galleries/{id}).
        return Err(ApiError::duplicate(format!(
            "Gallery with name '{name}' already exists."
        )));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let api_key = new_api_key();
    match st
        .store
        .create_gallery(&id, &name, &description, size, quality, &api_key)
    {
        Ok(_) => {}
        // A concurrent create of the same name won the race.
        Err(e) if e.is_constraint() => {
            return Err(ApiError::duplicate(format!(
                "Gallery with name '{name}' already exists."
            )));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Json(json!({
        "id": id,
        "name": name,
        "description": description,
        "size": size,
        "faceMinimumQualityScore": quality,
        "apiKey": api_key,
    }))
    .into_response())
}

/// PATCH /api/galleries/{id} — name, description, size (which can only grow).
pub(crate) async fn update_gallery(
    State(st): State<Shared>,
    p: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> ApiResult {
    let id = path(p)?;
    let m = json_object_off_worker(&st, body).await?;
    let mut g = st
        .store
        .gallery(&id)?
        .ok_or_else(|| gallery_not_found(&id))?;
    if let Some(name) = opt_str(&m, "name")? {
        let name = name.trim();
        if name.is_empty() {
            return Err(ApiError::invalid("name must not be empty."));
        }
        if name != g.name && st.store.gallery_by_name(name)?.is_some() {
            return Err(ApiError::duplicate(format!(
                "Gallery with name '{name}' already exists."
            )));
        }
        g.name = name.to_owned();
    }
    if let Some(d) = opt_str(&m, "description")? {
        g.description = d.to_owned();
    }
    if let Some(size) = opt_size(&m)? {
        if size < g.size {
            return Err(ApiError::invalid("Gallery size can only be increased."));
        }
        g.size = size;
    }
    match st.store.update_gallery(&g) {
        Ok(()) => {}
        Err(e) if e.is_constraint() => {
            return Err(ApiError::duplicate(format!(
                "Gallery with name '{}' already exists.",
                g.name
            )));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(
        Json(json!({"id": g.id, "name": g.name, "description": g.description, "size": g.size}))
            .into_response(),
    )
}

/// DELETE /api/galleries/{id} — with its applications, subjects, tags and jobs. The
/// default gallery cannot be deleted (the dev API key must keep working).
pub(crate) async fn delete_gallery(
    State(st): State<Shared>,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let id = path(p)?;
    if id == DEFAULT_GALLERY_ID {
        return Err(ApiError::invalid("The default gallery cannot be deleted."));
    }
    if !st.store.delete_gallery(&id)? {
        return Err(gallery_not_found(&id));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// GET /api/applications
pub(crate) async fn list_applications(State(st): State<Shared>) -> ApiResult {
    let apps: Vec<Value> = st
        .store
        .list_applications(None)?
        .iter()
        .map(app_json)
        .collect();
    Ok(Json(json!({ "applications": apps })).into_response())
}

/// GET /api/applications/{id}
pub(crate) async fn get_application(
    State(st): State<Shared>,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let id = path(p)?;
    let app = st
        .store
        .application(&id)?
        .ok_or_else(|| application_not_found(&id))?;
    Ok(Json(app_json(&app)).into_response())
}

/// POST /api/applications — a new API key for an existing gallery.
pub(crate) async fn create_application(State(st): State<Shared>, body: Bytes) -> ApiResult {
    let m = json_object_off_worker(&st, body).await?;
    let name = req_str(&m, "name")?.trim().to_owned();
    let gallery_id = req_str(&m, "galleryId")?.to_owned();
    let description = opt_str(&m, "description")?.unwrap_or("").to_owned();
    let quality = opt_quality(&m)?;
    if st.store.gallery(&gallery_id)?.is_none() {
        return Err(ApiError::invalid(format!(
            "Gallery {gallery_id} does not exist."
        )));
    }
    let app = Application {
        id: uuid::Uuid::new_v4().to_string(),
        gallery_id,
        name,
        description,
        api_key: new_api_key(),
        face_min_quality: quality,
    };
    st.store.insert_application(&app)?;
    Ok(Json(app_json(&app)).into_response())
}

/// PATCH /api/applications/{id} — name, description, faceMinimumQualityScore.
pub(crate) async fn update_application(
    State(st): State<Shared>,
    p: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> ApiResult {
    let id = path(p)?;
    let m = json_object_off_worker(&st, body).await?;
    let mut app = st
        .store
        .application(&id)?
        .ok_or_else(|| application_not_found(&id))?;
    if let Some(name) = opt_str(&m, "name")? {
        if name.trim().is_empty() {
            return Err(ApiError::invalid("name must not be empty."));
        }
        app.name = name.trim().to_owned();
    }
    if let Some(d) = opt_str(&m, "description")? {
        app.description = d.to_owned();
    }
    if let Some(q) = opt_quality(&m)? {
        app.face_min_quality = Some(q);
    }
    st.store.update_application(&app)?;
    Ok(Json(app_json(&app)).into_response())
}

/// DELETE /api/applications/{id} — its API key stops working at once.
pub(crate) async fn delete_application(
    State(st): State<Shared>,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let id = path(p)?;
    if id == "default-app" {
        return Err(ApiError::invalid(
            "The default application cannot be deleted.",
        ));
    }
    if !st.store.delete_application(&id)? {
        return Err(application_not_found(&id));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
