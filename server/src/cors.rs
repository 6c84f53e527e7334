//! CORS, answered the way the vendor's API Gateway does ("Enable CORS": an `OPTIONS`
//! mock integration on every resource, no authorisation, and `Access-Control-Allow-Origin`
//! on the responses), so browser apps can call the emulator cross-origin.
//!
//! - `OPTIONS` on any API resource → 200, empty JSON body, without auth, with
//!   `Access-Control-Allow-Origin`, `Access-Control-Allow-Methods` (the resource's methods
//!   and OPTIONS) and `Access-Control-Allow-Headers` (`Content-Type, X-Amz-Date,
//!   Authorization, X-Api-Key, X-Amz-Security-Token`, the Gateway's defaults).
//! - Every other response (errors included) carries `Access-Control-Allow-Origin`.
//! - Origins: `*` (the default) answers `*` whatever the `Origin`; a list answers the
//!   request's `Origin` when it is in the list (and `Vary: Origin`), else no CORS header
//!   (the browser then refuses); an empty list disables CORS headers altogether.
//! - `OPTIONS` on an unknown resource stays 403 Missing Authentication Token, like the
//!   Gateway.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The request headers the Gateway's CORS configuration allows by default.
pub(crate) const ALLOW_HEADERS: &str =
    "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token";

/// The methods of an API resource (path already without trailing slashes), with OPTIONS,
/// as `Access-Control-Allow-Methods` lists them; `None` for an unknown resource.
pub(crate) fn allowed_methods(path: &str) -> Option<&'static str> {
    let segs: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    if segs.iter().any(|s| s.is_empty()) {
        return None;
    }
    Some(match segs.as_slice() {
        ["v1.1", "health"] => "GET,OPTIONS",
        ["v1.1", "subjects"] => "GET,OPTIONS,POST",
        ["v1.1", "subjects", _] => "DELETE,OPTIONS,PUT",
        ["v1.1", "subjects", _, "events"] => "GET,OPTIONS,POST",
        ["v1.1", "subjects", _, "events", _] => "DELETE,OPTIONS,PUT",
        ["v1.1", "face", "extract" | "search" | "verify"] => "OPTIONS,POST",
        ["v1.1", "tags"] => "GET,OPTIONS",
        ["v1.1", "tags", _] => "DELETE,OPTIONS,POST,PUT",
        ["v1.1", "tags", _, _] => "OPTIONS,PUT",
        ["v1.1", "jobs", "bulkregister"] => "OPTIONS,POST",
        ["v1.1", "jobs", "bulkregister", _] | ["v1.1", "jobs", "bulkregister", _, _] => {
            "GET,OPTIONS"
        }
        ["api", "galleries" | "applications"] => "GET,OPTIONS,POST",
        ["api", "galleries" | "applications", _] => "DELETE,GET,OPTIONS,PATCH",
        // The admin API (a web console calls it from another origin).
        ["_admin", "v1", ..] => "DELETE,GET,OPTIONS,POST,PUT",
        _ => return None,
    })
}

/// The `Access-Control-Allow-Origin` value for a request, if any.
fn allow_origin(origins: &[String], origin: Option<&HeaderValue>) -> Option<HeaderValue> {
    if origins.iter().any(|o| o == "*") {
        return Some(HeaderValue::from_static("*"));
    }
    let origin = origin?;
    let text = origin.to_str().ok()?;
    origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(text))
        .then(|| origin.clone())
}

/// Adds `Access-Control-Allow-Origin` (and `Vary: Origin` for an origin list).
pub(crate) fn decorate(origins: &[String], origin: Option<&HeaderValue>, resp: &mut Response) {
    if origins.is_empty() {
        return;
    }
    let value = allow_origin(origins, origin);
    let headers = resp.headers_mut();
    if !origins.iter().any(|o| o == "*") {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if let Some(v) = value {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
}

/// The answer to `OPTIONS` on a known resource (`decorate` adds the origin).
pub(crate) fn preflight(origins: &[String], methods: &'static str) -> Response {
    let mut resp = (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
    )
        .into_response();
    if !origins.is_empty() {
        let h = resp.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(methods),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_and_their_methods() {
        assert_eq!(allowed_methods("/v1.1/health"), Some("GET,OPTIONS"));
        assert_eq!(
            allowed_methods("/v1.1/subjects/abc/events/def"),
            Some("DELETE,OPTIONS,PUT")
        );
        assert_eq!(
            allowed_methods("/v1.1/jobs/bulkregister/b/p"),
            Some("GET,OPTIONS")
        );
        for unknown in [
            "/",
            "",
            "/v1.1",
            "/v1.1/nope",
            "/v1.1/face",
            "/v1.1//tags",
            "/api",
        ] {
            assert_eq!(allowed_methods(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn origins() {
        let any = vec!["*".to_owned()];
        assert_eq!(allow_origin(&any, None).unwrap(), "*");
        let list = vec!["http://app.test:3000".to_owned()];
        assert_eq!(allow_origin(&list, None), None);
        let good = HeaderValue::from_static("http://app.test:3000");
        assert_eq!(
            allow_origin(&list, Some(&good)).unwrap(),
            "http://app.test:3000"
        );
        let bad = HeaderValue::from_static("http://evil.test");
        assert_eq!(allow_origin(&list, Some(&bad)), None);
    }
}
