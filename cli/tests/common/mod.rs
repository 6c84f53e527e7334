//! Test harness: the built `necid` binary, a `necid serve --memory --port 0` emulator per
//! test (started exactly as bindings.md says), and helpers to run commands against it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary under test: $NECID_BIN, else the one cargo built for this test.
pub fn bin() -> PathBuf {
    std::env::var_os("NECID_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_necid")))
}

pub fn asset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/faces")
        .join(name)
}

/// A command with a clean environment: no NECID_* from the developer's shell and a
/// private home, so no real profile is ever read or written.
pub fn bare_cmd(home: &Path) -> Command {
    let mut c = Command::new(bin());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("NECID_") || k == "RUST_LOG" {
            c.env_remove(k);
        }
    }
    c.env("HOME", home)
        .env("NECID_CONFIG_FILE", home.join(".necid/config"))
        .stdin(Stdio::null());
    c
}

/// What a finished command left.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }
    /// The `{"error": …}` document on stderr.
    pub fn error_json(&self) -> Value {
        serde_json::from_str(self.stderr.trim())
            .unwrap_or_else(|e| panic!("stderr is not one JSON error ({e}): {self:?}"))
    }
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "command failed: {self:?}");
        self
    }
    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(self.code, code, "unexpected exit code: {self:?}");
        self
    }
}

pub fn run(mut cmd: Command) -> Run {
    let out: Output = cmd.output().expect("run necid");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run_with_stdin(mut cmd: Command, input: &[u8]) -> Run {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn necid");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A running `necid serve --memory --port 0 --ready-file F --bucket-dir D`, killed on drop.
pub struct Emulator {
    child: Child,
    pub info: Value,
    pub dir: tempfile::TempDir,
}

impl Emulator {
    pub fn start() -> Emulator {
        Self::start_with(|_| Vec::new())
    }

    /// [`Emulator::start`] with more `necid serve` arguments (`extra` gets the temporary
    /// folder, for files it should name).
    pub fn start_with(extra: impl FnOnce(&Path) -> Vec<std::ffi::OsString>) -> Emulator {
        let dir = tempfile::tempdir().unwrap();
        let more = extra(dir.path());
        let ready = dir.path().join("ready.json");
        let bucket = dir.path().join("bucket");
        let mut child = Command::new(bin())
            .args([
                "serve",
                "--engine",
                "deterministic",
                "--memory",
                "--port",
                "0",
                "--ready-file",
            ])
            .arg(&ready)
            .arg("--bucket-dir")
            .arg(&bucket)
            .args(more)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn necid serve");
        // A generous deadline for a loaded CI machine; this is a wait, not an assertion
        // on speed.
        let deadline = Instant::now() + Duration::from_secs(120);
        let info = loop {
            if let Ok(text) = std::fs::read_to_string(&ready)
                && let Ok(v) = serde_json::from_str::<Value>(&text)
            {
                break v;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("necid serve exited early: {status}");
            }
            assert!(Instant::now() < deadline, "necid serve never became ready");
            std::thread::sleep(Duration::from_millis(25));
        };
        Emulator { child, info, dir }
    }

    pub fn field(&self, name: &str) -> String {
        self.info[name].as_str().unwrap().to_owned()
    }

    pub fn endpoint(&self) -> String {
        self.field("endpoint")
    }

    pub fn bucket(&self) -> PathBuf {
        PathBuf::from(self.field("bucketDir"))
    }

    pub fn home(&self) -> PathBuf {
        let h = self.dir.path().join("home");
        std::fs::create_dir_all(&h).unwrap();
        h
    }

    /// `necid` configured through NECID_* variables for the default gallery.
    pub fn cmd(&self) -> Command {
        let mut c = bare_cmd(&self.home());
        c.env("NECID_ENDPOINT", self.endpoint())
            .env("NECID_TENANT_ENDPOINT", self.field("tenantEndpoint"))
            .env("NECID_REGION", self.field("region"))
            .env("NECID_ACCESS_KEY_ID", self.field("accessKeyId"))
            .env("NECID_SECRET_ACCESS_KEY", self.field("secretAccessKey"))
            .env("NECID_API_KEY", self.field("apiKey"));
        c
    }

    /// Run `necid ARGS` against this emulator.
    pub fn necid(&self, args: &[&str]) -> Run {
        let mut c = self.cmd();
        c.args(args);
        run(c)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fault-injecting stand-in for the service (a mock, used only where a fault the
/// emulator cannot produce must be injected: 429, 5xx, unreadable bodies, hangs).
/// Answers every connection with `(status line, JSON body)` (never answers when `None`).
pub fn fault_server(response: Option<(&str, &str)>) -> String {
    let response = response.map(|(status, body)| {
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            // Read the request head (these tests only send GETs without a body).
            let mut buf = Vec::new();
            let mut byte = [0u8; 1];
            while !buf.ends_with(b"\r\n\r\n") {
                match s.read(&mut byte) {
                    Ok(1) => buf.push(byte[0]),
                    _ => break,
                }
            }
            match &response {
                Some(r) => {
                    let _ = s.write_all(r.as_bytes());
                }
                None => held.push(s),
            }
        }
    });
    format!("http://{addr}")
}
