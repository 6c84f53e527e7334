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

/// A core value as C sees it: strings as library-owned C strings (NULL for `None`), plain
/// numbers as they are, a model as its struct (the impls made by `c_results!`).
pub(crate) trait ToC {
    type C;
    fn to_c(&self) -> Self::C;
}

macro_rules! to_c_as_is {
    ($($t:ty),*) => { $(impl ToC for $t { type C = $t; fn to_c(&self) -> $t { *self } })* };
}
to_c_as_is!(bool, u16, u32, u64, usize, i64, f64);

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

/// Items as a library-owned array of their C values, and its count.
fn out_items<T: ToC>(items: &[T]) -> (*const T::C, usize) {
    out_array(items.iter().map(ToC::to_c).collect())
}

/// The value of an optional field whose `has_*` flag is false: zeroed.
pub(crate) fn opt<T: ToC>(v: &Option<T>) -> T::C
where
    T::C: Default,
{
    v.as_ref().map_or_else(Default::default, ToC::to_c)
}

/// Declares result structs, each with its conversion from the core's model and what frees
/// it, from one list of fields:
///
/// - `plain S from M { … }`: plain data (`Copy`, no pointers, nothing to free);
/// - `S from M { … }`: owns library strings and arrays, freed by its `Drop` when the
///   result that holds it is freed;
/// - `S from M, free necid_x_free { … }`: a result of its own, with that free function
///   (its doc: the doc comments written before `necid_x_free`, else "Frees a S.").
///
/// `M` may be `Vec<T>` (then the struct is the list). Fields, each ending in a comma:
/// `f: T` (the model's `f`, converted with [`ToC`]; `*const c_char` ones are library
/// strings), `has_f f?: T` (an optional value and its flag), `f[count]: T` (an array from
/// the model's `f`; `= g` from its `g`, `= all` from the whole `Vec`), `f: T = g` (from
/// the model's `g`), `f: T = method()` (computed by the core).
macro_rules! c_results {
    () => {};
    (
        $(#[doc = $doc:literal])*
        plain $c:ident from $m:ident { $($fields:tt)* }
        $($rest:tt)*
    ) => {
        c_results!(@field [src
            [$(#[doc = $doc])* #[derive(Debug, Clone, Copy, Default)]] $c [$m] []
        ] [] [] [] [] $($fields)*);
        c_results!($($rest)*);
    };
    (
        $(#[doc = $doc:literal])*
        $c:ident from $m:ty $(, free $(#[doc = $fdoc:literal])* $free:ident)? { $($fields:tt)* }
        $($rest:tt)*
    ) => {
        c_results!(@field [src
            [$(#[doc = $doc])* #[derive(Debug)]] $c [$m] [drop $([$(#[doc = $fdoc])*] $free)?]
        ] [] [] [] [] $($fields)*);
        c_results!($($rest)*);
    };

    // One field at a time into [struct fields] [conversion lets] [conversion fields] [frees].
    (@field [$s:ident $($h:tt)*] [$($sf:tt)*] [$($l:tt)*] [$($cf:tt)*] [$($fr:tt)*]
        $(#[doc = $d:literal])* $has:ident $f:ident ?: $t:ty, $($r:tt)*) => {
        c_results!(@field [$s $($h)*] [$($sf)* pub $has: bool, $(#[doc = $d])* pub $f: $t,] [$($l)*]
            [$($cf)* $has: $s.$f.is_some(), $f: opt(&$s.$f),] [$($fr)*] $($r)*);
    };
    (@field [$s:ident $($h:tt)*] [$($sf:tt)*] [$($l:tt)*] [$($cf:tt)*] [$($fr:tt)*]
        $(#[doc = $d:literal])* $f:ident [$n:ident]: $t:ty $(= $g:ident)?, $($r:tt)*) => {
        c_results!(@field [$s $($h)*] [$($sf)* $(#[doc = $d])* pub $f: *const $t, pub $n: usize,]
            [$($l)* let ($f, $n) = c_results!(@array $s $f $($g)?);] [$($cf)* $f, $n,]
            [$($fr)* ($f $n)] $($r)*);
    };
    (@field [$s:ident $($h:tt)*] [$($sf:tt)*] [$($l:tt)*] [$($cf:tt)*] [$($fr:tt)*]
        $(#[doc = $d:literal])* $f:ident: *const c_char, $($r:tt)*) => {
        c_results!(@field [$s $($h)*] [$($sf)* $(#[doc = $d])* pub $f: *const c_char,] [$($l)*]
            [$($cf)* $f: $s.$f.to_c(),] [$($fr)* ($f)] $($r)*);
    };
    (@field [$s:ident $($h:tt)*] [$($sf:tt)*] [$($l:tt)*] [$($cf:tt)*] $fr:tt
        $(#[doc = $d:literal])* $f:ident: $t:ty = $g:ident $(($($call:tt)*))?, $($r:tt)*) => {
        c_results!(@field [$s $($h)*] [$($sf)* $(#[doc = $d])* pub $f: $t,] [$($l)*]
            [$($cf)* $f: $s.$g$(($($call)*))?.to_c(),] $fr $($r)*);
    };
    (@field [$s:ident $($h:tt)*] [$($sf:tt)*] [$($l:tt)*] [$($cf:tt)*] $fr:tt
        $(#[doc = $d:literal])* $f:ident: $t:ty, $($r:tt)*) => {
        c_results!(@field [$s $($h)*] [$($sf)* $(#[doc = $d])* pub $f: $t,] [$($l)*]
            [$($cf)* $f: $s.$f.to_c(),] $fr $($r)*);
    };
    (@array $s:ident $f:ident) => { out_items(&$s.$f) };
    (@array $s:ident $f:ident all) => { out_items($s) };
    (@array $s:ident $f:ident $g:ident) => { out_items(&$s.$g) };

    // Every field read: the struct, its conversions and what frees it.
    (@field [$s:ident [$($attr:tt)*] $c:ident [$m:ty] [$($drop:tt)*]]
        [$($sf:tt)*] [$($l:tt)*] [$($cf:tt)*] [$($fr:tt)*]) => {
        #[repr(C)]
        $($attr)*
        pub struct $c { $($sf)* }

        impl From<&$m> for $c {
            fn from($s: &$m) -> Self {
                $($l)*
                Self { $($cf)* }
            }
        }
        impl From<$m> for $c {
            fn from($s: $m) -> Self {
                (&$s).into()
            }
        }
        impl ToC for $m {
            type C = $c;
            fn to_c(&self) -> $c {
                self.into()
            }
        }
        c_results!(@drop $c [$($fr)*] $($drop)*);
    };
    (@drop $c:ident $fr:tt) => {};
    (@drop $c:ident [$($fr:tt)*] drop $($free:tt)*) => {
        impl Drop for $c {
            fn drop(&mut self) {
                // SAFETY: the pointers were made by out_str/out_opt_str/out_array when the
                // struct was converted, and are freed once, here.
                $(c_results!(@release self $fr);)*
            }
        }
        c_results!(@free $c $($free)*);
    };
    (@release $me:tt ($f:ident)) => { unsafe { free_str($me.$f) } };
    (@release $me:tt ($f:ident $n:ident)) => { unsafe { free_array($me.$f, $me.$n) } };
    (@free $c:ident) => {};
    (@free $c:ident [] $free:ident) => {
        c_results!(@free $c [#[doc = concat!(" Frees a ", stringify!($c), ".")]] $free);
    };
    (@free $c:ident [$($doc:tt)+] $free:ident) => {
        $($doc)+
        ///
        /// NULL is a no-op. Every pointer inside the result becomes invalid.
        ///
        /// # Safety
        /// `p` is NULL or a result the library returned that was not freed before.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $free(p: *mut $c) {
            // SAFETY: per the contract.
            guard_value((), || unsafe { free_box(p) })
        }
    };
}
pub(crate) use c_results;

c_results! {
    /// A pixel rectangle.
    plain necid_rect_t from Rect {
        left: i64,
        top: i64,
        right: i64,
        bottom: i64,
    }

    /// A pixel position.
    plain necid_point_t from Point {
        x: i64,
        y: i64,
    }

    /// Attributes of one detected face. A field is meaningful only when its `has_*` flag is
    /// true (the service omitted it otherwise). Plain data: no pointers, nothing to free.
    plain necid_face_attributes_t from FaceAttributes {
        /// Bounds of the face.
        has_face_area face_area?: necid_rect_t,
        /// Bounds of the head.
        has_head_area head_area?: necid_rect_t,
        has_right_eye_center right_eye_center?: necid_point_t,
        has_left_eye_center left_eye_center?: necid_point_t,
        /// Likeness to a face, 0–1.
        has_face_score face_score?: f64,
        /// Degree of frontal view, 0–1.
        has_frontal_face_score frontal_face_score?: f64,
        /// Overall quality estimate, 0–1.
        has_face_quality_score face_quality_score?: f64,
        /// Roll angle, degrees.
        has_face_roll face_roll?: f64,
        /// Pan angle, degrees.
        has_face_pan face_pan?: f64,
        /// Tilt angle, degrees.
        has_face_tilt face_tilt?: f64,
    }

    // -----------------------------------------------------------------------------------
    // Subjects and events

    /// Result of register/update subject and register/update event.
    necid_registered_face_t from RegisteredFace, free necid_registered_face_free {
        /// Subject id.
        subject_id: *const c_char,
        /// Event id of the registered image (NULL if the service did not say).
        event_id: *const c_char,
        /// Attributes of the registered face.
        has_attributes attributes?: necid_face_attributes_t,
    }

    /// One row of list subjects (one per event; deleted rows included).
    necid_subject_entry_t from SubjectEntry {
        subject_id: *const c_char,
        event_id: *const c_char,
        /// "A" (active) or "D" (deleted), as the service sent it.
        status: *const c_char,
        /// Whether `status` means active.
        active: bool = is_active(),
        /// ISO 8601 time of the last update, or NULL.
        last_updated: *const c_char,
    }

    /// One page of list subjects.
    necid_subject_page_t from SubjectPage, free necid_subject_page_free {
        subjects[subject_count]: necid_subject_entry_t,
        /// Total rows (events) in the gallery; 0 if the service did not say.
        total: u64,
    }

    /// An event id with, where the service gave one, a match score (0–9999).
    necid_event_t from Event {
        event_id: *const c_char,
        has_score score?: u32,
    }

    /// Events of one subject.
    necid_event_list_t from EventList, free necid_event_list_free {
        subject_id: *const c_char,
        events[event_count]: necid_event_t,
    }

    // -----------------------------------------------------------------------------------
    // Face operations

    /// Faces found by extract.
    necid_face_list_t from Vec<FaceAttributes>, free necid_face_list_free {
        faces[face_count]: necid_face_attributes_t = all,
    }

    /// One search candidate.
    necid_candidate_t from Candidate {
        subject_id: *const c_char,
        /// Highest score among the subject's events (0–9999).
        score: u32,
        /// Matching events with their scores.
        events[event_count]: necid_event_t,
    }

    /// Result of a search. No match is an empty candidate list (not an error).
    necid_search_result_t from SearchResult, free necid_search_result_free {
        /// Candidates, best first.
        candidates[candidate_count]: necid_candidate_t,
        /// Attributes of the probe face.
        has_attributes attributes?: necid_face_attributes_t,
    }

    /// Result of verifying a probe against a subject. No match is `verified == false`.
    necid_verification_t from Verification, free necid_verification_free {
        subject_id: *const c_char,
        verified: bool,
        /// Score of the subject's best event (0–9999).
        has_score score?: u32,
        /// Per-event scores (when the service sends them).
        events[event_count]: necid_event_t,
    }

    /// Result of verifying two faces. No match is `verified == false`. Plain data, but it
    /// still has its free function like every result.
    necid_face_verification_t from FaceVerification, free necid_face_verification_free {
        verified: bool,
        /// Match score (0–9999).
        has_score score?: u32,
    }

    // -----------------------------------------------------------------------------------
    // Tags

    /// A tag.
    necid_tag_t from Tag {
        name: *const c_char,
        /// Numeric id, when the service sent one.
        has_id id?: i64,
    }

    /// The gallery's tags.
    necid_tag_list_t from Vec<Tag>, free necid_tag_list_free {
        tags[tag_count]: necid_tag_t = all,
    }

    // -----------------------------------------------------------------------------------
    // Bulk registration

    /// Status of one record of a bulk job.
    necid_job_status_t from JobStatus {
        /// Operation id (not a subject or event id).
        id: *const c_char,
        /// File name from the request.
        filename: *const c_char,
        has_attempts attempts?: u32,
        /// Event id on success, else NULL.
        event_id: *const c_char,
        /// Subject id on success, else NULL.
        subject_id: *const c_char,
        /// "Success" or "Failed" once processed, else NULL.
        register_status: *const c_char,
        /// Failure reason, or NULL.
        reason: *const c_char,
        /// "New" or "Processed".
        status: *const c_char,
        /// Whether the service has finished with this record.
        processed: bool = is_processed(),
        /// Whether the record was registered successfully.
        succeeded: bool = succeeded(),
        has_attributes attributes?: necid_face_attributes_t,
        /// The raw `attributesJson` text when it did not decode as face attributes, else NULL.
        attributes_json: *const c_char,
    }

    /// One page of bulk-register progress.
    necid_bulk_progress_page_t from BulkProgressPage, free necid_bulk_progress_page_free {
        batch_id: *const c_char,
        records[record_count]: necid_job_status_t = processed,
        /// Paging id of the next page (pass to necid_bulk_register_progress), or NULL on the
        /// last page.
        last_evaluated_key: *const c_char,
    }

    /// Every record of a batch (what necid_wait_for_bulk_register gathers), with counts.
    necid_bulk_progress_t from BulkProgress,
    free
        /// Frees a necid_bulk_progress_t returned by necid_wait_for_bulk_register (never the
        /// one passed to a progress callback: that one is the library's).
        necid_bulk_progress_free
    {
        batch_id: *const c_char,
        records[record_count]: necid_job_status_t,
        /// Records with status "Processed".
        processed: usize = processed(),
        /// Records registered successfully.
        succeeded: usize = succeeded(),
        /// Records processed but failed.
        failed: usize = failed(),
        /// Whether there is at least one record and all are processed.
        done: bool = is_done(),
    }

    // -----------------------------------------------------------------------------------
    // Health and signing

    /// Health check result.
    necid_health_t from Health, free necid_health_free {
        /// The status string the service sent ("OK" when healthy).
        status: *const c_char,
        /// Whether `status` is "OK".
        ok: bool = is_ok(),
    }
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

/// Frees a necid_header_list_t.
///
/// NULL is a no-op. Every pointer inside the result becomes invalid.
///
/// # Safety
/// `p` is NULL or a result the library returned that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_header_list_free(p: *mut necid_header_list_t) {
    // SAFETY: per the contract.
    guard_value((), || unsafe { free_box(p) })
}

c_results! {
    // -----------------------------------------------------------------------------------
    // Tenant API

    /// A gallery (as listed, created or updated).
    necid_gallery_t from Gallery, free necid_gallery_free {
        id: *const c_char,
        name: *const c_char,
        /// NULL if none.
        description: *const c_char,
        /// Capacity in events.
        has_size size?: u64,
        /// Registered count.
        has_count count?: u64,
        has_face_minimum_quality_score face_minimum_quality_score?: f64,
        /// API key of the application created with the gallery (create only; else NULL).
        /// A secret: do not log it.
        api_key: *const c_char,
    }

    /// Galleries of the tenant.
    necid_gallery_list_t from Vec<Gallery>, free necid_gallery_list_free {
        galleries[gallery_count]: necid_gallery_t = all,
    }

    /// An application (API key holder).
    necid_application_t from Application, free necid_application_free {
        id: *const c_char,
        name: *const c_char,
        /// NULL if none.
        description: *const c_char,
        /// The application's API key (send as x-api-key), or NULL. A secret: do not log it.
        api_key: *const c_char,
        has_face_minimum_quality_score face_minimum_quality_score?: f64,
        /// Gallery the application accesses, or NULL if not reported.
        gallery_id: *const c_char,
    }

    /// Applications of the tenant.
    necid_application_list_t from Vec<Application>, free necid_application_list_free {
        applications[application_count]: necid_application_t = all,
    }

    /// A gallery with the applications that access it.
    necid_gallery_details_t from GalleryDetails, free necid_gallery_details_free {
        gallery: necid_gallery_t,
        applications[application_count]: necid_application_t,
    }
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
