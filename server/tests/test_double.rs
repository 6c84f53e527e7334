//! The emulator as a test double: throttling, strict and lenient mode, recording, reset
//! and seed — over real loopback HTTP with signed requests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use necid_server::throttle::ThrottleSpec;
use necid_server::{EngineChoice, ServerConfig};
use serde_json::json;

fn config() -> ServerConfig {
    ServerConfig {
        engine: EngineChoice::Deterministic,
        ..ServerConfig::default()
    }
}

#[tokio::test]
async fn throttle_is_a_token_bucket_per_api_key() {
    let h = Harness::with_config(ServerConfig {
        // A slow refill, so the test never depends on timing: 3 at once, then 429.
        throttle: Some(ThrottleSpec {
            rate: 0.001,
            burst: 3,
        }),
        ..config()
    })
    .await;
    for _ in 0..3 {
        h.send(h.req("GET", "/v1.1/tags")).await.expect(200);
    }
    let r = h.send(h.req("GET", "/v1.1/tags")).await.expect(429);
    assert_eq!(r.json, json!({"message": "Too Many Requests"}));
    assert_eq!(r.headers["x-amzn-errortype"], "TooManyRequestsException");
    // Another API key has its own bucket; requests without a key (health, tenant API)
    // are not throttled.
    let gallery = h
        .send(
            h.tenant("POST", "/api/galleries")
                .json(&json!({"name": "other"})),
        )
        .await
        .expect(200);
    let key = gallery.json["apiKey"].as_str().unwrap();
    for _ in 0..3 {
        h.send(h.req("GET", "/v1.1/tags").api_key(key))
            .await
            .expect(200);
    }
    h.send(h.req("GET", "/v1.1/tags").api_key(key))
        .await
        .expect(429);
    h.send(h.req("GET", "/v1.1/health").unsigned())
        .await
        .expect(200);
    h.send(h.tenant("GET", "/api/galleries")).await.expect(200);
    // The admin API changes it at run time.
    let (s, t) = h.admin("GET", "/throttle", None).await;
    assert_eq!(
        (s, t["enabled"].clone(), t["burst"].clone()),
        (200, json!(true), json!(3))
    );
    let (s, _) = h
        .admin("PUT", "/throttle", Some(json!({"enabled": false})))
        .await;
    assert_eq!(s, 200);
    h.send(h.req("GET", "/v1.1/tags")).await.expect(200);
    let (s, _) = h
        .admin("PUT", "/throttle", Some(json!({"rate": 0.001, "burst": 1})))
        .await;
    assert_eq!(s, 200);
    h.send(h.req("GET", "/v1.1/tags")).await.expect(200);
    h.send(h.req("GET", "/v1.1/tags")).await.expect(429);
    let (s, body) = h
        .admin("PUT", "/throttle", Some(json!({"rate": -1, "burst": 1})))
        .await;
    assert_eq!(s, 400);
    assert!(body["message"].as_str().unwrap().contains("rate"));
    // A bad throttle at start is a clear error.
    let e = necid_server::start(ServerConfig {
        throttle: Some(ThrottleSpec {
            rate: 1.0,
            burst: 0,
        }),
        ..config()
    })
    .await
    .unwrap_err();
    assert!(e.to_string().contains("burst"), "{e}");
}

#[tokio::test]
async fn strict_mode_follows_the_reference_and_lenient_relaxes_it() {
    let strict = Harness::start().await;
    let r = strict
        .send(strict.req("GET", "/v1.1/subjects"))
        .await
        .expect(404);
    assert_eq!(r.json, json!({"message": "Subjects not found."}));
    // A signature scoped to another region: refused in strict mode.
    let mut req = strict.req("GET", "/v1.1/tags");
    req.region = "us-east-1".into();
    let r = strict.send(req.clone()).await.expect(403);
    assert!(r.json["message"].as_str().unwrap().contains("region"));

    let lenient = Harness::with_config(ServerConfig {
        strict: false,
        ..config()
    })
    .await;
    let r = lenient
        .send(lenient.req("GET", "/v1.1/subjects"))
        .await
        .expect(200);
    assert_eq!(r.json, json!({"subjects": [], "total": 0}));
    let mut req = lenient.req("GET", "/v1.1/tags");
    req.region = "us-east-1".into();
    lenient.send(req).await.expect(200);
    // Switched at run time through the admin API.
    let (s, body) = lenient
        .admin("PUT", "/strict", Some(json!({"strict": true})))
        .await;
    assert_eq!((s, body), (200, json!({"strict": true})));
    lenient
        .send(lenient.req("GET", "/v1.1/subjects"))
        .await
        .expect(404);
    // Not empty: 200 in both modes; past the end: 404 in strict mode.
    lenient
        .send(
            lenient
                .req("POST", "/v1.1/subjects")
                .json(&json!({"face": b64(&picture(1, 64, 64))})),
        )
        .await
        .expect(201);
    let r = lenient
        .send(lenient.req("GET", "/v1.1/subjects"))
        .await
        .expect(200);
    assert_eq!(r.json["total"], 1);
    lenient
        .send(lenient.req("GET", "/v1.1/subjects?start=5"))
        .await
        .expect(404);
    // The reference's exact messages.
    let r = lenient
        .send(lenient.req("POST", "/v1.1/subjects").json(&json!({})))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    assert_eq!(r.json["message"], "face property must be provided.");
    let r = lenient
        .send(lenient.req("GET", "/v1.1/tags").api_key("wrong"))
        .await
        .expect(403);
    assert_eq!(r.json, json!({"message": "Forbidden"}));
}

#[tokio::test]
async fn recording_redacts_secrets_and_images_and_lists_what_was_sent() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_config(ServerConfig {
        record_dir: Some(dir.path().join("rec")),
        ..config()
    })
    .await;
    let face = b64(&picture(7, 64, 64));
    h.send(h.req("POST", "/v1.1/tags/staff")).await.expect(200);
    h.send(
        h.req("POST", "/v1.1/subjects")
            .json(&json!({"face": face, "tags": ["staff"]})),
    )
    .await
    .expect(201);
    h.send(h.req("GET", "/v1.1/subjects?start=0&length=10"))
        .await
        .expect(200);
    let app = h
        .send(
            h.tenant("POST", "/api/applications")
                .json(&json!({"name": "kiosk", "galleryId": "default"})),
        )
        .await;
    // Admin calls are not recorded.
    let (s, list) = h.admin("GET", "/requests", None).await;
    assert_eq!(s, 200);
    let reqs = list["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 4, "{list}");
    let methods: Vec<&str> = reqs.iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["POST", "POST", "GET", "POST"]);
    let reg = &reqs[1];
    assert_eq!(reg["path"], "/v1.1/subjects");
    assert_eq!(reg["status"], 201);
    assert_eq!(reg["requestBody"]["tags"], json!(["staff"]));
    assert!(
        reg["requestBody"]["face"]
            .as_str()
            .unwrap()
            .starts_with("<image: ")
    );
    assert!(reg["responseBody"]["id"].is_string());
    assert_eq!(reqs[2]["query"], "start=0&length=10");
    // Nothing secret or large anywhere: not in memory, not in the file.
    let file = std::fs::read_to_string(dir.path().join("rec/requests.jsonl")).unwrap();
    assert_eq!(file.lines().count(), 4);
    for text in [list.to_string(), file] {
        assert!(!text.contains(&face[..64]), "image bytes recorded");
        assert!(
            !text.contains(necid_server::DEV_API_KEY),
            "API key recorded"
        );
        assert!(!text.contains(necid_server::DEV_SECRET_ACCESS_KEY));
        if let Some(k) = app.json["apiKey"].as_str() {
            assert!(!text.contains(k), "a created application's key recorded");
        }
        assert!(text.contains("Signature=<redacted>"));
        assert!(text.contains("\"x-api-key\":\"sha256:"));
    }
    // Filters and paging.
    let (_, only) = h.admin("GET", "/requests?method=get", None).await;
    assert_eq!(only["requests"].as_array().unwrap().len(), 1);
    let (_, after) = h.admin("GET", "/requests?since=2&path=/v1.1", None).await;
    assert_eq!(after["requests"].as_array().unwrap().len(), 1);
    assert_eq!(after["last"], 3);
    // Faulted answers say which rule shaped them.
    h.admin(
        "POST",
        "/faults",
        Some(json!({"id": "boom", "path": "/v1.1/tags", "fault": "error", "status": 503, "count": 1})),
    )
    .await;
    h.admin(
        "POST",
        "/faults",
        Some(json!({"id": "cut", "path": "/v1.1/health", "fault": "reset", "count": 1})),
    )
    .await;
    h.send(h.req("GET", "/v1.1/tags")).await.expect(503);
    let _ = h
        .http
        .get(format!("{}/v1.1/health", h.endpoint()))
        .send()
        .await
        .unwrap_err();
    let (_, list) = h.admin("GET", "/requests?since=4", None).await;
    let reqs = list["requests"].as_array().unwrap();
    assert_eq!(reqs[0]["fault"], json!({"id": "boom", "fault": "error"}));
    assert_eq!(reqs[0]["status"], 503);
    assert_eq!(reqs[1]["fault"]["fault"], "reset");
    assert!(reqs[1]["status"].is_null());
    // Cleared, and switched off.
    h.admin("DELETE", "/requests", None).await;
    h.admin("PUT", "/recording", Some(json!({"enabled": false})))
        .await;
    h.send(h.req("GET", "/v1.1/tags")).await.expect(200);
    let (_, list) = h.admin("GET", "/requests", None).await;
    assert_eq!(list["requests"], json!([]));
    assert_eq!(list["recording"], false);
}

#[tokio::test]
async fn recording_is_off_by_default_and_can_be_turned_on() {
    let h = Harness::start().await;
    h.send(h.req("GET", "/v1.1/tags")).await.expect(200);
    let (_, list) = h.admin("GET", "/requests", None).await;
    assert_eq!(
        (list["recording"].clone(), list["requests"].clone()),
        (json!(false), json!([]))
    );
    let (s, r) = h
        .admin("PUT", "/recording", Some(json!({"enabled": true})))
        .await;
    assert_eq!(
        (s, r["enabled"].clone(), r["file"].clone()),
        (200, json!(true), json!(null))
    );
    h.send(h.req("GET", "/v1.1/tags")).await.expect(200);
    let (_, list) = h.admin("GET", "/requests", None).await;
    assert_eq!(list["requests"][0]["path"], "/v1.1/tags");
    assert_eq!(list["requests"][0]["responseBody"], json!([]));
}

#[tokio::test]
async fn reset_empties_a_gallery_and_keeps_its_keys() {
    let h = Harness::start().await;
    h.send(h.req("POST", "/v1.1/tags/t")).await.expect(200);
    for seed in 0..2 {
        h.send(
            h.req("POST", "/v1.1/subjects")
                .json(&json!({"face": b64(&picture(seed, 64, 64)), "tags": ["t"]})),
        )
        .await
        .expect(201);
    }
    let (s, r) = h.admin("POST", "/galleries/default/reset", None).await;
    assert_eq!((s, r["removedEvents"].clone()), (200, json!(2)));
    h.send(h.req("GET", "/v1.1/subjects")).await.expect(404);
    let r = h.send(h.req("GET", "/v1.1/tags")).await.expect(200);
    assert_eq!(r.json, json!([]));
    // The same picture is not found any more (the search cache is emptied too).
    h.send(
        h.req("POST", "/v1.1/face/search")
            .json(&json!({"probe": b64(&picture(0, 64, 64))})),
    )
    .await
    .expect(404);
    // The API key still opens the gallery.
    h.send(
        h.req("POST", "/v1.1/subjects")
            .json(&json!({"face": b64(&picture(3, 64, 64))})),
    )
    .await
    .expect(201);
    let (s, _) = h.admin("POST", "/galleries/nope/reset", None).await;
    assert_eq!(s, 404);
    // Reset everything: galleries, rules, records.
    h.admin(
        "POST",
        "/faults",
        Some(json!({"path": "/v1.1/tags", "fault": "error", "status": 500})),
    )
    .await;
    let (s, r) = h.admin("POST", "/reset", None).await;
    assert_eq!((s, r["removedEvents"].clone()), (200, json!(1)));
    h.send(h.req("GET", "/v1.1/tags")).await.expect(200);
}

#[tokio::test]
async fn seed_registers_a_folder_at_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alice.png"), picture(11, 80, 80)).unwrap();
    std::fs::create_dir(dir.path().join("bob")).unwrap();
    std::fs::write(dir.path().join("bob/1.png"), picture(12, 80, 80)).unwrap();
    std::fs::write(dir.path().join("bob/2.png"), picture(13, 80, 80)).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a picture").unwrap();
    let h = Harness::with_config(ServerConfig {
        seed_dir: Some(dir.path().to_owned()),
        ..config()
    })
    .await;
    let seeded = h.server.seeded();
    assert_eq!(seeded.len(), 3);
    assert_eq!(seeded[0]["file"], "alice.png");
    assert_eq!(
        seeded[1]["subjectId"], seeded[2]["subjectId"],
        "one subject per folder"
    );
    assert_ne!(seeded[0]["subjectId"], seeded[1]["subjectId"]);
    let (_, listed) = h.admin("GET", "/seed", None).await;
    assert_eq!(listed["seeded"], json!(seeded));
    let r = h.send(h.req("GET", "/v1.1/subjects")).await.expect(200);
    assert_eq!(r.json["total"], 3);
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": b64(&picture(12, 80, 80))})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["candidates"][0]["id"], seeded[1]["subjectId"]);

    // A picture that cannot be registered stops the start, naming it.
    std::fs::write(dir.path().join("blank.png"), picture_blank()).unwrap();
    let e = necid_server::start(ServerConfig {
        seed_dir: Some(dir.path().to_owned()),
        ..config()
    })
    .await
    .unwrap_err();
    assert!(e.to_string().contains("blank.png"), "{e}");
    let e = necid_server::start(ServerConfig {
        seed_dir: Some(dir.path().join("missing")),
        ..config()
    })
    .await
    .unwrap_err();
    assert!(e.to_string().contains("seed folder"), "{e}");
}

/// A uniform picture: the deterministic engine finds no face in it.
fn picture_blank() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(64, 64, image::Rgb([128, 128, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}
