//! Which certificate authorities `https://` connections trust, and building the HTTP
//! client's TLS set-up from that choice.
//!
//! - [`TlsRoots::Platform`] (default): the operating system's verifier — Security.framework
//!   on macOS/iOS, the Windows certificate store, Android's `X509TrustManager` (after
//!   [`mark_android_platform_verifier_ready`], which the Kotlin package's `initAndroid` calls;
//!   before that Android falls back to the bundled roots instead of crashing), and on Linux
//!   and other Unixes the system store (`/etc/ssl/certs`…). `SSL_CERT_FILE` /
//!   `SSL_CERT_DIR`, when set, *replace* the system store on every platform (as OpenSSL, Go
//!   and curl do on Unix).
//! - [`TlsRoots::Bundled`]: Mozilla's root program, compiled in (`webpki-root-certs`); no
//!   system store needed (slim containers, or to pin the set).
//! - [`TlsRoots::Custom`]: only the given CA bundle (PEM file or bytes).
//!
//! A CA bundle given with `Platform` or `Bundled` is trusted *in addition* to those roots.
//!
//! A client never needs a trust store to be built or to talk to an `http://` endpoint: when
//! the system store is empty or unreadable, construction still succeeds and only an
//! `https://` request fails, before anything is sent, with an
//! [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error whose `field` is
//! `"tls_roots"` and whose message names the cause and the three fixes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use reqwest::Certificate;

use crate::error::{Error, ErrorKind, Result};

/// Which certificate authorities `https://` connections trust (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum TlsRoots {
    /// The operating system's verifier: Security.framework on iOS/macOS, Android's trust
    /// manager (after `Necid.initAndroid(context)`; bundled roots until then), the system
    /// store on Linux (`SSL_CERT_FILE`/`SSL_CERT_DIR` replace it when set). The default.
    #[default]
    Platform,
    /// Mozilla's roots compiled into the SDK.
    Bundled,
    /// Only the configured CA bundle.
    Custom,
}

impl TlsRoots {
    /// The setting's value as written in config files and environment variables.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsRoots::Platform => "platform",
            TlsRoots::Bundled => "bundled",
            TlsRoots::Custom => "custom",
        }
    }

    /// Parse `platform`, `bundled` or `custom` (case-insensitive).
    pub fn parse(value: &str) -> Option<TlsRoots> {
        match value.trim().to_ascii_lowercase().as_str() {
            "platform" => Some(TlsRoots::Platform),
            "bundled" => Some(TlsRoots::Bundled),
            "custom" => Some(TlsRoots::Custom),
            _ => None,
        }
    }
}

impl fmt::Display for TlsRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CA bundle: PEM certificates, from a file or given as bytes.
#[derive(Clone, PartialEq, Eq)]
pub enum CaBundle {
    /// A PEM file, read when the client is built.
    File(PathBuf),
    /// PEM text.
    Pem(Arc<[u8]>),
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaBundle::File(p) => f.debug_tuple("File").field(p).finish(),
            CaBundle::Pem(b) => write!(f, "Pem({} bytes)", b.len()),
        }
    }
}

static ANDROID_VERIFIER_READY: AtomicBool = AtomicBool::new(false);

/// Record that the Android platform verifier has been initialised (its JNI `init` ran with
/// an application `Context`). The Kotlin package's `Necid.initAndroid(context)` calls this;
/// clients built afterwards with [`TlsRoots::Platform`] use Android's verifier, clients
/// built before use the bundled roots. Harmless (and without effect) on other platforms.
pub fn mark_android_platform_verifier_ready() {
    ANDROID_VERIFIER_READY.store(true, Ordering::Release);
}

/// Whether [`mark_android_platform_verifier_ready`] has been called.
pub fn android_platform_verifier_ready() -> bool {
    ANDROID_VERIFIER_READY.load(Ordering::Acquire)
}

/// The fix text every "no trust store" message ends with.
const FIX: &str = "install the ca-certificates package (or the platform's equivalent), \
                   or set tls_roots = bundled (NECID_TLS_ROOTS=bundled) to use the roots \
                   built into the SDK, or give a CA bundle (ca_bundle / NECID_CA_BUNDLE)";

/// The HTTP client and, when the configured store could not be loaded, why `https://`
/// requests cannot be made (they then fail with that message, before any I/O).
pub(crate) struct Built {
    pub(crate) http: reqwest::Client,
    pub(crate) https_unavailable: Option<Arc<str>>,
}

/// The Mozilla roots, parsed once per process.
fn bundled_roots() -> Result<Vec<Certificate>> {
    static ROOTS: OnceLock<std::result::Result<Vec<Certificate>, String>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|der| Certificate::from_der(der.as_ref()).map_err(|e| e.to_string()))
                .collect()
        })
        .clone()
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("tls_roots: the bundled root certificates cannot be loaded ({e})"),
            )
            .with_field("tls_roots")
        })
}

/// Certificates of an explicitly configured CA bundle. Unreadable, empty or malformed is
/// an `InvalidInput` error naming `ca_bundle` (an explicit setting is checked eagerly).
fn load_ca_bundle(bundle: &CaBundle) -> Result<Vec<Certificate>> {
    let (bytes, origin): (std::borrow::Cow<'_, [u8]>, String) = match bundle {
        CaBundle::File(path) => match std::fs::read(path) {
            Ok(b) => (b.into(), path.display().to_string()),
            Err(e) => {
                return Err(Error::invalid_input(
                    "ca_bundle",
                    format!("cannot read the CA bundle {}: {e}", path.display()),
                )
                .with_source(e));
            }
        },
        CaBundle::Pem(b) => (b.as_ref().into(), "the PEM bytes given".to_owned()),
    };
    let certs = Certificate::from_pem_bundle(&bytes).map_err(|e| {
        Error::invalid_input(
            "ca_bundle",
            format!("{origin} is not a PEM certificate bundle: {e}"),
        )
    })?;
    if certs.is_empty() {
        return Err(Error::invalid_input(
            "ca_bundle",
            format!("no PEM certificates (-----BEGIN CERTIFICATE-----) in {origin}"),
        ));
    }
    Ok(certs)
}

/// `SSL_CERT_FILE` / `SSL_CERT_DIR`, when either is set to something non-empty.
fn ssl_cert_env() -> Option<(Option<PathBuf>, Vec<PathBuf>)> {
    let file = std::env::var_os("SSL_CERT_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let dirs: Vec<PathBuf> = std::env::var_os("SSL_CERT_DIR")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if file.is_none() && dirs.is_empty() {
        None
    } else {
        Some((file, dirs))
    }
}

/// The certificates under `SSL_CERT_FILE` and every `SSL_CERT_DIR` entry (unreadable or
/// non-PEM files are skipped, as OpenSSL does).
fn load_env_store(file: Option<&Path>, dirs: &[PathBuf]) -> Vec<Certificate> {
    let mut out = Vec::new();
    let mut add = |path: &Path| {
        if let Ok(bytes) = std::fs::read(path)
            && let Ok(certs) = Certificate::from_pem_bundle(&bytes)
        {
            out.extend(certs);
        }
    };
    if let Some(f) = file {
        add(f);
    }
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p.is_file() {
                add(&p);
            }
        }
    }
    out
}

fn describe_env(file: Option<&Path>, dirs: &[PathBuf]) -> String {
    let mut parts = Vec::new();
    if let Some(f) = file {
        parts.push(format!("SSL_CERT_FILE={}", f.display()));
    }
    if !dirs.is_empty() {
        let joined: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        parts.push(format!("SSL_CERT_DIR={}", joined.join(":")));
    }
    parts.join(", ")
}

fn builder_error(field: &str, e: reqwest::Error) -> Error {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    Error::invalid_input(field, format!("cannot set up TLS: {msg}")).with_source(e)
}

/// Build the HTTP client for `roots` (+ `bundle`) on top of `base` (timeouts, pool…).
pub(crate) fn build(
    base: impl Fn() -> reqwest::ClientBuilder,
    roots: TlsRoots,
    bundle: Option<&CaBundle>,
) -> Result<Built> {
    let extra = match bundle {
        Some(b) => load_ca_bundle(b)?,
        None => Vec::new(),
    };
    let ready = |http| Built {
        http,
        https_unavailable: None,
    };
    match roots {
        TlsRoots::Custom => {
            if extra.is_empty() {
                return Err(Error::invalid_input(
                    "ca_bundle",
                    "tls_roots = custom needs a CA bundle (ca_bundle / NECID_CA_BUNDLE)",
                ));
            }
            base()
                .tls_certs_only(extra)
                .build()
                .map(ready)
                .map_err(|e| builder_error("ca_bundle", e))
        }
        TlsRoots::Bundled => build_bundled(&base, extra),
        TlsRoots::Platform => build_platform(&base, extra),
    }
}

fn build_bundled(
    base: &impl Fn() -> reqwest::ClientBuilder,
    extra: Vec<Certificate>,
) -> Result<Built> {
    let mut certs = bundled_roots()?;
    let field = if extra.is_empty() {
        "tls_roots"
    } else {
        "ca_bundle"
    };
    certs.extend(extra);
    base()
        .tls_certs_only(certs)
        .build()
        .map(|http| Built {
            http,
            https_unavailable: None,
        })
        .map_err(|e| builder_error(field, e))
}

/// A client that can still speak plain HTTP, recording why HTTPS is impossible.
fn without_store(base: &impl Fn() -> reqwest::ClientBuilder, why: String) -> Result<Built> {
    tracing::warn!("{why}");
    let http = base()
        .tls_certs_only(Vec::new())
        .build()
        .map_err(|e| builder_error("tls_roots", e))?;
    Ok(Built {
        http,
        https_unavailable: Some(why.into()),
    })
}

/// Whether the platform verifier itself reads `SSL_CERT_FILE`/`SSL_CERT_DIR` (Linux and
/// the BSDs: rustls-native-certs loads only those when set). Elsewhere the SDK reads them.
const VERIFIER_READS_SSL_CERT_ENV: bool = cfg!(all(
    unix,
    not(target_os = "android"),
    not(target_vendor = "apple")
));

fn build_platform(
    base: &impl Fn() -> reqwest::ClientBuilder,
    extra: Vec<Certificate>,
) -> Result<Built> {
    let env = ssl_cert_env();
    if !VERIFIER_READS_SSL_CERT_ENV && let Some((file, dirs)) = &env {
        let (file, dirs) = (file.clone(), dirs.clone());
        let mut certs = load_env_store(file.as_deref(), &dirs);
        if certs.is_empty() && extra.is_empty() {
            return without_store(
                base,
                format!(
                    "no CA certificates found in the system store ({} hold none or cannot be \
                     read); {FIX}",
                    describe_env(file.as_deref(), &dirs)
                ),
            );
        }
        certs.extend(extra);
        return match base().tls_certs_only(certs).build() {
            Ok(http) => Ok(Built {
                http,
                https_unavailable: None,
            }),
            Err(e) => without_store(
                base,
                format!(
                    "the CA certificates in {} cannot be used ({e}); {FIX}",
                    describe_env(file.as_deref(), &dirs)
                ),
            ),
        };
    }
    if cfg!(target_os = "android") && !android_platform_verifier_ready() {
        // rustls-platform-verifier panics at the first handshake until its JNI init ran:
        // use the compiled-in roots instead (Necid.initAndroid(context) switches later
        // clients to Android's own verifier).
        tracing::info!(
            "Android platform verifier not initialised (call Necid.initAndroid(context)); \
             using the bundled root certificates"
        );
        return build_bundled(base, extra);
    }
    if cfg!(target_os = "android") && !extra.is_empty() {
        return Err(Error::invalid_input(
            "ca_bundle",
            "on Android a CA bundle cannot be added to the platform verifier; set \
             tls_roots = custom (only the bundle) or bundled (bundled roots + the bundle), \
             or install the CA in Android's user store and declare it in the app's network \
             security config",
        ));
    }
    let builder = if extra.is_empty() {
        base()
    } else {
        base().tls_certs_merge(extra)
    };
    match builder.build() {
        Ok(http) => Ok(Built {
            http,
            https_unavailable: None,
        }),
        Err(e) => {
            let mut detail = String::new();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                if !detail.is_empty() {
                    detail.push_str(": ");
                }
                // rustls prints its `General` errors as "unexpected error: …".
                detail.push_str(s.to_string().trim_start_matches("unexpected error: "));
                src = s.source();
            }
            if detail.is_empty() {
                detail = e.to_string();
            }
            if let Some((file, dirs)) = &env {
                detail = format!(
                    "{detail}; read from {}",
                    describe_env(file.as_deref(), dirs)
                );
            }
            without_store(
                base,
                format!("no CA certificates found in the system store ({detail}); {FIX}"),
            )
        }
    }
}

/// Whether a transport error message is a failed certificate verification (rustls's
/// `invalid peer certificate: …`).
pub(crate) fn is_certificate_error(message: &str) -> bool {
    message.contains("invalid peer certificate")
}

/// The hint appended to a certificate-verification failure.
pub(crate) fn certificate_hint(roots: TlsRoots, bundle: Option<&CaBundle>) -> String {
    let using = match (roots, bundle) {
        (TlsRoots::Custom, _) => "only the configured CA bundle".to_owned(),
        (TlsRoots::Bundled, None) => "the bundled Mozilla roots (tls_roots = bundled)".to_owned(),
        (TlsRoots::Bundled, Some(_)) => {
            "the bundled Mozilla roots and the configured CA bundle".to_owned()
        }
        (TlsRoots::Platform, None) => {
            "the platform's trust store (tls_roots = platform)".to_owned()
        }
        (TlsRoots::Platform, Some(_)) => {
            "the platform's trust store and the configured CA bundle".to_owned()
        }
    };
    format!(
        "TLS certificate verification failed: the server's certificate is not trusted by \
         {using}; if the server uses a private or self-signed CA, give that CA's certificate \
         as the CA bundle (ca_bundle / NECID_CA_BUNDLE)"
    )
}

/// PEM data from a file (read when the client is built) or given as bytes: the client
/// certificate chain or its private key (mutual TLS). Its `Debug` shows the path or the
/// length, never the contents.
#[derive(Clone, PartialEq, Eq)]
pub enum PemSource {
    /// A PEM file, read when the client is built.
    File(PathBuf),
    /// PEM text.
    Pem(Arc<[u8]>),
}

impl fmt::Debug for PemSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemSource::File(p) => f.debug_tuple("File").field(p).finish(),
            PemSource::Pem(b) => write!(f, "Pem({} bytes)", b.len()),
        }
    }
}

impl PemSource {
    /// The bytes and how to name their origin in a message (the path, never the content).
    fn read(&self, field: &'static str, what: &str) -> Result<(Vec<u8>, String)> {
        match self {
            PemSource::File(path) => match std::fs::read(path) {
                Ok(b) => Ok((b, path.display().to_string())),
                Err(e) => Err(Error::invalid_input(
                    field,
                    format!("cannot read the {what} {}: {e}", path.display()),
                )
                .with_source(e)),
            },
            PemSource::Pem(b) => Ok((b.to_vec(), format!("the {what} PEM bytes given"))),
        }
    }
}

/// The client certificate (mutual TLS), checked when the client is built: the chain and
/// the key are read and parsed, and the key must belong to the first certificate. Every
/// failure is `InvalidInput` naming `client_cert` or `client_key` and the file, never the
/// key's content.
pub(crate) fn load_client_identity(cert: &PemSource, key: &PemSource) -> Result<reqwest::Identity> {
    use base64::Engine as _;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let (cert_bytes, cert_origin) = cert.read("client_cert", "client certificate")?;
    let certs = CertificateDer::pem_slice_iter(&cert_bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            Error::invalid_input(
                "client_cert",
                format!("{cert_origin} is not a PEM certificate file: {e}"),
            )
        })?;
    if certs.is_empty() {
        return Err(Error::invalid_input(
            "client_cert",
            format!("no PEM certificate (-----BEGIN CERTIFICATE-----) in {cert_origin}"),
        ));
    }
    let (key_bytes, key_origin) = key.read("client_key", "client key")?;
    // The parser's own message may quote a line of the key: only say which check failed.
    let key_der = match PrivateKeyDer::from_pem_slice(&key_bytes) {
        Ok(k) => k,
        Err(rustls::pki_types::pem::Error::NoItemsFound) => {
            return Err(Error::invalid_input(
                "client_key",
                format!(
                    "no PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC) in {key_origin}"
                ),
            ));
        }
        Err(_) => {
            return Err(Error::invalid_input(
                "client_key",
                format!("{key_origin} is not a valid PEM private key"),
            ));
        }
    };
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    if let Err(e) =
        rustls::sign::CertifiedKey::from_der(certs.clone(), key_der.clone_key(), &provider)
    {
        let why = match e {
            rustls::Error::InconsistentKeys(_) => format!(
                "the private key in {key_origin} does not belong to the certificate in \
                 {cert_origin}"
            ),
            _ => format!(
                "the private key in {key_origin} cannot be used with the certificate in \
                 {cert_origin} (an RSA, ECDSA or Ed25519 key is needed)"
            ),
        };
        return Err(Error::invalid_input("client_key", why));
    }
    // reqwest takes the identity as PEM: write the parsed items back as clean PEM.
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut pem = String::new();
    let mut section = |label: &str, der: &[u8]| {
        pem.push_str(&format!("-----BEGIN {label}-----\n"));
        let text = b64.encode(der);
        for line in text.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str(&format!("-----END {label}-----\n"));
    };
    for c in &certs {
        section("CERTIFICATE", c.as_ref());
    }
    let label = match &key_der {
        PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
        PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
        _ => "PRIVATE KEY",
    };
    section(label, key_der.secret_der());
    reqwest::Identity::from_pem(pem.as_bytes()).map_err(|_| {
        Error::invalid_input(
            "client_cert",
            format!("the client certificate in {cert_origin} cannot be used"),
        )
    })
}

/// Whether a transport error is the server refusing our side of the handshake: it asked
/// for a client certificate and got none, or one it does not trust (TLS alerts). With a
/// certificate configured, `DecryptError` counts too: a verifier that finds a trusted CA of
/// the same name whose signature does not match (another CA with the same name) says so.
pub(crate) fn is_client_certificate_rejection(message: &str, configured: bool) -> bool {
    (configured && message.contains("received fatal alert: DecryptError"))
        || [
            "received fatal alert: CertificateRequired",
            "received fatal alert: BadCertificate",
            "received fatal alert: UnknownCA",
            "received fatal alert: UnsupportedCertificate",
            "received fatal alert: CertificateUnknown",
            "received fatal alert: CertificateRevoked",
            "received fatal alert: CertificateExpired",
            "received fatal alert: AccessDenied",
        ]
        .iter()
        .any(|m| message.contains(m))
}

/// The hint for [`is_client_certificate_rejection`].
pub(crate) fn client_certificate_hint(configured: bool) -> &'static str {
    if configured {
        "TLS handshake refused by the server: it does not accept the client certificate \
         (client_cert / NECID_CLIENT_CERT); give one issued by a CA the server trusts"
    } else {
        "TLS handshake refused by the server: it requires a client certificate; give one \
         with its key (client_cert and client_key / NECID_CLIENT_CERT and NECID_CLIENT_KEY)"
    }
}
