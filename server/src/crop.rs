//! Face crops for the web console: at registration (when the console is on) the decode
//! slot keeps a small copy of the picture (at most 768 px a side) before the engine takes
//! the decoded one, and after detection cuts the largest face's head area (plus a margin)
//! out of it: a JPEG of at most 192 px a side, a few KB. The console draws the face box and
//! the eyes over it from the stored attributes, mapped through `region` (the crop's bounds
//! in the picture's coordinates). Never the full picture: a console needs to recognise a
//! face, and a 10000-event gallery of full pictures would not fit in memory.

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, GenericImageView};

use crate::engine::FaceAttributes;
use crate::intake::DecodedImage;

/// Longest side of the working copy the crop is cut from.
const PREVIEW_SIDE: u32 = 768;
/// Longest side of a stored crop.
const CROP_SIDE: u32 = 192;
/// JPEG quality of a stored crop.
const QUALITY: u8 = 80;

/// A stored face crop.
#[derive(Debug, Clone, PartialEq)]
pub struct Crop {
    /// The crop, JPEG.
    pub jpeg: Vec<u8>,
    /// Its bounds in the picture's coordinates (left, top, right, bottom), in which the
    /// engine reported the attributes.
    pub region: [f64; 4],
}

/// A small copy of a decoded picture, in the coordinate frame the engine reports in.
pub(crate) struct Preview {
    image: DynamicImage,
    /// Size of the picture the engine sees (after EXIF orientation when it applies it).
    full: (u32, u32),
}

impl Preview {
    /// `oriented`: the engine applies the EXIF orientation before detecting, so its
    /// coordinates refer to the picture as displayed.
    pub(crate) fn of(decoded: &DecodedImage, oriented: bool) -> Preview {
        let img = &decoded.image;
        let (w, h) = img.dimensions();
        let small = if w > PREVIEW_SIDE || h > PREVIEW_SIDE {
            img.thumbnail(PREVIEW_SIDE, PREVIEW_SIDE)
        } else {
            img.clone()
        };
        let mut small = DynamicImage::ImageRgb8(small.to_rgb8());
        let mut full = (w, h);
        if oriented && decoded.orientation != Orientation::NoTransforms {
            small.apply_orientation(decoded.orientation);
            if matches!(
                decoded.orientation,
                Orientation::Rotate90
                    | Orientation::Rotate270
                    | Orientation::Rotate90FlipH
                    | Orientation::Rotate270FlipH
            ) {
                full = (h, w);
            }
        }
        Preview { image: small, full }
    }

    /// The head area of `a` with a margin of a fifth of its size, cut out and encoded;
    /// `None` for a degenerate box (or an encoder failure, which only costs the crop).
    pub(crate) fn crop(&self, a: &FaceAttributes) -> Option<Crop> {
        let [l, t, r, b] = if a.head_area[2] > a.head_area[0] && a.head_area[3] > a.head_area[1] {
            a.head_area
        } else {
            a.face_area
        };
        let (fw, fh) = (f64::from(self.full.0), f64::from(self.full.1));
        let (pw, ph) = self.image.dimensions();
        if r <= l || b <= t || fw < 1.0 || fh < 1.0 {
            return None;
        }
        let margin = ((r - l).max(b - t) / 5) as f64;
        let (sx, sy) = (f64::from(pw) / fw, f64::from(ph) / fh);
        let x0 = ((l as f64 - margin).max(0.0) * sx).floor();
        let y0 = ((t as f64 - margin).max(0.0) * sy).floor();
        let x1 = ((r as f64 + margin).min(fw) * sx).ceil().min(f64::from(pw));
        let y1 = ((b as f64 + margin).min(fh) * sy).ceil().min(f64::from(ph));
        if x1 - x0 < 1.0 || y1 - y0 < 1.0 {
            return None;
        }
        let (cx, cy, cw, ch) = (x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32);
        let mut cut = self.image.crop_imm(cx, cy, cw, ch);
        if cw.max(ch) > CROP_SIDE {
            cut = cut.thumbnail(CROP_SIDE, CROP_SIDE);
        }
        let mut jpeg = Vec::new();
        cut.write_with_encoder(JpegEncoder::new_with_quality(&mut jpeg, QUALITY))
            .ok()?;
        Some(Crop {
            jpeg,
            region: [x0 / sx, y0 / sy, x1 / sx, y1 / sy],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(face: [i64; 4], head: [i64; 4]) -> FaceAttributes {
        FaceAttributes {
            face_area: face,
            head_area: head,
            right_eye_center: [0, 0],
            left_eye_center: [0, 0],
            face_score: 1.0,
            frontal_face_score: 1.0,
            face_quality_score: 1.0,
            face_roll: 0.0,
            face_pan: 0.0,
            face_tilt: 0.0,
        }
    }

    #[test]
    fn a_crop_covers_the_head_with_a_margin_and_is_small() {
        let img = DynamicImage::new_rgb8(2000, 1000);
        let p = Preview::of(
            &DecodedImage {
                image: img,
                orientation: Orientation::NoTransforms,
            },
            true,
        );
        let c = p
            .crop(&attrs([900, 400, 1100, 600], [850, 300, 1150, 650]))
            .expect("a crop");
        // Margin 70 px, rounded outwards on the 768-px copy.
        assert!(
            c.region[0] <= 780.0 && c.region[0] > 770.0,
            "{:?}",
            c.region
        );
        assert!(
            c.region[3] >= 720.0 && c.region[3] < 730.0,
            "{:?}",
            c.region
        );
        let back = image::load_from_memory(&c.jpeg).expect("a JPEG");
        assert!(back.width() <= CROP_SIDE && back.height() <= CROP_SIDE);
        assert!(c.jpeg.len() < 20_000);
        // A box outside the picture, or an empty one, has no crop.
        assert!(p.crop(&attrs([0, 0, 0, 0], [0, 0, 0, 0])).is_none());
        assert!(
            p.crop(&attrs([3000, 3000, 3100, 3100], [3000, 3000, 3100, 3100]))
                .is_none()
        );
    }

    #[test]
    fn a_rotated_picture_swaps_the_frame_when_the_engine_orients() {
        let decoded = DecodedImage {
            image: DynamicImage::new_rgb8(400, 200),
            orientation: Orientation::Rotate90,
        };
        assert_eq!(Preview::of(&decoded, true).full, (200, 400));
        assert_eq!(Preview::of(&decoded, false).full, (400, 200));
    }
}
