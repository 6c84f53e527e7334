//! The emulator's default, real face engine end to end: photos of the same person match,
//! another person does not. Scores are the engine's documented mapping of descriptor
//! distance (0.5 ↦ 7000), not the vendor's calibration.

#![allow(clippy::unwrap_used)] // test code

use necid::{ErrorKind, SearchRequest};
use necid_e2e::{Emulator, faces};
use necid_server::ServerConfig;

#[tokio::test]
async fn same_person_matches_and_another_does_not() {
    // ServerConfig::default() runs the real engine, as `necid serve` does.
    let emu = Emulator::start_with(ServerConfig::default()).await;
    let c = emu.client();
    let obama = c.register_subject(faces::OBAMA, &[]).await.unwrap();
    let biden = c.register_subject(faces::BIDEN, &[]).await.unwrap();
    let attrs = obama.attributes.expect("attributes");
    let (right, left) = (
        attrs.right_eye_center.unwrap(),
        attrs.left_eye_center.unwrap(),
    );
    let area = attrs.face_area.unwrap();
    assert!(
        area.left < right.x && right.x < left.x && left.x < area.right,
        "{attrs:?}"
    );

    // 1:N with other photos of the same person: that subject first.
    for probe in [faces::OBAMA2, faces::OBAMA3] {
        let hits = c.search(SearchRequest::new(probe)).await.unwrap();
        assert_eq!(
            hits.candidates.first().map(|h| h.subject_id.as_str()),
            Some(obama.subject_id.as_str()),
            "{hits:?}"
        );
        assert!(
            hits.candidates
                .iter()
                .all(|h| h.subject_id != biden.subject_id),
            "{hits:?}"
        );
    }

    // 1:1.
    assert!(
        c.verify_subject(&obama.subject_id, faces::OBAMA2)
            .await
            .unwrap()
            .verified
    );
    assert!(
        !c.verify_subject(&obama.subject_id, faces::BIDEN)
            .await
            .unwrap()
            .verified
    );
    assert!(
        c.verify_faces(faces::OBAMA, faces::OBAMA3)
            .await
            .unwrap()
            .verified
    );
    let other = c.verify_faces(faces::OBAMA, faces::BIDEN).await.unwrap();
    assert!(!other.verified && other.score.unwrap() < 7000, "{other:?}");

    // A picture without a face is NoFace (2001).
    let blank = gray_png(64, 64);
    let err = c.register_subject(blank, &[]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoFace, "{err}");
    assert_eq!(err.error_code(), Some(2001));
    emu.stop().await;
}

/// A valid PNG of a uniform gray square: an image without a face.
fn gray_png(width: u32, height: u32) -> Vec<u8> {
    let img = image::GrayImage::from_pixel(width, height, image::Luma([128u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}
