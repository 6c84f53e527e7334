//! Harness for the end-to-end tests: an emulator on a free loopback port and core
//! clients pointed at it. Every request in these tests is a real, signed HTTP request
//! verified by the emulator's own SigV4 code.

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
