//! Secrets never reach logs: capture every tracing event at TRACE level (the SDK's spans
//! and the aws-sigv4 crate's own trace output) while exercising signing, retries and
//! errors, then search the captured text for the secret key, session token and API key.
//! Its own test binary because it installs a global subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;

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
async fn no_secret_in_trace_output() {
    let capture = Capture::default();
    let c2 = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || c2.clone())
        .with_ansi(false)
        .init();

    const TOKEN: &str = "session-token-for-log-test-42";
    let server = FaultServer::start(vec![
        json(500, r#"{"message":"boom"}"#),
        json_with(200, "[]", &[("x-amzn-requestid", "log-req-1")]),
        json(
            400,
            r#"{"message":"bad","errorCode":1001,"errorType":"InvalidRequest"}"#,
        ),
    ])
    .await;
    let c = client_with(&server, fast_retries(3), |b| b.session_token(TOKEN));
    c.list_tags().await.unwrap();
    c.register_subject(jpeg(), &["t".to_owned()])
        .await
        .unwrap_err();
    c.sign_request("GET", "https://api.id.nec.com.au/v1.1/tags", &[], b"")
        .unwrap();

    let text = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    // The capture saw the SDK's request spans and retries…
    assert!(text.contains("necid.request"), "{text}");
    assert!(text.contains("retrying"), "{text}");
    assert!(text.contains("log-req-1"), "request id recorded: {text}");
    // …and hyper/reqwest internals at TRACE (so the capture is not filtering)…
    assert!(
        text.contains("hyper_util") || text.contains("reqwest"),
        "{text}"
    );
    // …while aws-sigv4's trace output (which prints signed header values) is muted…
    assert!(!text.contains("aws_sigv4::"), "{text}");
    // …but never a secret.
    for secret in [SECRET, API_KEY, TOKEN] {
        assert!(
            !text.contains(secret),
            "secret {secret:?} leaked into logs:\n{text}"
        );
    }
}
