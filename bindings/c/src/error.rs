//! Status codes, the thread-local last error, and the panic guard every entry point uses.

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use necid::{Error, ErrorKind};

use crate::util::{out_box, out_slot, sanitized_cstring};

/// `necid_status_t`, with every status's stable name (`c"…"`, the core's kind name) and
/// the lookups over them. The codes never change once shipped: a kind is appended.
macro_rules! statuses {
    ($($(#[doc = $doc:literal])* $status:ident = $code:literal $name:literal,)*) => {
        /// Result of every fallible necid call. `NECID_OK` (0) is success; every other value is
        /// one error kind (the same kinds every necid binding uses). Details of the failure are in
        /// the thread-local last error (`necid_last_error_message()` and friends).
        #[repr(C)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(non_camel_case_types)]
        pub enum necid_status_t {
            $($(#[doc = $doc])* $status = $code,)*
        }

        impl necid_status_t {
            const ALL: [necid_status_t; [$($code),*].len()] = [$(necid_status_t::$status),*];

            /// Stable name of the status (the kind names every binding uses).
            pub(crate) fn name(self) -> &'static std::ffi::CStr {
                match self {
                    $(necid_status_t::$status => $name,)*
                }
            }
        }
    };
}

statuses! {
    /// Success.
    NECID_OK = 0 c"OK",
    /// Rejected before anything was sent: a NULL or invalid argument, invalid UTF-8, an
    /// empty or unrecognised image, a bad configuration value.
    NECID_ERR_INVALID_INPUT = 1 c"InvalidInput",
    /// HTTP 401/403: bad or missing signature, credentials or API key.
    NECID_ERR_AUTH = 2 c"Auth",
    /// HTTP 404: unknown subject, event, tag, gallery or application.
    NECID_ERR_NOT_FOUND = 3 c"NotFound",
    /// The service's InvalidRequest (errorCode 1001), or another 4xx.
    NECID_ERR_INVALID_REQUEST = 4 c"InvalidRequest",
    /// The service's Duplicate (errorCode 1002).
    NECID_ERR_DUPLICATE = 5 c"Duplicate",
    /// The service's Timeout (errorCode 1003): the server gave up.
    NECID_ERR_TIMEOUT = 6 c"Timeout",
    /// The service's NoFace (errorCode 2001).
    NECID_ERR_NO_FACE = 7 c"NoFace",
    /// The service's PoorQuality (errorCode 2002).
    NECID_ERR_POOR_QUALITY = 8 c"PoorQuality",
    /// The service's MultipleFaces (errorCode 2003).
    NECID_ERR_MULTIPLE_FACES = 9 c"MultipleFaces",
    /// HTTP 429: throttled (after the configured retries).
    NECID_ERR_THROTTLED = 10 c"Throttled",
    /// HTTP 5xx (after the configured retries).
    NECID_ERR_SERVER = 11 c"Server",
    /// The connection failed or broke (refused, reset, DNS, TLS, truncated response).
    NECID_ERR_NETWORK = 12 c"Network",
    /// A client-side timeout or deadline expired.
    NECID_ERR_TIMED_OUT = 13 c"TimedOut",
    /// The response could not be read as the documented shape.
    NECID_ERR_DECODE = 14 c"Decode",
    /// A bug inside the library (a caught Rust panic) or an error kind this version of the
    /// C API does not know. Please report it with the message.
    NECID_ERR_INTERNAL = 15 c"Internal",
    /// The caller cancelled the call (`necid_cancel`): it stopped, closed its connection
    /// and retried no more.
    NECID_ERR_CANCELLED = 16 c"Cancelled",
}

use necid_status_t::*;

impl necid_status_t {
    /// The status of a core error kind: the one of the same name. A kind added to the core
    /// later is reported as Internal until the list above has it (the message still says
    /// what failed).
    fn from_kind(kind: ErrorKind) -> necid_status_t {
        let name = kind.as_str().as_bytes();
        Self::ALL[1..]
            .iter()
            .copied()
            .find(|s| s.name().to_bytes() == name)
            .unwrap_or(NECID_ERR_INTERNAL)
    }
}

/// The last error of this thread. The C strings live here, so the pointers handed out by
/// the accessors stay valid until the next fallible call on the same thread.
struct LastError {
    status: necid_status_t,
    message: CString,
    http_status: u16,
    error_code: Option<i64>,
    error_type: Option<CString>,
    request_id: Option<CString>,
    field: Option<CString>,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

fn store(last: Option<LastError>) {
    // `try_with`: during thread teardown the slot may already be gone; nothing to record then.
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut s) = slot.try_borrow_mut() {
            *s = last;
        }
    });
}

/// Stores this thread's last error: `status` and `message`, and the details of `e`.
fn record(status: necid_status_t, message: &str, e: Option<&Error>) -> necid_status_t {
    let text = |get: fn(&Error) -> Option<&str>| e.and_then(get).map(sanitized_cstring);
    store(Some(LastError {
        status,
        // The core's messages never contain secrets (see necid::Error).
        message: sanitized_cstring(message),
        http_status: e.and_then(Error::status).unwrap_or(0),
        error_code: e.and_then(Error::error_code),
        error_type: text(Error::error_type),
        request_id: text(Error::request_id),
        field: text(Error::field),
    }));
    status
}

/// The body of every fallible entry point: clears the last error, runs `f`, turns an
/// `Err` or a panic into a status code plus the thread-local last error. A panic never
/// crosses the FFI boundary (since Rust 1.81 it would abort the process).
pub(crate) fn guard(f: impl FnOnce() -> Result<(), Error>) -> necid_status_t {
    store(None);
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => NECID_OK,
        Ok(Err(e)) => record(necid_status_t::from_kind(e.kind()), e.message(), Some(&e)),
        Err(payload) => {
            let what = (payload.downcast_ref::<&str>().copied())
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("unknown panic");
            let message = format!("internal error in the necid library (please report): {what}");
            record(NECID_ERR_INTERNAL, &message, None)
        }
    }
}

/// The body of an entry point that makes a new object: checks `out` and sets `*out` to
/// NULL, then (under [`guard`]) to a box of what `make` returns.
///
/// # Safety
/// `out` is NULL or valid for writing one pointer.
pub(crate) unsafe fn guard_out<T>(
    out: *mut *mut T,
    name: &str,
    make: impl FnOnce() -> Result<T, Error>,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out, name)? };
        *out = out_box(make()?);
        Ok(())
    })
}

/// For infallible entry points (accessors, free functions): a panic yields `fallback`.
pub(crate) fn guard_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

// ---------------------------------------------------------------------------------------
// Exported accessors

/// Message of the last error on the calling thread, or NULL if the last fallible necid
/// call on this thread succeeded. Never contains a secret key, session token or API key.
///
/// The string belongs to the library and stays valid until the next fallible necid call
/// on the same thread (accessors and free functions do not count); copy it to keep it.
#[unsafe(no_mangle)]
pub extern "C" fn necid_last_error_message() -> *const c_char {
    last(std::ptr::null(), |l| Some(l.message.as_ptr()))
}

/// Status of the last error on the calling thread (`NECID_OK` if the last fallible call
/// succeeded).
#[unsafe(no_mangle)]
pub extern "C" fn necid_last_error_status() -> necid_status_t {
    last(NECID_OK, |l| Some(l.status))
}

/// HTTP status of the response behind the last error, or 0 if there was no response
/// (argument errors, network failures, client timeouts).
#[unsafe(no_mangle)]
pub extern "C" fn necid_last_error_http_status() -> u16 {
    last(0, |l| Some(l.http_status))
}

/// The service's numeric `errorCode` of the last error (e.g. 2001 for NoFace).
/// Returns true and writes it to `*out_code` when the response carried one; returns false
/// (leaving `*out_code` untouched) otherwise or when `out_code` is NULL.
///
/// # Safety
/// `out_code` is NULL or points to writable memory for one `int64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_last_error_code(out_code: *mut i64) -> bool {
    match last(None, |l| Some(l.error_code)) {
        Some(code) if !out_code.is_null() => {
            // SAFETY: non-NULL and, per the contract, writable.
            unsafe { out_code.write(code) };
            true
        }
        _ => false,
    }
}

/// The service's `errorType` of the last error (e.g. "NoFace"), or NULL if absent.
/// Valid until the next fallible necid call on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn necid_last_error_type() -> *const c_char {
    last(std::ptr::null(), |l| {
        l.error_type.as_ref().map(|s| s.as_ptr())
    })
}

/// The request id of the response behind the last error (quote it in support tickets),
/// or NULL if absent. Valid until the next fallible necid call on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn necid_last_error_request_id() -> *const c_char {
    last(std::ptr::null(), |l| {
        l.request_id.as_ref().map(|s| s.as_ptr())
    })
}

/// For `NECID_ERR_INVALID_INPUT`: the argument or setting that was rejected (e.g.
/// "image", "subject_id", "endpoint"), or NULL. Valid until the next fallible necid call
/// on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn necid_last_error_field() -> *const c_char {
    last(std::ptr::null(), |l| l.field.as_ref().map(|s| s.as_ptr()))
}

/// What `get` reads from this thread's last error, or `fallback` (when the last call
/// succeeded, the value is absent, or reading it failed).
fn last<T>(fallback: T, get: impl FnOnce(&LastError) -> Option<T>) -> T {
    // `try_with`/`try_borrow`: during thread teardown the slot may already be gone.
    let read = || LAST_ERROR.try_with(|s| s.try_borrow().ok()?.as_ref().and_then(get));
    let value = catch_unwind(AssertUnwindSafe(read))
        .ok()
        .and_then(Result::ok);
    value.flatten().unwrap_or(fallback)
}

/// Stable name of a status code ("OK", "InvalidInput", "NotFound", ...); "Unknown" for a
/// value that is not a `necid_status_t`. The string is static.
#[unsafe(no_mangle)]
pub extern "C" fn necid_status_name(status: i32) -> *const c_char {
    guard_value(c"Unknown".as_ptr(), || {
        let known = necid_status_t::ALL
            .into_iter()
            .find(|s| *s as i32 == status);
        known.map_or(c"Unknown".as_ptr(), |s| s.name().as_ptr())
    })
}

#[cfg(test)]
#[path = "tests/error.rs"]
mod tests;
