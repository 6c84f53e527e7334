//! # necid — NEC ID face-biometrics SDK (Rust core)
//!
//! A SigV4-signed client for the whole NEC ID REST API (biometric `/v1.1/...` and tenant
//! `/api/...`), with retries, clock-skew correction, validation before sending, typed
//! models that accept every documented wire variant, and one error type.
//!
//! ```no_run
//! # async fn demo() -> necid::Result<()> {
//! let client = necid::Client::new(
//!     necid::Config::builder()
//!         .endpoint("http://127.0.0.1:8080")
//!         .access_key_id("AKID...")
//!         .secret_access_key("...")
//!         .api_key("...")
//!         .build()?,
//! )?;
//! let face = necid::Image::from_path("face.jpg")?;
//! let registered = client.register_subject(face.clone(), &["staff".to_owned()]).await?;
//! let hits = client.search(necid::SearchRequest::new(face).threshold(7500)).await?;
//! # let _ = (registered, hits); Ok(()) }
//! ```
//!
//! Synchronous callers use [`blocking::Client`]. All I/O runs on one process-wide tokio
//! runtime ([`runtime()`]), so the async methods work from any executor.
//!
//! Decisions where the API is silent (see `core/README.md`): search's 404 is an empty
//! candidate list; verify's 404 is `Ok(verified: false)`; a 500 with a known `errorType`
//! takes that kind; POSTs are only retried when provably unprocessed.

// The UniFFI scaffolding of the models derived behind the `uniffi` feature (used by
// bindings/uniffi; Kotlin package and Swift file names in core/uniffi.toml).
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("necid_models");

pub mod blocking;
mod body;
pub mod call;
mod client;
pub mod config;
pub mod credentials;
pub mod error;
pub mod image;
pub mod logging;
pub mod models;
pub mod operations;
mod runtime;
pub mod signing;
pub mod tls;
pub mod transport;
pub mod validate;

pub use call::{CallOptions, CancelToken, MetadataSlot, ResponseMetadata};
pub use client::{Client, SearchRequest, WaitOptions};
pub use config::{
    CONFIG_KEYS, Config, ConfigBuilder, ConfigKey, ConfigType, ConfigValue, RenameTagForm,
    RetryPolicy, Secret,
};
pub use credentials::{Credentials, ProvideCredentials, credentials_fn};
pub use error::{Error, ErrorKind, Result};
pub use image::{Image, ImageFormat};
pub use models::*;
pub use runtime::runtime;
pub use tls::{CaBundle, PemSource, TlsRoots};

/// The API's default match threshold (search's default; face-to-face verify's verdict).
pub const DEFAULT_THRESHOLD: u32 = 7000;

/// Re-exported so callers can name the paginator streams.
pub use futures_util::stream::BoxStream;
