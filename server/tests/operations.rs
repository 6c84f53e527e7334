//! Every v1.1 operation over loopback HTTP, in the reference's shapes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::{Harness, b64, near_copy, picture, strip};
use serde_json::json;

#[tokio::test]
async fn health_needs_no_auth_and_reports_the_engine() {
    let h = Harness::start().await;
    let r = h
        .send(h.req("GET", "/v1.1/health").unsigned().no_api_key())
        .await
        .expect(200);
    assert_eq!(r.json["status"], "OK");
    assert_eq!(r.json["engine"], "deterministic-thumbnail");
    assert_eq!(r.json["faceMatcher"], false);
    assert!(r.headers.get("x-amzn-requestid").is_some());
    assert!(r.headers.get("date").is_some());
}

#[tokio::test]
async fn subjects_and_events_lifecycle() {
    let h = Harness::start().await;
    h.send(h.req("POST", "/v1.1/tags/staff")).await.expect(200);

    // register
    let r = h
        .send(
            h.req("POST", "/v1.1/subjects")
                .json(&json!({"face": b64(&picture(1, 200, 240)), "tags": ["staff"]})),
        )
        .await
        .expect(201);
    let sid = r.json["id"].as_str().unwrap().to_owned();
    let eid1 = r.json["eventId"].as_str().unwrap().to_owned();
    let attrs = &r.json["attributes"];
    for k in [
        "faceScore",
        "frontalFaceScore",
        "faceQualityScore",
        "faceRoll",
        "facePan",
        "faceTilt",
    ] {
        assert!(attrs[k].is_string(), "{k} is a JSON string: {attrs}");
    }
    assert!(attrs["faceArea"]["left"].is_string());
    assert!(attrs["rightEyeCenter"]["x"].is_string());

    // list events
    let r = h
        .send(h.req("GET", &format!("/v1.1/subjects/{sid}/events")))
        .await
        .expect(200);
    assert_eq!(r.json["id"], sid.as_str());
    assert_eq!(r.json["events"], json!([{"id": eid1}]));

    // register a second event
    let r = h
        .send(
            h.req("POST", &format!("/v1.1/subjects/{sid}/events"))
                .json(&json!({"face": b64(&picture(2, 200, 240))})),
        )
        .await
        .expect(201);
    assert_eq!(r.json["id"], sid.as_str());
    let eid2 = r.json["eventId"].as_str().unwrap().to_owned();
    assert_ne!(eid1, eid2);

    // update the second event with a new face: same event id, new attributes
    let r = h
        .send(
            h.req("PUT", &format!("/v1.1/subjects/{sid}/events/{eid2}"))
                .json(&json!({"face": b64(&picture(3, 300, 300))})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["eventId"], eid2.as_str());
    assert!(r.json["attributes"]["faceArea"].is_object());

    // verify by subject: best event wins
    let r = h
        .send(
            h.req("POST", "/v1.1/face/verify")
                .json(&json!({"id": sid, "probe": b64(&near_copy(3, 150, 150))})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["id"], sid.as_str());
    assert!(r.json["score"].as_u64().unwrap() > 9000, "{}", r.json);
    // the replaced picture no longer verifies
    h.send(
        h.req("POST", "/v1.1/face/verify")
            .json(&json!({"id": sid, "probe": b64(&picture(2, 200, 240))})),
    )
    .await
    .expect(404);

    // list subjects: A and D rows, total counts event rows
    let r = h.send(h.req("GET", "/v1.1/subjects")).await.expect(200);
    let rows = r.json["subjects"].as_array().unwrap();
    assert_eq!(r.json["total"], 3, "{}", r.json); // e1 A, e2 D (replaced), e2 A
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .any(|x| x["eventId"] == eid2.as_str() && x["status"] == "D")
    );
    assert!(
        rows.iter()
            .any(|x| x["eventId"] == eid2.as_str() && x["status"] == "A")
    );
    assert!(
        rows.iter()
            .all(|x| x["lastUpdated"].as_str().unwrap().ends_with("+00:00"))
    );

    // update subject with tags only, then with a face
    h.send(h.req("POST", "/v1.1/tags/visitor"))
        .await
        .expect(200);
    let r = h
        .send(
            h.req("PUT", &format!("/v1.1/subjects/{sid}"))
                .json(&json!({"tags": ["visitor"]})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["id"], sid.as_str());
    let r = h
        .send(
            h.req("PUT", &format!("/v1.1/subjects/{sid}"))
                .json(&json!({"face": b64(&picture(4, 256, 256))})),
        )
        .await
        .expect(200);
    assert_eq!(
        r.json["eventId"],
        eid1.as_str(),
        "update subject keeps the first event id"
    );
    let r = h
        .send(h.req("GET", &format!("/v1.1/subjects/{sid}/events")))
        .await
        .expect(200);
    assert_eq!(
        r.json["events"],
        json!([{"id": eid1}]),
        "a face update replaces all events"
    );
    // the subject kept its 'visitor' tag through the face update
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": b64(&picture(4, 256, 256)), "tags": ["visitor"]})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["candidates"][0]["id"], sid.as_str());

    // unregister event, then subject
    let r = h
        .send(
            h.req("POST", &format!("/v1.1/subjects/{sid}/events"))
                .json(&json!({"face": b64(&picture(5, 200, 200))})),
        )
        .await
        .expect(201);
    let eid3 = r.json["eventId"].as_str().unwrap().to_owned();
    let r = h
        .send(h.req("DELETE", &format!("/v1.1/subjects/{sid}/events/{eid3}")))
        .await
        .expect(204);
    assert!(r.json.is_null());
    h.send(h.req("DELETE", &format!("/v1.1/subjects/{sid}/events/{eid3}")))
        .await
        .expect(404);
    h.send(h.req("DELETE", &format!("/v1.1/subjects/{sid}")))
        .await
        .expect(204);
    h.send(h.req("DELETE", &format!("/v1.1/subjects/{sid}")))
        .await
        .expect(404);
    h.send(h.req("GET", &format!("/v1.1/subjects/{sid}/events")))
        .await
        .expect(404);
    h.send(
        h.req("PUT", &format!("/v1.1/subjects/{sid}"))
            .json(&json!({"tags": []})),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn list_subjects_paging_and_direction() {
    let h = Harness::start().await;
    let mut ids = Vec::new();
    for seed in 10..15 {
        let r = h
            .send(
                h.req("POST", "/v1.1/subjects")
                    .json(&json!({"face": b64(&picture(seed, 64, 64))})),
            )
            .await
            .expect(201);
        ids.push(r.json["id"].as_str().unwrap().to_owned());
    }
    let r = h
        .send(h.req("GET", "/v1.1/subjects?start=1&length=2"))
        .await
        .expect(200);
    assert_eq!(r.json["total"], 5);
    let page: Vec<&str> = r.json["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(page, vec![ids[1].as_str(), ids[2].as_str()]);
    let r = h
        .send(h.req("GET", "/v1.1/subjects?dir=desc&length=1"))
        .await
        .expect(200);
    assert_eq!(r.json["subjects"][0]["id"], ids[4].as_str());
    // Past the end: the reference's 404 (strict mode, the default).
    let r = h
        .send(h.req("GET", "/v1.1/subjects?start=99"))
        .await
        .expect(404);
    assert_eq!(r.json, json!({"message": "Subjects not found."}));
    h.send(h.req("GET", "/v1.1/subjects?dir=sideways"))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    h.send(h.req("GET", "/v1.1/subjects?length=0"))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    h.send(h.req("GET", "/v1.1/subjects?start=-1"))
        .await
        .expect_error(400, "InvalidRequest", 1001);
}

#[tokio::test]
async fn search_rules() {
    let h = Harness::start().await;
    for t in ["a", "b", "c"] {
        h.send(h.req("POST", &format!("/v1.1/tags/{t}")))
            .await
            .expect(200);
    }
    let reg = |seed: u64, tags: serde_json::Value| {
        h.req("POST", "/v1.1/subjects")
            .json(&json!({"face": b64(&picture(seed, 120, 120)), "tags": tags}))
    };
    let s1 = h.send(reg(21, json!(["a"]))).await.expect(201).json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let s2 = h.send(reg(21, json!(["b"]))).await.expect(201).json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let _s3 = h.send(reg(22, json!(["a"]))).await.expect(201);

    let probe = b64(&near_copy(21, 90, 90));
    // no tags: both copies of picture 21, best first, nothing below the threshold
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": probe})),
        )
        .await
        .expect(200);
    let c = r.json["candidates"].as_array().unwrap();
    assert_eq!(c.len(), 2, "{}", r.json);
    assert!(c[0]["score"].as_u64().unwrap() >= c[1]["score"].as_u64().unwrap());
    assert!(c.iter().all(|x| x["score"].as_u64().unwrap() > 9000));
    assert!(c[0]["events"][0]["id"].is_string());
    assert!(r.json["attributes"]["faceQualityScore"].is_string());
    // tags are OR-ed
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": probe, "tags": ["b", "c"]})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["candidates"].as_array().unwrap().len(), 1);
    assert_eq!(r.json["candidates"][0]["id"], s2.as_str());
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": probe, "tags": ["a", "b"]})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["candidates"].as_array().unwrap().len(), 2);
    // limit
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": probe, "limit": 1})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["candidates"].as_array().unwrap().len(), 1);
    assert!([s1.as_str(), s2.as_str()].contains(&r.json["candidates"][0]["id"].as_str().unwrap()));
    // threshold 0 returns the unrelated subject too
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": probe, "threshold": 0})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["candidates"].as_array().unwrap().len(), 3);
    // no candidates: 404
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": b64(&picture(99, 100, 100))})),
        )
        .await
        .expect(404);
    assert!(r.message().contains("not found"));
    // bad parameters
    for bad in [
        json!({"probe": probe, "limit": 0}),
        json!({"probe": probe, "limit": 51}),
        json!({"probe": probe, "threshold": 10000}),
        json!({"probe": probe, "threshold": "high"}),
        json!({"probe": probe, "tags": ["nope"]}),
        json!({"probe": probe, "tags": "a"}),
        json!({}),
    ] {
        h.send(h.req("POST", "/v1.1/face/search").json(&bad))
            .await
            .expect_error(400, "InvalidRequest", 1001);
    }
}

#[tokio::test]
async fn extract_and_face_rules() {
    let h = Harness::start().await;
    let r = h
        .send(
            h.req("POST", "/v1.1/face/extract")
                .json(&json!({"faces": b64(&picture(1, 100, 100))})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["faces"].as_array().unwrap().len(), 1);
    assert!(r.json["faces"][0]["attributes"]["faceArea"]["right"].is_string());
    // a strip of 25 "faces": default limit 10, limit up to 20, never more
    let many = b64(&strip(5, 25, 32));
    let r = h
        .send(
            h.req("POST", "/v1.1/face/extract")
                .json(&json!({"faces": many})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["faces"].as_array().unwrap().len(), 10);
    let r = h
        .send(
            h.req("POST", "/v1.1/face/extract")
                .json(&json!({"faces": many, "limit": 20})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["faces"].as_array().unwrap().len(), 20);
    let r = h
        .send(
            h.req("POST", "/v1.1/face/extract")
                .json(&json!({"faces": many, "limit": 3})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["faces"].as_array().unwrap().len(), 3);
    h.send(
        h.req("POST", "/v1.1/face/extract")
            .json(&json!({"faces": many, "limit": 21})),
    )
    .await
    .expect_error(400, "InvalidRequest", 1001);
    // register refuses several faces, and blank pictures have none
    h.send(
        h.req("POST", "/v1.1/subjects")
            .json(&json!({"face": b64(&strip(5, 3, 64))})),
    )
    .await
    .expect_error(400, "MultipleFaces", 2003);
    let blank = common::encode(
        &image::RgbImage::from_pixel(64, 64, image::Rgb([128, 128, 128])),
        image::ImageFormat::Png,
    );
    h.send(
        h.req("POST", "/v1.1/subjects")
            .json(&json!({"face": b64(&blank)})),
    )
    .await
    .expect_error(400, "NoFace", 2001);
    h.send(
        h.req("POST", "/v1.1/face/extract")
            .json(&json!({"faces": b64(&blank)})),
    )
    .await
    .expect_error(400, "NoFace", 2001);
    h.send(
        h.req("POST", "/v1.1/face/search")
            .json(&json!({"probe": b64(&blank)})),
    )
    .await
    .expect_error(400, "NoFace", 2001);
}

#[tokio::test]
async fn face_to_face_verify() {
    let h = Harness::start().await;
    let r = h
        .send(h.req("POST", "/v1.1/face/verify").json(
            &json!({"face": b64(&picture(7, 200, 200)), "probe": b64(&near_copy(7, 120, 120))}),
        ))
        .await
        .expect(200);
    assert!(r.json["score"].as_u64().unwrap() > 9000, "{}", r.json);
    assert!(r.json.get("id").is_none());
    let r = h
        .send(h.req("POST", "/v1.1/face/verify").json(
            &json!({"face": b64(&picture(7, 200, 200)), "probe": b64(&picture(8, 200, 200))}),
        ))
        .await
        .expect(200);
    assert!(r.json["score"].as_u64().unwrap() < 7000, "{}", r.json);
    // the later revision sends face-to-face verify without an API key
    h.send(
        h.req("POST", "/v1.1/face/verify").no_api_key().json(
            &json!({"face": b64(&picture(7, 200, 200)), "probe": b64(&picture(7, 200, 200))}),
        ),
    )
    .await
    .expect(200);
    // ... but verifying a subject needs one
    h.send(
        h.req("POST", "/v1.1/face/verify")
            .no_api_key()
            .json(&json!({"id": "x", "probe": b64(&picture(7, 200, 200))})),
    )
    .await
    .expect(403);
    h.send(
        h.req("POST", "/v1.1/face/verify")
            .json(&json!({"id": "unknown", "probe": b64(&picture(7, 200, 200))})),
    )
    .await
    .expect(404);
    h.send(
        h.req("POST", "/v1.1/face/verify")
            .json(&json!({"probe": b64(&picture(7, 200, 200))})),
    )
    .await
    .expect_error(400, "InvalidRequest", 1001);
}

#[tokio::test]
async fn tags_rules() {
    let h = Harness::start().await;
    let r = h.send(h.req("GET", "/v1.1/tags")).await.expect(200);
    assert_eq!(r.json, json!([]));
    h.send(h.req("POST", "/v1.1/tags/staff")).await.expect(200);
    h.send(h.req("POST", "/v1.1/tags/my%20tag"))
        .await
        .expect(200);
    h.send(h.req("POST", "/v1.1/tags/staff"))
        .await
        .expect_error(400, "Duplicate", 1002);
    let r = h.send(h.req("GET", "/v1.1/tags")).await.expect(200);
    assert_eq!(r.json, json!(["staff", "my tag"]));

    // tags must exist before use
    h.send(
        h.req("POST", "/v1.1/subjects")
            .json(&json!({"face": b64(&picture(1, 64, 64)), "tags": ["ghost"]})),
    )
    .await
    .expect_error(400, "InvalidRequest", 1001);
    let sid = h
        .send(
            h.req("POST", "/v1.1/subjects")
                .json(&json!({"face": b64(&picture(1, 64, 64)), "tags": ["staff"]})),
        )
        .await
        .expect(201)
        .json["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // rename, both forms; subjects follow the rename
    h.send(
        h.req("PUT", "/v1.1/tags/staff")
            .json(&json!({"newName": "employees"})),
    )
    .await
    .expect(200);
    h.send(h.req("PUT", "/v1.1/tags/employees/workers"))
        .await
        .expect(200);
    assert_eq!(
        h.send(h.req("GET", "/v1.1/tags")).await.expect(200).json,
        json!(["workers", "my tag"])
    );
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": b64(&picture(1, 64, 64)), "tags": ["workers"]})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["candidates"][0]["id"], sid.as_str());
    h.send(h.req("PUT", "/v1.1/tags/workers/my%20tag"))
        .await
        .expect_error(400, "Duplicate", 1002);
    h.send(
        h.req("PUT", "/v1.1/tags/nope")
            .json(&json!({"newName": "x"})),
    )
    .await
    .expect(404);
    h.send(h.req("PUT", "/v1.1/tags/workers").json(&json!({})))
        .await
        .expect_error(400, "InvalidRequest", 1001);

    // delete leaves subjects' tags alone (re-created, the old subject is found again)
    h.send(h.req("DELETE", "/v1.1/tags/workers"))
        .await
        .expect(200);
    h.send(h.req("DELETE", "/v1.1/tags/workers"))
        .await
        .expect(404);
    h.send(
        h.req("POST", "/v1.1/face/search")
            .json(&json!({"probe": b64(&picture(1, 64, 64)), "tags": ["workers"]})),
    )
    .await
    .expect_error(400, "InvalidRequest", 1001);
    h.send(h.req("POST", "/v1.1/tags/workers"))
        .await
        .expect(200);
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": b64(&picture(1, 64, 64)), "tags": ["workers"]})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["candidates"][0]["id"], sid.as_str());
}

#[tokio::test]
async fn at_most_64_tags_per_gallery() {
    let h = Harness::start().await;
    let tags = h
        .send(h.req("GET", "/v1.1/tags"))
        .await
        .expect(200)
        .json
        .as_array()
        .unwrap()
        .len();
    for i in tags..64 {
        h.send(h.req("POST", &format!("/v1.1/tags/t{i}")))
            .await
            .expect(200);
    }
    h.send(h.req("POST", "/v1.1/tags/one-too-many"))
        .await
        .expect_error(400, "InvalidRequest", 1001);
    assert_eq!(
        h.send(h.req("GET", "/v1.1/tags"))
            .await
            .expect(200)
            .json
            .as_array()
            .unwrap()
            .len(),
        64
    );
}

#[tokio::test]
async fn trailing_slashes_are_tolerated() {
    let h = Harness::start().await;
    h.send(h.req("POST", "/v1.1/tags/slash/")).await.expect(200);
    let r = h.send(h.req("GET", "/v1.1/tags/")).await.expect(200);
    assert_eq!(r.json, json!(["slash"]));
    // Routed (an empty gallery's 404, not the Gateway's 403 for unknown routes).
    let r = h.send(h.req("GET", "/v1.1/subjects/")).await.expect(404);
    assert_eq!(r.json["message"], "Subjects not found.");
    h.send(h.req("GET", "/v1.1/health/").unsigned())
        .await
        .expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registrations_and_searches() {
    let h = Harness::start().await;
    let mut tasks = Vec::new();
    for seed in 0..32u64 {
        let http = h.http.clone();
        let reg = h
            .req("POST", "/v1.1/subjects")
            .json(&json!({"face": b64(&picture(1000 + seed, 80, 80))}));
        let search = h
            .req("POST", "/v1.1/face/search")
            .json(&json!({"probe": b64(&picture(1000 + seed, 80, 80))}));
        tasks.push(tokio::spawn(async move {
            let id = reg.send(&http).await.expect(201).json["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let found = search.send(&http).await.expect(200);
            assert_eq!(found.json["candidates"][0]["id"], id.as_str());
            assert_eq!(found.json["candidates"][0]["score"], 9999);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let r = h.send(h.req("GET", "/v1.1/subjects")).await.expect(200);
    assert_eq!(r.json["total"], 32);
}
