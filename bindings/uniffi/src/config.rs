//! Configuration: an immutable builder object (so secrets never sit in a record whose
//! generated `toString()` would print them) and the built, read-only [`ClientConfig`].

use std::sync::Arc;
use std::time::Duration;

use crate::error::NecIdError;
use crate::types::{RenameTagForm, TlsRoots};

/// Builds a [`ClientConfig`]. Immutable: every setter returns a new builder, so one
/// builder can safely be shared and derived from on any thread.
///
/// One method per setting of the core's settings table (core/README.md), named after it.
/// Unset values take the core's defaults (endpoint `https://api.id.nec.com.au`, region
/// `ap-southeast-2`, service `execute-api`, 10 s connect / 60 s request timeouts,
/// 3 attempts).
#[derive(uniffi::Object)]
pub struct ConfigBuilder(necid::ConfigBuilder);

impl std::fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The core's Debug already hides secrets.
        self.0.fmt(f)
    }
}

impl ConfigBuilder {
    fn with(&self, f: impl FnOnce(necid::ConfigBuilder) -> necid::ConfigBuilder) -> Arc<Self> {
        Arc::new(ConfigBuilder(f(self.0.clone())))
    }
}

#[uniffi::export]
impl ConfigBuilder {
    /// A builder with the defaults and no credentials.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(ConfigBuilder(necid::Config::builder()))
    }
    /// Defaults, then the profile file (if present), then `NECID_*` environment variables.
    #[uniffi::constructor]
    pub fn from_env() -> Result<Arc<Self>, NecIdError> {
        Ok(Arc::new(ConfigBuilder(necid::ConfigBuilder::from_env()?)))
    }
    // # BEGIN GENERATED: a setter per setting (tests/e2e/tests/surfaces.rs renders them from
    // the core's settings table, docs included; NECID_BLESS=1 cargo test -p necid-e2e
    // --test surfaces rewrites them).
    /// Biometric API endpoint (http or https URL, no query; trailing `/` trimmed).
    pub fn endpoint(&self, value: String) -> Arc<Self> {
        self.with(|b| b.endpoint(value))
    }
    /// Tenant (portal) API endpoint.
    pub fn tenant_endpoint(&self, value: String) -> Arc<Self> {
        self.with(|b| b.tenant_endpoint(value))
    }
    /// SigV4 region.
    pub fn region(&self, value: String) -> Arc<Self> {
        self.with(|b| b.region(value))
    }
    /// SigV4 service name.
    pub fn service(&self, value: String) -> Arc<Self> {
        self.with(|b| b.service(value))
    }
    /// Access key id (with `secret_access_key`, or neither).
    pub fn access_key_id(&self, value: String) -> Arc<Self> {
        self.with(|b| b.access_key_id(value))
    }
    /// Secret access key.
    pub fn secret_access_key(&self, value: String) -> Arc<Self> {
        self.with(|b| b.secret_access_key(value))
    }
    /// Session token of temporary credentials.
    pub fn session_token(&self, value: String) -> Arc<Self> {
        self.with(|b| b.session_token(value))
    }
    /// Application API key (`x-api-key`), which selects the gallery.
    pub fn api_key(&self, value: String) -> Arc<Self> {
        self.with(|b| b.api_key(value))
    }
    /// Connect timeout (must be positive).
    pub fn connect_timeout(&self, value: Duration) -> Arc<Self> {
        self.with(|b| b.connect_timeout(value))
    }
    /// Whole-request timeout, per attempt (must be positive).
    pub fn request_timeout(&self, value: Duration) -> Arc<Self> {
        self.with(|b| b.request_timeout(value))
    }
    /// Total attempts including the first (1 = no retries).
    pub fn max_attempts(&self, value: u32) -> Arc<Self> {
        self.with(|b| b.max_attempts(value))
    }
    /// Backoff base between retries (full jitter, doubling per retry).
    pub fn retry_base_delay(&self, value: Duration) -> Arc<Self> {
        self.with(|b| b.retry_base_delay(value))
    }
    /// Backoff ceiling.
    pub fn retry_max_delay(&self, value: Duration) -> Arc<Self> {
        self.with(|b| b.retry_max_delay(value))
    }
    /// Appended to the `User-Agent` header.
    pub fn user_agent_suffix(&self, value: String) -> Arc<Self> {
        self.with(|b| b.user_agent_suffix(value))
    }
    /// Longest server `Retry-After` honoured; longer values are capped to it.
    pub fn max_retry_after(&self, value: Duration) -> Arc<Self> {
        self.with(|b| b.max_retry_after(value))
    }
    /// Trusted CAs for `https://`: `platform` (the OS store; `SSL_CERT_FILE`/`SSL_CERT_DIR`
    /// honoured), `bundled` (Mozilla roots built in) or `custom` (only the CA bundle).
    pub fn tls_roots(&self, value: TlsRoots) -> Arc<Self> {
        self.with(|b| b.tls_roots(value))
    }
    /// Path of a PEM file of CA certificates, read when the client is built: alone the only
    /// trust, with `tls_roots` `platform`/`bundled` trusted in addition. Empty: none.
    pub fn ca_bundle(&self, path: String) -> Arc<Self> {
        self.with(|b| b.ca_bundle_file(path))
    }
    /// The CA bundle as PEM text or bytes instead of a file (in code only).
    pub fn ca_bundle_pem(&self, pem: Vec<u8>) -> Arc<Self> {
        self.with(|b| b.ca_bundle_pem(pem))
    }
    /// HTTP proxy for every request (`http://[user:password@]host:port`; `https://` URLs
    /// are tunnelled with CONNECT). Unset:
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` as usual.
    pub fn proxy(&self, url: String) -> Arc<Self> {
        self.with(|b| b.proxy(url))
    }
    /// Most idle connections kept open per host (0: none kept).
    pub fn pool_max_idle_per_host(&self, value: u32) -> Arc<Self> {
        self.with(|b| b.pool_max_idle_per_host(value))
    }
    /// How long an idle connection stays in the pool (must be positive).
    pub fn pool_idle_timeout(&self, value: Duration) -> Arc<Self> {
        self.with(|b| b.pool_idle_timeout(value))
    }
    /// Request of `rename_tag`: `body` (`PUT /tags/{old}` with `{"newName"}`, the later
    /// reference), `path` (`PUT /tags/{old}/{new}`, the v1.1 reference) or `auto` (body,
    /// then path once on a 404, 400 `InvalidRequest` or 403 `Missing Authentication Token`;
    /// remembered).
    pub fn rename_tag_form(&self, value: RenameTagForm) -> Arc<Self> {
        self.with(|b| b.rename_tag_form(value))
    }
    /// Path of a PEM file holding the client certificate (leaf first, then any
    /// intermediates) for servers that require mutual TLS, read when the client is built;
    /// needs `client_key`. Empty: none.
    pub fn client_cert(&self, path: String) -> Arc<Self> {
        self.with(|b| b.client_cert_file(path))
    }
    /// Path of the PEM private key (PKCS#8, RSA or EC) of `client_cert` (may be the same
    /// file); checked against the certificate when the client is built, never printed.
    pub fn client_key(&self, path: String) -> Arc<Self> {
        self.with(|b| b.client_key_file(path))
    }
    /// The client certificate as PEM text or bytes instead of a file (in code only).
    pub fn client_cert_pem(&self, pem: Vec<u8>) -> Arc<Self> {
        self.with(|b| b.client_cert_pem(pem))
    }
    /// The client certificate's private key as PEM text or bytes instead of a file (in code
    /// only).
    pub fn client_key_pem(&self, pem: Vec<u8>) -> Arc<Self> {
        self.with(|b| b.client_key_pem(pem))
    }
    // # END GENERATED
    /// Retries: total attempts including the first (1 = no retries), and the base and
    /// maximum backoff delays (exponential with full jitter). The same as `max_attempts`,
    /// `retry_base_delay` and `retry_max_delay` together.
    pub fn retry_policy(
        &self,
        max_attempts: u32,
        base_delay: Duration,
        max_delay: Duration,
    ) -> Arc<Self> {
        self.with(|b| {
            b.retry_policy(
                necid::RetryPolicy::default()
                    .with_max_attempts(max_attempts)
                    .with_delays(base_delay, max_delay),
            )
        })
    }
    /// Refreshable credentials instead of the static keys: `provider` is asked (on an SDK
    /// worker thread, one call at a time) before a request when the client holds none or
    /// they expire within 10 s. What it throws fails the request with `Auth`.
    pub fn credentials_provider(&self, provider: Arc<dyn CredentialsProvider>) -> Arc<Self> {
        let p = provider.clone();
        self.with(move |b| {
            b.credentials_provider(necid::credentials_fn(move || {
                let c = p.credentials().map_err(|e| {
                    necid::Error::new(
                        necid::ErrorKind::Auth,
                        format!("credentials provider failed: {}", e.details().reason),
                    )
                })?;
                Ok(c.0.clone())
            }))
        })
    }
    /// Validate and build (errors are `InvalidInput` naming the setting).
    pub fn build(&self) -> Result<Arc<ClientConfig>, NecIdError> {
        Ok(Arc::new(ClientConfig(self.0.clone().build()?)))
    }
}

/// A validated, immutable client configuration. Secrets are not readable back.
#[derive(Debug, uniffi::Object)]
pub struct ClientConfig(pub(crate) necid::Config);

#[uniffi::export]
impl ClientConfig {
    /// Defaults, then the profile file (if present), then `NECID_*` environment variables.
    #[uniffi::constructor]
    pub fn from_env() -> Result<Arc<Self>, NecIdError> {
        Ok(Arc::new(ClientConfig(necid::Config::from_env()?)))
    }
    /// Defaults, then the named profile (or `NECID_PROFILE`, or `default`) of the profile
    /// file (`NECID_CONFIG_FILE` or `~/.necid/config`), which must exist.
    #[uniffi::constructor(default(profile = None))]
    pub fn from_profile(profile: Option<String>) -> Result<Arc<Self>, NecIdError> {
        Ok(Arc::new(ClientConfig(necid::Config::from_profile(
            profile.as_deref(),
        )?)))
    }
    /// A builder pre-filled with this configuration, to derive a variant.
    pub fn to_builder(&self) -> Arc<ConfigBuilder> {
        Arc::new(ConfigBuilder(self.0.to_builder()))
    }
    pub fn endpoint(&self) -> String {
        self.0.endpoint().to_owned()
    }
    pub fn tenant_endpoint(&self) -> String {
        self.0.tenant_endpoint().to_owned()
    }
    pub fn region(&self) -> String {
        self.0.region().to_owned()
    }
    pub fn service(&self) -> String {
        self.0.service().to_owned()
    }
    pub fn access_key_id(&self) -> Option<String> {
        self.0.access_key_id().map(str::to_owned)
    }
    /// Whether an access key id and secret key are configured.
    pub fn has_credentials(&self) -> bool {
        self.0.has_credentials()
    }
    pub fn has_api_key(&self) -> bool {
        self.0.has_api_key()
    }
    pub fn has_session_token(&self) -> bool {
        self.0.has_session_token()
    }
    pub fn connect_timeout(&self) -> Duration {
        self.0.connect_timeout()
    }
    pub fn request_timeout(&self) -> Duration {
        self.0.request_timeout()
    }
    pub fn max_attempts(&self) -> u32 {
        self.0.retry_policy().max_attempts
    }
    pub fn user_agent_suffix(&self) -> Option<String> {
        self.0.user_agent_suffix().map(str::to_owned)
    }
    pub fn retry_base_delay(&self) -> Duration {
        self.0.retry_policy().base_delay
    }
    pub fn retry_max_delay(&self) -> Duration {
        self.0.retry_policy().max_delay
    }
    pub fn max_retry_after(&self) -> Duration {
        self.0.retry_policy().max_retry_after
    }
    pub fn tls_roots(&self) -> TlsRoots {
        self.0.tls_roots()
    }
    pub fn rename_tag_form(&self) -> RenameTagForm {
        self.0.rename_tag_form()
    }
}

/// A source of credentials that change (rotating session tokens); see
/// [`ConfigBuilder::credentials_provider`].
#[uniffi::export(with_foreign)]
pub trait CredentialsProvider: Send + Sync {
    /// The current credentials.
    fn credentials(&self) -> Result<Arc<Credentials>, NecIdError>;
}

/// One set of credentials, as a provider returns them. An object, not a record, so its
/// `toString()`/`description` never prints the secret.
#[derive(uniffi::Object)]
pub struct Credentials(necid::Credentials);

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The core's Debug hides the secret and the token.
        self.0.fmt(f)
    }
}

#[uniffi::export]
impl Credentials {
    /// Access key id and secret (required), session token, and when they expire (`None`:
    /// never).
    #[uniffi::constructor(default(session_token = None, expiration = None))]
    pub fn new(
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
        expiration: Option<std::time::SystemTime>,
    ) -> Arc<Self> {
        let mut c = necid::Credentials::new(access_key_id, secret_access_key);
        if let Some(t) = session_token {
            c = c.session_token(t);
        }
        Arc::new(Credentials(c.expires_at(expiration)))
    }
    /// The access key id.
    pub fn access_key_id(&self) -> String {
        self.0.access_key_id().to_owned()
    }
}
