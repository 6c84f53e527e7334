//! `--annotate out.png`: a copy of the image with what the service found drawn on it.
//!
//! Each face gets its face box (green), head box (blue), eye centres (red dots) and a
//! label beside it with the face number, face score and quality (and, for search and
//! verify, the match). The image is decoded with its EXIF orientation applied, as the
//! face engine does, so the boxes land where a viewer sees the face. The output format
//! follows the file extension (.png, .jpg, …).

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder as _, ImageReader, Rgb, RgbImage};
use necid::{FaceAttributes, Point, Rect};

use crate::exit::CliError;
use crate::font;

const FACE: Rgb<u8> = Rgb([0, 230, 64]);
const HEAD: Rgb<u8> = Rgb([40, 150, 255]);
const EYE: Rgb<u8> = Rgb([255, 40, 40]);
const LABEL_BG: Rgb<u8> = Rgb([0, 0, 0]);
const LABEL_FG: Rgb<u8> = Rgb([255, 255, 255]);

/// One face to draw and the lines of text to print beside it.
#[derive(Debug, Clone)]
pub struct Mark {
    pub attributes: FaceAttributes,
    pub lines: Vec<String>,
}

impl Mark {
    /// A mark labelled `#n score … quality …` plus `extra` lines.
    pub fn numbered(n: usize, attributes: &FaceAttributes, extra: Vec<String>) -> Mark {
        let mut first = format!("#{n}");
        if let Some(s) = attributes.face_score {
            first.push_str(&format!(" SCORE {s:.3}"));
        }
        if let Some(q) = attributes.face_quality_score {
            first.push_str(&format!(" QUALITY {q:.2}"));
        }
        let mut lines = vec![first];
        lines.extend(extra);
        Mark {
            attributes: attributes.clone(),
            lines,
        }
    }
}

/// Decode `image`, draw `marks` and write the result to `out`. Returns (width, height).
pub fn write(image: &[u8], marks: &[Mark], out: &Path) -> Result<(u32, u32), CliError> {
    let format = image::ImageFormat::from_path(out).map_err(|_| {
        CliError::Usage(format!(
            "{}: use a picture file name ending in .png or .jpg",
            out.display()
        ))
    })?;
    let mut img = decode(image)?;
    for mark in marks {
        draw_mark(&mut img, mark);
    }
    let (w, h) = img.dimensions();
    DynamicImage::ImageRgb8(img)
        .save_with_format(out, format)
        .map_err(|e| CliError::io(out.display(), e))?;
    Ok((w, h))
}

/// Decode with the EXIF orientation applied.
pub fn decode(bytes: &[u8]) -> Result<RgbImage, CliError> {
    let bad =
        |e: image::ImageError| CliError::Io(format!("cannot decode the image to annotate: {e}"));
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| CliError::Io(format!("cannot read the image to annotate: {e}")))?;
    let mut decoder = reader.into_decoder().map_err(bad)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(bad)?;
    img.apply_orientation(orientation);
    Ok(img.into_rgb8())
}

fn draw_mark(img: &mut RgbImage, mark: &Mark) {
    let (w, h) = img.dimensions();
    let side = w.min(h);
    let thick = (side / 200).clamp(2, 8);
    let a = &mark.attributes;
    if let Some(r) = &a.head_area {
        rect(img, r, (thick / 2).max(1), HEAD);
    }
    if let Some(r) = &a.face_area {
        rect(img, r, thick, FACE);
    }
    for p in [&a.right_eye_center, &a.left_eye_center]
        .into_iter()
        .flatten()
    {
        dot(img, p, i64::from(thick) + 2, EYE);
    }
    // Label: beside the face box (above it when there is room, else inside its top).
    let Some(anchor) = a.face_area.or(a.head_area) else {
        return;
    };
    let scale = (side / 256).clamp(1, 6);
    let pad = i64::from(scale) * 2;
    let line_h = i64::from((font::HEIGHT + 2) * scale);
    let n_lines = i64::try_from(mark.lines.len()).unwrap_or(0);
    let block_h = line_h * n_lines + pad;
    let block_w = mark
        .lines
        .iter()
        .map(|l| i64::from(font::text_width(l, scale)))
        .max()
        .unwrap_or(0)
        + 2 * pad;
    let mut top = anchor.top - block_h - i64::from(thick);
    if top < 0 {
        top = anchor.top + i64::from(thick);
    }
    let left = anchor.left.clamp(0, (i64::from(w) - block_w).max(0));
    fill(img, left, top, block_w, block_h, LABEL_BG);
    for (i, line) in mark.lines.iter().enumerate() {
        let y = top + pad + line_h * i64::try_from(i).unwrap_or(0);
        text(img, left + pad, y, line, scale, LABEL_FG);
    }
}

fn put(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>) {
    if let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y))
        && x < img.width()
        && y < img.height()
    {
        img.put_pixel(x, y, c);
    }
}

fn fill(img: &mut RgbImage, x: i64, y: i64, w: i64, h: i64, c: Rgb<u8>) {
    let x0 = x.max(0);
    let y0 = y.max(0);
    let x1 = (x + w).min(i64::from(img.width()));
    let y1 = (y + h).min(i64::from(img.height()));
    for yy in y0..y1 {
        for xx in x0..x1 {
            put(img, xx, yy, c);
        }
    }
}

/// A hollow rectangle whose border grows inward from `r` by `thick` pixels.
fn rect(img: &mut RgbImage, r: &Rect, thick: u32, c: Rgb<u8>) {
    let t = i64::from(thick);
    let (l, tp, rt, b) = (r.left, r.top, r.right, r.bottom);
    if rt <= l || b <= tp {
        return;
    }
    fill(img, l, tp, rt - l, t, c);
    fill(img, l, b - t, rt - l, t, c);
    fill(img, l, tp, t, b - tp, c);
    fill(img, rt - t, tp, t, b - tp, c);
}

fn dot(img: &mut RgbImage, p: &Point, radius: i64, c: Rgb<u8>) {
    for dy in -radius..=radius {
        for dx in -radius..=radius {
            if dx * dx + dy * dy <= radius * radius {
                put(img, p.x + dx, p.y + dy, c);
            }
        }
    }
}

fn text(img: &mut RgbImage, x: i64, y: i64, s: &str, scale: u32, c: Rgb<u8>) {
    let sc = i64::from(scale);
    let mut cx = x;
    for ch in s.chars() {
        let g = font::glyph(ch);
        for (row, bits) in (0i64..).zip(g.iter()) {
            for col in 0..i64::from(font::WIDTH) {
                if bits & (1 << (4 - col)) != 0 {
                    fill(img, cx + col * sc, y + row * sc, sc, sc, c);
                }
            }
        }
        cx += i64::from(font::ADVANCE) * sc;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_boxes_eyes_and_label_inside_the_picture() {
        let mut img = RgbImage::from_pixel(200, 100, Rgb([128, 128, 128]));
        let a = FaceAttributes {
            face_area: Some(Rect {
                left: 50,
                top: 30,
                right: 110,
                bottom: 90,
            }),
            right_eye_center: Some(Point { x: 65, y: 50 }),
            face_score: Some(0.99),
            face_quality_score: Some(0.8),
            ..FaceAttributes::default()
        };
        draw_mark(&mut img, &Mark::numbered(1, &a, vec!["MATCH 9999".into()]));
        assert_eq!(*img.get_pixel(50, 60), FACE, "left edge of the face box");
        assert_eq!(*img.get_pixel(65, 50), EYE, "eye centre");
        assert_eq!(*img.get_pixel(80, 60), Rgb([128, 128, 128]), "inside stays");
        assert_eq!(*img.get_pixel(199, 99), Rgb([128, 128, 128]));
        // Boxes hanging off the picture are clipped, not a panic.
        let off = FaceAttributes {
            face_area: Some(Rect {
                left: -50,
                top: -50,
                right: 5000,
                bottom: 5000,
            }),
            left_eye_center: Some(Point { x: -3, y: 9999 }),
            ..FaceAttributes::default()
        };
        draw_mark(&mut img, &Mark::numbered(2, &off, vec![]));
    }
}
