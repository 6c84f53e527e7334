//! Image decoding (with EXIF orientation) and resampling of face chips.

use crate::EngineError;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};
use std::io::Cursor;

/// Largest accepted width or height; bounds memory and time on hostile input.
pub(crate) const MAX_SIDE: u32 = 10_000;

/// Decodes any supported format and applies the EXIF orientation, so that every
/// coordinate the engine reports refers to the image as a viewer displays it.
pub(crate) fn decode(bytes: &[u8]) -> Result<RgbImage, EngineError> {
    if bytes.is_empty() {
        return Err(EngineError::InvalidImage("empty input".into()));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| EngineError::InvalidImage(e.to_string()))?;
    if reader.format().is_none() {
        return Err(EngineError::InvalidImage(
            "unrecognised image format".into(),
        ));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // 512 MiB: a 10000x10000 RGB image fits; decompression bombs do not.
    limits.max_alloc = Some(512 << 20);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| EngineError::InvalidImage(e.to_string()))?;
    // A malformed EXIF block is not worth rejecting the photo for.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder)
        .map_err(|e| EngineError::InvalidImage(e.to_string()))?;
    img.apply_orientation(orientation);
    let rgb = img.into_rgb8();
    if rgb.width() == 0 || rgb.height() == 0 {
        return Err(EngineError::InvalidImage("image has no pixels".into()));
    }
    Ok(rgb)
}

/// BT.601 luma, as the SeetaFace detector expects a grey image.
pub(crate) fn to_gray(img: &RgbImage) -> Vec<u8> {
    img.pixels()
        .map(|p| {
            let [r, g, b] = p.0;
            ((299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b) + 500) / 1000) as u8
        })
        .collect()
}

/// Shrinks a grey image to `nw` x `nh` (each at most the source size) by averaging
/// the source pixels each output pixel covers: fast (one pass) and alias-free.
pub(crate) fn downscale_gray(src: &[u8], w: usize, h: usize, nw: usize, nh: usize) -> Vec<u8> {
    let (nw, nh) = (nw.clamp(1, w.max(1)), nh.clamp(1, h.max(1)));
    let mut out = Vec::with_capacity(nw * nh);
    let mut col_sums = vec![0u32; w];
    let span = |i: usize, n: usize, total: usize| {
        let a = i * total / n;
        (a, ((i + 1) * total / n).max(a + 1).min(total))
    };
    let xs: Vec<(usize, usize)> = (0..nw).map(|x| span(x, nw, w)).collect();
    for y in 0..nh {
        let (y0, y1) = span(y, nh, h);
        col_sums.fill(0);
        for row in src.chunks_exact(w).skip(y0).take(y1 - y0) {
            for (acc, &v) in col_sums.iter_mut().zip(row) {
                *acc += u32::from(v);
            }
        }
        let rows = (y1 - y0) as u32;
        for &(x0, x1) in &xs {
            let sum: u32 = col_sums.get(x0..x1).unwrap_or_default().iter().sum();
            let n = rows * (x1 - x0) as u32;
            out.push(((sum + n / 2) / n.max(1)) as u8);
        }
    }
    out
}

/// A 2-D similarity/affine map from chip pixel coordinates to image coordinates:
/// `x = a*u - b*v + tx`, `y = b*u + a*v + ty` (pixel centres at integer + 0.5).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Similarity {
    pub a: f64,
    pub b: f64,
    pub tx: f64,
    pub ty: f64,
}

impl Similarity {
    pub fn apply(&self, u: f64, v: f64) -> (f64, f64) {
        (
            self.a * u - self.b * v + self.tx,
            self.b * u + self.a * v + self.ty,
        )
    }

    /// Axis-aligned square crop of side `side` at top-left `(x0, y0)` into `size` pixels.
    pub fn square(x0: f64, y0: f64, side: f64, size: usize) -> Self {
        Self {
            a: side / size as f64,
            b: 0.0,
            tx: x0,
            ty: y0,
        }
    }

    /// Least-squares similarity taking `from` (chip) points onto `to` (image) points.
    pub fn fit(from: &[(f64, f64)], to: &[(f64, f64)]) -> Option<Self> {
        let n = from.len().min(to.len());
        if n < 2 {
            return None;
        }
        let nf = n as f64;
        let (mut fx, mut fy, mut tx, mut ty) = (0.0, 0.0, 0.0, 0.0);
        for (f, t) in from.iter().zip(to) {
            fx += f.0;
            fy += f.1;
            tx += t.0;
            ty += t.1;
        }
        let (fx, fy, tx, ty) = (fx / nf, fy / nf, tx / nf, ty / nf);
        let (mut sa, mut sb, mut norm) = (0.0, 0.0, 0.0);
        for (f, t) in from.iter().zip(to) {
            let (px, py) = (f.0 - fx, f.1 - fy);
            let (qx, qy) = (t.0 - tx, t.1 - ty);
            sa += px * qx + py * qy;
            sb += px * qy - py * qx;
            norm += px * px + py * py;
        }
        if norm <= f64::EPSILON {
            return None;
        }
        let (a, b) = (sa / norm, sb / norm);
        if !(a.is_finite() && b.is_finite()) || a.hypot(b) <= 1e-9 {
            return None;
        }
        Some(Self {
            a,
            b,
            tx: tx - (a * fx - b * fy),
            ty: ty - (b * fx + a * fy),
        })
    }

    pub fn scale(&self) -> f64 {
        self.a.hypot(self.b)
    }
}

fn bilinear(img: &RgbImage, x: f64, y: f64) -> [f32; 3] {
    // Sample position in pixel-index space (pixel centres at integers).
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (x, y) = (x - 0.5, y - 0.5);
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = ((x - x0) as f32, (y - y0) as f32);
    let (x0, y0) = (x0 as i64, y0 as i64);
    let mut out = [0.0f32; 3];
    for (dy, wy) in [(0i64, 1.0 - fy), (1, fy)] {
        for (dx, wx) in [(0i64, 1.0 - fx), (1, fx)] {
            let (sx, sy) = (x0 + dx, y0 + dy);
            // Outside the image is black, like face-api's zero padding.
            if sx < 0 || sy < 0 || sx >= w || sy >= h {
                continue;
            }
            let p = img.get_pixel(sx as u32, sy as u32).0;
            let wgt = wx * wy;
            for c in 0..3 {
                out[c] += wgt * f32::from(p[c]);
            }
        }
    }
    out
}

/// Resamples a `size` x `size` RGB chip (values 0..255, HWC) through `t`.
/// When the chip shrinks the image, each chip pixel averages an n x n grid of
/// bilinear samples (n = ceil(scale), at most 6) so small chips are not aliased.
pub(crate) fn extract_chip(img: &RgbImage, t: &Similarity, size: usize) -> Vec<f32> {
    let n = (t.scale().ceil() as usize).clamp(1, 6);
    let inv = 1.0 / (n * n) as f32;
    let mut out = Vec::with_capacity(size * size * 3);
    for v in 0..size {
        for u in 0..size {
            let mut acc = [0.0f32; 3];
            for sy in 0..n {
                for sx in 0..n {
                    let cu = u as f64 + (sx as f64 + 0.5) / n as f64;
                    let cv = v as f64 + (sy as f64 + 0.5) / n as f64;
                    let (x, y) = t.apply(cu, cv);
                    let p = bilinear(img, x, y);
                    for c in 0..3 {
                        acc[c] += p[c];
                    }
                }
            }
            out.extend(acc.iter().map(|a| a * inv));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downscale_averages_covered_pixels() {
        let src = [
            0u8, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150,
        ];
        // 4x4 -> 2x2: each output is the mean of a 2x2 block.
        assert_eq!(downscale_gray(&src, 4, 4, 2, 2), vec![25, 45, 105, 125]);
        assert_eq!(downscale_gray(&src, 4, 4, 1, 1), vec![75]);
        assert_eq!(downscale_gray(&[7; 35], 7, 5, 3, 2), vec![7; 6]);
        // Degenerate requests are clamped, never panic.
        assert_eq!(downscale_gray(&src, 4, 4, 0, 9).len(), 4);
    }

    #[test]
    fn similarity_fit_recovers_a_transform() {
        let t = Similarity {
            a: 1.5,
            b: -0.4,
            tx: 10.0,
            ty: -3.0,
        };
        let from = [(0.0, 0.0), (10.0, 0.0), (3.0, 7.0), (-2.0, 5.0)];
        let to: Vec<(f64, f64)> = from.iter().map(|&(u, v)| t.apply(u, v)).collect();
        let fit = Similarity::fit(&from, &to).unwrap();
        for (p, q) in [(fit.a, t.a), (fit.b, t.b), (fit.tx, t.tx), (fit.ty, t.ty)] {
            assert!((p - q).abs() < 1e-9);
        }
        assert!(Similarity::fit(&[(1.0, 1.0), (1.0, 1.0)], &[(0.0, 0.0), (2.0, 2.0)]).is_none());
    }
}
