//! An independent, minimal SigV4 implementation used only by the tests: it recomputes the
//! canonical request / string to sign / signature from what was actually received (fault
//! server) or from a test vector, so the core's aws-sigv4 path is checked against a second
//! implementation rather than against itself.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = HmacSha256::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 encoding of every byte except unreserved ones (and `/` when `keep_slash`).
pub fn uri_encode(s: &[u8], keep_slash: bool) -> String {
    let mut out = String::new();
    for &b in s {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Canonical URI of a non-S3 service: the path exactly as sent, encoded once more.
pub fn canonical_uri(wire_path: &str) -> String {
    if wire_path.is_empty() {
        return "/".into();
    }
    uri_encode(wire_path.as_bytes(), true)
}

/// Canonical query: decode each name/value, encode strictly, sort.
pub fn canonical_query(wire_query: &str) -> String {
    if wire_query.is_empty() {
        return String::new();
    }
    let mut pairs: Vec<(String, String)> = wire_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn trim_all(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical request for `signed` header names (lower-case, any order).
pub fn canonical_request(
    method: &str,
    wire_path: &str,
    wire_query: &str,
    headers: &[(String, String)],
    signed: &[String],
    payload_hash: &str,
) -> String {
    let mut names: Vec<String> = signed.iter().map(|s| s.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    let mut canon_headers = String::new();
    for n in &names {
        let values: Vec<String> = headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| trim_all(v))
            .collect();
        canon_headers.push_str(&format!("{n}:{}\n", values.join(",")));
    }
    format!(
        "{method}\n{}\n{}\n{canon_headers}\n{}\n{payload_hash}",
        canonical_uri(wire_path),
        canonical_query(wire_query),
        names.join(";")
    )
}

pub fn string_to_sign(amz_date: &str, region: &str, service: &str, creq: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{}/{region}/{service}/aws4_request\n{}",
        &amz_date[..8],
        sha256_hex(creq.as_bytes())
    )
}

pub fn signature(secret: &str, amz_date: &str, region: &str, service: &str, sts: &str) -> String {
    let k_date = hmac(
        format!("AWS4{secret}").as_bytes(),
        &amz_date.as_bytes()[..8],
    );
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    hex::encode(hmac(&k_signing, sts.as_bytes()))
}

/// Parsed `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
#[derive(Debug)]
pub struct Authorization {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

pub fn parse_authorization(v: &str) -> Authorization {
    let rest = v.strip_prefix("AWS4-HMAC-SHA256 ").expect("algorithm");
    let mut cred = "";
    let mut signed = "";
    let mut sig = "";
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(c) = part.strip_prefix("Credential=") {
            cred = c;
        } else if let Some(s) = part.strip_prefix("SignedHeaders=") {
            signed = s;
        } else if let Some(s) = part.strip_prefix("Signature=") {
            sig = s;
        }
    }
    let c: Vec<&str> = cred.split('/').collect();
    assert_eq!(c.len(), 5, "credential scope {cred}");
    assert_eq!(c[4], "aws4_request");
    Authorization {
        access_key_id: c[0].into(),
        date: c[1].into(),
        region: c[2].into(),
        service: c[3].into(),
        signed_headers: signed.split(';').map(str::to_owned).collect(),
        signature: sig.into(),
    }
}

/// Verify a received request the way a strict server would. Returns the parsed header.
pub fn verify(
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
    secret: &str,
) -> Authorization {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let auth = parse_authorization(&get("authorization").expect("authorization header"));
    let amz_date = get("x-amz-date").expect("x-amz-date header");
    assert_eq!(
        &amz_date[..8],
        auth.date,
        "credential date matches x-amz-date"
    );
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let creq = canonical_request(
        method,
        path,
        query,
        headers,
        &auth.signed_headers,
        &sha256_hex(body),
    );
    let sts = string_to_sign(&amz_date, &auth.region, &auth.service, &creq);
    let expected = signature(secret, &amz_date, &auth.region, &auth.service, &sts);
    assert_eq!(
        auth.signature, expected,
        "signature mismatch; canonical request was:\n{creq}"
    );
    auth
}
