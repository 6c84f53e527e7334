//! Runs `botocore_check.py` (requests signed by botocore) against an in-process emulator.
//!
//! Needs a Python with botocore, named by `NECID_PYTHON`; therefore ignored by default:
//! `python3 -m venv .venv && .venv/bin/pip install botocore &&
//!  NECID_PYTHON=.venv/bin/python cargo test -p necid-server --test botocore -- --ignored`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

#[tokio::test]
#[ignore = "needs NECID_PYTHON pointing at a Python with botocore"]
async fn botocore_signed_requests_are_accepted() {
    let python = std::env::var("NECID_PYTHON")
        .expect("set NECID_PYTHON to a Python interpreter that has botocore installed");
    let h = common::Harness::start().await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/botocore_check.py");
    let endpoint = h.endpoint();
    // Blocking child process on a blocking thread: the server keeps running meanwhile.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .args(["--endpoint", &endpoint])
            .output()
    })
    .await
    .unwrap()
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "botocore checks failed");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
