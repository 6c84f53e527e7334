//! A tiny forward proxy for the SDK's proxy setting, in process ([`ForwardProxy`]) or as
//! the `necid-test-proxy` program (for the binding suites).
//!
//! It serves what an HTTP client sends to a proxy: `CONNECT host:port` (a tunnel, for
//! `https://`) and absolute-form requests (`GET http://host:port/path`, for `http://`),
//! forwarding the bytes both ways. It records the first request line of every connection
//! it accepts (one line per connection: requests reusing a kept-alive connection are not
//! seen again), and with a required password it answers 407 to requests without the
//! matching `Proxy-Authorization`.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Largest request head read before giving up on a connection.
const MAX_HEAD: usize = 64 * 1024;

/// What the proxy saw: the first request line of each connection, in order.
pub type Seen = Arc<Mutex<Vec<String>>>;

/// A running proxy on 127.0.0.1; stops when dropped.
pub struct ForwardProxy {
    url: String,
    seen: Seen,
    task: tokio::task::JoinHandle<()>,
}

impl ForwardProxy {
    /// A proxy on a free loopback port. `basic_auth`: the `user:password` every request
    /// must carry (`Proxy-Authorization: Basic …`), or `None`.
    pub async fn start(basic_auth: Option<&str>) -> std::io::Result<ForwardProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let seen = Seen::default();
        let expected = basic_auth.map(basic_auth_value);
        let task = tokio::spawn(serve(listener, seen.clone(), expected, None));
        Ok(ForwardProxy { url, seen, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The first request line of every connection so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for ForwardProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Accept connections until the task is aborted. Each connection's first request line is
/// pushed to `seen` and, when `log` is given, sent there too (the program prints it).
pub async fn serve(
    listener: TcpListener,
    seen: Seen,
    expected_auth: Option<String>,
    log: Option<tokio::sync::mpsc::UnboundedSender<String>>,
) {
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            continue;
        };
        let (seen, expected, log) = (seen.clone(), expected_auth.clone(), log.clone());
        tokio::spawn(async move {
            let _ = handle(inbound, seen, expected, log).await;
        });
    }
}

async fn handle(
    mut inbound: TcpStream,
    seen: Seen,
    expected_auth: Option<String>,
    log: Option<tokio::sync::mpsc::UnboundedSender<String>>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        let n = inbound.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if head.len() > MAX_HEAD {
            return Ok(());
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    let line = text.lines().next().unwrap_or_default().to_owned();
    if let Ok(mut s) = seen.lock() {
        s.push(line.clone());
    }
    if let Some(log) = &log {
        let _ = log.send(line.clone());
    }
    if let Some(expected) = expected_auth {
        let given = text.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("proxy-authorization")
                .then(|| value.trim().to_ascii_lowercase())
        });
        if given.as_deref() != Some(expected.to_ascii_lowercase().as_str()) {
            inbound
                .write_all(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                      Proxy-Authenticate: Basic realm=\"necid-test\"\r\n\
                      Content-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await?;
            return Ok(());
        }
    }
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method.eq_ignore_ascii_case("CONNECT") {
        let mut upstream = TcpStream::connect(target).await?;
        inbound
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        upstream.write_all(&head[end..]).await?;
        tokio::io::copy_bidirectional(&mut inbound, &mut upstream).await?;
        return Ok(());
    }
    // Absolute form: `GET http://host:port/path HTTP/1.1`. The head is passed on as it
    // came (servers must accept the absolute form), and so is everything after it.
    let Some(rest) = target.strip_prefix("http://") else {
        inbound
            .write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await?;
        return Ok(());
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    let mut upstream = TcpStream::connect(authority).await?;
    upstream.write_all(&head).await?;
    tokio::io::copy_bidirectional(&mut inbound, &mut upstream).await?;
    Ok(())
}

/// The `Proxy-Authorization` value for `user:password`.
pub fn basic_auth_value(user_password: &str) -> String {
    format!("Basic {}", base64(user_password.as_bytes()))
}

/// Standard base64 (for the expected `Proxy-Authorization`).
fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
        ] {
            assert_eq!(super::base64(i.as_bytes()), o);
        }
    }
}
