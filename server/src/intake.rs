//! The image-intake policy: one set of rules for every picture the emulator decodes,
//! whichever engine then looks at it (request bodies and bulk-register files alike).
//!
//! 1. [`inspect`] reads only the header (format, width, height, colour type) and refuses,
//!    before a single pixel is decoded, a picture wider or taller than the limits, with
//!    more pixels than allowed, or whose decoded form would need more bytes than the
//!    decoder allocation limit. A 389 KB PNG declaring 20000x20000 pixels is refused in
//!    microseconds.
//! 2. [`decode`] decodes under the `image` crate's [`image::Limits`] (the same width,
//!    height and allocation limits), a second guard for formats whose frames may differ
//!    from what their header says.
//! 3. The HTTP layer runs the header check on the blocking pool and the decoding on a
//!    [`DecodePool`] of `maxConcurrentDecodes` threads (never on the async workers), so at
//!    most that many decoded pictures exist at once.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader};

use crate::config::Limits;

/// The limits [`inspect`] and [`decode`] apply (taken from [`Limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImagePolicy {
    /// Largest accepted width in pixels (as stored, before any EXIF rotation).
    pub max_width: u32,
    /// Largest accepted height in pixels.
    pub max_height: u32,
    /// Largest accepted width x height.
    pub max_pixels: u64,
    /// Largest decoded picture in bytes (width x height x bytes per pixel of the file's
    /// colour type), and the `image` crate's allocation limit while decoding.
    pub max_decode_bytes: u64,
}

impl Default for ImagePolicy {
    fn default() -> Self {
        Limits::default().image_policy()
    }
}

/// Why a picture was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    /// Not an image in a supported format, or corrupt.
    #[error("the image could not be decoded: {0}")]
    Undecodable(String),
    /// Over the width, height or pixel-count limit (read from the header).
    #[error(
        "the image is {width}x{height} pixels; at most {max_width}x{max_height} pixels and {max_pixels} pixels in all are accepted"
    )]
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The policy's largest width.
        max_width: u32,
        /// The policy's largest height.
        max_height: u32,
        /// The policy's largest pixel count.
        max_pixels: u64,
    },
    /// Decoding would need more memory than the allocation limit.
    #[error(
        "the image ({width}x{height} pixels) needs {needed} bytes decoded; at most {limit} bytes are allowed"
    )]
    TooMuchMemory {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// Bytes the decoded picture needs.
        needed: u64,
        /// The allocation limit.
        limit: u64,
    },
}

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes of the decoded picture in the file's own colour type.
    pub decoded_bytes: u64,
}

/// A picture decoded under the policy, with the EXIF orientation a viewer would apply
/// (engines that report coordinates as displayed apply it; the deterministic engine
/// compares the pixels as stored).
#[derive(Debug, Clone)]
pub struct DecodedImage {
    /// The pixels, as stored in the file.
    pub image: DynamicImage,
    /// The file's EXIF orientation (`NoTransforms` when absent or unreadable).
    pub orientation: Orientation,
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, IntakeError> {
    if bytes.is_empty() {
        return Err(IntakeError::Undecodable("empty input".into()));
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| IntakeError::Undecodable(e.to_string()))?;
    if reader.format().is_none() {
        return Err(IntakeError::Undecodable("unrecognised image format".into()));
    }
    Ok(reader)
}

fn image_limits(policy: &ImagePolicy, header_only: bool) -> image::Limits {
    let mut limits = image::Limits::default();
    if !header_only {
        // Strict in the `image` crate: a frame over these fails instead of decoding.
        limits.max_image_width = Some(policy.max_width);
        limits.max_image_height = Some(policy.max_height);
    }
    // Header parsing allocates little; bound it all the same.
    limits.max_alloc = Some(policy.max_decode_bytes);
    limits
}

fn check(policy: &ImagePolicy, decoder: &impl ImageDecoder) -> Result<Header, IntakeError> {
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if width > policy.max_width || height > policy.max_height || pixels > policy.max_pixels {
        return Err(IntakeError::TooLarge {
            width,
            height,
            max_width: policy.max_width,
            max_height: policy.max_height,
            max_pixels: policy.max_pixels,
        });
    }
    if width == 0 || height == 0 {
        return Err(IntakeError::Undecodable("the image has no pixels".into()));
    }
    let needed = decoder.total_bytes();
    if needed > policy.max_decode_bytes {
        return Err(IntakeError::TooMuchMemory {
            width,
            height,
            needed,
            limit: policy.max_decode_bytes,
        });
    }
    Ok(Header {
        width,
        height,
        decoded_bytes: needed,
    })
}

/// Reads the header only and applies the policy. Cheap (no pixel is decoded), but it
/// parses untrusted bytes: call it on the blocking pool.
pub fn inspect(bytes: &[u8], policy: &ImagePolicy) -> Result<Header, IntakeError> {
    let mut reader = reader(bytes)?;
    reader.limits(image_limits(policy, true));
    let decoder = reader.into_decoder().map_err(map_image_error)?;
    check(policy, &decoder)
}

/// Checks the header, then decodes under the `image` crate's limits. Blocking work.
pub fn decode(bytes: &[u8], policy: &ImagePolicy) -> Result<DecodedImage, IntakeError> {
    let mut reader = reader(bytes)?;
    reader.limits(image_limits(policy, true));
    let mut decoder = reader.into_decoder().map_err(map_image_error)?;
    check(policy, &decoder)?;
    decoder
        .set_limits(image_limits(policy, false))
        .map_err(map_image_error)?;
    // A malformed EXIF block is not worth refusing the picture for.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(map_image_error)?;
    Ok(DecodedImage { image, orientation })
}

fn map_image_error(e: image::ImageError) -> IntakeError {
    match e {
        image::ImageError::Limits(l) => {
            IntakeError::Undecodable(format!("over the decoder's limits ({l})"))
        }
        other => IntakeError::Undecodable(other.to_string()),
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// Niceness of the pool threads: CPU-heavy work on untrusted input (decoding, detection,
/// hashing and parsing large bodies) yields to the async workers (nice 0), so `/health`
/// and small requests stay fast while every thread is busy.
#[cfg(target_os = "linux")]
const DECODE_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority (Linux: per-thread nice; elsewhere a
/// no-op). Failure only costs latency, so it is logged, not fatal.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) =
        rustix::process::setpriority_process(Some(rustix::thread::gettid()), DECODE_NICE)
    {
        tracing::debug!("decode thread keeps its priority: {e}");
    }
}

/// A pool of `n` low-priority threads of its own, fed in arrival order from one queue.
/// As the decode slots (`necid-decode-*`): they decode (and detect). At most `n` decoded pictures exist at once, and — unlike
/// on a general blocking pool, where each of many threads keeps its own malloc arena —
/// the memory their large buffers leave behind is bounded by `n` arenas too.
///
/// The threads end when the pool is dropped (with the server's state).
pub(crate) struct DecodePool {
    tx: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
}

/// The pool is gone (the server is stopping).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolClosed;

impl DecodePool {
    /// Starts `threads` decode threads (at least 1).
    pub(crate) fn new(name: &str, threads: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        // A panicking engine fails its own request (its result sender is
                        // dropped), never the slot.
                        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                            tracing::error!("a decode job panicked");
                        }
                    }
                })?;
        }
        Ok(Self {
            tx: std::sync::Mutex::new(tx),
        })
    }

    fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<tokio::sync::oneshot::Receiver<T>, PoolClosed> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.tx
            .lock()
            .map_err(|_| PoolClosed)?
            .send(job)
            .map_err(|_| PoolClosed)?;
        Ok(rx)
    }

    /// Runs `f` on a decode thread once one is free (waiting in arrival order).
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolClosed> {
        self.submit(f)?.await.map_err(|_| PoolClosed)
    }

    /// [`DecodePool::run`] for callers on a blocking thread (bulk jobs).
    pub(crate) fn run_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolClosed> {
        self.submit(f)?.blocking_recv().map_err(|_| PoolClosed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, RgbImage};

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut c = Cursor::new(Vec::new());
        RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 3]))
            .write_to(&mut c, ImageFormat::Png)
            .unwrap();
        c.into_inner()
    }

    fn policy(w: u32, h: u32, px: u64, bytes: u64) -> ImagePolicy {
        ImagePolicy {
            max_width: w,
            max_height: h,
            max_pixels: px,
            max_decode_bytes: bytes,
        }
    }

    #[test]
    fn header_limits_apply_before_decoding() {
        let bytes = png(40, 30);
        let open = policy(100, 100, 10_000, 1 << 20);
        let h = inspect(&bytes, &open).unwrap();
        assert_eq!((h.width, h.height, h.decoded_bytes), (40, 30, 3600));
        assert_eq!(decode(&bytes, &open).unwrap().image.width(), 40);
        for (p, what) in [
            (policy(39, 100, 10_000, 1 << 20), "width"),
            (policy(100, 29, 10_000, 1 << 20), "height"),
            (policy(100, 100, 1199, 1 << 20), "pixels"),
        ] {
            let e = inspect(&bytes, &p).unwrap_err();
            assert!(matches!(e, IntakeError::TooLarge { .. }), "{what}: {e}");
            assert_eq!(decode(&bytes, &p).unwrap_err(), e, "{what}");
        }
        let e = inspect(&bytes, &policy(100, 100, 10_000, 3599)).unwrap_err();
        assert!(
            matches!(
                e,
                IntakeError::TooMuchMemory {
                    needed: 3600,
                    limit: 3599,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn header_check_reads_no_pixel_data() {
        // A valid header followed by garbage instead of pixel data: the header check
        // still answers (a decoder would fail on the data).
        let mut bytes = png(40, 30);
        let idat = bytes.windows(4).position(|w| w == b"IDAT").unwrap();
        for b in &mut bytes[idat + 4..idat + 40] {
            *b = 0x5A;
        }
        assert!(inspect(&bytes, &ImagePolicy::default()).is_ok());
        assert!(matches!(
            decode(&bytes, &ImagePolicy::default()),
            Err(IntakeError::Undecodable(_))
        ));
    }

    #[test]
    fn undecodable_input_is_typed() {
        for bad in [&b""[..], b"nope", b"\x89PNG\r\n\x1a\n"] {
            assert!(matches!(
                inspect(bad, &ImagePolicy::default()),
                Err(IntakeError::Undecodable(_))
            ));
        }
    }
}
