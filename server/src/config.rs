//! Server configuration: built in code (`ServerConfig { port: 0, ..Default::default() }`)
//! or read from a TOML/JSON file (`necid serve --config FILE`).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ServerError;

/// Access key id the emulator accepts out of the box (public, documented dev credential).
pub const DEV_ACCESS_KEY_ID: &str = "AKIDNECIDEMULATOR0001";
/// Secret access key paired with [`DEV_ACCESS_KEY_ID`] (public, documented dev credential).
pub const DEV_SECRET_ACCESS_KEY: &str = "necid-emulator-secret-key";
/// API key of the default gallery's application.
pub const DEV_API_KEY: &str = "necid-emulator-api-key";
/// Id of the gallery that always exists and that [`DEV_API_KEY`] opens.
pub const DEFAULT_GALLERY_ID: &str = "default";
/// Region every signature must be scoped to (like the real service).
pub const REGION: &str = "ap-southeast-2";
/// Service name every signature must be scoped to.
pub const SERVICE: &str = "execute-api";

/// Where the emulator keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// A throwaway in-memory database (`--memory`).
    Memory,
    /// A SQLite file in WAL mode; committed writes survive `kill -9` and restarts.
    Sqlite(PathBuf),
}

/// Which face engine the emulator runs. Non-exhaustive: the real engine joins later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EngineChoice {
    /// [`crate::RealEngine`]: finds faces and compares people (crate `necid-face-engine`).
    /// The default, like the real service.
    #[default]
    Real,
    /// [`crate::engine::DeterministicEngine`]: compares pictures, not people. Fast, for tests.
    Deterministic,
}

/// The credentials the emulator accepts. `Debug` never shows the secret or the API key.
#[derive(Clone, PartialEq, Eq)]
pub struct DevCredentials {
    /// SigV4 access key id.
    pub access_key_id: String,
    /// SigV4 secret access key.
    pub secret_access_key: String,
    /// API key of the default gallery's application.
    pub api_key: String,
    /// Further `(access key id, secret)` pairs accepted for the same tenant, so a test can
    /// rotate credentials mid-run with both keys valid (`necid serve --extra-access-key`).
    pub extra_access_keys: Vec<(String, String)>,
}

impl DevCredentials {
    /// The secret of an accepted access key id.
    pub fn secret_for(&self, access_key_id: &str) -> Option<String> {
        if access_key_id == self.access_key_id {
            return Some(self.secret_access_key.clone());
        }
        self.extra_access_keys
            .iter()
            .find(|(id, _)| id == access_key_id)
            .map(|(_, secret)| secret.clone())
    }
}

impl Default for DevCredentials {
    fn default() -> Self {
        Self {
            access_key_id: DEV_ACCESS_KEY_ID.to_owned(),
            secret_access_key: DEV_SECRET_ACCESS_KEY.to_owned(),
            api_key: DEV_API_KEY.to_owned(),
            extra_access_keys: Vec::new(),
        }
    }
}

impl fmt::Debug for DevCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("api_key", &"<redacted>")
            .field(
                "extra_access_keys",
                &self
                    .extra_access_keys
                    .iter()
                    .map(|(id, _)| id)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A gallery to create at start-up (if no gallery of that name exists yet).
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GallerySeed {
    /// Gallery name (unique).
    pub name: String,
    /// Gallery id; a fresh UUID when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// API key of the gallery's application; a fresh random key when absent.
    #[serde(default)]
    pub api_key: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Capacity in events (default [`Limits::default_gallery_size`]).
    #[serde(default)]
    pub size: Option<u64>,
    /// Minimum faceQualityScore for registrations (PoorQuality 2002 below it).
    #[serde(default)]
    pub face_minimum_quality_score: Option<f64>,
}

impl fmt::Debug for GallerySeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GallerySeed")
            .field("name", &self.name)
            .field("id", &self.id)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// Tunable limits. The defaults are the real service's documented limits.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Limits {
    /// Largest accepted request body in bytes (413 above it). Default 10 MiB.
    pub max_body_bytes: usize,
    /// Tags per gallery. Default 64.
    pub max_tags: usize,
    /// Records per bulk-progress page. Default 1000 (values above 1000 are capped).
    pub bulk_page_size: usize,
    /// Records accepted in one bulk-register request. Default 10000.
    pub max_bulk_records: usize,
    /// Allowed clock skew of signed requests, in seconds. Default 300.
    pub clock_skew_secs: i64,
    /// Size of a gallery created without one. Default 10000.
    pub default_gallery_size: u64,
    /// Widest accepted picture in pixels, read from its header before decoding. Default 10000.
    pub max_image_width: u32,
    /// Tallest accepted picture in pixels. Default 10000.
    pub max_image_height: u32,
    /// Most pixels (width x height) in an accepted picture. Default 25,000,000 (25 MP).
    pub max_image_pixels: u64,
    /// Largest decoded picture in bytes (pixels x bytes per pixel of the file's colour
    /// type, read from the header) and the decoder's allocation limit. Default 256 MiB
    /// (a 25 MP picture with 16-bit RGBA samples needs 200 MB).
    pub max_decode_bytes: u64,
    /// Pictures decoded at once; further requests wait for a free slot. 0 (the default)
    /// means one per CPU core.
    pub max_concurrent_decodes: usize,
}

/// Memory the real engine's detector needs beyond the picture's own copies (it detects on
/// a grey copy of at most 2000 px a side: image pyramid, integral images). Measured
/// ~45 MB; the bound says 64 MiB.
const DETECTOR_WORKING_SET: u64 = 64 << 20;

impl Limits {
    /// The image-intake policy these limits describe.
    pub fn image_policy(&self) -> crate::intake::ImagePolicy {
        crate::intake::ImagePolicy {
            max_width: self.max_image_width,
            max_height: self.max_image_height,
            max_pixels: self.max_image_pixels,
            max_decode_bytes: self.max_decode_bytes,
        }
    }

    /// Decode slots in effect: `max_concurrent_decodes`, or the number of CPU cores when 0.
    pub fn decode_slots(&self) -> usize {
        match self.max_concurrent_decodes {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        }
    }

    /// The documented bound on the memory one request in flight holds outside a decode
    /// slot: its body, the parsed JSON, and the decoded base64 (4 x `max_body_bytes`).
    pub fn request_memory_bound(&self) -> u64 {
        4 * self.max_body_bytes as u64
    }

    /// The documented bound on the memory one decode slot holds: the decoded picture
    /// (`max_decode_bytes`), the engines' full-size working copies (an RGB copy, an EXIF
    /// rotation and a grey copy: at most 8 bytes per pixel), and 64 MiB for the real
    /// engine's detector, which works on a copy of at most 2000 px a side.
    pub fn decode_memory_bound(&self) -> u64 {
        self.max_decode_bytes + 8 * self.max_image_pixels + DETECTOR_WORKING_SET
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 10 * 1024 * 1024,
            max_tags: 64,
            bulk_page_size: 1000,
            max_bulk_records: 10_000,
            clock_skew_secs: 300,
            default_gallery_size: 10_000,
            max_image_width: 10_000,
            max_image_height: 10_000,
            max_image_pixels: 25_000_000,
            max_decode_bytes: 256 << 20,
            max_concurrent_decodes: 0,
        }
    }
}

/// Everything needed to start an emulator. `Default`: 127.0.0.1, port 0 (any free port),
/// in-memory database, deterministic engine, the dev credentials. `Debug` never shows the
/// secret, the API keys or the admin token.
#[derive(Clone)]
pub struct ServerConfig {
    /// Interface to bind.
    pub host: String,
    /// Port to bind; 0 picks a free one (read it back from [`crate::RunningServer::addr`]).
    pub port: u16,
    /// Database.
    pub storage: Storage,
    /// Bulk-register files live in `<bucket_dir>/<gallery id>/`. `None`: bulk jobs fail each record.
    pub bucket_dir: Option<PathBuf>,
    /// Face engine.
    pub engine: EngineChoice,
    /// Accepted SigV4 credentials and the default gallery's API key.
    pub credentials: DevCredentials,
    /// Galleries to create at start-up (skipped when one of that name exists).
    pub galleries: Vec<GallerySeed>,
    /// Limits.
    pub limits: Limits,
    /// Serve HTTPS with this identity instead of plain HTTP (`necid serve --tls`);
    /// see [`crate::TlsIdentity::generate`].
    pub tls: Option<crate::TlsIdentity>,
    /// Origins allowed to call the API from a browser (CORS). `["*"]` (the default, like
    /// the vendor's API Gateway) allows any; a list allows those origins (the request's
    /// `Origin` is echoed); an empty list sends no CORS headers.
    pub cors_origins: Vec<String>,
    /// Token the admin API (`/_admin/v1/...`) requires; `None` generates a random one at
    /// start ([`crate::RunningServer::admin_token`]).
    pub admin_token: Option<String>,
    /// Fault rules in effect at start (`necid serve --faults FILE`); the admin API changes
    /// them at run time. Default: none.
    pub faults: crate::faults::FaultPlan,
    /// Throttling per API key (token bucket, like API Gateway's usage plans); `None` (the
    /// default): no throttling.
    pub throttle: Option<crate::throttle::ThrottleSpec>,
    /// Strict mode (default `true`): behave as the reference documents where the emulator
    /// otherwise relaxes it (see the crate README, "Strict mode"); `necid serve --lenient`
    /// sets it to `false`.
    pub strict: bool,
    /// Record every API request and its answer as JSON lines in `DIR/requests.jsonl`
    /// (also kept in memory for `GET /_admin/v1/requests`). `necid serve --record DIR`.
    pub record_dir: Option<PathBuf>,
    /// Record in memory from the start (without a file); the admin API can also turn
    /// recording on (`PUT /_admin/v1/recording`).
    pub record_memory: bool,
    /// Register every picture of this folder in the default gallery at start (`necid
    /// serve --seed DIR`): a file is one subject, a sub-folder one subject with one event
    /// per picture.
    pub seed_dir: Option<PathBuf>,
    /// Serve the web console at `/_console/` (default `true`; `necid serve --no-console`).
    /// With it on, every registration also stores a small JPEG crop of the face for the
    /// console (see the crate README, "Web console").
    pub console: bool,
    /// Which forms of rename tag are served (default both; `necid serve
    /// --rename-tag-routes`): one alone is a deployment of one reference revision, to test
    /// a client's fallback.
    pub rename_tag_routes: RenameTagRoutes,
}

/// The rename-tag requests the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RenameTagRoutes {
    /// `PUT /tags/{old}` with `{"newName"}` and `PUT /tags/{old}/{new}`.
    #[default]
    Both,
    /// Only `PUT /tags/{old}` with `{"newName"}` (the later reference).
    Body,
    /// Only `PUT /tags/{old}/{new}` (the v1.1 reference).
    Path,
}

impl RenameTagRoutes {
    /// `both`, `body` or `path`.
    pub fn parse(s: &str) -> Option<RenameTagRoutes> {
        match s.trim().to_ascii_lowercase().as_str() {
            "both" => Some(RenameTagRoutes::Both),
            "body" => Some(RenameTagRoutes::Body),
            "path" => Some(RenameTagRoutes::Path),
            _ => None,
        }
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("storage", &self.storage)
            .field("bucket_dir", &self.bucket_dir)
            .field("engine", &self.engine)
            .field("credentials", &self.credentials)
            .field("galleries", &self.galleries)
            .field("limits", &self.limits)
            .field("tls", &self.tls)
            .field("cors_origins", &self.cors_origins)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .field("faults", &self.faults)
            .field("throttle", &self.throttle)
            .field("strict", &self.strict)
            .field("record_dir", &self.record_dir)
            .field("record_memory", &self.record_memory)
            .field("seed_dir", &self.seed_dir)
            .field("console", &self.console)
            .field("rename_tag_routes", &self.rename_tag_routes)
            .finish()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 0,
            storage: Storage::Memory,
            bucket_dir: None,
            engine: EngineChoice::default(),
            credentials: DevCredentials::default(),
            galleries: Vec::new(),
            limits: Limits::default(),
            tls: None,
            cors_origins: vec!["*".to_owned()],
            admin_token: None,
            faults: crate::faults::FaultPlan::default(),
            throttle: None,
            strict: true,
            record_dir: None,
            record_memory: false,
            seed_dir: None,
            console: true,
            rename_tag_routes: RenameTagRoutes::Both,
        }
    }
}

/// The on-disk shape of a config file (every key optional).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileConfig {
    host: Option<String>,
    port: Option<u16>,
    /// Path to the SQLite file; `":memory:"` or absent with `memory = true` for in-memory.
    db: Option<PathBuf>,
    memory: Option<bool>,
    bucket_dir: Option<PathBuf>,
    engine: Option<String>,
    credentials: Option<FileCredentials>,
    #[serde(default)]
    galleries: Vec<GallerySeed>,
    limits: Option<Limits>,
    cors_origins: Option<Vec<String>>,
    admin_token: Option<String>,
    strict: Option<bool>,
    throttle: Option<crate::throttle::ThrottleSpec>,
    console: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileCredentials {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    api_key: Option<String>,
}

impl ServerConfig {
    /// Reads a config file: JSON when the name ends in `.json`, TOML otherwise. Keys are
    /// camelCase (`bucketDir`, `accessKeyId`, ...); see the crate README for the format.
    /// Relative `db`/`bucketDir` paths are relative to the file's directory.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ServerError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ServerError::Config(format!("cannot read {}: {e}", path.display())))?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let file: FileConfig = if is_json {
            serde_json::from_str(&text)
                .map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))?
        } else {
            toml::from_str(&text)
                .map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))?
        };
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        Self::from_file_config(file, base)
    }

    /// Parses config text directly (`json` selects the format); relative paths resolve
    /// against the current directory.
    pub fn from_str_format(text: &str, json: bool) -> Result<Self, ServerError> {
        let file: FileConfig = if json {
            serde_json::from_str(text).map_err(|e| ServerError::Config(e.to_string()))?
        } else {
            toml::from_str(text).map_err(|e| ServerError::Config(e.to_string()))?
        };
        Self::from_file_config(file, Path::new("."))
    }

    fn from_file_config(file: FileConfig, base: &Path) -> Result<Self, ServerError> {
        let mut cfg = ServerConfig::default();
        if let Some(h) = file.host {
            cfg.host = h;
        }
        if let Some(p) = file.port {
            cfg.port = p;
        }
        match (file.memory, file.db) {
            (Some(true), Some(_)) => {
                return Err(ServerError::Config(
                    "`memory = true` and `db` are mutually exclusive".into(),
                ));
            }
            (_, Some(db)) if db.as_os_str() == ":memory:" => cfg.storage = Storage::Memory,
            (_, Some(db)) => cfg.storage = Storage::Sqlite(base.join(db)),
            _ => cfg.storage = Storage::Memory,
        }
        cfg.bucket_dir = file.bucket_dir.map(|d| base.join(d));
        if let Some(engine) = file.engine {
            cfg.engine = match engine.as_str() {
                "deterministic" => EngineChoice::Deterministic,
                "real" => EngineChoice::Real,
                other => {
                    return Err(ServerError::Config(format!(
                        "unknown engine {other:?} (known: \"real\", \"deterministic\")"
                    )));
                }
            };
        }
        if let Some(c) = file.credentials {
            if let Some(v) = c.access_key_id {
                cfg.credentials.access_key_id = v;
            }
            if let Some(v) = c.secret_access_key {
                cfg.credentials.secret_access_key = v;
            }
            if let Some(v) = c.api_key {
                cfg.credentials.api_key = v;
            }
        }
        cfg.galleries = file.galleries;
        if let Some(l) = file.limits {
            cfg.limits = l;
        }
        if let Some(origins) = file.cors_origins {
            cfg.cors_origins = origins;
        }
        cfg.admin_token = file.admin_token;
        if let Some(strict) = file.strict {
            cfg.strict = strict;
        }
        cfg.throttle = file.throttle;
        if let Some(console) = file.console {
            cfg.console = console;
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Rejects configurations the server cannot honour.
    pub(crate) fn validate(&self) -> Result<(), ServerError> {
        let c = &self.credentials;
        if c.access_key_id.is_empty() || c.secret_access_key.is_empty() || c.api_key.is_empty() {
            return Err(ServerError::Config(
                "credentials must have a non-empty accessKeyId, secretAccessKey and apiKey".into(),
            ));
        }
        if self.limits.bulk_page_size == 0 || self.limits.max_tags == 0 {
            return Err(ServerError::Config(
                "limits.bulkPageSize and limits.maxTags must be at least 1".into(),
            ));
        }
        if let Some(bad) = self
            .cors_origins
            .iter()
            .find(|o| o.as_str() != "*" && !valid_origin(o))
        {
            return Err(ServerError::Config(format!(
                "corsOrigins: {bad:?} is not an origin (scheme://host[:port], or \"*\")"
            )));
        }
        let l = &self.limits;
        if l.max_image_width == 0
            || l.max_image_height == 0
            || l.max_image_pixels == 0
            || l.max_decode_bytes == 0
        {
            return Err(ServerError::Config(
                "limits.maxImageWidth, maxImageHeight, maxImagePixels and maxDecodeBytes must be at least 1"
                    .into(),
            ));
        }
        if let Some(t) = &self.admin_token
            && (t.len() < 8 || !t.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ServerError::Config(
                "adminToken must be at least 8 printable ASCII characters, without spaces".into(),
            ));
        }
        self.faults.check().map_err(ServerError::Config)?;
        if let Some(t) = &self.throttle {
            t.check().map_err(ServerError::Config)?;
        }
        if self.limits.clock_skew_secs < 0 {
            return Err(ServerError::Config(
                "limits.clockSkewSecs must be >= 0".into(),
            ));
        }
        Ok(())
    }
}

/// `scheme://host[:port]`: no path, no whitespace, printable ASCII (a header value).
fn valid_origin(o: &str) -> bool {
    let Some((scheme, rest)) = o.split_once("://") else {
        return false;
    };
    !scheme.is_empty()
        && !rest.is_empty()
        && !rest.contains('/')
        && o.bytes().all(|b| b.is_ascii_graphic())
}
