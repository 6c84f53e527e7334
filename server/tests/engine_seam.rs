//! Another engine plugs in through `FaceEngine` + `start_with_engine` (how the real face
//! engine will): health reports it and its detections and scores drive the API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::sync::Arc;

use common::{Harness, b64, picture};
use necid_server::{DetectedFace, DeterministicEngine, EngineError, FaceEngine, ServerConfig};
use serde_json::json;

/// A deterministic engine that claims to be a face matcher and scores every pair as a
/// match — a stand-in for an engine whose scores differ from the built-in one.
struct Generous(DeterministicEngine);

impl FaceEngine for Generous {
    fn detect(&self, image: &[u8]) -> Result<Vec<DetectedFace>, EngineError> {
        self.0.detect(image)
    }
    fn compare(&self, _a: &[u8], _b: &[u8]) -> u32 {
        8123
    }
    fn name(&self) -> &str {
        "generous"
    }
    fn is_face_matcher(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn a_custom_engine_drives_the_api() {
    let server = necid_server::start_with_engine(
        ServerConfig::default(),
        Arc::new(Generous(DeterministicEngine::new())),
    )
    .await
    .unwrap();
    assert_eq!(server.engine_name(), "generous");
    let h = Harness {
        server,
        http: reqwest::Client::new(),
    };
    let r = h
        .send(h.req("GET", "/v1.1/health").unsigned())
        .await
        .expect(200);
    assert_eq!(
        r.json,
        json!({"status": "OK", "engine": "generous", "faceMatcher": true})
    );
    let sid = h
        .send(
            h.req("POST", "/v1.1/subjects")
                .json(&json!({"face": b64(&picture(1, 64, 64))})),
        )
        .await
        .expect(201)
        .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // an unrelated picture "matches" because this engine says so
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": b64(&picture(2, 64, 64))})),
        )
        .await
        .expect(200);
    assert_eq!(
        r.json["candidates"],
        json!([{"id": sid, "score": 8123, "events": [{"id": r.json["candidates"][0]["events"][0]["id"], "score": 8123}]}])
    );
}
