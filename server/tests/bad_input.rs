//! Bad input never yields a 500 or a crash: each is answered with the right status and a
//! JSON body, and the server keeps serving.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::{Harness, b64, picture};
use serde_json::json;

async fn still_serving(h: &Harness) {
    h.send(h.req("GET", "/v1.1/health").unsigned())
        .await
        .expect(200);
    h.send(h.req("GET", "/v1.1/tags")).await.expect(200);
}

#[tokio::test]
async fn malformed_bodies_are_invalid_requests() {
    let h = Harness::start().await;
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"   ".to_vec(),
        b"{".to_vec(),
        b"{\"face\": }".to_vec(),
        b"not json at all".to_vec(),
        b"[1,2,3]".to_vec(),
        b"\"face\"".to_vec(),
        b"null".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x01],
        format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
    ];
    for path in [
        "/v1.1/subjects",
        "/v1.1/face/extract",
        "/v1.1/face/search",
        "/v1.1/face/verify",
        "/v1.1/jobs/bulkregister",
    ] {
        for body in &bodies {
            h.send(h.req("POST", path).raw_body(body.clone()))
                .await
                .expect_error(400, "InvalidRequest", 1001);
        }
    }
    for body in &bodies {
        h.send(h.tenant("POST", "/api/galleries").raw_body(body.clone()))
            .await
            .expect_error(400, "InvalidRequest", 1001);
    }
    still_serving(&h).await;
}

#[tokio::test]
async fn wrong_types_and_missing_fields() {
    let h = Harness::start().await;
    let face = b64(&picture(1, 64, 64));
    let cases = [
        ("/v1.1/subjects", json!({})),
        ("/v1.1/subjects", json!({"face": 123})),
        ("/v1.1/subjects", json!({"face": ""})),
        ("/v1.1/subjects", json!({"face": ["a"]})),
        ("/v1.1/subjects", json!({"face": face, "tags": "staff"})),
        ("/v1.1/subjects", json!({"face": face, "tags": [1, 2]})),
        ("/v1.1/subjects", json!({"face": face, "tags": [""]})),
        ("/v1.1/face/extract", json!({"face": face})),
        ("/v1.1/face/extract", json!({"faces": face, "limit": "3"})),
        ("/v1.1/face/extract", json!({"faces": face, "limit": 2.5})),
        ("/v1.1/face/extract", json!({"faces": face, "limit": -1})),
        ("/v1.1/face/search", json!({"probe": face, "limit": 1e300})),
        ("/v1.1/face/verify", json!({"id": 5, "probe": face})),
        (
            "/v1.1/face/verify",
            json!({"id": "x", "face": face, "probe": face}),
        ),
        ("/v1.1/jobs/bulkregister", json!({"registrations": []})),
        ("/v1.1/jobs/bulkregister", json!({"registrations": "a.png"})),
        // (A record without a filename fails alone: bulk.rs.)
        (
            "/v1.1/jobs/bulkregister",
            json!({"registrations": [{"filename": 7}]}),
        ),
        (
            "/v1.1/jobs/bulkregister",
            json!({"registrations": [{"filename": "a.png", "tags": ["nope"]}]}),
        ),
        (
            "/v1.1/jobs/bulkregister",
            json!({"registrations": ["a.png"]}),
        ),
    ];
    for (path, body) in cases {
        let r = h.send(h.req("POST", path).json(&body)).await;
        assert_eq!(r.status, 400, "{path} {body}: {}", r.json);
        assert_eq!(
            r.error_type(),
            "InvalidRequest",
            "{path} {body}: {}",
            r.json
        );
        assert_eq!(r.json["errorCode"], 1001);
    }
    still_serving(&h).await;
}

#[tokio::test]
async fn bad_images() {
    let h = Harness::start().await;
    for face in [
        "!!!not base64!!!".to_owned(),
        b64(b"hello, this is not an image"),
        b64(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]), // truncated PNG
        b64(&[0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]),                         // truncated JPEG
    ] {
        h.send(h.req("POST", "/v1.1/subjects").json(&json!({"face": face})))
            .await
            .expect_error(400, "InvalidRequest", 1001);
        h.send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": face})),
        )
        .await
        .expect_error(400, "InvalidRequest", 1001);
    }
    // too small to hold a face
    h.send(
        h.req("POST", "/v1.1/subjects")
            .json(&json!({"face": b64(&picture(1, 8, 8))})),
    )
    .await
    .expect_error(400, "NoFace", 2001);
    // base64 variants that are still accepted: no padding, URL-safe, wrapped lines, data URL
    let png = picture(3, 64, 64);
    let plain = b64(&png);
    let wrapped: String = plain
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).to_string() + "\n")
        .collect();
    for face in [
        plain.trim_end_matches('=').to_owned(),
        wrapped,
        format!("data:image/png;base64,{plain}"),
    ] {
        h.send(
            h.req("POST", "/v1.1/face/extract")
                .json(&json!({"faces": face})),
        )
        .await
        .expect(200);
    }
    still_serving(&h).await;
}

#[tokio::test]
async fn bodies_over_10_mb_are_413() {
    let h = Harness::start().await;
    let big = format!("{{\"face\": \"{}\"}}", "A".repeat(10 * 1024 * 1024 + 10));
    for req in [
        h.req("POST", "/v1.1/subjects")
            .raw_body(big.clone().into_bytes()),
        h.req("POST", "/v1.1/subjects")
            .raw_body(big.clone().into_bytes())
            .unsigned(),
    ] {
        let r = h.send(req).await.expect(413);
        assert!(r.message().contains("10485760"), "{}", r.json);
    }
    // just under the limit is read (and refused for its content, not its size)
    let ok = format!("{{\"face\": \"{}\"}}", "A".repeat(1024 * 1024));
    h.send(h.req("POST", "/v1.1/subjects").raw_body(ok.into_bytes()))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    still_serving(&h).await;
}

#[tokio::test]
async fn odd_paths_and_queries() {
    let h = Harness::start().await;
    // invalid UTF-8 in a path parameter
    h.send(h.req("POST", "/v1.1/tags/%FF%FE"))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    // a very long tag name
    h.send(h.req("POST", &format!("/v1.1/tags/{}", "x".repeat(300))))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    // unknown subject / event ids
    h.send(
        h.req("PUT", "/v1.1/subjects/nope/events/nada")
            .json(&json!({"tags": []})),
    )
    .await
    .expect(404);
    h.send(h.req("DELETE", "/v1.1/subjects/nope/events/nada"))
        .await
        .expect(404);
    h.send(h.req("GET", "/v1.1/jobs/bulkregister/nope"))
        .await
        .expect(404);
    // unknown query parameters are ignored (an empty gallery: the reference's 404); bad
    // values are not
    let r = h
        .send(h.req("GET", "/v1.1/subjects?foo=bar"))
        .await
        .expect(404);
    assert_eq!(r.json["message"], "Subjects not found.");
    h.send(h.req("GET", "/v1.1/subjects?start=abc"))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    h.send(h.req("GET", "/v1.1/subjects?length=99999999999999999999999"))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    // tenant ids that do not exist
    h.send(h.tenant("GET", "/api/galleries/nope"))
        .await
        .expect(404);
    h.send(
        h.tenant("PATCH", "/api/galleries/nope")
            .json(&json!({"size": 5})),
    )
    .await
    .expect(404);
    h.send(h.tenant("PATCH", "/api/applications/nope").json(&json!({})))
        .await
        .expect(404);
    h.send(h.tenant("DELETE", "/api/applications/nope"))
        .await
        .expect(404);
    still_serving(&h).await;
}
