//! The client and every operation, as blocking calls on the core's blocking facade.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use necid::blocking::Client;
use necid::{
    ApplicationUpdate, BulkProgressPage, BulkRegistration, Config, ConfigValue, Error,
    GalleryUpdate, NewApplication, NewGallery, Result, SearchRequest, SortDirection, SubjectPage,
    WaitOptions,
};

use crate::error::{guard, guard_value, necid_status_t};
use crate::types::*;
use crate::util::{
    arg_bytes, arg_image, arg_opt_str, arg_ref, arg_slice, arg_str, arg_str_array, free_box,
    out_box, out_slot, out_str,
};

/// An opaque client. Create with necid_client_new, necid_client_from_env or
/// necid_client_from_profile, free with necid_client_free.
///
/// Thread safety: one client may be used from any number of threads at once (it shares
/// one connection pool); only necid_client_free must not race with other calls on it.
pub struct necid_client_t {
    inner: Client,
}

/// Client settings. Zero-initialise it (`necid_config_t cfg = {0};`) and set what you
/// need: NULL strings and 0 numbers take the defaults. The strings are copied; they only
/// need to live during the necid_client_new call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_config_t {
    /// Biometric API endpoint (default "https://api.id.nec.com.au").
    pub endpoint: *const c_char,
    /// Tenant (portal) API endpoint (default "https://portal.id.nec.com.au").
    pub tenant_endpoint: *const c_char,
    /// SigV4 region (default "ap-southeast-2").
    pub region: *const c_char,
    /// SigV4 service (default "execute-api").
    pub service: *const c_char,
    /// Access key id (with secret_access_key, or neither).
    pub access_key_id: *const c_char,
    /// Secret access key.
    pub secret_access_key: *const c_char,
    /// Session token of temporary credentials, or NULL.
    pub session_token: *const c_char,
    /// Application API key (x-api-key), selecting the gallery.
    pub api_key: *const c_char,
    /// Connect timeout in milliseconds (0: 10 s).
    pub connect_timeout_ms: u32,
    /// Per-attempt request timeout in milliseconds (0: 60 s).
    pub request_timeout_ms: u32,
    /// Total attempts including the first (0: 3; 1 disables retries).
    pub max_attempts: u32,
    /// Retry backoff base in milliseconds (0: 200 ms).
    pub retry_base_delay_ms: u32,
    /// Retry backoff ceiling in milliseconds (0: 5 s).
    pub retry_max_delay_ms: u32,
    /// Appended to the User-Agent header, or NULL.
    pub user_agent_suffix: *const c_char,
    /// Longest server Retry-After honoured, in milliseconds (0: 20 s); longer values are
    /// capped to it.
    pub max_retry_after_ms: u32,
    /// Trusted CAs for https://: "platform" (the OS store; NULL = default), "bundled"
    /// (Mozilla roots built in) or "custom" (only the CA bundle).
    pub tls_roots: *const c_char,
    /// Path of a PEM file of CA certificates, or NULL (alone: the only trust; with
    /// tls_roots "platform"/"bundled": trusted in addition).
    pub ca_bundle: *const c_char,
    /// The CA bundle as PEM bytes instead of a file (NULL/0: none); copied.
    pub ca_bundle_pem: *const u8,
    /// Length of ca_bundle_pem in bytes.
    pub ca_bundle_pem_len: usize,
}

fn ms(v: u32) -> Duration {
    Duration::from_millis(u64::from(v))
}

/// # Safety
/// Every string in `c` is NULL or NUL-terminated.
///
/// The fields onto the core's settings table (`necid::CONFIG_KEYS`): each field is a
/// setting's name, durations with `_ms` in milliseconds; NULL and 0 mean "not set".
unsafe fn build_config(c: &necid_config_t) -> Result<Config> {
    let text = |name: &'static str, p: *const c_char| {
        // SAFETY: forwarded contract.
        unsafe { arg_opt_str(p, name) }.map(|v| v.map(|v| ConfigValue::Text(v.to_owned())))
    };
    let millis = |v: u32| (v > 0).then(|| ConfigValue::Duration(ms(v)));
    let settings = [
        ("endpoint", text("endpoint", c.endpoint)?),
        (
            "tenant_endpoint",
            text("tenant_endpoint", c.tenant_endpoint)?,
        ),
        ("region", text("region", c.region)?),
        ("service", text("service", c.service)?),
        ("access_key_id", text("access_key_id", c.access_key_id)?),
        (
            "secret_access_key",
            text("secret_access_key", c.secret_access_key)?,
        ),
        ("session_token", text("session_token", c.session_token)?),
        ("api_key", text("api_key", c.api_key)?),
        ("connect_timeout", millis(c.connect_timeout_ms)),
        ("request_timeout", millis(c.request_timeout_ms)),
        (
            "max_attempts",
            (c.max_attempts > 0).then_some(ConfigValue::Count(c.max_attempts)),
        ),
        ("retry_base_delay", millis(c.retry_base_delay_ms)),
        ("retry_max_delay", millis(c.retry_max_delay_ms)),
        (
            "user_agent_suffix",
            text("user_agent_suffix", c.user_agent_suffix)?,
        ),
        ("max_retry_after", millis(c.max_retry_after_ms)),
        ("tls_roots", text("tls_roots", c.tls_roots)?),
        ("ca_bundle", text("ca_bundle", c.ca_bundle)?),
        (
            "ca_bundle_pem",
            // SAFETY: forwarded contract (NULL with length 0 is "not set").
            unsafe { arg_bytes(c.ca_bundle_pem, c.ca_bundle_pem_len, "ca_bundle_pem", true) }
                .map(|pem| (!pem.is_empty()).then(|| ConfigValue::Bytes(pem.to_vec())))?,
        ),
    ];
    let mut b = Config::builder();
    for (name, value) in settings {
        if let Some(value) = value {
            b = b.set(name, value)?;
        }
    }
    b.build()
}

/// # Safety
/// `client` is NULL or a live client.
unsafe fn client_ref<'a>(client: *const necid_client_t) -> Result<&'a Client> {
    // SAFETY: per the contract.
    unsafe { arg_ref(client, "client") }.map(|c| &c.inner)
}

/// Creates a client from `config`. Does no I/O. On success `*out_client` is the new
/// client (free it with necid_client_free); on failure it is NULL.
///
/// # Safety
/// `config` is NULL or a valid necid_config_t whose strings are NULL or NUL-terminated;
/// `out_client` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_client_new(
    config: *const necid_config_t,
    out_client: *mut *mut necid_client_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_client, "out_client")? };
        let config = unsafe { build_config(arg_ref(config, "config")?)? };
        *out = out_box(necid_client_t {
            inner: Client::new(config)?,
        });
        Ok(())
    })
}

/// Creates a client from the environment: defaults, then the profile file
/// (NECID_CONFIG_FILE or ~/.necid/config, profile NECID_PROFILE or "default"),
/// then the NECID_* variable of every setting (NECID_ENDPOINT, NECID_ACCESS_KEY_ID, ...;
/// the table in core/README.md). Does no I/O beyond reading the profile file.
///
/// # Safety
/// `out_client` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_client_from_env(
    out_client: *mut *mut necid_client_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_client, "out_client")? };
        *out = out_box(necid_client_t {
            inner: Client::from_env()?,
        });
        Ok(())
    })
}

/// Creates a client from one profile of the profile file (NECID_CONFIG_FILE or
/// ~/.necid/config): `profile`, or NECID_PROFILE, or "default" when `profile` is NULL.
/// The file and the profile must exist (else NECID_ERR_INVALID_INPUT); environment
/// variables other than those two are not read. Does no I/O beyond reading the file.
///
/// # Safety
/// `profile` is NULL or NUL-terminated; `out_client` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_client_from_profile(
    profile: *const c_char,
    out_client: *mut *mut necid_client_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_client, "out_client")? };
        let profile = unsafe { arg_opt_str(profile, "profile")? };
        *out = out_box(necid_client_t {
            inner: Client::new(Config::from_profile(profile)?)?,
        });
        Ok(())
    })
}

/// Frees a client (NULL is a no-op). No other call may be using it at the same time;
/// paginators made from it stay usable (they hold their own reference).
///
/// # Safety
/// `client` is NULL or a client that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_client_free(client: *mut necid_client_t) {
    // SAFETY: per the contract.
    guard_value((), || unsafe { free_box(client) })
}

// ---------------------------------------------------------------------------------------
// Subjects

/// Sort order of necid_list_subjects (by last update). Passed as `int32_t`; any other
/// value is NECID_ERR_INVALID_INPUT.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum necid_sort_dir_t {
    /// Oldest first (the service default).
    NECID_SORT_ASC = 0,
    /// Newest first.
    NECID_SORT_DESC = 1,
}

fn sort_dir(v: i32) -> Result<SortDirection> {
    match v {
        0 => Ok(SortDirection::Asc),
        1 => Ok(SortDirection::Desc),
        _ => Err(Error::invalid_input(
            "dir",
            "must be NECID_SORT_ASC or NECID_SORT_DESC",
        )),
    }
}

/// GET /subjects: one page of subject/event rows, `length` (1–1000) rows from `start`.
/// `dir` is a necid_sort_dir_t.
///
/// # Safety
/// `client` is NULL or live; `out_page` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_list_subjects(
    client: *const necid_client_t,
    start: u32,
    length: u32,
    dir: i32,
    out_page: *mut *mut necid_subject_page_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_page, "out_page")? };
        let c = unsafe { client_ref(client)? };
        let page = c.list_subjects(start, length, sort_dir(dir)?)?;
        *out = out_box(page.into());
        Ok(())
    })
}

/// Iterates over every page of list subjects. Use one paginator from one thread at a
/// time (it is locked internally, so misuse is serialised, not undefined).
pub struct necid_subjects_paginator_t {
    pages: Mutex<Box<dyn Iterator<Item = Result<SubjectPage>> + Send>>,
}

/// Starts a paginator over every page of list subjects, `length` rows at a time.
/// Does no I/O until the first necid_subjects_paginator_next.
///
/// # Safety
/// `client` is NULL or live; `out_paginator` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_subjects_paginator_new(
    client: *const necid_client_t,
    length: u32,
    dir: i32,
    out_paginator: *mut *mut necid_subjects_paginator_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_paginator, "out_paginator")? };
        let c = unsafe { client_ref(client)? };
        let dir = sort_dir(dir)?;
        *out = out_box(necid_subjects_paginator_t {
            pages: Mutex::new(Box::new(c.subjects_paginator(length, dir))),
        });
        Ok(())
    })
}

/// Fetches the next page into `*out_page`; at the end returns NECID_OK with `*out_page`
/// NULL. After an error the paginator is finished.
///
/// # Safety
/// `paginator` is NULL or live; `out_page` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_subjects_paginator_next(
    paginator: *mut necid_subjects_paginator_t,
    out_page: *mut *mut necid_subject_page_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_page, "out_page")? };
        let p = unsafe { arg_ref(paginator, "paginator")? };
        let next = p.pages.lock().unwrap_or_else(|e| e.into_inner()).next();
        if let Some(page) = next {
            *out = out_box(page?.into());
        }
        Ok(())
    })
}

/// Frees a subjects paginator (NULL is a no-op).
///
/// # Safety
/// `paginator` is NULL or a paginator that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_subjects_paginator_free(paginator: *mut necid_subjects_paginator_t) {
    // SAFETY: per the contract.
    guard_value((), || unsafe { free_box(paginator) })
}

/// POST /subjects: registers a new subject from one face image (`face_len` bytes of
/// JPEG, PNG, GIF, BMP, WebP or TIFF), with `tag_count` tags (`tags` may be NULL when 0).
///
/// # Safety
/// `client` NULL or live; `face` NULL or `face_len` readable bytes; `tags` NULL or
/// `tag_count` pointers to NUL-terminated strings; `out_face` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_register_subject(
    client: *const necid_client_t,
    face: *const u8,
    face_len: usize,
    tags: *const *const c_char,
    tag_count: usize,
    out_face: *mut *mut necid_registered_face_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_face, "out_face")? };
        let c = unsafe { client_ref(client)? };
        let face = unsafe { arg_image(face, face_len, "face")? };
        let tags = unsafe { arg_str_array(tags, tag_count, "tags")? };
        *out = out_box(c.register_subject(face, &tags)?.into());
        Ok(())
    })
}

/// PUT /subjects/{subject_id}: replaces the subject's face and tags.
///
/// # Safety
/// As necid_register_subject; `subject_id` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_update_subject(
    client: *const necid_client_t,
    subject_id: *const c_char,
    face: *const u8,
    face_len: usize,
    tags: *const *const c_char,
    tag_count: usize,
    out_face: *mut *mut necid_registered_face_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_face, "out_face")? };
        let c = unsafe { client_ref(client)? };
        let id = unsafe { arg_str(subject_id, "subject_id")? };
        let face = unsafe { arg_image(face, face_len, "face")? };
        let tags = unsafe { arg_str_array(tags, tag_count, "tags")? };
        *out = out_box(c.update_subject(id, face, &tags)?.into());
        Ok(())
    })
}

/// DELETE /subjects/{subject_id}.
///
/// # Safety
/// `client` NULL or live; `subject_id` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_unregister_subject(
    client: *const necid_client_t,
    subject_id: *const c_char,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let c = unsafe { client_ref(client)? };
        let id = unsafe { arg_str(subject_id, "subject_id")? };
        c.unregister_subject(id)
    })
}

/// GET /subjects/{subject_id}/events.
///
/// # Safety
/// `client` NULL or live; `subject_id` NULL or NUL-terminated; `out_events` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_list_events(
    client: *const necid_client_t,
    subject_id: *const c_char,
    out_events: *mut *mut necid_event_list_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_events, "out_events")? };
        let c = unsafe { client_ref(client)? };
        let id = unsafe { arg_str(subject_id, "subject_id")? };
        *out = out_box(c.list_events(id)?.into());
        Ok(())
    })
}

/// POST /subjects/{subject_id}/events: adds another face to a subject.
///
/// # Safety
/// As necid_update_subject.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_register_event(
    client: *const necid_client_t,
    subject_id: *const c_char,
    face: *const u8,
    face_len: usize,
    tags: *const *const c_char,
    tag_count: usize,
    out_face: *mut *mut necid_registered_face_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_face, "out_face")? };
        let c = unsafe { client_ref(client)? };
        let id = unsafe { arg_str(subject_id, "subject_id")? };
        let face = unsafe { arg_image(face, face_len, "face")? };
        let tags = unsafe { arg_str_array(tags, tag_count, "tags")? };
        *out = out_box(c.register_event(id, face, &tags)?.into());
        Ok(())
    })
}

/// PUT /subjects/{subject_id}/events/{event_id}: replaces one event's face and tags.
///
/// # Safety
/// As necid_update_subject; `event_id` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_update_event(
    client: *const necid_client_t,
    subject_id: *const c_char,
    event_id: *const c_char,
    face: *const u8,
    face_len: usize,
    tags: *const *const c_char,
    tag_count: usize,
    out_face: *mut *mut necid_registered_face_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_face, "out_face")? };
        let c = unsafe { client_ref(client)? };
        let sid = unsafe { arg_str(subject_id, "subject_id")? };
        let eid = unsafe { arg_str(event_id, "event_id")? };
        let face = unsafe { arg_image(face, face_len, "face")? };
        let tags = unsafe { arg_str_array(tags, tag_count, "tags")? };
        *out = out_box(c.update_event(sid, eid, face, &tags)?.into());
        Ok(())
    })
}

/// DELETE /subjects/{subject_id}/events/{event_id}.
///
/// # Safety
/// `client` NULL or live; ids NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_unregister_event(
    client: *const necid_client_t,
    subject_id: *const c_char,
    event_id: *const c_char,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let c = unsafe { client_ref(client)? };
        let sid = unsafe { arg_str(subject_id, "subject_id")? };
        let eid = unsafe { arg_str(event_id, "event_id")? };
        c.unregister_event(sid, eid)
    })
}

// ---------------------------------------------------------------------------------------
// Face operations

/// A negative value means "the service default"; otherwise the value itself.
fn optional(v: i32) -> Option<u32> {
    u32::try_from(v).ok()
}

/// POST /face/extract: attributes of the faces in an image. `limit` is the most faces to
/// return (1–20), or negative for the service default.
///
/// # Safety
/// `client` NULL or live; `image` NULL or `image_len` readable bytes; `out_faces` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_extract_faces(
    client: *const necid_client_t,
    image: *const u8,
    image_len: usize,
    limit: i32,
    out_faces: *mut *mut necid_face_list_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_faces, "out_faces")? };
        let c = unsafe { client_ref(client)? };
        let image = unsafe { arg_image(image, image_len, "image")? };
        *out = out_box(c.extract_faces(image, optional(limit))?.into());
        Ok(())
    })
}

/// POST /face/search: subjects whose faces match the probe. `threshold` (0–9999) and
/// `limit` (1–50) are negative for the service defaults (7000 and 10); `tags` restricts
/// the search to subjects with any of them (NULL/0 for all). No match is NECID_OK with
/// zero candidates.
///
/// # Safety
/// As necid_register_subject, with `out_result` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_search(
    client: *const necid_client_t,
    probe: *const u8,
    probe_len: usize,
    threshold: i32,
    limit: i32,
    tags: *const *const c_char,
    tag_count: usize,
    out_result: *mut *mut necid_search_result_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_result, "out_result")? };
        let c = unsafe { client_ref(client)? };
        let probe = unsafe { arg_image(probe, probe_len, "probe")? };
        let tags = unsafe { arg_str_array(tags, tag_count, "tags")? };
        let mut req = SearchRequest::new(probe).tags(tags);
        if let Some(t) = optional(threshold) {
            req = req.threshold(t);
        }
        if let Some(l) = optional(limit) {
            req = req.limit(l);
        }
        *out = out_box(c.search(req)?.into());
        Ok(())
    })
}

/// POST /face/verify against a registered subject. A non-matching probe is NECID_OK with
/// `verified == false`.
///
/// # Safety
/// `client` NULL or live; `subject_id` NULL or NUL-terminated; `probe` NULL or
/// `probe_len` readable bytes; `out_verification` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_verify_subject(
    client: *const necid_client_t,
    subject_id: *const c_char,
    probe: *const u8,
    probe_len: usize,
    out_verification: *mut *mut necid_verification_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_verification, "out_verification")? };
        let c = unsafe { client_ref(client)? };
        let id = unsafe { arg_str(subject_id, "subject_id")? };
        let probe = unsafe { arg_image(probe, probe_len, "probe")? };
        *out = out_box(c.verify_subject(id, probe)?.into());
        Ok(())
    })
}

/// POST /face/verify of two images against each other. No match is NECID_OK with
/// `verified == false`.
///
/// # Safety
/// `client` NULL or live; `face`/`probe` NULL or readable for their lengths;
/// `out_verification` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_verify_faces(
    client: *const necid_client_t,
    face: *const u8,
    face_len: usize,
    probe: *const u8,
    probe_len: usize,
    out_verification: *mut *mut necid_face_verification_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_verification, "out_verification")? };
        let c = unsafe { client_ref(client)? };
        let face = unsafe { arg_image(face, face_len, "face")? };
        let probe = unsafe { arg_image(probe, probe_len, "probe")? };
        *out = out_box(c.verify_faces(face, probe)?.into());
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// Tags

/// GET /tags.
///
/// # Safety
/// `client` NULL or live; `out_tags` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_list_tags(
    client: *const necid_client_t,
    out_tags: *mut *mut necid_tag_list_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_tags, "out_tags")? };
        let c = unsafe { client_ref(client)? };
        *out = out_box(c.list_tags()?.into());
        Ok(())
    })
}

/// POST /tags.
///
/// # Safety
/// `client` NULL or live; `name` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_create_tag(
    client: *const necid_client_t,
    name: *const c_char,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let c = unsafe { client_ref(client)? };
        let name = unsafe { arg_str(name, "name")? };
        c.create_tag(name)
    })
}

/// PUT /tags/{old_name}.
///
/// # Safety
/// `client` NULL or live; names NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_rename_tag(
    client: *const necid_client_t,
    old_name: *const c_char,
    new_name: *const c_char,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let c = unsafe { client_ref(client)? };
        let old = unsafe { arg_str(old_name, "old_name")? };
        let new = unsafe { arg_str(new_name, "new_name")? };
        c.rename_tag(old, new)
    })
}

/// DELETE /tags/{name}.
///
/// # Safety
/// `client` NULL or live; `name` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_delete_tag(
    client: *const necid_client_t,
    name: *const c_char,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let c = unsafe { client_ref(client)? };
        let name = unsafe { arg_str(name, "name")? };
        c.delete_tag(name)
    })
}

// ---------------------------------------------------------------------------------------
// Bulk registration

/// One file to register in a bulk job: an object name in the gallery's bucket, with tags.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_bulk_registration_t {
    pub filename: *const c_char,
    /// `tag_count` tags (NULL when 0).
    pub tags: *const *const c_char,
    pub tag_count: usize,
}

/// POST /jobs/bulkregister: starts a bulk job over `count` files and writes its batch id
/// to `*out_batch_id` (free it with necid_string_free).
///
/// # Safety
/// `client` NULL or live; `registrations` NULL or `count` readable structs whose strings
/// are NULL or NUL-terminated; `out_batch_id` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_bulk_register(
    client: *const necid_client_t,
    registrations: *const necid_bulk_registration_t,
    count: usize,
    out_batch_id: *mut *mut c_char,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_batch_id, "out_batch_id")? };
        let c = unsafe { client_ref(client)? };
        let regs = unsafe { arg_slice(registrations, count, "registrations")? };
        let regs = regs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                // SAFETY: per the contract.
                let filename =
                    unsafe { arg_str(r.filename, &format!("registrations[{i}].filename"))? };
                let tags = unsafe {
                    arg_str_array(r.tags, r.tag_count, &format!("registrations[{i}].tags"))?
                };
                Ok(BulkRegistration::new(filename, tags))
            })
            .collect::<Result<Vec<_>>>()?;
        let batch_id = c.bulk_register(&regs)?;
        *out = out_str(&batch_id).cast_mut();
        Ok(())
    })
}

/// GET /jobs/bulkregister/{batch_id}: one progress page. `paging_id` is NULL for the
/// first page, else the previous page's last_evaluated_key.
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `out_page` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_bulk_register_progress(
    client: *const necid_client_t,
    batch_id: *const c_char,
    paging_id: *const c_char,
    out_page: *mut *mut necid_bulk_progress_page_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_page, "out_page")? };
        let c = unsafe { client_ref(client)? };
        let batch_id = unsafe { arg_str(batch_id, "batch_id")? };
        let paging_id = unsafe { arg_opt_str(paging_id, "paging_id")? };
        *out = out_box(c.bulk_register_progress(batch_id, paging_id)?.into());
        Ok(())
    })
}

/// Iterates over every progress page of a batch. One thread at a time (locked inside).
pub struct necid_bulk_progress_paginator_t {
    pages: Mutex<Box<dyn Iterator<Item = Result<BulkProgressPage>> + Send>>,
}

/// Starts a paginator over every progress page of `batch_id` (no I/O yet).
///
/// # Safety
/// `client` NULL or live; `batch_id` NULL or NUL-terminated; `out_paginator` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_bulk_progress_paginator_new(
    client: *const necid_client_t,
    batch_id: *const c_char,
    out_paginator: *mut *mut necid_bulk_progress_paginator_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_paginator, "out_paginator")? };
        let c = unsafe { client_ref(client)? };
        let batch_id = unsafe { arg_str(batch_id, "batch_id")? };
        *out = out_box(necid_bulk_progress_paginator_t {
            pages: Mutex::new(Box::new(c.bulk_progress_paginator(batch_id))),
        });
        Ok(())
    })
}

/// Fetches the next progress page; at the end NECID_OK with `*out_page` NULL. After an
/// error the paginator is finished.
///
/// # Safety
/// `paginator` NULL or live; `out_page` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_bulk_progress_paginator_next(
    paginator: *mut necid_bulk_progress_paginator_t,
    out_page: *mut *mut necid_bulk_progress_page_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_page, "out_page")? };
        let p = unsafe { arg_ref(paginator, "paginator")? };
        let next = p.pages.lock().unwrap_or_else(|e| e.into_inner()).next();
        if let Some(page) = next {
            *out = out_box(page?.into());
        }
        Ok(())
    })
}

/// Frees a bulk progress paginator (NULL is a no-op).
///
/// # Safety
/// `paginator` is NULL or a paginator that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_bulk_progress_paginator_free(
    paginator: *mut necid_bulk_progress_paginator_t,
) {
    // SAFETY: per the contract.
    guard_value((), || unsafe { free_box(paginator) })
}

/// Polling settings of necid_wait_for_bulk_register; 0 takes the default.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_wait_options_t {
    /// First delay between polls in milliseconds (0: 1000).
    pub poll_interval_ms: u32,
    /// Polling backs off ×1.5 up to this, in milliseconds (0: 15000).
    pub max_poll_interval_ms: u32,
    /// Give up with NECID_ERR_TIMED_OUT after this many milliseconds (0: 30 minutes).
    pub timeout_ms: u64,
}

/// Progress callback of necid_wait_for_bulk_register: called after every poll with all
/// records so far. `progress` belongs to the library and is valid only during the call.
/// It runs on the thread that called necid_wait_for_bulk_register, so it may use that
/// thread's state and call other necid functions.
pub type necid_progress_callback_t =
    Option<unsafe extern "C" fn(progress: *const necid_bulk_progress_t, user_data: *mut c_void)>;

enum WaitMsg {
    Progress(necid::BulkProgress),
    Done(Result<necid::BulkProgress>),
}

/// Polls `batch_id` until every record is processed, calling `on_progress` (may be NULL)
/// with `user_data` after each poll, and writes the final progress to `*out_progress`.
/// `options` may be NULL for the defaults.
///
/// # Safety
/// `client` NULL or live; `batch_id` NULL or NUL-terminated; `options` NULL or valid;
/// `on_progress` NULL or a function safe to call with `user_data`; `out_progress` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_wait_for_bulk_register(
    client: *const necid_client_t,
    batch_id: *const c_char,
    options: *const necid_wait_options_t,
    on_progress: necid_progress_callback_t,
    user_data: *mut c_void,
    out_progress: *mut *mut necid_bulk_progress_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_progress, "out_progress")? };
        let c = unsafe { client_ref(client)? };
        let batch_id = unsafe { arg_str(batch_id, "batch_id")? };
        let mut opts = WaitOptions::default();
        // SAFETY: per the contract.
        if let Some(o) = unsafe { options.as_ref() } {
            if o.poll_interval_ms > 0 {
                opts.poll_interval = ms(o.poll_interval_ms);
            }
            if o.max_poll_interval_ms > 0 {
                opts.max_poll_interval = ms(o.max_poll_interval_ms);
            }
            if o.timeout_ms > 0 {
                opts.timeout = Duration::from_millis(o.timeout_ms);
            }
        }
        // The core calls its progress closure on a runtime worker thread. C callers expect
        // the callback on their own thread (and may call necid from it), so progress is
        // sent back here over a channel and the callback is invoked on this thread,
        // outside any runtime context. (A tokio channel, received with block_on, parks
        // this thread the same way every other blocking call does.)
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::new(
                necid::ErrorKind::InvalidInput,
                "necid_wait_for_bulk_register was called from inside an async runtime",
            ));
        }
        let rt = necid::runtime()?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<WaitMsg>();
        let progress_tx = tx.clone();
        let fut = c
            .as_async()
            .wait_for_bulk_register(batch_id, opts, move |p| {
                let _ = progress_tx.send(WaitMsg::Progress(p.clone()));
            });
        let task = rt.spawn(async move {
            let _ = tx.send(WaitMsg::Done(fut.await));
        });
        // Aborts the polling task if this thread leaves early (a panic in a conversion).
        struct AbortOnDrop(tokio::task::AbortHandle);
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                self.0.abort();
            }
        }
        let _abort = AbortOnDrop(task.abort_handle());
        while let Some(msg) = rt.block_on(rx.recv()) {
            match msg {
                WaitMsg::Progress(p) => {
                    if let Some(cb) = on_progress {
                        let view = necid_bulk_progress_t::from(&p);
                        // SAFETY: per the contract; `view` outlives the call.
                        unsafe { cb(&raw const view, user_data) };
                    }
                }
                WaitMsg::Done(result) => {
                    *out = out_box(necid_bulk_progress_t::from(&result?));
                    return Ok(());
                }
            }
        }
        Err(Error::new(
            necid::ErrorKind::Network,
            "the bulk-registration wait was cancelled (runtime shutting down)",
        ))
    })
}

// ---------------------------------------------------------------------------------------
// Health and signing

/// GET /health (signed when credentials are configured).
///
/// # Safety
/// `client` NULL or live; `out_health` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_health(
    client: *const necid_client_t,
    out_health: *mut *mut necid_health_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_health, "out_health")? };
        let c = unsafe { client_ref(client)? };
        *out = out_box(c.health()?.into());
        Ok(())
    })
}

struct SignArgs {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// # Safety
/// As necid_sign_request.
unsafe fn sign_args(
    method: *const c_char,
    url: *const c_char,
    headers: *const necid_header_t,
    header_count: usize,
    body: *const u8,
    body_len: usize,
) -> Result<SignArgs> {
    // SAFETY: per the contract.
    unsafe {
        let method = arg_str(method, "method")?.to_owned();
        let url = arg_str(url, "url")?.to_owned();
        let hs = arg_slice(headers, header_count, "headers")?
            .iter()
            .enumerate()
            .map(|(i, h)| {
                Ok((
                    arg_str(h.name, &format!("headers[{i}].name"))?.to_owned(),
                    arg_str(h.value, &format!("headers[{i}].value"))?.to_owned(),
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let body = arg_bytes(body, body_len, "body", true)?.to_vec();
        Ok(SignArgs {
            method,
            url,
            headers: hs,
            body,
        })
    }
}

/// Signs a custom request now and returns the headers to add (x-api-key when configured
/// and not among `headers`, x-amz-date, x-amz-security-token with a session token,
/// authorization). `url` is absolute and percent-encoded as sent; every header in
/// `headers` is signed; `body` is the exact body (NULL with `body_len` 0 for none).
/// No I/O. Needs credentials in the client's configuration.
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `headers` NULL or
/// `header_count` readable; `body` NULL or `body_len` readable bytes; `out_headers` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_sign_request(
    client: *const necid_client_t,
    method: *const c_char,
    url: *const c_char,
    headers: *const necid_header_t,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    out_headers: *mut *mut necid_header_list_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_headers, "out_headers")? };
        let c = unsafe { client_ref(client)? };
        let a = unsafe { sign_args(method, url, headers, header_count, body, body_len)? };
        *out = out_box(
            c.sign_request(&a.method, &a.url, &a.headers, &a.body)?
                .into(),
        );
        Ok(())
    })
}

/// necid_sign_request at a fixed time (seconds since the Unix epoch, ≥ 0): reproducible
/// signatures for tests and test vectors.
///
/// # Safety
/// As necid_sign_request.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_sign_request_at(
    client: *const necid_client_t,
    method: *const c_char,
    url: *const c_char,
    headers: *const necid_header_t,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    unix_time_secs: i64,
    out_headers: *mut *mut necid_header_list_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_headers, "out_headers")? };
        let c = unsafe { client_ref(client)? };
        let secs = u64::try_from(unix_time_secs)
            .map_err(|_| Error::invalid_input("unix_time_secs", "must not be negative"))?;
        let time = SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_secs(secs))
            .ok_or_else(|| Error::invalid_input("unix_time_secs", "is out of range"))?;
        let a = unsafe { sign_args(method, url, headers, header_count, body, body_len)? };
        *out = out_box(
            c.sign_request_at(&a.method, &a.url, &a.headers, &a.body, time)?
                .into(),
        );
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// Tenant API

/// Body of necid_create_gallery. `name` is required; NULL strings and false `has_*`
/// flags leave a field out.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_new_gallery_t {
    pub name: *const c_char,
    pub description: *const c_char,
    pub has_face_minimum_quality_score: bool,
    /// Minimum face quality (≥ 0.45).
    pub face_minimum_quality_score: f64,
    pub has_size: bool,
    /// Capacity in events.
    pub size: u64,
}

/// Body of necid_update_gallery: only the fields set are changed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_gallery_update_t {
    pub name: *const c_char,
    pub description: *const c_char,
    pub has_size: bool,
    /// New capacity (may only grow).
    pub size: u64,
}

/// Body of necid_create_application. `name` and `gallery_id` are required.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_new_application_t {
    pub name: *const c_char,
    pub description: *const c_char,
    pub has_face_minimum_quality_score: bool,
    pub face_minimum_quality_score: f64,
    pub gallery_id: *const c_char,
}

/// Body of necid_update_application: only the fields set are changed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_application_update_t {
    pub name: *const c_char,
    pub description: *const c_char,
    pub has_face_minimum_quality_score: bool,
    pub face_minimum_quality_score: f64,
}

fn opt_owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

/// GET /api/galleries (tenant API).
///
/// # Safety
/// `client` NULL or live; `out_galleries` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_list_galleries(
    client: *const necid_client_t,
    out_galleries: *mut *mut necid_gallery_list_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_galleries, "out_galleries")? };
        let c = unsafe { client_ref(client)? };
        *out = out_box(c.list_galleries()?.into());
        Ok(())
    })
}

/// GET /api/galleries/{gallery_id}: the gallery and its applications.
///
/// # Safety
/// `client` NULL or live; `gallery_id` NULL or NUL-terminated; `out_gallery` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_get_gallery(
    client: *const necid_client_t,
    gallery_id: *const c_char,
    out_gallery: *mut *mut necid_gallery_details_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_gallery, "out_gallery")? };
        let c = unsafe { client_ref(client)? };
        let id = unsafe { arg_str(gallery_id, "gallery_id")? };
        *out = out_box(c.get_gallery(id)?.into());
        Ok(())
    })
}

/// POST /api/galleries. The result's api_key opens the new gallery.
///
/// # Safety
/// `client` NULL or live; `gallery` NULL or valid with NULL or NUL-terminated strings;
/// `out_gallery` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_create_gallery(
    client: *const necid_client_t,
    gallery: *const necid_new_gallery_t,
    out_gallery: *mut *mut necid_gallery_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_gallery, "out_gallery")? };
        let c = unsafe { client_ref(client)? };
        let g = unsafe { arg_ref(gallery, "gallery")? };
        let body = NewGallery {
            name: unsafe { arg_str(g.name, "gallery.name")? }.to_owned(),
            description: opt_owned(unsafe { arg_opt_str(g.description, "gallery.description")? }),
            face_minimum_quality_score: g
                .has_face_minimum_quality_score
                .then_some(g.face_minimum_quality_score),
            size: g.has_size.then_some(g.size),
        };
        *out = out_box((&c.create_gallery(body)?).into());
        Ok(())
    })
}

/// PATCH /api/galleries/{gallery_id}.
///
/// # Safety
/// `client` NULL or live; `gallery_id` NULL or NUL-terminated; `update` NULL or valid;
/// `out_gallery` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_update_gallery(
    client: *const necid_client_t,
    gallery_id: *const c_char,
    update: *const necid_gallery_update_t,
    out_gallery: *mut *mut necid_gallery_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_gallery, "out_gallery")? };
        let c = unsafe { client_ref(client)? };
        let id = unsafe { arg_str(gallery_id, "gallery_id")? };
        let u = unsafe { arg_ref(update, "update")? };
        let body = GalleryUpdate {
            name: opt_owned(unsafe { arg_opt_str(u.name, "update.name")? }),
            description: opt_owned(unsafe { arg_opt_str(u.description, "update.description")? }),
            size: u.has_size.then_some(u.size),
        };
        *out = out_box((&c.update_gallery(id, body)?).into());
        Ok(())
    })
}

/// DELETE /api/galleries/{gallery_id}.
///
/// # Safety
/// `client` NULL or live; `gallery_id` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_delete_gallery(
    client: *const necid_client_t,
    gallery_id: *const c_char,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let c = unsafe { client_ref(client)? };
        let id = unsafe { arg_str(gallery_id, "gallery_id")? };
        c.delete_gallery(id)
    })
}

/// GET /api/applications.
///
/// # Safety
/// `client` NULL or live; `out_applications` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_list_applications(
    client: *const necid_client_t,
    out_applications: *mut *mut necid_application_list_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_applications, "out_applications")? };
        let c = unsafe { client_ref(client)? };
        *out = out_box(c.list_applications()?.into());
        Ok(())
    })
}

/// GET /api/applications/{application_id}.
///
/// # Safety
/// `client` NULL or live; `application_id` NULL or NUL-terminated; `out_application`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_get_application(
    client: *const necid_client_t,
    application_id: *const c_char,
    out_application: *mut *mut necid_application_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_application, "out_application")? };
        let c = unsafe { client_ref(client)? };
        let id = unsafe { arg_str(application_id, "application_id")? };
        *out = out_box((&c.get_application(id)?).into());
        Ok(())
    })
}

/// POST /api/applications.
///
/// # Safety
/// `client` NULL or live; `application` NULL or valid with NULL or NUL-terminated
/// strings; `out_application` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_create_application(
    client: *const necid_client_t,
    application: *const necid_new_application_t,
    out_application: *mut *mut necid_application_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_application, "out_application")? };
        let c = unsafe { client_ref(client)? };
        let a = unsafe { arg_ref(application, "application")? };
        let body = NewApplication {
            name: unsafe { arg_str(a.name, "application.name")? }.to_owned(),
            description: opt_owned(unsafe {
                arg_opt_str(a.description, "application.description")?
            }),
            face_minimum_quality_score: a
                .has_face_minimum_quality_score
                .then_some(a.face_minimum_quality_score),
            gallery_id: unsafe { arg_str(a.gallery_id, "application.gallery_id")? }.to_owned(),
        };
        *out = out_box((&c.create_application(body)?).into());
        Ok(())
    })
}

/// PATCH /api/applications/{application_id}.
///
/// # Safety
/// `client` NULL or live; `application_id` NULL or NUL-terminated; `update` NULL or
/// valid; `out_application` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_update_application(
    client: *const necid_client_t,
    application_id: *const c_char,
    update: *const necid_application_update_t,
    out_application: *mut *mut necid_application_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_application, "out_application")? };
        let c = unsafe { client_ref(client)? };
        let id = unsafe { arg_str(application_id, "application_id")? };
        let u = unsafe { arg_ref(update, "update")? };
        let body = ApplicationUpdate {
            name: opt_owned(unsafe { arg_opt_str(u.name, "update.name")? }),
            description: opt_owned(unsafe { arg_opt_str(u.description, "update.description")? }),
            face_minimum_quality_score: u
                .has_face_minimum_quality_score
                .then_some(u.face_minimum_quality_score),
        };
        *out = out_box((&c.update_application(id, body)?).into());
        Ok(())
    })
}

/// DELETE /api/applications/{application_id}.
///
/// # Safety
/// `client` NULL or live; `application_id` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_delete_application(
    client: *const necid_client_t,
    application_id: *const c_char,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let c = unsafe { client_ref(client)? };
        let id = unsafe { arg_str(application_id, "application_id")? };
        c.delete_application(id)
    })
}
