//! Every authentication failure, answered with a 403 JSON message, and the variants
//! that must be accepted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::time::{Duration, SystemTime};

use common::{Harness, Req, b64, picture};
use necid_server::{DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY};
use serde_json::json;

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

async fn expect_403(h: &Harness, req: Req, message: &str) -> common::Resp {
    let r = h.send(req).await.expect(403);
    assert_eq!(r.message(), message, "body: {}", r.json);
    assert!(r.headers.get("x-amzn-requestid").is_some());
    assert!(r.headers.get("date").is_some());
    assert!(
        r.headers
            .get("x-amzn-errortype")
            .is_some_and(|v| v.to_str().unwrap().ends_with("Exception")),
        "{:?}",
        r.headers
    );
    r
}

#[tokio::test]
async fn a_trailing_slash_is_part_of_what_is_signed() {
    let h = Harness::start().await;
    let mut req = h.req("GET", "/v1.1/tags").signed();
    req.url.push('/');
    expect_403(&h, req, MISMATCH).await;
    let mut req = h.req("GET", "/v1.1/tags/").signed();
    req.url.pop();
    expect_403(&h, req, MISMATCH).await;
    h.send(h.req("GET", "/v1.1/tags/")).await.expect(200);
}

#[tokio::test]
async fn unsigned_requests_are_refused() {
    let h = Harness::start().await;
    expect_403(
        &h,
        h.req("GET", "/v1.1/tags").unsigned(),
        "Missing Authentication Token",
    )
    .await;
    expect_403(
        &h,
        h.tenant("GET", "/api/galleries").unsigned(),
        "Missing Authentication Token",
    )
    .await;
}

#[tokio::test]
async fn tampered_requests_are_refused() {
    let h = Harness::start().await;
    // baseline: the signed request itself is accepted
    h.send(h.req("POST", "/v1.1/tags/a").signed())
        .await
        .expect(200);

    // body
    let mut req = h
        .req("POST", "/v1.1/face/extract")
        .json(&json!({"faces": b64(&picture(1, 64, 64))}))
        .signed();
    req.body = serde_json::to_vec(&json!({"faces": b64(&picture(2, 64, 64))})).unwrap();
    expect_403(&h, req, MISMATCH).await;

    // path
    let mut req = h.req("POST", "/v1.1/tags/b").signed();
    req.url = req.url.replace("/tags/b", "/tags/c");
    expect_403(&h, req, MISMATCH).await;

    // query
    let mut req = h.req("GET", "/v1.1/subjects?start=0&length=5").signed();
    req.url = req.url.replace("length=5", "length=6");
    expect_403(&h, req, MISMATCH).await;

    // a signed header
    let mut req = h.req("GET", "/v1.1/tags").signed();
    for (n, v) in req.headers.iter_mut() {
        if n == "accept" {
            *v = "text/plain".into();
        }
    }
    expect_403(&h, req, MISMATCH).await;

    // method
    let mut req = h.req("PUT", "/v1.1/tags/a/z").signed();
    req.method = "POST".into();
    req.url = req.url.replace("/tags/a/z", "/tags/a");
    expect_403(&h, req, MISMATCH).await;

    // the signature itself
    let mut req = h.req("GET", "/v1.1/tags").signed();
    for (n, v) in req.headers.iter_mut() {
        if n == "authorization" {
            let last = v.pop().unwrap();
            v.push(if last == '0' { '1' } else { '0' });
        }
    }
    expect_403(&h, req, MISMATCH).await;

    // nothing above changed anything
    assert_eq!(
        h.send(h.req("GET", "/v1.1/tags")).await.expect(200).json,
        json!(["a"])
    );
}

#[tokio::test]
async fn clock_skew_is_five_minutes_either_way() {
    let h = Harness::start().await;
    let now = SystemTime::now();
    h.send(
        h.req("GET", "/v1.1/tags")
            .at(now - Duration::from_secs(240)),
    )
    .await
    .expect(200);
    h.send(
        h.req("GET", "/v1.1/tags")
            .at(now + Duration::from_secs(240)),
    )
    .await
    .expect(200);

    let r = h
        .send(
            h.req("GET", "/v1.1/tags")
                .at(now - Duration::from_secs(600)),
        )
        .await
        .expect(403);
    let m = r.message();
    assert!(m.starts_with("Signature expired: "), "{m}");
    assert!(
        m.contains(" is now earlier than ") && m.ends_with(" - 5 min.)"),
        "{m}"
    );
    // "Signature expired: X is now earlier than Y (Z - 5 min.)" with basic ISO-8601 times
    let x = &m["Signature expired: ".len().."Signature expired: ".len() + 16];
    assert!(
        x.len() == 16 && x.ends_with('Z') && x.as_bytes()[8] == b'T',
        "{x}"
    );

    let r = h
        .send(
            h.req("GET", "/v1.1/tags")
                .at(now + Duration::from_secs(600)),
        )
        .await
        .expect(403);
    let m = r.message();
    assert!(m.starts_with("Signature not yet current: "), "{m}");
    assert!(
        m.contains(" is still later than ") && m.ends_with(" + 5 min.)"),
        "{m}"
    );
}

#[tokio::test]
async fn wrong_credentials_are_refused() {
    let h = Harness::start().await;
    expect_403(
        &h,
        h.req("GET", "/v1.1/tags")
            .keys("AKIDUNKNOWN", DEV_SECRET_ACCESS_KEY),
        "The security token included in the request is invalid.",
    )
    .await;
    expect_403(
        &h,
        h.req("GET", "/v1.1/tags")
            .keys(DEV_ACCESS_KEY_ID, "not-the-secret"),
        MISMATCH,
    )
    .await;
    // wrong region in the credential scope
    let mut req = h.req("GET", "/v1.1/tags");
    req.region = "us-east-1".into();
    let r = h.send(req).await.expect(403);
    assert!(r.message().contains("region"), "{}", r.json);
}

#[tokio::test]
async fn api_key_is_required_and_checked() {
    let h = Harness::start().await;
    expect_403(&h, h.req("GET", "/v1.1/tags").no_api_key(), "Forbidden").await;
    expect_403(
        &h,
        h.req("GET", "/v1.1/tags").api_key("no-such-key"),
        "Forbidden",
    )
    .await;
    expect_403(
        &h,
        h.req("POST", "/v1.1/subjects")
            .no_api_key()
            .json(&json!({"face": b64(&picture(1, 64, 64))})),
        "Forbidden",
    )
    .await;
    // the tenant API needs no API key
    h.send(h.tenant("GET", "/api/galleries")).await.expect(200);
}

#[tokio::test]
async fn malformed_authorization_headers_are_refused_with_json() {
    let h = Harness::start().await;
    for bad in [
        "Basic dXNlcjpwYXNz",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=AK/20200101/ap-southeast-2/execute-api/aws4_request",
        "AWS4-HMAC-SHA256 Credential=x, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 garbage",
    ] {
        let req = h
            .req("GET", "/v1.1/tags")
            .unsigned()
            .header("authorization", bad);
        let r = h.send(req).await.expect(403);
        assert!(!r.message().is_empty(), "{bad}: {}", r.json);
    }
    // x-amz-date present but not signed (could be rewritten to replay a request)
    let mut req = h.req("GET", "/v1.1/tags").signed();
    let auth = req
        .headers
        .iter_mut()
        .find(|(n, _)| n == "authorization")
        .unwrap();
    auth.1 = auth.1.replace(
        "SignedHeaders=accept;host;x-amz-date;x-api-key",
        "SignedHeaders=accept;host;x-api-key",
    );
    assert!(
        auth.1.contains("SignedHeaders=accept;host;x-api-key,"),
        "{}",
        auth.1
    );
    let r = h.send(req).await.expect(403);
    assert!(r.message().contains("X-Amz-Date"), "{}", r.json);
    // signed, but x-amz-date missing
    let mut req = h.req("GET", "/v1.1/tags").signed();
    req.headers.retain(|(n, _)| n != "x-amz-date");
    let r = h.send(req).await.expect(403);
    assert!(r.message().contains("X-Amz-Date"), "{}", r.json);
}

#[tokio::test]
async fn what_the_vendor_clients_send_is_accepted() {
    let h = Harness::start().await;
    // host signed without the port, as the vendor's JavaScript client does
    let mut req = h
        .req("GET", "/v1.1/tags")
        .header("host", "127.0.0.1")
        .signed();
    req.headers.retain(|(n, _)| n != "host");
    h.send(req).await.expect(200);
    // ... but a different host name is not
    let mut req = h
        .req("GET", "/v1.1/tags")
        .header("host", "example.com")
        .signed();
    req.headers.retain(|(n, _)| n != "host");
    h.send(req).await.expect(403);

    // unsigned content-type and x-amz-security-token next to a signed request
    let req = h
        .req("POST", "/v1.1/tags/js")
        .signed()
        .header("content-type", "application/json")
        .header("x-amz-security-token", "IQoJb3JpZ2luX2VjEXAMPLE");
    h.send(req).await.expect(200);

    // x-amz-content-sha256 signed: honoured when it is the body's hash ...
    let body = serde_json::to_vec(&json!({"faces": b64(&picture(3, 64, 64))})).unwrap();
    let hash = hex_sha256(&body);
    let req = h
        .req("POST", "/v1.1/face/extract")
        .raw_body(body.clone())
        .header("x-amz-content-sha256", &hash);
    h.send(req).await.expect(200);
    // ... refused when it is not
    let req = h
        .req("POST", "/v1.1/face/extract")
        .raw_body(body)
        .header("x-amz-content-sha256", &hex_sha256(b"other"));
    h.send(req).await.expect(403);

    // a percent-encoded path is signed double-encoded
    h.send(h.req("POST", "/v1.1/tags/with%20space"))
        .await
        .expect(200);
    let r = h.send(h.req("GET", "/v1.1/tags")).await.expect(200);
    assert!(r.json.as_array().unwrap().contains(&json!("with space")));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_like_api_gateway() {
    let h = Harness::start().await;
    for (m, p) in [
        ("GET", "/nope"),
        ("GET", "/v1.1/nope"),
        ("GET", "/v1.1/face/search"),
        ("DELETE", "/v1.1/tags"),
        ("PATCH", "/v1.1/subjects"),
        ("GET", "/v2/subjects"),
    ] {
        let r = h.send(h.req(m, p)).await.expect(403);
        assert_eq!(r.message(), "Missing Authentication Token", "{m} {p}");
        let r = h.send(h.req(m, p).unsigned()).await.expect(403);
        assert_eq!(r.message(), "Missing Authentication Token", "{m} {p}");
    }
}

fn hex_sha256(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}
