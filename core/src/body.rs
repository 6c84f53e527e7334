//! Request bodies written by hand so each image is base64-encoded exactly once, straight
//! into the final JSON buffer (no intermediate base64 `String`, no re-serialisation).

use base64::Engine as _;
use bytes::Bytes;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::image::{Image, MAX_BODY_BYTES};

/// A request body ready to send: the bytes (shared by every retry) and their SHA-256.
#[derive(Clone)]
pub(crate) struct Body {
    pub(crate) bytes: Bytes,
    pub(crate) sha256_hex: String,
}

impl Body {
    pub(crate) fn new(bytes: Bytes) -> Body {
        let sha256_hex = crate::signing::lower_hex(&Sha256::digest(&bytes));
        Body { bytes, sha256_hex }
    }

    pub(crate) fn json(value: &impl Serialize) -> Result<Body> {
        let v = serde_json::to_vec(value)
            .map_err(|e| Error::invalid_input("body", format!("cannot serialise request: {e}")))?;
        Ok(Body::new(v.into()))
    }
}

/// SHA-256 of the empty body.
pub(crate) const EMPTY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Builds `{"a":...,"b":...}` field by field.
pub(crate) struct JsonObjectWriter {
    buf: Vec<u8>,
    first: bool,
}

impl JsonObjectWriter {
    /// `capacity` should include every image's base64 length so the buffer never regrows.
    pub(crate) fn with_capacity(capacity: usize) -> JsonObjectWriter {
        let mut buf = Vec::with_capacity(capacity);
        buf.push(b'{');
        JsonObjectWriter { buf, first: true }
    }

    fn key(&mut self, name: &str) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.buf.push(b'"');
        // Field names are our own ASCII constants; no escaping needed.
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    /// A body whose first field is the image `name`, built in the image's own buffer when
    /// this is the only handle to it (`Image::from(&[u8])`, or a `Vec` the caller gave away):
    /// the base64 text is written over the raw bytes, so the request never holds the image
    /// and its encoding at once. Otherwise (the bytes are shared, e.g. Python's zero-copy
    /// `bytes`, or a clone the caller keeps) as [`with_capacity`](Self::with_capacity) +
    /// [`image`](Self::image). `capacity` as for `with_capacity`.
    pub(crate) fn with_image_first(name: &str, image: Image, capacity: usize) -> JsonObjectWriter {
        let bytes = match image.into_bytes().try_into_mut() {
            Ok(unique) => Vec::from(unique),
            Err(shared) => {
                let mut w = JsonObjectWriter::with_capacity(capacity);
                w.image(name, &Image::from(shared));
                return w;
            }
        };
        let mut buf = bytes;
        let n = buf.len();
        // `{"name":"` then the base64 text.
        let prefix = name.len() + 5;
        let encoded = n.div_ceil(3).saturating_mul(4);
        buf.reserve_exact(capacity.max(prefix + encoded + 1).saturating_sub(n));
        buf.resize(prefix + encoded, 0);
        encode_in_place(&mut buf, n, prefix);
        if let Some(head) = buf.get_mut(..prefix) {
            head[0] = b'{';
            head[1] = b'"';
            head[2..2 + name.len()].copy_from_slice(name.as_bytes());
            head[prefix - 3..].copy_from_slice(b"\":\"");
        }
        buf.push(b'"');
        JsonObjectWriter { buf, first: false }
    }

    /// A base64 string field, encoded in place.
    pub(crate) fn image(&mut self, name: &str, image: &Image) {
        self.key(name);
        self.buf.push(b'"');
        let start = self.buf.len();
        let len = image.base64_len();
        self.buf.resize(start + len, 0);
        if let Some(dst) = self.buf.get_mut(start..) {
            // encode_slice cannot fail: the slice is exactly the padded output length.
            let written = base64::engine::general_purpose::STANDARD
                .encode_slice(image.bytes(), dst)
                .unwrap_or(0);
            self.buf.truncate(start + written);
        }
        self.buf.push(b'"');
    }

    /// Any serialisable value (strings, numbers, arrays of tags).
    pub(crate) fn value(&mut self, name: &str, value: &impl Serialize) -> Result<()> {
        self.key(name);
        serde_json::to_writer(&mut self.buf, value)
            .map_err(|e| Error::invalid_input(name, format!("cannot serialise request field: {e}")))
    }

    pub(crate) fn finish(mut self) -> Body {
        self.buf.push(b'}');
        Body::new(self.buf.into())
    }
}

/// Base64-encodes `buf[..n]` into `buf[shift..shift + 4 * ceil(n / 3)]` (`buf` already that
/// long), last group first: the output of input bytes `i..` starts at `shift + i / 3 * 4 >= i`,
/// so writing it never overwrites input not read yet (each chunk is read into a stack buffer
/// before its output is written).
fn encode_in_place(buf: &mut [u8], n: usize, shift: usize) {
    use base64::engine::general_purpose::STANDARD;
    const GROUPS: usize = 1024;
    let mut chunk = [0u8; 3 * GROUPS];
    let full = n / 3;
    // The last, partial group (with padding) first.
    if !n.is_multiple_of(3) {
        let tail = n - full * 3;
        chunk[..tail].copy_from_slice(&buf[full * 3..n]);
        let at = shift + full * 4;
        let _ = STANDARD.encode_slice(&chunk[..tail], &mut buf[at..at + 4]);
    }
    let mut end = full;
    while end > 0 {
        let start = end.saturating_sub(GROUPS);
        let len = (end - start) * 3;
        chunk[..len].copy_from_slice(&buf[start * 3..end * 3]);
        // Cannot fail: the output slice is exactly 4 bytes per 3 input bytes.
        let _ = STANDARD.encode_slice(&chunk[..len], &mut buf[shift + start * 4..shift + end * 4]);
        end = start;
    }
}

/// Bytes of JSON around the images, generous upper bound for the size check.
fn overhead(extra: usize) -> usize {
    64 + extra
}

/// Check the images fit the service's request limit once base64-encoded in JSON, and
/// return the buffer capacity to allocate.
pub(crate) fn check_size(images: &[(&str, &Image)], other_json_bytes: usize) -> Result<usize> {
    let total = images
        .iter()
        .map(|(_, i)| i.base64_len())
        .fold(overhead(other_json_bytes), usize::saturating_add);
    if total > MAX_BODY_BYTES {
        let field = images
            .iter()
            .max_by_key(|(_, i)| i.len())
            .map(|(f, _)| *f)
            .unwrap_or("image");
        let raw: usize = images.iter().map(|(_, i)| i.len()).sum();
        return Err(Error::invalid_input(
            field,
            format!(
                "images total {raw} bytes; base64-encoded the request body would be about {total} \
                 bytes, over the service's {MAX_BODY_BYTES}-byte limit (keep images under ~7.5 MB)"
            ),
        ));
    }
    Ok(total)
}

/// Serialised length of a value (for the size check).
pub(crate) fn json_len(value: &impl Serialize) -> usize {
    serde_json::to_vec(value).map(|v| v.len()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_encoded_in_place_matches_serde() {
        for len in [1usize, 2, 3, 4, 5, 100, 1001] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
            let image = Image::from(bytes.clone());
            let tags = vec!["a b".to_owned(), "ü\"".to_owned()];
            let cap = check_size(&[("face", &image)], json_len(&tags)).unwrap();
            let mut w = JsonObjectWriter::with_capacity(cap);
            let start = w.buf.as_ptr();
            w.image("face", &image);
            w.value("tags", &tags).unwrap();
            assert_eq!(
                w.buf.as_ptr(),
                start,
                "the body buffer was never reallocated"
            );
            let body = w.finish();
            assert!(body.bytes.len() <= cap, "capacity bound holds");
            let v: serde_json::Value = serde_json::from_slice(&body.bytes).unwrap();
            assert_eq!(
                v,
                serde_json::json!({
                    "face": base64::engine::general_purpose::STANDARD.encode(&bytes),
                    "tags": tags,
                })
            );
            assert_eq!(body.sha256_hex, crate::signing::sha256_hex(&body.bytes));
        }
    }

    #[test]
    fn image_first_is_encoded_in_its_own_buffer() {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        // Around the 3-byte groups and the 3072-byte chunks of `encode_in_place`.
        for len in [
            1usize, 2, 3, 4, 5, 6, 100, 1001, 3071, 3072, 3073, 3074, 9216, 100_003,
        ] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 131 % 251) as u8).collect();
            let tags = vec!["x".to_owned(); 3];
            let expect = serde_json::json!({ "face": b64(&bytes), "tags": tags });

            // Copied from a slice: built in the image's buffer, never reallocated.
            let image = Image::from(&bytes[..]);
            let start = image.bytes().as_ptr();
            let cap = check_size(&[("face", &image)], json_len(&tags)).unwrap();
            let mut w = JsonObjectWriter::with_image_first("face", image, cap);
            w.value("tags", &tags).unwrap();
            assert_eq!(w.buf.as_ptr(), start, "len {len}: the image's own buffer");
            let body = w.finish();
            let v: serde_json::Value = serde_json::from_slice(&body.bytes).unwrap();
            assert_eq!(v, expect, "len {len}");
            assert_eq!(body.sha256_hex, crate::signing::sha256_hex(&body.bytes));

            // An exact-size Vec given away: the same body (its buffer grows first).
            let image = Image::from(bytes.clone());
            let mut w = JsonObjectWriter::with_image_first("face", image, cap);
            w.value("tags", &tags).unwrap();
            assert_eq!(w.finish().bytes, body.bytes, "len {len}");

            // Shared bytes (the caller keeps a clone): encoded into a new buffer, the
            // caller's bytes untouched.
            let image = Image::from(bytes.clone());
            let kept = image.clone();
            let mut w = JsonObjectWriter::with_image_first("face", image, cap);
            w.value("tags", &tags).unwrap();
            assert_eq!(w.finish().bytes, body.bytes, "len {len}");
            assert_eq!(kept.bytes().as_ref(), &bytes[..]);
        }
    }

    #[test]
    fn size_limit() {
        let just_fits = Image::from(vec![0u8; (MAX_BODY_BYTES - 200) / 4 * 3]);
        assert!(check_size(&[("face", &just_fits)], 0).is_ok());
        let too_big = Image::from(vec![0u8; MAX_BODY_BYTES / 4 * 3 + 10]);
        let e = check_size(&[("face", &too_big)], 0).unwrap_err();
        assert_eq!(e.field(), Some("face"));
        let half = Image::from(vec![0u8; MAX_BODY_BYTES / 8 * 3 + 10]);
        let e = check_size(&[("face", &half), ("probe", &half)], 0).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
    }

    #[test]
    fn empty_hash_constant() {
        assert_eq!(EMPTY_SHA256, crate::signing::sha256_hex(b""));
    }
}
