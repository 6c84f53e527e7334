//! Refreshable credentials against the emulator: a provider asked before each request and
//! cached until (shortly before) expiry, a rotation in the middle of a bulk wait (the
//! emulator accepts the old and the new key: `DevCredentials::extra_access_keys`), a key
//! the emulator does not know after the rotation failing the wait (so the new key is what
//! signs on the wire), and a failing provider.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use necid::credentials::CredentialsFuture;
use necid::{
    BulkRegistration, Config, Credentials, ErrorKind, ProvideCredentials, RetryPolicy, WaitOptions,
};
use necid_e2e::{Emulator, faces};

const ROTATED_ID: &str = "AKIDROTATEDEXAMPLE";
const ROTATED_SECRET: &str = "rotated-secret-value-0123456789";

/// Hands out `first` for its first `rotate_after` answers, then `then`; each answer expires
/// `valid_for` from now.
struct Rotating {
    calls: AtomicUsize,
    rotate_after: usize,
    first: (String, String),
    then: (String, String),
    valid_for: Option<Duration>,
    /// Answers given with `then`.
    rotated: AtomicUsize,
}

impl Rotating {
    fn new(
        first: (&str, &str),
        then: (&str, &str),
        rotate_after: usize,
        valid_for: Option<Duration>,
    ) -> Arc<Self> {
        Arc::new(Rotating {
            calls: AtomicUsize::new(0),
            rotate_after,
            first: (first.0.to_owned(), first.1.to_owned()),
            then: (then.0.to_owned(), then.1.to_owned()),
            valid_for,
            rotated: AtomicUsize::new(0),
        })
    }
}

impl ProvideCredentials for Rotating {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            let (id, secret) = if n < self.rotate_after {
                &self.first
            } else {
                self.rotated.fetch_add(1, Ordering::SeqCst);
                &self.then
            };
            Ok(Credentials::new(id, secret)
                .session_token("session-token-value")
                .expires_at(self.valid_for.map(|d| SystemTime::now() + d)))
        })
    }
}

async fn emulator_with_rotated_key(
    bucket: Option<std::path::PathBuf>,
    faults: necid_server::faults::FaultPlan,
) -> Emulator {
    let mut config = necid_server::ServerConfig {
        bucket_dir: bucket,
        faults,
        ..Emulator::deterministic()
    };
    config
        .credentials
        .extra_access_keys
        .push((ROTATED_ID.to_owned(), ROTATED_SECRET.to_owned()));
    Emulator::start_with(config).await
}

fn dev_key(emu: &Emulator) -> (String, String) {
    let c = emu.server.credentials();
    (c.access_key_id.clone(), c.secret_access_key.clone())
}

fn provider_client(
    emu: &Emulator,
    provider: Arc<dyn ProvideCredentials>,
    attempts: u32,
) -> necid::Client {
    let config = Config::builder()
        .endpoint(emu.server.endpoint())
        .tenant_endpoint(emu.server.endpoint())
        .api_key(emu.server.credentials().api_key.clone())
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(attempts)
                .with_delays(Duration::from_millis(5), Duration::from_millis(5)),
        )
        .credentials_provider(provider)
        .build()
        .unwrap();
    assert!(config.has_credentials_provider() && !config.has_credentials());
    necid::Client::new(config).unwrap()
}

#[tokio::test]
async fn credentials_are_cached_until_shortly_before_they_expire() {
    let emu = emulator_with_rotated_key(None, Default::default()).await;
    let (id, secret) = dev_key(&emu);
    let long = Rotating::new(
        (&id, &secret),
        (&id, &secret),
        usize::MAX,
        Some(Duration::from_secs(3600)),
    );
    let c = provider_client(&emu, long.clone(), 1);
    for _ in 0..4 {
        c.list_tags().await.unwrap();
    }
    assert_eq!(
        long.calls.load(Ordering::SeqCst),
        1,
        "asked once for 4 calls"
    );
    // Expiring within the refresh margin: asked before every request.
    let short = Rotating::new(
        (&id, &secret),
        (&id, &secret),
        usize::MAX,
        Some(Duration::from_secs(5)),
    );
    let c = provider_client(&emu, short.clone(), 1);
    for _ in 0..3 {
        c.list_tags().await.unwrap();
    }
    assert_eq!(short.calls.load(Ordering::SeqCst), 3);
    // No expiry: kept for the client's life.
    let forever = Rotating::new((&id, &secret), (&id, &secret), usize::MAX, None);
    let c = provider_client(&emu, forever.clone(), 1);
    c.health().await.unwrap();
    c.list_tags().await.unwrap();
    assert_eq!(forever.calls.load(Ordering::SeqCst), 1);
    // sign_request uses the cached answer (it never waits for the provider).
    let headers = c
        .sign_request(
            "GET",
            &format!("{}/v1.1/tags", emu.server.endpoint()),
            &[],
            b"",
        )
        .unwrap();
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "authorization" && v.contains(&id)),
        "{headers:?}"
    );
    emu.stop().await;
}

/// Bulk-register two pictures; the first progress poll answers 503 once (a fault rule), so
/// the wait is under way — and retrying — when the provider rotates after its second answer
/// (bulk_register, then the first poll).
async fn bulk_wait_with_rotation(
    to: (&str, &str),
) -> (
    necid::Result<necid::BulkProgress>,
    Arc<Rotating>,
    Emulator,
    tempfile::TempDir,
) {
    let bucket = tempfile::tempdir().unwrap();
    let dir = bucket.path().join("default");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("obama.jpg"), faces::OBAMA).unwrap();
    std::fs::write(dir.join("biden.jpg"), faces::BIDEN).unwrap();
    let faults = necid_server::faults::FaultPlan::from_str_format(
        r#"{"rules": [{"method": "GET", "path": "/v1.1/jobs/bulkregister/**",
            "fault": "error", "status": 503, "retryAfter": 0, "count": 1}]}"#,
        true,
    )
    .unwrap();
    let emu = emulator_with_rotated_key(Some(bucket.path().to_path_buf()), faults).await;
    let (id, secret) = dev_key(&emu);
    let provider = Rotating::new((&id, &secret), to, 2, Some(Duration::ZERO));
    let c = provider_client(&emu, provider.clone(), 3);
    let regs = ["obama.jpg", "biden.jpg"].map(|f| BulkRegistration {
        filename: f.into(),
        tags: vec![],
    });
    let batch = c.bulk_register(&regs).await.unwrap();
    let options = WaitOptions {
        poll_interval: Duration::from_millis(20),
        max_poll_interval: Duration::from_millis(100),
        timeout: Duration::from_secs(60),
    };
    let done = c.wait_for_bulk_register(&batch, options, |_| {}).await;
    (done, provider, emu, bucket)
}

#[tokio::test]
async fn a_rotation_in_the_middle_of_a_bulk_wait_is_seamless() {
    let (done, provider, emu, _bucket) =
        bulk_wait_with_rotation((ROTATED_ID, ROTATED_SECRET)).await;
    let done = done.unwrap();
    assert!(done.is_done() && done.succeeded() == 2, "{done:?}");
    // bulk_register and the failed first poll with the old key, the rest with the new one.
    assert!(provider.rotated.load(Ordering::SeqCst) >= 1);
    emu.stop().await;
}

#[tokio::test]
async fn after_the_rotation_the_new_key_signs() {
    // A key the emulator does not know: the wait fails at the first request after the
    // rotation, so that request was signed with the provider's new answer.
    let (done, provider, emu, _bucket) =
        bulk_wait_with_rotation(("AKIDUNKNOWN", "unknown-secret")).await;
    let e = done.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert_eq!(provider.rotated.load(Ordering::SeqCst), 1);
    assert!(!format!("{e} {e:?}").contains("unknown-secret"));
    emu.stop().await;
}

struct Failing(AtomicUsize);

impl ProvideCredentials for Failing {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            self.0.fetch_add(1, Ordering::SeqCst);
            Err(necid::Error::new(
                ErrorKind::Auth,
                "token service unavailable",
            ))
        })
    }
}

#[tokio::test]
async fn a_failing_provider_fails_the_call_and_is_asked_again() {
    let emu = Emulator::start().await;
    let failing = Arc::new(Failing(AtomicUsize::new(0)));
    let c = provider_client(&emu, failing.clone(), 3);
    for _ in 0..2 {
        let e = c.list_tags().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(e.message().contains("token service unavailable"), "{e}");
    }
    assert_eq!(
        failing.0.load(Ordering::SeqCst),
        2,
        "asked once per call, not per retry"
    );
    // A blocking function as the provider (what bindings' callbacks use).
    let (id, secret) = dev_key(&emu);
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let f = necid::credentials_fn(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(Credentials::new(id.clone(), secret.clone()))
    });
    let c = provider_client(&emu, f, 1);
    c.list_tags().await.unwrap();
    c.list_tags().await.unwrap();
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    // Static keys and a provider together: refused.
    let e = emu
        .config()
        .credentials_provider(failing)
        .build()
        .unwrap_err();
    assert_eq!(e.field(), Some("credentials_provider"));
    emu.stop().await;
}
