//! The scenario format and the Rust runner (the reference the other languages mirror).
//!
//! A scenario is `{"name": ..., "steps": [...]}`; each step names an `op`, its inputs
//! (images are file names in the faces directory, `""` meaning zero bytes; `${var}`
//! refers to a value captured by an earlier step), and either `expect` (a subset of the
//! result's keys with their normalised values) or `error` (the expected error kind).
//! `capture` maps a variable name to a result key. The transcript prints every step's full
//! normalised result: captured values are replaced by `${name}`, lists of ids are sorted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use necid::blocking::Client;
use necid::{Image, NewGallery, SearchRequest};
use serde_json::Value;

/// A step's outcome, before normalisation.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Result keys and their values (scalars or lists of scalars).
    Ok(BTreeMap<String, Value>),
    /// The error kind's stable name (`ErrorKind::as_str`).
    Err(String),
}

/// Runs scenario files against one emulator and writes a transcript.
pub struct Runner {
    tenant: Client,
    builder: necid::ConfigBuilder,
    faces: PathBuf,
    key_observer: Option<KeyObserver>,
}

/// Told each fresh gallery's API key (the secrets check needs to know what to look for).
type KeyObserver = Box<dyn Fn(&str) + Send + Sync>;

/// What went wrong running a scenario (not a step's expected error).
#[derive(Debug)]
pub struct RunError(pub String);

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err(msg: impl Into<String>) -> RunError {
    RunError(msg.into())
}

/// The canonical text of a value: strings as is, `null`, `true`/`false`, integers in
/// decimal, lists as `[a,b]`.
pub fn fmt_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(fmt_value).collect();
            format!("[{}]", parts.join(","))
        }
        Value::Object(_) => "<object>".into(),
    }
}

/// Replaces `${name}` in a string input by the captured value.
fn substitute(s: &str, vars: &BTreeMap<String, String>) -> Result<String, RunError> {
    if let Some(name) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        return vars
            .get(name)
            .cloned()
            .ok_or_else(|| err(format!("unknown variable ${{{name}}}")));
    }
    Ok(s.to_owned())
}

/// Replaces captured values by `${name}` (whole strings, and the id part of `id:score`).
fn normalise_str(s: &str, vars: &BTreeMap<String, String>) -> String {
    for (name, value) in vars {
        if s == value {
            return format!("${{{name}}}");
        }
        if let Some(rest) = s
            .strip_prefix(value.as_str())
            .and_then(|r| r.strip_prefix(':'))
        {
            return format!("${{{name}}}:{rest}");
        }
    }
    s.to_owned()
}

fn normalise(v: &Value, vars: &BTreeMap<String, String>) -> Value {
    match v {
        Value::String(s) => Value::String(normalise_str(s, vars)),
        Value::Array(a) => Value::Array(a.iter().map(|x| normalise(x, vars)).collect()),
        other => other.clone(),
    }
}

/// The transcript line of a step (1-based index).
pub fn line(index: usize, op: &str, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ok(m) => {
            let mut s = format!("{index:02} {op} ok");
            for (k, v) in m {
                s.push(' ');
                s.push_str(k);
                s.push('=');
                s.push_str(&fmt_value(v));
            }
            s
        }
        Outcome::Err(kind) => format!("{index:02} {op} error {kind}"),
    }
}

/// Checks a (normalised) outcome against the step's `expect`/`error`; `None` if it holds.
pub fn check(step: &Value, outcome: &Outcome) -> Option<String> {
    match (step.get("error").and_then(Value::as_str), outcome) {
        (Some(want), Outcome::Err(got)) if want == got => None,
        (Some(want), other) => Some(format!("expected error {want}, got {other:?}")),
        (None, Outcome::Err(got)) => Some(format!("expected success, got error {got}")),
        (None, Outcome::Ok(m)) => {
            let expect = step.get("expect").and_then(Value::as_object)?;
            for (k, want) in expect {
                let got = m.get(k).map(fmt_value);
                if got.as_deref() != Some(fmt_value(want).as_str()) {
                    return Some(format!("{k}: expected {}, got {got:?}", fmt_value(want)));
                }
            }
            None
        }
    }
}

fn str_field<'a>(step: &'a Value, key: &str) -> Result<&'a str, RunError> {
    step.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| err(format!("step needs string field `{key}`: {step}")))
}

fn tags_field(step: &Value) -> Vec<String> {
    step.get("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn ok(pairs: Vec<(&str, Value)>) -> Outcome {
    Outcome::Ok(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn opt_u32(v: Option<u32>) -> Value {
    v.map_or(Value::Null, Value::from)
}

impl Runner {
    /// A runner for the emulator described by a `necid serve --ready-file` file.
    pub fn from_ready_file(ready: &Path, faces: &Path) -> Result<Runner, RunError> {
        let text =
            std::fs::read_to_string(ready).map_err(|e| err(format!("{}: {e}", ready.display())))?;
        let info: Value =
            serde_json::from_str(&text).map_err(|e| err(format!("ready file: {e}")))?;
        let s = |k: &str| -> Result<String, RunError> {
            info.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| err(format!("ready file lacks {k}")))
        };
        let builder = necid::Config::builder()
            .endpoint(s("endpoint")?)
            .tenant_endpoint(s("tenantEndpoint")?)
            .region(s("region")?)
            .access_key_id(s("accessKeyId")?)
            .secret_access_key(s("secretAccessKey")?);
        Self::new(builder, faces)
    }

    /// A runner for the emulator a config builder (endpoints + credentials) points at.
    pub fn new(builder: necid::ConfigBuilder, faces: &Path) -> Result<Runner, RunError> {
        let tenant = builder
            .clone()
            .build()
            .and_then(Client::new)
            .map_err(|e| err(format!("tenant client: {e}")))?;
        Ok(Runner {
            tenant,
            builder,
            faces: faces.to_owned(),
            key_observer: None,
        })
    }

    /// Calls `f` with the API key of every gallery the runner creates.
    pub fn observe_gallery_keys(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Runner {
        self.key_observer = Some(Box::new(f));
        self
    }

    fn image(&self, name: &str) -> Result<Image, RunError> {
        if name.is_empty() {
            return Ok(Image::from(Vec::new()));
        }
        Image::from_path(self.faces.join(name)).map_err(|e| err(format!("image {name}: {e}")))
    }

    /// Runs one scenario file in a fresh gallery. Returns the transcript lines and the
    /// expectation failures.
    pub fn run(&self, file: &Path, label: &str) -> Result<(Vec<String>, Vec<String>), RunError> {
        let text =
            std::fs::read_to_string(file).map_err(|e| err(format!("{}: {e}", file.display())))?;
        let scenario: Value =
            serde_json::from_str(&text).map_err(|e| err(format!("{}: {e}", file.display())))?;
        let name = scenario.get("name").and_then(Value::as_str).unwrap_or("");
        let steps = scenario
            .get("steps")
            .and_then(Value::as_array)
            .ok_or_else(|| err("scenario has no steps"))?;

        let gallery = self
            .tenant
            .create_gallery(NewGallery {
                name: format!("scenario-{label}-{}", std::process::id()),
                size: Some(1000),
                ..NewGallery::default()
            })
            .map_err(|e| err(format!("create gallery: {e}")))?;
        let key = gallery
            .api_key
            .clone()
            .ok_or_else(|| err("create gallery returned no API key"))?;
        if let Some(f) = &self.key_observer {
            f(&key);
        }
        let client = self
            .builder
            .clone()
            .api_key(key)
            .build()
            .and_then(Client::new)
            .map_err(|e| err(format!("gallery client: {e}")))?;

        let mut lines = vec![format!("# scenario {name}")];
        let mut failures = Vec::new();
        let mut vars = BTreeMap::new();
        for (i, step) in steps.iter().enumerate() {
            let op = str_field(step, "op")?;
            let outcome = self.step(&client, op, step, &vars)?;
            let outcome = match outcome {
                Outcome::Ok(mut m) => {
                    if let Some(cap) = step.get("capture").and_then(Value::as_object) {
                        for (var, key) in cap {
                            let key = key.as_str().unwrap_or("");
                            let value = m.get(key).and_then(Value::as_str).ok_or_else(|| {
                                err(format!("step {}: nothing to capture at {key}", i + 1))
                            })?;
                            vars.insert(var.clone(), value.to_owned());
                        }
                    }
                    for (k, v) in m.iter_mut() {
                        *v = normalise(v, &vars);
                        // Lists come back in no documented order, except candidates
                        // (best first).
                        if let Value::Array(a) = v
                            && k != "candidates"
                        {
                            a.sort_by_key(fmt_value);
                        }
                    }
                    Outcome::Ok(m)
                }
                e => e,
            };
            if let Some(f) = check(step, &outcome) {
                failures.push(format!("step {} ({op}): {f}", i + 1));
            }
            lines.push(line(i + 1, op, &outcome));
        }
        self.tenant
            .delete_gallery(&gallery.id)
            .map_err(|e| err(format!("delete gallery: {e}")))?;
        Ok((lines, failures))
    }

    fn step(
        &self,
        c: &Client,
        op: &str,
        step: &Value,
        vars: &BTreeMap<String, String>,
    ) -> Result<Outcome, RunError> {
        let var = |k: &str| -> Result<String, RunError> { substitute(str_field(step, k)?, vars) };
        let img = |k: &str| -> Result<Image, RunError> { self.image(str_field(step, k)?) };
        let tags = tags_field(step);
        let r: necid::Result<Outcome> = match op {
            "create_tag" => c.create_tag(&var("name")?).map(|()| ok(vec![])),
            "rename_tag" => c
                .rename_tag(&var("name")?, &var("new_name")?)
                .map(|()| ok(vec![])),
            "delete_tag" => c.delete_tag(&var("name")?).map(|()| ok(vec![])),
            "list_tags" => c.list_tags().map(|t| {
                let names: Vec<Value> = t.into_iter().map(|t| Value::from(t.name)).collect();
                ok(vec![("tags", Value::Array(names))])
            }),
            "register_subject" => c.register_subject(img("image")?, &tags).map(|r| {
                ok(vec![
                    ("subjectId", Value::from(r.subject_id)),
                    ("eventId", r.event_id.map_or(Value::Null, Value::from)),
                ])
            }),
            "register_event" => c
                .register_event(&var("subject")?, img("image")?, &tags)
                .map(|r| {
                    ok(vec![(
                        "eventId",
                        r.event_id.map_or(Value::Null, Value::from),
                    )])
                }),
            "list_events" => c.list_events(&var("subject")?).map(|l| {
                let ids: Vec<Value> = l.events.into_iter().map(|e| e.event_id.into()).collect();
                ok(vec![("events", Value::Array(ids))])
            }),
            "unregister_subject" => c.unregister_subject(&var("subject")?).map(|()| ok(vec![])),
            "search" => {
                let mut req = SearchRequest::new(img("image")?);
                if let Some(t) = step.get("threshold").and_then(Value::as_u64) {
                    req = req.threshold(u32::try_from(t).unwrap_or(u32::MAX));
                }
                if step.get("tags").is_some() {
                    req = req.tags(tags);
                }
                c.search(req).map(|r| {
                    let cands: Vec<Value> = r
                        .candidates
                        .into_iter()
                        .map(|c| Value::from(format!("{}:{}", c.subject_id, c.score)))
                        .collect();
                    ok(vec![("candidates", Value::Array(cands))])
                })
            }
            "verify_subject" => c.verify_subject(&var("subject")?, img("image")?).map(|v| {
                ok(vec![
                    ("verified", Value::from(v.verified)),
                    ("score", opt_u32(v.score)),
                ])
            }),
            "verify_faces" => c.verify_faces(img("face")?, img("probe")?).map(|v| {
                ok(vec![
                    ("verified", Value::from(v.verified)),
                    ("score", opt_u32(v.score)),
                ])
            }),
            "extract_faces" => c
                .extract_faces(img("image")?, None)
                .map(|f| ok(vec![("faces", Value::from(f.len()))])),
            other => return Err(err(format!("unknown op {other}"))),
        };
        Ok(r.unwrap_or_else(|e| Outcome::Err(e.kind().as_str().to_owned())))
    }
}
