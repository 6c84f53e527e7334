//! Prints the faces the engine finds in each image, with timings, and the pairwise
//! scores of the first face of each image:
//! `cargo run -p necid-face-engine --example detect -- a.jpg b.jpg ...`

use necid_face_engine::{FaceEngine, distance, score};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let engine = FaceEngine::new()?;
    println!("engine loaded in {:?}", t.elapsed());
    let mut firsts = Vec::new();
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path)?;
        let t = Instant::now();
        let faces = engine.detect(&bytes, 20)?;
        let el = t.elapsed();
        println!("{path}: {} face(s) in {el:?}", faces.len());
        for f in &faces {
            println!(
                "  box ({:.0},{:.0})-({:.0},{:.0}) det {:.2} faceScore {:.3} eyes R({:.0},{:.0}) L({:.0},{:.0}) roll {:.1} pan {:.1} tilt {:.1} frontal {:.2} quality {:.2}",
                f.face_area.left,
                f.face_area.top,
                f.face_area.right,
                f.face_area.bottom,
                f.detector_score,
                f.face_score,
                f.right_eye_center.x,
                f.right_eye_center.y,
                f.left_eye_center.x,
                f.left_eye_center.y,
                f.roll,
                f.pan,
                f.tilt,
                f.frontal_face_score,
                f.face_quality_score
            );
        }
        if let Some(f) = faces.into_iter().next() {
            firsts.push((path, f));
        }
    }
    for (i, (pa, a)) in firsts.iter().enumerate() {
        for (pb, b) in firsts.iter().skip(i + 1) {
            println!(
                "{pa} vs {pb}: distance {:.3} score {}",
                distance(&a.descriptor, &b.descriptor),
                score(&a.descriptor, &b.descriptor)
            );
        }
    }
    Ok(())
}
