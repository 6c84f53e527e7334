//! Signing properties: requests signed by the core (`Client::sign_request_at`, the entry
//! point every binding exposes) are accepted by the emulator's independent SigV4 verifier
//! (`necid_server::sigv4::verify`) for random paths (unicode, reserved characters, `%`),
//! query strings, header values and bodies; and changing any single byte of the path, the
//! query, a signed header's value or the body makes the verifier reject the request.
//!
//! No network: the signed request is handed to the verifier as the server would see it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use necid::{Client, Config};
use necid_server::sigv4::{AuthError, IncomingRequest, VerifyOptions, verify};
use proptest::prelude::*;

const HOST: &str = "127.0.0.1:8080";
const AKID: &str = "AKIDPROPTEST";
const SECRET: &str = "proptest-secret-key";

fn client() -> Client {
    Client::new(
        Config::builder()
            .endpoint(format!("http://{HOST}"))
            .access_key_id(AKID)
            .secret_access_key(SECRET)
            .api_key("proptest-api-key")
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// Percent-encodes everything but unreserved characters and (in paths) sub-delimiters,
/// `:` and `@`, which a URL path may carry raw.
fn enc(s: &str, keep_sub_delims: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        let raw = b.is_ascii_alphanumeric()
            || b"-._~".contains(&b)
            || (keep_sub_delims && b"!$&'()*+,;=:@".contains(&b));
        if raw {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Raw strings with unicode, reserved characters, `%` and spaces.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::string::string_regex(&format!(
            "[a-zA-Z0-9 %/?#\\[\\]@!$&'()*+,;=:~._-]{{0,{max}}}"
        ))
        .unwrap(),
        proptest::string::string_regex(&format!("\\PC{{0,{max}}}")).unwrap(),
    ]
}

#[derive(Debug, Clone)]
struct Req {
    method: Method,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn request() -> impl Strategy<Value = Req> {
    let method = prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        Just(Method::PATCH),
    ];
    let segments = prop::collection::vec(text(12), 1..4);
    let query = prop::option::of(prop::collection::vec((text(8), text(8)), 1..4));
    // Header values: visible ASCII with inner spaces (canonicalisation trims and folds them).
    let headers = prop::collection::vec("[!-~][ -~]{0,20}[!-~]", 0..3);
    let body = prop::collection::vec(any::<u8>(), 0..256);
    (method, segments, query, headers, body).prop_map(|(method, segments, query, headers, body)| {
        let path: String = segments
            .iter()
            .map(|s| {
                // WHATWG URL parsing resolves "." / ".." (and %2E forms): not what we test.
                let s = if s.chars().all(|c| c == '.') {
                    format!("{s}x")
                } else {
                    s.clone()
                };
                format!("/{}", enc(&s, true))
            })
            .collect();
        let query = query.map(|pairs| {
            pairs
                .iter()
                .map(|(k, v)| format!("{}={}", enc(k, false), enc(v, false)))
                .collect::<Vec<_>>()
                .join("&")
        });
        let headers = headers
            .into_iter()
            .enumerate()
            .map(|(i, v)| (format!("x-necid-prop-{i}"), v))
            .collect();
        Req {
            method,
            path,
            query,
            headers,
            body,
        }
    })
}

/// Signs `r` with the core and returns the headers the server would receive.
fn sign(c: &Client, r: &Req, at: SystemTime) -> HeaderMap {
    let url = match &r.query {
        Some(q) => format!("http://{HOST}{}?{q}", r.path),
        None => format!("http://{HOST}{}", r.path),
    };
    let added = c
        .sign_request_at(r.method.as_str(), &url, &r.headers, &r.body, at)
        .unwrap_or_else(|e| panic!("signing {url}: {e}"));
    let mut h = HeaderMap::new();
    h.insert(http::header::HOST, HeaderValue::from_static(HOST));
    for (k, v) in r.headers.iter().chain(added.iter()) {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

fn check(r: &Req, headers: &HeaderMap, at: SystemTime) -> Result<String, AuthError> {
    let incoming = IncomingRequest {
        method: &r.method,
        raw_path: &r.path,
        raw_query: r.query.as_deref(),
        headers,
        authority: None,
        body: &r.body,
    };
    let opts = VerifyOptions {
        region: None,
        service: None,
        now: at.into(),
        max_skew_secs: 300,
    };
    verify(&incoming, |k| (k == AKID).then(|| SECRET.to_owned()), &opts)
}

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// Byte positions of `s` that are not part of a `%XX` triplet (changing a hex digit's case
/// there is the same query after decoding — an equivalence, not tampering).
fn plain_positions(s: &str) -> Vec<usize> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            i += 3;
            continue;
        }
        out.push(i);
        i += 1;
    }
    out
}

/// Replaces the ASCII byte at `pos` by a letter/digit different from it (every string
/// tampered with here is ASCII: encoded paths and queries, visible-ASCII header values).
fn replace_byte(s: &str, pos: usize, pick: u8) -> String {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    assert!(s.is_ascii());
    let mut b = s.as_bytes().to_vec();
    let mut new = ALNUM[usize::from(pick) % ALNUM.len()];
    if new == b[pos] {
        new = if new == b'a' { b'b' } else { b'a' };
    }
    b[pos] = new;
    String::from_utf8(b).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn core_signatures_verify(r in request(), secs in 1_000_000_000u64..4_000_000_000) {
        let c = client();
        let t = at(secs);
        let headers = sign(&c, &r, t);
        prop_assert_eq!(check(&r, &headers, t), Ok(AKID.to_owned()), "{:?}", r);
    }

    #[test]
    fn any_single_byte_change_is_rejected(
        r in request(),
        secs in 1_000_000_000u64..4_000_000_000,
        target in 0u8..4,
        pos in any::<prop::sample::Index>(),
        pick in any::<u8>(),
    ) {
        let c = client();
        let t = at(secs);
        let headers = sign(&c, &r, t);
        let mut tampered = r.clone();
        let mut tampered_headers = headers.clone();
        match target {
            // Path and query are ASCII after encoding: every position is one byte.
            0 => {
                // After the leading '/' when there is more (the canonical form of an
                // empty path is "/" too).
                let p = if r.path.len() > 1 { 1 + pos.index(r.path.len() - 1) } else { 0 };
                tampered.path = replace_byte(&r.path, p, pick);
            }
            1 => match &r.query {
                Some(q) if !plain_positions(q).is_empty() => {
                    let ps = plain_positions(q);
                    tampered.query = Some(replace_byte(q, ps[pos.index(ps.len())], pick));
                }
                _ => tampered.body.push(pick), // no query to tamper with: the body instead
            },
            2 => match r.headers.first() {
                Some((name, value)) => {
                    let v = replace_byte(value, pos.index(value.len()), pick);
                    tampered_headers.insert(
                        HeaderName::from_bytes(name.as_bytes()).unwrap(),
                        HeaderValue::from_str(&v).unwrap(),
                    );
                }
                None => {
                    // No custom header: tamper with the signed date instead.
                    let d = headers.get("x-amz-date").unwrap().to_str().unwrap().to_owned();
                    let i = pos.index(8); // inside YYYYMMDD... keep it a digit
                    let mut b = d.into_bytes();
                    b[i] = if b[i] == b'1' { b'2' } else { b'1' };
                    tampered_headers.insert("x-amz-date", HeaderValue::from_bytes(&b).unwrap());
                }
            },
            _ => {
                if r.body.is_empty() {
                    tampered.body.push(pick);
                } else {
                    let i = pos.index(r.body.len());
                    tampered.body[i] ^= pick.max(1);
                }
            }
        }
        prop_assume!(tampered.path != r.path || tampered.query != r.query
            || tampered.body != r.body || tampered_headers != headers);
        prop_assert!(check(&tampered, &tampered_headers, t).is_err(),
            "tampered request accepted: {:?} -> {:?}", r, tampered);
    }
}
