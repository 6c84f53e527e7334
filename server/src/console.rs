//! The web console at `/_console/`: three static files (HTML, CSS, plain JS, no build
//! step) embedded in the binary. The page reads everything through the admin API
//! (`/_admin/v1/...`, Bearer token); it never touches the store itself.
//!
//! Who may open it:
//! - bound to a loopback address: anyone who can reach it (a local emulator), provided the
//!   `Host` header names a loopback host — a page on another site that points its own
//!   name at 127.0.0.1 (DNS rebinding) gets 403. The page carries the admin token so its
//!   script can call the admin API.
//! - bound elsewhere (`--host 0.0.0.0`): only with the admin token, presented as
//!   `Authorization: Bearer`, `x-necid-admin-token`, or once as `?token=` (answered with a
//!   `HttpOnly; SameSite=Strict` cookie and a redirect that drops it from the address).
//!
//! Console responses never carry CORS headers (another origin cannot read the page and
//! its token), are not recorded or faulted, and forbid framing.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::http::Shared;

/// The console's path prefix.
pub(crate) const PREFIX: &str = "/_console";

const INDEX: &str = include_str!("../console/index.html");
const SCRIPT: &str = include_str!("../console/console.js");
const STYLE: &str = include_str!("../console/console.css");
const COOKIE: &str = "necid_console";

/// Whether `path` (trailing slashes trimmed) belongs to the console.
pub(crate) fn is_console(path: &str) -> bool {
    path == PREFIX || path.starts_with("/_console/")
}

pub(crate) fn router(state: &Shared) -> Router<Shared> {
    if !state.console {
        return Router::new()
            .route(PREFIX, get(off))
            .route("/_console/{*rest}", get(off));
    }
    Router::new()
        .route(PREFIX, get(serve))
        .route("/_console/{*rest}", get(serve))
}

async fn off() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({
            "message": "The web console is off (necid serve --no-console)."
        })),
    )
        .into_response()
}

/// A `Host` header naming this machine's loopback interface.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    // Strip the port: "[::1]:8700", "127.0.0.1:8700", "localhost:8700".
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

fn query_token(req: &Request) -> Option<String> {
    let q = req.uri().query()?;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "token").then(|| {
            percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Headers every console answer carries.
fn harden(mut resp: Response, content_type: &'static str) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    resp
}

fn refuse(status: StatusCode, text: &str) -> Response {
    let page = format!(
        "<!doctype html><meta charset=\"utf-8\"><title>necid console</title>\
         <h1>necid emulator console</h1><p>{}</p>\
         <form method=\"get\" action=\"/_console/\"><label>Admin token \
         <input name=\"token\" type=\"password\" autocomplete=\"off\"></label> \
         <button>Open</button></form>",
        html_escape(text)
    );
    let mut resp = harden((status, page).into_response(), "text/html; charset=utf-8");
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"necid-console\""),
        );
    }
    resp
}

async fn serve(State(st): State<Shared>, req: Request) -> Response {
    if st.loopback {
        if !loopback_host(req.headers()) {
            return refuse(
                StatusCode::FORBIDDEN,
                "This emulator listens on loopback only; open the console as \
                 http://127.0.0.1:PORT/_console/ or http://localhost:PORT/_console/.",
            );
        }
    } else {
        let by_header = crate::admin::token_ok(req.headers(), &st.admin_token);
        let by_cookie = cookie_token(req.headers())
            .is_some_and(|t| crate::admin::same_token(&t, &st.admin_token));
        if !by_header && !by_cookie {
            return match query_token(&req) {
                Some(t) if crate::admin::same_token(t.trim(), &st.admin_token) => {
                    // Trade the token in the address for a cookie, then drop it from the URL.
                    let mut resp = (StatusCode::SEE_OTHER, "").into_response();
                    let h = resp.headers_mut();
                    h.insert(header::LOCATION, HeaderValue::from_static("/_console/"));
                    if let Ok(v) = HeaderValue::from_str(&format!(
                        "{COOKIE}={}; Path={PREFIX}; HttpOnly; SameSite=Strict",
                        st.admin_token
                    )) {
                        h.insert(header::SET_COOKIE, v);
                    }
                    harden(resp, "text/plain; charset=utf-8")
                }
                Some(_) => refuse(StatusCode::UNAUTHORIZED, "That is not the admin token."),
                None => refuse(
                    StatusCode::UNAUTHORIZED,
                    "This emulator listens beyond loopback: the console needs the admin token \
                     (printed by necid serve and written to its ready file as adminToken).",
                ),
            };
        }
    }
    let path = req.uri().path();
    let file = path
        .strip_prefix(PREFIX)
        .unwrap_or("")
        .trim_start_matches('/');
    match file {
        "" | "index.html" => {
            let page = INDEX.replace("{{ADMIN_TOKEN}}", &html_escape(&st.admin_token));
            harden(page.into_response(), "text/html; charset=utf-8")
        }
        "console.js" => harden(SCRIPT.into_response(), "text/javascript; charset=utf-8"),
        "console.css" => harden(STYLE.into_response(), "text/css; charset=utf-8"),
        _ => harden(
            (StatusCode::NOT_FOUND, "No such console file.").into_response(),
            "text/plain; charset=utf-8",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_host(h: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::HOST, HeaderValue::from_str(h).unwrap());
        m
    }

    #[test]
    fn only_loopback_host_names_pass() {
        for ok in [
            "127.0.0.1:8700",
            "localhost:1",
            "[::1]:9",
            "LOCALHOST",
            "app.localhost:3",
            "127.1.2.3",
        ] {
            assert!(loopback_host(&with_host(ok)), "{ok}");
        }
        for bad in [
            "evil.example:8700",
            "10.0.0.1:8700",
            "[2001:db8::1]:80",
            "localhost.evil.com",
            "",
        ] {
            assert!(!loopback_host(&with_host(bad)), "{bad}");
        }
        assert!(!loopback_host(&HeaderMap::new()));
    }

    #[test]
    fn tokens_are_escaped_in_the_page() {
        assert_eq!(html_escape("a\"<b>&'"), "a&quot;&lt;b&gt;&amp;&#39;");
    }
}
