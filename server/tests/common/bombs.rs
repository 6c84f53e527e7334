//! Hostile pictures made on the spot (nothing large is committed): PNG decompression
//! bombs of several shapes and pictures whose headers declare huge dimensions.
//!
//! A bomb is a *valid* PNG of all-zero pixels: its zlib stream is one deflate block of
//! 1 MiB of zeros (compressed once, ~1000:1, ended with a sync flush so it is
//! byte-aligned and not final) repeated as often as needed, then an empty final block
//! and the Adler-32 of the zeros (computable in closed form). So a 20000x20000 grayscale
//! bomb is ~400 KB and takes milliseconds to make, and a decoder that trusts its header
//! really does have 400 MB to allocate and fill.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use miniz_oxide::deflate::core::{
    CompressorOxide, TDEFLFlush, TDEFLStatus, compress, create_comp_flags_from_zip_params,
};

/// PNG colour types.
pub const GRAY: u8 = 0;
pub const RGB: u8 = 2;
pub const PALETTE: u8 = 3;
pub const RGBA: u8 = 6;

/// Raw deflate of `n` zero bytes as one non-final, byte-aligned block.
fn zero_block(n: usize) -> Vec<u8> {
    let flags = create_comp_flags_from_zip_params(9, -15, 0);
    let mut c = CompressorOxide::new(flags);
    let input = vec![0u8; n];
    let mut out = vec![0u8; n / 100 + 4096];
    let (status, used, written) = compress(&mut c, &input, &mut out, TDEFLFlush::Sync);
    assert_eq!(status, TDEFLStatus::Okay);
    assert_eq!(used, n);
    out.truncate(written);
    out
}

/// A zlib stream of `total` zero bytes.
pub fn zlib_zeros(total: u64) -> Vec<u8> {
    const CHUNK: u64 = 1 << 20;
    let mut out = vec![0x78, 0xDA];
    let full = zero_block(CHUNK as usize);
    for _ in 0..total / CHUNK {
        out.extend_from_slice(&full);
    }
    let rest = total % CHUNK;
    if rest > 0 {
        out.extend_from_slice(&zero_block(rest as usize));
    }
    // Final, empty, fixed-Huffman block; then Adler-32 (a = 1, b = total mod 65521).
    out.extend_from_slice(&[0x03, 0x00]);
    let adler = (((total % 65521) as u32) << 16) | 1;
    out.extend_from_slice(&adler.to_be_bytes());
    out
}

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for part in parts {
        for &b in *part {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

fn channels(color: u8) -> u64 {
    match color {
        GRAY | PALETTE => 1,
        RGB => 3,
        4 => 2,
        RGBA => 4,
        _ => panic!("colour type {color}"),
    }
}

/// Bytes of filtered scanlines a decoder inflates for this picture.
pub fn raw_len(w: u32, h: u32, depth: u8, color: u8, interlaced: bool) -> u64 {
    let bits = channels(color) * u64::from(depth);
    let line = |pw: u64| 1 + (pw * bits).div_ceil(8);
    let (w, h) = (u64::from(w), u64::from(h));
    if !interlaced {
        return h * line(w);
    }
    // Adam7 passes: (x0, y0, dx, dy).
    [
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ]
    .iter()
    .map(|&(x0, y0, dx, dy)| {
        let pw = if w > x0 { (w - x0).div_ceil(dx) } else { 0 };
        let ph = if h > y0 { (h - y0).div_ceil(dy) } else { 0 };
        if pw == 0 || ph == 0 { 0 } else { ph * line(pw) }
    })
    .sum()
}

/// A valid all-zero PNG (a decompression bomb when large). Palette pictures get a
/// two-colour palette.
pub fn png_zeros(w: u32, h: u32, depth: u8, color: u8, interlaced: bool) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[depth, color, 0, 0, u8::from(interlaced)]);
    chunk(&mut out, b"IHDR", &ihdr);
    if color == PALETTE {
        chunk(&mut out, b"PLTE", &[0, 0, 0, 255, 255, 255]);
    }
    let data = zlib_zeros(raw_len(w, h, depth, color, interlaced));
    for piece in data.chunks(1 << 20) {
        chunk(&mut out, b"IDAT", piece);
    }
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A PNG whose header declares `w` x `h` but which carries almost no pixel data: a tiny
/// file that only a header check can judge without decoding.
pub fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, GRAY, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_zeros(1024)[..20]);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A real 16x16 baseline JPEG whose frame header (SOF0) is patched to declare `w` x `h`.
pub fn jpeg_declaring(w: u16, h: u16) -> Vec<u8> {
    let img = image::RgbImage::from_fn(16, 16, |x, y| {
        image::Rgb([(x * 16) as u8, (y * 16) as u8, 77])
    });
    let mut c = std::io::Cursor::new(Vec::new());
    img.write_to(&mut c, image::ImageFormat::Jpeg).unwrap();
    let mut bytes = c.into_inner();
    let sof = bytes
        .windows(2)
        .position(|m| m == [0xFF, 0xC0])
        .expect("SOF0 marker");
    // FF C0, length (2), precision (1), height (2), width (2).
    bytes[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    bytes
}

/// A real 16x16 GIF whose logical screen is patched to declare `w` x `h`.
pub fn gif_declaring(w: u16, h: u16) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(16, 16, |x, y| {
        image::Rgba([(x * 16) as u8, (y * 16) as u8, 9, 255])
    });
    let mut c = std::io::Cursor::new(Vec::new());
    img.write_to(&mut c, image::ImageFormat::Gif).unwrap();
    let mut bytes = c.into_inner();
    bytes[6..8].copy_from_slice(&w.to_le_bytes());
    bytes[8..10].copy_from_slice(&h.to_le_bytes());
    bytes
}
