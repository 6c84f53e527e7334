//! The core's retry rules checked through the emulator's own fault rules (no proxy, no
//! mock: the faults are the emulator's `/_admin/v1/faults`, and its recording counts the
//! attempts that reached it):
//! - reads retry through 429/5xx/Timeout 1003/resets/truncated bodies and succeed;
//! - `Retry-After` is honoured (and capped);
//! - a POST is retried only where the service says it did not process it (429, 503) and
//!   never resent after a fault that may follow processing — one subject per call;
//! - exhausted retries and the throttle surface typed errors.
//!
//! Stalls past the client's timeout are latency and slow-body rules. (`fault_proxy.rs`
//! keeps what only a proxy in front can do: replaced content types and non-JSON bodies
//! under a 200.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use necid::{Client, Config, ErrorKind, RetryPolicy, SortDirection};
use necid_server::{EngineChoice, RunningServer, ServerConfig};
use serde_json::{Value, json};

const FACES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../cli/assets/faces");

struct Emu {
    server: RunningServer,
    http: reqwest::Client,
}

impl Emu {
    async fn start(cfg: ServerConfig) -> Emu {
        let server = necid_server::start(ServerConfig {
            engine: EngineChoice::Deterministic,
            record_memory: true,
            ..cfg
        })
        .await
        .unwrap();
        Emu {
            server,
            http: reqwest::Client::new(),
        }
    }

    async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.server.admin_endpoint());
        let mut b = self
            .http
            .request(method.parse().unwrap(), &url)
            .bearer_auth(self.server.admin_token());
        if let Some(v) = body {
            b = b
                .header("content-type", "application/json")
                .body(v.to_string());
        }
        let r = b.send().await.unwrap();
        let status = r.status();
        let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {v}");
        v
    }

    /// Replaces the rules with this one.
    async fn rule(&self, rule: Value) {
        self.admin("PUT", "/faults", Some(json!({"seed": 1, "rules": [rule]})))
            .await;
    }

    /// Sequence number of the last recorded request.
    async fn mark(&self) -> u64 {
        self.admin("GET", "/requests", None).await["last"]
            .as_u64()
            .unwrap()
    }

    /// The requests that reached the emulator since `mark`: (method, status or null, fault).
    async fn since(&self, mark: u64) -> Vec<Value> {
        self.admin("GET", &format!("/requests?since={mark}"), None)
            .await["requests"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn client(&self, max_attempts: u32) -> Client {
        self.client_with_timeout(max_attempts, Duration::from_secs(20))
    }

    fn client_with_timeout(&self, max_attempts: u32, timeout: Duration) -> Client {
        let c = self.server.credentials().clone();
        Client::new(
            Config::builder()
                .endpoint(self.server.endpoint())
                .tenant_endpoint(self.server.endpoint())
                .access_key_id(c.access_key_id)
                .secret_access_key(c.secret_access_key)
                .api_key(c.api_key)
                .retry_policy(
                    RetryPolicy::default()
                        .with_max_attempts(max_attempts)
                        .with_delays(Duration::from_millis(10), Duration::from_millis(50))
                        .with_max_retry_after(Duration::from_secs(2)),
                )
                .request_timeout(timeout)
                .build()
                .unwrap(),
        )
        .unwrap()
    }

    async fn subject_rows(&self) -> usize {
        self.client(1)
            .list_subjects(0, 1000, SortDirection::Asc)
            .await
            .unwrap()
            .subjects
            .len()
    }
}

fn face(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FACES}/{name}")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_retry_through_every_rule_and_succeed() {
    let e = Emu::start(ServerConfig::default()).await;
    let c = e.client(4);
    c.create_tag("staff").await.unwrap();
    for fault in [
        json!({"fault": "error", "status": 500}),
        json!({"fault": "error", "status": 502}),
        json!({"fault": "error", "status": 503, "retryAfter": 0}),
        json!({"fault": "error", "status": 504}),
        json!({"fault": "error", "status": 429, "retryAfter": 0}),
        json!({"fault": "timeout"}),
        json!({"fault": "reset"}),
        json!({"fault": "reset", "phase": "after"}),
        json!({"fault": "truncate"}),
    ] {
        let mut rule = fault.clone();
        rule["method"] = json!("GET");
        rule["path"] = json!("/v1.1/tags");
        rule["count"] = json!(2);
        e.rule(rule).await;
        let mark = e.mark().await;
        let tags = c
            .list_tags()
            .await
            .unwrap_or_else(|err| panic!("list_tags through {fault}: {err} ({:?})", err.kind()));
        assert_eq!(tags.len(), 1, "{fault}");
        let seen = e.since(mark).await;
        // Two faulted attempts, then the one that got through.
        assert_eq!(seen.len(), 3, "{fault}: {seen:?}");
        assert!(seen[..2].iter().all(|r| r["fault"]["id"] == "rule-1"));
        assert_eq!(seen[2]["status"], 200);
    }
    // Stalls past the client's 1 s timeout (a head that never comes, a body that stops):
    // the read times out and is retried.
    let c = e.client_with_timeout(4, Duration::from_secs(1));
    for fault in [
        json!({"fault": "latency", "delay": {"ms": 3000}}),
        json!({"fault": "slowBody", "chunkBytes": 4, "intervalMs": 3000}),
    ] {
        let mut rule = fault.clone();
        rule["path"] = json!("/v1.1/tags");
        rule["count"] = json!(1);
        e.rule(rule).await;
        let tags = c
            .list_tags()
            .await
            .unwrap_or_else(|err| panic!("list_tags through {fault}: {err} ({:?})", err.kind()));
        assert_eq!(tags.len(), 1, "{fault}");
        let status = e.admin("GET", "/faults", None).await;
        assert_eq!(status["rules"][0]["fired"], 1, "{status}");
        assert_eq!(status["rules"][0]["matched"], 2, "retried once: {status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_and_capped() {
    let e = Emu::start(ServerConfig::default()).await;
    let c = e.client(3);
    e.rule(
        json!({"path": "/v1.1/tags", "fault": "error", "status": 429, "retryAfter": 1, "count": 1}),
    )
    .await;
    let t = Instant::now();
    c.list_tags().await.unwrap();
    // A lower bound (the client sleeps at least what it was told): never flaky.
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 not honoured ({:?})",
        t.elapsed()
    );
    // An hour is capped to the client's 2 s (the guard is generous; it only catches an
    // uncapped wait).
    e.rule(json!({"path": "/v1.1/tags", "fault": "error", "status": 503, "retryAfter": 3600, "count": 1}))
        .await;
    let r = tokio::time::timeout(Duration::from_secs(60), c.list_tags()).await;
    r.expect("Retry-After must be capped").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_register_is_resent_only_when_the_service_says_it_was_not_processed() {
    let e = Emu::start(ServerConfig::default()).await;
    let c = e.client(4);
    let image = face("obama.jpg");
    // (rule, expected error kind or None for success, subjects the call leaves behind)
    let cases: Vec<(Value, Option<ErrorKind>, usize)> = vec![
        // Not processed, and the service says so: retried, registered once.
        (
            json!({"fault": "error", "status": 503, "retryAfter": 0}),
            None,
            1,
        ),
        (
            json!({"fault": "error", "status": 429, "retryAfter": 0}),
            None,
            1,
        ),
        // May have been processed: surfaced after one attempt, never resent.
        (
            json!({"fault": "error", "status": 500}),
            Some(ErrorKind::Server),
            0,
        ),
        (
            json!({"fault": "error", "status": 500, "phase": "after"}),
            Some(ErrorKind::Server),
            1,
        ),
        (
            json!({"fault": "error", "status": 502}),
            Some(ErrorKind::Server),
            0,
        ),
        (
            json!({"fault": "error", "status": 504, "phase": "after"}),
            Some(ErrorKind::Server),
            1,
        ),
        (
            json!({"fault": "timeout", "phase": "after"}),
            Some(ErrorKind::Timeout),
            1,
        ),
        (json!({"fault": "reset"}), Some(ErrorKind::Network), 0),
        (
            json!({"fault": "reset", "phase": "after"}),
            Some(ErrorKind::Network),
            1,
        ),
        (json!({"fault": "truncate"}), Some(ErrorKind::Network), 1),
    ];
    // Stalls past the client's timeout: TimedOut, never resent. The rule's `matched`
    // counter counts the attempts (a request whose client left may never be answered, so
    // the recording cannot).
    let slow = e.client_with_timeout(4, Duration::from_secs(1));
    for fault in [
        json!({"fault": "latency", "delay": {"ms": 3000}}),
        json!({"fault": "slowBody", "chunkBytes": 4, "intervalMs": 3000}),
    ] {
        let mut rule = fault.clone();
        rule["method"] = json!("POST");
        rule["path"] = json!("/v1.1/subjects");
        e.rule(rule).await;
        let err = slow.register_subject(image.clone(), &[]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{fault}: {err}");
        let status = e.admin("GET", "/faults", None).await;
        assert_eq!(
            status["rules"][0]["matched"], 1,
            "{fault} was resent: {status}"
        );
    }
    for (fault, want, made) in cases {
        let mut rule = fault.clone();
        rule["method"] = json!("POST");
        rule["path"] = json!("/v1.1/subjects");
        rule["count"] = json!(1);
        e.rule(rule).await;
        let rows = e.subject_rows().await;
        let mark = e.mark().await;
        let result = c.register_subject(image.clone(), &[]).await;
        let posts: Vec<Value> = e
            .since(mark)
            .await
            .into_iter()
            .filter(|r| r["method"] == "POST")
            .collect();
        match (&result, want) {
            (Ok(_), None) => assert_eq!(posts.len(), 2, "{fault}: retried once"),
            (Err(err), Some(kind)) => {
                assert_eq!(err.kind(), kind, "{fault}: {err}");
                assert_eq!(posts.len(), 1, "{fault} was resent: {posts:?}");
            }
            (r, _) => panic!("{fault}: expected {want:?}, got {r:?}"),
        }
        assert_eq!(
            e.subject_rows().await - rows,
            made,
            "{fault}: subjects registered by this call"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_retries_and_the_throttle_surface_typed_errors() {
    let e = Emu::start(ServerConfig {
        throttle: Some(necid_server::throttle::ThrottleSpec {
            rate: 0.001,
            burst: 6,
        }),
        ..ServerConfig::default()
    })
    .await;
    let c = e.client(3);
    let cases: Vec<(Value, ErrorKind, Option<u16>)> = vec![
        (
            json!({"fault": "error", "status": 429, "retryAfter": 0}),
            ErrorKind::Throttled,
            Some(429),
        ),
        (
            json!({"fault": "error", "status": 503}),
            ErrorKind::Server,
            Some(503),
        ),
        (json!({"fault": "timeout"}), ErrorKind::Timeout, Some(500)),
        (json!({"fault": "reset"}), ErrorKind::Network, None),
    ];
    for (fault, kind, status) in cases {
        let mut rule = fault.clone();
        rule["path"] = json!("/v1.1/health");
        e.rule(rule).await;
        let mark = e.mark().await;
        let err = c.health().await.unwrap_err();
        assert_eq!(err.kind(), kind, "{fault}: {err}");
        assert_eq!(err.status(), status, "{fault}: {err}");
        assert!(err.is_transient() || kind == ErrorKind::Timeout, "{fault}");
        if kind == ErrorKind::Timeout {
            assert_eq!(err.error_code(), Some(1003));
        }
        assert_eq!(e.since(mark).await.len(), 3, "{fault}: all attempts used");
    }
    e.admin("DELETE", "/faults", None).await;
    // The usage-plan throttle (burst 6, no refill to speak of): the 7th request of this
    // API key and every retry after it are refused.
    for _ in 0..6 {
        c.list_tags().await.unwrap();
    }
    let err = c.list_tags().await.unwrap_err();
    assert_eq!(
        (err.kind(), err.status()),
        (ErrorKind::Throttled, Some(429))
    );
    assert_eq!(err.message(), "Too Many Requests");
}
