//! TLS trust roots against the emulator serving HTTPS with a CA generated at start, and
//! a panic inside a request (the `test-hooks` fault) becoming an error.

use necid::{ErrorKind, TlsRoots};
use necid_e2e::Emulator;

#[allow(clippy::expect_used)] // test helper
fn ca_pem(emu: &Emulator) -> Vec<u8> {
    emu.server
        .ca_pem()
        .expect("a TLS emulator has a CA")
        .as_bytes()
        .to_vec()
}

#[tokio::test]
async fn https_with_the_emulator_ca_as_custom_bundle() {
    let emu = Emulator::start_tls().await;
    assert!(emu.server.endpoint().starts_with("https://127.0.0.1:"));
    let client = emu.client_with(emu.config().ca_bundle_pem(ca_pem(&emu)));
    assert_eq!(client.config().tls_roots(), TlsRoots::Custom);
    assert!(client.health().await.unwrap().is_ok());
    // A signed call with a body, over TLS.
    let face = necid::Image::from(necid_e2e::faces::OBAMA.to_vec());
    let registered = client.register_subject(face, &[]).await.unwrap();
    assert!(!registered.subject_id.is_empty());
    // The same CA from a file, as `ca_bundle` / NECID_CA_BUNDLE would give it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ca.pem");
    std::fs::write(&file, ca_pem(&emu)).unwrap();
    let client = emu.client_with(emu.config().ca_bundle_file(&file));
    client.health().await.unwrap();
    emu.stop().await;
}

#[tokio::test]
async fn https_without_the_ca_is_a_clear_certificate_error() {
    let emu = Emulator::start_tls().await;
    // Default roots: the platform's (this machine's store does not hold the emulator's CA).
    let client = emu.client();
    assert_eq!(client.config().tls_roots(), TlsRoots::Platform);
    let e = client.health().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(
        e.message().contains("TLS certificate verification failed")
            && e.message().contains("platform")
            && e.message().contains("ca_bundle")
            && e.message().contains("UnknownIssuer"),
        "{e}"
    );
    emu.stop().await;
}

#[tokio::test]
async fn bundled_roots_reject_the_self_signed_emulator() {
    let emu = Emulator::start_tls().await;
    let client = emu.client_with(emu.config().tls_roots(TlsRoots::Bundled));
    let e = client.health().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(
        e.message().contains("bundled Mozilla roots") && e.message().contains("UnknownIssuer"),
        "{e}"
    );
    // Bundled roots plus the emulator's CA: trusted.
    let client = emu.client_with(
        emu.config()
            .tls_roots(TlsRoots::Bundled)
            .ca_bundle_pem(ca_pem(&emu)),
    );
    client.health().await.unwrap();
    emu.stop().await;
}

#[tokio::test]
async fn certificate_errors_are_not_retried() {
    let emu = Emulator::start_tls().await;
    let client = emu.client_with(
        emu.config().tls_roots(TlsRoots::Bundled).retry_policy(
            necid::RetryPolicy::default()
                .with_max_attempts(5)
                .with_delays(
                    std::time::Duration::from_secs(2),
                    std::time::Duration::from_secs(2),
                ),
        ),
    );
    let started = std::time::Instant::now();
    client.health().await.unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "a certificate failure was retried ({:?})",
        started.elapsed()
    );
    emu.stop().await;
}

#[tokio::test]
async fn bad_ca_bundles_are_invalid_input_naming_the_setting() {
    let emu = Emulator::start_tls().await;
    let dir = tempfile::tempdir().unwrap();
    let build = |b: necid::ConfigBuilder| b.build().and_then(necid::Client::new).unwrap_err();
    let e = build(emu.config().ca_bundle_file(dir.path().join("absent.pem")));
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidInput, Some("ca_bundle")),
        "{e}"
    );
    assert!(e.message().contains("absent.pem"), "{e}");
    let e = build(emu.config().ca_bundle_pem(b"not a certificate".to_vec()));
    assert_eq!(e.field(), Some("ca_bundle"), "{e}");
    let e = build(emu.config().tls_roots(TlsRoots::Custom));
    assert_eq!(e.field(), Some("ca_bundle"), "{e}");
    emu.stop().await;
}

#[tokio::test]
async fn a_panic_inside_a_request_is_an_error_not_an_abort() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let e = client
        .unregister_subject(necid::transport::test_hooks::PANIC_MARKER)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    assert!(
        e.message().contains("deliberate panic inside a request"),
        "{e}"
    );
    // The blocking facade too.
    let blocking = necid::blocking::Client::new(emu.config().build().unwrap()).unwrap();
    let e = std::thread::spawn(move || {
        blocking.unregister_subject(necid::transport::test_hooks::PANIC_MARKER)
    })
    .join()
    .unwrap()
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    // The client still works afterwards.
    client.health().await.unwrap();
    emu.stop().await;
}

/// Child half of `no_system_store_*`: run in a fresh process with `SSL_CERT_FILE` /
/// `SSL_CERT_DIR` pointing into an empty directory (so the platform verifier, which reads
/// only those when set, finds no CA at all). Ignored unless the parent runs it.
#[test]
#[ignore = "run by no_system_store_http_works_https_explains (subprocess with its own env)"]
fn child_no_system_store() {
    let http = std::env::var("CHILD_HTTP_ENDPOINT").expect("run by the parent test");
    let https = std::env::var("CHILD_HTTPS_ENDPOINT").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let build = |endpoint: &str, roots: Option<TlsRoots>| {
        let mut b = necid::Config::builder()
            .endpoint(endpoint)
            .tenant_endpoint(endpoint)
            .retry_policy(necid::RetryPolicy::none());
        if let Some(r) = roots {
            b = b.tls_roots(r);
        }
        necid::Client::new(b.build().unwrap())
    };
    // http:// needs no trust store: the client builds and the call succeeds.
    let client = build(&http, None).expect("an http client builds without a trust store");
    rt.block_on(client.health())
        .expect("http works without a trust store");
    // https:// with the default (platform) roots: a clear error naming cause and fixes,
    // before anything is sent.
    let client = build(&https, None).expect("the client still builds");
    let e = rt.block_on(client.health()).unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidInput, Some("tls_roots")),
        "{e}"
    );
    for needle in [
        "no CA certificates found in the system store",
        "SSL_CERT_FILE=",
        "ca-certificates",
        "tls_roots = bundled",
        "CA bundle",
    ] {
        assert!(e.message().contains(needle), "{needle:?} missing from: {e}");
    }
    // Bundled roots build and are used (they reject the private emulator CA).
    let client = build(&https, Some(TlsRoots::Bundled)).expect("bundled builds");
    let e = rt.block_on(client.health()).unwrap_err();
    assert!(e.message().contains("bundled Mozilla roots"), "{e}");
    println!("CHILD_OK");
}

#[tokio::test]
async fn no_system_store_http_works_https_explains() {
    let http = Emulator::start().await;
    let https = Emulator::start_tls().await;
    let empty = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_no_system_store",
            "--nocapture",
        ])
        .env("SSL_CERT_FILE", empty.path().join("none.pem"))
        .env("SSL_CERT_DIR", empty.path())
        .env("CHILD_HTTP_ENDPOINT", http.server.endpoint())
        .env("CHILD_HTTPS_ENDPOINT", https.server.endpoint())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("CHILD_OK"), "{text}");
    http.stop().await;
    https.stop().await;
}
