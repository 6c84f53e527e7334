//! Global options and the SDK client they configure.
//!
//! Where settings come from (highest first): command-line flags; then, with `--profile`,
//! that profile alone (an explicit profile is not silently overridden by `NECID_*`
//! variables, as with the aws CLI); without `--profile`, the `NECID_*` environment over
//! the profile named by `NECID_PROFILE` (or `default`) — exactly the core's
//! `Config::from_env`. All parsing and validation is the core's.

use clap::Args;
use necid::{Client, Config};

use crate::exit::CliError;
use crate::output::{Format, Out};

/// Options every command accepts (listed under their own heading in `--help`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Profile in ~/.necid/config (or $NECID_CONFIG_FILE) to use; see `necid configure`.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Biometric API endpoint (default https://api.id.nec.com.au).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Tenant (portal) API endpoint, for galleries and applications.
    #[arg(long, global = true, value_name = "URL")]
    pub tenant_endpoint: Option<String>,
    /// SigV4 region (default ap-southeast-2).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Access key id (prefer the profile or NECID_ACCESS_KEY_ID).
    #[arg(long, global = true, value_name = "ID")]
    pub access_key_id: Option<String>,
    /// Secret access key. Visible to other local users in the process list: prefer the
    /// profile or NECID_SECRET_ACCESS_KEY.
    #[arg(long, global = true, value_name = "SECRET")]
    pub secret_access_key: Option<String>,
    /// Session token for temporary credentials (prefer NECID_SESSION_TOKEN).
    #[arg(long, global = true, value_name = "TOKEN")]
    pub session_token: Option<String>,
    /// Application API key selecting the gallery (prefer the profile or NECID_API_KEY).
    #[arg(long, global = true, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Trusted CAs for https://: platform (the OS store, default), bundled (Mozilla roots
    /// built in) or custom (only --ca-bundle). Also NECID_TLS_ROOTS / profile `tls_roots`.
    #[arg(long, global = true, value_name = "ROOTS")]
    pub tls_roots: Option<String>,
    /// PEM file of CA certificates to trust (alone: only these; with --tls-roots
    /// platform/bundled: in addition). Also NECID_CA_BUNDLE / profile `ca_bundle`.
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_bundle: Option<std::path::PathBuf>,
    /// Per-attempt request timeout in seconds.
    #[arg(long, global = true, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Output format: table for people, json for scripts.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Format::Table)]
    pub output: Format,
    /// No progress bars, notes or confirmations (results are still printed).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    /// Log requests to stderr (-v: one line per request, -vv: debug, -vvv: trace). Secrets
    /// are never logged.
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl GlobalArgs {
    pub fn out(&self) -> Out {
        Out {
            format: self.output,
            quiet: self.quiet,
        }
    }

    /// The SDK configuration these options select.
    pub fn config(&self) -> Result<Config, CliError> {
        let mut b = match &self.profile {
            Some(name) => Config::from_profile(Some(name))?.to_builder(),
            None => necid::ConfigBuilder::from_env()?,
        };
        if let Some(v) = &self.endpoint {
            b = b.endpoint(v);
        }
        if let Some(v) = &self.tenant_endpoint {
            b = b.tenant_endpoint(v);
        }
        if let Some(v) = &self.region {
            b = b.region(v);
        }
        if let Some(v) = &self.access_key_id {
            b = b.access_key_id(v);
        }
        if let Some(v) = &self.secret_access_key {
            b = b.secret_access_key(v);
        }
        if let Some(v) = &self.session_token {
            b = b.session_token(v);
        }
        if let Some(v) = &self.api_key {
            b = b.api_key(v);
        }
        if let Some(v) = &self.tls_roots {
            let roots = necid::TlsRoots::parse(v).ok_or_else(|| {
                CliError::Usage("--tls-roots must be platform, bundled or custom".to_owned())
            })?;
            b = b.tls_roots(roots);
        }
        if let Some(v) = &self.ca_bundle {
            b = b.ca_bundle_file(v);
        }
        if let Some(secs) = self.timeout {
            if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
                return Err(CliError::Usage(
                    "--timeout must be between 0 and 86400 seconds".to_owned(),
                ));
            }
            b = b.request_timeout(std::time::Duration::from_secs_f64(secs));
        }
        // After the user's own suffix (NECID_USER_AGENT_SUFFIX / profile), not instead of it.
        b = b.append_user_agent_suffix(format!("necid-cli/{}", env!("CARGO_PKG_VERSION")));
        Ok(b.build()?)
    }

    /// A client for these options (no I/O yet).
    pub fn client(&self) -> Result<Client, CliError> {
        let config = self.config()?;
        tracing::debug!(?config, "client configuration");
        Ok(Client::new(config)?)
    }
}
