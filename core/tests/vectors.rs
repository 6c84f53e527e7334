//! The shared signing vectors in `tests/vectors/*.json` (format: tests/vectors/README.md).
//!
//! Each vector's expected canonical request, string to sign and signature were computed by
//! the independent SigV4 implementation in `common/sigv4.rs`; this test checks the core's
//! real signing path (`Client::sign_request_at`, i.e. aws-sigv4 as configured by the core)
//! produces exactly those headers. Set `NECID_REGENERATE_VECTORS=1` to rewrite the files
//! from the case list below (then review the diff).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

use common::sigv4;
use serde_json::{Value, json};

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TIME: &str = "2026-11-28T01:02:03Z";

struct Case {
    name: &'static str,
    description: &'static str,
    access_key_id: &'static str,
    secret: &'static str,
    session_token: Option<&'static str>,
    api_key: Option<&'static str>,
    method: &'static str,
    url: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "get-list-subjects-query",
        description: "GET with a query string and a signed accept header; the configured API key is added and signed",
        access_key_id: AKID,
        secret: SECRET,
        session_token: None,
        api_key: Some("73n4n74p1k3y"),
        method: "GET",
        url: "https://api.id.nec.com.au/v1.1/subjects?start=0&length=1000&dir=desc",
        headers: &[("accept", "application/json")],
        body: "",
    },
    Case {
        name: "post-register-subject-body",
        description: "POST with a JSON body: payload hash of the exact body bytes, content-type signed",
        access_key_id: AKID,
        secret: SECRET,
        session_token: None,
        api_key: Some("73n4n74p1k3y"),
        method: "POST",
        url: "https://api.id.nec.com.au/v1.1/subjects",
        headers: &[("content-type", "application/json")],
        body: r#"{"face":"/9j/4AAQSkZJRgABAQ==","tags":["passport"]}"#,
    },
    Case {
        name: "post-create-tag-with-space",
        description: "Tag name with a space: sent as /v1.1/tags/my%20tag, canonical URI double-encoded as /v1.1/tags/my%2520tag; empty body",
        access_key_id: AKID,
        secret: SECRET,
        session_token: None,
        api_key: Some("73n4n74p1k3y"),
        method: "POST",
        url: "https://api.id.nec.com.au/v1.1/tags/my%20tag",
        headers: &[],
        body: "",
    },
    Case {
        name: "put-rename-unicode-tag",
        description: "Unicode tag name (UTF-8 percent-encoded in the path, double-encoded in the canonical URI) renamed with a {\"newName\"} body",
        access_key_id: AKID,
        secret: SECRET,
        session_token: None,
        api_key: Some("73n4n74p1k3y"),
        method: "PUT",
        url: "https://api.id.nec.com.au/v1.1/tags/%C3%A9quipe%20%E2%9C%93",
        headers: &[("content-type", "application/json")],
        body: "{\"newName\":\"équipe ✓ 2\"}",
    },
    Case {
        name: "get-tags-session-token",
        description: "Temporary credentials: x-amz-security-token is added and signed",
        access_key_id: "ASIAEXAMPLETEMPORARY",
        secret: SECRET,
        session_token: Some(
            "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN//////////wEaDmFwLXNvdXRoZWFzdC0yIkcwRQ==",
        ),
        api_key: Some("73n4n74p1k3y"),
        method: "GET",
        url: "https://api.id.nec.com.au/v1.1/tags",
        headers: &[],
        body: "",
    },
    Case {
        name: "get-tenant-galleries-no-api-key",
        description: "Tenant API: SigV4 only, no x-api-key",
        access_key_id: AKID,
        secret: SECRET,
        session_token: None,
        api_key: None,
        method: "GET",
        url: "https://portal.id.nec.com.au/api/galleries",
        headers: &[("accept", "application/json")],
        body: "",
    },
    Case {
        name: "delete-subject-emulator-port",
        description: "Emulator on a non-default port: host is signed with its port; the emulator's dev credentials",
        access_key_id: "AKIDNECIDEMULATOR0001",
        secret: "necid-emulator-secret-key",
        session_token: None,
        api_key: Some("necid-emulator-api-key"),
        method: "DELETE",
        url: "http://127.0.0.1:8080/v1.1/subjects/necidguid-fcdf-49eb-9182-5a6825ed2a3b",
        headers: &[],
        body: "",
    },
    Case {
        name: "get-health-explicit-api-key",
        description: "x-api-key passed explicitly in the request headers (none configured): signed as given, not added again",
        access_key_id: AKID,
        secret: SECRET,
        session_token: None,
        api_key: None,
        method: "GET",
        url: "https://api.id.nec.com.au/v1.1/health",
        headers: &[("X-Api-Key", "explicit-key-123")],
        body: "",
    },
];

fn amz_date(rfc3339: &str) -> String {
    rfc3339.replace(['-', ':'], "")
}

fn parse_time(rfc3339: &str) -> SystemTime {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .into()
}

/// Expected output computed by the independent implementation.
fn expected(case: &Case) -> Value {
    let url = reqwest::Url::parse(case.url).unwrap();
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap()),
        None => url.host_str().unwrap().to_owned(),
    };
    let date = amz_date(TIME);
    let mut headers: Vec<(String, String)> = case
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_owned()))
        .collect();
    let mut added = BTreeMap::new();
    headers.push(("host".into(), host));
    headers.push(("x-amz-date".into(), date.clone()));
    added.insert("x-amz-date".to_owned(), date.clone());
    if let Some(k) = case.api_key
        && !headers.iter().any(|(n, _)| n == "x-api-key")
    {
        headers.push(("x-api-key".into(), k.into()));
        added.insert("x-api-key".to_owned(), k.to_owned());
    }
    if let Some(t) = case.session_token {
        headers.push(("x-amz-security-token".into(), t.into()));
        added.insert("x-amz-security-token".to_owned(), t.to_owned());
    }
    let signed: Vec<String> = headers.iter().map(|(k, _)| k.clone()).collect();
    let creq = sigv4::canonical_request(
        case.method,
        url.path(),
        url.query().unwrap_or(""),
        &headers,
        &signed,
        &sigv4::sha256_hex(case.body.as_bytes()),
    );
    let region = "ap-southeast-2";
    let service = "execute-api";
    let sts = sigv4::string_to_sign(&date, region, service, &creq);
    let sig = sigv4::signature(case.secret, &date, region, service, &sts);
    let mut names: Vec<String> = signed;
    names.sort();
    names.dedup();
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{}/{region}/{service}/aws4_request, SignedHeaders={}, Signature={sig}",
        case.access_key_id,
        &date[..8],
        names.join(";")
    );
    added.insert("authorization".to_owned(), authorization.clone());
    json!({
        "canonical_request": creq,
        "string_to_sign": sts,
        "signature": sig,
        "authorization": authorization,
        "headers": added,
    })
}

fn vector_json(case: &Case) -> Value {
    json!({
        "name": case.name,
        "description": case.description,
        "credentials": {
            "access_key_id": case.access_key_id,
            "secret_access_key": case.secret,
            "session_token": case.session_token,
        },
        "region": "ap-southeast-2",
        "service": "execute-api",
        "api_key": case.api_key,
        "time": TIME,
        "request": {
            "method": case.method,
            "url": case.url,
            "headers": case.headers.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "body": case.body,
        },
        "expected": expected(case),
    })
}

#[test]
fn shared_vectors_match_the_core_signer() {
    let dir = vectors_dir();
    if std::env::var("NECID_REGENERATE_VECTORS").as_deref() == Ok("1") {
        for case in CASES {
            let text = serde_json::to_string_pretty(&vector_json(case)).unwrap() + "\n";
            std::fs::write(dir.join(format!("{}.json", case.name)), text).unwrap();
        }
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= CASES.len(), "vectors missing in {dir:?}");
    for file in &files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let name = v["name"].as_str().unwrap();
        let creds = &v["credentials"];
        let mut b = necid::Config::builder()
            .region(v["region"].as_str().unwrap())
            .service(v["service"].as_str().unwrap())
            .access_key_id(creds["access_key_id"].as_str().unwrap())
            .secret_access_key(creds["secret_access_key"].as_str().unwrap());
        if let Some(t) = creds["session_token"].as_str() {
            b = b.session_token(t);
        }
        if let Some(k) = v["api_key"].as_str() {
            b = b.api_key(k);
        }
        let client = necid::Client::new(b.build().unwrap()).unwrap();
        let req = &v["request"];
        let headers: Vec<(String, String)> = req["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_owned(),
                    p[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let got = client
            .sign_request_at(
                req["method"].as_str().unwrap(),
                req["url"].as_str().unwrap(),
                &headers,
                req["body"].as_str().unwrap().as_bytes(),
                parse_time(v["time"].as_str().unwrap()),
            )
            .unwrap();
        let got: BTreeMap<String, String> = got.into_iter().collect();
        let want: BTreeMap<String, String> =
            serde_json::from_value(v["expected"]["headers"].clone()).unwrap();
        assert_eq!(got, want, "vector {name}");
        assert_eq!(
            got["authorization"],
            v["expected"]["authorization"].as_str().unwrap(),
            "vector {name}"
        );
        // The file is internally consistent: the string to sign hashes the canonical
        // request and the signature is the HMAC of the string to sign.
        let e = &v["expected"];
        let creq = e["canonical_request"].as_str().unwrap();
        let sts = e["string_to_sign"].as_str().unwrap();
        assert!(sts.ends_with(&sigv4::sha256_hex(creq.as_bytes())), "{name}");
        let date = amz_date(v["time"].as_str().unwrap());
        let sig = sigv4::signature(
            creds["secret_access_key"].as_str().unwrap(),
            &date,
            v["region"].as_str().unwrap(),
            v["service"].as_str().unwrap(),
            sts,
        );
        assert_eq!(sig, e["signature"].as_str().unwrap(), "{name}");
        assert!(e["authorization"].as_str().unwrap().ends_with(&sig));
    }
    // The committed files are exactly what the case list produces.
    for case in CASES {
        let on_disk: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{}.json", case.name))).unwrap(),
        )
        .unwrap();
        assert_eq!(on_disk, vector_json(case), "{} is stale", case.name);
    }
}

#[test]
fn double_encoding_is_visible_in_the_vectors() {
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(vectors_dir().join("post-create-tag-with-space.json")).unwrap(),
    )
    .unwrap();
    let creq = v["expected"]["canonical_request"].as_str().unwrap();
    assert!(
        creq.starts_with("POST\n/v1.1/tags/my%2520tag\n\n"),
        "{creq}"
    );
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(vectors_dir().join("delete-subject-emulator-port.json")).unwrap(),
    )
    .unwrap();
    assert!(
        v["expected"]["canonical_request"]
            .as_str()
            .unwrap()
            .contains("\nhost:127.0.0.1:8080\n")
    );
}
