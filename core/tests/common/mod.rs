//! Test support: a scripted HTTP/1.1 fault-injection server on a real loopback socket.
//!
//! This is deliberately a mock: the behaviours under test (dropped connections, truncated
//! bodies, 5xx/429 sequences, skewed `Date` headers, malformed JSON) cannot be produced on
//! demand by the real emulator. Each accepted request consumes the next scripted
//! [`Action`]; every request is recorded (method, target, headers, body) and can be
//! signature-checked with the independent verifier in `sigv4.rs`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod sigv4;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const AKID: &str = "AKIDTESTFAULTSERVER1";
pub const SECRET: &str = "fault-server-secret-key-0123456789";
pub const API_KEY: &str = "fault-server-api-key-abcdef";

#[derive(Debug, Clone)]
pub enum Action {
    /// A complete response.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Read the request, then close the connection without answering.
    Close,
    /// Send the head with `content-length: declared` and only `sent` bytes, then close.
    Truncate {
        status: u16,
        declared: usize,
        sent: Vec<u8>,
    },
    /// Read the request and never answer (until the client gives up).
    Hang,
}

pub fn json(status: u16, body: &str) -> Action {
    Action::Respond {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    }
}

pub fn json_with(status: u16, body: &str, headers: &[(&str, &str)]) -> Action {
    let mut h = vec![("content-type".to_owned(), "application/json".to_owned())];
    h.extend(
        headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Action::Respond {
        status,
        headers: h,
        body: body.as_bytes().to_vec(),
    }
}

pub fn empty(status: u16) -> Action {
    Action::Respond {
        status,
        headers: vec![],
        body: vec![],
    }
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
    /// Check the SigV4 signature with the independent verifier.
    pub fn verify(&self) -> sigv4::Authorization {
        sigv4::verify(
            &self.method,
            &self.target,
            &self.headers,
            &self.body,
            SECRET,
        )
    }
}

pub struct FaultServer {
    pub addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    actions: Arc<Mutex<VecDeque<Action>>>,
    hung_closed: Arc<std::sync::atomic::AtomicUsize>,
}

impl FaultServer {
    pub async fn start(actions: Vec<Action>) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let actions = Arc::new(Mutex::new(VecDeque::from(actions)));
        let hung_closed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (r, a, h) = (requests.clone(), actions.clone(), hung_closed.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(serve(stream, r.clone(), a.clone(), h.clone()));
            }
        });
        FaultServer {
            addr,
            requests,
            actions,
            hung_closed,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn push(&self, action: Action) {
        self.actions.lock().unwrap().push_back(action);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// Connections held by [`Action::Hang`] that the client has since closed.
    pub fn hung_closed(&self) -> usize {
        self.hung_closed.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn remaining_actions(&self) -> usize {
        self.actions.lock().unwrap().len()
    }
}

async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Recorded> {
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?;
    let mut parts = request_line.split(' ');
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buf.len() < body_start + len {
        let mut chunk = vec![0u8; 65536];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[body_start..body_start + len].to_vec();
    buf.drain(..body_start + len);
    Some(Recorded {
        method,
        target,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

async fn serve(
    mut stream: TcpStream,
    requests: Arc<Mutex<Vec<Recorded>>>,
    actions: Arc<Mutex<VecDeque<Action>>>,
    hung_closed: Arc<std::sync::atomic::AtomicUsize>,
) {
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_request(&mut stream, &mut buf).await else {
            return;
        };
        requests.lock().unwrap().push(req);
        let action = actions.lock().unwrap().pop_front().unwrap_or_else(|| {
            json(
                599,
                r#"{"message":"fault server: no scripted action left"}"#,
            )
        });
        match action {
            Action::Respond {
                status,
                headers,
                body,
            } => {
                let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
                for (k, v) in &headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
                let mut bytes = out.into_bytes();
                bytes.extend_from_slice(&body);
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Action::Close => return,
            Action::Truncate {
                status,
                declared,
                sent,
            } => {
                let mut bytes = format!(
                    "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\n\r\n",
                    reason(status)
                )
                .into_bytes();
                bytes.extend_from_slice(&sent);
                let _ = stream.write_all(&bytes).await;
                let _ = stream.flush().await;
                return;
            }
            Action::Hang => {
                // Hold the connection until the client closes it.
                let mut sink = [0u8; 1024];
                while let Ok(n) = stream.read(&mut sink).await {
                    if n == 0 {
                        break;
                    }
                }
                hung_closed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                return;
            }
        }
    }
}

/// A tiny valid-looking JPEG (magic bytes are all the SDK checks).
pub fn jpeg() -> Vec<u8> {
    let mut v = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    v.extend((0u8..=255).cycle().take(1000));
    v.extend([0xFF, 0xD9]);
    v
}

/// A client for `server` with test credentials, the API key and fast retries.
pub fn client(server: &FaultServer, policy: necid::RetryPolicy) -> necid::Client {
    client_with(server, policy, |b| b)
}

pub fn client_with(
    server: &FaultServer,
    policy: necid::RetryPolicy,
    f: impl FnOnce(necid::ConfigBuilder) -> necid::ConfigBuilder,
) -> necid::Client {
    let b = necid::Config::builder()
        .endpoint(server.endpoint())
        .tenant_endpoint(server.endpoint())
        .access_key_id(AKID)
        .secret_access_key(SECRET)
        .api_key(API_KEY)
        .retry_policy(policy);
    necid::Client::new(f(b).build().unwrap()).unwrap()
}

/// Retries with near-zero delays so tests never wait on backoff.
pub fn fast_retries(attempts: u32) -> necid::RetryPolicy {
    necid::RetryPolicy::default()
        .with_max_attempts(attempts)
        .with_delays(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(5),
        )
        .with_max_retry_after(std::time::Duration::from_millis(20))
}
