//! Per-call options, cancellation and response metadata: a client *view* with options
//! (`necid_client_with_options`, the core's `Client::with_options`), a cancel handle
//! (`necid_cancel_t`), and the metadata of the view's last call. Every operation works
//! on a view unchanged, so no operation has a variant.

#![allow(non_camel_case_types)]

use std::ffi::c_char;
use std::time::Duration;

use necid::{CallOptions, Error, MetadataSlot, ResponseMetadata, Result};

use crate::client::{arg_headers, necid_client_t};
use crate::error::{guard, guard_out, guard_value, necid_status_t};
use crate::types::{ToC, c_results, necid_header_t};
use crate::util::{arg_ref, free_box, free_str, out_box};

/// A cancel handle: create it with necid_cancel_new, put it in the options of a view
/// (necid_call_options_t.cancel), call necid_cancel from any thread to stop every call
/// running (or started later) on views that carry it, free it with necid_cancel_free once
/// no view uses it. A cancelled call closes its connection at once, retries no more and
/// returns NECID_ERR_CANCELLED.
pub struct necid_cancel_t {
    token: necid::CancelToken,
}

/// A new cancel handle (not cancelled), or NULL if the allocation failed.
#[unsafe(no_mangle)]
pub extern "C" fn necid_cancel_new() -> *mut necid_cancel_t {
    guard_value(std::ptr::null_mut(), || {
        out_box(necid_cancel_t {
            token: necid::CancelToken::new(),
        })
    })
}

/// Cancels every call using `cancel` (idempotent; safe from any thread, also while a call
/// on another thread is running). NULL is a no-op.
///
/// # Safety
/// `cancel` is NULL or a live handle from necid_cancel_new.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_cancel(cancel: *const necid_cancel_t) {
    guard_value((), || {
        // SAFETY: per the contract.
        if let Some(c) = unsafe { cancel.as_ref() } {
            c.token.cancel();
        }
    })
}

/// Whether necid_cancel was called on `cancel` (false for NULL).
///
/// # Safety
/// `cancel` is NULL or a live handle from necid_cancel_new.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_cancel_is_cancelled(cancel: *const necid_cancel_t) -> bool {
    guard_value(false, || {
        // SAFETY: per the contract.
        unsafe { cancel.as_ref() }.is_some_and(|c| c.token.is_cancelled())
    })
}

/// Frees a cancel handle (NULL is a no-op). Views made with it keep working (they hold
/// their own reference), but can no longer be cancelled through it.
///
/// # Safety
/// `cancel` is NULL or a handle from necid_cancel_new that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_cancel_free(cancel: *mut necid_cancel_t) {
    // SAFETY: per the contract.
    guard_value((), || unsafe { free_box(cancel) })
}

/// Options of the calls made on a view (necid_client_with_options). Zero-initialise it,
/// set `struct_size = sizeof(necid_call_options_t)` and what you need: 0 and NULL mean
/// "the client's setting" / none. Fields are only ever appended; the library reads the
/// first `struct_size` bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_call_options_t {
    /// sizeof(necid_call_options_t) as the caller's header declares it.
    pub struct_size: usize,
    /// Deadline of each whole call in milliseconds, every attempt and backoff included
    /// (0: none): then NECID_ERR_TIMED_OUT.
    pub deadline_ms: u32,
    /// Total attempts of each call (0: the client's max_attempts; 1: no retries).
    pub max_attempts: u32,
    /// Extra request headers (copied), signed with each request. The SDK's own
    /// (authorization, host, x-api-key, x-amz-*, content-type, ...) are refused with
    /// NECID_ERR_INVALID_INPUT, field "headers".
    pub headers: *const necid_header_t,
    /// Number of `headers`.
    pub header_count: usize,
    /// A cancel handle, or NULL.
    pub cancel: *const necid_cancel_t,
}

/// The first layout of necid_call_options_t (every field above).
const CALL_OPTIONS_V1: usize = std::mem::size_of::<necid_call_options_t>();

/// Creates a view of `client` whose calls use `options` (NULL: none; the view then only
/// records metadata). The view shares the client's connection pool and settings; free it
/// with necid_client_free (the client stays usable; the view does not need it to live).
/// Any operation can be called on the view, and necid_client_last_metadata gives the
/// metadata of its last call. Bad options are NECID_ERR_INVALID_INPUT here, before any
/// call. Does no I/O.
///
/// # Safety
/// `client` is NULL or a live client; `options` is NULL or a valid necid_call_options_t
/// of at least `struct_size` bytes whose `headers` are NULL or `header_count` readable
/// headers with NUL-terminated strings, and whose `cancel` is NULL or a live handle;
/// `out_view` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_client_with_options(
    client: *const necid_client_t,
    options: *const necid_call_options_t,
    out_view: *mut *mut necid_client_t,
) -> necid_status_t {
    // SAFETY: per the contract.
    unsafe {
        guard_out(out_view, "out_view", || {
            let client = arg_ref(client, "client")?;
            let opts = match options.as_ref() {
                None => CallOptions::new(),
                Some(o) => call_options(o)?,
            };
            opts.validate()?;
            let slot = MetadataSlot::new();
            let inner = necid::blocking::Client::from(
                client
                    .inner
                    .as_async()
                    .with_metadata_slot(slot.clone())
                    .with_options(opts),
            );
            Ok(necid_client_t {
                inner,
                slot: Some(slot),
            })
        })
    }
}

/// # Safety
/// As necid_client_with_options.
unsafe fn call_options(o: &necid_call_options_t) -> Result<CallOptions> {
    if o.struct_size < CALL_OPTIONS_V1 || o.struct_size > 4096 {
        return Err(Error::invalid_input(
            "struct_size",
            "must be sizeof(necid_call_options_t) (is the struct zeroed without setting it?)",
        ));
    }
    let mut c = CallOptions::new();
    if o.deadline_ms > 0 {
        c.deadline = Some(Duration::from_millis(u64::from(o.deadline_ms)));
    }
    if o.max_attempts > 0 {
        c.max_attempts = Some(o.max_attempts);
    }
    // SAFETY: per the contract.
    c.headers = unsafe { arg_headers(o.headers, o.header_count, "headers")? };
    // SAFETY: per the contract.
    c.cancel = unsafe { o.cancel.as_ref() }.map(|h| h.token.clone());
    Ok(c)
}

/// The metadata of the last call made on `view` (a view from necid_client_with_options)
/// that got a response, successful or not. NECID_ERR_INVALID_INPUT (field "client") for
/// a client that is not a view or a view whose calls have had no response yet.
///
/// # Safety
/// `view` is NULL or a live client; `out_metadata` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_client_last_metadata(
    view: *const necid_client_t,
    out_metadata: *mut *mut necid_response_metadata_t,
) -> necid_status_t {
    // SAFETY: per the contract.
    unsafe {
        guard_out(out_metadata, "out_metadata", || {
            let slot = arg_ref(view, "client")?.slot.as_ref().ok_or_else(|| {
                Error::invalid_input("client", "not a view made by necid_client_with_options")
            })?;
            let m = slot.get().ok_or_else(|| {
                Error::invalid_input("client", "no call on this view has had a response yet")
            })?;
            Ok(m.into())
        })
    }
}

c_results! {
    /// What the response of a call said (necid_client_last_metadata). Free it with
    /// necid_response_metadata_free.
    necid_response_metadata_t from ResponseMetadata,
    free
        /// Frees metadata from necid_client_last_metadata.
        necid_response_metadata_free
    {
        /// The response's request id (x-amzn-requestid), or NULL if it sent none.
        request_id: *const c_char,
        /// HTTP status of the call's last response (a 404 an operation reads as an empty
        /// result keeps its 404).
        http_status: u16 = status,
        /// Requests sent for the call's last request, retries included (1: no retry).
        attempts: u32,
        /// Clock-skew correction (server minus local, ms) the request was signed with.
        clock_skew_ms: i64,
    }
}

/// Receives one SDK log event: `level` 1 error, 2 warn, 3 info, 4 debug, 5 trace;
/// `target` the emitting Rust module; `message` the text with its fields and the
/// request's (operation, status, attempt, request id), never a secret. Both strings are
/// valid only during the call. Called on the thread that emitted the event (an SDK
/// thread, usually): keep it quick, make no necid call from it.
pub type necid_log_fn = Option<
    unsafe extern "C" fn(
        level: i32,
        target: *const c_char,
        message: *const c_char,
        user_data: *mut std::ffi::c_void,
    ),
>;

/// The caller's user_data, handed back to its callback from any thread.
struct UserData(*mut std::ffi::c_void);
// SAFETY: the pointer is only passed back to the caller's callback, whose contract
// (necid_set_log_callback) is to accept it from any thread.
unsafe impl Send for UserData {}
// SAFETY: as above; the library never dereferences it.
unsafe impl Sync for UserData {}

/// Forwards the SDK's log events at `level` and above (1 error … 5 trace; 0 or a NULL
/// `callback` turns forwarding off) to `callback` with `user_data`, from any thread.
/// Off by default: nothing is formatted until a callback is set. NECID_ERR_INVALID_INPUT
/// for a level outside 0-5.
///
/// # Safety
/// `callback` is NULL or a function that may be called from any thread, at any time until
/// this function is called again, with `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_set_log_callback(
    callback: necid_log_fn,
    user_data: *mut std::ffi::c_void,
    level: i32,
) -> necid_status_t {
    guard(|| {
        use necid::logging::LogLevel::*;
        let level = usize::try_from(level)
            .ok()
            .and_then(|i| [Off, Error, Warn, Info, Debug, Trace].get(i).copied())
            .ok_or_else(|| necid::Error::invalid_input("level", "must be 0 (off) to 5 (trace)"))?;
        let user = UserData(user_data);
        let sink = callback.map(|cb| {
            let sink: necid::logging::LogSink = std::sync::Arc::new(move |r| {
                let target = crate::util::sanitized_cstring(r.target);
                let message = crate::util::sanitized_cstring(r.message);
                let _ = &user;
                // SAFETY: per the contract of necid_set_log_callback.
                unsafe { cb(r.level as i32, target.as_ptr(), message.as_ptr(), user.0) };
            });
            sink
        });
        necid::logging::set_log_sink(sink, level)
    })
}
