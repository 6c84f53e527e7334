//! Client configuration: builder, environment variables and the profile file.
//!
//! Precedence for [`Config::from_env`]: built-in defaults, then the profile file (if it
//! exists), then `NECID_*` environment variables. Secrets are held in [`Secret`] so they
//! never show in `Debug` output.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::credentials::ProvideCredentials;
use crate::error::{Error, Result};
use crate::tls::{CaBundle, PemSource, TlsRoots};

/// Default biometric API endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://api.id.nec.com.au";
/// Default tenant (portal) API endpoint.
pub const DEFAULT_TENANT_ENDPOINT: &str = "https://portal.id.nec.com.au";
/// Default SigV4 region.
pub const DEFAULT_REGION: &str = "ap-southeast-2";
/// Default SigV4 service name.
pub const DEFAULT_SERVICE: &str = "execute-api";
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default whole-request timeout. Extract may take up to 30 s server-side, so leave room.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time an idle pooled connection is kept.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A secret string (secret key, session token, API key): `Debug`/`Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The secret itself; only call this where the value must be used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How failed calls are retried: exponential backoff with full jitter.
///
/// The delay before retry `n` (1-based) is uniform in `[0, min(max_delay, base_delay * 2^(n-1))]`,
/// or the server's `Retry-After` (capped at `max_retry_after`) when it sent one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 = no retries). Default 3.
    pub max_attempts: u32,
    /// Backoff base. Default 200 ms.
    pub base_delay: Duration,
    /// Backoff ceiling. Default 5 s.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; longer values are capped to this. Default 20 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (one attempt).
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }
    /// Set the total number of attempts (at least 1).
    pub fn with_max_attempts(mut self, n: u32) -> RetryPolicy {
        self.max_attempts = n.max(1);
        self
    }
    /// Set base and maximum backoff delays.
    pub fn with_delays(mut self, base: Duration, max: Duration) -> RetryPolicy {
        self.base_delay = base;
        self.max_delay = max;
        self
    }
    /// Set the cap applied to a server's `Retry-After`.
    pub fn with_max_retry_after(mut self, cap: Duration) -> RetryPolicy {
        self.max_retry_after = cap;
        self
    }

    /// Upper bound of the jittered backoff before retry number `retry` (1-based).
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let shift = retry.saturating_sub(1).min(20);
        let d = self.base_delay.saturating_mul(1u32 << shift);
        d.min(self.max_delay)
    }

    /// The delay before retry number `retry` (1-based): full jitter, or `Retry-After` capped.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max_retry_after);
        }
        let ceiling = self.backoff_ceiling(retry);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(rand::random_range(0..=nanos))
    }
}

/// Immutable client configuration. Build with [`Config::builder`], [`Config::from_env`]
/// or [`Config::from_profile`].
#[derive(Clone)]
pub struct Config {
    pub(crate) endpoint: String,
    pub(crate) tenant_endpoint: String,
    pub(crate) region: String,
    pub(crate) service: String,
    pub(crate) access_key_id: Option<String>,
    pub(crate) secret_access_key: Option<Secret>,
    pub(crate) session_token: Option<Secret>,
    pub(crate) api_key: Option<Secret>,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) retry_policy: RetryPolicy,
    pub(crate) user_agent_suffix: Option<String>,
    pub(crate) tls_roots: TlsRoots,
    pub(crate) ca_bundle: Option<CaBundle>,
    pub(crate) proxy: Option<Secret>,
    pub(crate) pool_max_idle_per_host: Option<u32>,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) credentials_provider: Option<Arc<dyn ProvideCredentials>>,
    pub(crate) rename_tag_form: RenameTagForm,
    pub(crate) client_cert: Option<PemSource>,
    pub(crate) client_key: Option<PemSource>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("endpoint", &self.endpoint)
            .field("tenant_endpoint", &self.tenant_endpoint)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("api_key", &self.api_key)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry_policy", &self.retry_policy)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("tls_roots", &self.tls_roots)
            .field("ca_bundle", &self.ca_bundle)
            .field("proxy", &self.proxy)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field(
                "credentials_provider",
                &self.credentials_provider.as_ref().map(|_| "..."),
            )
            .field("rename_tag_form", &self.rename_tag_form)
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .finish()
    }
}

impl Config {
    /// A builder starting from the defaults (no credentials).
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Defaults, then the profile file if present (profile `NECID_PROFILE` or `default`),
    /// then `NECID_*` environment variables.
    pub fn from_env() -> Result<Config> {
        ConfigBuilder::from_env()?.build()
    }

    /// Defaults, then the named profile (or `NECID_PROFILE`, or `default`) from the
    /// profile file. The file and the profile must exist.
    pub fn from_profile(profile: Option<&str>) -> Result<Config> {
        let mut b = ConfigBuilder::default();
        let name = profile_name(profile);
        let path = config_file_path()
            .ok_or_else(|| Error::invalid_input("profile", "cannot locate the home directory"))?;
        let profiles = read_profile_file(&path)?.ok_or_else(|| {
            Error::invalid_input(
                "profile",
                format!("profile file {} does not exist", path.display()),
            )
        })?;
        let values = profiles.get(&name).ok_or_else(|| {
            Error::invalid_input(
                "profile",
                format!("no profile [{name}] in {}", path.display()),
            )
        })?;
        b.apply_map(values, &format!("{} [{name}]", path.display()))?;
        b.build()
    }

    /// Biometric API endpoint (no trailing slash).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
    /// Tenant API endpoint (no trailing slash).
    pub fn tenant_endpoint(&self) -> &str {
        &self.tenant_endpoint
    }
    /// SigV4 region.
    pub fn region(&self) -> &str {
        &self.region
    }
    /// SigV4 service name.
    pub fn service(&self) -> &str {
        &self.service
    }
    /// Access key id, if configured.
    pub fn access_key_id(&self) -> Option<&str> {
        self.access_key_id.as_deref()
    }
    /// Whether a secret key is configured (the value itself is never handed out).
    pub fn has_credentials(&self) -> bool {
        self.access_key_id.is_some() && self.secret_access_key.is_some()
    }
    /// Whether an API key is configured.
    pub fn has_api_key(&self) -> bool {
        self.api_key.is_some()
    }
    /// Whether a session token is configured.
    pub fn has_session_token(&self) -> bool {
        self.session_token.is_some()
    }
    /// Connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
    /// Whole-request timeout (per attempt).
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }
    /// Retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry_policy
    }
    /// User-agent suffix.
    pub fn user_agent_suffix(&self) -> Option<&str> {
        self.user_agent_suffix.as_deref()
    }
    /// Which certificate authorities `https://` connections trust.
    pub fn tls_roots(&self) -> TlsRoots {
        self.tls_roots
    }
    /// The CA bundle, if one is configured.
    pub fn ca_bundle(&self) -> Option<&CaBundle> {
        self.ca_bundle.as_ref()
    }
    /// Whether an explicit proxy is configured (its URL may hold credentials, so it is not
    /// handed out). Without one, the `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` variables apply.
    pub fn has_proxy(&self) -> bool {
        self.proxy.is_some()
    }
    /// Whether a credentials provider is configured.
    pub fn has_credentials_provider(&self) -> bool {
        self.credentials_provider.is_some()
    }
    /// Most idle connections kept per host (`None`: no limit).
    pub fn pool_max_idle_per_host(&self) -> Option<u32> {
        self.pool_max_idle_per_host
    }
    /// How long an idle pooled connection is kept.
    pub fn pool_idle_timeout(&self) -> Duration {
        self.pool_idle_timeout
    }
    /// Which request `rename_tag` sends.
    pub fn rename_tag_form(&self) -> RenameTagForm {
        self.rename_tag_form
    }
    /// The client certificate (mutual TLS), if one is configured.
    pub fn client_cert(&self) -> Option<&PemSource> {
        self.client_cert.as_ref()
    }
    /// Whether a client certificate and its key are configured (the key is not handed
    /// out).
    pub fn has_client_key(&self) -> bool {
        self.client_key.is_some()
    }
    /// A builder pre-filled with this configuration (to derive a variant).
    pub fn to_builder(&self) -> ConfigBuilder {
        ConfigBuilder {
            endpoint: Some(self.endpoint.clone()),
            tenant_endpoint: Some(self.tenant_endpoint.clone()),
            region: Some(self.region.clone()),
            service: Some(self.service.clone()),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: self.session_token.clone(),
            api_key: self.api_key.clone(),
            connect_timeout: Some(self.connect_timeout),
            request_timeout: Some(self.request_timeout),
            retry_policy: Some(self.retry_policy.clone()),
            user_agent_suffix: self.user_agent_suffix.clone(),
            tls_roots: Some(self.tls_roots),
            ca_bundle: self.ca_bundle.clone(),
            proxy: self.proxy.clone(),
            pool_max_idle_per_host: self.pool_max_idle_per_host,
            pool_idle_timeout: Some(self.pool_idle_timeout),
            credentials_provider: self.credentials_provider.clone(),
            rename_tag_form: Some(self.rename_tag_form),
            client_cert: self.client_cert.clone(),
            client_key: self.client_key.clone(),
        }
    }

    /// The secret values, for scrubbing text that leaves the SDK.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        [
            self.secret_access_key.as_ref(),
            self.session_token.as_ref(),
            self.api_key.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(Secret::expose)
        .chain(self.proxy.as_ref().and_then(|p| proxy_password(p.expose())))
        .filter(|s| !s.is_empty())
        .collect()
    }
}

/// Builder for [`Config`]. Unset values take the defaults.
#[derive(Clone, Default)]
pub struct ConfigBuilder {
    endpoint: Option<String>,
    tenant_endpoint: Option<String>,
    region: Option<String>,
    service: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<Secret>,
    session_token: Option<Secret>,
    api_key: Option<Secret>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    retry_policy: Option<RetryPolicy>,
    user_agent_suffix: Option<String>,
    tls_roots: Option<TlsRoots>,
    ca_bundle: Option<CaBundle>,
    proxy: Option<Secret>,
    pool_max_idle_per_host: Option<u32>,
    pool_idle_timeout: Option<Duration>,
    credentials_provider: Option<Arc<dyn ProvideCredentials>>,
    rename_tag_form: Option<RenameTagForm>,
    client_cert: Option<PemSource>,
    client_key: Option<PemSource>,
}

/// Which request [`Client::rename_tag`](crate::Client::rename_tag) sends (setting
/// `rename_tag_form`, variable `NECID_RENAME_TAG_FORM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum RenameTagForm {
    /// The current reference's `PUT /tags/{old}` with `{"newName": new}`; when the service
    /// answers that with 404, 400 `InvalidRequest` or API Gateway's 403 "Missing
    /// Authentication Token" (a deployment of the v1.1 reference, which routes only the
    /// path form), the same rename is sent once as
    /// `PUT /tags/{old}/{new}`, and after that form worked the client sends it first. The
    /// default.
    #[default]
    Auto,
    /// Only `PUT /tags/{old}` with `{"newName": new}` (the later reference, Swagger).
    Body,
    /// Only `PUT /tags/{old}/{new}` (the v1.1 reference).
    Path,
}

impl RenameTagForm {
    /// The setting's value as written in config files and environment variables.
    pub fn as_str(self) -> &'static str {
        match self {
            RenameTagForm::Auto => "auto",
            RenameTagForm::Body => "body",
            RenameTagForm::Path => "path",
        }
    }

    /// Parse `auto`, `body` or `path` (case-insensitive).
    pub fn parse(value: &str) -> Option<RenameTagForm> {
        match value.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(RenameTagForm::Auto),
            "body" => Some(RenameTagForm::Body),
            "path" => Some(RenameTagForm::Path),
            _ => None,
        }
    }
}

/// The password of a proxy URL (`http://user:password@host`), to scrub from messages.
fn proxy_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let userinfo = rest.split(['/', '?', '#']).next()?.rsplit_once('@')?.0;
    userinfo.split_once(':').map(|(_, p)| p)
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field("endpoint", &self.endpoint)
            .field("tenant_endpoint", &self.tenant_endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("api_key", &self.api_key)
            .field("tls_roots", &self.tls_roots)
            .field("ca_bundle", &self.ca_bundle)
            .field("proxy", &self.proxy)
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .finish_non_exhaustive()
    }
}

/// The type of a setting's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    /// Text (a URL, a name).
    Text,
    /// Secret text: never printed, never echoed in errors.
    Secret,
    /// A duration. Seconds in the profile file and the environment; each binding takes it
    /// in its own unit (Rust/Kotlin/Swift `Duration`, Python seconds, Node and C
    /// milliseconds).
    Duration,
    /// A whole number.
    Count,
    /// PEM text or bytes (only in code: not read from the environment or a profile).
    Pem,
}

impl ConfigType {
    /// Short name used in the documentation table.
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigType::Text => "text",
            ConfigType::Secret => "secret",
            ConfigType::Duration => "duration",
            ConfigType::Count => "count",
            ConfigType::Pem => "PEM",
        }
    }
}

/// One client setting. [`CONFIG_KEYS`] lists them all; every binding maps its own
/// spelling onto [`ConfigBuilder::set`] with `name`:
///
/// | binding | spelling of `name` |
/// |---|---|
/// | Rust | `ConfigBuilder::set(name, ..)`, or the builder method `name` |
/// | profile file | `name = value` (durations in seconds) |
/// | environment | `env` (durations in seconds) |
/// | Python | keyword argument `name` (durations in seconds) |
/// | Node | option `camelCase(name)`, durations as `camelCase(name)Ms` (milliseconds) |
/// | C | `necid_config_t` field `name`, durations as `name_ms` (milliseconds) |
/// | Kotlin / Swift | `ConfigBuilder` method `camelCase(name)` (durations as `Duration`) |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigKey {
    /// The setting's name: builder method, profile key and Python keyword.
    pub name: &'static str,
    /// Environment variable read by [`ConfigBuilder::from_env`]; `None` for settings only
    /// code can give (they are not read from a profile file either).
    pub env: Option<&'static str>,
    /// Type of the value.
    pub ty: ConfigType,
    /// Default value, as documented.
    pub default: &'static str,
    /// One-line description.
    pub doc: &'static str,
}

/// Every client setting, in a stable order (new settings are appended: the C struct
/// `necid_config_t` follows this order).
pub const CONFIG_KEYS: &[ConfigKey] = &[
    ConfigKey {
        name: "endpoint",
        env: Some("NECID_ENDPOINT"),
        ty: ConfigType::Text,
        default: DEFAULT_ENDPOINT,
        doc: "Biometric API endpoint (http or https URL, no query; trailing `/` trimmed).",
    },
    ConfigKey {
        name: "tenant_endpoint",
        env: Some("NECID_TENANT_ENDPOINT"),
        ty: ConfigType::Text,
        default: DEFAULT_TENANT_ENDPOINT,
        doc: "Tenant (portal) API endpoint.",
    },
    ConfigKey {
        name: "region",
        env: Some("NECID_REGION"),
        ty: ConfigType::Text,
        default: DEFAULT_REGION,
        doc: "SigV4 region.",
    },
    ConfigKey {
        name: "service",
        env: Some("NECID_SERVICE"),
        ty: ConfigType::Text,
        default: DEFAULT_SERVICE,
        doc: "SigV4 service name.",
    },
    ConfigKey {
        name: "access_key_id",
        env: Some("NECID_ACCESS_KEY_ID"),
        ty: ConfigType::Text,
        default: "none",
        doc: "Access key id (with `secret_access_key`, or neither).",
    },
    ConfigKey {
        name: "secret_access_key",
        env: Some("NECID_SECRET_ACCESS_KEY"),
        ty: ConfigType::Secret,
        default: "none",
        doc: "Secret access key.",
    },
    ConfigKey {
        name: "session_token",
        env: Some("NECID_SESSION_TOKEN"),
        ty: ConfigType::Secret,
        default: "none",
        doc: "Session token of temporary credentials.",
    },
    ConfigKey {
        name: "api_key",
        env: Some("NECID_API_KEY"),
        ty: ConfigType::Secret,
        default: "none",
        doc: "Application API key (`x-api-key`), which selects the gallery.",
    },
    ConfigKey {
        name: "connect_timeout",
        env: Some("NECID_CONNECT_TIMEOUT"),
        ty: ConfigType::Duration,
        default: "10 s",
        doc: "Connect timeout (must be positive).",
    },
    ConfigKey {
        name: "request_timeout",
        env: Some("NECID_REQUEST_TIMEOUT"),
        ty: ConfigType::Duration,
        default: "60 s",
        doc: "Whole-request timeout, per attempt (must be positive).",
    },
    ConfigKey {
        name: "max_attempts",
        env: Some("NECID_MAX_ATTEMPTS"),
        ty: ConfigType::Count,
        default: "3",
        doc: "Total attempts including the first (1 = no retries).",
    },
    ConfigKey {
        name: "retry_base_delay",
        env: Some("NECID_RETRY_BASE_DELAY"),
        ty: ConfigType::Duration,
        default: "0.2 s",
        doc: "Backoff base between retries (full jitter, doubling per retry).",
    },
    ConfigKey {
        name: "retry_max_delay",
        env: Some("NECID_RETRY_MAX_DELAY"),
        ty: ConfigType::Duration,
        default: "5 s",
        doc: "Backoff ceiling.",
    },
    ConfigKey {
        name: "user_agent_suffix",
        env: Some("NECID_USER_AGENT_SUFFIX"),
        ty: ConfigType::Text,
        default: "none",
        doc: "Appended to the `User-Agent` header.",
    },
    ConfigKey {
        name: "max_retry_after",
        env: Some("NECID_MAX_RETRY_AFTER"),
        ty: ConfigType::Duration,
        default: "20 s",
        doc: "Longest server `Retry-After` honoured; longer values are capped to it.",
    },
    ConfigKey {
        name: "tls_roots",
        env: Some("NECID_TLS_ROOTS"),
        ty: ConfigType::Text,
        default: "platform (custom when only a CA bundle is given)",
        doc: "Trusted CAs for `https://`: `platform` (the OS store; `SSL_CERT_FILE`/`SSL_CERT_DIR` honoured), `bundled` (Mozilla roots built in) or `custom` (only the CA bundle).",
    },
    ConfigKey {
        name: "ca_bundle",
        env: Some("NECID_CA_BUNDLE"),
        ty: ConfigType::Text,
        default: "none",
        doc: "Path of a PEM file of CA certificates, read when the client is built: alone the only trust, with `tls_roots` `platform`/`bundled` trusted in addition. Empty: none.",
    },
    ConfigKey {
        name: "ca_bundle_pem",
        env: None,
        ty: ConfigType::Pem,
        default: "none",
        doc: "The CA bundle as PEM text or bytes instead of a file (in code only).",
    },
    ConfigKey {
        name: "proxy",
        env: Some("NECID_PROXY"),
        ty: ConfigType::Secret,
        default: "from the environment",
        doc: "HTTP proxy for every request (`http://[user:password@]host:port`; `https://` URLs are tunnelled with CONNECT). Unset: `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` as usual.",
    },
    ConfigKey {
        name: "pool_max_idle_per_host",
        env: Some("NECID_POOL_MAX_IDLE_PER_HOST"),
        ty: ConfigType::Count,
        default: "no limit",
        doc: "Most idle connections kept open per host (0: none kept).",
    },
    ConfigKey {
        name: "pool_idle_timeout",
        env: Some("NECID_POOL_IDLE_TIMEOUT"),
        ty: ConfigType::Duration,
        default: "60 s",
        doc: "How long an idle connection stays in the pool (must be positive).",
    },
    ConfigKey {
        name: "rename_tag_form",
        env: Some("NECID_RENAME_TAG_FORM"),
        ty: ConfigType::Text,
        default: "auto",
        doc: "Request of `rename_tag`: `body` (`PUT /tags/{old}` with `{\"newName\"}`, the later reference), `path` (`PUT /tags/{old}/{new}`, the v1.1 reference) or `auto` (body, then path once on a 404, 400 `InvalidRequest` or 403 `Missing Authentication Token`; remembered).",
    },
    ConfigKey {
        name: "client_cert",
        env: Some("NECID_CLIENT_CERT"),
        ty: ConfigType::Text,
        default: "none",
        doc: "Path of a PEM file holding the client certificate (leaf first, then any intermediates) for servers that require mutual TLS, read when the client is built; needs `client_key`. Empty: none.",
    },
    ConfigKey {
        name: "client_key",
        env: Some("NECID_CLIENT_KEY"),
        ty: ConfigType::Text,
        default: "none",
        doc: "Path of the PEM private key (PKCS#8, RSA or EC) of `client_cert` (may be the same file); checked against the certificate when the client is built, never printed.",
    },
    ConfigKey {
        name: "client_cert_pem",
        env: None,
        ty: ConfigType::Pem,
        default: "none",
        doc: "The client certificate as PEM text or bytes instead of a file (in code only).",
    },
    ConfigKey {
        name: "client_key_pem",
        env: None,
        ty: ConfigType::Pem,
        default: "none",
        doc: "The client certificate's private key as PEM text or bytes instead of a file (in code only).",
    },
];

/// The setting named `name`, if there is one.
pub fn config_key(name: &str) -> Option<&'static ConfigKey> {
    CONFIG_KEYS.iter().find(|k| k.name == name)
}

/// A value for [`ConfigBuilder::set`].
///
/// `Text` is accepted for every setting: for durations it is a number of seconds, for
/// counts a whole number (the profile-file and environment spelling).
#[derive(Clone, PartialEq)]
pub enum ConfigValue {
    /// Text, or the textual form of a duration (seconds) or count.
    Text(String),
    /// A duration.
    Duration(Duration),
    /// A whole number.
    Count(u32),
    /// Bytes (PEM).
    Bytes(Vec<u8>),
}

impl fmt::Debug for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value may be a secret: its setting is not known here.
        match self {
            ConfigValue::Text(_) => f.write_str("Text(***)"),
            ConfigValue::Duration(d) => write!(f, "Duration({d:?})"),
            ConfigValue::Count(n) => write!(f, "Count({n})"),
            ConfigValue::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

impl From<String> for ConfigValue {
    fn from(v: String) -> Self {
        ConfigValue::Text(v)
    }
}
impl From<&str> for ConfigValue {
    fn from(v: &str) -> Self {
        ConfigValue::Text(v.to_owned())
    }
}
impl From<Duration> for ConfigValue {
    fn from(v: Duration) -> Self {
        ConfigValue::Duration(v)
    }
}
impl From<Vec<u8>> for ConfigValue {
    fn from(v: Vec<u8>) -> Self {
        ConfigValue::Bytes(v)
    }
}
impl From<u32> for ConfigValue {
    fn from(v: u32) -> Self {
        ConfigValue::Count(v)
    }
}

/// Environment variables read by [`ConfigBuilder::from_env`]: every setting's `env`
/// (see [`CONFIG_KEYS`]), then `NECID_PROFILE` and `NECID_CONFIG_FILE`.
pub const ENV_VARS: &[&str] = &[
    "NECID_ENDPOINT",
    "NECID_TENANT_ENDPOINT",
    "NECID_REGION",
    "NECID_SERVICE",
    "NECID_ACCESS_KEY_ID",
    "NECID_SECRET_ACCESS_KEY",
    "NECID_SESSION_TOKEN",
    "NECID_API_KEY",
    "NECID_CONNECT_TIMEOUT",
    "NECID_REQUEST_TIMEOUT",
    "NECID_MAX_ATTEMPTS",
    "NECID_RETRY_BASE_DELAY",
    "NECID_RETRY_MAX_DELAY",
    "NECID_USER_AGENT_SUFFIX",
    "NECID_MAX_RETRY_AFTER",
    "NECID_TLS_ROOTS",
    "NECID_CA_BUNDLE",
    "NECID_PROXY",
    "NECID_POOL_MAX_IDLE_PER_HOST",
    "NECID_POOL_IDLE_TIMEOUT",
    "NECID_RENAME_TAG_FORM",
    "NECID_CLIENT_CERT",
    "NECID_CLIENT_KEY",
    "NECID_PROFILE",
    "NECID_CONFIG_FILE",
];

impl ConfigBuilder {
    /// Defaults, then the profile file if it exists, then `NECID_*` variables.
    /// An explicitly named `NECID_PROFILE` that is missing is an error; a missing
    /// `default` profile or file is not.
    pub fn from_env() -> Result<ConfigBuilder> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Like [`ConfigBuilder::from_env`] with an arbitrary variable source (for tests and
    /// embedders that keep settings elsewhere).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<ConfigBuilder> {
        let mut b = ConfigBuilder::default();
        let explicit = lookup("NECID_PROFILE").filter(|s| !s.is_empty());
        let name = explicit.clone().unwrap_or_else(|| "default".to_owned());
        let path = lookup("NECID_CONFIG_FILE")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .or_else(default_config_file_path);
        if let Some(path) = path {
            match read_profile_file(&path)? {
                Some(profiles) => match profiles.get(&name) {
                    Some(values) => b.apply_map(values, &format!("{} [{name}]", path.display()))?,
                    None if explicit.is_some() => {
                        return Err(Error::invalid_input(
                            "NECID_PROFILE",
                            format!("no profile [{name}] in {}", path.display()),
                        ));
                    }
                    None => {}
                },
                None if explicit.is_some() => {
                    return Err(Error::invalid_input(
                        "NECID_PROFILE",
                        format!("profile file {} does not exist", path.display()),
                    ));
                }
                None => {}
            }
        }
        let mut env = HashMap::new();
        for key in CONFIG_KEYS {
            let Some(var) = key.env else { continue };
            if let Some(v) = lookup(var).filter(|s| !s.is_empty()) {
                env.insert(key.name.to_owned(), v);
            }
        }
        b.apply_map(&env, "environment")?;
        Ok(b)
    }

    /// Apply `key = value` settings (profile-file keys) on top of this builder, exactly as
    /// [`Config::from_profile`] reads them; `origin` names the source in error messages.
    /// Tools that write profiles (the CLI's `configure`) validate with this.
    pub fn apply_profile(
        mut self,
        values: &HashMap<String, String>,
        origin: &str,
    ) -> Result<ConfigBuilder> {
        self.apply_map(values, origin)?;
        Ok(self)
    }

    fn apply_map(&mut self, values: &HashMap<String, String>, origin: &str) -> Result<()> {
        for (k, v) in values {
            // Unknown keys are ignored so newer files work with older SDKs (and so are
            // settings only code can give).
            if let Some(key) = config_key(k).filter(|key| key.env.is_some()) {
                let b = std::mem::take(self);
                *self = b.set_from(key, ConfigValue::Text(v.trim().to_owned()), origin)?;
            }
        }
        Ok(())
    }

    /// Set one setting by its name in [`CONFIG_KEYS`] — the one entry point every
    /// binding's configuration mapping and the profile reader go through.
    ///
    /// `Text` values of durations are seconds, of counts whole numbers. An unknown name
    /// or a value of the wrong type is `InvalidInput` naming the setting; the other checks
    /// happen in [`ConfigBuilder::build`].
    pub fn set(self, name: &str, value: impl Into<ConfigValue>) -> Result<ConfigBuilder> {
        let key =
            config_key(name).ok_or_else(|| Error::invalid_input(name, "is not a known setting"))?;
        self.set_from(key, value.into(), "the value")
    }

    fn set_from(self, key: &ConfigKey, value: ConfigValue, origin: &str) -> Result<Self> {
        let name = key.name;
        let text = |value: ConfigValue| match value {
            ConfigValue::Text(s) => Ok(s),
            _ => Err(Error::invalid_input(name, "expects text")),
        };
        let duration = |value: ConfigValue| match value {
            ConfigValue::Duration(d) => Ok(d),
            ConfigValue::Text(s) => parse_secs(name, s.trim(), origin),
            _ => Err(Error::invalid_input(name, "expects a duration")),
        };
        let count = |value: ConfigValue| match value {
            ConfigValue::Count(n) => Ok(n),
            ConfigValue::Text(s) => s
                .trim()
                .parse::<u32>()
                .map_err(|_| Error::invalid_input(name, format!("not a whole number in {origin}"))),
            _ => Err(Error::invalid_input(name, "expects a whole number")),
        };
        if name == "rename_tag_form" {
            let v = text(value)?;
            return Ok(
                self.rename_tag_form(RenameTagForm::parse(&v).ok_or_else(|| {
                    Error::invalid_input(name, format!("must be auto, body or path in {origin}"))
                })?),
            );
        }
        if matches!(
            name,
            "proxy" | "pool_max_idle_per_host" | "pool_idle_timeout"
        ) {
            return Ok(match name {
                "proxy" => self.proxy(text(value)?),
                "pool_max_idle_per_host" => self.pool_max_idle_per_host(count(value)?),
                _ => self.pool_idle_timeout(duration(value)?),
            });
        }
        if matches!(
            name,
            "max_attempts" | "retry_base_delay" | "retry_max_delay" | "max_retry_after"
        ) {
            return Ok(match name {
                "max_attempts" => self.max_attempts(count(value)?),
                "retry_base_delay" => self.retry_base_delay(duration(value)?),
                "retry_max_delay" => self.retry_max_delay(duration(value)?),
                _ => self.max_retry_after(duration(value)?),
            });
        }
        Ok(match name {
            "endpoint" => self.endpoint(text(value)?),
            "tenant_endpoint" => self.tenant_endpoint(text(value)?),
            "region" => self.region(text(value)?),
            "service" => self.service(text(value)?),
            "access_key_id" => self.access_key_id(text(value)?),
            "secret_access_key" => self.secret_access_key(text(value)?),
            "session_token" => self.session_token(text(value)?),
            "api_key" => self.api_key(text(value)?),
            "connect_timeout" => self.connect_timeout(duration(value)?),
            "request_timeout" => self.request_timeout(duration(value)?),
            "user_agent_suffix" => self.user_agent_suffix(text(value)?),
            "tls_roots" => {
                let v = text(value)?;
                self.tls_roots(TlsRoots::parse(&v).ok_or_else(|| {
                    Error::invalid_input(
                        name,
                        format!("must be platform, bundled or custom in {origin}"),
                    )
                })?)
            }
            "ca_bundle" => {
                let v = text(value)?;
                let v = v.trim();
                self.ca_bundle((!v.is_empty()).then(|| CaBundle::File(PathBuf::from(v))))
            }
            "ca_bundle_pem" => match value {
                ConfigValue::Text(t) => self.ca_bundle_pem(t.into_bytes()),
                ConfigValue::Bytes(b) => self.ca_bundle_pem(b),
                _ => return Err(Error::invalid_input(name, "expects PEM text or bytes")),
            },
            "client_cert" | "client_key" => {
                let v = text(value)?;
                let v = v.trim();
                let source = (!v.is_empty()).then(|| PemSource::File(PathBuf::from(v)));
                if name == "client_cert" {
                    self.client_cert(source)
                } else {
                    self.client_key(source)
                }
            }
            "client_cert_pem" | "client_key_pem" => {
                let pem = match value {
                    ConfigValue::Text(t) => t.into_bytes(),
                    ConfigValue::Bytes(b) => b,
                    _ => return Err(Error::invalid_input(name, "expects PEM text or bytes")),
                };
                if name == "client_cert_pem" {
                    self.client_cert_pem(pem)
                } else {
                    self.client_key_pem(pem)
                }
            }
            _ => return Err(Error::invalid_input(name, "is not a known setting")),
        })
    }

    /// Biometric API endpoint, e.g. `https://api.id.nec.com.au` or `http://127.0.0.1:8080`.
    pub fn endpoint(mut self, v: impl Into<String>) -> Self {
        self.endpoint = Some(v.into());
        self
    }
    /// Tenant API endpoint, e.g. `https://portal.id.nec.com.au`.
    pub fn tenant_endpoint(mut self, v: impl Into<String>) -> Self {
        self.tenant_endpoint = Some(v.into());
        self
    }
    /// SigV4 region.
    pub fn region(mut self, v: impl Into<String>) -> Self {
        self.region = Some(v.into());
        self
    }
    /// SigV4 service name.
    pub fn service(mut self, v: impl Into<String>) -> Self {
        self.service = Some(v.into());
        self
    }
    /// Access key id.
    pub fn access_key_id(mut self, v: impl Into<String>) -> Self {
        self.access_key_id = Some(v.into());
        self
    }
    /// Secret access key.
    pub fn secret_access_key(mut self, v: impl Into<String>) -> Self {
        self.secret_access_key = Some(Secret::new(v));
        self
    }
    /// Session token (temporary credentials).
    pub fn session_token(mut self, v: impl Into<String>) -> Self {
        self.session_token = Some(Secret::new(v));
        self
    }
    /// Application API key (`x-api-key`), selecting the gallery.
    pub fn api_key(mut self, v: impl Into<String>) -> Self {
        self.api_key = Some(Secret::new(v));
        self
    }
    /// Connect timeout.
    pub fn connect_timeout(mut self, v: Duration) -> Self {
        self.connect_timeout = Some(v);
        self
    }
    /// Per-attempt request timeout.
    pub fn request_timeout(mut self, v: Duration) -> Self {
        self.request_timeout = Some(v);
        self
    }
    /// Retry policy.
    pub fn retry_policy(mut self, v: RetryPolicy) -> Self {
        self.retry_policy = Some(v);
        self
    }
    /// Total attempts including the first (1 = no retries; 0 counts as 1); keeps the
    /// policy's other settings.
    pub fn max_attempts(mut self, n: u32) -> Self {
        let p = self.retry_policy.take().unwrap_or_default();
        self.retry_policy = Some(p.with_max_attempts(n));
        self
    }
    /// Backoff base between retries; keeps the policy's other settings.
    pub fn retry_base_delay(mut self, v: Duration) -> Self {
        let p = self.retry_policy.take().unwrap_or_default();
        self.retry_policy = Some(RetryPolicy { base_delay: v, ..p });
        self
    }
    /// Backoff ceiling; keeps the policy's other settings.
    pub fn retry_max_delay(mut self, v: Duration) -> Self {
        let p = self.retry_policy.take().unwrap_or_default();
        self.retry_policy = Some(RetryPolicy { max_delay: v, ..p });
        self
    }
    /// Longest server `Retry-After` honoured; keeps the policy's other settings.
    pub fn max_retry_after(mut self, v: Duration) -> Self {
        let p = self.retry_policy.take().unwrap_or_default();
        self.retry_policy = Some(p.with_max_retry_after(v));
        self
    }
    /// Appended to the `User-Agent` header (e.g. `necid-cli/0.1.0`).
    pub fn user_agent_suffix(mut self, v: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(v.into());
        self
    }
    /// Add `v` after the suffix already set (the user's, from the profile or environment),
    /// separated by a space: a tool built on the SDK names itself without dropping it.
    pub fn append_user_agent_suffix(mut self, v: impl AsRef<str>) -> Self {
        let v = v.as_ref().trim();
        self.user_agent_suffix = match self
            .user_agent_suffix
            .take()
            .filter(|s| !s.trim().is_empty())
        {
            Some(s) if !v.is_empty() => Some(format!("{} {v}", s.trim_end())),
            Some(s) => Some(s),
            None => Some(v.to_owned()),
        };
        self
    }

    /// Which certificate authorities `https://` connections trust (default
    /// [`TlsRoots::Platform`], or [`TlsRoots::Custom`] when only a CA bundle is given).
    /// Config-file key `tls_roots`, variable `NECID_TLS_ROOTS`: `platform`, `bundled` or
    /// `custom`.
    pub fn tls_roots(mut self, v: TlsRoots) -> Self {
        self.tls_roots = Some(v);
        self
    }
    /// A PEM file of CA certificates (read when the client is built). Alone it is the only
    /// trust (`custom`); with `tls_roots` `platform` or `bundled` it is trusted in addition.
    /// Config-file key `ca_bundle`, variable `NECID_CA_BUNDLE`.
    pub fn ca_bundle_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(CaBundle::File(path.into()));
        self
    }
    /// Like [`ConfigBuilder::ca_bundle_file`] with the PEM text itself.
    pub fn ca_bundle_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_bundle = Some(CaBundle::Pem(pem.into().into()));
        self
    }
    /// Set (or with `None` clear) the CA bundle.
    pub fn ca_bundle(mut self, bundle: Option<CaBundle>) -> Self {
        self.ca_bundle = bundle;
        self
    }
    /// A PEM file holding the client certificate (leaf first, then any intermediates),
    /// presented to servers that require mutual TLS; read and checked against the key when
    /// the client is built. Needs [`ConfigBuilder::client_key_file`] or
    /// [`ConfigBuilder::client_key_pem`]. Config-file key `client_cert`, variable
    /// `NECID_CLIENT_CERT`.
    pub fn client_cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.client_cert = Some(PemSource::File(path.into()));
        self
    }
    /// Like [`ConfigBuilder::client_cert_file`] with the PEM text itself.
    pub fn client_cert_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.client_cert = Some(PemSource::Pem(pem.into().into()));
        self
    }
    /// Set (or with `None` clear) the client certificate.
    pub fn client_cert(mut self, cert: Option<PemSource>) -> Self {
        self.client_cert = cert;
        self
    }
    /// A PEM file holding the client certificate's private key (PKCS#8, RSA or EC; it may
    /// be the certificate's own file). Never printed or logged. Config-file key
    /// `client_key`, variable `NECID_CLIENT_KEY`.
    pub fn client_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.client_key = Some(PemSource::File(path.into()));
        self
    }
    /// Like [`ConfigBuilder::client_key_file`] with the PEM text itself.
    pub fn client_key_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.client_key = Some(PemSource::Pem(pem.into().into()));
        self
    }
    /// Set (or with `None` clear) the client certificate's private key.
    pub fn client_key(mut self, key: Option<PemSource>) -> Self {
        self.client_key = key;
        self
    }
    /// An HTTP proxy for every request, `http://[user:password@]host:port` (`https://`
    /// endpoints are tunnelled through it with `CONNECT`). Without it the environment's
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` apply; empty: unset. Config-file
    /// key `proxy`, variable `NECID_PROXY`. Its password is scrubbed from messages.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.proxy = (!url.trim().is_empty()).then(|| Secret::new(url.trim()));
        self
    }
    /// Credentials from a provider (rotating session tokens) instead of static keys: asked
    /// before a request when none are cached or they expire within
    /// [`crate::credentials::REFRESH_BEFORE_EXPIRY`]. Not combinable with
    /// `access_key_id`/`secret_access_key`/`session_token`.
    pub fn credentials_provider(mut self, provider: Arc<dyn ProvideCredentials>) -> Self {
        self.credentials_provider = Some(provider);
        self
    }
    /// Most idle connections kept open per host (default: no limit; 0 keeps none).
    pub fn pool_max_idle_per_host(mut self, n: u32) -> Self {
        self.pool_max_idle_per_host = Some(n);
        self
    }
    /// How long an idle pooled connection is kept (default 60 s).
    pub fn pool_idle_timeout(mut self, v: Duration) -> Self {
        self.pool_idle_timeout = Some(v);
        self
    }
    /// Which request `rename_tag` sends (default [`RenameTagForm::Auto`]). Config-file key
    /// `rename_tag_form`, variable `NECID_RENAME_TAG_FORM`.
    pub fn rename_tag_form(mut self, v: RenameTagForm) -> Self {
        self.rename_tag_form = Some(v);
        self
    }

    /// Validate and build.
    pub fn build(self) -> Result<Config> {
        let endpoint = normalize_endpoint(
            "endpoint",
            self.endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT),
        )?;
        let tenant_endpoint = normalize_endpoint(
            "tenant_endpoint",
            self.tenant_endpoint
                .as_deref()
                .unwrap_or(DEFAULT_TENANT_ENDPOINT),
        )?;
        let region = self.region.unwrap_or_else(|| DEFAULT_REGION.to_owned());
        if region.trim().is_empty() {
            return Err(Error::invalid_input("region", "must not be empty"));
        }
        let service = self.service.unwrap_or_else(|| DEFAULT_SERVICE.to_owned());
        if service.trim().is_empty() {
            return Err(Error::invalid_input("service", "must not be empty"));
        }
        let access_key_id = self.access_key_id.filter(|s| !s.is_empty());
        let secret_access_key = self.secret_access_key.filter(|s| !s.0.is_empty());
        match (&access_key_id, &secret_access_key) {
            (Some(_), None) => {
                return Err(Error::invalid_input(
                    "secret_access_key",
                    "an access key id was given without a secret access key",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::invalid_input(
                    "access_key_id",
                    "a secret access key was given without an access key id",
                ));
            }
            _ => {}
        }
        for (name, secret) in [
            ("secret_access_key", &secret_access_key),
            ("session_token", &self.session_token),
            ("api_key", &self.api_key),
        ] {
            if let Some(s) = secret
                && s.0.chars().any(|c| c.is_control())
            {
                return Err(Error::invalid_input(
                    name,
                    "contains control characters (check for a stray newline)",
                ));
            }
        }
        if let Some(id) = &access_key_id
            && id.chars().any(|c| c.is_control() || c == '/')
        {
            return Err(Error::invalid_input(
                "access_key_id",
                "contains '/' or control characters",
            ));
        }
        let connect_timeout = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let request_timeout = self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        if connect_timeout.is_zero() {
            return Err(Error::invalid_input("connect_timeout", "must be positive"));
        }
        if request_timeout.is_zero() {
            return Err(Error::invalid_input("request_timeout", "must be positive"));
        }
        if self.credentials_provider.is_some()
            && (access_key_id.is_some()
                || self.session_token.as_ref().is_some_and(|s| !s.0.is_empty()))
        {
            return Err(Error::invalid_input(
                "credentials_provider",
                "give either a credentials provider or static keys (access_key_id, \
                 secret_access_key, session_token), not both",
            ));
        }
        let pool_idle_timeout = self.pool_idle_timeout.unwrap_or(DEFAULT_POOL_IDLE_TIMEOUT);
        if pool_idle_timeout.is_zero() {
            return Err(Error::invalid_input(
                "pool_idle_timeout",
                "must be positive",
            ));
        }
        if let Some(p) = &self.proxy {
            check_proxy_url(p.expose())?;
        }
        let retry_policy = self.retry_policy.unwrap_or_default();
        if retry_policy.max_attempts == 0 {
            return Err(Error::invalid_input(
                "retry_policy.max_attempts",
                "must be at least 1",
            ));
        }
        if let Some(s) = &self.user_agent_suffix
            && s.chars().any(|c| c.is_control())
        {
            return Err(Error::invalid_input(
                "user_agent_suffix",
                "contains control characters",
            ));
        }
        let tls_roots = match (self.tls_roots, &self.ca_bundle) {
            (Some(TlsRoots::Custom), None) => {
                return Err(Error::invalid_input(
                    "ca_bundle",
                    "tls_roots = custom needs a CA bundle (ca_bundle / NECID_CA_BUNDLE)",
                ));
            }
            (Some(r), _) => r,
            (None, Some(_)) => TlsRoots::Custom,
            (None, None) => TlsRoots::Platform,
        };
        if let Some(CaBundle::File(p)) = &self.ca_bundle
            && p.as_os_str().is_empty()
        {
            return Err(Error::invalid_input("ca_bundle", "the path is empty"));
        }
        match (&self.client_cert, &self.client_key) {
            (Some(_), None) => {
                return Err(Error::invalid_input(
                    "client_key",
                    "a client certificate (client_cert) was given without its private key \
                     (client_key / NECID_CLIENT_KEY, or client_key_pem)",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::invalid_input(
                    "client_cert",
                    "a client private key (client_key) was given without its certificate \
                     (client_cert / NECID_CLIENT_CERT, or client_cert_pem)",
                ));
            }
            _ => {}
        }
        for (name, source) in [
            ("client_cert", &self.client_cert),
            ("client_key", &self.client_key),
        ] {
            match source {
                Some(PemSource::File(p)) if p.as_os_str().is_empty() => {
                    return Err(Error::invalid_input(name, "the path is empty"));
                }
                Some(PemSource::Pem(b)) if b.is_empty() => {
                    return Err(Error::invalid_input(name, "the PEM bytes are empty"));
                }
                _ => {}
            }
        }
        Ok(Config {
            endpoint,
            tenant_endpoint,
            region,
            service,
            access_key_id,
            secret_access_key,
            session_token: self.session_token.filter(|s| !s.0.is_empty()),
            api_key: self.api_key.filter(|s| !s.0.is_empty()),
            connect_timeout,
            request_timeout,
            retry_policy,
            user_agent_suffix: self.user_agent_suffix.filter(|s| !s.is_empty()),
            tls_roots,
            ca_bundle: self.ca_bundle,
            proxy: self.proxy,
            pool_max_idle_per_host: self.pool_max_idle_per_host,
            pool_idle_timeout,
            credentials_provider: self.credentials_provider,
            rename_tag_form: self.rename_tag_form.unwrap_or_default(),
            client_cert: self.client_cert,
            client_key: self.client_key,
        })
    }
}

/// A proxy URL: `http://` or `https://` with a host (SOCKS is not built in). The URL is never quoted (it may hold
/// a password).
fn check_proxy_url(raw: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::invalid_input(
            "proxy",
            format!("{why}: expected http://[user:password@]host:port"),
        ))
    };
    let Ok(url) = reqwest::Url::parse(raw) else {
        return bad("not a URL");
    };
    if !matches!(url.scheme(), "http" | "https") {
        return bad("the scheme must be http or https");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return bad("no host");
    }
    Ok(())
}

/// Seconds as text (profile file, environment). Timeouts must be positive; retry delays
/// may be zero.
fn parse_secs(key: &str, v: &str, origin: &str) -> Result<Duration> {
    let secs: f64 = v
        .parse()
        .map_err(|_| Error::invalid_input(key, format!("not a number of seconds in {origin}")))?;
    let zero_ok = !key.ends_with("_timeout");
    if !secs.is_finite() || secs < 0.0 || (secs == 0.0 && !zero_ok) || secs > 86_400.0 {
        return Err(Error::invalid_input(
            key,
            format!("must be between 0 and 86400 seconds in {origin}"),
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Check scheme and host; strip trailing slashes. Query strings and fragments are rejected.
fn normalize_endpoint(field: &str, raw: &str) -> Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed)
        .map_err(|e| Error::invalid_input(field, format!("not a valid URL ({e})")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(Error::invalid_input(field, "scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid_input(field, "has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_input(
            field,
            "must not contain a query or fragment",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid_input(
            field,
            "must not contain user information",
        ));
    }
    Ok(trimmed.to_owned())
}

fn profile_name(explicit: Option<&str>) -> String {
    explicit
        .map(str::to_owned)
        .or_else(|| std::env::var("NECID_PROFILE").ok())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".to_owned())
}

fn default_config_file_path() -> Option<PathBuf> {
    dirs::home_dir().map(|h| h.join(".necid").join("config"))
}

/// `NECID_CONFIG_FILE`, else `~/.necid/config`.
pub fn config_file_path() -> Option<PathBuf> {
    std::env::var("NECID_CONFIG_FILE")
        .ok()
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(default_config_file_path)
}

/// A setting's name as Node, Kotlin and Swift spell it: `tenant_endpoint` → `tenantEndpoint`.
#[doc(hidden)]
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut up = false;
    for c in name.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.push(c.to_ascii_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The settings table of `core/README.md`, rendered from [`CONFIG_KEYS`] (a test keeps
/// the README in step).
#[doc(hidden)]
pub fn render_settings_table() -> String {
    let mut t = String::from(
        "| setting (Rust, Python, profile key) | env var | type | default | Node option | C field | Kotlin / Swift | meaning |\n|---|---|---|---|---|---|---|---|\n",
    );
    for k in CONFIG_KEYS {
        let ms = if k.ty == ConfigType::Duration {
            "Ms"
        } else {
            ""
        };
        let c_ms = if k.ty == ConfigType::Duration {
            "_ms"
        } else {
            ""
        };
        t.push_str(&format!(
            "| `{}` | {} | {} | {} | `{}{ms}` | `{}{c_ms}` | `{}` | {} |\n",
            k.name,
            k.env.map_or_else(|| "—".to_owned(), |e| format!("`{e}`")),
            k.ty.as_str(),
            k.default,
            camel_case(k.name),
            k.name,
            camel_case(k.name),
            k.doc
        ));
    }
    t
}

/// Read a profile file; `Ok(None)` if it does not exist.
fn read_profile_file(path: &Path) -> Result<Option<HashMap<String, HashMap<String, String>>>> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_profiles(&text).map(Some).map_err(|(line, msg)| {
            Error::invalid_input("profile", format!("{}:{line}: {msg}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::invalid_input(
            "profile",
            format!("cannot read {}: {e}", path.display()),
        )
        .with_source(e)),
    }
}

/// Parse the INI-like profile format.
///
/// ```text
/// # comment            ; comment
/// [default]
/// access_key_id = AKID...
/// [profile staging]    # same as [staging]
/// endpoint = http://127.0.0.1:8080
/// ```
/// Keys: the names in [`CONFIG_KEYS`] (durations in seconds). Unknown keys are ignored;
/// keys before any section are an error.
pub fn parse_profiles(
    text: &str,
) -> std::result::Result<HashMap<String, HashMap<String, String>>, (usize, String)> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut current: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(inner) = rest.strip_suffix(']') else {
                return Err((line_no, "unterminated section header".to_owned()));
            };
            let inner = inner.trim();
            let name = inner
                .strip_prefix("profile ")
                .map(str::trim)
                .unwrap_or(inner);
            if name.is_empty() {
                return Err((line_no, "empty section name".to_owned()));
            }
            out.entry(name.to_owned()).or_default();
            current = Some(name.to_owned());
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err((line_no, "expected `key = value`".to_owned()));
        };
        let Some(section) = &current else {
            return Err((line_no, "setting outside any [section]".to_owned()));
        };
        let key = k.trim().to_ascii_lowercase().replace('-', "_");
        out.entry(section.clone())
            .or_default()
            .insert(key, v.trim().to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const TOKEN: &str = "session-token-value-0123456789";
    const API_KEY: &str = "api-key-value-abcdef";

    #[test]
    fn defaults() {
        let c = Config::builder().build().unwrap();
        assert_eq!(c.endpoint(), "https://api.id.nec.com.au");
        assert_eq!(c.tenant_endpoint(), "https://portal.id.nec.com.au");
        assert_eq!(c.region(), "ap-southeast-2");
        assert_eq!(c.service(), "execute-api");
        assert!(!c.has_credentials());
        assert_eq!(c.retry_policy().max_attempts, 3);
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Config::builder()
            .access_key_id("AKIDEXAMPLE")
            .secret_access_key(SECRET)
            .session_token(TOKEN)
            .api_key(API_KEY)
            .build()
            .unwrap();
        for text in [
            format!("{c:?}"),
            format!("{c:#?}"),
            format!("{:?}", c.to_builder()),
            format!("{:?}", crate::Client::new(c.clone()).unwrap()),
        ] {
            assert!(text.contains("AKIDEXAMPLE"), "{text}");
            for s in [SECRET, TOKEN, API_KEY] {
                assert!(!text.contains(s), "secret leaked in {text}");
            }
        }
        assert_eq!(format!("{}", Secret::new(SECRET)), "***");
    }

    #[test]
    fn builder_rejects_bad_settings() {
        let field = |b: ConfigBuilder| b.build().unwrap_err().field().map(str::to_owned);
        assert_eq!(
            field(Config::builder().endpoint("ftp://x")).as_deref(),
            Some("endpoint")
        );
        assert_eq!(
            field(Config::builder().endpoint("not a url")).as_deref(),
            Some("endpoint")
        );
        assert_eq!(
            field(Config::builder().tenant_endpoint("http://h/?q=1")).as_deref(),
            Some("tenant_endpoint")
        );
        assert_eq!(
            field(Config::builder().access_key_id("A")).as_deref(),
            Some("secret_access_key")
        );
        assert_eq!(
            field(Config::builder().secret_access_key("s")).as_deref(),
            Some("access_key_id")
        );
        assert_eq!(
            field(
                Config::builder()
                    .access_key_id("A")
                    .secret_access_key("s\n")
            )
            .as_deref(),
            Some("secret_access_key")
        );
        assert_eq!(
            field(Config::builder().request_timeout(Duration::ZERO)).as_deref(),
            Some("request_timeout")
        );
        let e = Config::builder().region(" ").build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        // Error text never carries the secret even when the secret is what's wrong.
        let e = Config::builder()
            .access_key_id("A")
            .secret_access_key(format!("{SECRET}\n"))
            .build()
            .unwrap_err();
        assert!(!e.to_string().contains(SECRET));
        // Trailing slash trimmed; path prefixes kept.
        let c = Config::builder()
            .endpoint("http://127.0.0.1:8080/prefix/")
            .build()
            .unwrap();
        assert_eq!(c.endpoint(), "http://127.0.0.1:8080/prefix");
    }

    #[test]
    fn profile_format() {
        let text = "# comment\n; other comment\n[default]\naccess_key_id = AKID1\nsecret_access_key=S1\n\n\
                    [profile staging]\nendpoint = http://127.0.0.1:9000\napi-key = K2\nunknown = x\n[plain]\nregion = us-east-1\n";
        let p = parse_profiles(text).unwrap();
        assert_eq!(p["default"]["access_key_id"], "AKID1");
        assert_eq!(p["default"]["secret_access_key"], "S1");
        assert_eq!(p["staging"]["endpoint"], "http://127.0.0.1:9000");
        assert_eq!(p["staging"]["api_key"], "K2");
        assert_eq!(p["plain"]["region"], "us-east-1");
        assert_eq!(parse_profiles("k = v\n").unwrap_err().0, 1);
        assert_eq!(parse_profiles("[a]\nnot a setting\n").unwrap_err().0, 2);
        assert!(parse_profiles("[a\n").is_err());
        assert!(parse_profiles("[]\n").is_err());
    }

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| vars.get(k).cloned()
    }

    #[test]
    fn env_over_profile_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(
            &file,
            "[default]\naccess_key_id = AKIDDEFAULT\nsecret_access_key = SDEFAULT\nregion = eu-west-1\n\
             [profile dev]\naccess_key_id = AKIDDEV\nsecret_access_key = SDEV\nendpoint = http://127.0.0.1:1\n\
             request_timeout = 2.5\nmax_attempts = 5\n",
        )
        .unwrap();
        let f = file.to_str().unwrap();
        let c = ConfigBuilder::from_lookup(lookup(&[("NECID_CONFIG_FILE", f)]))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.access_key_id(), Some("AKIDDEFAULT"));
        assert_eq!(c.region(), "eu-west-1");
        let c = ConfigBuilder::from_lookup(lookup(&[
            ("NECID_CONFIG_FILE", f),
            ("NECID_PROFILE", "dev"),
            ("NECID_ENDPOINT", "http://127.0.0.1:2"),
            ("NECID_API_KEY", API_KEY),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.access_key_id(), Some("AKIDDEV"));
        assert_eq!(c.endpoint(), "http://127.0.0.1:2", "environment wins");
        assert_eq!(c.request_timeout(), Duration::from_millis(2500));
        assert_eq!(c.retry_policy().max_attempts, 5);
        assert!(c.has_api_key());
        assert_eq!(c.region(), "ap-southeast-2");
        // A named profile that does not exist is an error; a missing default is not.
        let e = ConfigBuilder::from_lookup(lookup(&[
            ("NECID_CONFIG_FILE", f),
            ("NECID_PROFILE", "nope"),
        ]))
        .unwrap_err();
        assert_eq!(e.field(), Some("NECID_PROFILE"));
        let missing = dir.path().join("absent").to_str().unwrap().to_owned();
        let c = ConfigBuilder::from_lookup(lookup(&[
            ("NECID_CONFIG_FILE", &missing),
            ("NECID_ACCESS_KEY_ID", "AKIDENV"),
            ("NECID_SECRET_ACCESS_KEY", SECRET),
            ("NECID_SESSION_TOKEN", TOKEN),
            ("NECID_TENANT_ENDPOINT", "http://127.0.0.1:3"),
            ("NECID_REGION", "ap-southeast-4"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.access_key_id(), Some("AKIDENV"));
        assert!(c.has_session_token());
        assert_eq!(c.tenant_endpoint(), "http://127.0.0.1:3");
        assert_eq!(c.region(), "ap-southeast-4");
        // Bad numbers name the key and the file.
        std::fs::write(&file, "[default]\nrequest_timeout = soon\n").unwrap();
        let e = ConfigBuilder::from_lookup(lookup(&[("NECID_CONFIG_FILE", f)])).unwrap_err();
        assert_eq!(e.field(), Some("request_timeout"));
        assert!(e.message().contains("config"), "{e}");
    }

    /// A sample value per type, and how it shows in the built configuration.
    fn sample(key: &ConfigKey) -> ConfigValue {
        match key.ty {
            ConfigType::Text if key.name.ends_with("endpoint") => "http://127.0.0.1:9".into(),
            ConfigType::Text if key.name == "tls_roots" => "bundled".into(),
            ConfigType::Text if key.name == "ca_bundle" => "/etc/necid-test-ca.pem".into(),
            ConfigType::Text if key.name == "rename_tag_form" => "path".into(),
            ConfigType::Secret if key.name == "proxy" => "http://u:p4ss@127.0.0.1:3128".into(),
            ConfigType::Text | ConfigType::Secret => "sample".into(),
            ConfigType::Duration => Duration::from_millis(1234).into(),
            ConfigType::Count => 7u32.into(),
            ConfigType::Pem => b"-----BEGIN CERTIFICATE-----".to_vec().into(),
        }
    }

    #[test]
    fn set_reaches_every_setting() {
        // Every key of the table is accepted by `set` and changes the built configuration,
        // both as a typed value and as profile text.
        let base = Config::builder()
            .access_key_id("AKID")
            .secret_access_key("S")
            .build()
            .unwrap();
        let view = |c: &Config| format!("{c:?}|{}", c.secrets().join(","));
        for key in CONFIG_KEYS {
            // The client certificate and its key come in pairs: start with both (3-byte
            // PEM, which `Debug` shows as its length) and change one.
            let base = if key.name.starts_with("client_") {
                base.to_builder()
                    .client_cert_pem(b"PEM".to_vec())
                    .client_key_pem(b"PEM".to_vec())
                    .build()
                    .unwrap()
            } else {
                base.clone()
            };
            let b = base.to_builder().set(key.name, sample(key)).unwrap();
            let changed = b.build().unwrap();
            assert_ne!(view(&changed), view(&base), "{} changed nothing", key.name);
            let text = match sample(key) {
                ConfigValue::Text(t) => t,
                ConfigValue::Duration(d) => d.as_secs_f64().to_string(),
                ConfigValue::Count(n) => n.to_string(),
                ConfigValue::Bytes(b) => String::from_utf8(b).unwrap(),
            };
            let mut m = HashMap::new();
            m.insert(key.name.to_owned(), text);
            let from_text = base.to_builder().apply_profile(&m, "test").unwrap();
            let Some(env) = key.env else {
                // Code-only settings are not read from a profile.
                assert_eq!(
                    view(&from_text.build().unwrap()),
                    view(&base),
                    "{}",
                    key.name
                );
                continue;
            };
            assert_eq!(
                view(&from_text.build().unwrap()),
                view(&changed),
                "{}",
                key.name
            );
            assert!(ENV_VARS.contains(&env));
            assert_eq!(env, format!("NECID_{}", key.name.to_uppercase()));
        }
        assert_eq!(
            ENV_VARS.len(),
            CONFIG_KEYS.iter().filter(|k| k.env.is_some()).count() + 2
        );
        let e = Config::builder().set("max_retry_afterr", 1u32).unwrap_err();
        assert_eq!(e.field(), Some("max_retry_afterr"));
        let e = Config::builder()
            .set("endpoint", Duration::from_secs(1))
            .unwrap_err();
        assert_eq!(e.field(), Some("endpoint"));
        let e = Config::builder().set("max_attempts", "many").unwrap_err();
        assert_eq!(e.field(), Some("max_attempts"));
        let c = Config::builder()
            .set("max_retry_after", Duration::from_secs(2))
            .unwrap()
            .set("retry_base_delay", "0")
            .unwrap()
            .set("max_attempts", 5u32)
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.retry_policy().max_retry_after, Duration::from_secs(2));
        assert_eq!(c.retry_policy().base_delay, Duration::ZERO);
        assert_eq!(c.retry_policy().max_attempts, 5);
        assert_eq!(c.retry_policy().max_delay, Duration::from_secs(5));
        // Zero is a valid retry delay but not a timeout.
        let e = Config::builder().set("request_timeout", "0").unwrap_err();
        assert_eq!(e.field(), Some("request_timeout"));
        // A secret given as the value never shows in Debug.
        assert!(!format!("{:?}", ConfigValue::from(SECRET)).contains(SECRET));
    }

    #[test]
    fn readme_documents_every_setting() {
        // The one settings table (core/README.md) is rendered from CONFIG_KEYS.
        let readme = include_str!("../README.md");
        let table = render_settings_table();
        assert!(
            readme.contains(&table),
            "core/README.md's settings table is stale; replace it with:\n{table}"
        );
    }

    #[test]
    fn tls_roots_and_ca_bundle_settings() {
        assert_eq!(
            Config::builder().build().unwrap().tls_roots(),
            TlsRoots::Platform
        );
        let c = ConfigBuilder::from_lookup(lookup(&[
            ("NECID_CONFIG_FILE", "/nonexistent/necid-config"),
            ("NECID_TLS_ROOTS", "Bundled"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.tls_roots(), TlsRoots::Bundled);
        assert!(c.ca_bundle().is_none());
        // A CA bundle alone means only that bundle; with platform/bundled it is added.
        let c = ConfigBuilder::from_lookup(lookup(&[
            ("NECID_CONFIG_FILE", "/nonexistent/necid-config"),
            ("NECID_CA_BUNDLE", "/etc/my-ca.pem"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.tls_roots(), TlsRoots::Custom);
        assert_eq!(
            c.ca_bundle(),
            Some(&CaBundle::File(PathBuf::from("/etc/my-ca.pem")))
        );
        let mut profile = HashMap::new();
        profile.insert("tls_roots".to_owned(), "platform".to_owned());
        profile.insert("ca_bundle".to_owned(), "/etc/my-ca.pem".to_owned());
        let c = Config::builder()
            .apply_profile(&profile, "test")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.tls_roots(), TlsRoots::Platform);
        assert!(c.ca_bundle().is_some());
        assert_eq!(
            c.to_builder().build().unwrap().tls_roots(),
            TlsRoots::Platform
        );
        // Bad values name the setting.
        let e = ConfigBuilder::from_lookup(lookup(&[
            ("NECID_CONFIG_FILE", "/nonexistent/necid-config"),
            ("NECID_TLS_ROOTS", "system"),
        ]))
        .unwrap_err();
        assert_eq!(e.field(), Some("tls_roots"), "{e}");
        let e = Config::builder()
            .tls_roots(TlsRoots::Custom)
            .build()
            .unwrap_err();
        assert_eq!(e.field(), Some("ca_bundle"), "{e}");
        // PEM bytes never show in Debug output, only their length.
        let c = Config::builder().ca_bundle_pem(b"-----BEGIN CERTIFICATE-----".to_vec());
        assert!(format!("{c:?}").contains("Pem(27 bytes)"), "{c:?}");
    }

    #[test]
    fn retry_policy_delays() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_ceiling(1), Duration::from_millis(200));
        assert_eq!(p.backoff_ceiling(2), Duration::from_millis(400));
        assert_eq!(p.backoff_ceiling(3), Duration::from_millis(800));
        assert_eq!(p.backoff_ceiling(30), Duration::from_secs(5));
        for retry in 1..6 {
            for _ in 0..50 {
                assert!(p.delay(retry, None) <= p.backoff_ceiling(retry));
            }
        }
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(20),
            "Retry-After is capped"
        );
        assert_eq!(RetryPolicy::none().max_attempts, 1);
        assert_eq!(RetryPolicy::default().with_max_attempts(0).max_attempts, 1);
    }
}
