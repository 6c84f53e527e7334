//! `necid-bench null-server`: a loopback HTTP/1.1 responder for client benchmarks.
//!
//! It answers the API's routes with canned JSON of the real response shapes (taken from
//! the emulator's answers), keeps connections alive, and checks nothing: no signature,
//! no API key, no JSON parsing of the request. One thread (a current-thread tokio runtime,
//! epoll), so `taskset -c N` pins the whole server to one core and the other core is the
//! client's: req/s and latency then measure the client, not the emulator.
//!
//! Per request it does what any server must: read the head, find `content-length`, read
//! the body, write a response. Nothing is allocated per request beyond the read buffer's
//! growth; answers are pre-rendered.

use std::io::Write as _;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::{BenchResult, Opts};

/// The answers, pre-rendered as whole HTTP responses.
struct Canned {
    extract: Vec<u8>,
    search: Vec<u8>,
    verify: Vec<u8>,
    register: Vec<u8>,
    list: Vec<u8>,
    health: Vec<u8>,
    not_found: Vec<u8>,
}

fn attributes() -> Value {
    // What the emulator's deterministic engine answers for the bench's 24x24 probe.
    json!({
        "faceArea": {"left": "2", "top": "2", "right": "21", "bottom": "21"},
        "headArea": {"left": "0", "top": "0", "right": "24", "bottom": "24"},
        "rightEyeCenter": {"x": "8", "y": "9"},
        "leftEyeCenter": {"x": "15", "y": "9"},
        "frontalFaceScore": "0.98",
        "faceRoll": "0.3",
        "facePan": "-1.2",
        "faceTilt": "2.1",
        "faceScore": "0.97",
        "faceQualityScore": "0.8",
    })
}

fn response(status: &str, body: &Value) -> Vec<u8> {
    let body = body.to_string();
    let mut out = Vec::new();
    // (Writing to a Vec cannot fail.)
    let _ = write!(
        out,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         x-amzn-requestid: 00000000-0000-4000-8000-000000000000\r\n\r\n{body}",
        body.len()
    );
    out
}

impl Canned {
    fn new() -> Canned {
        let subject = "6f1c2a7e-1b7d-4d0e-9a63-5b8f0c2d4e11";
        let event = "0b7e5c1a-3f2d-4c8b-8e9a-1d2c3b4a5f60";
        Canned {
            extract: response("200 OK", &json!({"faces": [{"attributes": attributes()}]})),
            search: response(
                "200 OK",
                &json!({
                    "candidates": [{"id": subject, "score": 9120, "events": [{"id": event, "score": 9120}]}],
                    "attributes": attributes(),
                }),
            ),
            verify: response("200 OK", &json!({"id": subject, "score": 9120})),
            register: response(
                "201 Created",
                &json!({"id": subject, "eventId": event, "attributes": attributes()}),
            ),
            list: response(
                "200 OK",
                &json!({
                    "subjects": [{"id": subject, "eventId": event, "status": "A",
                                  "lastUpdated": "2026-12-06T21:00:00.000+00:00"}],
                    "total": 1,
                }),
            ),
            health: response(
                "200 OK",
                &json!({"status": "OK", "engine": "null server", "faceMatcher": false}),
            ),
            not_found: response(
                "404 Not Found",
                &json!({"errorCode": 2001, "errorType": "NotFound", "errorMessage": "No such route on the null server."}),
            ),
        }
    }

    fn answer(&self, method: &[u8], path: &[u8]) -> &[u8] {
        let path = path.split(|&b| b == b'?').next().unwrap_or_default();
        match (method, path) {
            (b"POST", b"/v1.1/face/extract") => &self.extract,
            (b"POST", b"/v1.1/face/search") => &self.search,
            (b"POST", b"/v1.1/face/verify") => &self.verify,
            (b"POST", b"/v1.1/subjects") => &self.register,
            (b"GET", b"/v1.1/subjects") => &self.list,
            (b"GET", b"/v1.1/health") => &self.health,
            _ => &self.not_found,
        }
    }
}

/// Index of the end of the head (`\r\n\r\n`, exclusive of the body) in `buf`.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Method, path, content length and whether the client asked to close, from a head.
fn parse_head(head: &[u8]) -> Option<(&[u8], &[u8], usize, bool)> {
    let mut lines = head.split(|&b| b == b'\n');
    let first = lines.next()?;
    let mut parts = first.split(|&b| b == b' ');
    let method = parts.next()?;
    let path = parts.next()?;
    let mut len = 0usize;
    let mut close = false;
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = line.split_at(colon);
        let value = value.get(1..).unwrap_or_default().trim_ascii();
        if name.eq_ignore_ascii_case(b"content-length") {
            len = std::str::from_utf8(value).ok()?.parse().ok()?;
        } else if name.eq_ignore_ascii_case(b"connection") && value.eq_ignore_ascii_case(b"close") {
            close = true;
        }
    }
    Some((method, path, len, close))
}

async fn serve_conn(mut sock: tokio::net::TcpStream, canned: &Canned) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    loop {
        // Answer every complete request in the buffer (pipelined ones in one write).
        let mut consumed = 0;
        let mut close = false;
        while let Some(end) = head_end(buf.get(consumed..).unwrap_or_default()) {
            let head = buf.get(consumed..consumed + end).unwrap_or_default();
            let Some((method, path, len, c)) = parse_head(head) else {
                out.extend_from_slice(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
                close = true;
                break;
            };
            if buf.len() < consumed + end + len {
                break; // the body is still coming
            }
            out.extend_from_slice(canned.answer(method, path));
            consumed += end + len;
            close |= c;
        }
        if !out.is_empty() {
            sock.write_all(&out).await?;
            out.clear();
        }
        if close {
            return Ok(());
        }
        buf.drain(..consumed);
        if buf.capacity() - buf.len() < 8192 {
            buf.reserve(64 * 1024);
        }
        let n = sock.read_buf(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
    }
}

/// Runs the null server until killed. Writes a ready file shaped like the emulator's
/// (`endpoint`, `region`, `accessKeyId`, `secretAccessKey`, `apiKey`), so every bench
/// client can be pointed at either.
pub fn null_server(opts: &Opts) -> BenchResult<Value> {
    let port = opts.f64_or("port", 0.0)? as u16;
    let ready = opts.str("ready-file")?.to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| format!("bind: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let info = json!({
            "endpoint": format!("http://{addr}"),
            "region": crate::REGION,
            "accessKeyId": crate::AKID,
            "secretAccessKey": crate::SECRET,
            "apiKey": crate::API_KEY,
            "server": "null",
        });
        let tmp = format!("{ready}.tmp");
        std::fs::write(&tmp, info.to_string()).map_err(|e| format!("{tmp}: {e}"))?;
        std::fs::rename(&tmp, &ready).map_err(|e| format!("{ready}: {e}"))?;
        let canned: &'static Canned = Box::leak(Box::new(Canned::new()));
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async move {
                loop {
                    let (sock, _) = match listener.accept().await {
                        Ok(s) => s,
                        Err(_) => continue,
                    };
                    tokio::task::spawn_local(async move {
                        let _ = serve_conn(sock, canned).await;
                    });
                }
            })
            .await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_heads_and_routes() {
        let head = b"POST /v1.1/face/extract HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n";
        let end = head_end(head).unwrap_or(0);
        assert_eq!(end, head.len());
        let (m, p, len, close) = parse_head(head).unwrap_or((b"", b"", 0, true));
        assert_eq!(
            (m, p, len, close),
            (&b"POST"[..], &b"/v1.1/face/extract"[..], 12, false)
        );
        let c = Canned::new();
        assert!(
            c.answer(b"GET", b"/v1.1/subjects?start=0")
                .starts_with(b"HTTP/1.1 200")
        );
        assert!(
            c.answer(b"POST", b"/v1.1/subjects")
                .starts_with(b"HTTP/1.1 201")
        );
        assert!(c.answer(b"GET", b"/nope").starts_with(b"HTTP/1.1 404"));
    }
}
