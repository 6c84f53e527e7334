//! The emulator's own AWS Signature Version 4 verifier (header form), written from the
//! specification and independent of the client's signer, so the two check each other.
//!
//! What it canonicalises, matching what API Gateway accepts from the official clients:
//! - exactly the headers named in `SignedHeaders` (lower-cased names, values trimmed and
//!   inner whitespace runs collapsed, repeated headers joined with `,`);
//! - the raw request path, percent-encoded once more *without decoding it first* and
//!   without normalisation (standard non-S3 SigV4);
//! - the query decoded then strictly re-encoded, sorted by name then value;
//! - the payload hash of the received bytes; a signed `x-amz-content-sha256` is honoured
//!   only when it is that hash.
//!
//! When `host` is signed and the signature does not match with the received host
//! (`127.0.0.1:8080`), it is tried once more without the port: the vendor's JavaScript
//! client signs the host name alone.

use hmac::{Hmac, Mac};
use http::{HeaderMap, Method};
use sha2::{Digest, Sha256};
use time::{
    OffsetDateTime, PrimitiveDateTime, format_description::FormatItem, macros::format_description,
};

type HmacSha256 = Hmac<Sha256>;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const AMZ_DATE: &[FormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// Why a request's signature was refused. Every variant maps to a 403 with `message()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header at all (API Gateway's wording for unsigned requests).
    MissingToken,
    /// The `Authorization` header or a required header is malformed or missing.
    Malformed(String),
    /// The access key id is not one the server knows.
    UnknownAccessKey,
    /// The credential scope names another region, service or date.
    BadScope(String),
    /// The request date is more than the allowed skew in the past.
    Expired(String),
    /// The request date is more than the allowed skew in the future.
    NotYetCurrent(String),
    /// A signed `x-amz-content-sha256` differs from the hash of the received body.
    ContentHashMismatch,
    /// The signature does not match.
    SignatureMismatch,
}

impl AuthError {
    /// The AWS-style message for the 403 body (never contains secrets).
    pub fn message(&self) -> String {
        match self {
            AuthError::MissingToken => "Missing Authentication Token".to_owned(),
            AuthError::Malformed(m) | AuthError::BadScope(m) => m.clone(),
            AuthError::UnknownAccessKey => {
                "The security token included in the request is invalid.".to_owned()
            }
            AuthError::Expired(m) | AuthError::NotYetCurrent(m) => m.clone(),
            AuthError::ContentHashMismatch => {
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .to_owned()
            }
            AuthError::SignatureMismatch => "The request signature we calculated does not match \
                the signature you provided. Check your AWS Secret Access Key and signing method. \
                Consult the service documentation for details."
                .to_owned(),
        }
    }
}

/// The parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    /// Access key id from `Credential`.
    pub access_key_id: String,
    /// `YYYYMMDD` from the credential scope.
    pub scope_date: String,
    /// Region from the credential scope.
    pub region: String,
    /// Service from the credential scope.
    pub service: String,
    /// Lower-cased signed header names, in the order given.
    pub signed_headers: Vec<String>,
    /// Hex signature as sent.
    pub signature: String,
}

/// Parses `AWS4-HMAC-SHA256 Credential=AK/date/region/service/aws4_request,
/// SignedHeaders=a;b, Signature=hex`.
pub fn parse_authorization(value: &str) -> Result<ParsedAuthorization, AuthError> {
    let value = value.trim();
    let rest = match value.split_once(char::is_whitespace) {
        Some((alg, rest)) if alg == ALGORITHM => rest,
        _ => {
            return Err(AuthError::Malformed(format!(
                "Authorization header requires the '{ALGORITHM}' algorithm."
            )));
        }
    };
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = part.split_once('=') else {
            return Err(AuthError::Malformed(
                "Invalid key=value pair (missing equal-sign) in Authorization header.".to_owned(),
            ));
        };
        match k.trim() {
            "Credential" => credential = Some(v.trim()),
            "SignedHeaders" => signed = Some(v.trim()),
            "Signature" => signature = Some(v.trim()),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(AuthError::Malformed(missing.join(" ")));
    };
    let parts: Vec<&str> = credential.split('/').collect();
    let [ak, date, region, service, terminator] = parts.as_slice() else {
        return Err(AuthError::Malformed(format!(
            "Credential should have exactly 5 slash-separated parts: \
             <access key>/<date>/<region>/<service>/aws4_request, got {} parts.",
            parts.len()
        )));
    };
    if *terminator != "aws4_request" {
        return Err(AuthError::BadScope(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    let signed_headers: Vec<String> = signed
        .split(';')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    if signed_headers.is_empty() {
        return Err(AuthError::Malformed(
            "Authorization header requires 'SignedHeaders' parameter.".to_owned(),
        ));
    }
    Ok(ParsedAuthorization {
        access_key_id: (*ak).to_owned(),
        scope_date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
        signed_headers,
        signature: signature.to_owned(),
    })
}

/// What to check a request against.
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions<'a> {
    /// Required credential-scope region (`None`: accept any, as the test vectors need).
    pub region: Option<&'a str>,
    /// Required credential-scope service (`None`: accept any).
    pub service: Option<&'a str>,
    /// The server's clock.
    pub now: OffsetDateTime,
    /// Allowed skew either way, in seconds.
    pub max_skew_secs: i64,
}

/// A request as received: raw path and query exactly as on the wire.
#[derive(Debug, Clone, Copy)]
pub struct IncomingRequest<'a> {
    /// HTTP method.
    pub method: &'a Method,
    /// Raw path, still percent-encoded, as received.
    pub raw_path: &'a str,
    /// Raw query string without `?`, as received.
    pub raw_query: Option<&'a str>,
    /// All request headers.
    pub headers: &'a HeaderMap,
    /// HTTP/2 `:authority` when there is no `Host` header.
    pub authority: Option<&'a str>,
    /// Exact body bytes.
    pub body: &'a [u8],
}

/// Verifies a request's SigV4 `Authorization` header. `secret_for` maps an access key id
/// to its secret. On success returns the access key id.
pub fn verify(
    req: &IncomingRequest<'_>,
    secret_for: impl Fn(&str) -> Option<String>,
    opts: &VerifyOptions<'_>,
) -> Result<String, AuthError> {
    let auth_value = req
        .headers
        .get(http::header::AUTHORIZATION)
        .ok_or(AuthError::MissingToken)?;
    let auth_value = auth_value
        .to_str()
        .map_err(|_| AuthError::Malformed("Authorization header is not valid ASCII.".into()))?;
    let parsed = parse_authorization(auth_value)?;
    let secret = secret_for(&parsed.access_key_id).ok_or(AuthError::UnknownAccessKey)?;
    if let Some(region) = opts.region
        && parsed.region != region
    {
        return Err(AuthError::BadScope(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            parsed.region
        )));
    }
    if let Some(service) = opts.service
        && parsed.service != service
    {
        return Err(AuthError::BadScope(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    if !parsed.signed_headers.iter().any(|h| h == "host") {
        return Err(AuthError::Malformed(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    let (amz_date, when) = request_date(req.headers)?;
    // An unsigned date could be rewritten to replay an old request inside the skew window.
    let date_header = if req.headers.contains_key("x-amz-date") {
        "x-amz-date"
    } else {
        "date"
    };
    if !parsed.signed_headers.iter().any(|h| h == date_header) {
        return Err(AuthError::Malformed(format!(
            "'{}' must be a 'SignedHeader' in the AWS Authorization.",
            if date_header == "date" {
                "Date"
            } else {
                "X-Amz-Date"
            }
        )));
    }
    if amz_date.get(..8) != Some(parsed.scope_date.as_str()) {
        return Err(AuthError::BadScope(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '{}' != '{}', from 'X-Amz-Date'.",
            parsed.scope_date,
            amz_date.get(..8).unwrap_or("")
        )));
    }
    check_skew(when, opts)?;

    let body_hash = hex::encode(Sha256::digest(req.body));
    let payload_hash = if parsed
        .signed_headers
        .iter()
        .any(|h| h == "x-amz-content-sha256")
    {
        let claimed = header_values(req.headers, "x-amz-content-sha256");
        if !claimed.eq_ignore_ascii_case(&body_hash) {
            return Err(AuthError::ContentHashMismatch);
        }
        claimed
    } else {
        body_hash
    };

    let signature = hex::decode(&parsed.signature).map_err(|_| AuthError::SignatureMismatch)?;
    let key = signing_key(&secret, &parsed.scope_date, &parsed.region, &parsed.service);
    let scope = format!(
        "{}/{}/{}/aws4_request",
        parsed.scope_date, parsed.region, parsed.service
    );
    let host = host_value(req);
    let mut candidates = vec![host.clone()];
    if let Some(without_port) = strip_port(&host) {
        candidates.push(without_port.to_owned());
    }
    for host in candidates {
        let creq = canonical_request(req, &parsed.signed_headers, &host, &payload_hash);
        let sts = string_to_sign(&amz_date, &scope, &creq);
        let Ok(mut mac) = HmacSha256::new_from_slice(&key) else {
            return Err(AuthError::SignatureMismatch);
        };
        mac.update(sts.as_bytes());
        // Constant-time comparison of the expected and the provided signature.
        if mac.verify_slice(&signature).is_ok() {
            return Ok(parsed.access_key_id);
        }
    }
    Err(AuthError::SignatureMismatch)
}

fn check_skew(when: OffsetDateTime, opts: &VerifyOptions<'_>) -> Result<(), AuthError> {
    let skew = time::Duration::seconds(opts.max_skew_secs);
    let minutes = opts.max_skew_secs / 60;
    let fmt = |t: OffsetDateTime| t.format(AMZ_DATE).unwrap_or_default();
    if when < opts.now - skew {
        return Err(AuthError::Expired(format!(
            "Signature expired: {} is now earlier than {} ({} - {minutes} min.)",
            fmt(when),
            fmt(opts.now - skew),
            fmt(opts.now)
        )));
    }
    if when > opts.now + skew {
        return Err(AuthError::NotYetCurrent(format!(
            "Signature not yet current: {} is still later than {} ({} + {minutes} min.)",
            fmt(when),
            fmt(opts.now + skew),
            fmt(opts.now)
        )));
    }
    Ok(())
}

/// `x-amz-date` (or else `Date`), as the literal used in the string to sign and as a time.
fn request_date(headers: &HeaderMap) -> Result<(String, OffsetDateTime), AuthError> {
    if let Some(v) = headers.get("x-amz-date") {
        let s = v.to_str().unwrap_or("").trim().to_owned();
        let t = PrimitiveDateTime::parse(&s, AMZ_DATE).map_err(|_| {
            AuthError::Malformed(format!(
                "Date must be in ISO-8601 'basic format'. Got '{s}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ))
        })?;
        return Ok((s, t.assume_utc()));
    }
    if let Some(v) = headers.get(http::header::DATE) {
        let s = v.to_str().unwrap_or("").trim();
        let t = httpdate::parse_http_date(s).map_err(|_| {
            AuthError::Malformed(format!("Date header is not a valid HTTP date: '{s}'."))
        })?;
        let t = OffsetDateTime::from(t);
        let amz = t
            .format(AMZ_DATE)
            .map_err(|_| AuthError::Malformed("Invalid Date header.".into()))?;
        return Ok((amz, t));
    }
    Err(AuthError::Malformed(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
            .into(),
    ))
}

fn host_value(req: &IncomingRequest<'_>) -> String {
    match req.headers.get(http::header::HOST) {
        Some(_) => header_values(req.headers, "host"),
        None => req.authority.unwrap_or("").to_owned(),
    }
}

/// `example.com:8080` → `example.com`; `[::1]:8080` → `[::1]`; no port → `None`.
fn strip_port(host: &str) -> Option<&str> {
    let (name, port) = host.rsplit_once(':')?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if name.starts_with('[') && !name.ends_with(']') {
        return None; // a bare IPv6 address, not host:port
    }
    if !name.starts_with('[') && name.contains(':') {
        return None;
    }
    Some(name)
}

/// All values of one header, trimmed, whitespace-collapsed and comma-joined.
fn header_values(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all(name)
        .iter()
        .map(|v| trim_all(&String::from_utf8_lossy(v.as_bytes())))
        .collect::<Vec<_>>()
        .join(",")
}

fn trim_all(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Builds the canonical request. `host` replaces the received host header value.
pub fn canonical_request(
    req: &IncomingRequest<'_>,
    signed_headers: &[String],
    host: &str,
    payload_hash: &str,
) -> String {
    let mut out = String::new();
    out.push_str(req.method.as_str());
    out.push('\n');
    out.push_str(&canonical_uri(req.raw_path));
    out.push('\n');
    out.push_str(&canonical_query(req.raw_query.unwrap_or("")));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        if name == "host" {
            out.push_str(host);
        } else {
            out.push_str(&header_values(req.headers, name));
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// The string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// The derived signing key.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC accepts keys of any length; this arm is unreachable in practice.
        Err(_) => Vec::new(),
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn encode(bytes: &[u8], keep_slash: bool, out: &mut String) {
    for &b in bytes {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// The raw path encoded once more (`%` becomes `%25`), slashes kept, no normalisation.
pub fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::with_capacity(raw_path.len() + 8);
    encode(raw_path.as_bytes(), true, &mut out);
    out
}

/// Query parameters decoded, strictly re-encoded and sorted by name, then value.
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let mut ek = String::new();
            let mut ev = String::new();
            encode(
                &percent_encoding::percent_decode_str(k).collect::<Vec<u8>>(),
                false,
                &mut ek,
            );
            encode(
                &percent_encoding::percent_decode_str(v).collect::<Vec<u8>>(),
                false,
                &mut ev,
            );
            (ek, ev)
        })
        .collect();
    pairs.sort();
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Formats a time the way `x-amz-date` carries it.
pub fn format_amz_date(t: OffsetDateTime) -> String {
    t.format(AMZ_DATE).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_is_encoded_once_more_without_decoding() {
        assert_eq!(
            canonical_uri("/v1.1/tags/my%20tag"),
            "/v1.1/tags/my%2520tag"
        );
        assert_eq!(canonical_uri("/a b/"), "/a%20b/");
        assert_eq!(canonical_uri(""), "/");
    }

    #[test]
    fn query_is_sorted_and_strictly_encoded() {
        assert_eq!(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(canonical_query("x=a%20b&y"), "x=a%20b&y=");
        assert_eq!(canonical_query("k=a+b"), "k=a%2Bb");
    }

    #[test]
    fn port_stripping() {
        assert_eq!(strip_port("127.0.0.1:8080"), Some("127.0.0.1"));
        assert_eq!(strip_port("[::1]:80"), Some("[::1]"));
        assert_eq!(strip_port("example.com"), None);
        assert_eq!(strip_port("::1"), None);
    }

    fn at(s: &str) -> OffsetDateTime {
        PrimitiveDateTime::parse(s, AMZ_DATE).unwrap().assume_utc()
    }

    #[test]
    fn skew_messages_match_the_reference_example() {
        let opts = VerifyOptions {
            region: None,
            service: None,
            now: at("20180816T040829Z"),
            max_skew_secs: 300,
        };
        assert_eq!(
            check_skew(at("20180816T032046Z"), &opts),
            Err(AuthError::Expired(
                "Signature expired: 20180816T032046Z is now earlier than 20180816T040329Z \
                 (20180816T040829Z - 5 min.)"
                    .into()
            ))
        );
        assert_eq!(
            check_skew(at("20180816T041400Z"), &opts),
            Err(AuthError::NotYetCurrent(
                "Signature not yet current: 20180816T041400Z is still later than 20180816T041329Z \
                 (20180816T040829Z + 5 min.)"
                    .into()
            ))
        );
        assert_eq!(check_skew(at("20180816T040329Z"), &opts), Ok(()));
        assert_eq!(check_skew(at("20180816T041329Z"), &opts), Ok(()));
    }

    #[test]
    fn a_date_header_stands_in_for_x_amz_date() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.com".parse().unwrap());
        headers.insert("date", "Thu, 16 Aug 2018 04:08:29 GMT".parse().unwrap());
        let (amz, t) = request_date(&headers).unwrap();
        assert_eq!(amz, "20180816T040829Z");
        assert_eq!(t, at("20180816T040829Z"));
        headers.insert("x-amz-date", "20180816T040000Z".parse().unwrap());
        assert_eq!(request_date(&headers).unwrap().0, "20180816T040000Z");
        headers.insert("x-amz-date", "yesterday".parse().unwrap());
        assert!(matches!(
            request_date(&headers),
            Err(AuthError::Malformed(_))
        ));
    }

    #[test]
    fn authorization_parsing() {
        let p = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AK/20200101/ap-southeast-2/execute-api/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=abcd",
        )
        .unwrap();
        assert_eq!(p.access_key_id, "AK");
        assert_eq!(p.signed_headers, vec!["host", "x-amz-date"]);
        assert!(matches!(
            parse_authorization("Basic abc"),
            Err(AuthError::Malformed(_))
        ));
        assert!(matches!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=AK/1/2/3/aws4_request"),
            Err(AuthError::Malformed(_))
        ));
    }
}
