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

/// The emulator's CA, and a client certificate + key it accepts, as files.
#[allow(clippy::expect_used)] // test helper
fn mtls_files(emu: &Emulator, dir: &std::path::Path) -> [std::path::PathBuf; 3] {
    let (cert, key) = emu.client_identity();
    let files = [
        dir.join("ca.pem"),
        dir.join("client.pem"),
        dir.join("key.pem"),
    ];
    for (path, bytes) in files.iter().zip([ca_pem(emu), cert, key]) {
        std::fs::write(path, bytes).expect("writing a test file");
    }
    files
}

#[tokio::test]
async fn mtls_calls_succeed_with_the_client_certificate() {
    let emu = Emulator::start_mtls().await;
    let dir = tempfile::tempdir().unwrap();
    let [ca, cert, key] = mtls_files(&emu, dir.path());
    // Files, as `client_cert` / `client_key` (NECID_CLIENT_CERT / NECID_CLIENT_KEY) give.
    let client = emu.client_with(
        emu.config()
            .ca_bundle_file(&ca)
            .client_cert_file(&cert)
            .client_key_file(&key),
    );
    client.health().await.unwrap();
    let face = necid::Image::from(necid_e2e::faces::OBAMA.to_vec());
    let registered = client.register_subject(face, &[]).await.unwrap();
    assert!(!registered.subject_id.is_empty());
    // PEM bytes (`client_cert_pem` / `client_key_pem`), through the one `set` entry point.
    let (cert_pem, key_pem) = emu.client_identity();
    let b = emu
        .config()
        .ca_bundle_file(&ca)
        .set("client_cert_pem", cert_pem)
        .and_then(|b| b.set("client_key_pem", String::from_utf8(key_pem).unwrap()))
        .unwrap();
    emu.client_with(b).health().await.unwrap();
    // One PEM file holding both the certificate and the key, named by both settings.
    let both = dir.path().join("both.pem");
    let mut text = std::fs::read(&cert).unwrap();
    text.extend(std::fs::read(&key).unwrap());
    std::fs::write(&both, text).unwrap();
    let b = emu
        .config()
        .ca_bundle_file(&ca)
        .set("client_cert", both.display().to_string())
        .and_then(|b| b.set("client_key", both.display().to_string()))
        .unwrap();
    emu.client_with(b).health().await.unwrap();
    // The environment spelling.
    let env = |k: &str| match k {
        "NECID_ENDPOINT" => Some(emu.server.endpoint()),
        "NECID_CA_BUNDLE" => Some(ca.display().to_string()),
        "NECID_CLIENT_CERT" => Some(cert.display().to_string()),
        "NECID_CLIENT_KEY" => Some(key.display().to_string()),
        "NECID_CONFIG_FILE" => Some(dir.path().join("absent.toml").display().to_string()),
        _ => None,
    };
    let client = emu.client_with(necid::ConfigBuilder::from_lookup(env).unwrap());
    client.health().await.unwrap();
    emu.stop().await;
}

#[tokio::test]
async fn mtls_without_a_client_certificate_is_refused_at_the_handshake() {
    let emu = Emulator::start_mtls().await;
    let client = emu.client_with(
        emu.config().ca_bundle_pem(ca_pem(&emu)).retry_policy(
            necid::RetryPolicy::default()
                .with_max_attempts(5)
                .with_delays(
                    std::time::Duration::from_secs(2),
                    std::time::Duration::from_secs(2),
                ),
        ),
    );
    let started = std::time::Instant::now();
    let e = client.health().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(
        e.message().contains("requires a client certificate")
            && e.message().contains("client_cert"),
        "{e}"
    );
    // The verdict cannot change: not retried.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "a refused handshake was retried ({:?})",
        started.elapsed()
    );
    let face = necid::Image::from(necid_e2e::faces::OBAMA.to_vec());
    let e = client.register_subject(face, &[]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    emu.stop().await;
}

#[tokio::test]
async fn mtls_with_a_certificate_from_another_ca_is_refused() {
    let emu = Emulator::start_mtls().await;
    // A certificate and key made by another CA (another emulator identity's).
    let other = necid_server::TlsIdentity::generate_with_client_auth(&[], &[]).unwrap();
    let client = emu.client_with(
        emu.config()
            .ca_bundle_pem(ca_pem(&emu))
            .client_cert_pem(other.client_cert_pem().unwrap().as_bytes().to_vec())
            .client_key_pem(other.client_key_pem().unwrap().as_bytes().to_vec()),
    );
    let e = client.health().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(
        e.message()
            .contains("does not accept the client certificate"),
        "{e}"
    );
    // The same certificate is fine for a server that asks for none.
    let plain = Emulator::start_tls().await;
    let client = plain.client_with(
        plain
            .config()
            .ca_bundle_pem(ca_pem(&plain))
            .client_cert_pem(other.client_cert_pem().unwrap().as_bytes().to_vec())
            .client_key_pem(other.client_key_pem().unwrap().as_bytes().to_vec()),
    );
    client.health().await.unwrap();
    plain.stop().await;
    emu.stop().await;
}

#[tokio::test]
async fn bad_client_certificate_settings_are_invalid_input_without_the_key() {
    let emu = Emulator::start_mtls().await;
    let dir = tempfile::tempdir().unwrap();
    let [ca, cert, key] = mtls_files(&emu, dir.path());
    let (_, key_pem) = emu.client_identity();
    let key_text = String::from_utf8(key_pem.clone()).unwrap();
    // A line of the key's base64, to look for in messages.
    let key_line = key_text.lines().nth(1).unwrap().to_owned();
    let base = || emu.config().ca_bundle_file(&ca);
    let fails = |b: necid::ConfigBuilder, field: &str| {
        let e = b.build().and_then(necid::Client::new).unwrap_err();
        assert_eq!(
            (e.kind(), e.field()),
            (ErrorKind::InvalidInput, Some(field)),
            "{e}"
        );
        assert!(
            !e.to_string().contains(&key_line),
            "key in the message: {e}"
        );
        e
    };
    // One without the other.
    fails(base().client_cert_file(&cert), "client_key");
    fails(base().client_key_file(&key), "client_cert");
    // Unreadable files name the setting and the path.
    let e = fails(
        base()
            .client_cert_file(dir.path().join("absent.pem"))
            .client_key_file(&key),
        "client_cert",
    );
    assert!(e.message().contains("absent.pem"), "{e}");
    let e = fails(
        base()
            .client_cert_file(&cert)
            .client_key_file(dir.path().join("nokey.pem")),
        "client_key",
    );
    assert!(e.message().contains("nokey.pem"), "{e}");
    // Not PEM / no key in the file / the CA certificate given as the key.
    fails(
        base()
            .client_cert_pem(b"not a certificate".to_vec())
            .client_key_file(&key),
        "client_cert",
    );
    let e = fails(
        base().client_cert_file(&cert).client_key_file(&ca),
        "client_key",
    );
    assert!(e.message().contains("no PEM private key"), "{e}");
    // A damaged key: its base64 altered.
    let damaged = key_text.replacen(&key_line, &"A".repeat(key_line.len()), 1);
    fails(
        base()
            .client_cert_file(&cert)
            .client_key_pem(damaged.into_bytes()),
        "client_key",
    );
    // A key that belongs to another certificate.
    let other = necid_server::TlsIdentity::generate_with_client_auth(&[], &[]).unwrap();
    let e = fails(
        base()
            .client_cert_file(&cert)
            .client_key_pem(other.client_key_pem().unwrap().as_bytes().to_vec()),
        "client_key",
    );
    assert!(e.message().contains("does not belong"), "{e}");
    // Debug output names the file, never the key.
    let config = base()
        .client_cert_file(&cert)
        .client_key_pem(key_pem)
        .build()
        .unwrap();
    let debug = format!("{config:?}");
    assert!(
        debug.contains("client_key") && !debug.contains(&key_line),
        "{debug}"
    );
    emu.stop().await;
}
