//! The records Kotlin and Swift see. Models whose shape is the same on both sides are the
//! core's own types (derived behind the core's `uniffi` feature, re-exported here); the
//! records below are the ones that must change shape across the boundary:
//!
//! - where the core offers a derived answer (`is_active`, `is_processed`, `succeeded`,
//!   counts, `is_done`, `is_ok`) the record carries it as a field computed by the core, so
//!   Kotlin and Swift never re-implement it;
//! - API keys come back wrapped in [`Secret`] (never in a generated `toString()`);
//! - `WaitOptions` takes optional durations.

pub use necid::{
    ApplicationUpdate, BulkRegistration, Candidate, Event, EventList, FaceAttributes,
    FaceVerification, GalleryUpdate, NewApplication, NewGallery, Point, Rect, RegisteredFace,
    RenameTagForm, SearchResult, SortDirection, Tag, TlsRoots, Verification,
};
use std::sync::Arc;
use std::time::Duration;

/// A secret string (an API key). Its value is only available through [`Secret::expose`],
/// so it never shows up in a record's generated `toString()` / `description`.
#[derive(uniffi::Object)]
pub struct Secret(necid::Secret);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[uniffi::export]
impl Secret {
    /// Wrap a value (e.g. to compare against, or to build a config from).
    #[uniffi::constructor]
    pub fn new(value: String) -> Arc<Secret> {
        Arc::new(Secret(necid::Secret::new(value)))
    }
    /// The secret itself; call this only where the value must be used.
    pub fn expose(&self) -> String {
        self.0.expose().to_owned()
    }
}

fn secret(v: Option<String>) -> Option<Arc<Secret>> {
    v.map(|s| Arc::new(Secret(necid::Secret::new(s))))
}

/// One row of list subjects: one per event, deleted rows included.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SubjectEntry {
    pub subject_id: String,
    pub event_id: String,
    /// `"A"` (active) or `"D"` (deleted).
    pub status: String,
    /// ISO 8601 timestamp of the last update.
    pub last_updated: Option<String>,
    /// Whether the row is active (computed by the core from `status`).
    pub active: bool,
}

/// One page of list subjects.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SubjectPage {
    pub subjects: Vec<SubjectEntry>,
    /// Total rows (events) in the gallery; 0 if the service did not say.
    pub total: u64,
}

/// Status of one record of a bulk job.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct JobStatus {
    /// Operation id (not a subject or event id).
    pub id: String,
    pub filename: String,
    pub attempts: Option<u32>,
    pub event_id: Option<String>,
    pub subject_id: Option<String>,
    /// `"Success"` or `"Failed"` once processed.
    pub register_status: Option<String>,
    pub reason: Option<String>,
    /// `"New"` or `"Processed"`.
    pub status: String,
    pub attributes: Option<FaceAttributes>,
    /// The raw `attributesJson` text when it did not decode as face attributes.
    pub attributes_json: Option<String>,
    /// Whether the service has finished with this record (computed by the core).
    pub processed: bool,
    /// Whether the record was registered successfully (computed by the core).
    pub succeeded: bool,
}

/// One page of bulk-register progress.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BulkProgressPage {
    pub batch_id: String,
    pub processed: Vec<JobStatus>,
    /// Paging id of the next page; null on the last page.
    pub last_evaluated_key: Option<String>,
}

/// All records of a batch, with counts computed by the core.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BulkProgress {
    pub batch_id: String,
    pub records: Vec<JobStatus>,
    pub total: u64,
    pub processed: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// At least one record and every record processed.
    pub done: bool,
}

/// Polling settings of `wait_for_bulk_register`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WaitOptions {
    /// First delay between polls (default 1 s); backs off ×1.5.
    #[uniffi(default = None)]
    pub poll_interval: Option<Duration>,
    /// Longest delay between polls (default 15 s).
    #[uniffi(default = None)]
    pub max_poll_interval: Option<Duration>,
    /// Give up with `TimedOut` after this long (default 30 min).
    #[uniffi(default = None)]
    pub timeout: Option<Duration>,
}

/// Health check result.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Health {
    /// `"OK"` when healthy.
    pub status: String,
    /// Whether the status is OK (computed by the core).
    pub ok: bool,
}

/// An HTTP header (name and value), for `sign_request`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// An application (API key holder).
#[derive(Debug, Clone, uniffi::Record)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// The application's API key (send as `x-api-key`); `expose()` to read it.
    pub api_key: Option<Arc<Secret>>,
    pub face_minimum_quality_score: Option<f64>,
    pub gallery_id: Option<String>,
}

/// A gallery as listed, created or updated.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Gallery {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Capacity.
    pub size: Option<u64>,
    /// Registered count.
    pub count: Option<u64>,
    pub face_minimum_quality_score: Option<f64>,
    /// API key of the application created with the gallery (create only).
    pub api_key: Option<Arc<Secret>>,
}

/// A gallery with its applications.
#[derive(Debug, Clone, uniffi::Record)]
pub struct GalleryDetails {
    pub gallery: Gallery,
    pub applications: Vec<Application>,
}

// ---------------------------------------------------------------------------------------
// Conversions (core → foreign)

fn usize_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl From<necid::SubjectEntry> for SubjectEntry {
    fn from(e: necid::SubjectEntry) -> Self {
        let active = e.is_active();
        SubjectEntry {
            subject_id: e.subject_id,
            event_id: e.event_id,
            status: e.status,
            last_updated: e.last_updated,
            active,
        }
    }
}
impl From<necid::SubjectPage> for SubjectPage {
    fn from(p: necid::SubjectPage) -> Self {
        SubjectPage {
            subjects: p.subjects.into_iter().map(Into::into).collect(),
            total: p.total,
        }
    }
}
impl From<necid::JobStatus> for JobStatus {
    fn from(j: necid::JobStatus) -> Self {
        let (processed, succeeded) = (j.is_processed(), j.succeeded());
        JobStatus {
            id: j.id,
            filename: j.filename,
            attempts: j.attempts,
            event_id: j.event_id,
            subject_id: j.subject_id,
            register_status: j.register_status,
            reason: j.reason,
            status: j.status,
            attributes: j.attributes,
            attributes_json: j.attributes_json,
            processed,
            succeeded,
        }
    }
}
impl From<necid::BulkProgressPage> for BulkProgressPage {
    fn from(p: necid::BulkProgressPage) -> Self {
        BulkProgressPage {
            batch_id: p.batch_id,
            processed: p.processed.into_iter().map(Into::into).collect(),
            last_evaluated_key: p.last_evaluated_key,
        }
    }
}
impl From<&necid::BulkProgress> for BulkProgress {
    fn from(p: &necid::BulkProgress) -> Self {
        BulkProgress {
            batch_id: p.batch_id.clone(),
            records: p.records.iter().cloned().map(Into::into).collect(),
            total: usize_u64(p.total()),
            processed: usize_u64(p.processed()),
            succeeded: usize_u64(p.succeeded()),
            failed: usize_u64(p.failed()),
            done: p.is_done(),
        }
    }
}
impl From<WaitOptions> for necid::WaitOptions {
    fn from(o: WaitOptions) -> Self {
        let d = necid::WaitOptions::default();
        necid::WaitOptions {
            poll_interval: o.poll_interval.unwrap_or(d.poll_interval),
            max_poll_interval: o.max_poll_interval.unwrap_or(d.max_poll_interval),
            timeout: o.timeout.unwrap_or(d.timeout),
        }
    }
}
impl From<necid::Health> for Health {
    fn from(h: necid::Health) -> Self {
        let ok = h.is_ok();
        Health {
            status: h.status,
            ok,
        }
    }
}
impl From<necid::Application> for Application {
    fn from(a: necid::Application) -> Self {
        Application {
            id: a.id,
            name: a.name,
            description: a.description,
            api_key: secret(a.api_key),
            face_minimum_quality_score: a.face_minimum_quality_score,
            gallery_id: a.gallery_id,
        }
    }
}
impl From<necid::Gallery> for Gallery {
    fn from(g: necid::Gallery) -> Self {
        Gallery {
            id: g.id,
            name: g.name,
            description: g.description,
            size: g.size,
            count: g.count,
            face_minimum_quality_score: g.face_minimum_quality_score,
            api_key: secret(g.api_key),
        }
    }
}
impl From<necid::GalleryDetails> for GalleryDetails {
    fn from(d: necid::GalleryDetails) -> Self {
        GalleryDetails {
            gallery: d.gallery.into(),
            applications: d.applications.into_iter().map(Into::into).collect(),
        }
    }
}
