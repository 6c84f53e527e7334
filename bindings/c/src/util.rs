//! Conversions at the boundary: C arguments in (checked: NULL, UTF-8, lengths) and
//! library-owned strings and arrays out.

use std::ffi::{CStr, CString, c_char};

use necid::{Error, Result};

/// A C string from Rust text. Text from the service could in theory hold NUL bytes, which
/// a C string cannot: they become U+FFFD instead of truncating the value silently.
pub(crate) fn sanitized_cstring(s: &str) -> CString {
    CString::new(s).unwrap_or_else(|_| {
        let cleaned = s.replace('\0', "\u{FFFD}");
        // No NUL is left, so this cannot fail; an empty string is the defensive fallback.
        CString::new(cleaned).unwrap_or_default()
    })
}

/// A library-owned C string (freed by [`free_str`]).
pub(crate) fn out_str(s: &str) -> *const c_char {
    sanitized_cstring(s).into_raw()
}

/// A library-owned C string, or NULL for `None`.
pub(crate) fn out_opt_str(s: Option<&str>) -> *const c_char {
    s.map_or(std::ptr::null(), out_str)
}

/// Frees a string made by [`out_str`] (NULL is a no-op).
///
/// # Safety
/// `p` is NULL or came from [`out_str`] and was not freed before.
pub(crate) unsafe fn free_str(p: *const c_char) {
    if !p.is_null() {
        // SAFETY: per the contract, `p` came from `CString::into_raw`.
        drop(unsafe { CString::from_raw(p.cast_mut()) });
    }
}

/// A library-owned array: NULL with count 0 when empty.
pub(crate) fn out_array<T>(v: Vec<T>) -> (*const T, usize) {
    if v.is_empty() {
        return (std::ptr::null(), 0);
    }
    let b = v.into_boxed_slice();
    let len = b.len();
    (Box::into_raw(b).cast::<T>().cast_const(), len)
}

/// Frees an array made by [`out_array`], dropping its elements.
///
/// # Safety
/// `(p, len)` came from [`out_array`] and was not freed before (or `p` is NULL).
pub(crate) unsafe fn free_array<T>(p: *const T, len: usize) {
    if !p.is_null() {
        let slice = std::ptr::slice_from_raw_parts_mut(p.cast_mut(), len);
        // SAFETY: per the contract, this is the boxed slice `out_array` leaked.
        drop(unsafe { Box::from_raw(slice) });
    }
}

/// Boxes a result for an out-pointer.
pub(crate) fn out_box<T>(v: T) -> *mut T {
    Box::into_raw(Box::new(v))
}

/// Frees a box made by [`out_box`] (NULL is a no-op).
///
/// # Safety
/// `p` is NULL or came from [`out_box`] and was not freed before.
pub(crate) unsafe fn free_box<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: per the contract, `p` came from `Box::into_raw`.
        drop(unsafe { Box::from_raw(p) });
    }
}

// ---------------------------------------------------------------------------------------
// Arguments

/// A required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid for the duration of the call.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, name: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(Error::invalid_input(name, "is NULL"));
    }
    // SAFETY: non-NULL and NUL-terminated per the contract.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| Error::invalid_input(name, "is not valid UTF-8"))
}

/// An optional string argument: NULL means "not given".
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn arg_opt_str<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { arg_str(p, name) }.map(Some)
    }
}

/// A `(pointer, length)` byte buffer; NULL is an error unless `allow_null_empty` and the
/// length is 0. A zero length with a valid pointer is passed through (the core rejects an
/// empty image with its own message).
///
/// # Safety
/// `p` is NULL or valid for reads of `len` bytes for the duration of the call.
pub(crate) unsafe fn arg_bytes<'a>(
    p: *const u8,
    len: usize,
    name: &str,
    allow_null_empty: bool,
) -> Result<&'a [u8]> {
    if p.is_null() {
        if allow_null_empty && len == 0 {
            return Ok(&[]);
        }
        return Err(Error::invalid_input(name, "is NULL"));
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid_input(name, "length is out of range"));
    }
    // SAFETY: non-NULL, `len` readable bytes per the contract, len ≤ isize::MAX.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// An image argument (`const uint8_t *data, size_t len`).
///
/// # Safety
/// As [`arg_bytes`].
pub(crate) unsafe fn arg_image(p: *const u8, len: usize, name: &str) -> Result<necid::Image> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { arg_bytes(p, len, name, false)? };
    if bytes.is_empty() {
        return Err(Error::invalid_input(name, "image is empty (length 0)"));
    }
    Ok(necid::Image::from(bytes))
}

/// An argument that may be absent: NULL with length 0 is none (an image not given, tags
/// not sent); otherwise what `arg` makes of the pointer and length (a non-NULL pointer
/// with 0 strings is an empty list, sent).
///
/// # Safety
/// As `arg`.
pub(crate) unsafe fn arg_opt<P, T>(
    p: *const P,
    len: usize,
    name: &str,
    arg: unsafe fn(*const P, usize, &str) -> Result<T>,
) -> Result<Option<T>> {
    // SAFETY: forwarded contract.
    (!p.is_null() || len != 0)
        .then(|| unsafe { arg(p, len, name) })
        .transpose()
}

/// An array of `count` strings (`const char *const *`); NULL is fine when `count` is 0.
///
/// # Safety
/// `p` is NULL or valid for reads of `count` pointers, each NULL or a NUL-terminated string.
pub(crate) unsafe fn arg_str_array(
    p: *const *const c_char,
    count: usize,
    name: &str,
) -> Result<Vec<String>> {
    // SAFETY: forwarded contract.
    unsafe { arg_each(p, count, name, |s, item| Ok(arg_str(*s, item)?.to_owned())) }
}

/// `count` C structs (NULL is fine when `count` is 0), each converted by `f` with its
/// name in errors (`name[i]`).
///
/// # Safety
/// `p` is NULL or valid for reads of `count` values of `T`; `f` is safe to call on each.
pub(crate) unsafe fn arg_each<T, R>(
    p: *const T,
    count: usize,
    name: &str,
    f: impl Fn(&T, &str) -> Result<R>,
) -> Result<Vec<R>> {
    // SAFETY: per the contract.
    let items = unsafe { arg_slice(p, count, name)? };
    (items.iter().enumerate())
        .map(|(i, item)| f(item, &format!("{name}[{i}]")))
        .collect()
}

/// A slice of `count` C structs; NULL is fine when `count` is 0.
///
/// # Safety
/// `p` is NULL or valid for reads of `count` values of `T`.
pub(crate) unsafe fn arg_slice<'a, T>(p: *const T, count: usize, name: &str) -> Result<&'a [T]> {
    if count == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::invalid_input(
            name,
            format!("is NULL but its count is {count}"),
        ));
    }
    if count > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(Error::invalid_input(name, "count is out of range"));
    }
    // SAFETY: per the contract.
    Ok(unsafe { std::slice::from_raw_parts(p, count) })
}

/// Checks an out-pointer and sets `*out = NULL`, so callers see NULL on every failure.
///
/// # Safety
/// `out` is NULL or valid for writing one pointer.
pub(crate) unsafe fn out_slot<'a, T>(out: *mut *mut T, name: &str) -> Result<&'a mut *mut T> {
    if out.is_null() {
        return Err(Error::invalid_input(name, "is NULL"));
    }
    // SAFETY: non-NULL and writable per the contract.
    let slot = unsafe { &mut *out };
    *slot = std::ptr::null_mut();
    Ok(slot)
}

/// A required pointer to a caller's struct.
///
/// # Safety
/// `p` is NULL or points to a valid `T` for the duration of the call.
pub(crate) unsafe fn arg_ref<'a, T>(p: *const T, name: &str) -> Result<&'a T> {
    // SAFETY: per the contract.
    unsafe { p.as_ref() }.ok_or_else(|| Error::invalid_input(name, "is NULL"))
}

#[cfg(test)]
#[path = "tests/util.rs"]
mod tests;
