//! Retry, clock-skew, error-mapping and validation behaviour over real loopback HTTP,
//! with faults injected by the scripted server in `common` (a mock on purpose: dropped
//! connections, truncated bodies and skewed clocks cannot be produced by a real server
//! on demand).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use necid::{ErrorKind, NewGallery, RetryPolicy, SearchRequest, SortDirection};

fn tags() -> Vec<String> {
    vec!["passport".to_owned()]
}

fn amz_date_of(r: &Recorded) -> SystemTime {
    let v = r.header("x-amz-date").unwrap();
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(v, &fmt)
        .unwrap()
        .assume_utc()
        .into()
}

#[tokio::test]
async fn get_retries_5xx_and_succeeds() {
    let server = FaultServer::start(vec![
        json(500, r#"{"message":"boom"}"#),
        json(502, "<html>bad gateway</html>"),
        json(200, r#"["a"]"#),
    ])
    .await;
    let c = client(&server, fast_retries(3));
    assert_eq!(c.list_tags().await.unwrap().len(), 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    for r in &reqs {
        r.verify();
    }
}

#[tokio::test]
async fn put_and_delete_retry_5xx() {
    let server = FaultServer::start(vec![
        json(500, r#"{"message":"boom"}"#),
        json(200, r#"{"id":"s1","eventId":"e1"}"#),
        json(504, r#"{"message":"gateway timeout"}"#),
        empty(204),
    ])
    .await;
    let c = client(&server, fast_retries(3));
    c.update_subject("s1", Some(jpeg().into()), Some(&tags()))
        .await
        .unwrap();
    c.unregister_subject("s1").await.unwrap();
    let reqs = server.requests();
    let methods: Vec<&str> = reqs.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["PUT", "PUT", "DELETE", "DELETE"]);
    assert_eq!(reqs[0].body, reqs[1].body);
}

#[tokio::test]
async fn retries_stop_at_max_attempts() {
    let server = FaultServer::start(vec![
        json(503, r#"{"message":"busy"}"#),
        json(503, r#"{"message":"busy"}"#),
        json(503, r#"{"message":"busy"}"#),
        json(200, "[]"),
    ])
    .await;
    let c = client(&server, fast_retries(3));
    let e = c.list_tags().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(e.status(), Some(503));
    assert_eq!(e.message(), "busy");
    assert_eq!(server.requests().len(), 3);
    assert_eq!(server.remaining_actions(), 1);
}

#[tokio::test]
async fn default_policy_is_three_attempts() {
    let server =
        FaultServer::start(vec![empty(500), empty(500), empty(500), json(200, "[]")]).await;
    // Default delays (≤ 200 ms, ≤ 400 ms) are short enough to use as-is.
    let c = client(&server, RetryPolicy::default());
    assert_eq!(c.list_tags().await.unwrap_err().kind(), ErrorKind::Server);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn post_is_not_retried_on_500() {
    let server = FaultServer::start(vec![
        json(500, r#"{"message":"internal"}"#),
        json(201, r#"{"id":"s1","eventId":"e1"}"#),
    ])
    .await;
    let c = client(&server, fast_retries(3));
    let e = c.register_subject(jpeg(), &tags()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(
        server.requests().len(),
        1,
        "a POST that may have been processed is not resent"
    );
    assert_eq!(server.remaining_actions(), 1);
}

#[tokio::test]
async fn post_is_retried_on_429_and_503_with_the_same_body() {
    let server = FaultServer::start(vec![
        json_with(
            429,
            r#"{"message":"Too Many Requests"}"#,
            &[("retry-after", "0")],
        ),
        json(503, r#"{"message":"Service Unavailable"}"#),
        json(201, r#"{"id":"s1","eventId":"e1"}"#),
    ])
    .await;
    let c = client(&server, fast_retries(3));
    let r = c.register_subject(jpeg(), &tags()).await.unwrap();
    assert_eq!(r.subject_id, "s1");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs.iter().all(|r| r.body == reqs[0].body));
    for r in &reqs {
        r.verify();
    }
}

#[tokio::test]
async fn retry_after_is_honoured_but_capped() {
    let server = FaultServer::start(vec![
        json_with(
            429,
            r#"{"message":"slow down"}"#,
            &[("retry-after", "3600")],
        ),
        json(200, "[]"),
    ])
    .await;
    // Cap of 20 ms (fast_retries): an uncapped hour-long wait would trip the guard below.
    let c = client(&server, fast_retries(3));
    let r = tokio::time::timeout(Duration::from_secs(60), c.list_tags()).await;
    assert!(r.expect("Retry-After must be capped").unwrap().is_empty());
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn throttled_when_429_persists() {
    let server = FaultServer::start(vec![
        json(429, r#"{"message":"Too Many Requests"}"#),
        json(429, r#"{"message":"Too Many Requests"}"#),
    ])
    .await;
    let c = client(&server, fast_retries(2));
    let e = c.search(SearchRequest::new(jpeg())).await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Throttled, Some(429)));
    assert!(e.is_transient());
}

#[tokio::test]
async fn dropped_connection_get_is_resent_post_is_not() {
    let server = FaultServer::start(vec![Action::Close, json(200, r#"["a"]"#)]).await;
    let c = client(&server, fast_retries(3));
    assert_eq!(c.list_tags().await.unwrap().len(), 1);
    assert_eq!(server.requests().len(), 2);

    let server = FaultServer::start(vec![
        Action::Close,
        json(201, r#"{"id":"s1","eventId":"e1"}"#),
    ])
    .await;
    let c = client(&server, fast_retries(3));
    let e = c.register_subject(jpeg(), &tags()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    assert_eq!(
        server.requests().len(),
        1,
        "the POST reached the server; it must not be sent twice"
    );
    assert_eq!(server.remaining_actions(), 1);
}

#[tokio::test]
async fn truncated_body_get_is_resent_post_is_not() {
    let trunc = || Action::Truncate {
        status: 200,
        declared: 100,
        sent: br#"{"candidates":["#.to_vec(),
    };
    let server = FaultServer::start(vec![trunc(), json(200, r#"{"status":"OK"}"#)]).await;
    let c = client(&server, fast_retries(3));
    assert!(c.health().await.unwrap().is_ok());
    assert_eq!(server.requests().len(), 2);

    let server = FaultServer::start(vec![trunc(), json(200, r#"{"candidates":[]}"#)]).await;
    let c = client(&server, fast_retries(3));
    let e = c.search(SearchRequest::new(jpeg())).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn timeouts_get_is_resent_post_is_not() {
    let fast = |b: necid::ConfigBuilder| b.request_timeout(Duration::from_millis(1500));
    let server = FaultServer::start(vec![Action::Hang, json(200, "[]")]).await;
    let c = client_with(&server, fast_retries(3), fast);
    assert!(c.list_tags().await.unwrap().is_empty());
    assert_eq!(server.requests().len(), 2);

    let server = FaultServer::start(vec![Action::Hang, json(200, r#"{"batchId":"b"}"#)]).await;
    let c = client_with(&server, fast_retries(3), fast);
    let e = c
        .bulk_register(&[necid::BulkRegistration::new("1.jpg", tags())])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn connection_refused_is_network() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = necid::Client::new(
        necid::Config::builder()
            .endpoint(format!("http://127.0.0.1:{port}"))
            .access_key_id(AKID)
            .secret_access_key(SECRET)
            .retry_policy(fast_retries(2))
            .build()
            .unwrap(),
    )
    .unwrap();
    let e = c.create_tag("x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    assert_eq!(e.status(), None);
}

#[tokio::test]
async fn malformed_json_is_decode_with_excerpt() {
    let server = FaultServer::start(vec![
        json_with(200, "{not json at all", &[("x-amzn-requestid", "req-123")]),
        json(200, r#"{"candidates": "nope"}"#),
        json(200, r#"{"batchId":"b1"}"#),
    ])
    .await;
    let c = client(&server, fast_retries(3));
    let e = c
        .list_subjects(0, 10, SortDirection::Asc)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert!(e.message().contains("{not json at all"), "{e}");
    assert_eq!(e.request_id(), Some("req-123"));
    assert_eq!(e.status(), Some(200));
    let e = c.search(SearchRequest::new(jpeg())).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert_eq!(server.requests().len(), 2, "decode errors are not retried");
}

#[tokio::test]
async fn service_errors_map_to_kinds() {
    let server = FaultServer::start(vec![
        json_with(
            400,
            r#"{"message":"No face found in image.","errorCode":2001,"errorType":"NoFace"}"#,
            &[("x-amzn-RequestId", "abc-123")],
        ),
        json_with(
            400,
            r#"{"message":"Duplicate request","errorCode":1002,"errorType":"Duplicate"}"#,
            &[("x-amz-request-id", "r2")],
        ),
        json_with(403, r#"{"message":"Forbidden"}"#, &[("x-request-id", "r3")]),
        json(404, r#"{"message":"Subject not found"}"#),
        json(400, r#"{"message":"Too many faces","errorCode":2003,"errorType":"MultipleFaces"}"#),
        json(400, r#"{"message":"quality","errorCode":2002,"errorType":"PoorQuality"}"#),
        json(500, r#"{"message":"Request timed out","errorCode":1003,"errorType":"Timeout"}"#),
        json(400, r#"{"message":"face property must be provided.","errorCode":1001,"errorType":"InvalidRequest"}"#),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    let e = c.register_subject(jpeg(), &[]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoFace);
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.error_code(), Some(2001));
    assert_eq!(e.error_type(), Some("NoFace"));
    assert_eq!(e.request_id(), Some("abc-123"));
    assert_eq!(e.message(), "No face found in image.");
    let shown = e.to_string();
    assert!(
        shown.contains("NoFace") && shown.contains("abc-123") && shown.contains("2001"),
        "{shown}"
    );
    let e = c.register_subject(jpeg(), &[]).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.request_id()),
        (ErrorKind::Duplicate, Some("r2"))
    );
    let e = c.list_tags().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.request_id(), e.message()),
        (ErrorKind::Auth, Some("r3"), "Forbidden")
    );
    let e = c.unregister_subject("nope").await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::NotFound, Some(404)));
    let e = c.register_subject(jpeg(), &[]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MultipleFaces);
    let e = c.register_subject(jpeg(), &[]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PoorQuality);
    let e = c.extract_faces(jpeg(), None).await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Timeout, Some(500)));
    let e = c.register_subject(jpeg(), &[]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
}

#[tokio::test]
async fn the_error_code_decides_when_the_error_type_is_absent_or_unknown() {
    let server = FaultServer::start(vec![
        json(400, r#"{"message":"no face","errorCode":2001}"#),
        json(
            400,
            r#"{"message":"dup","errorCode":1002,"errorType":"SomethingNew"}"#,
        ),
        json(500, r#"{"message":"slow","errorCode":1003,"errorType":""}"#),
        json(400, r#"{"message":"two","errorCode":"2003"}"#),
        // errorType wins over a disagreeing errorCode; an unknown code is InvalidRequest.
        json(
            400,
            r#"{"message":"q","errorCode":2001,"errorType":"PoorQuality"}"#,
        ),
        json(400, r#"{"message":"?","errorCode":9999}"#),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    let mut kinds = Vec::new();
    for _ in 0..6 {
        let e = c.register_subject(jpeg(), &[]).await.unwrap_err();
        kinds.push((e.kind(), e.error_code()));
    }
    assert_eq!(
        kinds,
        [
            (ErrorKind::NoFace, Some(2001)),
            (ErrorKind::Duplicate, Some(1002)),
            (ErrorKind::Timeout, Some(1003)),
            (ErrorKind::MultipleFaces, Some(2003)),
            (ErrorKind::PoorQuality, Some(2001)),
            (ErrorKind::InvalidRequest, Some(9999)),
        ]
    );
}

fn skew_403(server_time: SystemTime) -> Action {
    json_with(
        403,
        r#"{"message":"Signature expired: 20180816T032046Z is now earlier than 20180816T040329Z (20180816T040829Z - 5 min.)"}"#,
        &[("date", &httpdate::fmt_http_date(server_time))],
    )
}

#[tokio::test]
async fn clock_skew_is_corrected_and_kept() {
    let ahead = SystemTime::now() + Duration::from_secs(3600);
    let server = FaultServer::start(vec![
        skew_403(ahead),
        json(201, r#"{"id":"s1","eventId":"e1"}"#),
        json(200, "[]"),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    // A POST: the 403 proves it was not processed, so it is re-signed and resent.
    c.register_subject(jpeg(), &tags()).await.unwrap();
    let skew = c.clock_skew_ms();
    assert!((3_590_000..=3_610_000).contains(&skew), "skew {skew}");
    c.list_tags().await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let local = SystemTime::now();
    for r in &reqs[1..] {
        r.verify();
        let signed_at = amz_date_of(r);
        let lead = signed_at.duration_since(local).unwrap_or_default();
        assert!(
            lead > Duration::from_secs(3500),
            "signed with the server's clock: {lead:?}"
        );
    }
    assert!(amz_date_of(&reqs[0]) < local + Duration::from_secs(60));
}

#[tokio::test]
async fn clock_skew_behind_and_retried_only_once() {
    let behind = SystemTime::now() - Duration::from_secs(900);
    let server = FaultServer::start(vec![
        json_with(
            403,
            r#"{"message":"Signature not yet current: 20180816T050000Z is still later than 20180816T040829Z (20180816T040329Z + 5 min.)"}"#,
            &[("date", &httpdate::fmt_http_date(behind))],
        ),
        skew_403(behind),
        json(200, "[]"),
    ])
    .await;
    let c = client(&server, fast_retries(3));
    let e = c.list_tags().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.message().starts_with("Signature expired"));
    assert_eq!(server.requests().len(), 2, "one skew retry only");
    assert!(c.clock_skew_ms() < -800_000);
}

#[tokio::test]
async fn skew_403_without_date_header_is_auth() {
    let server = FaultServer::start(vec![
        json(403, r#"{"message":"Signature expired: 20180816T032046Z is now earlier than 20180816T040329Z (20180816T040829Z - 5 min.)"}"#),
        json(200, "[]"),
    ])
    .await;
    let c = client(&server, fast_retries(3));
    let e = c.list_tags().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert_eq!(
        server.requests().len(),
        1,
        "no offset to apply: nothing to retry"
    );
    assert_eq!(c.clock_skew_ms(), 0);
}

#[tokio::test]
async fn other_403_is_not_retried() {
    let server = FaultServer::start(vec![
        json(
            403,
            r#"{"message":"The request signature we calculated does not match"}"#,
        ),
        json(200, "[]"),
    ])
    .await;
    let c = client(&server, fast_retries(3));
    assert_eq!(c.list_tags().await.unwrap_err().kind(), ErrorKind::Auth);
    assert_eq!(server.requests().len(), 1);
    assert_eq!(c.clock_skew_ms(), 0);
}

#[tokio::test]
async fn secrets_never_in_errors() {
    let echo = format!(
        r#"{{"message":"Duplicate: apiKey {API_KEY}, secret {SECRET}","errorCode":1002,"errorType":"Duplicate"}}"#
    );
    let server = FaultServer::start(vec![
        json(400, &echo),
        json(200, &format!("not json {API_KEY}")),
    ])
    .await;
    let c = client(&server, fast_retries(1));
    let e1 = c
        .create_gallery(NewGallery {
            name: "g".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let e2 = c.list_tags().await.unwrap_err();
    assert_eq!(e2.kind(), ErrorKind::Decode);
    for e in [e1, e2] {
        for text in [e.to_string(), format!("{e:?}"), e.message().to_owned()] {
            assert!(!text.contains(API_KEY) && !text.contains(SECRET), "{text}");
        }
    }
    let dbg = format!("{c:?}");
    assert!(!dbg.contains(API_KEY) && !dbg.contains(SECRET), "{dbg}");
}

#[tokio::test]
async fn validation_happens_before_sending() {
    let server = FaultServer::start(vec![]).await;
    let c = client(&server, fast_retries(1));
    let img = jpeg();
    let check = |r: necid::Result<_>, field: &str| {
        let e = r.map(|_: ()| ()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert_eq!(e.field(), Some(field), "{e}");
        assert!(e.message().starts_with(field), "{e}");
    };
    let unit = |r: necid::Result<necid::SearchResult>| r.map(|_| ());
    check(
        unit(
            c.search(SearchRequest::new(img.clone()).threshold(10_000))
                .await,
        ),
        "threshold",
    );
    check(
        unit(c.search(SearchRequest::new(img.clone()).limit(0)).await),
        "limit",
    );
    check(
        unit(c.search(SearchRequest::new(img.clone()).limit(51)).await),
        "limit",
    );
    check(
        unit(c.search(SearchRequest::new(img.clone()).tags([""])).await),
        "tags[0]",
    );
    check(
        unit(c.search(SearchRequest::new(Vec::new())).await),
        "probe",
    );
    check(
        unit(c.search(SearchRequest::new(b"hello world".to_vec())).await),
        "probe",
    );
    check(
        c.extract_faces(img.clone(), Some(0)).await.map(|_| ()),
        "limit",
    );
    check(
        c.extract_faces(img.clone(), Some(21)).await.map(|_| ()),
        "limit",
    );
    check(
        c.list_subjects(0, 0, SortDirection::Asc).await.map(|_| ()),
        "length",
    );
    check(
        c.list_subjects(0, 1001, SortDirection::Asc)
            .await
            .map(|_| ()),
        "length",
    );
    check(c.create_tag("").await, "name");
    check(c.create_tag("  ").await, "name");
    check(c.rename_tag("a", "").await, "new_name");
    check(c.delete_tag("..").await, "name");
    check(c.unregister_subject("").await, "subject_id");
    check(c.unregister_event("s", "").await, "event_id");
    check(
        c.register_subject(img.clone(), &["ok".into(), "".into()])
            .await
            .map(|_| ()),
        "tags[1]",
    );
    check(
        c.verify_subject("", img.clone()).await.map(|_| ()),
        "subject_id",
    );
    check(
        c.verify_faces(img.clone(), vec![1u8, 2, 3])
            .await
            .map(|_| ()),
        "probe",
    );
    check(c.bulk_register(&[]).await.map(|_| ()), "registrations");
    check(
        c.bulk_register(&[necid::BulkRegistration::new("", Vec::<String>::new())])
            .await
            .map(|_| ()),
        "registrations[0].filename",
    );
    check(
        c.bulk_register_progress("", None).await.map(|_| ()),
        "batch_id",
    );
    check(
        c.create_gallery(NewGallery {
            name: "g".into(),
            face_minimum_quality_score: Some(0.3),
            ..Default::default()
        })
        .await
        .map(|_| ()),
        "face_minimum_quality_score",
    );
    check(c.get_gallery("").await.map(|_| ()), "gallery_id");
    // ~7.9 MB image: its base64 JSON body would pass the 10 MB request limit.
    let mut big = jpeg();
    big.resize(7_900_000, 0);
    check(
        c.register_subject(big.clone(), &[]).await.map(|_| ()),
        "face",
    );
    check(
        c.verify_faces(big.clone(), img.clone()).await.map(|_| ()),
        "face",
    );
    // Every recognised format passes the sniffing check (and then reaches the server).
    assert_eq!(server.requests().len(), 0, "nothing was sent");
    for magic in [
        &b"\x89PNG\r\n\x1a\n...."[..],
        b"GIF89a......",
        b"BM............",
        b"RIFF\0\0\0\0WEBPVP8 ",
        b"II*\0........",
        b"MM\0*........",
    ] {
        server.push(json(200, r#"{"faces":[]}"#));
        assert!(
            c.extract_faces(magic.to_vec(), None)
                .await
                .unwrap()
                .is_empty()
        );
    }
    assert_eq!(server.requests().len(), 6);
}

#[test]
fn blocking_facade() {
    // The fault server runs on its own runtime thread; the blocking client uses the SDK's.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(FaultServer::start(vec![
        json(200, r#"["a","b"]"#),
        json(
            200,
            r#"{"subjects":[{"id":"s","eventId":"e","status":"A"}],"total":1}"#,
        ),
    ]));
    let c = necid::blocking::Client::new(
        necid::Config::builder()
            .endpoint(server.endpoint())
            .access_key_id(AKID)
            .secret_access_key(SECRET)
            .api_key(API_KEY)
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(c.list_tags().unwrap().len(), 2);
    let pages: Vec<_> = c
        .subjects_paginator(10, SortDirection::Asc)
        .collect::<necid::Result<_>>()
        .unwrap();
    assert_eq!(pages.len(), 1);
    // Inside a runtime: an error, not a panic, and nothing sent.
    let inner = rt.block_on(async { c.list_tags() });
    let e = inner.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("async runtime"), "{e}");
    assert_eq!(rt.block_on(async { server.requests().len() }), 2);
}
