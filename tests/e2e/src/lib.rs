//! Harness for the end-to-end tests: an emulator on a free loopback port and core
//! clients pointed at it. Every request in these tests is a real, signed HTTP request
//! verified by the emulator's own SigV4 code.

pub mod proxy;

use necid::{Client, Config, RetryPolicy};
use necid_server::{EngineChoice, RunningServer, ServerConfig};

/// Sample photos (public domain; provenance in `cli/assets/faces/README.md`).
pub mod faces {
    pub const OBAMA: &[u8] = include_bytes!("../../../cli/assets/faces/obama.jpg");
    pub const OBAMA2: &[u8] = include_bytes!("../../../cli/assets/faces/obama2.jpg");
    pub const OBAMA3: &[u8] = include_bytes!("../../../cli/assets/faces/obama3.jpg");
    pub const BIDEN: &[u8] = include_bytes!("../../../cli/assets/faces/biden.jpg");
    pub const ASTRONAUT: &[u8] = include_bytes!("../../../cli/assets/faces/astronaut.png");
}

/// A running emulator plus the settings a client needs to reach it.
pub struct Emulator {
    pub server: RunningServer,
}

impl Emulator {
    /// An in-memory emulator with the deterministic engine (fast; compares pictures).
    pub async fn start() -> Emulator {
        Self::start_with(Self::deterministic()).await
    }

    /// Default settings but the deterministic engine: what most tests want.
    pub fn deterministic() -> ServerConfig {
        ServerConfig {
            engine: EngineChoice::Deterministic,
            ..ServerConfig::default()
        }
    }

    /// Like [`Emulator::start`] serving HTTPS with a freshly generated CA
    /// ([`RunningServer::ca_pem`]).
    pub async fn start_tls() -> Emulator {
        let identity = match necid_server::TlsIdentity::generate(&[]) {
            Ok(i) => i,
            Err(err) => panic_free_abort(&format!("TLS identity: {err}")),
        };
        Self::start_with(ServerConfig {
            tls: Some(identity),
            ..Self::deterministic()
        })
        .await
    }

    /// Like [`Emulator::start_tls`], and the handshake requires a client certificate
    /// issued by the emulator's CA (`necid serve --tls-client-auth`); the server's
    /// `TlsIdentity` holds one for the tests ([`Emulator::client_identity`]).
    pub async fn start_mtls() -> Emulator {
        let identity = match necid_server::TlsIdentity::generate_with_client_auth(&[], &[]) {
            Ok(i) => i,
            Err(err) => panic_free_abort(&format!("TLS identity: {err}")),
        };
        Self::start_with(ServerConfig {
            tls: Some(identity),
            ..Self::deterministic()
        })
        .await
    }

    /// With [`Emulator::start_mtls`]: the client certificate and key (PEM) it accepts.
    pub fn client_identity(&self) -> (Vec<u8>, Vec<u8>) {
        match (self.server.client_cert_pem(), self.server.client_key_pem()) {
            (Some(c), Some(k)) => (c.as_bytes().to_vec(), k.as_bytes().to_vec()),
            _ => panic_free_abort("this emulator does not require client certificates"),
        }
    }

    pub async fn start_with(config: ServerConfig) -> Emulator {
        match necid_server::start(config).await {
            Ok(server) => Emulator { server },
            Err(err) => panic_free_abort(&format!("emulator failed to start: {err}")),
        }
    }

    /// Config for the default gallery's API key and the dev credentials; no retries so
    /// that a failure shows up as the error the service sent.
    pub fn config(&self) -> necid::ConfigBuilder {
        let creds = self.server.credentials();
        Config::builder()
            .endpoint(self.server.endpoint())
            .tenant_endpoint(self.server.endpoint())
            .access_key_id(creds.access_key_id.clone())
            .secret_access_key(creds.secret_access_key.clone())
            .api_key(creds.api_key.clone())
            .retry_policy(RetryPolicy::none())
    }

    /// A client for the default gallery.
    pub fn client(&self) -> Client {
        self.client_with(self.config())
    }

    /// A client for the gallery that `api_key` belongs to.
    pub fn client_for_api_key(&self, api_key: &str) -> Client {
        self.client_with(self.config().api_key(api_key))
    }

    pub fn client_with(&self, builder: necid::ConfigBuilder) -> Client {
        match builder.build().and_then(Client::new) {
            Ok(c) => c,
            Err(err) => panic_free_abort(&format!("client config: {err}")),
        }
    }

    pub async fn stop(self) {
        self.server.shutdown().await;
    }
}

/// Harness setup failures end the test process with a message (this crate is test-only;
/// the workspace lints forbid `panic!` in library code).
fn panic_free_abort(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(101)
}

/// A TCP forwarder in front of the emulator that notes when each client connection
/// closes: how the tests see that a cancelled or dropped call stops *on the wire* (its
/// connection is closed while the emulator is still holding the answer back), not only
/// that the caller stopped waiting.
pub struct WireWatch {
    addr: std::net::SocketAddr,
    state: std::sync::Arc<std::sync::Mutex<WireState>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct WireState {
    opened: usize,
    closed: Vec<std::time::Instant>,
}

impl WireWatch {
    /// Forward every connection to `upstream`.
    pub async fn start(upstream: std::net::SocketAddr) -> WireWatch {
        use tokio::io::AsyncWriteExt as _;
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic_free_abort(&format!("wire watch: {e}")),
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => panic_free_abort(&format!("wire watch: {e}")),
        };
        let state = std::sync::Arc::new(std::sync::Mutex::new(WireState::default()));
        let st = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let st = st.clone();
                lock(&st).opened += 1;
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let down = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut sr, &mut cw).await;
                    });
                    // Client → server until the client closes (EOF or reset).
                    let _ = tokio::io::copy(&mut cr, &mut sw).await;
                    lock(&st).closed.push(std::time::Instant::now());
                    let _ = sw.shutdown().await;
                    down.abort();
                });
            }
        });
        WireWatch { addr, state, task }
    }

    /// `http://127.0.0.1:PORT` of the forwarder.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn opened(&self) -> usize {
        lock(&self.state).opened
    }

    /// Connections the client side has closed so far.
    pub fn closed(&self) -> usize {
        lock(&self.state).closed.len()
    }

    /// Wait up to `within` for the client to have closed `n` connections; true if it did.
    pub async fn wait_closed(&self, n: usize, within: std::time::Duration) -> bool {
        let until = std::time::Instant::now() + within;
        while std::time::Instant::now() < until {
            if self.closed() >= n {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.closed() >= n
    }
}

impl Drop for WireWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
