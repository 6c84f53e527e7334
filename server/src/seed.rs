//! `--seed DIR`: register a folder of pictures in the default gallery at start, so users'
//! integration tests begin with known subjects. A picture directly in DIR is one subject;
//! a sub-folder is one subject with one event per picture in it (sorted by name). Every
//! picture goes through the same intake policy and engine as a request; the first one that
//! cannot be registered stops the start with its file name and reason.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::ServerError;
use crate::api::{new_event, single_face};
use crate::config::DEFAULT_GALLERY_ID;
use crate::error::ApiError;
use crate::http::Shared;

const IMAGE_EXTENSIONS: [&str; 9] = [
    "jpg", "jpeg", "png", "gif", "bmp", "webp", "tif", "tiff", "jfif",
];

fn is_image(p: &Path) -> bool {
    p.is_file()
        && p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, ServerError> {
    let rd = std::fs::read_dir(dir).map_err(|e| {
        ServerError::Config(format!(
            "cannot read the seed folder {}: {e}",
            dir.display()
        ))
    })?;
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    v.sort();
    Ok(v)
}

fn message(e: ApiError) -> String {
    match e {
        ApiError::Coded { message, .. } | ApiError::Plain { message, .. } => message,
    }
}

/// Registers the folder's pictures; returns `{file, subjectId, eventId}` per picture.
pub(crate) async fn run(st: &Shared, dir: &Path) -> Result<Vec<Value>, ServerError> {
    let mut subjects: Vec<Vec<PathBuf>> = Vec::new();
    for entry in sorted_entries(dir)? {
        if entry.is_dir() {
            let pictures: Vec<PathBuf> = sorted_entries(&entry)?
                .into_iter()
                .filter(|p| is_image(p))
                .collect();
            if !pictures.is_empty() {
                subjects.push(pictures);
            }
        } else if is_image(&entry) {
            subjects.push(vec![entry]);
        }
    }
    let gallery = st
        .store
        .gallery(DEFAULT_GALLERY_ID)
        .map_err(|e| ServerError::Storage(e.to_string()))?
        .ok_or_else(|| ServerError::Config("the default gallery is missing".into()))?;
    let policy = st.limits.image_policy();
    let mut out = Vec::new();
    for pictures in subjects {
        let subject_id = uuid::Uuid::new_v4().to_string();
        for path in pictures {
            let shown = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            let fail = |why: String| ServerError::Config(format!("seed picture {shown}: {why}"));
            let bytes = std::fs::read(&path).map_err(|e| fail(e.to_string()))?;
            if bytes.len() > st.limits.max_body_bytes {
                return Err(fail(format!(
                    "larger than {} bytes (maxBodyBytes)",
                    st.limits.max_body_bytes
                )));
            }
            crate::intake::inspect(&bytes, &policy).map_err(|e| fail(e.to_string()))?;
            let engine = st.engine.clone();
            let console = st.console;
            let (faces, crop) = st
                .decoders
                .run(move || {
                    crate::engine::detect_with_crop(engine.as_ref(), bytes, &policy, console)
                })
                .await
                .map_err(|_| fail("the face engine failed".into()))?
                .map_err(|e| fail(e.to_string()))?;
            let face =
                single_face(faces, gallery.face_min_quality).map_err(|e| fail(message(e)))?;
            if st.store.active_count(&gallery.id) >= gallery.size {
                return Err(fail(format!("the gallery is full (size {})", gallery.size)));
            }
            let event_id = uuid::Uuid::new_v4().to_string();
            st.store
                .add_event(
                    &gallery.id,
                    &subject_id,
                    &event_id,
                    &new_event(&face, Vec::new(), crop),
                )
                .map_err(|e| ServerError::Storage(e.to_string()))?;
            out.push(json!({"file": shown, "subjectId": subject_id, "eventId": event_id}));
        }
    }
    Ok(out)
}
