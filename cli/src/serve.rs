//! `necid serve`: run the local emulator until SIGINT/SIGTERM.
//!
//! Test suites start it with `--port 0 --ready-file F` and read the endpoint and dev
//! credentials from F (JSON, written once the socket is listening). The same JSON is
//! printed on stdout as one line starting with `NECID_READY ` for scripts that prefer
//! reading the output.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use necid_server::{EngineChoice, RunningServer, ServerConfig, Storage};
use serde::Serialize;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free port (see --ready-file).
    #[arg(long, default_value_t = 8700)]
    pub port: u16,
    /// SQLite database file (created if missing). Default: <data dir>/necid/emulator.db.
    #[arg(long, conflicts_with = "memory")]
    pub db: Option<PathBuf>,
    /// Keep everything in memory; nothing survives the process.
    #[arg(long)]
    pub memory: bool,
    /// Folder holding each gallery's bulk-registration files (<dir>/<gallery id>/<filename>).
    #[arg(long)]
    pub bucket_dir: Option<PathBuf>,
    /// Emulator configuration file (credentials, galleries); see server/README.md.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Write the endpoint and dev credentials as JSON to this file once listening.
    #[arg(long)]
    pub ready_file: Option<PathBuf>,
    /// Serve HTTPS: a private CA and a server certificate for localhost/127.0.0.1/::1 (and
    /// --host) are generated at start; the CA certificate is written to --tls-ca-file
    /// (default: a temporary file, removed at exit), printed, and given as `caFile` in the
    /// ready file. Clients trust it as their CA bundle (NECID_CA_BUNDLE).
    #[arg(long)]
    pub tls: bool,
    /// Where --tls writes the CA certificate (PEM).
    #[arg(long, requires = "tls")]
    pub tls_ca_file: Option<PathBuf>,
    /// With --tls: require a client certificate (mutual TLS) issued by the emulator's CA
    /// (or by a --tls-client-ca); a connection without one is refused at the handshake. A
    /// client certificate and key signed by the CA are written to temporary files (removed
    /// at exit), printed, and given as `clientCertFile`/`clientKeyFile` in the ready file.
    #[arg(long, requires = "tls")]
    pub tls_client_auth: bool,
    /// With --tls: also accept client certificates issued by the CA certificates in FILE
    /// (PEM); implies --tls-client-auth.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub tls_client_ca: Option<PathBuf>,
    /// Face engine [default: real, or the config file's `engine`].
    #[arg(long, value_enum)]
    pub engine: Option<EngineArg>,
    /// Fault rules to apply from the start (JSON, or TOML unless the name ends in .json);
    /// see server/README.md, "Fault rules". The admin API changes them at run time.
    #[arg(long, value_name = "FILE")]
    pub faults: Option<PathBuf>,
    /// Token the admin API (/_admin/v1) requires [default: a random one, printed and
    /// written to the ready file as adminToken].
    #[arg(
        long,
        env = "NECID_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// Relax strict mode: list subjects answers 200 with [] (not the reference's 404) and
    /// signatures scoped to any region/service are accepted; see server/README.md.
    #[arg(long)]
    pub lenient: bool,
    /// Accept this access key too (ID:SECRET, repeatable), for the same tenant as the dev
    /// key: tests rotate credentials with both keys valid.
    #[arg(long, value_name = "ID:SECRET")]
    pub extra_access_key: Vec<String>,
    /// Throttle each API key to this many requests per second (token bucket, like API
    /// Gateway's usage plans; 429 beyond it) [default: no throttling].
    #[arg(long, value_name = "PER_SECOND", requires = "throttle_burst")]
    pub throttle_rate: Option<f64>,
    /// Bucket size of --throttle-rate: requests allowed at once.
    #[arg(long, value_name = "N", requires = "throttle_rate")]
    pub throttle_burst: Option<u32>,
    /// Record every API request and answer (secrets and images redacted) as JSON lines in
    /// DIR/requests.jsonl; list them with `necid emulator requests`.
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// Register every picture in DIR in the default gallery at start (a file = a subject,
    /// a sub-folder = a subject with one event per picture). Slow with the real engine.
    #[arg(long, value_name = "DIR")]
    pub seed: Option<PathBuf>,
    /// Stop when standard input reaches end of file. Test helpers start the emulator with
    /// a pipe as its stdin and keep the other end: when the helper closes it, or its
    /// process ends in any way (even killed, or with SIGTERM blocked), the emulator stops
    /// too instead of outliving the test run.
    #[arg(long)]
    pub stop_on_stdin_eof: bool,
    /// Do not serve the web console (/_console/; see server/README.md, "Web console").
    /// Registrations then keep no face crops.
    #[arg(long)]
    pub no_console: bool,
    /// Which rename-tag requests to serve: both (default), body (`PUT /tags/{old}` with
    /// `{"newName"}`, the later reference) or path (`PUT /tags/{old}/{new}`, the v1.1
    /// reference); the other answers like an unknown route, to test a client's fallback.
    #[arg(long, value_parser = ["both", "body", "path"], default_value = "both")]
    pub rename_tag_routes: String,
    #[command(flatten)]
    pub intake: IntakeArgs,
}

/// The image-intake policy (server/README.md, "Hostile input") and CORS origins; each
/// flag overrides the config file's value.
#[derive(Debug, Default, Args)]
pub struct IntakeArgs {
    /// Widest accepted picture in pixels, read from its header before decoding [default: 10000].
    #[arg(long, value_name = "PX")]
    pub max_image_width: Option<u32>,
    /// Tallest accepted picture in pixels [default: 10000].
    #[arg(long, value_name = "PX")]
    pub max_image_height: Option<u32>,
    /// Most pixels (width x height) in an accepted picture [default: 25000000].
    #[arg(long, value_name = "N")]
    pub max_image_pixels: Option<u64>,
    /// Largest decoded picture in bytes, and the decoder's allocation limit [default: 268435456].
    #[arg(long, value_name = "BYTES")]
    pub max_decode_bytes: Option<u64>,
    /// Pictures decoded at once; further requests wait [default: one per CPU core].
    #[arg(long, value_name = "N")]
    pub max_concurrent_decodes: Option<usize>,
    /// Origin allowed to call the API from a browser (CORS; repeat for several; `*` for any)
    /// [default: *, or the config file's corsOrigins].
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
}

impl IntakeArgs {
    fn apply(&self, config: &mut ServerConfig) {
        if !self.cors_origins.is_empty() {
            config.cors_origins = self.cors_origins.clone();
        }
        let limits = &mut config.limits;
        if let Some(v) = self.max_image_width {
            limits.max_image_width = v;
        }
        if let Some(v) = self.max_image_height {
            limits.max_image_height = v;
        }
        if let Some(v) = self.max_image_pixels {
            limits.max_image_pixels = v;
        }
        if let Some(v) = self.max_decode_bytes {
            limits.max_decode_bytes = v;
        }
        if let Some(v) = self.max_concurrent_decodes {
            limits.max_concurrent_decodes = v;
        }
    }
}

/// Which face engine the emulator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum EngineArg {
    /// The offline face engine: detects faces and compares people (128-d descriptors).
    #[default]
    Real,
    /// Whole-image content descriptor: the same (or a nearly identical) image matches,
    /// anything else does not. Not a face matcher; fast and deterministic for tests.
    Deterministic,
}

impl From<EngineArg> for EngineChoice {
    fn from(value: EngineArg) -> Self {
        match value {
            EngineArg::Real => EngineChoice::Real,
            EngineArg::Deterministic => EngineChoice::Deterministic,
        }
    }
}

/// What a test suite needs to talk to a running emulator. Field names are stable.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadyInfo {
    pub endpoint: String,
    pub tenant_endpoint: String,
    pub region: &'static str,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub api_key: String,
    pub bucket_dir: Option<PathBuf>,
    /// With --tls: the PEM file of the CA clients must trust; otherwise null.
    pub ca_file: Option<PathBuf>,
    /// With --tls-client-auth: a PEM client certificate the emulator accepts; otherwise
    /// null.
    pub client_cert_file: Option<PathBuf>,
    /// With --tls-client-auth: that certificate's private key (PEM); otherwise null.
    pub client_key_file: Option<PathBuf>,
    /// Base URL of the admin API (`<endpoint>/_admin/v1`).
    pub admin_endpoint: String,
    /// Token of the admin API (`Authorization: Bearer <adminToken>`).
    pub admin_token: String,
    /// The web console (`<endpoint>/_console/`), null with --no-console.
    pub console_url: Option<String>,
    pub pid: u32,
}

impl ReadyInfo {
    pub fn new(server: &RunningServer, bucket_dir: Option<PathBuf>) -> Self {
        let creds = server.credentials();
        ReadyInfo {
            endpoint: server.endpoint(),
            tenant_endpoint: server.endpoint(),
            region: "ap-southeast-2",
            access_key_id: creds.access_key_id.clone(),
            secret_access_key: creds.secret_access_key.clone(),
            api_key: creds.api_key.clone(),
            bucket_dir,
            ca_file: None,
            client_cert_file: None,
            client_key_file: None,
            admin_endpoint: server.admin_endpoint(),
            admin_token: server.admin_token().to_owned(),
            console_url: server.console_url(),
            pid: std::process::id(),
        }
    }
}

pub fn default_db_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("necid")
        .join("emulator.db")
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = match &args.config {
        Some(path) => ServerConfig::from_file(path)
            .with_context(|| format!("reading emulator config {}", path.display()))?,
        None => ServerConfig::default(),
    };
    config.host = args.host.clone();
    config.port = args.port;
    if let Some(engine) = args.engine {
        config.engine = engine.into();
    }
    args.intake.apply(&mut config);
    if let Some(token) = &args.admin_token {
        config.admin_token = Some(token.clone());
    }
    if let Some(path) = &args.faults {
        config.faults = necid_server::faults::FaultPlan::from_file(path)?;
    }
    if args.lenient {
        config.strict = false;
    }
    for pair in &args.extra_access_key {
        let Some((id, secret)) = pair
            .split_once(':')
            .filter(|(i, s)| !i.is_empty() && !s.is_empty())
        else {
            anyhow::bail!("--extra-access-key must be ID:SECRET");
        };
        config
            .credentials
            .extra_access_keys
            .push((id.to_owned(), secret.to_owned()));
    }
    if let (Some(rate), Some(burst)) = (args.throttle_rate, args.throttle_burst) {
        config.throttle = Some(necid_server::throttle::ThrottleSpec { rate, burst });
    }
    if let Some(dir) = &args.record {
        config.record_dir = Some(dir.clone());
    }
    if let Some(dir) = &args.seed {
        config.seed_dir = Some(dir.clone());
    }
    config.rename_tag_routes =
        necid_server::RenameTagRoutes::parse(&args.rename_tag_routes).unwrap_or_default();
    if args.no_console {
        config.console = false;
    }
    let (strict, throttle, record) = (config.strict, config.throttle, config.record_dir.clone());
    config.storage = if args.memory {
        Storage::Memory
    } else {
        let path = args.db.clone().unwrap_or_else(default_db_path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        Storage::Sqlite(path)
    };
    if let Some(dir) = &args.bucket_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        config.bucket_dir = Some(dir.clone());
    }
    let storage_note = match &config.storage {
        Storage::Memory => "in memory (nothing is kept)".to_string(),
        Storage::Sqlite(path) => format!("SQLite at {}", path.display()),
    };

    // The CA file is removed at exit only when it was our own temporary choice; the
    // client certificate files always are.
    let mut ca_file: Option<(PathBuf, bool)> = None;
    let mut client_files: Vec<(PathBuf, bool)> = Vec::new();
    if args.tls {
        let names = std::slice::from_ref(&args.host);
        let identity = if args.tls_client_auth || args.tls_client_ca.is_some() {
            let extra = match &args.tls_client_ca {
                Some(p) => std::fs::read(p)
                    .with_context(|| format!("reading the client CA file {}", p.display()))?,
                None => Vec::new(),
            };
            necid_server::TlsIdentity::generate_with_client_auth(names, &extra)
        } else {
            necid_server::TlsIdentity::generate(names)
        }
        .context("generating the TLS certificate")?;
        if let (Some(cert), Some(key)) = (identity.client_cert_pem(), identity.client_key_pem()) {
            let base = std::env::temp_dir();
            let pid = std::process::id();
            let cert_path = base.join(format!("necid-emulator-{pid}-client-cert.pem"));
            let key_path = base.join(format!("necid-emulator-{pid}-client-key.pem"));
            client_files.push((cert_path.clone(), true));
            client_files.push((key_path.clone(), true));
            let written = std::fs::write(&cert_path, cert)
                .with_context(|| format!("writing {}", cert_path.display()))
                .and_then(|()| write_private(&key_path, key.as_bytes()));
            if let Err(e) = written {
                for f in &client_files {
                    remove_temporary(Some(f));
                }
                return Err(e);
            }
        }
        let (path, temporary) = match &args.tls_ca_file {
            Some(p) => (p.clone(), false),
            None => (
                std::env::temp_dir().join(format!("necid-emulator-{}-ca.pem", std::process::id())),
                true,
            ),
        };
        std::fs::write(&path, identity.ca_pem())
            .with_context(|| format!("writing the CA certificate to {}", path.display()))?;
        ca_file = Some((path, temporary));
        config.tls = Some(identity);
    }

    let server = match necid_server::start(config).await {
        Ok(s) => s,
        Err(e) => {
            remove_temporary(ca_file.as_ref());
            for f in &client_files {
                remove_temporary(Some(f));
            }
            return Err(e).context("starting the emulator");
        }
    };
    let mut info = ReadyInfo::new(&server, args.bucket_dir.clone());
    info.ca_file = ca_file.as_ref().map(|(p, _)| p.clone());
    info.client_cert_file = client_files.first().map(|(p, _)| p.clone());
    info.client_key_file = client_files.get(1).map(|(p, _)| p.clone());
    let json = serde_json::to_string(&info)?;

    println!("necid emulator listening on {}", info.endpoint);
    println!("  storage:           {storage_note}");
    println!("  face engine:       {}", server.engine_name());
    println!("  region:            {}", info.region);
    println!("  access key id:     {}", info.access_key_id);
    println!(
        "  secret access key: {}  (public dev credential)",
        info.secret_access_key
    );
    println!("  api key:           {}  (default gallery)", info.api_key);
    println!(
        "  mode:              {}",
        if strict {
            "strict (as the reference documents; --lenient relaxes it)"
        } else {
            "lenient"
        }
    );
    if let Some(t) = throttle {
        println!(
            "  throttle:          {} requests/s per API key, burst {}",
            t.rate, t.burst
        );
    }
    if let Some(dir) = &record {
        println!(
            "  recording:         {}",
            dir.join(necid_server::record::RECORD_FILE).display()
        );
    }
    let seeded = server.seeded();
    if !seeded.is_empty() {
        println!(
            "  seeded:            {} pictures (GET {}/seed lists their subject ids)",
            seeded.len(),
            info.admin_endpoint
        );
    }
    if let Some(url) = &info.console_url {
        println!("  web console:       {url}");
    }
    println!("  admin API:         {}", info.admin_endpoint);
    println!(
        "  admin token:       {}  (Authorization: Bearer ...)",
        info.admin_token
    );
    if let (Some(ca), Some(cert), Some(key)) =
        (&info.ca_file, &info.client_cert_file, &info.client_key_file)
    {
        println!("  TLS CA certificate: {}", ca.display());
        println!(
            "  TLS client cert:   {} (required; key {})",
            cert.display(),
            key.display()
        );
        println!(
            "  try: NECID_ENDPOINT={} NECID_CA_BUNDLE={} NECID_CLIENT_CERT={} \
             NECID_CLIENT_KEY={} necid health",
            info.endpoint,
            ca.display(),
            cert.display(),
            key.display()
        );
    } else if let Some(ca) = &info.ca_file {
        println!("  TLS CA certificate: {}", ca.display());
        println!(
            "  try: NECID_ENDPOINT={} NECID_CA_BUNDLE={} necid health",
            info.endpoint,
            ca.display()
        );
    } else {
        println!("  try: NECID_ENDPOINT={} necid health", info.endpoint);
    }
    println!("NECID_READY {json}");
    if let Some(path) = &args.ready_file {
        // Write to a temp name and rename, so a reader never sees half a file.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &json).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    }

    if args.stop_on_stdin_eof {
        tokio::select! {
            _ = wait_for_shutdown_signal() => {}
            _ = stdin_closed() => {}
        }
    } else {
        wait_for_shutdown_signal().await;
    }
    eprintln!("necid emulator: shutting down");
    server.shutdown().await;
    remove_temporary(ca_file.as_ref());
    for f in &client_files {
        remove_temporary(Some(f));
    }
    Ok(())
}

/// Write a private key readable by its owner only (on Unix).
fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}

fn remove_temporary(ca_file: Option<&(PathBuf, bool)>) {
    if let Some((path, true)) = ca_file {
        let _ = std::fs::remove_file(path);
    }
}

/// Resolves once standard input reaches end of file (or cannot be read). Whatever is
/// written to it is read and ignored. The reading thread blocks in `read`; it ends with
/// the process.
async fn stdin_closed() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("stdin-watch".into())
        .spawn(move || {
            use std::io::Read;
            let mut stdin = std::io::stdin().lock();
            let mut buf = [0u8; 256];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = tx.send(());
        });
    if spawned.is_ok() {
        let _ = rx.await;
    } else {
        // No thread: never resolve, signals still stop the emulator.
        std::future::pending::<()>().await;
    }
}

async fn wait_for_shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
