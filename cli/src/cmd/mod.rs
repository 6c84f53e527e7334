//! The operation subcommands. Each talks to the service only through the core crate.

pub mod configure;
pub mod events;
pub mod face;
pub mod jobs;
pub mod misc;
pub mod subjects;
pub mod tags;
pub mod tenant;

use futures_util::StreamExt as _;
use necid::RegisteredFace;
use serde::Serialize;

use crate::exit::{CliError, ErrorBody};
use crate::inputs::Input;
use crate::output::{Out, Table, describe_face};

/// Read an input off the async threads (files and stdin are blocking reads).
pub async fn read_input(input: Input) -> Result<Vec<u8>, CliError> {
    tokio::task::spawn_blocking(move || input.read())
        .await
        .map_err(|e| CliError::Internal(format!("reading an image failed: {e}")))?
}

/// Parse `--tags a,b --tags c` into one list (comma-separated values are split).
pub fn tag_list(raw: &[String]) -> Vec<String> {
    raw.iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One image's outcome when registering many.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemResult {
    /// The file (or `-`).
    pub file: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub registered: Option<RegisteredFace>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// `{"results": [...], "succeeded": n, "failed": n}`.
#[derive(Debug, Serialize)]
pub struct Batch {
    pub results: Vec<ItemResult>,
    pub succeeded: usize,
    pub failed: usize,
}

/// How many registrations are in flight at once when no `--concurrency` is given.
pub const DEFAULT_CONCURRENCY: u16 = 4;

/// Register every input with `op` (at most `concurrency` in flight, progress bar on a
/// terminal), print one row per image, and fail with `Partial` if any failed. A single
/// image that fails is reported as that error (its exit code), not as a partial failure.
pub async fn register_many<F, Fut>(
    out: Out,
    inputs: Vec<Input>,
    concurrency: usize,
    what: &str,
    op: F,
) -> Result<(), CliError>
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: Future<Output = necid::Result<RegisteredFace>>,
{
    let total = inputs.len();
    let bar = out.progress(Some(u64::try_from(total).unwrap_or(u64::MAX)), what);
    let op = &op;
    let bar_ref = &bar;
    let mut results: Vec<(usize, String, Result<RegisteredFace, CliError>)> =
        futures_util::stream::iter(inputs.into_iter().enumerate())
            .map(|(i, input)| async move {
                let label = input.label();
                let result = match read_input(input).await {
                    Ok(bytes) => op(bytes).await.map_err(CliError::from),
                    Err(e) => Err(e),
                };
                bar_ref.inc(1);
                if let Err(e) = &result {
                    bar_ref.println(format!("{label}: {e}"));
                }
                (i, label, result)
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    bar.finish_and_clear();
    results.sort_by_key(|(i, _, _)| *i);

    // One image: its failure is the command's failure (its own exit code).
    if total == 1
        && matches!(results.first(), Some((_, _, Err(_))))
        && let Some((_, _, Err(e))) = results.pop()
    {
        return Err(e);
    }
    let mut batch = Batch {
        results: Vec::with_capacity(total),
        succeeded: 0,
        failed: 0,
    };
    for (_, file, r) in results {
        match r {
            Ok(reg) => {
                batch.succeeded += 1;
                batch.results.push(ItemResult {
                    file,
                    registered: Some(reg),
                    error: None,
                });
            }
            Err(e) => {
                batch.failed += 1;
                batch.results.push(ItemResult {
                    file,
                    registered: None,
                    error: Some(e.to_json().error),
                });
            }
        }
    }
    out.result(&batch, || {
        let mut t = Table::new(&["FILE", "SUBJECT", "EVENT", "RESULT"]);
        for r in &batch.results {
            match (&r.registered, &r.error) {
                (Some(reg), _) => t.row(vec![
                    r.file.clone(),
                    reg.subject_id.clone(),
                    reg.event_id.clone().unwrap_or_else(|| "-".into()),
                    reg.attributes
                        .as_ref()
                        .map(describe_face)
                        .unwrap_or_else(|| "registered".into()),
                ]),
                (None, Some(err)) => t.row(vec![
                    r.file.clone(),
                    "-".into(),
                    "-".into(),
                    format!("FAILED {}: {}", err.kind, err.message),
                ]),
                (None, None) => {}
            }
        }
        t.render()
    })?;
    if batch.failed > 0 {
        out.note(format!(
            "{} registered, {} failed",
            batch.succeeded, batch.failed
        ));
        return Err(CliError::Partial {
            failed: batch.failed,
            total,
        });
    }
    if total > 1 {
        out.note(format!("{} registered", batch.succeeded));
    }
    Ok(())
}
