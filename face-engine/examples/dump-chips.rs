//! Writes the landmark and descriptor input chips of the largest face in an image as
//! raw RGB bytes: the real-face inputs of tools/gen-reference.mjs.
//! `cargo run -p necid-face-engine --example dump-chips -- cli/assets/faces/obama.jpg face-engine/tests/reference`
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(img), Some(dir)) = (args.get(1), args.get(2)) else {
        return Err("usage: dump-chips IMAGE OUT_DIR".into());
    };
    let engine = necid_face_engine::FaceEngine::new()?;
    let Some((lm, desc)) = engine.chips_of_largest_face(&std::fs::read(img)?)? else {
        return Err("no face".into());
    };
    let to_bytes = |v: &[f32]| {
        v.iter()
            .map(|x| x.round().clamp(0.0, 255.0) as u8)
            .collect::<Vec<u8>>()
    };
    let dir = std::path::Path::new(dir);
    std::fs::write(dir.join("landmark_chip_112.rgb"), to_bytes(&lm))?;
    std::fs::write(dir.join("descriptor_chip_150.rgb"), to_bytes(&desc))?;
    Ok(())
}
