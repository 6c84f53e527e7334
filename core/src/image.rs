//! Images as the SDK takes them: raw bytes, sniffed for a known format before sending.

use std::fmt;
use std::path::Path;

use bytes::Bytes;

use crate::error::{Error, Result};

/// The service's request limit (API Gateway: 10 MB).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// An image file's bytes (JPEG, PNG, GIF, BMP, WebP or TIFF). Cheap to clone.
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    bytes: Bytes,
}

/// Image formats recognised by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageFormat {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG.
    Png,
    /// GIF87a / GIF89a.
    Gif,
    /// Windows bitmap (`BM`).
    Bmp,
    /// WebP (`RIFF....WEBP`).
    WebP,
    /// TIFF, little- or big-endian.
    Tiff,
}

impl ImageFormat {
    /// Sniff the format from the first bytes.
    pub fn sniff(data: &[u8]) -> Option<ImageFormat> {
        if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageFormat::Jpeg)
        } else if data.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(ImageFormat::Png)
        } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
            Some(ImageFormat::Gif)
        } else if data.starts_with(b"BM") && data.len() >= 14 {
            Some(ImageFormat::Bmp)
        } else if data.len() >= 12 && data.starts_with(b"RIFF") && data.get(8..12) == Some(b"WEBP")
        {
            Some(ImageFormat::WebP)
        } else if data.starts_with(b"II*\0") || data.starts_with(b"MM\0*") {
            Some(ImageFormat::Tiff)
        } else {
            None
        }
    }

    /// MIME type.
    pub fn mime_type(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Gif => "image/gif",
            ImageFormat::Bmp => "image/bmp",
            ImageFormat::WebP => "image/webp",
            ImageFormat::Tiff => "image/tiff",
        }
    }
}

impl Image {
    /// Read an image file (blocking read; call before entering async code or accept the
    /// short block).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Image> {
        let path = path.as_ref();
        std::fs::read(path).map(Image::from).map_err(|e| {
            Error::invalid_input("image", format!("cannot read {}: {e}", path.display()))
                .with_source(e)
        })
    }

    /// The raw bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The bytes, for a request body to take over (see `body::JsonObjectWriter`).
    pub(crate) fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the image has no bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The sniffed format, if recognised.
    pub fn format(&self) -> Option<ImageFormat> {
        ImageFormat::sniff(&self.bytes)
    }

    /// Length of this image once base64-encoded (padded).
    pub fn base64_len(&self) -> usize {
        self.bytes.len().div_ceil(3).saturating_mul(4)
    }

    /// Check the image is non-empty and of a recognised format; `field` names the argument.
    pub(crate) fn validate(&self, field: &str) -> Result<()> {
        if self.bytes.is_empty() {
            return Err(Error::invalid_input(field, "image is empty"));
        }
        if self.format().is_none() {
            let head: Vec<String> = self
                .bytes
                .iter()
                .take(4)
                .map(|b| format!("{b:02x}"))
                .collect();
            return Err(Error::invalid_input(
                field,
                format!(
                    "not a recognised image (JPEG, PNG, GIF, BMP, WebP or TIFF); first bytes: {}",
                    head.join(" ")
                ),
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Image")
            .field("len", &self.bytes.len())
            .field("format", &self.format())
            .finish()
    }
}

impl From<Vec<u8>> for Image {
    fn from(v: Vec<u8>) -> Self {
        Image { bytes: v.into() }
    }
}
/// Copies the bytes into a buffer with room for their base64 request body: the request is
/// then built in that same buffer (the image's only copy becomes the body) when nothing
/// else holds the `Image`. The room is address space until the body is written into it.
impl From<&[u8]> for Image {
    fn from(v: &[u8]) -> Self {
        let mut buf = Vec::with_capacity(body_room(v.len()));
        buf.extend_from_slice(v);
        Image { bytes: buf.into() }
    }
}
impl<const N: usize> From<&[u8; N]> for Image {
    fn from(v: &[u8; N]) -> Self {
        Image::from(&v[..])
    }
}

/// Capacity for an image of `n` bytes to become its own request body: the base64 text plus
/// the JSON around it (field names, tags; a body needing more grows the buffer).
fn body_room(n: usize) -> usize {
    n.div_ceil(3).saturating_mul(4).saturating_add(256)
}
impl From<Bytes> for Image {
    fn from(bytes: Bytes) -> Self {
        Image { bytes }
    }
}
impl From<&Image> for Image {
    fn from(v: &Image) -> Self {
        v.clone()
    }
}
