//! Result structs as C sees them. Every pointer inside a result belongs to the library and
//! is released by that result's `necid_*_free` function; treat results as read-only.
//! Optional values come with a `has_*` flag (numbers) or are NULL (strings). Arrays are a
//! pointer and a count; the pointer is NULL when the count is 0.

#![allow(non_camel_case_types)]

use std::ffi::c_char;

use necid::{
    Application, BulkProgress, BulkProgressPage, Candidate, Event, EventList, FaceAttributes,
    FaceVerification, Gallery, GalleryDetails, Health, JobStatus, Point, Rect, RegisteredFace,
    SearchResult, SubjectEntry, SubjectPage, Tag, Verification,
};

use crate::error::guard_value;
use crate::util::{free_array, free_box, free_str, out_array, out_opt_str, out_str};

/// A pixel rectangle.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct necid_rect_t {
    pub left: i64,
    pub top: i64,
    pub right: i64,
    pub bottom: i64,
}

/// A pixel position.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct necid_point_t {
    pub x: i64,
    pub y: i64,
}

/// Attributes of one detected face. A field is meaningful only when its `has_*` flag is
/// true (the service omitted it otherwise). Plain data: no pointers, nothing to free.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct necid_face_attributes_t {
    pub has_face_area: bool,
    /// Bounds of the face.
    pub face_area: necid_rect_t,
    pub has_head_area: bool,
    /// Bounds of the head.
    pub head_area: necid_rect_t,
    pub has_right_eye_center: bool,
    pub right_eye_center: necid_point_t,
    pub has_left_eye_center: bool,
    pub left_eye_center: necid_point_t,
    pub has_face_score: bool,
    /// Likeness to a face, 0–1.
    pub face_score: f64,
    pub has_frontal_face_score: bool,
    /// Degree of frontal view, 0–1.
    pub frontal_face_score: f64,
    pub has_face_quality_score: bool,
    /// Overall quality estimate, 0–1.
    pub face_quality_score: f64,
    pub has_face_roll: bool,
    /// Roll angle, degrees.
    pub face_roll: f64,
    pub has_face_pan: bool,
    /// Pan angle, degrees.
    pub face_pan: f64,
    pub has_face_tilt: bool,
    /// Tilt angle, degrees.
    pub face_tilt: f64,
}

// ---------------------------------------------------------------------------------------
// Subjects and events

/// Result of register/update subject and register/update event.
#[repr(C)]
#[derive(Debug)]
pub struct necid_registered_face_t {
    /// Subject id.
    pub subject_id: *const c_char,
    /// Event id of the registered image (NULL if the service did not say).
    pub event_id: *const c_char,
    pub has_attributes: bool,
    /// Attributes of the registered face.
    pub attributes: necid_face_attributes_t,
}

/// One row of list subjects (one per event; deleted rows included).
#[repr(C)]
#[derive(Debug)]
pub struct necid_subject_entry_t {
    pub subject_id: *const c_char,
    pub event_id: *const c_char,
    /// "A" (active) or "D" (deleted), as the service sent it.
    pub status: *const c_char,
    /// Whether `status` means active.
    pub active: bool,
    /// ISO 8601 time of the last update, or NULL.
    pub last_updated: *const c_char,
}

/// One page of list subjects.
#[repr(C)]
#[derive(Debug)]
pub struct necid_subject_page_t {
    pub subjects: *const necid_subject_entry_t,
    pub subject_count: usize,
    /// Total rows (events) in the gallery; 0 if the service did not say.
    pub total: u64,
}

/// An event id with, where the service gave one, a match score (0–9999).
#[repr(C)]
#[derive(Debug)]
pub struct necid_event_t {
    pub event_id: *const c_char,
    pub has_score: bool,
    pub score: u32,
}

/// Events of one subject.
#[repr(C)]
#[derive(Debug)]
pub struct necid_event_list_t {
    pub subject_id: *const c_char,
    pub events: *const necid_event_t,
    pub event_count: usize,
}

// ---------------------------------------------------------------------------------------
// Face operations

/// Faces found by extract.
#[repr(C)]
#[derive(Debug)]
pub struct necid_face_list_t {
    pub faces: *const necid_face_attributes_t,
    pub face_count: usize,
}

/// One search candidate.
#[repr(C)]
#[derive(Debug)]
pub struct necid_candidate_t {
    pub subject_id: *const c_char,
    /// Highest score among the subject's events (0–9999).
    pub score: u32,
    /// Matching events with their scores.
    pub events: *const necid_event_t,
    pub event_count: usize,
}

/// Result of a search. No match is an empty candidate list (not an error).
#[repr(C)]
#[derive(Debug)]
pub struct necid_search_result_t {
    /// Candidates, best first.
    pub candidates: *const necid_candidate_t,
    pub candidate_count: usize,
    pub has_attributes: bool,
    /// Attributes of the probe face.
    pub attributes: necid_face_attributes_t,
}

/// Result of verifying a probe against a subject. No match is `verified == false`.
#[repr(C)]
#[derive(Debug)]
pub struct necid_verification_t {
    pub subject_id: *const c_char,
    pub verified: bool,
    pub has_score: bool,
    /// Score of the subject's best event (0–9999).
    pub score: u32,
    /// Per-event scores (when the service sends them).
    pub events: *const necid_event_t,
    pub event_count: usize,
}

/// Result of verifying two faces. No match is `verified == false`. Plain data, but it
/// still has its free function like every result.
#[repr(C)]
#[derive(Debug)]
pub struct necid_face_verification_t {
    pub verified: bool,
    pub has_score: bool,
    /// Match score (0–9999).
    pub score: u32,
}

// ---------------------------------------------------------------------------------------
// Tags

/// A tag.
#[repr(C)]
#[derive(Debug)]
pub struct necid_tag_t {
    pub name: *const c_char,
    /// Numeric id, when the service sent one.
    pub has_id: bool,
    pub id: i64,
}

/// The gallery's tags.
#[repr(C)]
#[derive(Debug)]
pub struct necid_tag_list_t {
    pub tags: *const necid_tag_t,
    pub tag_count: usize,
}

// ---------------------------------------------------------------------------------------
// Bulk registration

/// Status of one record of a bulk job.
#[repr(C)]
#[derive(Debug)]
pub struct necid_job_status_t {
    /// Operation id (not a subject or event id).
    pub id: *const c_char,
    /// File name from the request.
    pub filename: *const c_char,
    pub has_attempts: bool,
    pub attempts: u32,
    /// Event id on success, else NULL.
    pub event_id: *const c_char,
    /// Subject id on success, else NULL.
    pub subject_id: *const c_char,
    /// "Success" or "Failed" once processed, else NULL.
    pub register_status: *const c_char,
    /// Failure reason, or NULL.
    pub reason: *const c_char,
    /// "New" or "Processed".
    pub status: *const c_char,
    /// Whether the service has finished with this record.
    pub processed: bool,
    /// Whether the record was registered successfully.
    pub succeeded: bool,
    pub has_attributes: bool,
    pub attributes: necid_face_attributes_t,
    /// The raw `attributesJson` text when it did not decode as face attributes, else NULL.
    pub attributes_json: *const c_char,
}

/// One page of bulk-register progress.
#[repr(C)]
#[derive(Debug)]
pub struct necid_bulk_progress_page_t {
    pub batch_id: *const c_char,
    pub records: *const necid_job_status_t,
    pub record_count: usize,
    /// Paging id of the next page (pass to necid_bulk_register_progress), or NULL on the
    /// last page.
    pub last_evaluated_key: *const c_char,
}

/// Every record of a batch (what necid_wait_for_bulk_register gathers), with counts.
#[repr(C)]
#[derive(Debug)]
pub struct necid_bulk_progress_t {
    pub batch_id: *const c_char,
    pub records: *const necid_job_status_t,
    pub record_count: usize,
    /// Records with status "Processed".
    pub processed: usize,
    /// Records registered successfully.
    pub succeeded: usize,
    /// Records processed but failed.
    pub failed: usize,
    /// Whether there is at least one record and all are processed.
    pub done: bool,
}

// ---------------------------------------------------------------------------------------
// Health and signing

/// Health check result.
#[repr(C)]
#[derive(Debug)]
pub struct necid_health_t {
    /// The status string the service sent ("OK" when healthy).
    pub status: *const c_char,
    /// Whether `status` is "OK".
    pub ok: bool,
}

/// An HTTP header (name and value). Used both as input (the caller's strings) and inside
/// necid_header_list_t (the library's strings).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_header_t {
    pub name: *const c_char,
    pub value: *const c_char,
}

/// Headers returned by necid_sign_request: add them all to the request.
#[repr(C)]
#[derive(Debug)]
pub struct necid_header_list_t {
    pub headers: *const necid_header_t,
    pub header_count: usize,
}

impl From<Vec<(String, String)>> for necid_header_list_t {
    fn from(v: Vec<(String, String)>) -> Self {
        let (headers, header_count) = out_array(
            v.iter()
                .map(|(n, val)| necid_header_t {
                    name: out_str(n),
                    value: out_str(val),
                })
                .collect(),
        );
        necid_header_list_t {
            headers,
            header_count,
        }
    }
}

impl Drop for necid_header_list_t {
    fn drop(&mut self) {
        if !self.headers.is_null() {
            // SAFETY: made by out_array; the element strings by out_str; freed once.
            unsafe {
                for h in std::slice::from_raw_parts(self.headers, self.header_count) {
                    free_str(h.name);
                    free_str(h.value);
                }
                free_array(self.headers, self.header_count);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tenant API

/// A gallery (as listed, created or updated).
#[repr(C)]
#[derive(Debug)]
pub struct necid_gallery_t {
    pub id: *const c_char,
    pub name: *const c_char,
    /// NULL if none.
    pub description: *const c_char,
    pub has_size: bool,
    /// Capacity in events.
    pub size: u64,
    pub has_count: bool,
    /// Registered count.
    pub count: u64,
    pub has_face_minimum_quality_score: bool,
    pub face_minimum_quality_score: f64,
    /// API key of the application created with the gallery (create only; else NULL).
    /// A secret: do not log it.
    pub api_key: *const c_char,
}

/// Galleries of the tenant.
#[repr(C)]
#[derive(Debug)]
pub struct necid_gallery_list_t {
    pub galleries: *const necid_gallery_t,
    pub gallery_count: usize,
}

/// An application (API key holder).
#[repr(C)]
#[derive(Debug)]
pub struct necid_application_t {
    pub id: *const c_char,
    pub name: *const c_char,
    /// NULL if none.
    pub description: *const c_char,
    /// The application's API key (send as x-api-key), or NULL. A secret: do not log it.
    pub api_key: *const c_char,
    pub has_face_minimum_quality_score: bool,
    pub face_minimum_quality_score: f64,
    /// Gallery the application accesses, or NULL if not reported.
    pub gallery_id: *const c_char,
}

/// Applications of the tenant.
#[repr(C)]
#[derive(Debug)]
pub struct necid_application_list_t {
    pub applications: *const necid_application_t,
    pub application_count: usize,
}

/// A gallery with the applications that access it.
#[repr(C)]
#[derive(Debug)]
pub struct necid_gallery_details_t {
    pub gallery: necid_gallery_t,
    pub applications: *const necid_application_t,
    pub application_count: usize,
}

// ---------------------------------------------------------------------------------------
// Conversions (core → C)

/// A core value as C sees it: strings as library-owned C strings (NULL for `None`), plain
/// numbers as they are, a `Vec` as a library-owned array and its count, a model as its
/// struct (the impls made by `c_result!`).
pub(crate) trait ToC {
    type C;
    fn to_c(&self) -> Self::C;
}

macro_rules! to_c_as_is {
    ($($t:ty),*) => { $(impl ToC for $t { type C = $t; fn to_c(&self) -> $t { *self } })* };
}
to_c_as_is!(bool, u32, u64, usize, i64, f64);

impl ToC for String {
    type C = *const c_char;
    fn to_c(&self) -> *const c_char {
        out_str(self)
    }
}
impl ToC for Option<String> {
    type C = *const c_char;
    fn to_c(&self) -> *const c_char {
        out_opt_str(self.as_deref())
    }
}
impl<T: ToC> ToC for Vec<T> {
    type C = (*const T::C, usize);
    fn to_c(&self) -> Self::C {
        out_array(self.iter().map(ToC::to_c).collect())
    }
}

/// The value of an optional field whose `has_*` flag is false: zeroed.
fn opt<T: ToC>(v: &Option<T>) -> T::C
where
    T::C: Default,
{
    v.as_ref().map_or_else(Default::default, ToC::to_c)
}

/// `From<&Model>` and `From<Model>` for a result struct (and `ToC` for the model), from the
/// struct's fields in order: `f` (converted with [`ToC`]), `has_f f?` (an optional value and
/// its flag), `f[count]` (an array from the model's `f`; `= g` from its `g`, `= all` from
/// a whole `Vec`), `f = method()` (computed by the core).
macro_rules! c_result {
    () => {};
    ($c:ident from Vec<$m:ident> { $($spec:tt)* } $($rest:tt)*) => {
        impl From<Vec<$m>> for $c {
            fn from(src: Vec<$m>) -> Self {
                c_result!(@f src [] [] $($spec)*)
            }
        }
        c_result!($($rest)*);
    };
    ($c:ident from $m:ident { $($spec:tt)* } $($rest:tt)*) => {
        impl From<&$m> for $c {
            fn from(src: &$m) -> Self {
                c_result!(@f src [] [] $($spec)*)
            }
        }
        impl From<$m> for $c {
            fn from(src: $m) -> Self {
                (&src).into()
            }
        }
        impl ToC for $m {
            type C = $c;
            fn to_c(&self) -> $c {
                self.into()
            }
        }
        c_result!($($rest)*);
    };
    (@f $s:ident [$($l:tt)*] [$($f:tt)*]) => {{
        $($l)*
        Self { $($f)* }
    }};
    (@f $s:ident [$($l:tt)*] [$($f:tt)*] $has:ident $x:ident ? $(, $($r:tt)*)?) => {
        c_result!(@f $s [$($l)*] [$($f)* $has: $s.$x.is_some(), $x: opt(&$s.$x),] $($($r)*)?)
    };
    (@f $s:ident [$($l:tt)*] [$($f:tt)*] $x:ident [$n:ident] = all $(, $($r:tt)*)?) => {
        c_result!(@f $s [$($l)* let ($x, $n) = $s.to_c();] [$($f)* $x, $n,] $($($r)*)?)
    };
    (@f $s:ident [$($l:tt)*] [$($f:tt)*] $x:ident [$n:ident] = $g:ident $(, $($r:tt)*)?) => {
        c_result!(@f $s [$($l)* let ($x, $n) = $s.$g.to_c();] [$($f)* $x, $n,] $($($r)*)?)
    };
    (@f $s:ident [$($l:tt)*] [$($f:tt)*] $x:ident [$n:ident] $(, $($r:tt)*)?) => {
        c_result!(@f $s [$($l)* let ($x, $n) = $s.$x.to_c();] [$($f)* $x, $n,] $($($r)*)?)
    };
    (@f $s:ident [$($l:tt)*] [$($f:tt)*] $x:ident = $method:ident() $(, $($r:tt)*)?) => {
        c_result!(@f $s [$($l)*] [$($f)* $x: $s.$method(),] $($($r)*)?)
    };
    (@f $s:ident [$($l:tt)*] [$($f:tt)*] $x:ident $(, $($r:tt)*)?) => {
        c_result!(@f $s [$($l)*] [$($f)* $x: $s.$x.to_c(),] $($($r)*)?)
    };
}

c_result! {
    necid_rect_t from Rect { left, top, right, bottom }
    necid_point_t from Point { x, y }
    necid_face_attributes_t from FaceAttributes {
        has_face_area face_area?, has_head_area head_area?,
        has_right_eye_center right_eye_center?, has_left_eye_center left_eye_center?,
        has_face_score face_score?, has_frontal_face_score frontal_face_score?,
        has_face_quality_score face_quality_score?, has_face_roll face_roll?,
        has_face_pan face_pan?, has_face_tilt face_tilt?,
    }
    necid_registered_face_t from RegisteredFace { subject_id, event_id, has_attributes attributes? }
    necid_subject_entry_t from SubjectEntry {
        subject_id, event_id, status, active = is_active(), last_updated,
    }
    necid_subject_page_t from SubjectPage { subjects[subject_count], total }
    necid_event_t from Event { event_id, has_score score? }
    necid_event_list_t from EventList { subject_id, events[event_count] }
    necid_face_list_t from Vec<FaceAttributes> { faces[face_count] = all }
    necid_candidate_t from Candidate { subject_id, score, events[event_count] }
    necid_search_result_t from SearchResult {
        candidates[candidate_count], has_attributes attributes?,
    }
    necid_verification_t from Verification {
        subject_id, verified, has_score score?, events[event_count],
    }
    necid_face_verification_t from FaceVerification { verified, has_score score? }
    necid_tag_t from Tag { name, has_id id? }
    necid_tag_list_t from Vec<Tag> { tags[tag_count] = all }
    necid_job_status_t from JobStatus {
        id, filename, has_attempts attempts?, event_id, subject_id, register_status, reason,
        status, processed = is_processed(), succeeded = succeeded(), has_attributes attributes?,
        attributes_json,
    }
    necid_bulk_progress_page_t from BulkProgressPage {
        batch_id, records[record_count] = processed, last_evaluated_key,
    }
    necid_bulk_progress_t from BulkProgress {
        batch_id, records[record_count], processed = processed(), succeeded = succeeded(),
        failed = failed(), done = is_done(),
    }
    necid_health_t from Health { status, ok = is_ok() }
    necid_gallery_t from Gallery {
        id, name, description, has_size size?, has_count count?,
        has_face_minimum_quality_score face_minimum_quality_score?, api_key,
    }
    necid_gallery_list_t from Vec<Gallery> { galleries[gallery_count] = all }
    necid_application_t from Application {
        id, name, description, api_key,
        has_face_minimum_quality_score face_minimum_quality_score?, gallery_id,
    }
    necid_application_list_t from Vec<Application> { applications[application_count] = all }
    necid_gallery_details_t from GalleryDetails { gallery, applications[application_count] }
}

/// The `Drop` of results that own library strings (`field`, made by out_str/out_opt_str)
/// and arrays (`field[count]`, made by out_array): each is freed once, when the result's
/// `necid_*_free` drops its box (an array's elements drop with it).
macro_rules! frees {
    ($($t:ty: $($field:ident $([$count:ident])?),+;)*) => {$(
        impl Drop for $t {
            fn drop(&mut self) {
                // SAFETY: the pointers were made by out_str/out_opt_str/out_array (see above)
                // and are freed once, here.
                unsafe { $(frees!(@free self $field $($count)?);)+ }
            }
        }
    )*};
    (@free $s:ident $field:ident) => { free_str($s.$field) };
    (@free $s:ident $field:ident $count:ident) => { free_array($s.$field, $s.$count) };
}

frees! {
    necid_registered_face_t: subject_id, event_id;
    necid_subject_entry_t: subject_id, event_id, status, last_updated;
    necid_subject_page_t: subjects[subject_count];
    necid_event_t: event_id;
    necid_event_list_t: subject_id, events[event_count];
    necid_face_list_t: faces[face_count];
    necid_candidate_t: subject_id, events[event_count];
    necid_search_result_t: candidates[candidate_count];
    necid_verification_t: subject_id, events[event_count];
    necid_tag_t: name;
    necid_tag_list_t: tags[tag_count];
    necid_job_status_t: id, filename, event_id, subject_id, register_status, reason, status,
        attributes_json;
    necid_bulk_progress_page_t: batch_id, records[record_count], last_evaluated_key;
    necid_bulk_progress_t: batch_id, records[record_count];
    necid_health_t: status;
    necid_gallery_t: id, name, description, api_key;
    necid_gallery_list_t: galleries[gallery_count];
    necid_application_t: id, name, description, api_key, gallery_id;
    necid_application_list_t: applications[application_count];
    necid_gallery_details_t: applications[application_count];
}

// ---------------------------------------------------------------------------------------
// Free functions

/// `necid_<x>_free(p)` for each result struct: drops the box (and, by the struct's `Drop`,
/// everything inside). The doc's first paragraph is the given one, or "Frees a <struct>.".
macro_rules! free_fns {
    ($($(#[doc = $doc:literal])* $name:ident($t:ident);)*) => {$(
        free_fns!(@doc [$(#[doc = $doc])*] $name $t);
    )*};
    (@doc [] $name:ident $t:ident) => {
        free_fns!(@fn [#[doc = concat!(" Frees a ", stringify!($t), ".")]] $name $t);
    };
    (@doc [$($doc:tt)+] $name:ident $t:ident) => { free_fns!(@fn [$($doc)+] $name $t); };
    (@fn [$($doc:tt)*] $name:ident $t:ident) => {
        $($doc)*
        ///
        /// NULL is a no-op. Every pointer inside the result becomes invalid.
        ///
        /// # Safety
        /// `p` is NULL or a result the library returned that was not freed before.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(p: *mut $t) {
            // SAFETY: per the contract.
            guard_value((), || unsafe { free_box(p) })
        }
    };
}

free_fns! {
    necid_registered_face_free(necid_registered_face_t);
    necid_subject_page_free(necid_subject_page_t);
    necid_event_list_free(necid_event_list_t);
    necid_face_list_free(necid_face_list_t);
    necid_search_result_free(necid_search_result_t);
    necid_verification_free(necid_verification_t);
    necid_face_verification_free(necid_face_verification_t);
    necid_tag_list_free(necid_tag_list_t);
    necid_bulk_progress_page_free(necid_bulk_progress_page_t);
    /// Frees a necid_bulk_progress_t returned by necid_wait_for_bulk_register (never the
    /// one passed to a progress callback: that one is the library's).
    necid_bulk_progress_free(necid_bulk_progress_t);
    necid_health_free(necid_health_t);
    necid_header_list_free(necid_header_list_t);
    necid_gallery_free(necid_gallery_t);
    necid_gallery_list_free(necid_gallery_list_t);
    necid_gallery_details_free(necid_gallery_details_t);
    necid_application_free(necid_application_t);
    necid_application_list_free(necid_application_list_t);
}

/// Frees a string the library returned (e.g. the batch id of necid_bulk_register).
/// NULL is a no-op. Never pass strings found inside result structs: their struct's free
/// function releases them.
///
/// # Safety
/// `s` is NULL or a string returned by the library as "free with necid_string_free" that
/// was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_string_free(s: *mut c_char) {
    // SAFETY: per the contract.
    guard_value((), || unsafe { free_str(s) })
}
