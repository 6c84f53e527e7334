//! Bulk registration: records are processed in the background, one at a time, from
//! files in `<bucket_dir>/<gallery id>/` (or `<bucket_dir>/<gallery name>/`).
//!
//! Every per-record problem fails that record alone, with its reason: a filename that is
//! absent or empty, absolute, has `..`/`.` components, a backslash or NUL, reaches a
//! symbolic link anywhere below the gallery folder, names nothing, names a directory, or
//! cannot be read; an image that is over the intake limits, undecodable, or has no (or
//! more than one) face. Nothing outside the gallery folder is ever opened.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::api::{attributes_json, single_face};
use crate::error::ApiError;
use crate::http::Shared;
use crate::store::{JobRecord, NewEvent};

/// Starts (or resumes) processing a batch on a blocking thread.
pub(crate) fn spawn_batch(
    st: Shared,
    gallery_id: String,
    batch_id: String,
    min_quality: Option<f64>,
) {
    tokio::task::spawn_blocking(move || run_batch(&st, &gallery_id, &batch_id, min_quality));
}

fn run_batch(st: &Shared, gallery_id: &str, batch_id: &str, min_quality: Option<f64>) {
    let min_quality = min_quality.or_else(|| {
        st.store
            .gallery(gallery_id)
            .ok()
            .flatten()
            .and_then(|g| g.face_min_quality)
    });
    loop {
        if st.stopping.load(Ordering::Relaxed) {
            return;
        }
        let mut rec = match st.store.next_new_record(batch_id) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                tracing::error!("bulk register {batch_id}: {e}");
                return;
            }
        };
        let saved = match process(st, gallery_id, &rec, min_quality) {
            // Shutting down mid-record: leave it `New`; it resumes at the next start.
            Err(Outcome::Interrupted) => return,
            Ok(event) => {
                rec.subject_id = uuid::Uuid::new_v4().to_string();
                rec.event_id = uuid::Uuid::new_v4().to_string();
                rec.attributes_json = event.attributes_json.clone();
                rec.register_status = "Success".into();
                st.store.register_record(gallery_id, &event, &rec)
            }
            Err(Outcome::Failed(reason)) => {
                rec.register_status = "Failed".into();
                rec.reason = reason;
                st.store.finish_record(&rec)
            }
        };
        if let Err(e) = saved {
            tracing::error!("bulk register {batch_id}: {e}");
            return;
        }
    }
}

fn reason_of(e: ApiError) -> String {
    match e {
        ApiError::Coded { message, .. } | ApiError::Plain { message, .. } => message,
    }
}

/// Why a record did not register.
enum Outcome {
    /// The record failed; the reason is reported to the client.
    Failed(String),
    /// The server is stopping; the record is left for the next start.
    Interrupted,
}

impl From<String> for Outcome {
    fn from(reason: String) -> Self {
        Outcome::Failed(reason)
    }
}

impl From<&str> for Outcome {
    fn from(reason: &str) -> Self {
        Outcome::Failed(reason.to_owned())
    }
}

/// Reads, detects and checks one record's file; what to register, or why it failed.
/// Nothing is written here: the caller commits the event and the record together.
fn process(
    st: &Shared,
    gallery_id: &str,
    rec: &JobRecord,
    min_quality: Option<f64>,
) -> Result<NewEvent, Outcome> {
    let bucket = st
        .bucket_dir
        .as_deref()
        .ok_or("The emulator was started without a bucket directory (--bucket-dir).")?;
    let gallery = st
        .store
        .gallery(gallery_id)
        .map_err(|e| e.to_string())?
        .ok_or("The gallery no longer exists.")?;
    let file = resolve(bucket, &gallery.id, &gallery.name, &rec.filename)?;
    let bytes = read_capped(&file, st.limits.max_body_bytes)?;
    // The intake policy, as for request bodies: the header first, then a decode slot.
    let policy = st.limits.image_policy();
    crate::intake::inspect(&bytes, &policy).map_err(|e| e.to_string())?;
    let engine = st.engine.clone();
    let console = st.console;
    let (faces, crop) = st
        .decoders
        .run_blocking(move || {
            crate::engine::detect_with_crop(engine.as_ref(), bytes, &policy, console)
        })
        .map_err(|_| "The face engine failed on this file.".to_owned())?
        .map_err(|e| e.to_string())?;
    if st.stopping.load(Ordering::Relaxed) {
        return Err(Outcome::Interrupted);
    }
    let face = single_face(faces, min_quality).map_err(reason_of)?;
    if st.store.active_count(gallery_id) >= gallery.size {
        return Err(format!("The gallery is full (size {}).", gallery.size).into());
    }
    if let Some(t) = st
        .store
        .missing_tag(gallery_id, &rec.tags)
        .map_err(|e| e.to_string())?
    {
        return Err(format!("Tag '{t}' does not exist.").into());
    }
    Ok(NewEvent {
        tags: rec.tags.clone(),
        template: face.template,
        attributes_json: attributes_json(&face.attributes).to_string(),
        crop,
    })
}

/// Maps a filename onto a regular file inside the gallery folder, or says why not.
pub(crate) fn resolve(
    bucket: &Path,
    gallery_id: &str,
    gallery_name: &str,
    filename: &str,
) -> Result<PathBuf, String> {
    const ESCAPE: &str = "The filename must name a file inside the gallery's folder";
    if filename.trim().is_empty() {
        return Err("The filename is empty.".into());
    }
    if filename.contains('\0') || filename.contains('\\') {
        return Err(format!(
            "{ESCAPE}: it must not contain a backslash or a NUL character."
        ));
    }
    let rel = Path::new(filename);
    if rel.is_absolute() || rel.has_root() {
        return Err(format!("{ESCAPE}: it is an absolute path."));
    }
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(format!(
            "{ESCAPE}: it must not have '.' or '..' components."
        ));
    }
    let base = [gallery_id, gallery_name]
        .iter()
        .filter(|n| {
            !n.is_empty()
                && Path::new(n)
                    .components()
                    .all(|c| matches!(c, Component::Normal(_)))
        })
        .map(|n| bucket.join(n))
        .find(|p| p.is_dir())
        .ok_or_else(|| {
            format!("The gallery's folder ({gallery_id}) does not exist in the bucket.")
        })?;
    let mut cur = base
        .canonicalize()
        .map_err(|_| "The gallery's folder is not readable.".to_owned())?;
    for comp in rel.components() {
        cur.push(comp);
        let md =
            std::fs::symlink_metadata(&cur).map_err(|_| format!("File {filename} not found."))?;
        if md.file_type().is_symlink() {
            return Err(format!("{ESCAPE}: links are not followed."));
        }
    }
    if !cur.is_file() {
        return Err(format!("{filename} is not a regular file."));
    }
    Ok(cur)
}

fn read_capped(path: &Path, limit: usize) -> Result<Vec<u8>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("Cannot read the file: {e}"))?;
    let mut buf = Vec::new();
    f.take(limit as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("Cannot read the file: {e}"))?;
    if buf.len() > limit {
        return Err(format!("The file is larger than {limit} bytes."));
    }
    Ok(buf)
}
