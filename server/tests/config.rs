//! `ServerConfig::from_file` (TOML and JSON) and what a config file sets up.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::{Harness, b64, picture};
use necid_server::{EngineChoice, ServerConfig, Storage};
use serde_json::json;

const TOML: &str = r#"
host = "127.0.0.1"
port = 0
db = "data/necid.sqlite"
bucketDir = "bucket"
engine = "deterministic"

[credentials]
accessKeyId = "AKIDCUSTOM"
secretAccessKey = "custom-secret"
apiKey = "custom-default-key"

[[galleries]]
name = "staff"
id = "staff-gallery"
apiKey = "staff-key"
size = 2
faceMinimumQualityScore = 0.5

[limits]
maxTags = 3
bulkPageSize = 10
"#;

#[tokio::test]
async fn toml_config_file_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let path = dir.path().join("necid.toml");
    std::fs::write(&path, TOML).unwrap();
    let cfg = ServerConfig::from_file(&path).unwrap();
    assert_eq!(
        cfg.storage,
        Storage::Sqlite(dir.path().join("data/necid.sqlite"))
    );
    assert_eq!(cfg.bucket_dir, Some(dir.path().join("bucket")));
    assert_eq!(cfg.engine, EngineChoice::Deterministic);
    assert_eq!(cfg.limits.max_tags, 3);
    assert_eq!(
        cfg.limits.max_body_bytes,
        10 * 1024 * 1024,
        "unset limits keep their defaults"
    );
    // secrets stay out of Debug output
    let debug = format!("{cfg:?}");
    assert!(
        !debug.contains("custom-secret")
            && !debug.contains("custom-default-key")
            && !debug.contains("staff-key"),
        "{debug}"
    );

    let h = Harness::with_config(cfg).await;
    // the custom credentials are the ones accepted
    h.send(h.req("GET", "/v1.1/tags")).await.expect(403);
    let ok = |req: common::Req| req.keys("AKIDCUSTOM", "custom-secret");
    h.send(ok(h.req("GET", "/v1.1/tags").api_key("custom-default-key")))
        .await
        .expect(200);
    // the seeded gallery exists with its key, size and quality minimum
    let r = h
        .send(ok(h.tenant("GET", "/api/galleries/staff-gallery")))
        .await
        .expect(200);
    assert_eq!(r.json["name"], "staff");
    assert_eq!(r.json["size"], 2);
    let staff = |req: common::Req| ok(req.api_key("staff-key"));
    h.send(staff(
        h.req("POST", "/v1.1/subjects")
            .json(&json!({"face": b64(&picture(1, 32, 32))})),
    ))
    .await
    .expect_error(400, "PoorQuality", 2002);
    for seed in 1..=2 {
        h.send(staff(
            h.req("POST", "/v1.1/subjects")
                .json(&json!({"face": b64(&picture(seed, 400, 400))})),
        ))
        .await
        .expect(201);
    }
    let r = h
        .send(staff(
            h.req("POST", "/v1.1/subjects")
                .json(&json!({"face": b64(&picture(3, 400, 400))})),
        ))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    assert!(r.message().contains("full"), "{}", r.json);
    // maxTags = 3
    for t in ["a", "b", "c"] {
        h.send(staff(h.req("POST", &format!("/v1.1/tags/{t}"))))
            .await
            .expect(200);
    }
    h.send(staff(h.req("POST", "/v1.1/tags/d")))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    h.server.shutdown().await;

    // seeding is idempotent across restarts
    let h = Harness::with_config(ServerConfig::from_file(&path).unwrap()).await;
    let r = h
        .send(ok(h.tenant("GET", "/api/galleries")))
        .await
        .expect(200);
    assert_eq!(r.json["galleries"].as_array().unwrap().len(), 2);
    let r = h
        .send(ok(h.req("GET", "/v1.1/subjects").api_key("staff-key")))
        .await
        .expect(200);
    assert_eq!(r.json["total"], 2);
}

#[test]
fn json_config_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("necid.json");
    std::fs::write(
        &path,
        r#"{"memory": true, "port": 8123, "limits": {"clockSkewSecs": 60}}"#,
    )
    .unwrap();
    let cfg = ServerConfig::from_file(&path).unwrap();
    assert_eq!(cfg.storage, Storage::Memory);
    assert_eq!(cfg.port, 8123);
    assert_eq!(cfg.limits.clock_skew_secs, 60);

    for (name, text) in [
        ("a.json", r#"{"memory": true, "db": "x.sqlite"}"#),
        ("b.json", r#"{"unknownKey": 1}"#),
        ("c.toml", "engine = \"magic\""),
        ("d.toml", "port = \"eighty\""),
        ("e.toml", "[credentials]\naccessKeyId = \"\""),
        ("f.toml", "not toml at all ]["),
        ("g.toml", "corsOrigins = [\"app.example/path\"]"),
        ("h.toml", "[limits]\nmaxImagePixels = 0"),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let err = ServerConfig::from_file(&p).unwrap_err();
        assert!(
            matches!(err, necid_server::ServerError::Config(_)),
            "{name}: {err}"
        );
    }
    assert!(ServerConfig::from_file(dir.path().join("missing.toml")).is_err());

    // Image intake and CORS keys.
    let cfg = ServerConfig::from_str_format(
        "corsOrigins = [\"http://app.example:3000\"]\n[limits]\nmaxImageWidth = 4000\n\
         maxImageHeight = 3000\nmaxImagePixels = 9000000\nmaxDecodeBytes = 1000000\n\
         maxConcurrentDecodes = 3\n",
        false,
    )
    .unwrap();
    assert_eq!(cfg.cors_origins, ["http://app.example:3000"]);
    let l = &cfg.limits;
    assert_eq!(
        (l.max_image_width, l.max_image_height, l.max_image_pixels),
        (4000, 3000, 9_000_000)
    );
    assert_eq!(
        (
            l.max_decode_bytes,
            l.max_concurrent_decodes,
            l.decode_slots()
        ),
        (1_000_000, 3, 3)
    );
    assert_eq!(ServerConfig::default().cors_origins, ["*"]);
}

#[tokio::test]
async fn binding_a_busy_port_is_an_error() {
    let h = Harness::start().await;
    let cfg = ServerConfig {
        port: h.server.addr().port(),
        engine: necid_server::EngineChoice::Deterministic,
        ..ServerConfig::default()
    };
    let err = necid_server::start(cfg).await.unwrap_err();
    assert!(
        matches!(err, necid_server::ServerError::Bind { .. }),
        "{err}"
    );
}
