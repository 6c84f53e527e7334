//! Fault rules: the service's bad days on demand (`necid serve --faults FILE`, and the admin
//! API at run time; see the crate README, "Fault rules").
//!
//! A rule matches requests by method and path pattern, fires with a probability and/or a
//! limited number of times, and then answers an error (429 with `Retry-After`, 500, 502,
//! 503, 504), the service's `Timeout` 1003, resets the connection, truncates or slows the
//! response body, or adds latency. Every random draw comes from one seeded generator, so
//! the same seed and the same sequence of requests give the same faults.
//!
//! With no rule set the request path costs one relaxed atomic load.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ServerError;

/// A rule as written in a fault file or sent to the admin API (camelCase JSON/TOML keys).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultRuleSpec {
    /// Name of the rule (unique); generated (`rule-N`) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// HTTP method to match (`GET`, `POST`, ...); absent or `*`: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path pattern: `/v1.1/subjects/{id}` (a `{name}` or `*` segment matches any one
    /// segment; a final `**` matches the rest); absent: every API path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Chance (0–1) that a matching request gets the fault. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// The rule fires at most this many times, then stays in the list, spent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Let this many matching requests through before the rule may fire. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    /// What happens: `error`, `timeout`, `reset`, `truncate`, `latency` or `slowBody`.
    pub fault: String,
    /// `error`: 429, 500, 502, 503 or 504.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `error`: seconds for a `Retry-After` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// `error`/`timeout`: the `message` of the body (default: the service's wording).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `error`, `timeout`, `reset`: `before` (default; the request is not processed) or
    /// `after` (processed, then the fault replaces the answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// `latency`: `{"ms": N}`, `{"minMs": A, "maxMs": B}` (uniform) or
    /// `{"meanMs": M, "stddevMs": S}` (normal, clipped at 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<DelaySpec>,
    /// `truncate`: bytes of the body sent before the connection closes (default: half).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_bytes: Option<usize>,
    /// `slowBody`: bytes per chunk (default 16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_bytes: Option<usize>,
    /// `slowBody`: pause before each chunk, milliseconds (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_ms: Option<u64>,
    /// `rewrite`: values to put into the real JSON answer, by path: `/a/b` (object keys,
    /// array indexes) where a `*` segment stands for every element or member; the last
    /// segment is the key set (added when absent). E.g. `{"/processed/*/attributesJson":
    /// "..."}` answers the bulk progress with the reference example's placeholder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A latency distribution, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DelaySpec {
    /// Fixed delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms: Option<u64>,
    /// Uniform: lowest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ms: Option<u64>,
    /// Uniform: highest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<u64>,
    /// Normal: mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_ms: Option<u64>,
    /// Normal: standard deviation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stddev_ms: Option<u64>,
}

/// A fault file: `{"seed": 42, "rules": [...]}` (JSON, or TOML with `[[rules]]`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultPlan {
    /// Seed of the generator behind probabilities and latency distributions. Absent: a
    /// random seed, reported by `GET /_admin/v1/faults` so a run can be replayed.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The rules, tried in order.
    #[serde(default)]
    pub rules: Vec<FaultRuleSpec>,
}

impl FaultPlan {
    /// Reads and checks a fault file: JSON when the name ends in `.json`, TOML otherwise.
    /// Every problem is a [`ServerError::Config`] naming the file and the rule.
    pub fn from_file(path: impl AsRef<Path>) -> Result<FaultPlan, ServerError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ServerError::Config(format!("cannot read fault file {}: {e}", path.display()))
        })?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        Self::from_str_format(&text, json)
            .map_err(|e| ServerError::Config(format!("fault file {}: {e}", path.display())))
    }

    /// Parses and checks fault-file text (`json` selects the format).
    pub fn from_str_format(text: &str, json: bool) -> Result<FaultPlan, String> {
        let plan: FaultPlan = if json {
            serde_json::from_str(text).map_err(|e| e.to_string())?
        } else {
            toml::from_str(text).map_err(|e| e.to_string())?
        };
        plan.check()?;
        Ok(plan)
    }

    /// Checks every rule (and that ids are unique).
    pub fn check(&self) -> Result<(), String> {
        let mut ids = std::collections::HashSet::new();
        for (i, spec) in self.rules.iter().enumerate() {
            Rule::compile(spec, format!("rule-{}", i + 1))
                .map_err(|e| format!("rule {} ({}): {e}", i + 1, label(spec)))?;
            if let Some(id) = &spec.id
                && !ids.insert(id.clone())
            {
                return Err(format!("rule {}: the id {id:?} is used twice", i + 1));
            }
        }
        Ok(())
    }
}

fn label(spec: &FaultRuleSpec) -> String {
    match &spec.id {
        Some(id) => format!("id {id:?}"),
        None => format!("fault {:?}", spec.fault),
    }
}

/// When a fault replaces the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Before,
    After,
}

/// What a fired rule does.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    Error {
        status: u16,
        retry_after: Option<u64>,
        message: Option<String>,
        phase: Phase,
    },
    Timeout {
        message: Option<String>,
        phase: Phase,
    },
    Reset {
        phase: Phase,
    },
    Truncate {
        keep: Option<usize>,
    },
    Latency(Delay),
    SlowBody {
        chunk: usize,
        interval: Duration,
    },
    Rewrite {
        set: Vec<(Vec<String>, serde_json::Value)>,
    },
}

#[derive(Debug, Clone)]
pub(crate) enum Delay {
    Fixed(u64),
    Uniform(u64, u64),
    Normal(u64, u64),
}

#[derive(Debug, Clone)]
enum Seg {
    Lit(String),
    Any,
    Rest,
}

#[derive(Debug)]
struct Rule {
    id: String,
    spec: FaultRuleSpec,
    method: Option<String>,
    path: Option<Vec<Seg>>,
    probability: f64,
    count: Option<u64>,
    after: u64,
    action: Action,
    matched: u64,
    fired: u64,
}

const MAX_DELAY_MS: u64 = 10 * 60 * 1000;

impl Rule {
    fn compile(spec: &FaultRuleSpec, default_id: String) -> Result<Rule, String> {
        let id = match &spec.id {
            Some(id) if id.trim().is_empty() || id.len() > 100 => {
                return Err("id must be 1 to 100 characters".into());
            }
            Some(id) => id.clone(),
            None => default_id,
        };
        let method = match spec.method.as_deref().map(str::trim) {
            None | Some("*") => None,
            Some(m) => {
                let up = m.to_ascii_uppercase();
                if !["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"].contains(&up.as_str()) {
                    return Err(format!(
                        "method {m:?} is not one of GET, POST, PUT, DELETE, PATCH, HEAD or *"
                    ));
                }
                Some(up)
            }
        };
        let path = match spec.path.as_deref() {
            None => None,
            Some(p) => Some(compile_path(p)?),
        };
        let probability = spec.probability.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&probability) {
            return Err(format!("probability {probability} is not between 0 and 1"));
        }
        let phase = match spec.phase.as_deref() {
            None | Some("before") => Phase::Before,
            Some("after") => Phase::After,
            Some(other) => return Err(format!("phase {other:?} is not \"before\" or \"after\"")),
        };
        let only = |allowed: &[&str]| -> Result<(), String> {
            let present = [
                ("status", spec.status.is_some()),
                ("retryAfter", spec.retry_after.is_some()),
                ("message", spec.message.is_some()),
                ("phase", spec.phase.is_some()),
                ("delay", spec.delay.is_some()),
                ("keepBytes", spec.keep_bytes.is_some()),
                ("chunkBytes", spec.chunk_bytes.is_some()),
                ("intervalMs", spec.interval_ms.is_some()),
                ("set", spec.set.is_some()),
            ];
            match present
                .iter()
                .find(|(name, set)| *set && !allowed.contains(name))
            {
                Some((name, _)) => Err(format!("{name} does not apply to fault {:?}", spec.fault)),
                None => Ok(()),
            }
        };
        let action = match spec.fault.as_str() {
            "error" => {
                only(&["status", "retryAfter", "message", "phase"])?;
                let status = spec
                    .status
                    .ok_or("fault \"error\" needs a status (429, 500, 502, 503 or 504)")?;
                if ![429, 500, 502, 503, 504].contains(&status) {
                    return Err(format!(
                        "status {status} is not one of 429, 500, 502, 503, 504"
                    ));
                }
                Action::Error {
                    status,
                    retry_after: spec.retry_after,
                    message: spec.message.clone(),
                    phase,
                }
            }
            "timeout" => {
                only(&["message", "phase"])?;
                Action::Timeout {
                    message: spec.message.clone(),
                    phase,
                }
            }
            "reset" => {
                only(&["phase"])?;
                Action::Reset { phase }
            }
            "truncate" => {
                only(&["keepBytes"])?;
                Action::Truncate {
                    keep: spec.keep_bytes,
                }
            }
            "latency" => {
                only(&["delay"])?;
                let d = spec
                    .delay
                    .as_ref()
                    .ok_or("fault \"latency\" needs a delay ({\"ms\": N}, {\"minMs\", \"maxMs\"} or {\"meanMs\", \"stddevMs\"})")?;
                Action::Latency(compile_delay(d)?)
            }
            "slowBody" => {
                only(&["chunkBytes", "intervalMs"])?;
                let chunk = spec.chunk_bytes.unwrap_or(16);
                let interval = spec.interval_ms.unwrap_or(100);
                if chunk == 0 {
                    return Err("chunkBytes must be at least 1".into());
                }
                if interval > MAX_DELAY_MS {
                    return Err(format!("intervalMs must be at most {MAX_DELAY_MS}"));
                }
                Action::SlowBody {
                    chunk,
                    interval: Duration::from_millis(interval),
                }
            }
            "rewrite" => {
                only(&["set"])?;
                let set = spec
                    .set
                    .as_ref()
                    .filter(|m| !m.is_empty())
                    .ok_or("fault \"rewrite\" needs a set ({\"/path/to/key\": value, ...})")?;
                let mut out = Vec::with_capacity(set.len());
                for (path, value) in set {
                    let segs: Vec<String> = match path.strip_prefix('/') {
                        Some(rest) if !rest.is_empty() => {
                            rest.split('/').map(str::to_owned).collect()
                        }
                        _ => {
                            return Err(format!(
                                "set path {path:?} must start with / and name a key"
                            ));
                        }
                    };
                    if segs.iter().any(String::is_empty) || segs.last().is_some_and(|s| s == "*") {
                        return Err(format!(
                            "set path {path:?}: empty segments are not allowed and the last names a key"
                        ));
                    }
                    out.push((segs, value.clone()));
                }
                Action::Rewrite { set: out }
            }
            other => {
                return Err(format!(
                    "unknown fault {other:?} (known: error, timeout, reset, truncate, latency, slowBody, rewrite)"
                ));
            }
        };
        Ok(Rule {
            id,
            spec: spec.clone(),
            method,
            path,
            probability,
            count: spec.count,
            after: spec.after.unwrap_or(0),
            action,
            matched: 0,
            fired: 0,
        })
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        if let Some(m) = &self.method
            && m != method
        {
            return false;
        }
        match &self.path {
            None => true,
            Some(segs) => path_matches(segs, path),
        }
    }

    fn status(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(&self.spec).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("id".into(), self.id.clone().into());
            o.insert("matched".into(), self.matched.into());
            o.insert("fired".into(), self.fired.into());
        }
        v
    }
}

fn compile_path(p: &str) -> Result<Vec<Seg>, String> {
    let Some(rest) = p.strip_prefix('/') else {
        return Err(format!("path {p:?} must start with /"));
    };
    let rest = rest.trim_end_matches('/');
    let parts: Vec<&str> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('/').collect()
    };
    let n = parts.len();
    let mut segs = Vec::with_capacity(n);
    for (i, s) in parts.into_iter().enumerate() {
        segs.push(match s {
            "" => return Err(format!("path {p:?} has an empty segment")),
            "**" if i + 1 == n => Seg::Rest,
            "**" => return Err(format!("path {p:?}: ** may only be the last segment")),
            "*" => Seg::Any,
            s if s.starts_with('{') && s.ends_with('}') => Seg::Any,
            s => Seg::Lit(s.to_owned()),
        });
    }
    Ok(segs)
}

fn path_matches(segs: &[Seg], path: &str) -> bool {
    let path = path.trim_end_matches('/');
    let mut parts = path.strip_prefix('/').unwrap_or(path).split('/');
    if path.is_empty() || path == "/" {
        return segs.is_empty() || matches!(segs, [Seg::Rest]);
    }
    for seg in segs {
        match seg {
            Seg::Rest => return true,
            Seg::Any => {
                if parts.next().is_none() {
                    return false;
                }
            }
            Seg::Lit(l) => {
                if parts.next() != Some(l.as_str()) {
                    return false;
                }
            }
        }
    }
    parts.next().is_none()
}

fn compile_delay(d: &DelaySpec) -> Result<Delay, String> {
    let check = |v: u64| {
        if v > MAX_DELAY_MS {
            Err(format!("delays must be at most {MAX_DELAY_MS} ms"))
        } else {
            Ok(v)
        }
    };
    match (d.ms, d.min_ms, d.max_ms, d.mean_ms, d.stddev_ms) {
        (Some(ms), None, None, None, None) => Ok(Delay::Fixed(check(ms)?)),
        (None, Some(a), Some(b), None, None) if a <= b => {
            Ok(Delay::Uniform(check(a)?, check(b)?))
        }
        (None, Some(_), Some(_), None, None) => Err("delay minMs is above maxMs".into()),
        (None, None, None, Some(m), Some(s)) => Ok(Delay::Normal(check(m)?, check(s)?)),
        _ => Err(
            "delay must be {\"ms\": N}, {\"minMs\": A, \"maxMs\": B} or {\"meanMs\": M, \"stddevMs\": S}"
                .into(),
        ),
    }
}

/// SplitMix64: tiny, fast, and the same sequence everywhere for a seed.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn sample(&mut self, d: &Delay) -> Duration {
        let ms = match *d {
            Delay::Fixed(ms) => ms as f64,
            Delay::Uniform(a, b) => a as f64 + self.next_f64() * (b - a) as f64,
            Delay::Normal(mean, sd) => {
                // Box–Muller.
                let u1 = self.next_f64().max(f64::MIN_POSITIVE);
                let u2 = self.next_f64();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                (mean as f64 + z * sd as f64).max(0.0)
            }
        };
        Duration::from_micros((ms.min(MAX_DELAY_MS as f64) * 1000.0) as u64)
    }
}

#[derive(Debug)]
struct State {
    seed: u64,
    rng: Rng,
    rules: Vec<Rule>,
    next_id: u64,
}

/// What the fault rules decided for one request.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    /// Added latency (sum of the `latency` rules that fired).
    pub delay: Duration,
    /// The first non-latency rule that fired: its id and action.
    pub action: Option<(String, Action)>,
    /// Ids of the latency rules that fired.
    pub latency_rules: Vec<String>,
}

/// The live rule set of a running emulator.
#[derive(Debug)]
pub(crate) struct Faults {
    active: AtomicBool,
    state: Mutex<State>,
}

fn random_seed() -> u64 {
    use rand::Rng as _;
    rand::rng().random()
}

impl Faults {
    pub(crate) fn new(plan: &FaultPlan) -> Result<Faults, String> {
        let f = Faults {
            active: AtomicBool::new(false),
            state: Mutex::new(State {
                seed: 0,
                rng: Rng(0),
                rules: Vec::new(),
                next_id: 1,
            }),
        };
        f.replace(plan)?;
        Ok(f)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces every rule (and the seed: the plan's, or a fresh random one).
    pub(crate) fn replace(&self, plan: &FaultPlan) -> Result<(), String> {
        plan.check()?;
        let mut st = self.lock();
        let seed = plan.seed.unwrap_or_else(random_seed);
        let mut rules: Vec<Rule> = Vec::with_capacity(plan.rules.len());
        let mut next_id = 1;
        for spec in &plan.rules {
            // A generated id never repeats an id given in the plan.
            let mut id = format!("rule-{next_id}");
            while plan
                .rules
                .iter()
                .any(|r| r.id.as_deref() == Some(id.as_str()))
                || rules.iter().any(|r| r.id == id)
            {
                next_id += 1;
                id = format!("rule-{next_id}");
            }
            rules.push(Rule::compile(spec, id)?);
            next_id += 1;
        }
        *st = State {
            seed,
            rng: Rng(seed),
            rules,
            next_id,
        };
        self.active.store(!st.rules.is_empty(), Ordering::Release);
        Ok(())
    }

    /// Appends one rule; returns its status (with its id).
    pub(crate) fn add(&self, spec: &FaultRuleSpec) -> Result<serde_json::Value, String> {
        let mut st = self.lock();
        let mut default_id = format!("rule-{}", st.next_id);
        while st.rules.iter().any(|r| r.id == default_id) {
            st.next_id += 1;
            default_id = format!("rule-{}", st.next_id);
        }
        let rule = Rule::compile(spec, default_id)?;
        if st.rules.iter().any(|r| r.id == rule.id) {
            return Err(format!("a rule with id {:?} exists already", rule.id));
        }
        st.next_id += 1;
        let status = rule.status();
        st.rules.push(rule);
        self.active.store(true, Ordering::Release);
        Ok(status)
    }

    /// Removes one rule; false when there is none with this id.
    pub(crate) fn remove(&self, id: &str) -> bool {
        let mut st = self.lock();
        let before = st.rules.len();
        st.rules.retain(|r| r.id != id);
        self.active.store(!st.rules.is_empty(), Ordering::Release);
        st.rules.len() != before
    }

    /// `{seed, rules: [{...spec, id, matched, fired}]}`.
    pub(crate) fn status(&self) -> serde_json::Value {
        let st = self.lock();
        serde_json::json!({
            "seed": st.seed,
            "rules": st.rules.iter().map(Rule::status).collect::<Vec<_>>(),
        })
    }

    /// Whether any rule is set (one relaxed load: the cost of faults when none are set).
    #[inline]
    pub(crate) fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// Runs the rules for one request, in order: latency rules that fire add up; the first
    /// other rule that fires decides the fault.
    pub(crate) fn decide(&self, method: &str, path: &str) -> Decision {
        let mut d = Decision::default();
        let mut st = self.lock();
        let State { rng, rules, .. } = &mut *st;
        for rule in rules.iter_mut() {
            if !rule.matches(method, path) {
                continue;
            }
            rule.matched += 1;
            if rule.matched <= rule.after || rule.count.is_some_and(|c| rule.fired >= c) {
                continue;
            }
            if rule.probability < 1.0 && rng.next_f64() >= rule.probability {
                continue;
            }
            rule.fired += 1;
            match &rule.action {
                Action::Latency(delay) => {
                    d.delay += rng.sample(delay);
                    d.latency_rules.push(rule.id.clone());
                }
                other => {
                    d.action = Some((rule.id.clone(), other.clone()));
                    break;
                }
            }
        }
        d
    }
}

/// Puts `value` at `path` in `doc` (see [`FaultRuleSpec::set`]): `*` walks every element
/// of an array or member of an object; a path through a missing or scalar value sets
/// nothing. Returns how many places were set.
pub(crate) fn rewrite_json(
    doc: &mut serde_json::Value,
    path: &[String],
    value: &serde_json::Value,
) -> usize {
    use serde_json::Value;
    let Some((first, rest)) = path.split_first() else {
        return 0;
    };
    if rest.is_empty() {
        return match doc {
            Value::Object(m) => {
                m.insert(first.clone(), value.clone());
                1
            }
            Value::Array(a) => match first.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(slot) => {
                    *slot = value.clone();
                    1
                }
                None => 0,
            },
            _ => 0,
        };
    }
    match (doc, first.as_str()) {
        (Value::Array(a), "*") => a.iter_mut().map(|d| rewrite_json(d, rest, value)).sum(),
        (Value::Object(m), "*") => m.values_mut().map(|d| rewrite_json(d, rest, value)).sum(),
        (Value::Array(a), i) => i
            .parse::<usize>()
            .ok()
            .and_then(|i| a.get_mut(i))
            .map_or(0, |d| rewrite_json(d, rest, value)),
        (Value::Object(m), k) => m.get_mut(k).map_or(0, |d| rewrite_json(d, rest, value)),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rewrite_paths() {
        let rule = |set: serde_json::Value| {
            Rule::compile(
                &FaultRuleSpec {
                    set: set.as_object().cloned(),
                    ..spec("rewrite")
                },
                "r".into(),
            )
        };
        assert!(rule(serde_json::json!({"/processed/*/attributesJson": "..."})).is_ok());
        for bad in [
            serde_json::json!({}),
            serde_json::json!({"processed": 1}),
            serde_json::json!({"/": 1}),
            serde_json::json!({"/a//b": 1}),
            serde_json::json!({"/a/*": 1}),
        ] {
            assert!(rule(bad.clone()).is_err(), "{bad}");
        }
        assert!(Rule::compile(&spec("rewrite"), "r".into()).is_err());
        let mut doc = serde_json::json!({"batchId": "b", "processed": [
            {"id": "1", "attributesJson": "{}"}, {"id": "2"}, 5
        ]});
        let path: Vec<String> = ["processed", "*", "attributesJson"]
            .map(String::from)
            .into();
        assert_eq!(rewrite_json(&mut doc, &path, &serde_json::json!("...")), 2);
        assert_eq!(doc["processed"][0]["attributesJson"], "...");
        assert_eq!(doc["processed"][1]["attributesJson"], "...");
        assert_eq!(doc["processed"][2], 5);
        let path: Vec<String> = ["missing", "x"].map(String::from).into();
        assert_eq!(rewrite_json(&mut doc, &path, &serde_json::json!(1)), 0);
    }

    fn spec(fault: &str) -> FaultRuleSpec {
        FaultRuleSpec {
            fault: fault.into(),
            ..Default::default()
        }
    }

    #[test]
    fn paths() {
        let p = compile_path("/v1.1/subjects/{id}/events").unwrap();
        assert!(path_matches(&p, "/v1.1/subjects/abc/events"));
        assert!(path_matches(&p, "/v1.1/subjects/abc/events/"));
        assert!(!path_matches(&p, "/v1.1/subjects/abc"));
        assert!(!path_matches(&p, "/v1.1/subjects/abc/events/e1"));
        let p = compile_path("/v1.1/**").unwrap();
        assert!(path_matches(&p, "/v1.1/tags"));
        assert!(path_matches(&p, "/v1.1/subjects/a/events"));
        assert!(!path_matches(&p, "/api/galleries"));
        assert!(compile_path("v1.1/tags").is_err());
        assert!(compile_path("/v1.1/**/x").is_err());
        assert!(compile_path("/v1.1//x").is_err());
    }

    #[test]
    fn bad_rules_say_why() {
        let mut s = spec("error");
        assert!(
            Rule::compile(&s, "r".into())
                .unwrap_err()
                .contains("needs a status")
        );
        s.status = Some(418);
        assert!(Rule::compile(&s, "r".into()).unwrap_err().contains("418"));
        s.status = Some(503);
        s.keep_bytes = Some(3);
        assert!(
            Rule::compile(&s, "r".into())
                .unwrap_err()
                .contains("keepBytes")
        );
        let mut s = spec("latency");
        s.delay = Some(DelaySpec {
            min_ms: Some(5),
            max_ms: Some(1),
            ..Default::default()
        });
        assert!(Rule::compile(&s, "r".into()).unwrap_err().contains("minMs"));
        assert!(
            Rule::compile(&spec("explode"), "r".into())
                .unwrap_err()
                .contains("unknown fault")
        );
        let mut s = spec("reset");
        s.probability = Some(1.5);
        assert!(
            Rule::compile(&s, "r".into())
                .unwrap_err()
                .contains("probability")
        );
        let e = FaultPlan::from_str_format(r#"{"rules":[{"fault":"reset","stauts":1}]}"#, true)
            .unwrap_err();
        assert!(e.contains("unknown field `stauts`"), "{e}");
    }

    #[test]
    fn count_after_and_seeded_probability() {
        let plan = FaultPlan {
            seed: Some(7),
            rules: vec![
                FaultRuleSpec {
                    method: Some("get".into()),
                    path: Some("/v1.1/tags".into()),
                    count: Some(2),
                    after: Some(1),
                    status: Some(503),
                    ..spec("error")
                },
                FaultRuleSpec {
                    probability: Some(0.5),
                    ..spec("reset")
                },
            ],
        };
        let f = Faults::new(&plan).unwrap();
        let run = |f: &Faults| -> Vec<Option<String>> {
            (0..40)
                .map(|_| f.decide("GET", "/v1.1/tags").action.map(|a| a.0))
                .collect()
        };
        let a = run(&f);
        assert_ne!(
            a[0].as_deref(),
            Some("rule-1"),
            "after: 1 lets the first one through"
        );
        assert_eq!(a[1].as_deref(), Some("rule-1"));
        assert_eq!(a[2].as_deref(), Some("rule-1"));
        let resets = a[3..].iter().filter(|x| x.is_some()).count();
        assert!((5..33).contains(&resets), "{resets} of 37");
        // Generated ids never collide with given ones.
        let h = Faults::new(&FaultPlan {
            seed: Some(1),
            rules: vec![
                FaultRuleSpec {
                    id: Some("rule-2".into()),
                    ..spec("reset")
                },
                spec("reset"),
                spec("reset"),
            ],
        })
        .unwrap();
        let ids: Vec<String> = h.status()["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, ["rule-2", "rule-3", "rule-4"]);
        // Same seed, same rules: the same decisions.
        let g = Faults::new(&plan).unwrap();
        assert_eq!(run(&g), a);
    }
}
