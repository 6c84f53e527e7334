//! `necid jobs bulk-register|progress|wait`: server-side bulk registration of files that
//! are already in the gallery's bucket.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use futures_util::TryStreamExt as _;
use necid::{BulkProgress, BulkRegistration, Client, JobStatus, WaitOptions};
use serde::Serialize;

use super::tag_list;
use crate::context::GlobalArgs;
use crate::exit::CliError;
use crate::output::{Out, Table, opt};

#[derive(Debug, Subcommand)]
pub enum JobsCmd {
    /// Start a bulk registration of files in the gallery's bucket (names, or a CSV
    /// manifest of filename,tags). Prints the batch id; --wait follows it to the end.
    ///
    /// Example: necid jobs bulk-register --manifest faces.csv --wait
    BulkRegister(BulkArgs),
    /// Show a batch's records (every page, or one page with --paging-id).
    ///
    /// Example: necid jobs progress 3f2a…
    Progress(ProgressArgs),
    /// Wait for a batch to finish with a progress bar, then summarise it. Exits 5 if any
    /// record failed.
    ///
    /// Example: necid jobs wait 3f2a… --timeout 600
    Wait(WaitArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["files", "manifest"])))]
pub struct BulkArgs {
    /// File names in the gallery's bucket.
    #[arg(value_name = "FILENAME")]
    pub files: Vec<String>,
    /// CSV manifest: one `filename,tags` row per file; tags separated by `;` (or more
    /// columns); an optional `filename,tags` header; `#` starts a comment line.
    #[arg(long, short = 'm', value_name = "CSV")]
    pub manifest: Option<PathBuf>,
    /// Tags for the FILENAME arguments (repeat or comma-separate).
    #[arg(long, short = 't', value_name = "TAG")]
    pub tags: Vec<String>,
    /// Follow the batch until it finishes (like `necid jobs wait`).
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub polling: Polling,
}

#[derive(Debug, Args)]
pub struct ProgressArgs {
    /// Batch id.
    pub batch_id: String,
    /// Fetch only the page after this paging id (lastEvaluatedKey of the previous page).
    #[arg(long)]
    pub paging_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Batch id.
    pub batch_id: String,
    #[command(flatten)]
    pub polling: Polling,
}

#[derive(Debug, Clone, Args)]
pub struct Polling {
    /// Seconds between polls at first (backs off ×1.5 up to 15 s).
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub poll_interval: f64,
    /// Give up after this many seconds (exit code 22, TimedOut).
    #[arg(long = "wait-timeout", value_name = "SECS", default_value_t = 1800.0)]
    pub wait_timeout: f64,
}

impl Polling {
    fn options(&self) -> Result<WaitOptions, CliError> {
        let secs = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 && v <= 7.0 * 86_400.0 {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(CliError::Usage(format!(
                    "{name} must be a positive number of seconds"
                )))
            }
        };
        let poll = secs("--poll-interval", self.poll_interval)?;
        Ok(WaitOptions {
            poll_interval: poll,
            max_poll_interval: Duration::from_secs(15).max(poll),
            timeout: secs("--wait-timeout", self.wait_timeout)?,
        })
    }
}

/// JSON of `jobs bulk-register` (without --wait).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Started {
    batch_id: String,
    registrations: usize,
}

/// JSON of `jobs progress`, `jobs wait` and `jobs bulk-register --wait`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    batch_id: String,
    total: usize,
    processed: usize,
    succeeded: usize,
    failed: usize,
    done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_evaluated_key: Option<String>,
    records: Vec<JobStatus>,
}

impl Summary {
    fn of(p: BulkProgress, last_evaluated_key: Option<String>) -> Summary {
        Summary {
            total: p.total(),
            processed: p.processed(),
            succeeded: p.succeeded(),
            failed: p.failed(),
            done: p.is_done(),
            batch_id: p.batch_id,
            last_evaluated_key,
            records: p.records,
        }
    }

    fn table(&self) -> String {
        let mut t = Table::new(&["FILE", "STATUS", "RESULT", "SUBJECT", "EVENT", "REASON"]);
        for r in &self.records {
            t.row(vec![
                r.filename.clone(),
                r.status.clone(),
                opt(r.register_status.as_deref()),
                opt(r.subject_id.as_deref()),
                opt(r.event_id.as_deref()),
                opt(r.reason.as_deref()),
            ]);
        }
        format!(
            "{}batch {}: {} record(s), {} processed, {} succeeded, {} failed{}\n",
            t.render(),
            self.batch_id,
            self.total,
            self.processed,
            self.succeeded,
            self.failed,
            if self.done { "" } else { " (still running)" }
        )
    }
}

/// Read a manifest: `filename[,tags[,more tags…]]` per row; tags in one cell are split on
/// `;` or `|`. Blank lines and `#` comments are skipped; a first row of `filename,…` is a
/// header.
pub fn read_manifest(path: &std::path::Path) -> Result<Vec<BulkRegistration>, CliError> {
    let text = std::fs::read(path).map_err(|e| CliError::io(path.display(), e))?;
    parse_manifest(&text).map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))
}

fn parse_manifest(data: &[u8]) -> Result<Vec<BulkRegistration>, String> {
    // Spreadsheet programs often save CSV with a UTF-8 byte-order mark.
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(data);
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| e.to_string())?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let mut cells = rec.iter();
        let Some(filename) = cells.next().filter(|f| !f.is_empty()) else {
            if rec.iter().all(str::is_empty) {
                continue;
            }
            return Err(format!("line {line}: the filename is empty"));
        };
        if i == 0 && filename.eq_ignore_ascii_case("filename") {
            continue;
        }
        let tags: Vec<String> = cells
            .flat_map(|c| c.split([';', '|']))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        out.push(BulkRegistration::new(filename, tags));
    }
    if out.is_empty() {
        return Err("the manifest lists no files".to_owned());
    }
    Ok(out)
}

pub async fn run(g: &GlobalArgs, cmd: JobsCmd) -> Result<(), CliError> {
    let out = g.out();
    let client = g.client()?;
    match cmd {
        JobsCmd::BulkRegister(a) => {
            let mut regs = match &a.manifest {
                Some(path) => read_manifest(path)?,
                None => Vec::new(),
            };
            let tags = tag_list(&a.tags);
            regs.extend(
                a.files
                    .iter()
                    .map(|f| BulkRegistration::new(f.clone(), tags.clone())),
            );
            let options = a.polling.options()?;
            let batch_id = client.bulk_register(&regs).await?;
            if a.wait {
                out.note(format!(
                    "started batch {batch_id} ({} file(s)); waiting for it to finish",
                    regs.len()
                ));
                return wait(out, &client, &batch_id, options).await;
            }
            out.result(
                &Started {
                    batch_id: batch_id.clone(),
                    registrations: regs.len(),
                },
                || {
                    format!(
                        "started batch {batch_id} ({} file(s))\nfollow it with: necid jobs wait {batch_id}\n",
                        regs.len()
                    )
                },
            )
        }
        JobsCmd::Progress(a) => {
            let summary = match &a.paging_id {
                Some(p) => {
                    let page = client.bulk_register_progress(&a.batch_id, Some(p)).await?;
                    Summary::of(
                        BulkProgress {
                            batch_id: page.batch_id,
                            records: page.processed,
                        },
                        page.last_evaluated_key,
                    )
                }
                None => {
                    let pages: Vec<necid::BulkProgressPage> = client
                        .bulk_progress_paginator(&a.batch_id)
                        .try_collect()
                        .await?;
                    let records = pages.into_iter().flat_map(|p| p.processed).collect();
                    Summary::of(
                        BulkProgress {
                            batch_id: a.batch_id.clone(),
                            records,
                        },
                        None,
                    )
                }
            };
            out.result(&summary, || summary.table())
        }
        JobsCmd::Wait(a) => {
            let options = a.polling.options()?;
            wait(out, &client, &a.batch_id, options).await
        }
    }
}

async fn wait(
    out: Out,
    client: &Client,
    batch_id: &str,
    options: WaitOptions,
) -> Result<(), CliError> {
    let bar = out.progress(None, "processing");
    let cb_bar = bar.clone();
    let progress = client
        .wait_for_bulk_register(batch_id, options, move |p| {
            cb_bar.set_length(u64::try_from(p.total()).unwrap_or(u64::MAX));
            cb_bar.set_position(u64::try_from(p.processed()).unwrap_or(u64::MAX));
            cb_bar.set_message(format!("{} failed", p.failed()));
        })
        .await;
    // Leave the final processed/total line above the summary (a forced last draw).
    if progress.is_ok() {
        bar.finish();
    } else {
        bar.finish_and_clear();
    }
    let summary = Summary::of(progress?, None);
    out.result(&summary, || {
        let mut text = format!(
            "batch {}: {} succeeded, {} failed (of {})\n",
            summary.batch_id, summary.succeeded, summary.failed, summary.total
        );
        let failed: Vec<&JobStatus> = summary
            .records
            .iter()
            .filter(|r| r.is_processed() && !r.succeeded())
            .collect();
        if !failed.is_empty() {
            let mut t = Table::new(&["FAILED FILE", "REASON"]);
            for r in failed {
                t.row(vec![r.filename.clone(), opt(r.reason.as_deref())]);
            }
            text.push_str(&t.render());
        }
        text
    })?;
    if summary.failed > 0 {
        return Err(CliError::Partial {
            failed: summary.failed,
            total: summary.total,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_rows_headers_comments_and_quotes() {
        let m = parse_manifest(
            b"filename,tags\n# a comment\na.jpg,staff;night\n\n\"b, c.jpg\",visitor,vip\nd.jpg\n",
        )
        .unwrap();
        assert_eq!(
            m,
            vec![
                BulkRegistration::new("a.jpg", ["staff", "night"]),
                BulkRegistration::new("b, c.jpg", ["visitor", "vip"]),
                BulkRegistration::new("d.jpg", Vec::<String>::new()),
            ]
        );
        assert!(parse_manifest(b"filename,tags\n").is_err());
        assert_eq!(
            parse_manifest(b"\xEF\xBB\xBFfilename,tags\na.jpg,x\n").unwrap(),
            vec![BulkRegistration::new("a.jpg", ["x"])]
        );
        assert!(parse_manifest(b",staff\n").is_err());
    }
}
