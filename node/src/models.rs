//! Plain JS objects (`#[napi(object)]`) mirroring the core's models, and the conversions.
//!
//! Numbers stay numbers: pixel coordinates and scores are JS numbers, never strings. Counts
//! the core keeps as `u64` are converted to `number` (exact below 2^53, far beyond any
//! gallery size).

use napi_derive::napi;

/// A pixel rectangle.
#[napi(object)]
#[derive(Clone)]
pub struct Rect {
    /// Left edge (pixels).
    pub left: i64,
    /// Top edge (pixels).
    pub top: i64,
    /// Right edge (pixels).
    pub right: i64,
    /// Bottom edge (pixels).
    pub bottom: i64,
}

impl From<necid::Rect> for Rect {
    fn from(r: necid::Rect) -> Self {
        Rect {
            left: r.left,
            top: r.top,
            right: r.right,
            bottom: r.bottom,
        }
    }
}

/// A pixel position.
#[napi(object)]
#[derive(Clone)]
pub struct Point {
    /// X (pixels).
    pub x: i64,
    /// Y (pixels).
    pub y: i64,
}

impl From<necid::Point> for Point {
    fn from(p: necid::Point) -> Self {
        Point { x: p.x, y: p.y }
    }
}

/// Attributes of one detected face. Fields the service omitted are absent.
#[napi(object)]
#[derive(Clone)]
pub struct FaceAttributes {
    /// Bounds of the face.
    pub face_area: Option<Rect>,
    /// Bounds of the head.
    pub head_area: Option<Rect>,
    /// Centre of the right eye.
    pub right_eye_center: Option<Point>,
    /// Centre of the left eye.
    pub left_eye_center: Option<Point>,
    /// Likeness to a face (0–1).
    pub face_score: Option<f64>,
    /// Degree of frontal view (0–1).
    pub frontal_face_score: Option<f64>,
    /// Overall quality estimate (0–1).
    pub face_quality_score: Option<f64>,
    /// Roll angle, degrees.
    pub face_roll: Option<f64>,
    /// Pan angle, degrees.
    pub face_pan: Option<f64>,
    /// Tilt angle, degrees.
    pub face_tilt: Option<f64>,
}

impl From<necid::FaceAttributes> for FaceAttributes {
    fn from(a: necid::FaceAttributes) -> Self {
        FaceAttributes {
            face_area: a.face_area.map(Into::into),
            head_area: a.head_area.map(Into::into),
            right_eye_center: a.right_eye_center.map(Into::into),
            left_eye_center: a.left_eye_center.map(Into::into),
            face_score: a.face_score,
            frontal_face_score: a.frontal_face_score,
            face_quality_score: a.face_quality_score,
            face_roll: a.face_roll,
            face_pan: a.face_pan,
            face_tilt: a.face_tilt,
        }
    }
}

/// Result of registering or updating a subject or an event.
#[napi(object)]
pub struct RegisteredFace {
    /// Subject id.
    pub subject_id: String,
    /// Event id (the registered image), when the service reported it.
    pub event_id: Option<String>,
    /// Attributes of the face that was registered.
    pub attributes: Option<FaceAttributes>,
}

impl From<necid::RegisteredFace> for RegisteredFace {
    fn from(r: necid::RegisteredFace) -> Self {
        RegisteredFace {
            subject_id: r.subject_id,
            event_id: r.event_id,
            attributes: r.attributes.map(Into::into),
        }
    }
}

/// Sort direction of `listSubjects` (by last update).
#[napi(string_enum = "lowercase")]
pub enum SortDirection {
    /// Oldest first (the service default).
    Asc,
    /// Newest first.
    Desc,
}

impl From<SortDirection> for necid::SortDirection {
    fn from(d: SortDirection) -> Self {
        match d {
            SortDirection::Asc => necid::SortDirection::Asc,
            SortDirection::Desc => necid::SortDirection::Desc,
        }
    }
}

/// One row of list subjects: one per event, deleted rows included.
#[napi(object)]
pub struct SubjectEntry {
    /// Subject id.
    pub subject_id: String,
    /// Event id.
    pub event_id: String,
    /// `"A"` (active) or `"D"` (deleted).
    pub status: String,
    /// Whether the row is active (status `A`).
    pub active: bool,
    /// ISO 8601 timestamp of the last update.
    pub last_updated: Option<String>,
}

/// One page of list subjects.
#[napi(object)]
pub struct SubjectPage {
    /// Rows on this page.
    pub subjects: Vec<SubjectEntry>,
    /// Total rows (events) in the gallery; 0 if the service did not say.
    pub total: f64,
}

impl From<necid::SubjectPage> for SubjectPage {
    fn from(p: necid::SubjectPage) -> Self {
        SubjectPage {
            subjects: p
                .subjects
                .into_iter()
                .map(|s| SubjectEntry {
                    active: s.is_active(),
                    subject_id: s.subject_id,
                    event_id: s.event_id,
                    status: s.status,
                    last_updated: s.last_updated,
                })
                .collect(),
            total: p.total as f64,
        }
    }
}

/// An event id with, where the service gave one, a match score. (Named `SubjectEvent`
/// rather than `Event` so it does not shadow the global `Event` class.)
#[napi(object)]
pub struct SubjectEvent {
    /// Event id.
    pub event_id: String,
    /// Match score 0–9999 (search/verify results).
    pub score: Option<u32>,
}

impl From<necid::Event> for SubjectEvent {
    fn from(e: necid::Event) -> Self {
        SubjectEvent {
            event_id: e.event_id,
            score: e.score,
        }
    }
}

fn events(v: Vec<necid::Event>) -> Vec<SubjectEvent> {
    v.into_iter().map(Into::into).collect()
}

/// Events of one subject.
#[napi(object)]
pub struct EventList {
    /// Subject id.
    pub subject_id: String,
    /// Events.
    pub events: Vec<SubjectEvent>,
}

impl From<necid::EventList> for EventList {
    fn from(l: necid::EventList) -> Self {
        EventList {
            subject_id: l.subject_id,
            events: events(l.events),
        }
    }
}

/// One search candidate.
#[napi(object)]
pub struct Candidate {
    /// Subject id.
    pub subject_id: String,
    /// Highest score among the subject's events (0–9999).
    pub score: u32,
    /// Matching events with their scores.
    pub events: Vec<SubjectEvent>,
}

/// Result of a search. No candidates (the service's 404) is an empty list, not an error.
#[napi(object)]
pub struct SearchResult {
    /// Candidates, best first as the service ordered them.
    pub candidates: Vec<Candidate>,
    /// Attributes of the probe face.
    pub attributes: Option<FaceAttributes>,
}

impl From<necid::SearchResult> for SearchResult {
    fn from(r: necid::SearchResult) -> Self {
        SearchResult {
            candidates: r
                .candidates
                .into_iter()
                .map(|c| Candidate {
                    subject_id: c.subject_id,
                    score: c.score,
                    events: events(c.events),
                })
                .collect(),
            attributes: r.attributes.map(Into::into),
        }
    }
}

/// Options of `search`.
#[napi(object)]
pub struct SearchOptions {
    /// Minimum score 0–9999 (service default 7000).
    pub threshold: Option<f64>,
    /// Maximum candidates 1–50 (service default 10).
    pub limit: Option<f64>,
    /// Only subjects with any of these tags.
    pub tags: Option<Vec<String>>,
}

/// Result of verifying a probe against a registered subject. A non-match is
/// `verified: false` (the service's 404), not an error.
#[napi(object)]
pub struct Verification {
    /// Subject id.
    pub subject_id: String,
    /// Whether the service verified the probe as this subject.
    pub verified: bool,
    /// Score of the subject's best event (absent when not verified).
    pub score: Option<u32>,
    /// Per-event scores (when the service sends them).
    pub events: Vec<SubjectEvent>,
}

impl From<necid::Verification> for Verification {
    fn from(v: necid::Verification) -> Self {
        Verification {
            subject_id: v.subject_id,
            verified: v.verified,
            score: v.score,
            events: events(v.events),
        }
    }
}

/// Result of verifying two faces against each other.
#[napi(object)]
pub struct FaceVerification {
    /// Whether the faces matched.
    pub verified: bool,
    /// Match score (0–9999).
    pub score: Option<u32>,
}

impl From<necid::FaceVerification> for FaceVerification {
    fn from(v: necid::FaceVerification) -> Self {
        FaceVerification {
            verified: v.verified,
            score: v.score,
        }
    }
}

/// A tag.
#[napi(object)]
pub struct Tag {
    /// Tag name.
    pub name: String,
    /// Numeric id when the service sent one.
    pub id: Option<i64>,
}

impl From<necid::Tag> for Tag {
    fn from(t: necid::Tag) -> Self {
        Tag {
            name: t.name,
            id: t.id,
        }
    }
}

/// One file to register in a bulk job (an object name in the gallery's bucket).
#[napi(object)]
pub struct BulkRegistration {
    /// Object name in the gallery's bucket.
    pub filename: String,
    /// Tags to register with the subject.
    pub tags: Option<Vec<String>>,
}

impl From<BulkRegistration> for necid::BulkRegistration {
    fn from(r: BulkRegistration) -> Self {
        necid::BulkRegistration {
            filename: r.filename,
            tags: r.tags.unwrap_or_default(),
        }
    }
}

/// Status of one record of a bulk job.
#[napi(object)]
pub struct JobStatus {
    /// Operation id (not a subject or event id).
    pub id: String,
    /// File name from the request.
    pub filename: String,
    /// Attempts so far.
    pub attempts: Option<u32>,
    /// Event id on success.
    pub event_id: Option<String>,
    /// Subject id on success.
    pub subject_id: Option<String>,
    /// `"Success"` or `"Failed"` once processed.
    pub register_status: Option<String>,
    /// Failure reason.
    pub reason: Option<String>,
    /// `"New"` or `"Processed"`.
    pub status: String,
    /// Whether the service has finished with this record.
    pub processed: bool,
    /// Whether the record was registered successfully.
    pub succeeded: bool,
    /// Face attributes, when the service reported readable ones.
    pub attributes: Option<FaceAttributes>,
}

impl From<necid::JobStatus> for JobStatus {
    fn from(j: necid::JobStatus) -> Self {
        JobStatus {
            processed: j.is_processed(),
            succeeded: j.succeeded(),
            id: j.id,
            filename: j.filename,
            attempts: j.attempts,
            event_id: j.event_id,
            subject_id: j.subject_id,
            register_status: j.register_status,
            reason: j.reason,
            status: j.status,
            attributes: j.attributes.map(Into::into),
        }
    }
}

/// One page of bulk-register progress.
#[napi(object)]
pub struct BulkProgressPage {
    /// Batch id.
    pub batch_id: String,
    /// Records on this page.
    pub processed: Vec<JobStatus>,
    /// Paging id of the next page; absent on the last page.
    pub last_evaluated_key: Option<String>,
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

/// All records of a batch, as gathered by `waitForBulkRegister` (and passed to its
/// `onProgress` after every poll).
#[napi(object)]
pub struct BulkProgress {
    /// Batch id.
    pub batch_id: String,
    /// Every record across all pages.
    pub records: Vec<JobStatus>,
    /// Number of records.
    pub total: u32,
    /// Records the service has finished with.
    pub processed: u32,
    /// Records registered successfully.
    pub succeeded: u32,
    /// Records processed but failed.
    pub failed: u32,
    /// Whether there is at least one record and every record is processed.
    pub done: bool,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<&necid::BulkProgress> for BulkProgress {
    fn from(p: &necid::BulkProgress) -> Self {
        BulkProgress {
            batch_id: p.batch_id.clone(),
            records: p.records.iter().cloned().map(Into::into).collect(),
            total: count(p.total()),
            processed: count(p.processed()),
            succeeded: count(p.succeeded()),
            failed: count(p.failed()),
            done: p.is_done(),
        }
    }
}

/// Health check result.
#[napi(object)]
pub struct Health {
    /// `"OK"` when healthy.
    pub status: String,
    /// Whether the status is `OK`.
    pub ok: bool,
}

impl From<necid::Health> for Health {
    fn from(h: necid::Health) -> Self {
        Health {
            ok: h.is_ok(),
            status: h.status,
        }
    }
}

/// An application (an API-key holder) of the tenant API.
#[napi(object)]
pub struct Application {
    /// Application id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// The application's API key (send as `x-api-key`).
    pub api_key: Option<String>,
    /// Minimum face quality accepted.
    pub face_minimum_quality_score: Option<f64>,
    /// Gallery the application accesses, when reported.
    pub gallery_id: Option<String>,
}

impl From<necid::Application> for Application {
    fn from(a: necid::Application) -> Self {
        Application {
            id: a.id,
            name: a.name,
            description: a.description,
            api_key: a.api_key,
            face_minimum_quality_score: a.face_minimum_quality_score,
            gallery_id: a.gallery_id,
        }
    }
}

/// A gallery as listed, created or updated.
#[napi(object)]
pub struct Gallery {
    /// Gallery id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Capacity.
    pub size: Option<f64>,
    /// Registered count.
    pub count: Option<f64>,
    /// Minimum face quality accepted.
    pub face_minimum_quality_score: Option<f64>,
    /// API key of the application created with the gallery (create only).
    pub api_key: Option<String>,
}

impl From<necid::Gallery> for Gallery {
    fn from(g: necid::Gallery) -> Self {
        Gallery {
            id: g.id,
            name: g.name,
            description: g.description,
            size: g.size.map(|n| n as f64),
            count: g.count.map(|n| n as f64),
            face_minimum_quality_score: g.face_minimum_quality_score,
            api_key: g.api_key,
        }
    }
}

/// A gallery with its applications (`getGallery`).
#[napi(object)]
pub struct GalleryDetails {
    /// Gallery id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Capacity.
    pub size: Option<f64>,
    /// Registered count.
    pub count: Option<f64>,
    /// Minimum face quality accepted.
    pub face_minimum_quality_score: Option<f64>,
    /// Applications that access the gallery.
    pub applications: Vec<Application>,
}

impl From<necid::GalleryDetails> for GalleryDetails {
    fn from(d: necid::GalleryDetails) -> Self {
        let g = Gallery::from(d.gallery);
        GalleryDetails {
            id: g.id,
            name: g.name,
            description: g.description,
            size: g.size,
            count: g.count,
            face_minimum_quality_score: g.face_minimum_quality_score,
            applications: d.applications.into_iter().map(Into::into).collect(),
        }
    }
}

/// Arguments of `createGallery`.
#[napi(object)]
pub struct NewGallery {
    /// Name (required).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Minimum face quality (≥ 0.45).
    pub face_minimum_quality_score: Option<f64>,
    /// Capacity (a positive whole number).
    pub size: Option<i64>,
}

/// Arguments of `updateGallery` (only the fields set are sent).
#[napi(object)]
pub struct GalleryUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New capacity (may only grow).
    pub size: Option<i64>,
}

/// Arguments of `createApplication`.
#[napi(object)]
pub struct NewApplication {
    /// Name (required).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Minimum face quality (≥ 0.45).
    pub face_minimum_quality_score: Option<f64>,
    /// Gallery to access (required).
    pub gallery_id: String,
}

/// Arguments of `updateApplication` (only the fields set are sent).
#[napi(object)]
pub struct ApplicationUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New minimum face quality.
    pub face_minimum_quality_score: Option<f64>,
}

/// A JS number as a `u32` count or index: a negative, fractional or huge value is invalid
/// input (napi's own `u32` conversion would silently wrap `-1` to 4294967295).
pub(crate) fn whole(field: &str, v: Option<f64>) -> necid::Result<Option<u32>> {
    match v {
        None => Ok(None),
        Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) =>
        {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(Some(n as u32))
        }
        Some(_) => Err(necid::Error::invalid_input(
            field,
            "must be a whole number from 0 to 4294967295",
        )),
    }
}

/// A JS size (a number) as the core's `u64`: a negative value is invalid input.
pub(crate) fn size(v: Option<i64>) -> necid::Result<Option<u64>> {
    v.map(|n| {
        u64::try_from(n).map_err(|_| necid::Error::invalid_input("size", "must not be negative"))
    })
    .transpose()
}

impl NewGallery {
    pub(crate) fn into_core(self) -> necid::Result<necid::NewGallery> {
        Ok(necid::NewGallery {
            name: self.name,
            description: self.description,
            face_minimum_quality_score: self.face_minimum_quality_score,
            size: size(self.size)?,
        })
    }
}

impl GalleryUpdate {
    pub(crate) fn into_core(self) -> necid::Result<necid::GalleryUpdate> {
        Ok(necid::GalleryUpdate {
            name: self.name,
            description: self.description,
            size: size(self.size)?,
        })
    }
}

impl From<NewApplication> for necid::NewApplication {
    fn from(a: NewApplication) -> Self {
        necid::NewApplication {
            name: a.name,
            description: a.description,
            face_minimum_quality_score: a.face_minimum_quality_score,
            gallery_id: a.gallery_id,
        }
    }
}

impl From<ApplicationUpdate> for necid::ApplicationUpdate {
    fn from(a: ApplicationUpdate) -> Self {
        necid::ApplicationUpdate {
            name: a.name,
            description: a.description,
            face_minimum_quality_score: a.face_minimum_quality_score,
        }
    }
}
