//! Rough single-thread timings (not a test): engine load, each network, and whole
//! `detect` calls on the fixtures and on rustface's group photo.
//! `cargo run -p necid-face-engine --example timing`
use necid_face_engine::{FaceEngine, MAX_FACES, RUSTFACE_SRC_DIR};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let engine = FaceEngine::new()?;
    println!("FaceEngine::new: {:?}", t.elapsed());
    let n = 20;
    let lm_in = vec![100.0f32; 112 * 112 * 3];
    let t = Instant::now();
    for _ in 0..n {
        engine.landmark_net(&lm_in)?;
    }
    println!("landmark net: {:?} per run", t.elapsed() / n);
    let d_in = vec![100.0f32; 150 * 150 * 3];
    let t = Instant::now();
    for _ in 0..n {
        engine.descriptor_net(&d_in)?;
    }
    println!("descriptor net: {:?} per run", t.elapsed() / n);
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../cli/assets/faces");
    let mut files: Vec<String> = [
        "astronaut.png",
        "obama.jpg",
        "obama2.jpg",
        "obama3.jpg",
        "biden.jpg",
    ]
    .iter()
    .map(|f| format!("{fixtures}/{f}"))
    .collect();
    files.push(format!("{RUSTFACE_SRC_DIR}/test.png"));
    for f in files {
        let bytes = std::fs::read(&f)?;
        let t = Instant::now();
        let dets = engine.locate(&bytes)?;
        let t_locate = t.elapsed();
        let t = Instant::now();
        let faces = engine.detect(&bytes, MAX_FACES)?;
        let t_detect = t.elapsed();
        println!(
            "{}: decode+detection {t_locate:?} ({} boxes); detect {t_detect:?} ({} faces, {:?} per face beyond detection)",
            f.rsplit('/').next().unwrap_or(&f),
            dets.len(),
            faces.len(),
            t_detect.saturating_sub(t_locate) / (faces.len().max(1) as u32)
        );
    }
    Ok(())
}
