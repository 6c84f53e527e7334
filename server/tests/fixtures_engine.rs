//! The deterministic engine on the project's real photos (`cli/assets/faces`):
//! it matches *pictures*, not people — documented behaviour.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::PathBuf;

use necid_server::{DeterministicEngine, FaceEngine};

fn fixtures() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../cli/assets/faces");
    assert!(dir.is_dir(), "fixture photos expected at {}", dir.display());
    dir
}

fn template(bytes: &[u8]) -> Vec<u8> {
    let faces = DeterministicEngine::new().detect(bytes).unwrap();
    assert_eq!(faces.len(), 1, "portrait photos are one 'face'");
    faces.into_iter().next().unwrap().template
}

#[test]
fn real_photos_match_themselves_and_nothing_else() {
    let e = DeterministicEngine::new();
    let names = [
        "astronaut.png",
        "biden.jpg",
        "obama.jpg",
        "obama2.jpg",
        "obama3.jpg",
    ];
    let mut templates = Vec::new();
    for name in names {
        let bytes = std::fs::read(fixtures().join(name)).unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        // a half-size JPEG re-encode of the same photo
        let half = img.resize(
            img.width() / 2,
            img.height() / 2,
            image::imageops::FilterType::Triangle,
        );
        let mut jpeg = std::io::Cursor::new(Vec::new());
        half.to_rgb8()
            .write_to(&mut jpeg, image::ImageFormat::Jpeg)
            .unwrap();
        let t = template(&bytes);
        let score = e.compare(&t, &template(jpeg.get_ref()));
        assert!(score > 9000, "{name} vs its re-encoded copy: {score}");
        templates.push((name, t));
    }
    for (i, (a, ta)) in templates.iter().enumerate() {
        for (b, tb) in templates.iter().skip(i + 1) {
            let score = e.compare(ta, tb);
            // includes obama vs obama2/3: same person, different photo → no match
            assert!(score < 7000, "{a} vs {b}: {score}");
        }
    }
}
