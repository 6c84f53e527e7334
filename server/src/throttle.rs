//! Throttling like API Gateway's usage plans: one token bucket per API key (`rate`
//! requests per second refill, `burst` capacity). Off by default; a request over the
//! limit gets 429 `{"message":"Too Many Requests"}`, as the Gateway answers it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// A usage plan's throttle: steady `rate` (requests per second) and `burst` (bucket size).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ThrottleSpec {
    /// Tokens added per second (> 0).
    pub rate: f64,
    /// Bucket capacity: requests allowed at once (≥ 1).
    pub burst: u32,
}

impl ThrottleSpec {
    /// Checks the values.
    pub fn check(&self) -> Result<(), String> {
        if !self.rate.is_finite() || self.rate <= 0.0 {
            return Err(format!(
                "throttle rate must be a positive number of requests per second (got {})",
                self.rate
            ));
        }
        if self.burst == 0 {
            return Err("throttle burst must be at least 1".into());
        }
        Ok(())
    }
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Keys kept at most; beyond this the buckets start afresh (a bound on memory, since the
/// key is only checked against the galleries after throttling).
const MAX_KEYS: usize = 10_000;

#[derive(Default)]
struct Inner {
    spec: Option<ThrottleSpec>,
    buckets: HashMap<String, Bucket>,
}

/// The live throttle of a running emulator.
#[derive(Default)]
pub(crate) struct Throttle {
    active: AtomicBool,
    inner: Mutex<Inner>,
}

impl Throttle {
    pub(crate) fn new(spec: Option<ThrottleSpec>) -> Throttle {
        let t = Throttle::default();
        t.set(spec);
        t
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets (or, with `None`, removes) the throttle; every bucket starts full.
    pub(crate) fn set(&self, spec: Option<ThrottleSpec>) {
        let mut inner = self.lock();
        inner.spec = spec;
        inner.buckets.clear();
        self.active.store(spec.is_some(), Ordering::Release);
    }

    pub(crate) fn spec(&self) -> Option<ThrottleSpec> {
        self.lock().spec
    }

    /// Takes one token from `key`'s bucket; false when it is empty (answer 429).
    pub(crate) fn admit(&self, key: &str) -> bool {
        if !self.active.load(Ordering::Relaxed) {
            return true;
        }
        let now = Instant::now();
        let mut inner = self.lock();
        let Some(spec) = inner.spec else {
            return true;
        };
        if inner.buckets.len() >= MAX_KEYS && !inner.buckets.contains_key(key) {
            inner.buckets.clear();
        }
        let b = inner.buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: f64::from(spec.burst),
            last: now,
        });
        let elapsed = now.duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * spec.rate).min(f64::from(spec.burst));
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
