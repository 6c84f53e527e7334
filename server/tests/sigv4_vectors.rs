//! Checks the server's own SigV4 verifier against the AWS SigV4 test suite that ships in
//! the `aws-sigv4` crate's source (read in place from cargo's registry, never copied).
//!
//! For every applicable `v4/*` case: our canonical request must equal
//! `header-canonical-request.txt`, `verify` must accept `header-signed-request.txt` at the
//! case's timestamp, and the same request with its path or body changed must be refused.
//! Cases that do not apply are printed with the reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::{Path, PathBuf};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use necid_server::sigv4::{self, AuthError, IncomingRequest, VerifyOptions};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn suite_dir() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cargo"));
    let src = home.join("registry").join("src");
    for index in std::fs::read_dir(&src).expect("cargo registry src (run `cargo fetch`)") {
        let dir = index
            .expect("entry")
            .path()
            .join("aws-sigv4-1.6.4/aws-signing-test-suite/v4");
        if dir.is_dir() {
            return dir;
        }
    }
    panic!(
        "aws-sigv4-1.6.4 source not found under {} (run `cargo fetch`)",
        src.display()
    );
}

struct Parsed {
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Parses the suite's raw HTTP text. Folded header lines (obs-fold) are unfolded with a
/// space, as an HTTP/1.1 parser would.
fn parse_request(text: &str) -> Parsed {
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b),
        None => (text, ""),
    };
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    // The target may contain a literal space (get-space-*): it runs to " HTTP/".
    let (method, rest) = request_line.split_once(' ').expect("method");
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let target = rest.rsplit_once(" HTTP/").map_or(rest, |(t, _)| t);
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (target.to_owned(), None),
    };
    let mut raw: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = raw.last_mut().expect("continuation follows a header");
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else {
            let (n, v) = line.split_once(':').expect("header line");
            raw.push((n.to_owned(), v.to_owned()));
        }
    }
    let mut headers = HeaderMap::new();
    for (n, v) in raw {
        headers.append(
            HeaderName::from_bytes(n.trim().as_bytes()).expect("name"),
            HeaderValue::from_str(&v).expect("value"),
        );
    }
    Parsed {
        method,
        path,
        query,
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn read(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name)).ok()
}

/// Whether a raw path has segments a normalising signer would rewrite.
fn needs_normalisation(path: &str) -> bool {
    path.contains("//") || path.split('/').any(|seg| seg == "." || seg == "..")
}

fn verify_at(p: &Parsed, path: &str, body: &[u8], ctx: &Value) -> Result<String, AuthError> {
    let secret = ctx["credentials"]["secret_access_key"]
        .as_str()
        .expect("secret")
        .to_owned();
    let ak = ctx["credentials"]["access_key_id"]
        .as_str()
        .expect("ak")
        .to_owned();
    let now = time::OffsetDateTime::parse(
        ctx["timestamp"].as_str().expect("timestamp"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("timestamp");
    let req = IncomingRequest {
        method: &p.method,
        raw_path: path,
        raw_query: p.query.as_deref(),
        headers: &p.headers,
        authority: None,
        body,
    };
    let opts = VerifyOptions {
        region: ctx["region"].as_str(),
        service: ctx["service"].as_str(),
        now,
        max_skew_secs: 300,
    };
    sigv4::verify(&req, |k| (k == ak).then(|| secret.clone()), &opts)
}

#[test]
fn aws_sigv4_test_suite() {
    let dir = suite_dir();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("suite")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let (mut full, mut uri_only, mut skipped) = (0, 0, 0);
    for case in &cases {
        let name = case
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        let Some(signed) = read(case, "header-signed-request.txt") else {
            println!("SKIP {name}: no header-signed-request.txt");
            skipped += 1;
            continue;
        };
        let expected_creq = read(case, "header-canonical-request.txt").expect("canonical request");
        let parsed = parse_request(&signed);
        let expected_uri = expected_creq.lines().nth(1).expect("uri line");

        let Some(ctx) = read(case, "context.json") else {
            // Old-format vectors without credentials or a consistent date: only the
            // canonical URI (the double-encoding rule) can be checked.
            assert_eq!(
                sigv4::canonical_uri(&parsed.path),
                expected_uri,
                "{name}: canonical URI"
            );
            println!(
                "PART {name}: canonical URI checked; no context.json (credentials/time), signature not checkable"
            );
            uri_only += 1;
            continue;
        };
        let ctx: Value = serde_json::from_str(&ctx).expect("context");
        if ctx["normalize"] == true && needs_normalisation(&parsed.path) {
            println!(
                "SKIP {name}: expects URI path normalisation; API Gateway and the vendor client sign the raw path un-normalised"
            );
            skipped += 1;
            continue;
        }

        // 1. Our canonical request equals the suite's.
        let auth = sigv4::parse_authorization(
            parsed.headers["authorization"]
                .to_str()
                .expect("authorization"),
        )
        .expect("authorization parses");
        let payload_hash = if auth
            .signed_headers
            .iter()
            .any(|h| h == "x-amz-content-sha256")
        {
            parsed.headers["x-amz-content-sha256"]
                .to_str()
                .expect("hash")
                .to_owned()
        } else {
            hex::encode(Sha256::digest(&parsed.body))
        };
        let host = parsed.headers["host"].to_str().expect("host").to_owned();
        let req = IncomingRequest {
            method: &parsed.method,
            raw_path: &parsed.path,
            raw_query: parsed.query.as_deref(),
            headers: &parsed.headers,
            authority: None,
            body: &parsed.body,
        };
        let creq = sigv4::canonical_request(&req, &auth.signed_headers, &host, &payload_hash);
        assert_eq!(creq, expected_creq, "{name}: canonical request");

        // 2. The signed request verifies.
        let ak = verify_at(&parsed, &parsed.path, &parsed.body, &ctx)
            .unwrap_or_else(|e| panic!("{name}: signed request refused: {e:?}"));
        assert_eq!(
            ak,
            ctx["credentials"]["access_key_id"].as_str().expect("ak")
        );

        // 3. Tampering is detected.
        let tampered_path = format!("{}x", parsed.path);
        assert_eq!(
            verify_at(&parsed, &tampered_path, &parsed.body, &ctx),
            Err(AuthError::SignatureMismatch),
            "{name}: tampered path accepted"
        );
        let mut tampered_body = parsed.body.clone();
        tampered_body.push(b'!');
        assert!(
            verify_at(&parsed, &parsed.path, &tampered_body, &ctx).is_err(),
            "{name}: tampered body accepted"
        );
        full += 1;
        println!("OK   {name}");
    }
    if let Some(v4a) = dir.parent().map(|p| p.join("v4a")).filter(|p| p.is_dir()) {
        let n = std::fs::read_dir(v4a).map(|d| d.count()).unwrap_or(0);
        println!(
            "SKIP v4a/* ({n} cases): SigV4A (ECDSA, multi-region) is not used by the NEC ID API"
        );
    }
    println!(
        "SKIP query-* files of every case: presigned-URL signing is not used by the NEC ID API"
    );
    println!("{full} cases fully verified, {uri_only} URI-only, {skipped} skipped");
    assert!(full >= 25, "too few vectors applied: {full}");
}
