//! # necid-c — the C API of the NEC ID SDK
//!
//! A thin layer over the core crate's blocking facade: it converts C arguments and
//! results and maps errors to status codes, nothing else (validation, retries, parsing
//! and signing all live in the core). `include/necid.h` is generated from this crate by
//! cbindgen (`bindings/c/cbindgen.toml`).
//!
//! Conventions (see `bindings/c/README.md`):
//! - every fallible call returns a `necid_status_t` (`NECID_OK` = 0) and writes its result
//!   through an out-pointer, which is set to NULL on entry and stays NULL on failure;
//! - details of a failure are in thread-local storage (`necid_last_error_*`), valid until
//!   the next fallible call on the same thread;
//! - results are heap structs owned by the library, each freed by its own `necid_*_free`;
//!   strings inside them are never freed by the caller;
//! - NULL pointers, invalid UTF-8, zero-length images and out-of-range enum values are
//!   `NECID_ERR_INVALID_INPUT`, and a Rust panic is caught and reported as
//!   `NECID_ERR_INTERNAL`: nothing unwinds into C.
//! - a client is `Send + Sync`: share one between threads.

// The exported names are C names (`necid_client_t`, `NECID_OK`).
#![allow(non_camel_case_types)]
// Pointer contracts are documented per function and once for all in the header.
#![allow(clippy::missing_safety_doc)]
// The C API mirrors the REST operations' parameters one-to-one.
#![allow(clippy::too_many_arguments)]

mod call;
mod client;
mod error;
mod types;
mod util;

pub use call::*;
pub use client::*;
pub use error::*;
pub use types::*;

/// Version of the library ("0.1.0"); a static string.
#[unsafe(no_mangle)]
pub extern "C" fn necid_version() -> *const std::ffi::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
