//! Per-call options, cancellation and response metadata, core client ↔ emulator over
//! loopback. Latency and errors come from the emulator's fault rules; a [`WireWatch`]
//! forwarder shows when the client closes its connection.

// Helpers outside the test functions unwrap too (a failed setup fails the test).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use necid::{CallOptions, CancelToken, ErrorKind, RetryPolicy, SortDirection};
use necid_e2e::{Emulator, WireWatch};
use necid_server::ServerConfig;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn plan(json: &str) -> necid_server::faults::FaultPlan {
    necid_server::faults::FaultPlan::from_str_format(json, true).unwrap()
}

async fn emulator(faults: &str) -> Emulator {
    Emulator::start_with(ServerConfig {
        faults: plan(faults),
        record_memory: true,
        ..Emulator::deterministic()
    })
    .await
}

fn retries(n: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts: n,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

/// The emulator's recorded requests (admin API), as text.
async fn recorded(emu: &Emulator) -> String {
    let mut s = tokio::net::TcpStream::connect(emu.server.addr())
        .await
        .unwrap();
    let req = format!(
        "GET /_admin/v1/requests HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
        emu.server.admin_token()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn metadata_of_successful_calls() {
    let emu = emulator(
        r#"{"rules":[{"method":"GET","path":"/v1.1/tags","fault":"error","status":503,"count":1}]}"#,
    )
    .await;
    let c = emu.client_with(emu.config().retry_policy(retries(3)));

    // A retried call: the second request answered.
    let (tags, meta) = c
        .with_metadata(|c| async move { c.list_tags().await })
        .await
        .unwrap();
    assert!(tags.is_empty());
    assert_eq!(meta.status, 200);
    assert_eq!(meta.attempts, 2);
    assert_eq!(meta.clock_skew_ms, 0);
    let rid = meta.request_id.clone().expect("request id");
    assert_eq!(rid.len(), 36, "{rid}");
    assert!(
        recorded(&emu).await.contains(&rid),
        "the emulator recorded {rid}"
    );

    // A unit result, and a 404 the operation reports as an empty page.
    let ((), meta) = c
        .with_metadata(|c| async move { c.create_tag("staff").await })
        .await
        .unwrap();
    assert_eq!((meta.status, meta.attempts), (200, 1));
    assert!(meta.request_id.is_some());
    let (page, meta) = c
        .with_metadata(|c| async move { c.list_subjects(0, 10, SortDirection::Asc).await })
        .await
        .unwrap();
    assert!(page.subjects.is_empty());
    assert_eq!(meta.status, 404);
    assert_ne!(meta.request_id, Some(rid));

    // The blocking client.
    let cfg = emu.config();
    // (On a thread of its own: blocking calls refuse to run inside an async runtime.)
    let (health, meta) = tokio::task::spawn_blocking(move || {
        std::thread::spawn(move || {
            let b = necid::blocking::Client::new(cfg.build().unwrap()).unwrap();
            b.with_metadata(|b| b.health()).unwrap()
        })
        .join()
        .unwrap()
    })
    .await
    .unwrap();
    assert!(health.is_ok());
    assert_eq!((meta.status, meta.attempts), (200, 1));
    assert!(meta.request_id.is_some());
    emu.stop().await;
}

#[tokio::test]
async fn per_call_max_attempts_overrides_the_client() {
    let emu = emulator(
        r#"{"rules":[{"method":"GET","path":"/v1.1/tags","fault":"error","status":503,"count":2}]}"#,
    )
    .await;
    let c = emu.client_with(emu.config().retry_policy(retries(1)));
    let once = c.with_options(CallOptions::new().max_attempts(1));
    let e = once.list_tags().await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Server, Some(503)));
    // The client allows 1 attempt; this call 3: one more 503, then the answer.
    let (_, meta) = c
        .with_options(CallOptions::new().max_attempts(3))
        .with_metadata(|c| async move { c.list_tags().await })
        .await
        .unwrap();
    assert_eq!(meta.attempts, 2);
    let e = c
        .with_options(CallOptions::new().max_attempts(0))
        .list_tags()
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("max_attempts"));
    emu.stop().await;
}

#[tokio::test]
async fn extra_headers_are_sent_and_signed_and_reserved_ones_refused() {
    let emu = emulator(r#"{"rules":[]}"#).await;
    let c = emu.client();
    // The emulator verifies the signature over every signed header.
    c.with_options(CallOptions::new().header("X-Correlation-Id", "corr-4711"))
        .create_tag("traced")
        .await
        .unwrap();
    let log = recorded(&emu).await;
    assert!(log.contains(r#""x-correlation-id":"corr-4711""#), "{log}");
    assert!(
        log.contains("SignedHeaders=content-length;host;x-amz-date;x-api-key;x-correlation-id")
            || log.contains("x-api-key;x-correlation-id"),
        "{log}"
    );
    let before = log.matches("\"seq\"").count();
    for name in [
        "Authorization",
        "host",
        "x-api-key",
        "X-Amz-Date",
        "content-type",
    ] {
        let e = c
            .with_options(CallOptions::new().header(name, "evil"))
            .list_tags()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}");
        assert_eq!(e.field(), Some("headers"));
    }
    assert_eq!(
        recorded(&emu).await.matches("\"seq\"").count(),
        before,
        "refused calls send nothing"
    );
    emu.stop().await;
}

#[tokio::test]
async fn a_deadline_bounds_the_whole_call_and_closes_the_connection() {
    // Every attempt is answered after 2 s; the client would retry 3 times.
    let emu =
        emulator(r#"{"rules":[{"path":"/v1.1/tags","fault":"latency","delay":{"ms":2000}}]}"#)
            .await;
    let wire = WireWatch::start(emu.server.addr()).await;
    let c = emu.client_with(
        emu.config()
            .endpoint(wire.endpoint())
            .retry_policy(retries(3)),
    );
    let started = Instant::now();
    let e = c
        .with_options(CallOptions::new().deadline(Duration::from_millis(300)))
        .list_tags()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
    assert!(e.message().contains("deadline"), "{e}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert!(
        wire.wait_closed(1, Duration::from_millis(1000)).await,
        "the connection was closed while the emulator held the answer"
    );
    assert_eq!(wire.opened(), 1, "no retry after the deadline");
    emu.stop().await;
}

#[tokio::test]
async fn a_cancel_token_stops_the_call_on_the_wire() {
    let emu =
        emulator(r#"{"rules":[{"path":"/v1.1/tags","fault":"latency","delay":{"ms":3000}}]}"#)
            .await;
    let wire = WireWatch::start(emu.server.addr()).await;
    let c = emu.client_with(
        emu.config()
            .endpoint(wire.endpoint())
            .retry_policy(retries(3)),
    );
    let token = CancelToken::new();
    let call = c
        .with_options(CallOptions::new().cancel_token(token.clone()))
        .list_tags();
    let canceller = tokio::spawn({
        let token = token.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            std::thread::spawn(move || token.cancel()).join().unwrap();
        }
    });
    let started = Instant::now();
    let e = call.await.unwrap_err();
    canceller.await.unwrap();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert!(wire.wait_closed(1, Duration::from_millis(1000)).await);
    assert_eq!(wire.opened(), 1, "no retry after cancelling");

    // A cancelled token: nothing is sent.
    let e = c
        .with_options(CallOptions::new().cancel_token(token))
        .list_tags()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert_eq!(wire.opened(), 1);
    emu.stop().await;
}

#[tokio::test]
async fn dropping_the_future_closes_the_connection() {
    let emu =
        emulator(r#"{"rules":[{"path":"/v1.1/tags","fault":"latency","delay":{"ms":3000}}]}"#)
            .await;
    let wire = WireWatch::start(emu.server.addr()).await;
    let c = emu.client_with(emu.config().endpoint(wire.endpoint()));
    let r = tokio::time::timeout(Duration::from_millis(200), c.list_tags()).await;
    assert!(r.is_err(), "still waiting for the emulator");
    assert!(
        wire.wait_closed(1, Duration::from_millis(1000)).await,
        "dropping the call closed its connection (not left waiting for 3 s)"
    );
    emu.stop().await;
}

#[tokio::test]
async fn a_cancelled_bulk_wait_stops_on_the_wire() {
    // Each progress poll is answered after 3 s.
    let emu = emulator(
        r#"{"rules":[{"path":"/v1.1/jobs/bulkregister/**","fault":"latency","delay":{"ms":3000}}]}"#,
    )
    .await;
    let wire = WireWatch::start(emu.server.addr()).await;
    let c = emu.client_with(emu.config().endpoint(wire.endpoint()));
    let token = CancelToken::new();
    let wait = c
        .with_options(CallOptions::new().cancel_token(token.clone()))
        .wait_for_bulk_register("batch-1", necid::WaitOptions::default(), |_| {});
    let t2 = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        t2.cancel();
    });
    let started = Instant::now();
    let e = wait.await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert!(wire.wait_closed(1, Duration::from_millis(1000)).await);
    emu.stop().await;
}
