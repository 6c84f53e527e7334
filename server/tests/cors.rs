//! CORS over raw HTTP, the way a browser does it: a preflight `OPTIONS` (no auth) and
//! then the signed request, both carrying `Origin`; every API resource answers `OPTIONS`;
//! the methods a preflight lists are exactly the ones the resource serves; origin lists.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::{Harness, Req, b64, picture};
use necid_server::{EngineChoice, ServerConfig};
use serde_json::{Value, json};

const APP: &str = "http://app.example:3000";

struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends one request over a fresh connection, exactly as given, and reads the answer.
fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Raw {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let end = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of head");
    let head = String::from_utf8(out[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    Raw {
        status,
        headers,
        body: out[end + 4..].to_vec(),
    }
}

fn preflight(addr: SocketAddr, path: &str, method: &str, origin: &str) -> Raw {
    raw(
        addr,
        "OPTIONS",
        path,
        &[
            ("Origin".into(), origin.into()),
            ("Access-Control-Request-Method".into(), method.into()),
            (
                "Access-Control-Request-Headers".into(),
                "authorization,content-type,x-amz-date,x-api-key,x-amz-security-token".into(),
            ),
        ],
        b"",
    )
}

/// [`preflight`] off the runtime's thread (the server runs on it).
async fn preflight_async(addr: SocketAddr, path: &str, method: &'static str, origin: &str) -> Raw {
    let (path, origin) = (path.to_owned(), origin.to_owned());
    tokio::task::spawn_blocking(move || preflight(addr, &path, method, &origin))
        .await
        .unwrap()
}

/// A signed request sent over raw HTTP with an `Origin` (browsers do not sign `Origin`).
async fn signed_raw(h: &Harness, req: Req, origin: &str) -> Raw {
    let (endpoint, addr, origin) = (h.endpoint(), h.server.addr(), origin.to_owned());
    tokio::task::spawn_blocking(move || {
        let signed = req.signed();
        let path = signed.url.strip_prefix(&endpoint).unwrap().to_owned();
        let mut headers = signed.headers.clone();
        headers.push(("Origin".into(), origin));
        raw(addr, &signed.method, &path, &headers, &signed.body)
    })
    .await
    .unwrap()
}

fn list_contains(list: &str, item: &str) -> bool {
    list.split(',').any(|x| x.trim().eq_ignore_ascii_case(item))
}

#[tokio::test]
async fn browser_preflight_then_signed_request() {
    let h = Harness::start().await;
    let addr = h.server.addr();
    let p = preflight_async(addr, "/v1.1/subjects", "POST", APP).await;
    assert_eq!(p.status, 200, "{:?}", String::from_utf8_lossy(&p.body));
    assert_eq!(p.header("access-control-allow-origin"), Some("*"));
    let methods = p.header("access-control-allow-methods").unwrap();
    assert!(
        list_contains(methods, "POST") && list_contains(methods, "GET"),
        "{methods}"
    );
    assert!(list_contains(methods, "OPTIONS"), "{methods}");
    let allowed = p.header("access-control-allow-headers").unwrap();
    for needed in [
        "Authorization",
        "X-Amz-Date",
        "X-Api-Key",
        "X-Amz-Security-Token",
        "Content-Type",
    ] {
        assert!(list_contains(allowed, needed), "{needed} not in {allowed}");
    }
    assert!(p.header("x-amzn-requestid").is_some());

    // The request the browser then sends.
    let face = b64(&picture(7, 120, 120));
    let req = h.req("POST", "/v1.1/subjects").json(&json!({"face": face}));
    let answer = signed_raw(&h, req, APP).await;
    assert_eq!(answer.status, 201, "{:?}", answer.json());
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    assert!(answer.json()["id"].is_string());

    // Errors carry it too, so the page can read them.
    let bad = h
        .req("POST", "/v1.1/subjects")
        .api_key("wrong-key")
        .json(&json!({"face": face}));
    let answer = signed_raw(&h, bad, APP).await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.json()["message"], "Forbidden");
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
}

/// One concrete path per resource, and the methods the router serves on it.
fn resources() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("/v1.1/health", &["GET"]),
        ("/v1.1/subjects", &["GET", "POST"]),
        ("/v1.1/subjects/s1", &["PUT", "DELETE"]),
        ("/v1.1/subjects/s1/events", &["GET", "POST"]),
        ("/v1.1/subjects/s1/events/e1", &["PUT", "DELETE"]),
        ("/v1.1/face/extract", &["POST"]),
        ("/v1.1/face/search", &["POST"]),
        ("/v1.1/face/verify", &["POST"]),
        ("/v1.1/tags", &["GET"]),
        ("/v1.1/tags/t1", &["POST", "PUT", "DELETE"]),
        ("/v1.1/tags/t1/t2", &["PUT"]),
        ("/v1.1/jobs/bulkregister", &["POST"]),
        ("/v1.1/jobs/bulkregister/b1", &["GET"]),
        ("/v1.1/jobs/bulkregister/b1/p1", &["GET"]),
        ("/api/galleries", &["GET", "POST"]),
        ("/api/galleries/g1", &["GET", "PATCH", "DELETE"]),
        ("/api/applications", &["GET", "POST"]),
        ("/api/applications/a1", &["GET", "PATCH", "DELETE"]),
    ]
}

#[tokio::test]
async fn every_resource_answers_options_and_lists_exactly_its_methods() {
    let h = Harness::start().await;
    let addr = h.server.addr();
    for (path, served) in resources() {
        for p in [path.to_owned(), format!("{path}/")] {
            let pf = preflight_async(addr, &p, "GET", "http://other.example").await;
            assert_eq!(pf.status, 200, "OPTIONS {p}: {:?}", pf.json());
            assert_eq!(pf.header("access-control-allow-origin"), Some("*"), "{p}");
            let listed = pf
                .header("access-control-allow-methods")
                .unwrap()
                .to_owned();
            for m in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
                assert_eq!(
                    list_contains(&listed, m),
                    served.contains(&m),
                    "{p}: {m} vs {listed}"
                );
            }
        }
        // The list matches the router: a signed call with a listed method is routed (not
        // the Gateway's 403 for unknown routes); any other method is not.
        for m in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let r = h.send(h.req(m, path).json(&json!({}))).await;
            let unrouted = r.status == 403 && r.message() == "Missing Authentication Token";
            assert_eq!(
                !unrouted,
                served.contains(&m),
                "{m} {path}: {} {}",
                r.status,
                r.json
            );
        }
    }
    // Unknown resources stay 403, like the Gateway.
    for p in ["/v1.1/nope", "/", "/v1.1/face", "/other"] {
        let r = preflight_async(addr, p, "GET", APP).await;
        assert_eq!(r.status, 403, "{p}");
        assert_eq!(r.json()["message"], "Missing Authentication Token");
    }
}

#[tokio::test]
async fn a_configured_origin_list_is_echoed_for_its_origins_only() {
    let h = Harness::with_config(ServerConfig {
        engine: EngineChoice::Deterministic,
        cors_origins: vec![APP.to_owned(), "https://admin.example".to_owned()],
        ..ServerConfig::default()
    })
    .await;
    let addr = h.server.addr();
    let ok = preflight_async(addr, "/v1.1/tags", "GET", APP).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("access-control-allow-origin"), Some(APP));
    assert!(ok.header("vary").unwrap().contains("Origin"));
    let other = preflight_async(addr, "/v1.1/tags", "GET", "http://evil.example").await;
    assert_eq!(other.status, 200);
    assert_eq!(other.header("access-control-allow-origin"), None);
    let answer = signed_raw(&h, h.req("GET", "/v1.1/tags"), "https://admin.example").await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://admin.example")
    );
    // Without CORS (empty list): OPTIONS still 200, no CORS header anywhere.
    let h = Harness::with_config(ServerConfig {
        engine: EngineChoice::Deterministic,
        cors_origins: vec![],
        ..ServerConfig::default()
    })
    .await;
    let addr = h.server.addr();
    let r = preflight_async(addr, "/v1.1/tags", "GET", APP).await;
    assert_eq!(r.status, 200);
    assert!(r.header("access-control-allow-origin").is_none());
    assert!(r.header("access-control-allow-methods").is_none());
    // A bad origin is a configuration error.
    let e = necid_server::start(ServerConfig {
        cors_origins: vec!["app.example/path".to_owned()],
        ..ServerConfig::default()
    })
    .await
    .unwrap_err();
    assert!(e.to_string().contains("corsOrigins"), "{e}");
}
