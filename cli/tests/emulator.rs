//! `necid serve` as a test double (fault file, recording, strict mode, bad files) and
//! `necid emulator requests`, against a real `necid serve` process.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::ffi::OsString;
use std::process::Command;

use common::*;

#[test]
fn fault_file_recording_and_emulator_requests() {
    let emu = Emulator::start_with(|dir| {
        let faults = dir.join("faults.json");
        std::fs::write(
            &faults,
            r#"{"seed": 1, "rules": [{"id": "busy", "method": "POST", "path": "/v1.1/tags/{name}",
                "fault": "error", "status": 429, "retryAfter": 0, "count": 1}]}"#,
        )
        .unwrap();
        vec![
            OsString::from("--faults"),
            faults.into(),
            OsString::from("--record"),
            dir.join("rec").into(),
        ]
    });
    assert!(emu.info["adminToken"].as_str().unwrap().len() >= 32);
    assert!(emu.field("adminEndpoint").ends_with("/_admin/v1"));
    // The SDK retries the 429 (Retry-After: 0) and succeeds.
    emu.necid(&["tags", "create", "staff"]).ok();
    // Strict mode: an empty gallery's list is the reference's 404, an empty page to the SDK.
    let v = emu.necid(&["subjects", "list", "-o", "json"]).ok().json();
    assert_eq!(v["total"], 0, "{v}");

    let ready = emu.dir.path().join("ready.json");
    let mut c = bare_cmd(&emu.home());
    c.args(["emulator", "requests", "--ready-file"]).arg(&ready);
    let table = run(c).ok().stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].contains("POST") && lines[0].contains("/v1.1/tags/staff"));
    assert!(
        lines[0].contains("429") && lines[0].contains("fault busy (error)"),
        "{table}"
    );
    assert!(
        lines[1].contains("/v1.1/tags/staff") && lines[1].contains(" 200 "),
        "{table}"
    );
    assert!(
        lines[2].contains("GET") && lines[2].contains(" 404 "),
        "{table}"
    );

    // JSON lines, filtered; the same from the record folder, without the emulator.
    let mut c = bare_cmd(&emu.home());
    c.args([
        "emulator",
        "requests",
        "--json",
        "--method",
        "post",
        "--ready-file",
    ])
    .arg(&ready);
    let json = run(c).ok().stdout;
    assert_eq!(json.lines().count(), 2, "{json}");
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["status"], 429);
    let mut c = bare_cmd(&emu.home());
    c.args([
        "emulator", "requests", "--json", "--method", "POST", "--from",
    ])
    .arg(emu.dir.path().join("rec"));
    assert_eq!(run(c).ok().stdout, json);
    // Secrets never in the recording.
    let file = std::fs::read_to_string(emu.dir.path().join("rec/requests.jsonl")).unwrap();
    assert!(!file.contains(&emu.field("secretAccessKey")));
    assert!(!file.contains(&emu.field("apiKey")));

    // Without a way to reach the emulator: a clear error.
    let mut c = bare_cmd(&emu.home());
    c.env_remove("NECID_ADMIN_ENDPOINT")
        .env_remove("NECID_ADMIN_TOKEN")
        .args(["emulator", "requests"]);
    let r = run(c).code(1);
    assert!(r.stderr.contains("--ready-file"), "{}", r.stderr);
    // A wrong token: the admin API's 401 message.
    let mut c = bare_cmd(&emu.home());
    c.args([
        "emulator",
        "requests",
        "--admin-token",
        "wrong-token",
        "--admin-endpoint",
    ])
    .arg(emu.field("adminEndpoint"));
    let r = run(c).code(1);
    assert!(r.stderr.contains("401"), "{}", r.stderr);
}

#[test]
fn bad_fault_files_and_flags_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[rules]]\nfault = \"error\"\nstatus = 418\n").unwrap();
    let serve = |extra: &[&std::ffi::OsStr]| {
        let mut c = Command::new(bin());
        c.args([
            "serve",
            "--engine",
            "deterministic",
            "--memory",
            "--port",
            "0",
        ])
        .args(extra);
        run(c)
    };
    let r = serve(&[std::ffi::OsStr::new("--faults"), bad.as_os_str()]).code(1);
    assert!(r.stderr.contains("bad.toml"), "{}", r.stderr);
    assert!(r.stderr.contains("rule 1"), "{}", r.stderr);
    assert!(r.stderr.contains("status 418"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{not json").unwrap();
    let r = serve(&[std::ffi::OsStr::new("--faults"), garbage.as_os_str()]).code(1);
    assert!(r.stderr.contains("garbage.json"), "{}", r.stderr);
    let r = serve(&[
        std::ffi::OsStr::new("--throttle-rate"),
        std::ffi::OsStr::new("5"),
        std::ffi::OsStr::new("--throttle-burst"),
        std::ffi::OsStr::new("0"),
    ])
    .code(1);
    assert!(r.stderr.contains("burst"), "{}", r.stderr);
    let r = serve(&[
        std::ffi::OsStr::new("--admin-token"),
        std::ffi::OsStr::new("x"),
    ])
    .code(1);
    assert!(r.stderr.contains("adminToken"), "{}", r.stderr);
}
