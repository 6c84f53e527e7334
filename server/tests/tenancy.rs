//! The tenant API and the isolation of galleries: an API key sees only its own gallery.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::{Harness, b64, picture};
use necid_server::{DEFAULT_GALLERY_ID, DEV_API_KEY};
use serde_json::json;

#[tokio::test]
async fn galleries_and_applications_crud() {
    let h = Harness::start().await;
    let r = h.send(h.tenant("GET", "/api/galleries")).await.expect(200);
    let galleries = r.json["galleries"].as_array().unwrap();
    assert_eq!(galleries.len(), 1);
    assert_eq!(galleries[0]["id"], DEFAULT_GALLERY_ID);

    let r = h
        .send(h.tenant("POST", "/api/galleries").json(&json!({
            "name": "Y10Students", "description": "Year 10 Students", "faceMinimumQualityScore": 0.8, "size": 1000
        })))
        .await
        .expect(200);
    let gid = r.json["id"].as_str().unwrap().to_owned();
    let key = r.json["apiKey"].as_str().unwrap().to_owned();
    assert_eq!(r.json["name"], "Y10Students");
    assert_eq!(r.json["size"], 1000);
    assert!(key.len() >= 20);

    // duplicate name
    h.send(
        h.tenant("POST", "/api/galleries")
            .json(&json!({"name": "Y10Students"})),
    )
    .await
    .expect_error(400, "Duplicate", 1002);
    // invalid bodies
    for bad in [
        json!({}),
        json!({"name": 5}),
        json!({"name": "x", "faceMinimumQualityScore": 0.2}),
        json!({"name": "x", "size": -1}),
    ] {
        h.send(h.tenant("POST", "/api/galleries").json(&bad))
            .await
            .expect_error(400, "InvalidRequest", 1001);
    }

    // get: with its application and key
    let r = h
        .send(h.tenant("GET", &format!("/api/galleries/{gid}")))
        .await
        .expect(200);
    assert_eq!(r.json["count"], 0);
    assert_eq!(r.json["applications"][0]["apiKey"], key.as_str());

    // the new key works on the biometric API
    h.send(
        h.req("POST", "/v1.1/subjects")
            .api_key(&key)
            .json(&json!({"face": b64(&picture(1, 700, 700))})),
    )
    .await
    .expect(201);
    let r = h
        .send(h.tenant("GET", &format!("/api/galleries/{gid}")))
        .await
        .expect(200);
    assert_eq!(r.json["count"], 1);

    // faceMinimumQualityScore 0.8: a small picture is PoorQuality in this gallery, fine in the default one
    h.send(
        h.req("POST", "/v1.1/subjects")
            .api_key(&key)
            .json(&json!({"face": b64(&picture(2, 64, 64))})),
    )
    .await
    .expect_error(400, "PoorQuality", 2002);
    h.send(
        h.req("POST", "/v1.1/subjects")
            .json(&json!({"face": b64(&picture(2, 64, 64))})),
    )
    .await
    .expect(201);

    // update: size only grows
    let r = h
        .send(
            h.tenant("PATCH", &format!("/api/galleries/{gid}"))
                .json(&json!({"size": 2000, "description": "d"})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["size"], 2000);
    assert_eq!(r.json["description"], "d");
    h.send(
        h.tenant("PATCH", &format!("/api/galleries/{gid}"))
            .json(&json!({"size": 10})),
    )
    .await
    .expect_error(400, "InvalidRequest", 1001);

    // a second application for the gallery gives a second key to the same gallery
    let r = h
        .send(
            h.tenant("POST", "/api/applications")
                .json(&json!({"name": "Door", "galleryId": gid, "faceMinimumQualityScore": 0.5})),
        )
        .await
        .expect(200);
    let app_id = r.json["id"].as_str().unwrap().to_owned();
    let key2 = r.json["apiKey"].as_str().unwrap().to_owned();
    assert_ne!(key, key2);
    let r = h
        .send(h.req("GET", "/v1.1/subjects").api_key(&key2))
        .await
        .expect(200);
    assert_eq!(r.json["total"], 1);
    // its own quality minimum (0.5) applies to it
    h.send(
        h.req("POST", "/v1.1/subjects")
            .api_key(&key2)
            .json(&json!({"face": b64(&picture(3, 300, 300))})),
    )
    .await
    .expect(201);
    h.send(
        h.tenant("POST", "/api/applications")
            .json(&json!({"name": "x", "galleryId": "nope"})),
    )
    .await
    .expect_error(400, "InvalidRequest", 1001);

    let r = h
        .send(h.tenant("GET", "/api/applications"))
        .await
        .expect(200);
    assert!(
        r.json["applications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == app_id.as_str())
    );
    let r = h
        .send(h.tenant("GET", &format!("/api/applications/{app_id}")))
        .await
        .expect(200);
    assert_eq!(r.json["name"], "Door");
    assert_eq!(r.json["faceMinimumQualityScore"], 0.5);
    let r = h
        .send(
            h.tenant("PATCH", &format!("/api/applications/{app_id}"))
                .json(&json!({"name": "Gate"})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["name"], "Gate");
    assert_eq!(r.json["apiKey"], key2.as_str());

    // deleting the application revokes its key
    h.send(h.tenant("DELETE", &format!("/api/applications/{app_id}")))
        .await
        .expect(204);
    h.send(h.tenant("GET", &format!("/api/applications/{app_id}")))
        .await
        .expect(404);
    h.send(h.req("GET", "/v1.1/subjects").api_key(&key2))
        .await
        .expect(403);

    // deleting the gallery revokes the rest
    h.send(h.tenant("DELETE", &format!("/api/galleries/{gid}")))
        .await
        .expect(204);
    h.send(h.tenant("GET", &format!("/api/galleries/{gid}")))
        .await
        .expect(404);
    h.send(h.tenant("DELETE", &format!("/api/galleries/{gid}")))
        .await
        .expect(404);
    h.send(h.req("GET", "/v1.1/subjects").api_key(&key))
        .await
        .expect(403);
    // the default gallery stays
    h.send(h.tenant("DELETE", &format!("/api/galleries/{DEFAULT_GALLERY_ID}")))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    h.send(h.req("GET", "/v1.1/tags").api_key(DEV_API_KEY))
        .await
        .expect(200);
}

#[tokio::test]
async fn galleries_are_isolated() {
    let h = Harness::start().await;
    let mut keys = Vec::new();
    for name in ["alpha", "beta"] {
        let r = h
            .send(
                h.tenant("POST", "/api/galleries")
                    .json(&json!({"name": name})),
            )
            .await
            .expect(200);
        keys.push(r.json["apiKey"].as_str().unwrap().to_owned());
    }
    let (a, b) = (&keys[0], &keys[1]);

    // same tag name in both galleries is fine; each sees only its own tags
    h.send(h.req("POST", "/v1.1/tags/shared").api_key(a))
        .await
        .expect(200);
    h.send(h.req("POST", "/v1.1/tags/shared").api_key(b))
        .await
        .expect(200);
    h.send(h.req("POST", "/v1.1/tags/only-a").api_key(a))
        .await
        .expect(200);
    assert_eq!(
        h.send(h.req("GET", "/v1.1/tags").api_key(b))
            .await
            .expect(200)
            .json,
        json!(["shared"])
    );
    // b cannot use a's tag
    h.send(
        h.req("POST", "/v1.1/subjects")
            .api_key(b)
            .json(&json!({"face": b64(&picture(1, 64, 64)), "tags": ["only-a"]})),
    )
    .await
    .expect_error(400, "InvalidRequest", 1001);

    let sid = h
        .send(
            h.req("POST", "/v1.1/subjects")
                .api_key(a)
                .json(&json!({"face": b64(&picture(1, 64, 64))})),
        )
        .await
        .expect(201)
        .json["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // b sees nothing of a's subject
    let r = h
        .send(h.req("GET", "/v1.1/subjects").api_key(b))
        .await
        .expect(404);
    assert_eq!(r.json["message"], "Subjects not found.");
    h.send(
        h.req("GET", &format!("/v1.1/subjects/{sid}/events"))
            .api_key(b),
    )
    .await
    .expect(404);
    h.send(
        h.req("PUT", &format!("/v1.1/subjects/{sid}"))
            .api_key(b)
            .json(&json!({"tags": []})),
    )
    .await
    .expect(404);
    h.send(h.req("DELETE", &format!("/v1.1/subjects/{sid}")).api_key(b))
        .await
        .expect(404);
    h.send(
        h.req("POST", &format!("/v1.1/subjects/{sid}/events"))
            .api_key(b)
            .json(&json!({"face": b64(&picture(2, 64, 64))})),
    )
    .await
    .expect(404);
    h.send(
        h.req("POST", "/v1.1/face/search")
            .api_key(b)
            .json(&json!({"probe": b64(&picture(1, 64, 64))})),
    )
    .await
    .expect(404);
    h.send(
        h.req("POST", "/v1.1/face/verify")
            .api_key(b)
            .json(&json!({"id": sid, "probe": b64(&picture(1, 64, 64))})),
    )
    .await
    .expect(404);
    // nor does the default gallery
    h.send(
        h.req("POST", "/v1.1/face/search")
            .json(&json!({"probe": b64(&picture(1, 64, 64))})),
    )
    .await
    .expect(404);

    // a still has it
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .api_key(a)
                .json(&json!({"probe": b64(&picture(1, 64, 64))})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["candidates"][0]["id"], sid.as_str());
    h.send(
        h.req("GET", &format!("/v1.1/subjects/{sid}/events"))
            .api_key(a),
    )
    .await
    .expect(200);

    // a bulk batch of a is invisible to b
    let r = h
        .send(
            h.req("POST", "/v1.1/jobs/bulkregister")
                .api_key(a)
                .json(&json!({"registrations": [{"filename": "x.png"}]})),
        )
        .await
        .expect(200);
    let batch = r.json["batchId"].as_str().unwrap().to_owned();
    h.send(
        h.req("GET", &format!("/v1.1/jobs/bulkregister/{batch}"))
            .api_key(b),
    )
    .await
    .expect(404);
    h.send(
        h.req("GET", &format!("/v1.1/jobs/bulkregister/{batch}"))
            .api_key(a),
    )
    .await
    .expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_of_one_name_yield_one_success_and_duplicates() {
    let h = Harness::start().await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let http = h.http.clone();
        let g = h
            .tenant("POST", "/api/galleries")
            .json(&json!({"name": "race"}));
        let t = h.req("POST", "/v1.1/tags/race");
        tasks.push(tokio::spawn(async move {
            (g.send(&http).await, t.send(&http).await)
        }));
    }
    let (mut gallery_ok, mut tag_ok) = (0, 0);
    for task in tasks {
        let (g, t) = task.await.unwrap();
        for (r, ok) in [(g, &mut gallery_ok), (t, &mut tag_ok)] {
            match r.status {
                200 => *ok += 1,
                400 => assert_eq!(r.error_type(), "Duplicate", "{}", r.json),
                s => panic!("unexpected {s}: {}", r.json),
            }
        }
    }
    assert_eq!((gallery_ok, tag_ok), (1, 1));
}
