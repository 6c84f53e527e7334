//! `necid configure`: write a profile to the file the core reads (`~/.necid/config`, or
//! `$NECID_CONFIG_FILE`), in the core's INI-like format (see `necid::config::parse_profiles`).
//!
//! The file holds secrets, so it is written with mode 0600 (its folder 0700 when created
//! here), through a temporary file and a rename so a crash never leaves half a file.
//! Other profiles, comments and unknown keys are kept as they are. Values come from the
//! global flags (`--endpoint`, `--access-key-id`, …), from `--from-emulator` (the ready
//! file of `necid serve`), or from prompts when standard input is a terminal (secrets are
//! read without echo). Nothing secret is printed back.

use std::collections::BTreeMap;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use crate::context::GlobalArgs;
use crate::exit::CliError;

#[derive(Debug, Args)]
pub struct ConfigureArgs {
    /// Take the endpoint and development credentials from a running emulator's ready file
    /// (`necid serve --ready-file F`).
    #[arg(long, value_name = "READY_FILE")]
    pub from_emulator: Option<PathBuf>,
    /// Never prompt, even on a terminal.
    #[arg(long)]
    pub no_input: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Configured {
    profile: String,
    file: PathBuf,
    /// Keys written (values are not echoed).
    keys: Vec<String>,
}

/// Profile keys this command writes, in file order; secrets are prompted without echo.
const KEYS: &[(&str, &str, bool)] = &[
    ("endpoint", "Endpoint", false),
    ("tenant_endpoint", "Tenant endpoint", false),
    ("region", "Region", false),
    ("access_key_id", "Access key id", false),
    ("secret_access_key", "Secret access key", true),
    ("session_token", "Session token", true),
    ("api_key", "API key", true),
];

pub fn run(g: &GlobalArgs, a: ConfigureArgs) -> Result<(), CliError> {
    let out = g.out();
    let profile = g.profile.clone().unwrap_or_else(|| {
        std::env::var("NECID_PROFILE")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "default".to_owned())
    });
    if profile.trim().is_empty() || profile.contains([']', '[', '\n', '\r']) {
        return Err(CliError::Usage(format!(
            "{profile:?} is not a usable profile name"
        )));
    }
    let path = necid::config::config_file_path().ok_or_else(|| {
        CliError::Io("cannot locate the home directory; set NECID_CONFIG_FILE".to_owned())
    })?;
    let existing = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(CliError::io(path.display(), e)),
    };
    let current = necid::config::parse_profiles(&existing)
        .map_err(|(line, msg)| CliError::Usage(format!("{}:{line}: {msg}", path.display())))?
        .remove(&profile)
        .unwrap_or_default();

    let mut values: BTreeMap<&'static str, String> = BTreeMap::new();
    if let Some(ready) = &a.from_emulator {
        for (k, v) in read_ready_file(ready)? {
            values.insert(k, v);
        }
    }
    for (key, flag) in [
        ("endpoint", &g.endpoint),
        ("tenant_endpoint", &g.tenant_endpoint),
        ("region", &g.region),
        ("access_key_id", &g.access_key_id),
        ("secret_access_key", &g.secret_access_key),
        ("session_token", &g.session_token),
        ("api_key", &g.api_key),
    ] {
        if let Some(v) = flag {
            values.insert(key, v.clone());
        }
    }
    if values.is_empty() && !a.no_input && std::io::stdin().is_terminal() {
        prompt_all(&profile, &current, &mut values)?;
    }
    if values.is_empty() {
        return Err(CliError::Usage(
            "nothing to write: give --endpoint, --access-key-id, --secret-access-key, \
             --api-key, … or --from-emulator FILE (or run on a terminal to be asked)"
                .to_owned(),
        ));
    }

    let text = edit_profile(&existing, &profile, &values);
    validate(&text, &profile)?;
    write_private(&path, &text)?;
    let result = Configured {
        profile: profile.clone(),
        file: path.clone(),
        keys: values.keys().map(|k| (*k).to_owned()).collect(),
    };
    out.done(&result, || {
        format!(
            "wrote profile [{profile}] to {} ({})\n",
            path.display(),
            result.keys.join(", ")
        )
    })
}

fn read_ready_file(path: &Path) -> Result<Vec<(&'static str, String)>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path.display(), e))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{}: not a ready file: {e}", path.display())))?;
    let mut out = Vec::new();
    for (key, field) in [
        ("endpoint", "endpoint"),
        ("tenant_endpoint", "tenantEndpoint"),
        ("region", "region"),
        ("access_key_id", "accessKeyId"),
        ("secret_access_key", "secretAccessKey"),
        ("api_key", "apiKey"),
    ] {
        if let Some(s) = v.get(field).and_then(|x| x.as_str()) {
            out.push((key, s.to_owned()));
        }
    }
    if out.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: not a necid serve ready file",
            path.display()
        )));
    }
    Ok(out)
}

fn prompt_all(
    profile: &str,
    current: &std::collections::HashMap<String, String>,
    values: &mut BTreeMap<&'static str, String>,
) -> Result<(), CliError> {
    eprintln!("Configuring profile [{profile}]. Press Enter to keep the current value.");
    for (key, label, secret) in KEYS {
        let shown = match (current.get(*key), secret) {
            (None, _) => "none".to_owned(),
            (Some(_), true) => "****".to_owned(),
            (Some(v), false) => v.clone(),
        };
        let prompt = format!("{label} [{shown}]: ");
        let answer = if *secret {
            rpassword::prompt_password(&prompt).map_err(|e| CliError::io("terminal", e))?
        } else {
            eprint!("{prompt}");
            std::io::stderr().flush().ok();
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| CliError::io("terminal", e))?;
            line
        };
        let answer = answer.trim();
        if !answer.is_empty() {
            values.insert(key, answer.to_owned());
        }
    }
    Ok(())
}

fn norm_key(k: &str) -> String {
    k.trim().to_ascii_lowercase().replace('-', "_")
}

fn section_name(line: &str) -> Option<String> {
    let inner = line.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    Some(
        inner
            .strip_prefix("profile ")
            .map(str::trim)
            .unwrap_or(inner)
            .to_owned(),
    )
}

/// `existing` with `values` set in `[profile]` (created at the end if missing); every
/// other line is kept.
pub fn edit_profile(
    existing: &str,
    profile: &str,
    values: &BTreeMap<&'static str, String>,
) -> String {
    let mut lines: Vec<String> = existing.lines().map(str::to_owned).collect();
    let start = lines
        .iter()
        .position(|l| section_name(l).as_deref() == Some(profile));
    let Some(start) = start else {
        let mut text = existing.to_owned();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!("[{profile}]\n"));
        for (k, v) in ordered(values) {
            text.push_str(&format!("{k} = {v}\n"));
        }
        return text;
    };
    let end = lines
        .iter()
        .enumerate()
        .skip(start + 1)
        .find(|(_, l)| section_name(l).is_some())
        .map(|(i, _)| i)
        .unwrap_or(lines.len());
    let mut missing = Vec::new();
    for (k, v) in ordered(values) {
        let found = (start + 1..end).find(|&i| {
            lines.get(i).is_some_and(|l| {
                let t = l.trim();
                !t.starts_with('#')
                    && !t.starts_with(';')
                    && t.split_once('=').is_some_and(|(lk, _)| norm_key(lk) == k)
            })
        });
        match found.and_then(|i| lines.get_mut(i)) {
            Some(line) => *line = format!("{k} = {v}"),
            None => missing.push(format!("{k} = {v}")),
        }
    }
    // New keys go after the section's last non-blank line.
    let mut insert_at = end;
    while insert_at > start + 1
        && lines
            .get(insert_at - 1)
            .is_some_and(|l| l.trim().is_empty())
    {
        insert_at -= 1;
    }
    for (offset, l) in missing.into_iter().enumerate() {
        lines.insert(insert_at + offset, l);
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn ordered<'a>(values: &'a BTreeMap<&'static str, String>) -> Vec<(&'static str, &'a String)> {
    KEYS.iter()
        .filter_map(|(k, _, _)| values.get(k).map(|v| (*k, v)))
        .collect()
}

/// Check the profile as the core will read it, before anything is written.
fn validate(text: &str, profile: &str) -> Result<(), CliError> {
    let all = necid::config::parse_profiles(text)
        .map_err(|(line, msg)| CliError::Usage(format!("line {line}: {msg}")))?;
    let p = all.get(profile).cloned().unwrap_or_default();
    necid::Config::builder()
        .apply_profile(&p, &format!("profile [{profile}]"))?
        .build()?;
    Ok(())
}

/// Write `text` to `path` with mode 0600 via a temporary file in the same folder.
fn write_private(path: &Path, text: &str) -> Result<(), CliError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder
            .create(dir)
            .map_err(|e| CliError::io(dir.display(), e))?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".to_owned());
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(CliError::io(path.display(), e));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| CliError::io(path.display(), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(pairs: &[(&'static str, &str)]) -> BTreeMap<&'static str, String> {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    #[test]
    fn edits_only_the_named_profile() {
        let existing =
            "# mine\n[default]\nendpoint = http://a\napi-key = OLD\n\n[profile dev]\nregion = x\n";
        let text = edit_profile(
            existing,
            "default",
            &vals(&[("api_key", "NEW"), ("region", "eu-west-1")]),
        );
        assert_eq!(
            text,
            "# mine\n[default]\nendpoint = http://a\napi_key = NEW\nregion = eu-west-1\n\n[profile dev]\nregion = x\n"
        );
        let text = edit_profile(&text, "dev", &vals(&[("endpoint", "http://b")]));
        let p = necid::config::parse_profiles(&text).unwrap();
        assert_eq!(p["dev"]["endpoint"], "http://b");
        assert_eq!(p["dev"]["region"], "x");
        assert_eq!(p["default"]["api_key"], "NEW");
        let text = edit_profile("", "new", &vals(&[("endpoint", "http://c")]));
        assert_eq!(text, "[new]\nendpoint = http://c\n");
        assert!(validate("[p]\nendpoint = ftp://x\n", "p").is_err());
        assert!(validate("[p]\naccess_key_id = A\n", "p").is_err());
    }
}
