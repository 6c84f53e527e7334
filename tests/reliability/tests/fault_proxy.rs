//! Fault injection in front of the REAL emulator, for what only a proxy can do: a raw-TCP
//! proxy (a mock on purpose) forwards requests to an in-process emulator and replaces the
//! answer's content type or body. Asserts:
//! - a 200 whose body is not the JSON expected is a typed `Decode` error, never retried —
//!   and a POST answered so is not resent (the emulator holds exactly one subject per
//!   register request that reached it);
//! - the core parses by content, not by label (JSON under `text/plain` is read).
//!
//! Every other fault (429/5xx with Retry-After, Timeout 1003, resets, truncated bodies,
//! stalls) is now one of the emulator's own fault rules: `fault_rules.rs`.
//! (core/tests/faults.rs covers the core's rules against a scripted server with no emulator
//! behind it.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use necid::{Client, Config, ErrorKind, RetryPolicy, SortDirection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const FACES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../cli/assets/faces");

#[derive(Debug, Clone, PartialEq)]
enum Fault {
    /// Forward to the emulator and relay its answer.
    Forward,
    /// Answer 200 with this content type and body without forwarding.
    Body(&'static str, &'static str),
    /// Forward and relay the answer with its content type replaced.
    ContentType(&'static str),
}

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    #[allow(dead_code)] // shown in assertion messages ({:?})
    fault: Fault,
    forwarded: bool,
}

#[derive(Default)]
struct Script {
    faults: VecDeque<Fault>,
    seen: Vec<Seen>,
}

struct Proxy {
    addr: SocketAddr,
    script: Arc<Mutex<Script>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let script = Arc::new(Mutex::new(Script::default()));
        let s = script.clone();
        tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = handle(conn, upstream, s).await;
                });
            }
        });
        Proxy { addr, script }
    }

    fn push(&self, faults: impl IntoIterator<Item = Fault>) {
        self.script.lock().unwrap().faults.extend(faults);
    }

    fn seen(&self) -> Vec<Seen> {
        self.script.lock().unwrap().seen.clone()
    }
}

/// Reads one request (head + content-length body).
async fn read_request(conn: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(Some(buf))
}

/// Adds `connection: close` after the first line of an HTTP message.
fn with_close(msg: &[u8]) -> Vec<u8> {
    let i = msg.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    let mut out = msg[..i].to_vec();
    out.extend_from_slice(b"connection: close\r\n");
    out.extend_from_slice(&msg[i..]);
    out
}

/// Forwards a request to the emulator on a fresh connection and reads the whole answer.
async fn forward(upstream: SocketAddr, req: &[u8]) -> Vec<u8> {
    let mut up = TcpStream::connect(upstream).await.unwrap();
    up.write_all(&with_close(req)).await.unwrap();
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).await.unwrap();
    resp
}

/// Resets (RST) instead of closing cleanly. A zero linger never blocks on drop (the
/// deprecation is about non-zero values).
#[allow(deprecated)]
async fn handle(
    mut conn: TcpStream,
    upstream: SocketAddr,
    script: Arc<Mutex<Script>>,
) -> std::io::Result<()> {
    let Some(req) = read_request(&mut conn).await? else {
        return Ok(());
    };
    let line =
        String::from_utf8_lossy(&req[..req.iter().position(|b| *b == b'\r').unwrap()]).to_string();
    let mut parts = line.split(' ');
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("").to_owned();
    let fault = script
        .lock()
        .unwrap()
        .faults
        .pop_front()
        .unwrap_or(Fault::Forward);
    let forwarded = matches!(fault, Fault::Forward | Fault::ContentType(_));
    script.lock().unwrap().seen.push(Seen {
        method,
        path,
        fault: fault.clone(),
        forwarded,
    });
    let resp = if forwarded {
        forward(upstream, &req).await
    } else {
        Vec::new()
    };
    match fault {
        Fault::Forward => conn.write_all(&with_close(&resp)).await?,
        Fault::Body(ct, body) => {
            let msg = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {ct}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            conn.write_all(msg.as_bytes()).await?;
        }
        Fault::ContentType(ct) => {
            let text = String::from_utf8_lossy(&resp).to_string();
            let replaced: Vec<String> = text
                .split("\r\n")
                .map(|l| {
                    if l.to_ascii_lowercase().starts_with("content-type:") {
                        format!("content-type: {ct}")
                    } else {
                        l.to_owned()
                    }
                })
                .collect();
            conn.write_all(&with_close(replaced.join("\r\n").as_bytes()))
                .await?;
        }
    }
    Ok(())
}

struct Setup {
    server: necid_server::RunningServer,
    proxy: Proxy,
}

impl Setup {
    async fn start() -> Setup {
        let server = necid_server::start(necid_server::ServerConfig {
            engine: necid_server::EngineChoice::Deterministic,
            ..necid_server::ServerConfig::default()
        })
        .await
        .unwrap();
        let proxy = Proxy::start(server.addr()).await;
        Setup { server, proxy }
    }

    fn config(&self, endpoint: String) -> necid::ConfigBuilder {
        let c = self.server.credentials().clone();
        Config::builder()
            .endpoint(endpoint.clone())
            .tenant_endpoint(endpoint)
            .access_key_id(c.access_key_id)
            .secret_access_key(c.secret_access_key)
            .api_key(c.api_key)
    }

    /// A client through the proxy: 4 attempts, short backoff, 1 s per-attempt timeout.
    fn via_proxy(&self) -> Client {
        let cfg = self
            .config(format!("http://{}", self.proxy.addr))
            .retry_policy(
                RetryPolicy::default()
                    .with_max_attempts(4)
                    .with_delays(Duration::from_millis(10), Duration::from_millis(50))
                    .with_max_retry_after(Duration::from_secs(2)),
            )
            .request_timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        Client::new(cfg).unwrap()
    }

    /// A client straight to the emulator (to count what it holds).
    fn direct(&self) -> Client {
        Client::new(self.config(self.server.endpoint()).build().unwrap()).unwrap()
    }

    async fn subject_rows(&self) -> usize {
        let page = self
            .direct()
            .list_subjects(0, 1000, SortDirection::Asc)
            .await
            .unwrap();
        page.subjects.len()
    }
}

fn face(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FACES}/{name}")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_register_that_may_have_been_processed_is_never_resent() {
    let s = Setup::start().await;
    let c = s.via_proxy();
    let image = face("obama.jpg");
    // (fault, expected kind; None = success after retries)
    let cases: Vec<(Vec<Fault>, Option<ErrorKind>)> = vec![
        (vec![], None),
        // Answered without reaching the emulator: a body that is not the JSON expected.
        (
            vec![Fault::Body("text/html", "<html>oops</html>")],
            Some(ErrorKind::Decode),
        ),
        // The core parses by content, not by label: JSON under a wrong type is read.
        (vec![Fault::ContentType("text/plain")], None),
    ];
    let mut reported_ids = Vec::new();
    for (faults, want) in &cases {
        let before = s.proxy.seen().len();
        s.proxy.push(faults.clone());
        let result = c.register_subject(image.clone(), &[]).await;
        let seen = s.proxy.seen()[before..].to_vec();
        match (result, want) {
            (Ok(r), None) => reported_ids.push(r.subject_id),
            (Err(e), Some(kind)) => {
                assert_eq!(e.kind(), *kind, "{faults:?}: {e}");
                // Surfaced after exactly one attempt: never resent.
                assert_eq!(seen.len(), 1, "{faults:?} was resent: {seen:?}");
            }
            (r, _) => panic!("{faults:?}: expected {want:?}, got {r:?}"),
        }
        assert!(
            seen.iter()
                .all(|r| r.method == "POST" && r.path == "/v1.1/subjects")
        );
    }
    let forwarded = s.proxy.seen().iter().filter(|r| r.forwarded).count();
    // Each register request that reached the emulator made exactly one subject (one row):
    // the successes plus the ambiguous failures that were processed — no duplicates.
    assert_eq!(s.subject_rows().await, forwarded);
    let successes = cases.iter().filter(|(_, w)| w.is_none()).count();
    assert_eq!(reported_ids.len(), successes);
    let rows = s
        .direct()
        .list_subjects(0, 1000, SortDirection::Asc)
        .await
        .unwrap();
    for id in &reported_ids {
        assert_eq!(
            rows.subjects.iter().filter(|r| &r.subject_id == id).count(),
            1,
            "subject {id} reported as registered is not held exactly once"
        );
    }
    s.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_200_is_a_typed_error_and_not_retried() {
    let s = Setup::start().await;
    let c = s.via_proxy();
    let cases: Vec<(Fault, ErrorKind, Option<u16>)> = vec![(
        Fault::Body("application/json", "[1,"),
        ErrorKind::Decode,
        Some(200),
    )];
    for (fault, kind, status) in cases {
        let before = s.proxy.seen().len();
        s.proxy.push(std::iter::repeat_n(fault.clone(), 4));
        let e = c.list_tags().await.unwrap_err();
        assert_eq!(e.kind(), kind, "{fault:?}: {e}");
        assert_eq!(e.status(), status, "{fault:?}: {e}");
        let attempts = s.proxy.seen().len() - before;
        // A 200 with an unreadable body is not retried; transient faults use all 4.
        let want = if kind == ErrorKind::Decode { 1 } else { 4 };
        assert_eq!(attempts, want, "{fault:?}");
        // Leftover scripted faults must not leak into the next case.
        s.proxy.script.lock().unwrap().faults.clear();
    }
    s.server.shutdown().await;
}
