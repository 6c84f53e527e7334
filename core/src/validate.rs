//! Checks made before any byte is sent. Each failure is `InvalidInput` naming the field.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::{Error, Result};

/// Everything but RFC 3986 unreserved characters is encoded in a path segment, so ids and
/// tag names (spaces, `/`, `?`, `%`, unicode) reach the server as one segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encode one path segment.
pub fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// Ids and names that go into a URL path: non-blank, not a dot segment (URL parsers would
/// collapse `.`/`..` and change the path), no control characters.
pub(crate) fn path_value(field: &str, v: &str) -> Result<()> {
    if v.trim().is_empty() {
        return Err(Error::invalid_input(field, "must not be empty"));
    }
    if v == "." || v == ".." {
        return Err(Error::invalid_input(field, "must not be `.` or `..`"));
    }
    if v.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Tag names: same as ids (they are path segments in the tag endpoints).
pub(crate) fn tag_name(field: &str, v: &str) -> Result<()> {
    path_value(field, v)
}

/// Every tag in a list.
pub(crate) fn tags(tags: &[String]) -> Result<()> {
    for (i, t) in tags.iter().enumerate() {
        tag_name(&format!("tags[{i}]"), t)?;
    }
    Ok(())
}

/// `lo <= v <= hi`.
pub(crate) fn range(field: &str, v: u32, lo: u32, hi: u32) -> Result<()> {
    if v < lo || v > hi {
        return Err(Error::invalid_input(
            field,
            format!("must be between {lo} and {hi}, got {v}"),
        ));
    }
    Ok(())
}

/// Search threshold 0–9999.
pub const THRESHOLD_MAX: u32 = 9999;
/// Search limit 1–50.
pub const SEARCH_LIMIT_MAX: u32 = 50;
/// Extract limit 1–20.
pub const EXTRACT_LIMIT_MAX: u32 = 20;
/// List subjects page length 1–1000.
pub const LIST_LENGTH_MAX: u32 = 1000;
/// List subjects page length when the caller gives none: the reference's default (1000).
pub const LIST_LENGTH_DEFAULT: u32 = 1000;

/// A quality score in 0.45–1.0 as the tenant API requires.
pub(crate) fn quality(field: &str, v: Option<f64>) -> Result<()> {
    if let Some(q) = v
        && !(0.45..=1.0).contains(&q)
    {
        return Err(Error::invalid_input(
            field,
            format!("must be between 0.45 and 1.0, got {q}"),
        ));
    }
    Ok(())
}
