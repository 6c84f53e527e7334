//! `necid-face-engine`: an offline, pure-Rust face engine for the necid emulator.
//!
//! * detection: SeetaFace frontal cascade via `rustface` 0.1.7;
//! * 68 landmarks and a 128-d descriptor: the `@vladmandic/face-api` 1.7.15 networks
//!   (dlib's ResNet for the descriptor), re-implemented here in plain Rust;
//! * every API face attribute derived from those (heuristics, see the README);
//! * a match score 0–9999 as a fixed monotone function of descriptor distance.
//!
//! All weights are embedded at build time after a sha256 check (see `build.rs`);
//! nothing is read from disk or the network at run time.
//!
//! ```no_run
//! # fn main() -> Result<(), necid_face_engine::EngineError> {
//! let engine = necid_face_engine::FaceEngine::new()?;
//! let a = engine.detect(&std::fs::read("a.jpg").unwrap_or_default(), 1)?;
//! let b = engine.detect(&std::fs::read("b.jpg").unwrap_or_default(), 1)?;
//! if let (Some(a), Some(b)) = (a.first(), b.first()) {
//!     println!("score {}", necid_face_engine::score(&a.descriptor, &b.descriptor));
//! }
//! # Ok(()) }
//! ```

mod imaging;
mod nets;
mod nn;
mod weights;

use image::RgbImage;
use imaging::Similarity;
use nets::{DESCRIPTOR_INPUT, DescriptorNet, LANDMARK_INPUT, LandmarkNet};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Length of a face descriptor.
pub const DESCRIPTOR_LEN: usize = 128;
/// Upper bound on the faces one image yields (the API's limit).
pub const MAX_FACES: usize = 20;
/// Descriptor distance that maps to score [`DEFAULT_THRESHOLD`]: the engine's
/// same-person boundary (dlib's usual boundary is 0.6; 0.5 is stricter, ~0.3 % false
/// matches on modern photos, see the README).
pub const BOUNDARY_DISTANCE: f32 = 0.5;
/// The API's default match threshold.
pub const DEFAULT_THRESHOLD: u32 = 7000;

/// Directory of the `rustface` crate's sources found by the build (holds its
/// bundled `test.png`); empty if the model came from an override.
#[doc(hidden)]
pub const RUSTFACE_SRC_DIR: &str = env!("NECID_RUSTFACE_SRC_DIR");

static SEETA_MODEL: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/seeta_fd_frontal_v1.0.bin"));
static LANDMARK_MANIFEST: &[u8] = include_bytes!(concat!(
    env!("OUT_DIR"),
    "/face_landmark_68_model-weights_manifest.json"
));
static LANDMARK_BIN: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/face_landmark_68_model.bin"));
static DESCRIPTOR_MANIFEST: &[u8] = include_bytes!(concat!(
    env!("OUT_DIR"),
    "/face_recognition_model-weights_manifest.json"
));
static DESCRIPTOR_BIN: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/face_recognition_model.bin"));

/// Why the engine could not process a request.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The bytes are not a decodable image (unknown format, truncated, corrupt,
    /// larger than 10000 px a side, ...).
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// The embedded weights could not be parsed (cannot happen with a verified build).
    #[error("face model error: {0}")]
    Model(String),
    /// An unexpected internal failure (e.g. a panic inside a dependency, caught).
    #[error("face engine internal error: {0}")]
    Internal(String),
}

/// A point in pixel coordinates of the (EXIF-oriented) input image.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

/// An axis-aligned box in pixel coordinates of the (EXIF-oriented) input image.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Area {
    pub left: f32,
    pub top: f32,
    pub right: f32,
    pub bottom: f32,
}

impl Area {
    pub fn width(&self) -> f32 {
        self.right - self.left
    }
    pub fn height(&self) -> f32 {
        self.bottom - self.top
    }
}

/// One detected face with the API's attributes and its descriptor.
///
/// Coordinates refer to the image as displayed, i.e. after its EXIF orientation
/// has been applied. Angles are in degrees.
#[derive(Clone, Debug, PartialEq)]
pub struct Face {
    /// The face box: square, from the landmarks, in the proportions of the API's
    /// example (eyes about a quarter from the top, mouth inside), clipped to the image.
    pub face_area: Area,
    /// A fixed expansion of `face_area` (more above, for hair), clipped to the image.
    pub head_area: Area,
    /// The detector's own (larger, coarser) box, clipped to the image.
    pub detection_area: Area,
    /// Centre of the subject's right eye (on the image's left), from the landmarks.
    pub right_eye_center: Point,
    /// Centre of the subject's left eye (on the image's right).
    pub left_eye_center: Point,
    /// Detector confidence mapped monotonically to 0..1.
    pub face_score: f32,
    /// 1 for a face looking straight at the camera, falling with |pan| and |tilt|.
    pub frontal_face_score: f32,
    /// 0..1 blend of sharpness, size (eye distance), exposure and frontality.
    pub face_quality_score: f32,
    /// Angle of the eye line; positive when the subject's left eye is higher.
    pub roll: f32,
    /// Yaw estimate; positive when the face turns towards the image's right.
    pub pan: f32,
    /// Pitch estimate; positive when the face looks up.
    pub tilt: f32,
    /// Raw SeetaFace cascade score (≥ 3 for every returned face).
    pub detector_score: f32,
    /// The 68 landmarks (iBUG 300-W order).
    pub landmarks: Vec<Point>,
    /// The 128-d descriptor of the eye-aligned face; compare with [`distance`]/[`score`].
    pub descriptor: [f32; DESCRIPTOR_LEN],
}

/// A raw detector hit (after overlap suppression), without landmarks or descriptor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detection {
    /// The detector's box, in pixels of the (EXIF-oriented) image.
    pub area: Area,
    /// Raw SeetaFace cascade score (≥ 3).
    pub score: f32,
}

/// The engine: parsed networks, shareable across threads (`&self` everywhere).
pub struct FaceEngine {
    seeta: rustface::Model,
    landmarks: LandmarkNet,
    descriptor: DescriptorNet,
}

impl std::fmt::Debug for FaceEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceEngine").finish_non_exhaustive()
    }
}

/// Smallest face size the cascade accepts as a setting (its own minimum).
const MIN_FACE: u32 = 20;
/// Cascade score threshold: every face of rustface's group photo scores ≥ 4.0,
/// while weak hits on texture score 2..3.
const DETECT_THRESHOLD: f64 = 3.0;
/// Centre of the logistic map from cascade score to `faceScore`.
const FACE_SCORE_CENTRE: f64 = 2.0;
/// faceArea side as a fraction of the landmarks' larger extent (≈ 1.94 eye
/// distances on a frontal face, as in the API's example).
const FACE_SIDE_PER_LANDMARK_EXTENT: f64 = 0.84;
/// Eye line below the top of faceArea, as a fraction of its side (the example's 0.245).
const FACE_EYES_FROM_TOP: f64 = 0.245;
/// Plausible inter-eye distance as a fraction of the detector box side.
const MIN_EYE_RATIO: f64 = 0.15;
const MAX_EYE_RATIO: f64 = 0.8;
const PYRAMID_SCALE: f32 = 0.8;
const WINDOW_STEP: u32 = 4;
/// Images larger than this (longest side) are shrunk for detection only.
const DETECT_MAX_SIDE: u32 = 2000;

/// Where the descriptor net expects eye centres, nose tip and mouth corners in its
/// 150x150 chip. Derived from dlib's mean face shape with `get_face_chip_details`'
/// padding 0.25 (the alignment the ResNet was trained with): template point p in
/// 0..1 maps to (p + 0.25) * 100.
const CHIP_POINTS: [(f64, f64); 5] = [
    (47.549, 46.599),  // subject's right eye centre (mean of 36..41)
    (100.476, 46.599), // subject's left eye centre (mean of 42..47)
    (74.013, 76.563),  // nose tip (30)
    (50.415, 103.023), // mouth corner (48)
    (97.610, 103.023), // mouth corner (54)
];

impl FaceEngine {
    /// Parses the embedded weights (about 30 ms). Create one engine and share it.
    pub fn new() -> Result<Self, EngineError> {
        let seeta = rustface::read_model(SEETA_MODEL)
            .map_err(|e| EngineError::Model(format!("SeetaFace model: {e}")))?;
        Ok(Self {
            seeta,
            landmarks: LandmarkNet::load(LANDMARK_MANIFEST, LANDMARK_BIN)?,
            descriptor: DescriptorNet::load(DESCRIPTOR_MANIFEST, DESCRIPTOR_BIN)?,
        })
    }

    /// Detects up to `max_faces` (at most [`MAX_FACES`]) faces, largest first (by
    /// detector box, so the choice does not depend on `max_faces`), and computes their
    /// attributes and descriptors. No face is `Ok(vec![])`.
    pub fn detect(&self, image_bytes: &[u8], max_faces: usize) -> Result<Vec<Face>, EngineError> {
        guard(|| {
            let img = imaging::decode(image_bytes)?;
            self.detect_rgb(&img, max_faces)
        })
    }

    /// As [`FaceEngine::detect`], on an already decoded RGB image.
    pub fn detect_image(&self, img: &RgbImage, max_faces: usize) -> Result<Vec<Face>, EngineError> {
        guard(|| self.detect_rgb(img, max_faces))
    }

    /// Only the detection stage: every face box (no cap, after overlap
    /// suppression), largest first. Cheaper than [`FaceEngine::detect`].
    pub fn locate(&self, image_bytes: &[u8]) -> Result<Vec<Detection>, EngineError> {
        guard(|| {
            let img = imaging::decode(image_bytes)?;
            let mut boxes = self.detect_boxes(&img);
            boxes.sort_by(|a, b| b.area().total_cmp(&a.area()));
            Ok(boxes
                .iter()
                .map(|b| Detection {
                    area: Area {
                        left: b.x as f32,
                        top: b.y as f32,
                        right: (b.x + b.w) as f32,
                        bottom: (b.y + b.h) as f32,
                    },
                    score: b.score as f32,
                })
                .collect())
        })
    }

    fn detect_rgb(&self, img: &RgbImage, max_faces: usize) -> Result<Vec<Face>, EngineError> {
        let max_faces = max_faces.min(MAX_FACES);
        if max_faces == 0 {
            return Ok(Vec::new());
        }
        let mut boxes = self.detect_boxes(img);
        boxes.sort_by(|a, b| b.area().total_cmp(&a.area()));
        let mut faces = Vec::new();
        // Bound the work on hostile images full of weak, implausible hits.
        for b in boxes.iter().take(max_faces * 2 + 5) {
            if faces.len() >= max_faces {
                break;
            }
            if let Some((face, _, _)) = self.analyse(img, b)? {
                faces.push(face);
            }
        }
        Ok(faces)
    }

    /// Runs the cascade, maps boxes back to image pixels and suppresses overlaps.
    fn detect_boxes(&self, img: &RgbImage) -> Vec<DetBox> {
        let (w, h) = (img.width(), img.height());
        if w < MIN_FACE || h < MIN_FACE {
            return Vec::new();
        }
        let longest = w.max(h);
        let gray = imaging::to_gray(img);
        let (gray, dw, dh, factor) = if longest > DETECT_MAX_SIDE {
            let f = f64::from(DETECT_MAX_SIDE) / f64::from(longest);
            let nw = ((f64::from(w) * f).round() as u32).max(1);
            let nh = ((f64::from(h) * f).round() as u32).max(1);
            let small =
                imaging::downscale_gray(&gray, w as usize, h as usize, nw as usize, nh as usize);
            (small, nw, nh, f64::from(w) / f64::from(nw))
        } else {
            (gray, w, h, 1.0)
        };
        if dw < MIN_FACE || dh < MIN_FACE {
            return Vec::new();
        }
        let mut detector = rustface::create_detector_with_model(self.seeta.clone());
        // rustface 0.1.7 always scans with a 40 px window from full scale: this
        // setting does not lower that (faces under ~40 px of the detection image are
        // missed).
        detector.set_min_face_size(MIN_FACE);
        detector.set_score_thresh(DETECT_THRESHOLD);
        detector.set_pyramid_scale_factor(PYRAMID_SCALE);
        detector.set_slide_window_step(WINDOW_STEP, WINDOW_STEP);
        let data = rustface::ImageData::new(&gray, dw, dh);
        let mut found: Vec<DetBox> = detector
            .detect(&data)
            .iter()
            .map(|f| {
                let b = f.bbox();
                DetBox {
                    x: f64::from(b.x()) * factor,
                    y: f64::from(b.y()) * factor,
                    w: f64::from(b.width()) * factor,
                    h: f64::from(b.height()) * factor,
                    score: f.score(),
                }
            })
            .filter(|b| b.w > 0.0 && b.h > 0.0 && b.score.is_finite())
            .collect();
        // Overlap suppression on top of the cascade's own: keep the stronger of two
        // boxes that overlap much (IoU) or where one mostly contains the other.
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut kept: Vec<DetBox> = Vec::new();
        for b in found {
            if kept
                .iter()
                .all(|k| k.iou(&b) < 0.3 && k.containment(&b) < 0.7)
            {
                kept.push(b);
            }
        }
        kept
    }

    /// Landmarks from a square crop around `centre` of side `side`.
    fn landmarks_at(
        &self,
        img: &RgbImage,
        cx: f64,
        cy: f64,
        side: f64,
    ) -> Result<(Landmarks, Chip), EngineError> {
        let t = Similarity::square(cx - side / 2.0, cy - side / 2.0, side, LANDMARK_INPUT);
        let chip = imaging::extract_chip(img, &t, LANDMARK_INPUT);
        let out = self.landmarks.forward(&chip)?;
        let pts = out
            .chunks_exact(2)
            .map(|p| {
                t.apply(
                    f64::from(p[0]) * LANDMARK_INPUT as f64,
                    f64::from(p[1]) * LANDMARK_INPUT as f64,
                )
            })
            .collect();
        Ok((pts, chip))
    }

    /// Landmarks, descriptor and attributes of one detector box; `None` when the
    /// landmarks show the box is not a plausible face. Also returns the landmark and
    /// descriptor input chips (for `dump-chips`).
    fn analyse(
        &self,
        img: &RgbImage,
        b: &DetBox,
    ) -> Result<Option<(Face, Chip, Chip)>, EngineError> {
        // Pass 1 from the detector box; pass 2 re-centres on the landmarks' own extent,
        // which is closer to the face-api detector boxes the landmark net was trained on.
        let side = b.w.max(b.h);
        let (pts, lm_chip) = self.landmarks_at(
            img,
            b.x + b.w / 2.0,
            b.y + b.h / 2.0 + 0.05 * side,
            side * 1.15,
        )?;
        let (lx0, ly0, lx1, ly1) = bounds(&pts);
        let side2 = (lx1 - lx0).max(ly1 - ly0) * 1.25;
        let (pts, lm_chip) = if side2.is_finite() && side2 > 4.0 {
            self.landmarks_at(img, (lx0 + lx1) / 2.0, (ly0 + ly1) / 2.0, side2)?
        } else {
            (pts, lm_chip)
        };

        let right_eye = mean_point(&pts, 36..42);
        let left_eye = mean_point(&pts, 42..48);
        let nose = pts.get(30).copied().unwrap_or(right_eye);
        let mouth_r = pts.get(48).copied().unwrap_or(nose);
        let mouth_l = pts.get(54).copied().unwrap_or(nose);
        // The cascade's weak hits on texture give degenerate landmarks: a real face's
        // eye distance is a fair fraction of its box.
        let eye_dist = (left_eye.0 - right_eye.0).hypot(left_eye.1 - right_eye.1);
        let eye_ratio = eye_dist / side;
        if !(MIN_EYE_RATIO..=MAX_EYE_RATIO).contains(&eye_ratio) {
            return Ok(None);
        }

        // Descriptor: eye-aligned 150x150 chip as the ResNet expects.
        let targets = [right_eye, left_eye, nose, mouth_r, mouth_l];
        let chip_t = Similarity::fit(&CHIP_POINTS, &targets)
            .unwrap_or_else(|| Similarity::square(b.x, b.y, side, DESCRIPTOR_INPUT));
        let chip = imaging::extract_chip(img, &chip_t, DESCRIPTOR_INPUT);
        let desc = self.descriptor.forward(&chip)?;
        let mut descriptor = [0.0f32; DESCRIPTOR_LEN];
        for (d, v) in descriptor.iter_mut().zip(&desc) {
            *d = *v;
        }

        let pose = estimate_pose(&pts, right_eye, left_eye);
        let frontal = (1.0 - pose.pan.hypot(pose.tilt) / 45.0).clamp(0.0, 1.0);
        let quality = quality_score(&chip, eye_dist, frontal);

        let (iw, ih) = (f64::from(img.width()), f64::from(img.height()));
        // faceArea with the proportions of the API documentation's example (side ≈ 1.94
        // eye distances, eyes ≈ 24.5 % below the top), but scaled from the landmarks'
        // extent so that it does not shrink when the head turns.
        let (lx0, ly0, lx1, ly1) = bounds(&pts);
        let fside = FACE_SIDE_PER_LANDMARK_EXTENT * (lx1 - lx0).max(ly1 - ly0);
        let eye_y = (right_eye.1 + left_eye.1) / 2.0;
        let (fx, fy) = (
            (lx0 + lx1) / 2.0 - fside / 2.0,
            eye_y - FACE_EYES_FROM_TOP * fside,
        );
        let clip_area = |l: f64, t: f64, r: f64, btm: f64| Area {
            left: l.clamp(0.0, iw) as f32,
            top: t.clamp(0.0, ih) as f32,
            right: r.clamp(0.0, iw) as f32,
            bottom: btm.clamp(0.0, ih) as f32,
        };
        let face_area = clip_area(fx, fy, fx + fside, fy + fside);
        // headArea: the example's expansion of its faceArea (18 % each side, 45 % up,
        // 19 % down).
        let head_area = clip_area(
            fx - 0.18 * fside,
            fy - 0.45 * fside,
            fx + 1.18 * fside,
            fy + 1.19 * fside,
        );
        let detection_area = clip_area(b.x, b.y, b.x + b.w, b.y + b.h);
        let face = Face {
            face_area,
            detection_area,
            head_area,
            right_eye_center: to_point(right_eye),
            left_eye_center: to_point(left_eye),
            face_score: (1.0 / (1.0 + (-(b.score - FACE_SCORE_CENTRE) / 1.5).exp())) as f32,
            frontal_face_score: frontal as f32,
            face_quality_score: quality as f32,
            roll: pose.roll as f32,
            pan: pose.pan as f32,
            tilt: pose.tilt as f32,
            detector_score: b.score as f32,
            landmarks: pts.iter().map(|&p| to_point(p)).collect(),
            descriptor,
        };
        Ok(Some((face, lm_chip, chip)))
    }

    /// The landmark (112x112) and descriptor (150x150) input chips of the largest
    /// face, RGB HWC 0..255: used to make the TF.js reference inputs.
    #[doc(hidden)]
    pub fn chips_of_largest_face(
        &self,
        image_bytes: &[u8],
    ) -> Result<Option<(Chip, Chip)>, EngineError> {
        guard(|| {
            let img = imaging::decode(image_bytes)?;
            let mut boxes = self.detect_boxes(&img);
            boxes.sort_by(|a, b| b.area().total_cmp(&a.area()));
            match boxes.first() {
                Some(b) => Ok(self.analyse(&img, b)?.map(|(_, l, d)| (l, d))),
                None => Ok(None),
            }
        })
    }

    /// Runs only the landmark network on a 112x112x3 RGB input (values 0..255, HWC)
    /// and returns its raw 136 outputs (x0, y0, x1, ...; 0..1 of the input). For
    /// verification against the TF.js reference.
    pub fn landmark_net(&self, rgb: &[f32]) -> Result<Vec<f32>, EngineError> {
        self.landmarks.forward(rgb)
    }

    /// Runs only the descriptor network on a 150x150x3 RGB chip (values 0..255, HWC).
    pub fn descriptor_net(&self, rgb: &[f32]) -> Result<Vec<f32>, EngineError> {
        self.descriptor.forward(rgb)
    }
}

/// Runs `f`, turning a panic in a dependency into [`EngineError::Internal`]:
/// the engine must never bring the server down, whatever the bytes.
fn guard<T>(f: impl FnOnce() -> Result<T, EngineError>) -> Result<T, EngineError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            Err(EngineError::Internal(msg))
        }
    }
}

/// A network input chip: RGB, HWC, values 0..255.
type Chip = Vec<f32>;
/// Landmark positions in image pixels.
type Landmarks = Vec<(f64, f64)>;

#[derive(Clone, Copy, Debug)]
struct DetBox {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    score: f64,
}

impl DetBox {
    fn area(&self) -> f64 {
        self.w * self.h
    }
    fn intersection(&self, o: &DetBox) -> f64 {
        let iw = ((self.x + self.w).min(o.x + o.w) - self.x.max(o.x)).max(0.0);
        let ih = ((self.y + self.h).min(o.y + o.h) - self.y.max(o.y)).max(0.0);
        iw * ih
    }
    fn iou(&self, o: &DetBox) -> f64 {
        let i = self.intersection(o);
        i / (self.area() + o.area() - i).max(f64::EPSILON)
    }
    fn containment(&self, o: &DetBox) -> f64 {
        self.intersection(o) / self.area().min(o.area()).max(f64::EPSILON)
    }
}

fn to_point(p: (f64, f64)) -> Point {
    Point {
        x: p.0 as f32,
        y: p.1 as f32,
    }
}

fn bounds(pts: &[(f64, f64)]) -> (f64, f64, f64, f64) {
    pts.iter().fold(
        (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ),
        |(a, b, c, d), &(x, y)| (a.min(x), b.min(y), c.max(x), d.max(y)),
    )
}

fn mean_point(pts: &[(f64, f64)], range: std::ops::Range<usize>) -> (f64, f64) {
    let sel = pts.get(range).unwrap_or_default();
    let n = sel.len().max(1) as f64;
    let (sx, sy) = sel
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x, b + y));
    (sx / n, sy / n)
}

struct Pose {
    roll: f64,
    pan: f64,
    tilt: f64,
}

/// Crude head pose from landmarks, in degrees (documented as an emulator heuristic):
/// roll from the eye line; pan from where the nose tip sits between the two sides of
/// the jaw; tilt from where it sits between the eye line and the mouth, against the
/// mean-face proportion.
fn estimate_pose(pts: &[(f64, f64)], right_eye: (f64, f64), left_eye: (f64, f64)) -> Pose {
    let (dx, dy) = (left_eye.0 - right_eye.0, left_eye.1 - right_eye.1);
    let roll = (-dy).atan2(dx);
    // Undo the roll so that "horizontal" and "vertical" refer to the face.
    let (c, s) = (roll.cos(), roll.sin());
    let up = |p: (f64, f64)| (p.0 * c - p.1 * s, p.0 * s + p.1 * c);
    let get = |i: usize| up(pts.get(i).copied().unwrap_or(right_eye));
    let nose = get(30);
    let (jr, jl) = (get(0), get(16));
    let (dr, dl) = ((nose.0 - jr.0).abs(), (jl.0 - nose.0).abs());
    let pan = if dr + dl > f64::EPSILON {
        ((dr - dl) / (dr + dl)).clamp(-1.0, 1.0).asin()
    } else {
        0.0
    };
    let eye_y = (up(right_eye).1 + up(left_eye).1) / 2.0;
    let mouth_y = (get(48).1 + get(54).1 + get(62).1 + get(66).1) / 4.0;
    // Mean-face ratio (nose - eyes) / (mouth - eyes) ≈ 0.53.
    let span = mouth_y - eye_y;
    let tilt = if span.abs() > f64::EPSILON {
        ((0.53 - (nose.1 - eye_y) / span) * 2.0)
            .clamp(-1.0, 1.0)
            .asin()
    } else {
        0.0
    };
    Pose {
        roll: roll.to_degrees(),
        pan: pan.to_degrees(),
        tilt: tilt.to_degrees(),
    }
}

/// 0..1 quality: sharpness (Laplacian energy of the aligned chip), size (inter-eye
/// distance in pixels), exposure (brightness and contrast) and frontality.
fn quality_score(chip: &[f32], eye_dist: f64, frontal: f64) -> f64 {
    let n = DESCRIPTOR_INPUT;
    let gray: Vec<f64> = chip
        .chunks_exact(3)
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect();
    // Central face region only, so background and padding do not count.
    let (lo, hi) = (n / 4, n * 3 / 4);
    let g = |x: usize, y: usize| gray.get(y * n + x).copied().unwrap_or(0.0);
    let (mut sum, mut sum2, mut lap2, mut count) = (0.0, 0.0, 0.0, 0.0);
    for y in lo..hi {
        for x in lo..hi {
            let v = g(x, y);
            sum += v;
            sum2 += v * v;
            let l = 4.0 * v - g(x - 1, y) - g(x + 1, y) - g(x, y - 1) - g(x, y + 1);
            lap2 += l * l;
            count += 1.0;
        }
    }
    let mean = sum / count;
    let std = (sum2 / count - mean * mean).max(0.0).sqrt();
    let lap_var = lap2 / count;
    let sharp = lap_var / (lap_var + 150.0);
    let size = ((eye_dist - 8.0) / (40.0 - 8.0)).clamp(0.0, 1.0);
    let brightness = (1.0 - ((mean - 128.0).abs() / 128.0)).clamp(0.0, 1.0);
    let contrast = (std / 40.0).clamp(0.0, 1.0);
    let exposure = 0.5 * brightness + 0.5 * contrast;
    (0.3 * sharp + 0.25 * size + 0.2 * exposure + 0.25 * frontal).clamp(0.0, 1.0)
}

/// Euclidean distance between two descriptors (dlib's metric; same person ≲ 0.5).
/// Written to auto-vectorise: ~30 ns, so a 100k-template 1:N scan takes a few ms.
pub fn distance(a: &[f32; DESCRIPTOR_LEN], b: &[f32; DESCRIPTOR_LEN]) -> f32 {
    let mut acc = [0.0f32; 8];
    for (ca, cb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for ((s, x), y) in acc.iter_mut().zip(ca).zip(cb) {
            let d = x - y;
            *s += d * d;
        }
    }
    acc.iter().sum::<f32>().sqrt()
}

/// Logistic curve parameters of [`score_from_distance`].
const SCORE_CENTRE: f64 = 0.5838;
const SCORE_WIDTH: f64 = 0.1;

/// Match score 0..=9999 from a descriptor distance: a fixed, strictly decreasing
/// logistic curve normalised so that distance 0 gives 9999 and
/// [`BOUNDARY_DISTANCE`] (0.5) gives ≈ 7000 (the API's default threshold).
/// Examples: 0.2 → 9779, 0.4 → 8633, 0.5 → 7000, 0.6 → 4603, 0.8 → 1029.
/// Non-finite or negative distances score 0.
pub fn score_from_distance(distance: f32) -> u32 {
    let d = f64::from(distance);
    if !d.is_finite() || d < 0.0 {
        return 0;
    }
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    let s =
        9999.0 * sigmoid((SCORE_CENTRE - d) / SCORE_WIDTH) / sigmoid(SCORE_CENTRE / SCORE_WIDTH);
    s.round().clamp(0.0, 9999.0) as u32
}

/// Match score 0..=9999 of two descriptors: `score_from_distance(distance(a, b))`.
pub fn score(a: &[f32; DESCRIPTOR_LEN], b: &[f32; DESCRIPTOR_LEN]) -> u32 {
    score_from_distance(distance(a, b))
}

// The server shares one engine across request threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<FaceEngine>();
};
