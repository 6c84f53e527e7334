//! Recording: each API request and its answer as one JSON object — in memory (read with
//! `GET /_admin/v1/requests` or `necid emulator requests`) and, with `--record DIR`, as
//! JSON lines in `DIR/requests.jsonl`. Secrets never reach a record: the signature, API
//! keys and security tokens are replaced by a short fingerprint, and images (the `face`,
//! `probe` and `faces` properties, and any long base64 string) by a summary of their size
//! and SHA-256.
//!
//! Off by default: when off, a request pays one relaxed atomic load.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use base64::Engine as _;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Records kept in memory (the oldest go first).
pub(crate) const RING: usize = 10_000;

/// The name of the JSON-lines file in the record folder.
pub const RECORD_FILE: &str = "requests.jsonl";

pub(crate) struct Recorder {
    enabled: AtomicBool,
    seq: AtomicU64,
    ring: Mutex<VecDeque<Value>>,
    file: Option<(PathBuf, Mutex<File>)>,
}

impl Recorder {
    /// `dir`: also append to `dir/requests.jsonl` (the folder is created); recording is
    /// then on from the start. `memory`: record in memory from the start.
    pub(crate) fn new(dir: Option<&Path>, memory: bool) -> std::io::Result<Recorder> {
        let file = match dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                let path = d.join(RECORD_FILE);
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)?;
                Some((path, Mutex::new(f)))
            }
            None => None,
        };
        Ok(Recorder {
            enabled: AtomicBool::new(memory || file.is_some()),
            seq: AtomicU64::new(0),
            ring: Mutex::new(VecDeque::new()),
            file,
        })
    }

    #[inline]
    pub(crate) fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    pub(crate) fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    pub(crate) fn file(&self) -> Option<&Path> {
        self.file.as_ref().map(|(p, _)| p.as_path())
    }

    pub(crate) fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Keeps a finished record (in memory, and in the file when there is one).
    pub(crate) fn push(&self, rec: Value) {
        if let Some((path, f)) = &self.file {
            let mut line = rec.to_string();
            line.push('\n');
            let mut f = f.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = f.write_all(line.as_bytes()) {
                tracing::warn!("cannot append to {}: {e}", path.display());
            }
        }
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        if ring.len() >= RING {
            ring.pop_front();
        }
        ring.push_back(rec);
    }

    /// Records with `seq` above `since`, oldest first, at most `limit`, optionally only
    /// one method and/or a path prefix.
    pub(crate) fn list(
        &self,
        since: u64,
        limit: usize,
        method: Option<&str>,
        path_prefix: Option<&str>,
    ) -> Vec<Value> {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        ring.iter()
            .filter(|r| r["seq"].as_u64().is_some_and(|s| s > since))
            .filter(|r| method.is_none_or(|m| r["method"].as_str() == Some(m)))
            .filter(|r| {
                path_prefix.is_none_or(|p| r["path"].as_str().is_some_and(|x| x.starts_with(p)))
            })
            .take(limit)
            .cloned()
            .collect()
    }

    /// Forgets the in-memory records (the file is kept).
    pub(crate) fn clear(&self) {
        self.ring.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// A short, non-reversible label for a secret: `sha256:` and 8 hex digits.
pub(crate) fn fingerprint(secret: &str) -> String {
    let d = Sha256::digest(secret.as_bytes());
    format!("sha256:{}", hex::encode(&d[..4]))
}

/// The request headers worth recording, secrets replaced.
pub(crate) fn headers(h: &axum::http::HeaderMap) -> Value {
    let mut out = Map::new();
    for (name, value) in h {
        let n = name.as_str();
        let v = value.to_str().unwrap_or("<not text>");
        let shown = match n {
            "authorization" => authorization(v),
            "x-api-key" | "x-amz-security-token" | "x-necid-admin-token" | "cookie" => {
                fingerprint(v)
            }
            _ => v.to_owned(),
        };
        out.insert(n.to_owned(), Value::String(shown));
    }
    Value::Object(out)
}

/// `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=<redacted>`.
fn authorization(v: &str) -> String {
    match v.find("Signature=") {
        Some(at) => format!("{}Signature=<redacted>", &v[..at]),
        None => "<redacted>".to_owned(),
    }
}

const IMAGE_KEYS: [&str; 3] = ["face", "probe", "faces"];
const SECRET_KEYS: [&str; 5] = [
    "apiKey",
    "secretAccessKey",
    "secretKey",
    "sessionToken",
    "password",
];

/// A body for the record: JSON with images summarised and secrets fingerprinted; other
/// bodies as their size.
pub(crate) fn body(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => redact(v, false),
        Err(_) => json!({"notJson": true, "bytes": bytes.len()}),
    }
}

fn redact(v: Value, image: bool) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let v = if SECRET_KEYS.contains(&k.as_str()) {
                        match v {
                            Value::String(s) => Value::String(fingerprint(&s)),
                            other => redact(other, false),
                        }
                    } else {
                        redact(v, IMAGE_KEYS.contains(&k.as_str()))
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| redact(x, image)).collect()),
        Value::String(s) if image || s.len() > 512 => Value::String(summary(&s)),
        other => other,
    }
}

/// `<image: N bytes, sha256:XXXXXXXX>` for base64 text (or `<text: N chars>`).
fn summary(s: &str) -> String {
    let b64 = s
        .find(";base64,")
        .map_or(s, |at| &s[at + ";base64,".len()..]);
    let cleaned: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(cleaned.trim_end_matches('='))
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(cleaned.trim_end_matches('='))
        })
        .or_else(|_| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cleaned.trim_end_matches('='))
        });
    match decoded {
        Ok(bytes) => format!(
            "<image: {} bytes, sha256:{}>",
            bytes.len(),
            hex::encode(&Sha256::digest(&bytes)[..4])
        ),
        Err(_) => format!("<text: {} chars>", s.chars().count()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn images_and_secrets_never_reach_a_record() {
        let img = base64::engine::general_purpose::STANDARD.encode(b"\xff\xd8\xffJPEGDATA");
        let v = body(
            json!({"face": img, "tags": ["a"], "faces": [img, img], "apiKey": "s3cret-key"})
                .to_string()
                .as_bytes(),
        );
        let text = v.to_string();
        assert!(!text.contains(&img), "{text}");
        assert!(!text.contains("s3cret-key"), "{text}");
        assert!(
            v["face"]
                .as_str()
                .unwrap()
                .starts_with("<image: 11 bytes, sha256:")
        );
        assert_eq!(v["faces"][1], v["face"]);
        assert_eq!(v["tags"], json!(["a"]));
        assert_eq!(body(b"not json"), json!({"notJson": true, "bytes": 8}));
        assert_eq!(
            authorization("AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=abcd"),
            "AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=<redacted>"
        );
    }
}
