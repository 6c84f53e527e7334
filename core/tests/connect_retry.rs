//! A POST is retried when the connection could not even be established (provably never
//! sent). Nothing listens on the port, so attempts are counted from the SDK's own tracing
//! events ("retrying after transport failure"). Its own test binary because it installs a
//! global subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use necid::ErrorKind;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn post_retried_on_connect_failure() {
    let capture = Capture::default();
    let c2 = capture.clone();
    tracing_subscriber::fmt()
        .with_env_filter("necid=info")
        .with_writer(move || c2.clone())
        .with_ansi(false)
        .init();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = necid::Client::new(
        necid::Config::builder()
            .endpoint(format!("http://127.0.0.1:{port}"))
            .access_key_id(AKID)
            .secret_access_key(SECRET)
            .retry_policy(fast_retries(3))
            .build()
            .unwrap(),
    )
    .unwrap();
    let e = c.register_subject(jpeg(), &[]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    let text = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text.matches("retrying after transport failure").count(),
        2,
        "3 attempts = 2 retries:\n{text}"
    );
    assert!(text.contains("failure=Connect"), "{text}");
}
