//! Prints every detector box: `cargo run -p necid-face-engine --example locate -- img`
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = necid_face_engine::FaceEngine::new()?;
    for path in std::env::args().skip(1) {
        let t = std::time::Instant::now();
        let dets = engine.locate(&std::fs::read(&path)?)?;
        println!("{path}: {} in {:?}", dets.len(), t.elapsed());
        for d in dets {
            println!("  {:?} {:.2}", d.area, d.score);
        }
    }
    Ok(())
}
