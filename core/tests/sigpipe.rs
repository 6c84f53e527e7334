//! A server that drops connections must not kill a host that keeps SIGPIPE's default
//! action (C, C++, Swift programs do; Rust's test harness ignores it, so the check runs in
//! a child process that restores the default). Fault injection: a raw TCP listener that
//! resets each connection after reading the first bytes of a large upload.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use necid::{ErrorKind, SearchRequest};

const CHILD: &str = "NECID_SIGPIPE_CHILD";

/// Accepts connections forever; reads a little of each request, then closes it with
/// unread data pending (the kernel answers the client's further writes with a reset).
fn resetting_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            std::thread::sleep(Duration::from_millis(5));
            drop(stream);
        }
    });
    port
}

/// A 4 MB "JPEG" (the SDK checks the magic bytes): a body far larger than the socket
/// buffers, so the client is still writing when the server closes.
fn big_image() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.resize(4 << 20, 0x55);
    v
}

#[test]
fn dropped_uploads_do_not_raise_sigpipe_in_the_host() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([
            "--exact",
            "dropped_uploads_do_not_raise_sigpipe_in_the_host",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        None,
        "the host process was killed by signal {:?} (13 is SIGPIPE)\n{stdout}\n{stderr}",
        out.status.signal()
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("child: 10 uploads failed with Network"),
        "{stdout}\n{stderr}"
    );
}

fn child() {
    // What a C host has: SIGPIPE's default action (terminate).
    // SAFETY: resets one signal's disposition in this single-purpose child process.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let port = resetting_server();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = necid::Client::new(
        necid::Config::builder()
            .endpoint(format!("http://127.0.0.1:{port}"))
            .access_key_id("AKIDEXAMPLE")
            .secret_access_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
            .api_key("test-api-key")
            .retry_policy(necid::RetryPolicy::default().with_max_attempts(1))
            .build()
            .unwrap(),
    )
    .unwrap();
    let image = big_image();
    let mut failed = 0;
    for _ in 0..10 {
        let e = rt
            .block_on(client.search(SearchRequest::new(image.clone())))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Network, "{e}");
        failed += 1;
    }
    println!("child: {failed} uploads failed with Network");
}
