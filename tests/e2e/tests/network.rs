//! Network settings against the emulator through a real forward proxy on loopback
//! (`necid_e2e::proxy`): the explicit proxy for `http://` (absolute-form requests) and
//! `https://` (a CONNECT tunnel, with the emulator's generated CA as the CA bundle), proxy
//! credentials that never show, and the connection pool seen from the proxy's side
//! (one line per connection it accepted).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::time::Duration;

use necid::ErrorKind;
use necid_e2e::Emulator;
use necid_e2e::proxy::ForwardProxy;

async fn proxy(auth: Option<&str>) -> ForwardProxy {
    match ForwardProxy::start(auth).await {
        Ok(p) => p,
        Err(e) => panic!("proxy: {e}"),
    }
}

fn host_port(endpoint: &str) -> &str {
    endpoint.split("://").nth(1).unwrap_or(endpoint)
}

#[tokio::test]
async fn http_calls_go_through_the_explicit_proxy() {
    let emu = Emulator::start().await;
    let p = proxy(None).await;
    let client = emu.client_with(emu.config().proxy(p.url()));
    assert!(client.config().has_proxy());
    client.health().await.unwrap();
    let face = necid::Image::from(necid_e2e::faces::OBAMA.to_vec());
    let registered = client.register_subject(face, &[]).await.unwrap();
    assert!(!registered.subject_id.is_empty());
    let seen = p.seen();
    let origin = emu.server.endpoint();
    assert!(
        !seen.is_empty() && seen.iter().all(|l| l.contains(&format!(" {origin}/"))),
        "{seen:?}"
    );
    // A client without the setting goes direct (the proxy sees nothing more).
    let before = p.seen().len();
    emu.client().health().await.unwrap();
    assert_eq!(p.seen().len(), before);
    emu.stop().await;
}

#[tokio::test]
async fn https_calls_tunnel_through_the_proxy_and_trust_the_ca_bundle() {
    let emu = Emulator::start_tls().await;
    let p = proxy(None).await;
    let ca = emu.server.ca_pem().unwrap().as_bytes().to_vec();
    let client = emu.client_with(emu.config().proxy(p.url()).ca_bundle_pem(ca));
    client.health().await.unwrap();
    client.list_tags().await.unwrap();
    let seen = p.seen();
    let endpoint = emu.server.endpoint();
    let connect = format!("CONNECT {} HTTP/1.1", host_port(&endpoint));
    assert!(
        !seen.is_empty() && seen.iter().all(|l| *l == connect),
        "{seen:?} vs {connect}"
    );
    emu.stop().await;
}

#[tokio::test]
async fn proxy_credentials_are_sent_and_never_shown() {
    let emu = Emulator::start().await;
    let p = proxy(Some("necid:pr0xy-pa55word")).await;
    let authority = host_port(p.url()).to_owned();
    // Right credentials: through.
    let ok = emu.client_with(
        emu.config()
            .proxy(format!("http://necid:pr0xy-pa55word@{authority}")),
    );
    ok.health().await.unwrap();
    // Wrong password: the proxy's 407 is an auth error whose text holds no password.
    let bad_url = format!("http://necid:wr0ng-pa55word@{authority}");
    let bad = emu.client_with(emu.config().proxy(bad_url.clone()));
    let e = bad.list_tags().await.unwrap_err();
    assert_eq!(e.status(), Some(407), "{e}");
    for text in [
        e.to_string(),
        format!("{e:?}"),
        format!("{:?}", bad.config()),
    ] {
        assert!(!text.contains("wr0ng-pa55word"), "{text}");
    }
    // No proxy listening: a network error, also without the password.
    let closed = format!("http://necid:wr0ng-pa55word@{}", closed_port().await);
    let c = emu.client_with(emu.config().proxy(closed));
    let e = c.health().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(!format!("{e} {e:?}").contains("wr0ng-pa55word"), "{e:?}");
    emu.stop().await;
}

#[tokio::test]
async fn a_bad_proxy_url_is_invalid_input_without_quoting_it() {
    for url in [
        "ftp://user:s3cret-value@host:21",
        "not a url s3cret-value",
        "http://",
    ] {
        let e = necid::Config::builder().proxy(url).build().unwrap_err();
        assert_eq!(
            (e.kind(), e.field()),
            (ErrorKind::InvalidInput, Some("proxy")),
            "{e}"
        );
        assert!(!e.to_string().contains("s3cret-value"), "{e}");
    }
    // Empty: unset (the environment's proxy variables apply).
    let c = necid::Config::builder().proxy("  ").build().unwrap();
    assert!(!c.has_proxy());
}

/// `host:port` where nothing listens.
async fn closed_port() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    addr.to_string()
}

/// Connections the proxy accepted for `n` calls made `gap` apart.
async fn connections(
    emu: &Emulator,
    builder: necid::ConfigBuilder,
    n: usize,
    gap: Duration,
) -> usize {
    let p = proxy(None).await;
    let client = emu.client_with(builder.proxy(p.url()));
    for _ in 0..n {
        client.health().await.unwrap();
        tokio::time::sleep(gap).await;
    }
    p.seen().len()
}

#[tokio::test]
async fn the_pool_settings_decide_how_connections_are_reused() {
    let emu = Emulator::start().await;
    let gap = Duration::from_millis(50);
    // Default: one kept-alive connection serves every call.
    assert_eq!(connections(&emu, emu.config(), 4, gap).await, 1);
    // No idle connection kept: one connection per call.
    assert_eq!(
        connections(&emu, emu.config().pool_max_idle_per_host(0), 4, gap).await,
        4
    );
    // Idle connections dropped after 100 ms: calls 400 ms apart each open one.
    let short = emu.config().pool_idle_timeout(Duration::from_millis(100));
    assert_eq!(
        connections(&emu, short, 3, Duration::from_millis(400)).await,
        3
    );
    emu.stop().await;
}
