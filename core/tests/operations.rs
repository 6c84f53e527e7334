//! Every operation over real loopback HTTP against the scripted server in `common`:
//! method, path (percent-encoding), query, body shape, headers, SigV4 signature (checked by
//! an independent verifier), and how each response variant is read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine as _;
use common::*;
use futures_util::StreamExt as _;
use necid::{
    ApplicationUpdate, BulkRegistration, ErrorKind, GalleryUpdate, NewApplication, NewGallery,
    SearchRequest, SortDirection, WaitOptions,
};
use serde_json::json;
use std::time::Duration;

const ATTRS: &str = r#"{"faceArea":{"left":"161","top":"156","right":"318","bottom":"313"},"faceScore":"0.999591","faceQualityScore":"0.86541","faceRoll":"-0"}"#;

fn b64(v: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(v)
}

fn assert_signed(r: &Recorded, with_api_key: bool) {
    let auth = r.verify();
    assert_eq!(auth.access_key_id, AKID);
    assert_eq!(auth.region, "ap-southeast-2");
    assert_eq!(auth.service, "execute-api");
    assert!(auth.signed_headers.contains(&"host".to_owned()));
    assert!(auth.signed_headers.contains(&"x-amz-date".to_owned()));
    assert_eq!(
        auth.signed_headers.contains(&"x-api-key".to_owned()),
        with_api_key,
        "{:?}",
        auth.signed_headers
    );
    assert_eq!(r.header("x-api-key").is_some(), with_api_key);
    if !r.body.is_empty() {
        assert!(auth.signed_headers.contains(&"content-type".to_owned()));
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    assert!(r.header("x-amz-content-sha256").is_none());
    assert!(r.header("user-agent").unwrap().starts_with("necid-rust/"));
}

#[tokio::test]
async fn subjects_and_events() {
    let server = FaultServer::start(vec![
        json(201, &format!(r#"{{"id":"s1","eventId":"e1","attributes":{ATTRS}}}"#)),
        json(200, r#"{"id":"s1","eventId":"e1","attributes":{"faceScore":0.5}}"#),
        empty(204),
        json(200, r#"{"id":"s 1","events":[{"id":"e1"},{"id":"e2"}]}"#),
        json(201, r#"{"id":"e3","score":0}"#),
        json(200, r#"{"id":"s1","eventId":"e3","attributes":{}}"#),
        empty(204),
        json(
            200,
            r#"{"subjects":[{"id":"s1","eventId":"e1","status":"A","lastUpdated":"2019-02-28T18:11:49.174+00:00"}],"total":1}"#,
        ),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    let face = jpeg();
    let tags = vec!["passport".to_owned(), "my tag".to_owned()];

    let r = c.register_subject(face.clone(), &tags).await.unwrap();
    assert_eq!(
        (r.subject_id.as_str(), r.event_id.as_deref()),
        ("s1", Some("e1"))
    );
    let a = r.attributes.unwrap();
    assert_eq!(a.face_area.unwrap().left, 161);
    assert_eq!(a.face_roll, Some(0.0));

    let r = c
        .update_subject("s1", Some(face[..].into()), None)
        .await
        .unwrap();
    assert_eq!(r.attributes.unwrap().face_score, Some(0.5));
    c.unregister_subject("s/1?x").await.unwrap();
    let events = c.list_events("s 1").await.unwrap();
    assert_eq!(events.subject_id, "s 1");
    assert_eq!(events.events.len(), 2);
    // Swagger's Event shape for register event: `id` is the event id.
    let r = c.register_event("s1", face.clone(), &[]).await.unwrap();
    assert_eq!(
        (r.subject_id.as_str(), r.event_id.as_deref()),
        ("s1", Some("e3"))
    );
    let r = c
        .update_event("s1", "e3", Some(face.clone().into()), Some(&tags))
        .await
        .unwrap();
    assert_eq!(r.event_id.as_deref(), Some("e3"));
    c.unregister_event("s1", "e3").await.unwrap();
    let page = c.list_subjects(5, 10, SortDirection::Desc).await.unwrap();
    assert_eq!(page.total, 1);
    assert!(page.subjects[0].is_active());

    let reqs = server.requests();
    let lines: Vec<String> = reqs
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert_eq!(
        lines,
        [
            "POST /v1.1/subjects",
            "PUT /v1.1/subjects/s1",
            "DELETE /v1.1/subjects/s%2F1%3Fx",
            "GET /v1.1/subjects/s%201/events",
            "POST /v1.1/subjects/s1/events",
            "PUT /v1.1/subjects/s1/events/e3",
            "DELETE /v1.1/subjects/s1/events/e3",
            "GET /v1.1/subjects?start=5&length=10&dir=desc",
        ]
    );
    assert_eq!(
        reqs[0].json(),
        json!({"face": b64(&face), "tags": ["passport", "my tag"]})
    );
    assert_eq!(
        reqs[1].json(),
        json!({"face": b64(&face)}),
        "no tags: field omitted"
    );
    assert!(reqs[2].body.is_empty());
    for r in &reqs {
        assert_signed(r, true);
    }
}

#[tokio::test]
async fn face_operations() {
    let server = FaultServer::start(vec![
        json(200, &format!(r#"{{"faces":[{{"attributes":{ATTRS}}},{{"attributes":{ATTRS}}}]}}"#)),
        json(200, &format!(r#"{{"faces":[{ATTRS}]}}"#)),
        json(
            200,
            &format!(
                r#"{{"candidates":[{{"id":"s1","score":8200,"events":[{{"id":"e1","score":"8200"}}]}}],"attributes":{ATTRS}}}"#
            ),
        ),
        json(404, r#"{"message":"No candidates found"}"#),
        json(200, r#"{"id":"s1","score":8200}"#),
        json(404, r#"{"message":"Subject not verified"}"#),
        json(200, r#"{"score":"9100"}"#),
        json(404, r#"{"message":"not verified"}"#),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    let img = jpeg();

    let faces = c.extract_faces(img.clone(), Some(12)).await.unwrap();
    assert_eq!(faces.len(), 2);
    assert_eq!(faces[1].face_quality_score, Some(0.86541));
    let faces = c.extract_faces(img.clone(), None).await.unwrap();
    assert_eq!(faces.len(), 1);

    let req = SearchRequest::new(img.clone())
        .threshold(7500)
        .limit(3)
        .tags(["passport", "licence"]);
    let found = c.search(req).await.unwrap();
    assert_eq!(found.candidates[0].score, 8200);
    assert_eq!(found.candidates[0].events[0].score, Some(8200));
    assert!(found.attributes.is_some());
    let none = c.search(SearchRequest::new(img.clone())).await.unwrap();
    assert!(
        none.candidates.is_empty(),
        "404 = no candidates, not an error"
    );

    let v = c.verify_subject("s1", img.clone()).await.unwrap();
    assert!(v.verified);
    assert_eq!(v.score, Some(8200));
    let v = c.verify_subject("s1", img.clone()).await.unwrap();
    assert!(!v.verified, "404 = not verified");
    assert_eq!((v.subject_id.as_str(), v.score), ("s1", None));
    let v = c.verify_faces(img.clone(), img.clone()).await.unwrap();
    assert_eq!((v.verified, v.score), (true, Some(9100)));
    let v = c.verify_faces(img.clone(), img.clone()).await.unwrap();
    assert!(!v.verified);

    let reqs = server.requests();
    assert_eq!(reqs[0].target, "/v1.1/face/extract");
    assert_eq!(reqs[0].json(), json!({"faces": b64(&img), "limit": 12}));
    assert_eq!(reqs[1].json(), json!({"faces": b64(&img)}));
    assert_eq!(reqs[2].target, "/v1.1/face/search");
    assert_eq!(
        reqs[2].json(),
        json!({"probe": b64(&img), "threshold": 7500, "limit": 3, "tags": ["passport", "licence"]})
    );
    assert_eq!(reqs[3].json(), json!({"probe": b64(&img)}));
    assert_eq!(reqs[4].target, "/v1.1/face/verify");
    assert_eq!(reqs[4].json(), json!({"id": "s1", "probe": b64(&img)}));
    assert_eq!(
        reqs[6].json(),
        json!({"face": b64(&img), "probe": b64(&img)})
    );
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_signed(r, true);
    }
}

#[tokio::test]
async fn tags() {
    let server = FaultServer::start(vec![
        json(200, r#"["passport","licence"]"#),
        json(200, r#"{"id":1,"name":"passport"}"#),
        json(200, r#"[{"id":1,"name":"a"},{"id":2,"name":"b"}]"#),
        empty(200),
        empty(200),
        empty(200),
        empty(200),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    let names = |t: Vec<necid::Tag>| t.into_iter().map(|t| t.name).collect::<Vec<_>>();
    assert_eq!(names(c.list_tags().await.unwrap()), ["passport", "licence"]);
    assert_eq!(names(c.list_tags().await.unwrap()), ["passport"]);
    assert_eq!(names(c.list_tags().await.unwrap()), ["a", "b"]);
    c.create_tag("my tag").await.unwrap();
    c.create_tag("équipe ✓").await.unwrap();
    c.rename_tag("my tag", "new/name").await.unwrap();
    c.delete_tag("équipe ✓").await.unwrap();
    let reqs = server.requests();
    let lines: Vec<String> = reqs
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert_eq!(
        lines[3..],
        [
            "POST /v1.1/tags/my%20tag",
            "POST /v1.1/tags/%C3%A9quipe%20%E2%9C%93",
            "PUT /v1.1/tags/my%20tag",
            "DELETE /v1.1/tags/%C3%A9quipe%20%E2%9C%93",
        ]
    );
    assert_eq!(reqs[3].header("content-length"), Some("0"));
    assert!(reqs[3].header("content-type").is_none());
    assert_eq!(reqs[5].json(), json!({"newName": "new/name"}));
    for r in &reqs {
        assert_signed(r, true);
    }
}

#[tokio::test]
async fn bulk_register_paging_and_wait() {
    let rec = |id: &str, status: &str| json!({"id": id, "filename": format!("{id}.jpg"), "attempts": "1", "registerStatus": if status == "Processed" {"Success"} else {""}, "status": status, "attributesJson": "..."});
    let page = |recs: Vec<serde_json::Value>, key: &str, misspelt: bool| {
        let field = if misspelt { "processsed" } else { "processed" };
        json(
            200,
            &json!({"batchId": "b1", field: recs, "lastEvaluatedKey": key}).to_string(),
        )
    };
    let server = FaultServer::start(vec![
        json(200, r#"{"batchId":"b1"}"#),
        // explicit progress call with a paging id
        page(vec![rec("3", "New")], "", false),
        // paginator: two pages
        page(vec![rec("1", "Processed"), rec("2", "New")], "key/2", true),
        page(vec![rec("3", "New")], "", false),
        // wait: first poll (two pages), not done
        page(vec![rec("1", "Processed"), rec("2", "New")], "key/2", false),
        page(vec![rec("3", "New")], "", false),
        // second poll: one page, all processed
        page(
            vec![
                rec("1", "Processed"),
                rec("2", "Processed"),
                rec("3", "Processed"),
            ],
            "",
            false,
        ),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    let regs = vec![
        BulkRegistration::new("1.jpg", ["passport"]),
        BulkRegistration::new("2.jpg", Vec::<String>::new()),
    ];
    assert_eq!(c.bulk_register(&regs).await.unwrap(), "b1");
    let p = c.bulk_register_progress("b1", Some("key/2")).await.unwrap();
    assert_eq!(p.processed.len(), 1);

    let pages: Vec<_> = c.bulk_progress_paginator("b1").collect().await;
    assert_eq!(pages.len(), 2);
    let first = pages[0].as_ref().unwrap();
    assert_eq!(first.processed.len(), 2, "misspelt `processsed` accepted");
    assert_eq!(first.last_evaluated_key.as_deref(), Some("key/2"));
    assert_eq!(pages[1].as_ref().unwrap().last_evaluated_key, None);

    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let opts = WaitOptions {
        poll_interval: Duration::from_millis(1),
        max_poll_interval: Duration::from_millis(2),
        timeout: Duration::from_secs(60),
    };
    let done = c
        .wait_for_bulk_register("b1", opts, move |p| {
            s2.lock().unwrap().push((p.processed(), p.total()))
        })
        .await
        .unwrap();
    assert!(done.is_done());
    assert_eq!(done.succeeded(), 3);
    assert_eq!(*seen.lock().unwrap(), [(1, 3), (3, 3)]);

    let reqs = server.requests();
    assert_eq!(reqs[0].target, "/v1.1/jobs/bulkregister");
    assert_eq!(
        reqs[0].json(),
        json!({"registrations": [{"filename": "1.jpg", "tags": ["passport"]}, {"filename": "2.jpg"}]})
    );
    assert_eq!(reqs[1].target, "/v1.1/jobs/bulkregister/b1/key%2F2");
    assert_eq!(reqs[2].target, "/v1.1/jobs/bulkregister/b1");
    assert_eq!(reqs[3].target, "/v1.1/jobs/bulkregister/b1/key%2F2");
    assert_eq!(reqs.len(), 7);
    for r in &reqs {
        assert_signed(r, true);
    }
}

#[tokio::test]
async fn wait_for_bulk_register_deadline() {
    let server = FaultServer::start(vec![]).await;
    for _ in 0..50 {
        server.push(json(
            200,
            r#"{"batchId":"b1","processed":[{"id":"1","status":"New"}],"lastEvaluatedKey":""}"#,
        ));
    }
    let c = client(&server, fast_retries(1));
    let opts = WaitOptions {
        poll_interval: Duration::from_millis(5),
        max_poll_interval: Duration::from_millis(5),
        timeout: Duration::from_millis(30),
    };
    let e = c
        .wait_for_bulk_register("b1", opts, |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert!(e.message().contains("0/1"), "{e}");
}

#[tokio::test]
async fn subjects_paginator_walks_every_page() {
    let row = |i: u32| json!({"id": format!("s{i}"), "eventId": format!("e{i}"), "status": "A"});
    let page = |from: u32, to: u32| {
        json(
            200,
            &json!({"subjects": (from..to).map(row).collect::<Vec<_>>(), "total": 5}).to_string(),
        )
    };
    let server = FaultServer::start(vec![
        page(0, 2),
        page(2, 4),
        page(4, 5),
        json(404, r#"{"message":"Subjects not found"}"#),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    let pages: Vec<_> = c
        .subjects_paginator(2, SortDirection::Asc)
        .map(|p| p.unwrap())
        .collect()
        .await;
    let ids: Vec<String> = pages
        .iter()
        .flat_map(|p| p.subjects.iter().map(|s| s.subject_id.clone()))
        .collect();
    assert_eq!(ids, ["s0", "s1", "s2", "s3", "s4"]);
    // An empty gallery: the service's 404 is an empty page.
    let empty = c.list_subjects(0, 1000, SortDirection::Asc).await.unwrap();
    assert_eq!((empty.subjects.len(), empty.total), (0, 0));
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/v1.1/subjects?start=0&length=2&dir=asc",
            "/v1.1/subjects?start=2&length=2&dir=asc",
            "/v1.1/subjects?start=4&length=2&dir=asc",
            "/v1.1/subjects?start=0&length=1000&dir=asc",
        ]
    );
}

#[tokio::test]
async fn tenant_api() {
    let server = FaultServer::start(vec![
        json(200, r#"{"galleries":[{"id":"g1","name":"Staff","size":10000,"count":3891}]}"#),
        json(
            200,
            r#"{"id":"g1","name":"Staff","size":10000,"count":3891,"applications":[{"id":"a1","name":"HR","apiKey":"k1"}]}"#,
        ),
        json(200, r#"{"id":"g2","name":"Y10","size":1000,"apiKey":"k2"}"#),
        json(200, r#"{"id":"g2","name":"Y10","size":2000}"#),
        empty(204),
        json(200, r#"{"applications":[{"id":"a1","name":"HR","apiKey":"k1"}]}"#),
        json(200, r#"{"id":"a1","name":"HR","apiKey":"k1","faceMinimumQualityScore":0.6}"#),
        json(200, r#"{"id":"a2","name":"B","apiKey":"k3","faceMinimumQualityScore":0.8}"#),
        json(200, r#"{"id":"a2","name":"B2","apiKey":"k3"}"#),
        empty(204),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    assert_eq!(c.list_galleries().await.unwrap()[0].count, Some(3891));
    let g = c.get_gallery("g1").await.unwrap();
    assert_eq!(g.applications[0].api_key.as_deref(), Some("k1"));
    let new = NewGallery {
        name: "Y10".into(),
        description: Some("Year 10".into()),
        face_minimum_quality_score: Some(0.8),
        size: Some(1000),
    };
    assert_eq!(
        c.create_gallery(new).await.unwrap().api_key.as_deref(),
        Some("k2")
    );
    let upd = GalleryUpdate {
        size: Some(2000),
        ..Default::default()
    };
    assert_eq!(c.update_gallery("g2", upd).await.unwrap().size, Some(2000));
    c.delete_gallery("g2").await.unwrap();
    assert_eq!(c.list_applications().await.unwrap().len(), 1);
    assert_eq!(
        c.get_application("a1")
            .await
            .unwrap()
            .face_minimum_quality_score,
        Some(0.6)
    );
    let app = NewApplication {
        name: "B".into(),
        gallery_id: "g1".into(),
        face_minimum_quality_score: Some(0.8),
        ..Default::default()
    };
    assert_eq!(c.create_application(app).await.unwrap().id, "a2");
    let upd = ApplicationUpdate {
        name: Some("B2".into()),
        ..Default::default()
    };
    assert_eq!(c.update_application("a2", upd).await.unwrap().name, "B2");
    c.delete_application("a2").await.unwrap();

    let reqs = server.requests();
    let lines: Vec<String> = reqs
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert_eq!(
        lines,
        [
            "GET /api/galleries",
            "GET /api/galleries/g1",
            "POST /api/galleries",
            "PATCH /api/galleries/g2",
            "DELETE /api/galleries/g2",
            "GET /api/applications",
            "GET /api/applications/a1",
            "POST /api/applications",
            "PATCH /api/applications/a2",
            "DELETE /api/applications/a2",
        ]
    );
    assert_eq!(
        reqs[2].json(),
        json!({"name": "Y10", "description": "Year 10", "faceMinimumQualityScore": 0.8, "size": 1000})
    );
    assert_eq!(reqs[3].json(), json!({"size": 2000}));
    assert_eq!(
        reqs[7].json(),
        json!({"name": "B", "faceMinimumQualityScore": 0.8, "galleryId": "g1"})
    );
    for r in &reqs {
        assert_signed(r, false);
    }
}

#[tokio::test]
async fn health_signed_or_not() {
    let server = FaultServer::start(vec![
        json(200, r#"{"status":"OK"}"#),
        json(200, r#"{"status":"OK"}"#),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    assert!(c.health().await.unwrap().is_ok());
    let anon = necid::Client::new(
        necid::Config::builder()
            .endpoint(server.endpoint())
            .build()
            .unwrap(),
    )
    .unwrap();
    assert!(anon.health().await.unwrap().is_ok());
    let reqs = server.requests();
    assert_eq!(reqs[0].target, "/v1.1/health");
    assert_signed(&reqs[0], true);
    assert!(reqs[1].header("authorization").is_none());
    // Other operations need credentials and fail before sending.
    let e = anon.list_tags().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidInput, Some("credentials"))
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn session_token_is_sent_and_signed() {
    let server = FaultServer::start(vec![json(200, "[]")]).await;
    let c = client_with(&server, fast_retries(1), |b| {
        b.session_token("the-session-token-value")
    });
    c.list_tags().await.unwrap();
    let r = &server.requests()[0];
    assert_eq!(
        r.header("x-amz-security-token"),
        Some("the-session-token-value")
    );
    let auth = r.verify();
    assert!(
        auth.signed_headers
            .contains(&"x-amz-security-token".to_owned())
    );
}

#[tokio::test]
async fn async_methods_work_from_a_current_thread_runtime_and_other_executors() {
    // The SDK runs I/O on its own runtime; a current-thread caller runtime (or no tokio at
    // all, see blocking.rs tests) still works.
    let server = FaultServer::start(vec![json(200, "[]"), json(200, "[]")]).await;
    let c = client(&server, fast_retries(1));
    let c2 = c.clone();
    let from_thread =
        tokio::task::spawn_blocking(move || futures_executor_block_on(c2.list_tags()))
            .await
            .unwrap();
    assert!(from_thread.unwrap().is_empty());
    assert!(c.list_tags().await.unwrap().is_empty());
}

/// A minimal non-tokio executor: poll with a thread-parking waker.
fn futures_executor_block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[test]
fn public_types_are_thread_safe() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<necid::Client>();
    send_sync::<necid::blocking::Client>();
    send_sync::<necid::Config>();
    send_sync::<necid::Error>();
    send_sync::<necid::Image>();
    fn send_static<T: Send + 'static>(_: &T) {}
    let c = necid::Client::new(necid::Config::builder().build().unwrap()).unwrap();
    // Futures are 'static + Send: they own their arguments and can cross threads/FFI.
    send_static(&c.search(SearchRequest::new(jpeg())));
    send_static(&c.register_subject(jpeg(), &[]));
    send_static(&c.wait_for_bulk_register("b", WaitOptions::default(), |_| {}));
    send_static(&c.subjects_paginator(10, SortDirection::Asc));
}

#[tokio::test]
async fn dropping_the_future_cancels_the_request() {
    let server = FaultServer::start(vec![Action::Hang]).await;
    let c = client_with(&server, fast_retries(1), |b| {
        b.request_timeout(Duration::from_secs(600))
    });
    let call = tokio::spawn(c.list_tags());
    // Wait (bounded) until the request is in flight, then abandon it.
    for _ in 0..2000 {
        if !server.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(server.requests().len(), 1);
    call.abort();
    // The SDK task must stop and close its connection well before the 600 s timeout.
    for _ in 0..4000 {
        if server.hung_closed() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        server.hung_closed(),
        1,
        "abandoned call kept its connection open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_calls_share_one_client() {
    let server = FaultServer::start(vec![]).await;
    for i in 0..64 {
        server.push(json(200, &format!(r#"["t{i}"]"#)));
    }
    let c = client(&server, fast_retries(1));
    let calls: Vec<_> = (0..64).map(|_| tokio::spawn(c.list_tags())).collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().len(), 1);
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 64);
    for r in &reqs {
        r.verify();
    }
}

#[test]
fn image_from_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("face.jpg");
    std::fs::write(&p, jpeg()).unwrap();
    let img = necid::Image::from_path(&p).unwrap();
    assert_eq!(img.len(), jpeg().len());
    assert_eq!(img.format(), Some(necid::ImageFormat::Jpeg));
    let e = necid::Image::from_path(dir.path().join("missing.jpg")).unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidInput, Some("image"))
    );
    assert!(e.message().contains("missing.jpg"), "{e}");
}

/// Issue 16: update subject/event sends the face and the tags as given — no tags (kept),
/// an empty list (cleared), tags alone (no face) — and refuses neither, before sending.
#[tokio::test]
async fn update_sends_face_and_tags_as_given() {
    let ok = || json(200, r#"{"id":"s1","eventId":"e1"}"#);
    let server = FaultServer::start(vec![ok(), ok(), ok(), ok(), ok()]).await;
    let c = client(&server, fast_retries(1));
    let face = jpeg();
    let staff = vec!["staff".to_owned()];
    c.update_subject("s1", None, Some(&staff)).await.unwrap();
    c.update_subject("s1", None, Some(&[])).await.unwrap();
    c.update_subject("s1", Some(face[..].into()), Some(&[]))
        .await
        .unwrap();
    c.update_event("s1", "e1", None, Some(&[])).await.unwrap();
    let r = c
        .update_event("s1", "e1", Some(face[..].into()), None)
        .await
        .unwrap();
    assert_eq!(r.event_id.as_deref(), Some("e1"));
    let neither = c.update_subject("s1", None, None).await.unwrap_err();
    assert_eq!(neither.kind(), ErrorKind::InvalidInput);
    assert_eq!(neither.field(), Some("face"));
    let neither = c.update_event("s1", "e1", None, None).await.unwrap_err();
    assert_eq!(neither.kind(), ErrorKind::InvalidInput);
    let bad = c
        .update_subject("s1", None, Some(&["".to_owned()]))
        .await
        .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidInput);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 5, "the refused calls sent nothing");
    let bodies: Vec<serde_json::Value> = reqs.iter().map(|r| r.json()).collect();
    assert_eq!(bodies[0], json!({"tags": ["staff"]}));
    assert_eq!(bodies[1], json!({"tags": []}), "an empty list is sent");
    assert_eq!(bodies[2], json!({"face": b64(&face), "tags": []}));
    assert_eq!(reqs[3].target, "/v1.1/subjects/s1/events/e1");
    assert_eq!(bodies[3], json!({"tags": []}));
    assert_eq!(bodies[4], json!({"face": b64(&face)}), "no tags: not sent");
    for r in &reqs {
        assert_signed(r, true);
    }
}

/// Issue 16: rename tag in each `rename_tag_form`; `auto` (the default) falls back to the
/// v1.1 path form on 404, 400 InvalidRequest and API Gateway's missing-route 403, once,
/// and then sends the path form first; other errors are not retried in the other form.
#[tokio::test]
async fn rename_tag_forms_and_the_fallback() {
    use necid::RenameTagForm;
    let targets = |s: &FaultServer| -> Vec<String> {
        s.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.target))
            .collect()
    };
    // body: only the body form, even when refused.
    let server = FaultServer::start(vec![json(404, r#"{"message":"Not Found"}"#)]).await;
    let c = client_with(&server, fast_retries(1), |b| {
        b.rename_tag_form(RenameTagForm::Body)
    });
    let e = c.rename_tag("old", "new one").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(targets(&server), ["PUT /v1.1/tags/old"]);
    assert_eq!(server.requests()[0].json(), json!({"newName": "new one"}));

    // path: only the path form, no body.
    let server = FaultServer::start(vec![empty(200)]).await;
    let c = client_with(&server, fast_retries(1), |b| {
        b.rename_tag_form(RenameTagForm::Path)
    });
    c.rename_tag("old", "new one").await.unwrap();
    assert_eq!(targets(&server), ["PUT /v1.1/tags/old/new%20one"]);
    assert!(server.requests()[0].body.is_empty());
    assert_signed(&server.requests()[0], true);

    // auto (the default): body, refused with 404 → path; then path first.
    let server = FaultServer::start(vec![
        json(404, r#"{"message":"Not Found"}"#),
        empty(200),
        empty(200),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    assert_eq!(c.config().rename_tag_form(), RenameTagForm::Auto);
    c.rename_tag("a", "b").await.unwrap();
    c.rename_tag("b", "c").await.unwrap();
    assert_eq!(
        targets(&server),
        [
            "PUT /v1.1/tags/a",
            "PUT /v1.1/tags/a/b",
            "PUT /v1.1/tags/b/c"
        ]
    );

    // auto: API Gateway's answer for a route it lacks, and 400 InvalidRequest, fall back.
    let server = FaultServer::start(vec![
        json_with(
            403,
            r#"{"message":"Missing Authentication Token"}"#,
            &[("x-amzn-errortype", "MissingAuthenticationTokenException")],
        ),
        empty(200),
    ])
    .await;
    client(&server, fast_retries(1))
        .rename_tag("a", "b")
        .await
        .unwrap();
    assert_eq!(targets(&server), ["PUT /v1.1/tags/a", "PUT /v1.1/tags/a/b"]);
    let server = FaultServer::start(vec![
        json(
            400,
            r#"{"message":"newName is not allowed","errorCode":1001,"errorType":"InvalidRequest"}"#,
        ),
        empty(200),
    ])
    .await;
    client(&server, fast_retries(1))
        .rename_tag("a", "b")
        .await
        .unwrap();
    assert_eq!(targets(&server).len(), 2);

    // auto: a Duplicate (or any other refusal) is the answer; both forms failing gives the
    // second form's error.
    let server = FaultServer::start(vec![json(
        400,
        r#"{"message":"Tag b exists","errorCode":1002,"errorType":"Duplicate"}"#,
    )])
    .await;
    let e = client(&server, fast_retries(1))
        .rename_tag("a", "b")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Duplicate);
    assert_eq!(targets(&server), ["PUT /v1.1/tags/a"]);
    let server = FaultServer::start(vec![
        json(404, r#"{"message":"Not Found"}"#),
        json(404, r#"{"message":"Tag a not found"}"#),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    let e = c.rename_tag("a", "b").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.message().contains("Tag a not found"), "{e}");
    assert_eq!(targets(&server).len(), 2);
}

/// Issue 16: the paginator follows `total` past pages shorter than `length` (a service
/// that caps pages below what was asked loses no rows), and without a `total` stops at a
/// short page.
#[tokio::test]
async fn subjects_paginator_follows_total_past_short_pages() {
    let row = |i: u32| json!({"id": format!("s{i}"), "eventId": format!("e{i}"), "status": "A", "lastUpdated": "2026-01-01T00:00:00Z"});
    let page = |rows: Vec<serde_json::Value>, total: Option<u32>| {
        let mut v = json!({ "subjects": rows });
        if let Some(t) = total {
            v["total"] = json!(t);
        }
        json(200, &v.to_string())
    };
    let server = FaultServer::start(vec![
        page(vec![row(0), row(1)], Some(5)),
        page(vec![row(2), row(3)], Some(5)),
        page(vec![row(4)], Some(5)),
        page(vec![row(0), row(1)], None),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    let pages: Vec<_> = c
        .subjects_paginator(necid::validate::LIST_LENGTH_DEFAULT, SortDirection::Asc)
        .collect()
        .await;
    let rows: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.unwrap().subjects)
        .map(|s| s.subject_id)
        .collect();
    assert_eq!(rows, ["s0", "s1", "s2", "s3", "s4"]);
    let pages: Vec<_> = c
        .subjects_paginator(1000, SortDirection::Asc)
        .collect()
        .await;
    assert_eq!(pages.len(), 1, "no total: a short page is the last");
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/v1.1/subjects?start=0&length=1000&dir=asc",
            "/v1.1/subjects?start=2&length=1000&dir=asc",
            "/v1.1/subjects?start=4&length=1000&dir=asc",
            "/v1.1/subjects?start=0&length=1000&dir=asc",
        ]
    );
}
