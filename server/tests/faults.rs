//! Fault rules and the admin API, over real loopback HTTP (and raw TCP where the fault is
//! on the wire: resets and truncated bodies).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use necid_server::ServerConfig;
use necid_server::faults::{FaultPlan, FaultRuleSpec};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn add(h: &Harness, rule: Value) -> Value {
    let (status, body) = h.admin("POST", "/faults", Some(rule.clone())).await;
    assert_eq!(status, 201, "{rule} -> {body}");
    body
}

/// A raw HTTP/1.1 GET of `/v1.1/health`: what arrived before the connection ended, and
/// how it ended.
async fn raw_health(h: &Harness) -> (Vec<u8>, std::io::Result<()>) {
    let mut s = tokio::net::TcpStream::connect(h.server.addr())
        .await
        .unwrap();
    s.write_all(b"GET /v1.1/health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(30), s.read(&mut buf))
            .await
            .expect("the server ends the connection")
        {
            Ok(0) => return (got, Ok(())),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return (got, Err(e)),
        }
    }
}

fn split_head(raw: &[u8]) -> (String, Vec<u8>) {
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    (
        String::from_utf8_lossy(&raw[..at]).to_ascii_lowercase(),
        raw[at + 4..].to_vec(),
    )
}

fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .expect("content-length")
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_admin_api_needs_its_token() {
    let h = Harness::start().await;
    let url = h.server.admin_endpoint();
    let r = h.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let body: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert!(body["message"].as_str().unwrap().contains("admin token"));
    let r = h
        .http
        .get(&url)
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // The alternative header works too.
    let r = h
        .http
        .get(&url)
        .header("x-necid-admin-token", h.server.admin_token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, body) = h.admin("GET", "", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["version"], 1);
    let (status, body) = h.admin("GET", "/no-such-thing", None).await;
    assert_eq!((status, body["message"].is_string()), (404, true));
    // Two servers, two tokens.
    let other = Harness::start().await;
    assert_ne!(h.server.admin_token(), other.server.admin_token());
    assert_eq!(h.server.admin_token().len(), 32);
}

#[tokio::test]
async fn a_given_admin_token_is_used_and_a_weak_one_refused() {
    let cfg = ServerConfig {
        engine: necid_server::EngineChoice::Deterministic,
        admin_token: Some("my-admin-token-1".into()),
        ..ServerConfig::default()
    };
    let shown = format!("{cfg:?}");
    assert!(!shown.contains("my-admin-token-1"), "{shown}");
    assert!(
        shown.contains("admin_token: Some(\"<redacted>\")"),
        "{shown}"
    );
    let h = Harness::with_config(cfg).await;
    assert_eq!(h.server.admin_token(), "my-admin-token-1");
    assert_eq!(h.admin("GET", "", None).await.0, 200);
    let e = necid_server::start(ServerConfig {
        admin_token: Some("short".into()),
        engine: necid_server::EngineChoice::Deterministic,
        ..ServerConfig::default()
    })
    .await
    .unwrap_err();
    assert!(e.to_string().contains("adminToken"), "{e}");
}

#[tokio::test]
async fn error_rules_answer_each_status_with_the_gateways_body() {
    let h = Harness::start().await;
    for (status, message) in [
        (500, "Internal server error"),
        (502, "Internal server error"),
        (503, "Service Unavailable"),
        (504, "Endpoint request timed out"),
    ] {
        add(
            &h,
            json!({"method": "GET", "path": "/v1.1/tags", "fault": "error", "status": status, "count": 1}),
        )
        .await;
        let r = h.send(h.req("GET", "/v1.1/tags")).await;
        assert_eq!(r.status, status);
        assert_eq!(r.json["message"], message);
        assert!(r.headers.contains_key("x-necid-fault"));
        // Spent after one: the next call is served.
        let r = h.send(h.req("GET", "/v1.1/tags")).await;
        assert_eq!(r.status, 200, "{:?}", r.json);
    }
    let (_, status) = h.admin("GET", "/faults", None).await;
    let rules = status["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 4);
    assert!(rules.iter().all(|r| r["fired"] == 1), "{rules:?}");
}

#[tokio::test]
async fn throttling_429_carries_retry_after_and_other_routes_are_untouched() {
    let h = Harness::start().await;
    let rule = add(
        &h,
        json!({"id": "slow-down", "method": "POST", "path": "/v1.1/tags/{name}", "fault": "error",
               "status": 429, "retryAfter": 2}),
    )
    .await;
    assert_eq!(rule["id"], "slow-down");
    let r = h.send(h.req("POST", "/v1.1/tags/a")).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["retry-after"], "2");
    assert_eq!(r.headers["x-amzn-errortype"], "TooManyRequestsException");
    assert_eq!(r.json, json!({"message": "Too Many Requests"}));
    assert_eq!(r.headers["x-necid-fault"], "slow-down");
    // Another method on the same path, and another path: served.
    assert_eq!(h.send(h.req("GET", "/v1.1/tags")).await.status, 200);
    assert_eq!(h.send(h.req("DELETE", "/v1.1/tags/a")).await.status, 404);
    // The rule was not processed-then-failed: the tag does not exist.
    let (status, _) = h.admin("DELETE", "/faults/slow-down", None).await;
    assert_eq!(status, 200);
    assert_eq!(h.admin("DELETE", "/faults/slow-down", None).await.0, 404);
    assert_eq!(h.send(h.req("POST", "/v1.1/tags/a")).await.status, 200);
}

#[tokio::test]
async fn timeout_1003_before_and_after_processing() {
    let h = Harness::start().await;
    add(
        &h,
        json!({"method": "POST", "path": "/v1.1/tags/*", "fault": "timeout", "count": 1}),
    )
    .await;
    let r = h.send(h.req("POST", "/v1.1/tags/before")).await;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json,
        json!({"message": "Request timed out.", "errorCode": 1003, "errorType": "Timeout"})
    );
    add(
        &h,
        json!({"method": "POST", "path": "/v1.1/tags/*", "fault": "timeout", "phase": "after", "count": 1}),
    )
    .await;
    let r = h.send(h.req("POST", "/v1.1/tags/after")).await;
    assert_eq!(r.json["errorCode"], 1003);
    let tags = h.send(h.req("GET", "/v1.1/tags")).await.json;
    assert_eq!(
        tags,
        json!(["after"]),
        "phase after: processed, then the timeout"
    );
}

#[tokio::test]
async fn reset_before_and_after() {
    let h = Harness::start().await;
    add(
        &h,
        json!({"path": "/v1.1/health", "fault": "reset", "count": 1}),
    )
    .await;
    let (got, end) = raw_health(&h).await;
    assert!(got.is_empty(), "nothing is sent before the reset");
    assert_eq!(end.unwrap_err().kind(), std::io::ErrorKind::ConnectionReset);
    // Through an HTTP client: a transport error, no status.
    add(
        &h,
        json!({"method": "POST", "path": "/v1.1/tags/{name}", "fault": "reset", "phase": "after", "count": 1}),
    )
    .await;
    let req = h.req("POST", "/v1.1/tags/kept").signed();
    let mut b = h.http.post(&req.url);
    for (n, v) in &req.headers {
        b = b.header(n.as_str(), v.as_str());
    }
    let e = b.send().await.unwrap_err();
    assert!(e.status().is_none(), "{e}");
    let tags = h.send(h.req("GET", "/v1.1/tags")).await.json;
    assert_eq!(tags, json!(["kept"]), "phase after: processed, then reset");
    // Spent: the server keeps serving.
    let (got, end) = raw_health(&h).await;
    end.unwrap();
    assert!(String::from_utf8_lossy(&got).contains("\"OK\""));
}

#[tokio::test]
async fn truncated_bodies_declare_more_than_they_send() {
    let h = Harness::start().await;
    let (plain, _) = raw_health(&h).await;
    let (_, plain_body) = split_head(&plain);
    add(
        &h,
        json!({"path": "/v1.1/health", "fault": "truncate", "count": 1}),
    )
    .await;
    let (got, _end) = raw_health(&h).await;
    let (head, body) = split_head(&got);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let declared = content_length(&head);
    assert!(declared > 10);
    assert_eq!(body.len(), declared / 2, "half of the body, then the end");
    add(
        &h,
        json!({"path": "/v1.1/health", "fault": "truncate", "keepBytes": 3, "count": 1}),
    )
    .await;
    let (got, _) = raw_health(&h).await;
    let (_, body) = split_head(&got);
    assert_eq!(body, plain_body[..3]);
}

#[tokio::test]
async fn slow_bodies_arrive_whole_and_latency_is_added() {
    let h = Harness::start().await;
    let (plain, _) = raw_health(&h).await;
    let (_, plain_body) = split_head(&plain);
    add(
        &h,
        json!({"path": "/v1.1/health", "fault": "slowBody", "chunkBytes": 8, "intervalMs": 20, "count": 1}),
    )
    .await;
    let t = Instant::now();
    let (got, end) = raw_health(&h).await;
    end.unwrap();
    let (head, body) = split_head(&got);
    assert_eq!(body, plain_body);
    assert_eq!(content_length(&head), body.len());
    // A lower bound only (the pauses are sleeps): never flaky.
    let chunks = body.len().div_ceil(8) as u32;
    assert!(t.elapsed() >= Duration::from_millis(20) * chunks);

    // Latency stacks with the rule after it.
    add(
        &h,
        json!({"id": "lag", "path": "/v1.1/**", "fault": "latency", "delay": {"ms": 300}, "count": 1}),
    )
    .await;
    add(
        &h,
        json!({"path": "/v1.1/tags", "fault": "error", "status": 503, "count": 1}),
    )
    .await;
    let t = Instant::now();
    let r = h.send(h.req("GET", "/v1.1/tags")).await;
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.status, 503);
    // Distributions are accepted; their samples stay within bounds.
    add(
        &h,
        json!({"path": "/v1.1/health", "fault": "latency", "delay": {"minMs": 10, "maxMs": 30}}),
    )
    .await;
    add(
        &h,
        json!({"path": "/v1.1/health", "fault": "latency", "delay": {"meanMs": 5, "stddevMs": 2}}),
    )
    .await;
    let t = Instant::now();
    let (got, _) = raw_health(&h).await;
    assert!(String::from_utf8_lossy(&got).contains("\"OK\""));
    assert!(t.elapsed() >= Duration::from_millis(10));
}

#[tokio::test]
async fn probabilities_are_deterministic_with_a_seed() {
    let h = Harness::start().await;
    let plan = json!({"seed": 42, "rules": [
        {"method": "GET", "path": "/v1.1/tags", "fault": "error", "status": 503, "probability": 0.5}
    ]});
    let run = || async {
        let mut pattern = String::new();
        for _ in 0..40 {
            let r = h.send(h.req("GET", "/v1.1/tags")).await;
            pattern.push(if r.status == 503 { 'x' } else { '.' });
        }
        pattern
    };
    assert_eq!(h.admin("PUT", "/faults", Some(plan.clone())).await.0, 200);
    let first = run().await;
    assert_eq!(h.admin("PUT", "/faults", Some(plan.clone())).await.0, 200);
    let second = run().await;
    assert_eq!(first, second, "same seed, same requests: same faults");
    let hits = first.matches('x').count();
    assert!((8..=32).contains(&hits), "{first}");
    let (_, status) = h.admin("GET", "/faults", None).await;
    assert_eq!(status["seed"], 42);
    assert_eq!(status["rules"][0]["matched"], 40);
    assert_eq!(status["rules"][0]["fired"], hits);
    // `after`: the first N matching requests pass.
    let plan = json!({"rules": [
        {"path": "/v1.1/tags", "fault": "error", "status": 500, "after": 2, "count": 1}
    ]});
    h.admin("PUT", "/faults", Some(plan)).await;
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(h.send(h.req("GET", "/v1.1/tags")).await.status);
        }
        v
    };
    assert_eq!(statuses, [200, 200, 500, 200]);
    // Cleared: nothing faulted.
    let (_, status) = h.admin("DELETE", "/faults", None).await;
    assert_eq!(status["rules"], json!([]));
}

#[tokio::test]
async fn bad_rules_are_refused_with_a_reason() {
    let h = Harness::start().await;
    for (rule, words) in [
        (json!({"fault": "error", "status": 418}), "418"),
        (json!({"fault": "error"}), "needs a status"),
        (json!({"fault": "nap"}), "unknown fault"),
        (json!({"fault": "reset", "probability": 2}), "probability"),
        (
            json!({"fault": "reset", "path": "v1.1/tags"}),
            "must start with /",
        ),
        (json!({"fault": "reset", "method": "BREW"}), "BREW"),
        (json!({"fault": "latency"}), "needs a delay"),
        (
            json!({"fault": "latency", "delay": {"ms": 1, "minMs": 2}}),
            "delay must be",
        ),
        (
            json!({"fault": "reset", "retryAfter": 3}),
            "retryAfter does not apply",
        ),
        (
            json!({"fault": "reset", "colour": "red"}),
            "unknown field `colour`",
        ),
        (json!({"status": 500}), "missing field `fault`"),
    ] {
        let (status, body) = h.admin("POST", "/faults", Some(rule.clone())).await;
        assert_eq!(status, 400, "{rule}");
        let msg = body["message"].as_str().unwrap();
        assert!(msg.contains(words), "{rule}: {msg}");
    }
    let (status, body) = h
        .admin(
            "PUT",
            "/faults",
            Some(json!({"rules": [{"id": "a", "fault": "reset"}, {"id": "a", "fault": "reset"}]})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("used twice"));
    // At start: a clear error, no server.
    let e = necid_server::start(ServerConfig {
        faults: FaultPlan {
            seed: None,
            rules: vec![FaultRuleSpec {
                fault: "error".into(),
                status: Some(200),
                ..Default::default()
            }],
        },
        ..ServerConfig::default()
    })
    .await
    .unwrap_err();
    assert!(e.to_string().contains("rule 1"), "{e}");
    assert!(e.to_string().contains("status 200"), "{e}");
    // From files, both formats.
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("faults.toml");
    std::fs::write(
        &toml,
        "seed = 3\n[[rules]]\nfault = \"error\"\nstatus = 503\npath = \"/v1.1/tags\"\n",
    )
    .unwrap();
    let plan = FaultPlan::from_file(&toml).unwrap();
    assert_eq!((plan.seed, plan.rules[0].status), (Some(3), Some(503)));
    let json_file = dir.path().join("faults.json");
    std::fs::write(
        &json_file,
        r#"{"rules": [{"fault": "slowBody", "chunkBytes": 0}]}"#,
    )
    .unwrap();
    let e = FaultPlan::from_file(&json_file).unwrap_err().to_string();
    assert!(e.contains("faults.json") && e.contains("chunkBytes"), "{e}");
    let e = FaultPlan::from_file(dir.path().join("missing.json"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot read fault file"), "{e}");
}

#[tokio::test]
async fn rules_at_start_apply_and_never_touch_the_admin_api() {
    let h = Harness::with_config(ServerConfig {
        engine: necid_server::EngineChoice::Deterministic,
        faults: FaultPlan::from_str_format(
            r#"{"rules": [{"fault": "error", "status": 503}]}"#,
            true,
        )
        .unwrap(),
        ..ServerConfig::default()
    })
    .await;
    assert_eq!(h.send(h.req("GET", "/v1.1/tags")).await.status, 503);
    assert_eq!(h.send(h.tenant("GET", "/api/galleries")).await.status, 503);
    let (status, body) = h.admin("GET", "/faults", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["rules"][0]["id"], "rule-1");
    // CORS preflights are not faulted either.
    let r = h
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1.1/tags", h.endpoint()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
