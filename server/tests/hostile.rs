//! Hostile pictures against an in-process emulator over real loopback HTTP: every bomb
//! shape gets a typed 400 quickly from the header check (both engines, every operation
//! that takes a picture), the configured limits and the decoder allocation limit apply,
//! and decode slots bound how many pictures are decoded at once.
//!
//! The memory and `/health`-latency measurements under attack need a separate server
//! process: `cli/tests/hostile_input.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::bombs::{self, GRAY, PALETTE, RGB, RGBA};
use common::{Harness, b64, picture};
use necid_server::{EngineChoice, ServerConfig};
use serde_json::json;

/// Every shape the issue lists, over the default limits (10000 px a side, 25 MP).
fn bomb_shapes() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "gray8-20000x20000",
            bombs::png_zeros(20_000, 20_000, 8, GRAY, false),
        ),
        (
            "gray1-11000x11000",
            bombs::png_zeros(11_000, 11_000, 1, GRAY, false),
        ),
        (
            "palette1-10000x10000",
            bombs::png_zeros(10_000, 10_000, 1, PALETTE, false),
        ),
        (
            "interlaced-rgba-8000x8000",
            bombs::png_zeros(8_000, 8_000, 8, RGBA, true),
        ),
        (
            "pixels-only-9000x3000",
            bombs::png_zeros(9_000, 3_000, 8, RGB, false),
        ),
        (
            "tiny-header-65535x65535",
            bombs::png_header_only(65_535, 65_535),
        ),
        ("jpeg-60000x60000", bombs::jpeg_declaring(60_000, 60_000)),
        ("gif-65535x65535", bombs::gif_declaring(65_535, 65_535)),
    ]
}

#[test]
fn the_bombs_are_real_pictures() {
    // Small instances of each generator decode to what they declare: all-zero pixels.
    for (name, bytes, w, h) in [
        (
            "gray8",
            bombs::png_zeros(301, 203, 8, GRAY, false),
            301,
            203,
        ),
        (
            "gray1",
            bombs::png_zeros(301, 203, 1, GRAY, false),
            301,
            203,
        ),
        (
            "palette1-interlaced",
            bombs::png_zeros(301, 203, 1, PALETTE, true),
            301,
            203,
        ),
        (
            "rgba16-interlaced",
            bombs::png_zeros(97, 61, 16, RGBA, true),
            97,
            61,
        ),
        (
            "gray8-2MiB-of-zeros",
            bombs::png_zeros(2048, 1100, 8, GRAY, false),
            2048,
            1100,
        ),
    ] {
        let img = image::load_from_memory(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((img.width(), img.height()), (w, h), "{name}");
        assert!(img.to_luma8().pixels().all(|p| p.0[0] == 0), "{name}");
    }
    // The ratio that makes them bombs: 400 MB of pixels in well under 1 MB.
    let big = bombs::png_zeros(20_000, 20_000, 8, GRAY, false);
    assert!(big.len() < 600_000, "{}", big.len());
    assert!(bombs::png_zeros(11_000, 11_000, 1, GRAY, false).len() < 20_000);
    let jpeg = bombs::jpeg_declaring(60_000, 60_000);
    let dims = image::ImageReader::new(std::io::Cursor::new(&jpeg))
        .with_guessed_format()
        .unwrap()
        .into_dimensions()
        .unwrap();
    assert_eq!(dims, (60_000, 60_000));
}

async fn assert_refused_everywhere(h: &Harness, name: &str, bytes: &[u8]) {
    let data = b64(bytes);
    let calls = [
        ("POST", "/v1.1/face/extract", json!({"faces": data})),
        ("POST", "/v1.1/subjects", json!({"face": data})),
        ("POST", "/v1.1/face/search", json!({"probe": data})),
        (
            "POST",
            "/v1.1/face/verify",
            json!({"face": data, "probe": data}),
        ),
    ];
    for (method, path, body) in calls {
        let t = Instant::now();
        let r =
            h.send(h.req(method, path).json(&body))
                .await
                .expect_error(400, "InvalidRequest", 1001);
        let took = t.elapsed();
        let msg = r.json["message"].as_str().unwrap();
        assert!(msg.contains("too large"), "{name} {path}: {msg}");
        // Refused from the header: milliseconds; 2 s leaves room for a loaded machine.
        assert!(took < Duration::from_secs(2), "{name} {path}: {took:?}");
    }
}

#[tokio::test]
async fn every_bomb_shape_is_refused_from_its_header_by_the_deterministic_engine() {
    let h = Harness::start().await;
    for (name, bytes) in bomb_shapes() {
        assert_refused_everywhere(&h, name, &bytes).await;
    }
    // The message says what was refused and what is accepted.
    let r = h
        .send(
            h.req("POST", "/v1.1/face/extract")
                .json(&json!({"faces": b64(&bombs::png_zeros(20_000, 20_000, 8, GRAY, false))})),
        )
        .await
        .expect(400);
    assert_eq!(
        r.json["message"],
        "faces property is too large: the image is 20000x20000 pixels; at most \
         10000x10000 pixels and 25000000 pixels in all are accepted."
    );
    // All at once: each still refused quickly.
    let t = Instant::now();
    let mut tasks = Vec::new();
    for (name, bytes) in bomb_shapes() {
        let req = h
            .req("POST", "/v1.1/face/extract")
            .json(&json!({"faces": b64(&bytes)}));
        let http = h.http.clone();
        tasks.push(tokio::spawn(async move {
            let r = req.send(&http).await;
            (name, r.status, r.json)
        }));
    }
    for t in tasks {
        let (name, status, body) = t.await.unwrap();
        assert_eq!(status, 400, "{name}: {body}");
        assert_eq!(body["errorType"], "InvalidRequest", "{name}");
    }
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // A normal picture still works afterwards.
    h.send(
        h.req("POST", "/v1.1/face/extract")
            .json(&json!({"faces": b64(&picture(5, 200, 200))})),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn the_real_engine_applies_the_same_policy() {
    let h = Harness::with_config(ServerConfig {
        engine: EngineChoice::Real,
        ..ServerConfig::default()
    })
    .await;
    for (name, bytes) in bomb_shapes() {
        assert_refused_everywhere(&h, name, &bytes).await;
    }
    // Within the limits, an all-zero picture is decoded and simply has no face.
    h.send(
        h.req("POST", "/v1.1/face/extract")
            .json(&json!({"faces": b64(&bombs::png_zeros(3000, 2000, 8, GRAY, false))})),
    )
    .await
    .expect_error(400, "NoFace", 2001);
}

fn limited(f: impl FnOnce(&mut necid_server::Limits)) -> ServerConfig {
    let mut cfg = ServerConfig {
        engine: EngineChoice::Deterministic,
        ..ServerConfig::default()
    };
    f(&mut cfg.limits);
    cfg
}

#[tokio::test]
async fn configured_limits_and_the_allocation_limit_apply() {
    let h = Harness::with_config(limited(|l| {
        l.max_image_width = 300;
        l.max_image_height = 200;
        l.max_image_pixels = 40_000;
        l.max_decode_bytes = 100_000;
    }))
    .await;
    let extract = |bytes: Vec<u8>| {
        h.req("POST", "/v1.1/face/extract")
            .json(&json!({"faces": b64(&bytes)}))
    };
    // At the limits: fine (200x200 RGB = 120000 bytes would be over; 180x180 is 97200).
    h.send(extract(picture(1, 180, 180))).await.expect(200);
    for (what, bytes) in [
        ("width", picture(1, 301, 20)),
        ("height", picture(1, 20, 201)),
        ("pixels", picture(1, 250, 170)),
    ] {
        let r = h
            .send(extract(bytes))
            .await
            .expect_error(400, "InvalidRequest", 1001);
        let msg = r.json["message"].as_str().unwrap();
        assert!(
            msg.contains("at most 300x200 pixels and 40000 pixels in all"),
            "{what}: {msg}"
        );
    }
    // 190x190 RGBA: 144400 bytes decoded, over the 100000-byte allocation limit.
    let rgba = image::RgbaImage::from_fn(190, 190, |x, y| image::Rgba([x as u8, y as u8, 9, 200]));
    let mut c = std::io::Cursor::new(Vec::new());
    rgba.write_to(&mut c, image::ImageFormat::Png).unwrap();
    let r = h
        .send(extract(c.into_inner()))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    assert_eq!(
        r.json["message"],
        "faces property is too large: the image (190x190 pixels) needs 144400 bytes decoded; \
         at most 100000 bytes are allowed."
    );
    // Undecodable bytes keep their own message.
    let r = h
        .send(extract(b"not a picture".to_vec()))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    assert!(
        r.json["message"]
            .as_str()
            .unwrap()
            .contains("is not a supported image"),
        "{}",
        r.json
    );
}

/// Instrumented engine (a fault-injection seam, not a mock of the server): detection
/// takes 300 ms and records how many calls overlap.
struct Counting {
    inner: necid_server::DeterministicEngine,
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl necid_server::FaceEngine for Counting {
    fn detect(
        &self,
        image: &[u8],
    ) -> Result<Vec<necid_server::DetectedFace>, necid_server::EngineError> {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(n, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(300));
        let r = self.inner.detect(image);
        self.now.fetch_sub(1, Ordering::SeqCst);
        r
    }
    fn compare(&self, a: &[u8], b: &[u8]) -> u32 {
        self.inner.compare(a, b)
    }
    fn name(&self) -> &str {
        "counting"
    }
    fn is_face_matcher(&self) -> bool {
        false
    }
}

#[tokio::test]
async fn decode_slots_bound_the_pictures_decoded_at_once() {
    let engine = Arc::new(Counting {
        inner: necid_server::DeterministicEngine::new(),
        now: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
    });
    let server =
        necid_server::start_with_engine(limited(|l| l.max_concurrent_decodes = 2), engine.clone())
            .await
            .unwrap();
    let h = Harness {
        server,
        http: reqwest::Client::new(),
    };
    let mut tasks = Vec::new();
    for i in 0..8 {
        let req = h
            .req("POST", "/v1.1/face/extract")
            .json(&json!({"faces": b64(&picture(i, 64, 64))}));
        let http = h.http.clone();
        tasks.push(tokio::spawn(async move { req.send(&http).await.status }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    // Excess requests waited for a slot (none was refused), and never more than 2 ran.
    assert_eq!(engine.peak.load(Ordering::SeqCst), 2);
    // A bomb is refused at once even while both slots are busy: the header check comes first.
    let mut busy = Vec::new();
    for i in 0..4 {
        let req = h
            .req("POST", "/v1.1/face/extract")
            .json(&json!({"faces": b64(&picture(100 + i, 64, 64))}));
        let http = h.http.clone();
        busy.push(tokio::spawn(async move { req.send(&http).await.status }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let t = Instant::now();
    h.send(
        h.req("POST", "/v1.1/face/extract")
            .json(&json!({"faces": b64(&bombs::png_header_only(65_535, 65_535))})),
    )
    .await
    .expect_error(400, "InvalidRequest", 1001);
    let refused_in = t.elapsed();
    // The four queued pictures need 2 x 300 ms of slot time; the bomb did not wait for them.
    let still_busy = busy.iter().filter(|t| !t.is_finished()).count();
    assert!(
        still_busy > 0,
        "the bomb was answered after every queued picture ({refused_in:?})"
    );
    for t in busy {
        assert_eq!(t.await.unwrap(), 200);
    }
}
