//! No input may panic the engine: random bytes, truncated and corrupted real files,
//! degenerate images. Every call must return `Ok` or a typed error.

// Test helpers outside #[test] fns may unwrap too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use necid_face_engine::{EngineError, FaceEngine, score_from_distance};
use std::sync::OnceLock;

fn engine() -> &'static FaceEngine {
    static ENGINE: OnceLock<FaceEngine> = OnceLock::new();
    ENGINE.get_or_init(|| FaceEngine::new().unwrap())
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../cli/assets/faces/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Small deterministic xorshift generator (no test depends on a seed from outside).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn encode_png(w: u32, h: u32, mut fill: impl FnMut(u32, u32) -> [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb(fill(x, y)));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn garbage_is_invalid_image() {
    assert!(matches!(
        engine().detect(&[], 1),
        Err(EngineError::InvalidImage(_))
    ));
    assert!(matches!(
        engine().detect(b"not an image at all", 1),
        Err(EngineError::InvalidImage(_))
    ));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for len in [1usize, 2, 7, 64, 1000, 20_000] {
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        assert!(
            engine().detect(&bytes, 20).is_err(),
            "random {len} bytes decoded?"
        );
    }
}

#[test]
fn truncated_and_corrupted_files_never_panic() {
    let mut rng = Rng(42);
    for name in ["obama2.jpg", "astronaut.png"] {
        let full = fixture(name);
        // Truncations at many points, including inside the headers.
        let mut cuts: Vec<usize> = (0..40).map(|i| i * 13).collect();
        cuts.extend((1..20).map(|i| full.len() * i / 20));
        for cut in cuts {
            let r = engine().detect(&full[..cut.min(full.len())], 2);
            if let Ok(faces) = &r {
                assert!(faces.len() <= 2);
            }
        }
        // Random byte flips.
        for _ in 0..12 {
            let mut bytes = full.clone();
            for _ in 0..20 {
                let i = (rng.next() as usize) % bytes.len();
                bytes[i] = rng.next() as u8;
            }
            let _ = engine().detect(&bytes, 2);
        }
    }
}

#[test]
fn degenerate_images_give_no_faces() {
    for (w, h) in [(1, 1), (19, 19), (20, 20), (1, 500), (500, 1), (64, 64)] {
        let png = encode_png(w, h, |_, _| [128, 128, 128]);
        let faces = engine().detect(&png, 20).unwrap();
        assert!(faces.is_empty(), "{w}x{h} grey image has no face");
    }
    let mut rng = Rng(7);
    let noise = encode_png(300, 200, |_, _| {
        let v = rng.next() as u8;
        [v, v, v]
    });
    // Noise may or may not trigger the cascade, but must not panic.
    let _ = engine().detect(&noise, 20).unwrap();
}

#[test]
fn oversized_header_is_rejected_without_allocating() {
    // A PNG whose header claims 100000 x 100000 pixels.
    let mut png = encode_png(4, 4, |_, _| [0, 0, 0]);
    // IHDR data starts at byte 16: width, height (big endian). The CRC becomes wrong,
    // which is fine: either the size limit or the CRC check must reject it.
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    assert!(matches!(
        engine().detect(&png, 1),
        Err(EngineError::InvalidImage(_))
    ));
}

#[test]
fn score_curve_is_monotone_and_anchored() {
    assert_eq!(score_from_distance(0.0), 9999);
    let s05 = score_from_distance(0.5);
    assert!((6990..=7010).contains(&s05), "0.5 -> {s05}");
    let mut prev = 10_000;
    for i in 0..=200 {
        let s = score_from_distance(i as f32 * 0.01);
        assert!(s <= prev, "not monotone at {}", i as f32 * 0.01);
        prev = s;
    }
    assert!(score_from_distance(0.6) < 7000 && score_from_distance(0.45) > 7000);
    assert!(score_from_distance(2.0) < 10);
    assert_eq!(score_from_distance(f32::NAN), 0);
    assert_eq!(score_from_distance(-1.0), 0);
}
