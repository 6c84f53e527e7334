//! Locates the model files in their registry packages, accepts each one only if
//! its sha256 matches the pinned value, and copies it to OUT_DIR so that the
//! library can `include_bytes!` it. No weight file is committed to the repo and
//! nothing is downloaded at run time.
//!
//! * SeetaFace detector: inside the `rustface` =0.1.7 crate's source directory,
//!   found with `cargo metadata` (offline first, then online), then in
//!   `$CARGO_HOME/registry/src/*/rustface-0.1.7/`. Override: `NECID_RUSTFACE_MODEL`
//!   (path to `seeta_fd_frontal_v1.0.bin`).
//! * face-api landmark and descriptor nets: the npm package `@vladmandic/face-api`
//!   1.7.15 installed from `models/package-lock.json` into `models/node_modules`. If
//!   it is missing, this script runs `npm ci --ignore-scripts` there itself.
//!   Override: `NECID_FACE_API_MODEL_DIR` (the package's `model/` directory).

use sha2::{Digest, Sha256};
use std::env;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const RUSTFACE_VERSION: &str = "0.1.7";
const SEETA_MODEL: (&str, &str) = (
    "seeta_fd_frontal_v1.0.bin",
    "c4619d066ed35e84d9a8e842860b0dff567aba0cbb139881075538761db3ff5d",
);
const FACE_API_FILES: [(&str, &str); 4] = [
    (
        "face_landmark_68_model-weights_manifest.json",
        "ca4886639f86e99b39fed0c155f81b63317225773bd9616716e887b0153389c9",
    ),
    (
        "face_landmark_68_model.bin",
        "4611ef65c87d836d03d684b30eec4d195d8b219fa1dd58fc58945831c6b9299b",
    ),
    (
        "face_recognition_model-weights_manifest.json",
        "cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b",
    ),
    (
        "face_recognition_model.bin",
        "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589",
    ),
];

/// Build failure with a plain-text (not Debug-escaped) how-to-fix message.
struct BuildError(String);

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\n\nnecid-face-engine build failed:\n{}\n", self.0)
    }
}

type Result<T> = std::result::Result<T, BuildError>;

fn main() -> Result<()> {
    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=models/package-lock.json");
    println!("cargo:rerun-if-env-changed=NECID_RUSTFACE_MODEL");
    println!("cargo:rerun-if-env-changed=NECID_FACE_API_MODEL_DIR");

    // --- SeetaFace model from the rustface crate ---------------------------------
    let (seeta_path, rustface_dir) = locate_seeta_model(&manifest_dir)?;
    install_verified(&seeta_path, SEETA_MODEL.1, &out_dir.join(SEETA_MODEL.0))?;
    // Tests read rustface's bundled test.png from the same place (never committed).
    println!(
        "cargo:rustc-env=NECID_RUSTFACE_SRC_DIR={}",
        rustface_dir
            .map(|d| d.display().to_string())
            .unwrap_or_default()
    );

    // --- face-api weights from the npm package -----------------------------------
    let model_dir = locate_face_api_models(&manifest_dir)?;
    for (name, sha) in FACE_API_FILES {
        let src = model_dir.join(name);
        println!("cargo:rerun-if-changed={}", src.display());
        install_verified(&src, sha, &out_dir.join(name))?;
    }
    Ok(())
}

fn env_var(name: &str) -> Result<String> {
    env::var(name).map_err(|_| BuildError(format!("cargo did not set {name}")))
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Copies `src` to `dst` only if its sha256 is `expected`.
fn install_verified(src: &Path, expected: &str, dst: &Path) -> Result<()> {
    let bytes = fs::read(src)
        .map_err(|e| BuildError(format!("cannot read model file {}: {e}", src.display())))?;
    let got = sha256_hex(&bytes);
    if got != expected {
        return Err(BuildError(format!(
            "model file {} has sha256 {got}, expected {expected}.\n\
             The file is corrupt or from another package version. Fix: reinstall it \
             (for face-api: `rm -rf face-engine/models/node_modules && (cd face-engine/models \
             && npm ci --ignore-scripts)`; for rustface: remove the crate from \
             $CARGO_HOME/registry/src and run `cargo fetch`), or point the override \
             variable at a good copy.",
            src.display()
        )));
    }
    // Avoid rewriting an identical file so dependants are not rebuilt needlessly.
    if fs::read(dst).map(|old| old == bytes).unwrap_or(false) {
        return Ok(());
    }
    fs::write(dst, &bytes).map_err(|e| BuildError(format!("cannot write {}: {e}", dst.display())))
}

/// Returns the model path and, when known, the rustface source directory.
fn locate_seeta_model(manifest_dir: &Path) -> Result<(PathBuf, Option<PathBuf>)> {
    if let Ok(p) = env::var("NECID_RUSTFACE_MODEL") {
        let p = PathBuf::from(p);
        let dir = p.parent().and_then(Path::parent).map(Path::to_path_buf);
        return Ok((p, dir));
    }
    let mut tried = Vec::new();
    for dir in rustface_dirs_from_metadata(manifest_dir, &mut tried)
        .into_iter()
        .chain(rustface_dirs_from_cargo_home(&mut tried))
    {
        let model = dir.join("model").join(SEETA_MODEL.0);
        if model.is_file() {
            return Ok((model, Some(dir)));
        }
        tried.push(format!("{} (no model file)", dir.display()));
    }
    Err(BuildError(format!(
        "could not find {} of the rustface {RUSTFACE_VERSION} crate.\nTried:\n  {}\n\
         Fix: run `cargo fetch` (needs crates.io), or set NECID_RUSTFACE_MODEL to the \
         path of a copy with sha256 {}.",
        SEETA_MODEL.0,
        tried.join("\n  "),
        SEETA_MODEL.1
    )))
}

fn rustface_dirs_from_metadata(manifest_dir: &Path, tried: &mut Vec<String>) -> Vec<PathBuf> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let target = env::var("TARGET").unwrap_or_default();
    // --filter-platform: otherwise cargo wants every platform's crates, which may
    // never have been downloaded. --offline first: no network if all is present.
    for offline in [true, false] {
        let mut cmd = Command::new(&cargo);
        cmd.arg("metadata")
            .arg("--format-version")
            .arg("1")
            .arg("--manifest-path")
            .arg(manifest_dir.join("Cargo.toml"));
        if !target.is_empty() {
            cmd.arg("--filter-platform").arg(&target);
        }
        if offline {
            cmd.arg("--offline");
        }
        let out = match cmd.output() {
            Ok(o) if o.status.success() => o.stdout,
            Ok(o) => {
                tried.push(format!(
                    "cargo metadata{}: {}",
                    if offline { " --offline" } else { "" },
                    String::from_utf8_lossy(&o.stderr)
                        .lines()
                        .last()
                        .unwrap_or("")
                ));
                continue;
            }
            Err(e) => {
                tried.push(format!("cargo metadata: {e}"));
                continue;
            }
        };
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&out) else {
            tried.push("cargo metadata: unparsable output".to_string());
            continue;
        };
        let dirs: Vec<PathBuf> = json["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["name"] == "rustface" && p["version"] == RUSTFACE_VERSION)
            .filter_map(|p| p["manifest_path"].as_str())
            .filter_map(|m| Path::new(m).parent().map(Path::to_path_buf))
            .collect();
        if !dirs.is_empty() {
            return dirs;
        }
        tried.push("cargo metadata: no rustface package".to_string());
    }
    Vec::new()
}

fn rustface_dirs_from_cargo_home(tried: &mut Vec<String>) -> Vec<PathBuf> {
    let home = env::var("CARGO_HOME").map(PathBuf::from).ok().or_else(|| {
        env::var("HOME")
            .ok()
            .map(|h| PathBuf::from(h).join(".cargo"))
    });
    let Some(home) = home else {
        tried.push("$CARGO_HOME: not set".to_string());
        return Vec::new();
    };
    let src = home.join("registry").join("src");
    let mut dirs = Vec::new();
    if let Ok(entries) = fs::read_dir(&src) {
        for e in entries.flatten() {
            let d = e.path().join(format!("rustface-{RUSTFACE_VERSION}"));
            if d.is_dir() {
                dirs.push(d);
            }
        }
    }
    if dirs.is_empty() {
        tried.push(format!("{}/*/rustface-{RUSTFACE_VERSION}", src.display()));
    }
    dirs
}

fn locate_face_api_models(manifest_dir: &Path) -> Result<PathBuf> {
    if let Ok(p) = env::var("NECID_FACE_API_MODEL_DIR") {
        return Ok(PathBuf::from(p));
    }
    let models = manifest_dir.join("models");
    let model_dir = models
        .join("node_modules")
        .join("@vladmandic")
        .join("face-api")
        .join("model");
    let installed_ok = || {
        FACE_API_FILES.iter().all(|(name, sha)| {
            fs::read(model_dir.join(name)).is_ok_and(|bytes| sha256_hex(&bytes) == *sha)
        })
    };
    if installed_ok() {
        return Ok(model_dir);
    }
    // A fresh clone (or a damaged install): install the locked package ourselves so
    // that `cargo build` just works. `npm ci` starts from an empty node_modules.
    let how_to_fix = format!(
        "Fix: install Node.js/npm and run `npm ci --ignore-scripts` in {} (it needs the npm \
         registry once), or set NECID_FACE_API_MODEL_DIR to the `model/` directory of an \
         installed @vladmandic/face-api 1.7.15.",
        models.display()
    );
    println!(
        "cargo:warning=installing @vladmandic/face-api into {} (npm ci --ignore-scripts)",
        models.display()
    );
    let status = Command::new("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(&models)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            return Err(BuildError(format!(
                "`npm ci --ignore-scripts` in {} failed ({s}).\n{how_to_fix}",
                models.display()
            )));
        }
        Err(e) => {
            return Err(BuildError(format!(
                "the face-api weights are missing and npm could not be run ({e}).\n{how_to_fix}"
            )));
        }
    }
    if FACE_API_FILES
        .iter()
        .all(|(name, _)| model_dir.join(name).is_file())
    {
        // The hashes are checked (and a mismatch reported) by install_verified.
        Ok(model_dir)
    } else {
        Err(BuildError(format!(
            "npm ci succeeded but {} lacks the model files.\n{how_to_fix}",
            model_dir.display()
        )))
    }
}
