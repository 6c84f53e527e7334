//! The Rust networks must agree with the npm package's own TF.js code. The expected
//! outputs in reference/tfjs-outputs.json were produced once by
//! tools/gen-reference.mjs (face-api 1.7.15's ESM bundle, tfjs CPU backend) on the
//! same inputs used here.

// Test helpers outside #[test] fns may unwrap too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use necid_face_engine::FaceEngine;
use serde_json::Value;

const TOLERANCE: f32 = 1e-4;

fn reference() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/tfjs-outputs.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn expected(v: &Value, net: &str, input: &str) -> Vec<f32> {
    v[net][input]
        .as_array()
        .unwrap_or_else(|| panic!("{net}.{input} missing"))
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// Same formula as `synthetic()` in tools/gen-reference.mjs.
fn synthetic(size: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(size * size * 3);
    for y in 0..size {
        for x in 0..size {
            for c in 0..3 {
                out.push(((x * 7 + y * 13 + c * 71 + ((x * y) % 31) * 5) % 256) as f32);
            }
        }
    }
    out
}

fn chip(file: &str) -> Vec<f32> {
    let path = format!("{}/tests/reference/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path)
        .unwrap()
        .into_iter()
        .map(f32::from)
        .collect()
}

fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let max = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!("{what}: max |rust - tfjs| = {max:e}");
    assert!(
        max <= TOLERANCE,
        "{what}: max abs difference {max} > {TOLERANCE}"
    );
}

#[test]
fn landmark_net_matches_tfjs() {
    let engine = FaceEngine::new().unwrap();
    let r = reference();
    assert_close(
        "landmarks/synthetic",
        &engine.landmark_net(&synthetic(112)).unwrap(),
        &expected(&r, "landmarks", "synthetic"),
    );
    assert_close(
        "landmarks/face",
        &engine.landmark_net(&chip("landmark_chip_112.rgb")).unwrap(),
        &expected(&r, "landmarks", "face"),
    );
}

#[test]
fn descriptor_net_matches_tfjs() {
    let engine = FaceEngine::new().unwrap();
    let r = reference();
    assert_close(
        "descriptor/synthetic",
        &engine.descriptor_net(&synthetic(150)).unwrap(),
        &expected(&r, "descriptor", "synthetic"),
    );
    assert_close(
        "descriptor/face",
        &engine
            .descriptor_net(&chip("descriptor_chip_150.rgb"))
            .unwrap(),
        &expected(&r, "descriptor", "face"),
    );
}

#[test]
fn networks_reject_wrong_input_sizes() {
    let engine = FaceEngine::new().unwrap();
    assert!(engine.landmark_net(&[0.0; 10]).is_err());
    assert!(engine.descriptor_net(&synthetic(112)).is_err());
}
