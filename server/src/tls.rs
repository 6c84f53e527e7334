//! HTTPS for the emulator (`necid serve --tls`): a private CA and a server certificate
//! for `localhost`, `127.0.0.1`, `::1` (and the listening host) generated at start, so
//! SDK tests can exercise real certificate verification on loopback.
//!
//! The CA's key never leaves memory; only the CA certificate is handed out (as PEM) for
//! clients to trust.
//!
//! With client authentication ([`TlsIdentity::generate_with_client_auth`], `necid serve
//! --tls-client-auth` / `--tls-client-ca FILE`) the handshake fails unless the client
//! presents a certificate issued by the emulator's CA (or one of the extra CAs given); a
//! client certificate and key signed by the emulator's CA are generated for tests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::ServerError;

/// Longest a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A generated CA and the server certificate it signed.
#[derive(Clone)]
pub struct TlsIdentity {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
    /// With client authentication: a client certificate and its key (PEM), signed by the
    /// CA, for tests to present.
    client: Option<(String, String)>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity").finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// A fresh CA (`necid emulator test CA`, valid for a week) and a server certificate for
    /// `localhost`, `127.0.0.1`, `::1` and each of `extra_names` (host names or IPs).
    pub fn generate(extra_names: &[String]) -> Result<TlsIdentity, ServerError> {
        Self::build(extra_names, None)
    }

    /// Like [`TlsIdentity::generate`], and the handshake requires a client certificate
    /// issued by the generated CA or by one of the CA certificates in `extra_client_cas`
    /// (PEM, may be empty). A client certificate and key signed by the generated CA are
    /// made for tests ([`TlsIdentity::client_cert_pem`], [`TlsIdentity::client_key_pem`]).
    pub fn generate_with_client_auth(
        extra_names: &[String],
        extra_client_cas: &[u8],
    ) -> Result<TlsIdentity, ServerError> {
        Self::build(extra_names, Some(extra_client_cas))
    }

    fn build(
        extra_names: &[String],
        client_auth: Option<&[u8]>,
    ) -> Result<TlsIdentity, ServerError> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let fail = |what: &str, e: rcgen::Error| ServerError::Config(format!("TLS: {what}: {e}"));
        let now = time::OffsetDateTime::now_utc();
        let ca_key = KeyPair::generate().map_err(|e| fail("CA key", e))?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(|e| fail("CA", e))?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "necid emulator test CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        ca.not_before = now - time::Duration::hours(1);
        ca.not_after = now + time::Duration::days(7);
        let ca_cert = ca.self_signed(&ca_key).map_err(|e| fail("CA", e))?;
        let issuer = Issuer::new(ca, ca_key);

        let mut names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        for n in extra_names {
            let n = n.trim().trim_start_matches('[').trim_end_matches(']');
            if !n.is_empty() && !names.iter().any(|m| m == n) && n != "0.0.0.0" && n != "::" {
                names.push(n.to_owned());
            }
        }
        let leaf_key = KeyPair::generate().map_err(|e| fail("server key", e))?;
        let mut leaf = CertificateParams::new(names).map_err(|e| fail("server names", e))?;
        leaf.distinguished_name
            .push(DnType::CommonName, "necid emulator");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.not_before = now - time::Duration::hours(1);
        leaf.not_after = now + time::Duration::days(7);
        let leaf_cert = leaf
            .signed_by(&leaf_key, &issuer)
            .map_err(|e| fail("server certificate", e))?;

        let chain = vec![leaf_cert.der().clone(), ca_cert.der().clone()];
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
        );
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls_err = |e: &dyn std::fmt::Display| ServerError::Config(format!("TLS: {e}"));
        // With client authentication only TLS 1.2 is offered: there the server's verdict on
        // the client certificate arrives within the handshake, so a client always sees the
        // refusal (a TLS alert). With TLS 1.3 the client's handshake is complete before the
        // server has checked its certificate, and the alert races the first request: the
        // client may only see a closed connection.
        let versions: &[&'static rustls::SupportedProtocolVersion] = if client_auth.is_some() {
            &[&rustls::version::TLS12]
        } else {
            rustls::DEFAULT_VERSIONS
        };
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .map_err(|e| tls_err(&e))?;
        let mut client = None;
        let builder = match client_auth {
            None => builder.with_no_client_auth(),
            Some(extra) => {
                use rustls::pki_types::CertificateDer;
                use rustls::pki_types::pem::PemObject;
                let mut roots = rustls::RootCertStore::empty();
                roots.add(ca_cert.der().clone()).map_err(|e| tls_err(&e))?;
                for cert in CertificateDer::pem_slice_iter(extra) {
                    let cert = cert.map_err(|e| {
                        ServerError::Config(format!("TLS: the client CA file: {e}"))
                    })?;
                    roots.add(cert).map_err(|e| {
                        ServerError::Config(format!("TLS: the client CA file: {e}"))
                    })?;
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .map_err(|e| tls_err(&e))?;
                let client_key = KeyPair::generate().map_err(|e| fail("client key", e))?;
                let mut params =
                    CertificateParams::new(Vec::<String>::new()).map_err(|e| fail("client", e))?;
                params
                    .distinguished_name
                    .push(DnType::CommonName, "necid emulator test client");
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
                params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
                params.not_before = now - time::Duration::hours(1);
                params.not_after = now + time::Duration::days(7);
                let client_cert = params
                    .signed_by(&client_key, &issuer)
                    .map_err(|e| fail("client certificate", e))?;
                client = Some((client_cert.pem(), client_key.serialize_pem()));
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut server = builder
            .with_single_cert(chain, key)
            .map_err(|e| tls_err(&e))?;
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsIdentity {
            ca_pem: ca_cert.pem(),
            server: Arc::new(server),
            client,
        })
    }

    /// Whether the handshake requires a client certificate.
    pub fn requires_client_cert(&self) -> bool {
        self.client.is_some()
    }

    /// With client authentication: the generated client certificate (PEM), signed by the
    /// CA; a test credential.
    pub fn client_cert_pem(&self) -> Option<&str> {
        self.client.as_ref().map(|(c, _)| c.as_str())
    }

    /// With client authentication: the generated client certificate's private key (PEM);
    /// a test credential, never logged.
    pub fn client_key_pem(&self) -> Option<&str> {
        self.client.as_ref().map(|(_, k)| k.as_str())
    }

    /// The CA certificate (PEM) clients must trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
}

/// An axum listener that completes TLS handshakes concurrently (one task each, with a
/// timeout) and yields only finished TLS streams; a stalled client never blocks others.
pub(crate) struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<tokio::net::TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    pub(crate) fn new(tcp: TcpListener, identity: &TlsIdentity) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(identity.server.clone());
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    a = tcp.accept() => a,
                    () = tx.closed() => return,
                };
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::debug!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { rx, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(x) => x,
            // The accept task only ends when this listener is dropped, so this is never
            // reached while serving; wait forever rather than spin.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
