//! The face engine seam: detection + template comparison behind one trait, so a real
//! face matcher (the `face-engine` crate) can replace the deterministic stand-in
//! without touching the HTTP layer or storage.

use image::{DynamicImage, GenericImageView, imageops::FilterType};

pub use crate::intake::DecodedImage;
use crate::intake::{ImagePolicy, IntakeError};

/// Decodes under the default intake policy (what `detect(&[u8])` of the built-in engines
/// does when called directly; the HTTP layer applies the configured policy instead).
pub(crate) fn decode_default(image: &[u8]) -> Result<DecodedImage, EngineError> {
    crate::intake::decode(image, &ImagePolicy::default()).map_err(EngineError::from)
}

impl From<IntakeError> for EngineError {
    fn from(e: IntakeError) -> Self {
        match e {
            IntakeError::Undecodable(why) => EngineError::InvalidImage(why),
            other => EngineError::InvalidImage(other.to_string()),
        }
    }
}

/// Face attributes in the service's vocabulary. Serialised by the HTTP layer with
/// every number as a JSON string, like the reference service.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceAttributes {
    /// Bounds of the face: (left, top, right, bottom) in pixels.
    pub face_area: [i64; 4],
    /// Bounds of the head: (left, top, right, bottom) in pixels.
    pub head_area: [i64; 4],
    /// Centre of the right eye (x, y).
    pub right_eye_center: [i64; 2],
    /// Centre of the left eye (x, y).
    pub left_eye_center: [i64; 2],
    /// Likeness to a face, 0..1.
    pub face_score: f64,
    /// Degree of frontal view, 0..1.
    pub frontal_face_score: f64,
    /// Overall quality estimate, 0..1 (compared with faceMinimumQualityScore).
    pub face_quality_score: f64,
    /// Roll angle in degrees.
    pub face_roll: f64,
    /// Pan angle in degrees.
    pub face_pan: f64,
    /// Tilt angle in degrees.
    pub face_tilt: f64,
}

/// One detected face: what the API reports plus the engine's opaque template.
#[derive(Debug, Clone)]
pub struct DetectedFace {
    /// Attributes reported to the client.
    pub attributes: FaceAttributes,
    /// Engine-specific template bytes; only ever compared by the engine that made them.
    pub template: Vec<u8>,
}

/// Why an engine could not process an image.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EngineError {
    /// The bytes are not an image the engine can decode (→ 400 InvalidRequest 1001).
    #[error("the image could not be decoded: {0}")]
    InvalidImage(String),
    /// The engine itself failed (→ 500).
    #[error("face engine failure: {0}")]
    Internal(String),
}

/// Scores of one probe against stored templates (see [`FaceEngine::scorer`]).
pub type Scorer<'a> = Box<dyn Fn(&[u8]) -> u32 + 'a>;

/// A face detector + matcher. Implementations must be cheap to share across threads.
pub trait FaceEngine: Send + Sync {
    /// Finds faces in encoded image bytes (JPEG, PNG, ...). An empty vector means no face.
    fn detect(&self, image: &[u8]) -> Result<Vec<DetectedFace>, EngineError>;
    /// Similarity of two templates made by this engine, 0..=9999 (9999 = identical).
    /// Must not panic on foreign or corrupt templates: return 0 instead.
    fn compare(&self, a: &[u8], b: &[u8]) -> u32;
    /// `compare(probe, t)` as a function of `t`, for scoring one probe against many stored
    /// templates (a search): an engine may decode the probe once. Same scores as `compare`.
    fn scorer<'a>(&'a self, probe: &'a [u8]) -> Scorer<'a> {
        Box::new(move |t| self.compare(probe, t))
    }
    /// Short engine name, reported by `/v1.1/health`.
    fn name(&self) -> &str;
    /// Whether the engine takes pictures the emulator decoded under its intake policy
    /// ([`FaceEngine::detect_decoded`]), so the policy's allocation limit covers the
    /// decoding too. Default `false`: the emulator checks the header against the policy
    /// and passes the encoded bytes to [`FaceEngine::detect`]. Both built-in engines
    /// take decoded pictures.
    fn takes_decoded(&self) -> bool {
        false
    }
    /// Finds faces in a picture the emulator decoded (called only when
    /// [`FaceEngine::takes_decoded`] is `true`).
    fn detect_decoded(&self, image: DecodedImage) -> Result<Vec<DetectedFace>, EngineError> {
        let _ = image;
        Err(EngineError::Internal(
            "this engine does not take decoded pictures".into(),
        ))
    }
    /// Whether scores mean "same person" (a real face matcher) rather than "same picture".
    fn is_face_matcher(&self) -> bool;
    /// Whether [`FaceEngine::detect_decoded`] applies the picture's EXIF orientation, so
    /// the coordinates it reports refer to the picture as displayed (the console's face
    /// crops follow). Default `false`: coordinates refer to the pixels as stored.
    fn applies_orientation(&self) -> bool {
        false
    }
}

/// Decodes (when the engine takes decoded pictures) and detects under `policy`. Blocking
/// work: the HTTP layer calls it on the blocking pool, holding a decode slot. The encoded
/// bytes are dropped as soon as the picture is decoded.
pub(crate) fn detect_under_policy(
    engine: &dyn FaceEngine,
    bytes: Vec<u8>,
    policy: &ImagePolicy,
) -> Result<Vec<DetectedFace>, EngineError> {
    if engine.takes_decoded() {
        let decoded = crate::intake::decode(&bytes, policy)?;
        drop(bytes);
        engine.detect_decoded(decoded)
    } else {
        crate::intake::inspect(&bytes, policy)?;
        engine.detect(&bytes)
    }
}

/// [`detect_under_policy`], also cutting out the largest face for the console when `crop`
/// is set and the engine takes decoded pictures (an engine that decodes by itself gets no
/// crop: a second decode would double the memory a slot may use).
pub(crate) fn detect_with_crop(
    engine: &dyn FaceEngine,
    bytes: Vec<u8>,
    policy: &ImagePolicy,
    crop: bool,
) -> Result<(Vec<DetectedFace>, Option<crate::crop::Crop>), EngineError> {
    if !crop || !engine.takes_decoded() {
        return Ok((detect_under_policy(engine, bytes, policy)?, None));
    }
    let decoded = crate::intake::decode(&bytes, policy)?;
    drop(bytes);
    let preview = crate::crop::Preview::of(&decoded, engine.applies_orientation());
    let faces = engine.detect_decoded(decoded)?;
    let area = |a: &FaceAttributes| {
        let [l, t, r, b] = a.face_area;
        (r - l).max(0).saturating_mul((b - t).max(0))
    };
    let crop = faces
        .iter()
        .max_by_key(|f| area(&f.attributes))
        .and_then(|f| preview.crop(&f.attributes));
    Ok((faces, crop))
}

/// Side of the grayscale thumbnail the deterministic engine compares.
const THUMB: u32 = 16;
/// Images smaller than this on either side have "no face" (too little to see).
const MIN_SIDE: u32 = 16;
/// A picture whose standard deviation of gray levels is below this is blank: "no face".
const MIN_CONTRAST: f32 = 2.0;
/// At most this many tiles are considered "faces" in one wide strip image.
const MAX_TILES: u32 = 64;
/// Template format marker, so a template from another engine never compares as similar.
const TEMPLATE_MAGIC: &[u8; 4] = b"DTM1";

/// A deterministic, non-biometric stand-in engine: it compares *pictures*, not people.
///
/// - The image is decoded with the `image` crate (JPEG, PNG, GIF, BMP, WebP, TIFF) under
///   the intake policy ([`crate::intake`]); undecodable or oversized pictures are
///   [`EngineError::InvalidImage`]. Pixels are compared as stored (EXIF orientation is
///   not applied).
/// - One "face" is the whole image. Convention for tests that need several faces: an
///   image at least twice as wide as it is tall is a strip of `width / height` square
///   tiles, each one face (at most 64).
/// - A face smaller than 16x16 pixels, or a blank (near-uniform) picture, has no face.
/// - The template is a 16x16 grayscale thumbnail, mean-removed and L2-normalised; the
///   score is the cosine similarity mapped onto 0..=9999, so the same or a re-encoded /
///   resized picture scores above 9000 and unrelated pictures score below 7000.
/// - Attributes are plausible values derived from the dimensions (face box centred,
///   eyes at 40% height); `faceQualityScore` grows with the face's smaller side
///   (0.40 at 16 px, 0.95 from 600 px), so tiny pictures fail a quality minimum.
#[derive(Debug, Default, Clone, Copy)]
pub struct DeterministicEngine;

impl DeterministicEngine {
    /// Creates the engine (stateless).
    pub fn new() -> Self {
        Self
    }

    fn face_from(&self, img: &DynamicImage, offset_x: u32) -> Option<DetectedFace> {
        let (w, h) = img.dimensions();
        if w < MIN_SIDE || h < MIN_SIDE {
            return None;
        }
        let thumb = img
            .resize_exact(THUMB, THUMB, FilterType::Triangle)
            .to_luma32f();
        let mut v: Vec<f32> = thumb.pixels().map(|p| p.0[0] * 255.0).collect();
        let n = v.len() as f32;
        let mean = v.iter().sum::<f32>() / n;
        v.iter_mut().for_each(|x| *x -= mean);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm / n.sqrt() < MIN_CONTRAST {
            return None;
        }
        v.iter_mut().for_each(|x| *x /= norm);
        let mut template = Vec::with_capacity(4 + v.len() * 4);
        template.extend_from_slice(TEMPLATE_MAGIC);
        for x in &v {
            template.extend_from_slice(&x.to_le_bytes());
        }
        Some(DetectedFace {
            attributes: attributes_for(offset_x, w, h, &v),
            template,
        })
    }
}

fn attributes_for(offset_x: u32, w: u32, h: u32, v: &[f32]) -> FaceAttributes {
    let (ox, w, h) = (i64::from(offset_x), i64::from(w), i64::from(h));
    let side = w.min(h);
    let face = side * 6 / 10;
    let (cx, cy) = (ox + w / 2, h / 2);
    let face_area = [cx - face / 2, cy - face / 2, cx + face / 2, cy + face / 2];
    let head = side * 8 / 10;
    let head_area = [
        cx - head / 2,
        cy - head * 6 / 10,
        cx + head / 2,
        cy + head * 4 / 10,
    ];
    let eye_y = face_area[1] + face * 4 / 10;
    let right_eye_center = [cx - face / 4, eye_y];
    let left_eye_center = [cx + face / 4, eye_y];
    // A stable pseudo-random wobble from the picture itself, for angles.
    let wobble = |i: usize| v.get(i).copied().unwrap_or(0.0) as f64 * 40.0;
    let quality = 0.40 + 0.55 * ((side as f64 - 16.0) / (600.0 - 16.0)).clamp(0.0, 1.0);
    FaceAttributes {
        face_area,
        head_area,
        right_eye_center,
        left_eye_center,
        face_score: 0.999,
        frontal_face_score: 0.6,
        face_quality_score: (quality * 1e6).round() / 1e6,
        face_roll: round3(wobble(17)),
        face_pan: round3(wobble(101)),
        face_tilt: round3(wobble(203)),
    }
}

fn round3(x: f64) -> f64 {
    (x.clamp(-45.0, 45.0) * 1000.0).round() / 1000.0
}

fn decode_template(t: &[u8]) -> Option<Vec<f32>> {
    let body = t.strip_prefix(TEMPLATE_MAGIC.as_slice())?;
    if body.len() != (THUMB * THUMB * 4) as usize {
        return None;
    }
    Some(
        body.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

impl FaceEngine for DeterministicEngine {
    /// Decodes under the default intake policy ([`crate::Limits::default`]) and detects.
    fn detect(&self, image: &[u8]) -> Result<Vec<DetectedFace>, EngineError> {
        self.detect_decoded(decode_default(image)?)
    }

    fn compare(&self, a: &[u8], b: &[u8]) -> u32 {
        let (Some(a), Some(b)) = (decode_template(a), decode_template(b)) else {
            return 0;
        };
        let cos: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        score_from_cosine(f64::from(cos))
    }

    fn name(&self) -> &str {
        "deterministic-thumbnail"
    }

    fn takes_decoded(&self) -> bool {
        true
    }

    fn detect_decoded(&self, decoded: DecodedImage) -> Result<Vec<DetectedFace>, EngineError> {
        let img = decoded.image;
        let (w, h) = img.dimensions();
        if h > 0 && w >= 2 * h {
            let tiles = (w / h).min(MAX_TILES);
            Ok((0..tiles)
                .filter_map(|i| self.face_from(&img.crop_imm(i * h, 0, h, h), i * h))
                .collect())
        } else {
            Ok(self.face_from(&img, 0).into_iter().collect())
        }
    }

    fn is_face_matcher(&self) -> bool {
        false
    }
}

/// Maps cosine similarity onto 0..=9999. Near-duplicates (cos ≥ 0.97) land above 9000;
/// different pictures — even two portraits, whose thumbnails correlate noticeably — stay
/// below 7000 (cos ≤ 0.9).
fn score_from_cosine(cos: f64) -> u32 {
    if !cos.is_finite() || cos <= 0.0 {
        return 0;
    }
    let s = cos.min(1.0).powi(SCORE_EXPONENT) * 9999.0;
    s.round().clamp(0.0, 9999.0) as u32
}

const SCORE_EXPONENT: i32 = 3;

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, RgbImage};
    use std::io::Cursor;

    fn pattern(seed: u32, w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let fx = x as f32 / w as f32;
            let fy = y as f32 / h as f32;
            let s = seed as f32;
            let v = |k: f32| (((fx * (3.0 + s) + fy * k + s).sin() * 0.5 + 0.5) * 255.0) as u8;
            image::Rgb([v(2.0), v(5.0 + s), v(1.0 + s * 0.5)])
        })
    }

    fn encode(img: &RgbImage, fmt: ImageFormat) -> Vec<u8> {
        let mut c = Cursor::new(Vec::new());
        img.write_to(&mut c, fmt).unwrap();
        c.into_inner()
    }

    fn template(e: &DeterministicEngine, bytes: &[u8]) -> Vec<u8> {
        let faces = e.detect(bytes).unwrap();
        assert_eq!(faces.len(), 1);
        faces.into_iter().next().unwrap().template
    }

    #[test]
    fn same_or_nearly_same_picture_scores_high_and_others_low() {
        let e = DeterministicEngine::new();
        let a = template(&e, &encode(&pattern(1, 300, 400), ImageFormat::Png));
        let a_small_jpeg = template(&e, &encode(&pattern(1, 120, 160), ImageFormat::Jpeg));
        let b = template(&e, &encode(&pattern(7, 300, 400), ImageFormat::Png));
        assert_eq!(e.compare(&a, &a), 9999);
        assert!(
            e.compare(&a, &a_small_jpeg) > 9000,
            "{}",
            e.compare(&a, &a_small_jpeg)
        );
        assert!(e.compare(&a, &b) < 7000, "{}", e.compare(&a, &b));
        assert_eq!(e.compare(&a, &b), e.compare(&b, &a));
    }

    #[test]
    fn foreign_or_corrupt_templates_score_zero() {
        let e = DeterministicEngine::new();
        let a = template(&e, &encode(&pattern(1, 64, 64), ImageFormat::Png));
        assert_eq!(e.compare(&a, b"garbage"), 0);
        assert_eq!(e.compare(&[], &a), 0);
        let mut truncated = a.clone();
        truncated.pop();
        assert_eq!(e.compare(&a, &truncated), 0);
    }

    #[test]
    fn no_face_in_blank_tiny_or_undecodable_input() {
        let e = DeterministicEngine::new();
        let blank = RgbImage::from_pixel(100, 100, image::Rgb([200, 200, 200]));
        assert!(
            e.detect(&encode(&blank, ImageFormat::Png))
                .unwrap()
                .is_empty()
        );
        assert!(
            e.detect(&encode(&pattern(1, 10, 10), ImageFormat::Png))
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            e.detect(b"nope"),
            Err(EngineError::InvalidImage(_))
        ));
        assert!(matches!(e.detect(&[]), Err(EngineError::InvalidImage(_))));
    }

    #[test]
    fn wide_strips_hold_one_face_per_square_tile() {
        let e = DeterministicEngine::new();
        let faces = e
            .detect(&encode(&pattern(3, 400, 100), ImageFormat::Png))
            .unwrap();
        assert_eq!(faces.len(), 4);
        for (i, f) in faces.iter().enumerate() {
            let [l, t, r, b] = f.attributes.face_area;
            assert!(l >= i as i64 * 100 && r <= (i as i64 + 1) * 100 && t >= 0 && b <= 100);
        }
        // not quite twice as wide: one face
        assert_eq!(
            e.detect(&encode(&pattern(3, 199, 100), ImageFormat::Png))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn attributes_are_plausible() {
        let e = DeterministicEngine::new();
        let f = e
            .detect(&encode(&pattern(2, 640, 480), ImageFormat::Png))
            .unwrap()
            .remove(0);
        let a = f.attributes;
        let [l, t, r, b] = a.face_area;
        assert!(0 <= l && l < r && r <= 640 && 0 <= t && t < b && b <= 480);
        let [hl, ht, hr, hb] = a.head_area;
        assert!(hl <= l && ht <= t && hr >= r && hb >= b);
        assert!(a.right_eye_center[0] < a.left_eye_center[0]);
        assert!((0.0..=1.0).contains(&a.face_quality_score));
        assert!(a.face_quality_score > 0.8);
        let small = e
            .detect(&encode(&pattern(2, 40, 40), ImageFormat::Png))
            .unwrap()
            .remove(0);
        assert!(small.attributes.face_quality_score < 0.45);
    }
}
