//! Credentials that change while a client lives: a [`ProvideCredentials`] the signer asks
//! before a request whenever it holds none or the ones it holds are about to expire.
//!
//! Static keys (`access_key_id` / `secret_access_key` / `session_token`) stay the default;
//! a provider replaces them (giving both is an error). The provider is asked
//!
//! - before the first signed request;
//! - again before a request once the cached credentials expire within
//!   [`REFRESH_BEFORE_EXPIRY`] (credentials without an expiry are kept for the client's life);
//!
//! and only by one request at a time (others wait for its answer). A failing provider fails
//! the request with the provider's error (nothing is sent); the next request asks again.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::config::Secret;
use crate::error::{Error, Result};
use crate::signing::Signer;

/// Cached credentials are refreshed when they expire within this margin (a request signed
/// just before expiry could arrive after it).
pub const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(10);

/// One set of SigV4 credentials, as a provider returns them.
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
    expires_at: Option<SystemTime>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Credentials {
    /// An access key id and secret, without session token or expiry.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Secret::new(secret_access_key),
            session_token: None,
            expires_at: None,
        }
    }
    /// With a session token (temporary credentials).
    pub fn session_token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.session_token = (!token.is_empty()).then(|| Secret::new(token));
        self
    }
    /// With the time they stop being valid (`None`: never).
    pub fn expires_at(mut self, when: Option<SystemTime>) -> Self {
        self.expires_at = when;
        self
    }
    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
    /// When they expire, if they do.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expires_at
    }

    fn check(&self) -> Result<()> {
        let bad = |why: &str| Err(Error::invalid_input("credentials_provider", why));
        if self.access_key_id.is_empty() || self.secret_access_key.expose().is_empty() {
            return bad("returned an empty access key id or secret access key");
        }
        if self
            .access_key_id
            .chars()
            .any(|c| c.is_control() || c == '/')
        {
            return bad("returned an access key id with '/' or control characters");
        }
        let secrets = [Some(&self.secret_access_key), self.session_token.as_ref()];
        if secrets
            .into_iter()
            .flatten()
            .any(|s| s.expose().chars().any(char::is_control))
        {
            return bad("returned a secret with control characters");
        }
        Ok(())
    }
}

/// The future a provider returns.
pub type CredentialsFuture<'a> = Pin<Box<dyn Future<Output = Result<Credentials>> + Send + 'a>>;

/// A source of credentials (a token service, a file another process rotates…). See the
/// module documentation for when it is asked.
pub trait ProvideCredentials: Send + Sync + 'static {
    /// The current credentials.
    fn provide_credentials(&self) -> CredentialsFuture<'_>;
}

/// A provider from a blocking function (a binding's callback, a file read): it runs on the
/// blocking thread pool so it never stalls the SDK's I/O threads.
pub fn credentials_fn<F>(f: F) -> Arc<dyn ProvideCredentials>
where
    F: Fn() -> Result<Credentials> + Send + Sync + 'static,
{
    Arc::new(BlockingFn(Arc::new(f)))
}

struct BlockingFn<F>(Arc<F>);

impl<F> ProvideCredentials for BlockingFn<F>
where
    F: Fn() -> Result<Credentials> + Send + Sync + 'static,
{
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        let f = self.0.clone();
        Box::pin(async move {
            match tokio::task::spawn_blocking(move || f()).await {
                Ok(r) => r,
                // A panic inside the provider: the request fails, the process lives.
                Err(e) => Err(Error::new(
                    crate::ErrorKind::Auth,
                    format!("the credentials provider failed: {e}"),
                )),
            }
        })
    }
}

/// The provider plus the signer built from its last answer.
pub(crate) struct CredentialsCache {
    provider: Arc<dyn ProvideCredentials>,
    region: String,
    service: String,
    cached: tokio::sync::Mutex<Option<(Arc<Signer>, Option<SystemTime>)>>,
}

fn fresh(expires_at: Option<SystemTime>, now: SystemTime) -> bool {
    expires_at.is_none_or(|e| now + REFRESH_BEFORE_EXPIRY < e)
}

impl CredentialsCache {
    pub(crate) fn new(provider: Arc<dyn ProvideCredentials>, region: &str, service: &str) -> Self {
        CredentialsCache {
            provider,
            region: region.to_owned(),
            service: service.to_owned(),
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// The signer for the next request, asking the provider when needed.
    pub(crate) async fn signer(&self) -> Result<Arc<Signer>> {
        let mut cached = self.cached.lock().await;
        if let Some((signer, expires_at)) = &*cached
            && fresh(*expires_at, SystemTime::now())
        {
            return Ok(signer.clone());
        }
        let creds = self.provider.provide_credentials().await?;
        creds.check()?;
        tracing::debug!(
            access_key_id = %creds.access_key_id,
            expires_at = ?creds.expires_at,
            "necid credentials refreshed"
        );
        let signer = Arc::new(Signer::new(
            &creds.access_key_id,
            &creds.secret_access_key,
            creds.session_token.as_ref(),
            &self.region,
            &self.service,
        ));
        *cached = Some((signer.clone(), creds.expires_at));
        Ok(signer)
    }

    /// The cached signer if it is still valid (for synchronous signing), without asking.
    pub(crate) fn cached_signer(&self) -> Option<Arc<Signer>> {
        let cached = self.cached.try_lock().ok()?;
        let (signer, expires_at) = cached.as_ref()?;
        expires_at
            .is_none_or(|e| SystemTime::now() < e)
            .then(|| signer.clone())
    }
}
