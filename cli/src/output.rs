//! How results reach the user: tables and notes for people, one JSON document for scripts.
//!
//! Rules (documented in `cli/README.md`): results go to stdout; notes, progress bars and
//! errors go to stderr. `--output json` prints exactly one JSON document on stdout per
//! successful command (pretty-printed, camelCase keys, absent values omitted unless the
//! README says otherwise). `--quiet` drops notes, confirmations and progress bars, never
//! results. Progress bars are drawn only when stderr is a terminal.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::exit::CliError;

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// One JSON document on stdout, for scripts (stable; see cli/README.md).
    Json,
}

/// Output settings shared by every command.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub format: Format,
    pub quiet: bool,
}

impl Out {
    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Print a result: `value` as JSON, or the text `table` builds.
    pub fn result<T: Serialize>(
        &self,
        value: &T,
        table: impl FnOnce() -> String,
    ) -> Result<(), CliError> {
        match self.format {
            Format::Json => {
                let mut text = serde_json::to_string_pretty(value)
                    .map_err(|e| CliError::Internal(format!("cannot write JSON: {e}")))?;
                text.push('\n');
                stdout(text.as_bytes())
            }
            Format::Table => {
                let mut text = table();
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                stdout(text.as_bytes())
            }
        }
    }

    /// A confirmation of a change ("created tag x"): JSON `value`, or `line` unless quiet.
    pub fn done<T: Serialize>(
        &self,
        value: &T,
        line: impl FnOnce() -> String,
    ) -> Result<(), CliError> {
        if self.format == Format::Table && self.quiet {
            return Ok(());
        }
        self.result(value, line)
    }

    /// A note for people on stderr (never in JSON mode or with --quiet).
    pub fn note(&self, text: impl AsRef<str>) {
        if !self.quiet && self.format == Format::Table {
            eprintln!("{}", text.as_ref());
        }
    }

    /// A progress bar of `len` steps (`None`: not known yet) on stderr; hidden with
    /// --quiet or when stderr is not a terminal (indicatif checks that), so pipes and logs
    /// stay clean.
    pub fn progress(&self, len: Option<u64>, what: &str) -> ProgressBar {
        if self.quiet {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} {prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed})",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(what.to_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }
}

/// Write to stdout. A closed pipe (`necid … | head`) is not an error: the reader has
/// what it wanted.
pub fn stdout(bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::io("standard output", e)),
    }
}

/// A plain text table: left-aligned columns separated by two spaces.
#[derive(Debug, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let cols = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(cols) {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let mut out = String::new();
        let mut line = |cells: &[String]| {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate().take(cols) {
                let w = widths.get(i).copied().unwrap_or(0);
                if i + 1 == cols {
                    text.push_str(cell);
                } else {
                    text.push_str(&format!("{cell:<w$}  "));
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&self.headers);
        for row in &self.rows {
            line(row);
        }
        out
    }
}

/// `Some(x)` as text, `-` for none.
pub fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "-".to_owned())
}

/// A score/quality 0–1 with two decimals, `-` for none.
pub fn opt_f2(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.2}"))
        .unwrap_or_else(|| "-".to_owned())
}

/// One line describing a face: box, eyes, score, quality, angles.
pub fn describe_face(a: &necid::FaceAttributes) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &a.face_area {
        parts.push(format!(
            "face {}x{} at ({},{})",
            r.right - r.left,
            r.bottom - r.top,
            r.left,
            r.top
        ));
    }
    if let Some(s) = a.face_score {
        parts.push(format!("score {s:.3}"));
    }
    if let Some(q) = a.face_quality_score {
        parts.push(format!("quality {q:.3}"));
    }
    if let Some(f) = a.frontal_face_score {
        parts.push(format!("frontal {f:.2}"));
    }
    let angles: Vec<String> = [
        ("roll", a.face_roll),
        ("pan", a.face_pan),
        ("tilt", a.face_tilt),
    ]
    .iter()
    .filter_map(|(n, v)| v.map(|v| format!("{n} {v:.1}")))
    .collect();
    if !angles.is_empty() {
        parts.push(angles.join(" "));
    }
    if parts.is_empty() {
        "no attributes".to_owned()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let mut t = Table::new(&["ID", "STATUS"]);
        t.row(vec!["a".into(), "A".into()]);
        t.row(vec!["longer-id".into(), "D".into()]);
        assert_eq!(
            t.render(),
            "ID         STATUS\na          A\nlonger-id  D\n"
        );
    }
}
