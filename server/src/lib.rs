//! `necid-server`: a local emulator of the NEC ID face-biometrics service.
//!
//! It serves the biometric API under `/v1.1/...` and the tenant API under `/api/...` on
//! one port, checks AWS SigV4 signatures with its own verifier ([`sigv4`]), maps
//! `x-api-key`s to galleries, stores everything in SQLite ([`Storage`]) and compares
//! faces through the [`FaceEngine`] trait ([`DeterministicEngine`] by default).
//!
//! ```no_run
//! # async fn demo() -> Result<(), necid_server::ServerError> {
//! let server = necid_server::start(necid_server::ServerConfig::default()).await?;
//! println!("listening on {}", server.endpoint());
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! See the crate README for how the emulator differs from the real service.

mod admin;
mod api;
pub mod config;
mod conn;
mod console;
mod cors;
mod crop;
pub mod engine;
mod error;
pub mod faults;
mod http;
mod inject;
pub mod intake;
mod jobs;
mod real_engine;
pub mod record;
mod seed;
pub mod sigv4;
mod store;
mod tenant;
pub mod throttle;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use admin::ADMIN_API_VERSION;
pub use config::{
    DEFAULT_GALLERY_ID, DEV_ACCESS_KEY_ID, DEV_API_KEY, DEV_SECRET_ACCESS_KEY, DevCredentials,
    EngineChoice, GallerySeed, Limits, REGION, RenameTagRoutes, SERVICE, ServerConfig, Storage,
};
pub use engine::{DetectedFace, DeterministicEngine, EngineError, FaceAttributes, FaceEngine};
pub use real_engine::RealEngine;
pub use tls::TlsIdentity;

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The configuration is invalid or its file unreadable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The requested address.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The database could not be opened or initialised.
    #[error("cannot open the database: {0}")]
    Storage(String),
}

/// A running emulator. Dropping it stops accepting new connections at once, without a
/// graceful shutdown (how tests simulate a crash; already-open keep-alive connections may
/// still be served until they close); [`RunningServer::shutdown`] stops gracefully.
pub struct RunningServer {
    addr: SocketAddr,
    credentials: DevCredentials,
    tls: Option<TlsIdentity>,
    admin_token: String,
    state: http::Shared,
    shutdown_tx: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// `http://HOST:PORT` (`https://` when serving TLS), the value for the client's endpoint.
    pub fn endpoint(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// With TLS: the PEM certificate of the CA that signed the server's certificate.
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(TlsIdentity::ca_pem)
    }

    /// With TLS client authentication: a client certificate (PEM) the server accepts.
    pub fn client_cert_pem(&self) -> Option<&str> {
        self.tls.as_ref().and_then(TlsIdentity::client_cert_pem)
    }

    /// With TLS client authentication: that client certificate's private key (PEM).
    pub fn client_key_pem(&self) -> Option<&str> {
        self.tls.as_ref().and_then(TlsIdentity::client_key_pem)
    }

    /// The bound address (the real port when the config asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The admin API's token (`Authorization: Bearer TOKEN` on `/_admin/v1/...`).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// `ENDPOINT/_admin/v1`, the admin API's base URL.
    pub fn admin_endpoint(&self) -> String {
        format!("{}/_admin/v1", self.endpoint())
    }

    /// `ENDPOINT/_console/`, the web console, or `None` when it is off
    /// (`ServerConfig::console`).
    pub fn console_url(&self) -> Option<String> {
        self.state
            .console
            .then(|| format!("{}/_console/", self.endpoint()))
    }

    /// What `ServerConfig::seed_dir` registered: `{file, subjectId, eventId}` per picture.
    pub fn seeded(&self) -> Vec<serde_json::Value> {
        self.state
            .seeded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The credentials this server accepts.
    pub fn credentials(&self) -> &DevCredentials {
        &self.credentials
    }

    /// Name of the face engine in use (as `/v1.1/health` reports it).
    pub fn engine_name(&self) -> String {
        self.state.engine.name().to_owned()
    }

    /// Stops accepting connections, lets in-flight requests finish, stops bulk jobs
    /// between records, and waits for the server task to end.
    pub async fn shutdown(mut self) {
        self.state.stopping.store(true, Ordering::Relaxed);
        if let Some(tx) = self.shutdown_tx.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!("server ended with an error: {e}"),
                Err(e) => tracing::warn!("server task failed: {e}"),
            }
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            self.state.stopping.store(true, Ordering::Relaxed);
            task.abort();
        }
    }
}

/// Opens the storage, binds the address and serves in a background task.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    let engine: Arc<dyn FaceEngine> = match config.engine {
        EngineChoice::Deterministic => Arc::new(DeterministicEngine::new()),
        EngineChoice::Real => {
            RealEngine::shared().map_err(|e| ServerError::Config(e.to_string()))?
        }
    };
    start_with_engine(config, engine).await
}

/// Like [`start`] with a caller-supplied engine (`config.engine` is ignored). This is the
/// seam for engines that live in other crates.
pub async fn start_with_engine(
    config: ServerConfig,
    engine: Arc<dyn FaceEngine>,
) -> Result<RunningServer, ServerError> {
    config.validate()?;
    let store = {
        let (storage, creds, size, seeds) = (
            config.storage.clone(),
            config.credentials.clone(),
            config.limits.default_gallery_size,
            config.galleries.clone(),
        );
        tokio::task::spawn_blocking(move || store::Store::open(&storage, &creds, size, &seeds))
            .await
            .map_err(|e| ServerError::Storage(e.to_string()))?
            .map_err(|e| ServerError::Storage(e.to_string()))?
    };
    match store.switch_engine(engine.name()) {
        Ok(Some(previous)) => tracing::warn!(
            "this database holds templates made by the {previous:?} engine; the {:?} engine \
             cannot match them (re-register those subjects)",
            engine.name()
        ),
        Ok(None) => {}
        Err(e) => return Err(ServerError::Storage(e.to_string())),
    }
    let addr_text = format!("{}:{}", config.host, config.port);
    let listener = tokio::net::TcpListener::bind((config.host.as_str(), config.port))
        .await
        .map_err(|source| ServerError::Bind {
            addr: addr_text.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: addr_text,
        source,
    })?;
    let admin_token = config.admin_token.clone().unwrap_or_else(random_token);
    let faults = faults::Faults::new(&config.faults).map_err(ServerError::Config)?;
    let recorder = record::Recorder::new(config.record_dir.as_deref(), config.record_memory)
        .map_err(|e| {
            ServerError::Config(format!(
                "cannot write the record folder {}: {e}",
                config
                    .record_dir
                    .as_deref()
                    .unwrap_or_else(|| std::path::Path::new(""))
                    .display()
            ))
        })?;
    let state: http::Shared = Arc::new(http::AppState {
        faults,
        throttle: throttle::Throttle::new(config.throttle),
        strict: AtomicBool::new(config.strict),
        recorder,
        seeded: std::sync::Mutex::new(Vec::new()),
        console: config.console,
        loopback: addr.ip().is_loopback(),
        rename_tag_routes: config.rename_tag_routes,
        admin_token: admin_token.clone(),
        decoders: intake::DecodePool::new("necid-decode", config.limits.decode_slots())
            .map_err(|e| ServerError::Config(format!("cannot start the decode threads: {e}")))?,
        request_cpu: intake::DecodePool::new(
            "necid-cpu",
            std::thread::available_parallelism().map_or(2, usize::from),
        )
        .map_err(|e| ServerError::Config(format!("cannot start the request threads: {e}")))?,
        store: Arc::new(store),
        engine,
        creds: config.credentials.clone(),
        limits: config.limits.clone(),
        cors_origins: config.cors_origins.clone(),
        bucket_dir: config.bucket_dir.clone(),
        stopping: AtomicBool::new(false),
    });
    match state.store.pending_jobs() {
        Ok(pending) => {
            for (batch, gallery) in pending {
                jobs::spawn_batch(state.clone(), gallery, batch, None);
            }
        }
        Err(e) => return Err(ServerError::Storage(e.to_string())),
    }
    if let Some(dir) = &config.seed_dir {
        let seeded = seed::run(&state, dir).await?;
        tracing::info!("seeded {} pictures from {}", seeded.len(), dir.display());
        *state.seeded.lock().unwrap_or_else(|p| p.into_inner()) = seeded;
    }
    let router = http::app(state.clone());
    let service = tower::Layer::layer(
        &axum::middleware::from_fn_with_state(state.clone(), http::front),
        router,
    );
    let (tx, rx) = oneshot::channel::<()>();
    let make_service =
        axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
            conn::ConnTag,
        >(service);
    let stop = async move {
        let _ = rx.await;
    };
    let task = match &config.tls {
        None => tokio::spawn(async move {
            axum::serve(conn::ConnListener(listener), make_service)
                .with_graceful_shutdown(stop)
                .await
        }),
        Some(identity) => {
            let listener =
                tls::TlsListener::new(listener, identity).map_err(|source| ServerError::Bind {
                    addr: addr.to_string(),
                    source,
                })?;
            tokio::spawn(async move {
                axum::serve(conn::ConnListener(listener), make_service)
                    .with_graceful_shutdown(stop)
                    .await
            })
        }
    };
    Ok(RunningServer {
        addr,
        credentials: config.credentials,
        tls: config.tls,
        admin_token,
        state,
        shutdown_tx: Some(tx),
        task: Some(task),
    })
}

/// A fresh admin token: 32 hex digits from the OS generator.
fn random_token() -> String {
    use rand::Rng as _;
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}
