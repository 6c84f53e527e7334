//! `necid emulator requests`: what a test sent to a running emulator — read from its
//! admin API (`GET /_admin/v1/requests`, recording must be on: `necid serve --record DIR`
//! or `PUT /_admin/v1/recording`) or from a `--record` folder's `requests.jsonl`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::Value;

#[derive(Debug, Subcommand)]
pub enum EmulatorCmd {
    /// List the requests the emulator recorded (secrets and images redacted).
    ///
    /// Example: necid emulator requests --ready-file /tmp/necid.json --method POST
    Requests(RequestsArgs),
}

#[derive(Debug, Args)]
pub struct RequestsArgs {
    /// Ready file written by `necid serve --ready-file` (gives the admin endpoint and token).
    #[arg(long, conflicts_with_all = ["from", "admin_endpoint"])]
    pub ready_file: Option<PathBuf>,
    /// Admin API base URL (`<endpoint>/_admin/v1`).
    #[arg(long, env = "NECID_ADMIN_ENDPOINT", conflicts_with = "from")]
    pub admin_endpoint: Option<String>,
    /// Admin token.
    #[arg(long, env = "NECID_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Read DIR/requests.jsonl (a `necid serve --record DIR` folder) instead of asking the emulator.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// Only records after this sequence number.
    #[arg(long, default_value_t = 0)]
    pub since: u64,
    /// Only this method.
    #[arg(long)]
    pub method: Option<String>,
    /// Only paths starting with this.
    #[arg(long)]
    pub path: Option<String>,
    /// Print each record as one JSON line instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cmd: EmulatorCmd) -> anyhow::Result<()> {
    match cmd {
        EmulatorCmd::Requests(a) => requests(a).await,
    }
}

async fn requests(a: RequestsArgs) -> anyhow::Result<()> {
    let records: Vec<Value> = match &a.from {
        Some(dir) => {
            let path = dir.join(necid_server::record::RECORD_FILE);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let method = a.method.as_ref().map(|m| m.to_ascii_uppercase());
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(serde_json::from_str::<Value>)
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("{} is not JSON lines", path.display()))?
                .into_iter()
                .filter(|r| r["seq"].as_u64().is_some_and(|s| s > a.since))
                .filter(|r| method.as_deref().is_none_or(|m| r["method"] == m))
                .filter(|r| {
                    a.path
                        .as_deref()
                        .is_none_or(|p| r["path"].as_str().is_some_and(|x| x.starts_with(p)))
                })
                .collect()
        }
        None => from_admin(&a).await?,
    };
    for r in &records {
        if a.json {
            println!("{r}");
        } else {
            let query = r["query"]
                .as_str()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            let status = r["status"]
                .as_u64()
                .map_or_else(|| "-".to_owned(), |s| s.to_string());
            let fault = r["fault"]["id"]
                .as_str()
                .map(|f| {
                    format!(
                        "  fault {f} ({})",
                        r["fault"]["fault"].as_str().unwrap_or("")
                    )
                })
                .unwrap_or_default();
            println!(
                "{:>5}  {:<6} {}{}  {}  {} ms{}",
                r["seq"],
                r["method"].as_str().unwrap_or(""),
                r["path"].as_str().unwrap_or(""),
                query,
                status,
                r["durationMs"],
                fault
            );
        }
    }
    Ok(())
}

async fn from_admin(a: &RequestsArgs) -> anyhow::Result<Vec<Value>> {
    let (endpoint, token, ca, identity) = match &a.ready_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let v: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a ready file", path.display()))?;
            let field = |k: &str| v[k].as_str().map(str::to_owned);
            (
                field("adminEndpoint").context("the ready file has no adminEndpoint")?,
                a.admin_token
                    .clone()
                    .or_else(|| field("adminToken"))
                    .context("the ready file has no adminToken")?,
                field("caFile").map(PathBuf::from),
                // With --tls-client-auth the admin API needs the client certificate too.
                field("clientCertFile")
                    .zip(field("clientKeyFile"))
                    .map(|(c, k)| (PathBuf::from(c), PathBuf::from(k))),
            )
        }
        None => match (&a.admin_endpoint, &a.admin_token) {
            (Some(e), Some(t)) => (e.clone(), t.clone(), None, None),
            _ => bail!(
                "say where the emulator is: --ready-file F, --admin-endpoint URL with --admin-token T \
                 (or NECID_ADMIN_ENDPOINT/NECID_ADMIN_TOKEN), or --from DIR"
            ),
        },
    };
    let mut builder = reqwest::Client::builder();
    if let Some(ca) = ca {
        let pem = std::fs::read(&ca).with_context(|| format!("reading {}", ca.display()))?;
        builder = builder.add_root_certificate(
            reqwest::Certificate::from_pem(&pem).context("the CA file is not PEM")?,
        );
    }
    if let Some((cert, key)) = identity {
        let mut pem =
            std::fs::read(&cert).with_context(|| format!("reading {}", cert.display()))?;
        pem.push(b'\n');
        pem.extend(std::fs::read(&key).with_context(|| format!("reading {}", key.display()))?);
        builder = builder.identity(
            reqwest::Identity::from_pem(&pem).context("the client certificate is not usable")?,
        );
    }
    let client = builder.build().context("building the HTTP client")?;
    let mut query = vec![("since", a.since.to_string())];
    if let Some(m) = &a.method {
        query.push(("method", m.clone()));
    }
    if let Some(p) = &a.path {
        query.push(("path", p.clone()));
    }
    let query: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    let url = format!(
        "{}/requests?{}",
        endpoint.trim_end_matches('/'),
        query.join("&")
    );
    let resp = client
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("asking {url}"))?;
    let status = resp.status();
    let body: Value = serde_json::from_slice(&resp.bytes().await.context("reading the answer")?)
        .context("the admin API did not answer JSON")?;
    if !status.is_success() {
        bail!(
            "the admin API answered {status}: {}",
            body["message"].as_str().unwrap_or("")
        );
    }
    if body["recording"] == false && body["requests"].as_array().is_some_and(Vec::is_empty) {
        eprintln!(
            "necid: recording is off (start with --record DIR, or PUT {{\"enabled\": true}} to {endpoint}/recording)"
        );
    }
    Ok(body["requests"].as_array().cloned().unwrap_or_default())
}

/// Percent-encodes a query value (everything but unreserved characters and `/`).
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
