//! Progress bars: drawn when stderr is a terminal, absent with --quiet or when piped.
//! The terminal is a real pseudo-terminal from util-linux `script` (Linux's flags).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::{Emulator, asset, run};

/// Quote for `sh -c`.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn faces_dir(emu: &Emulator) -> String {
    let dir = emu.dir.path().join("faces");
    std::fs::create_dir_all(&dir).unwrap();
    for f in [
        "obama.jpg",
        "obama2.jpg",
        "obama3.jpg",
        "biden.jpg",
        "astronaut.png",
    ] {
        std::fs::copy(asset(f), dir.join(f)).unwrap();
    }
    dir.to_str().unwrap().to_owned()
}

/// Run `necid ARGS` inside a pseudo-terminal, expecting exit code `code`; returns
/// everything the terminal showed.
fn on_tty(emu: &Emulator, args: &[&str], code: i32) -> String {
    let mut line = q(common::bin().to_str().unwrap());
    for a in args {
        line.push(' ');
        line.push_str(&q(a));
    }
    let c = emu.cmd();
    // Keep the terminal's output in a file: `script` copies it there verbatim.
    let log = emu
        .dir
        .path()
        .join(format!("tty-{}.log", args.join("_").len()));
    let mut script = Command::new("script");
    script.args(["-q", "-e", "-c", &line]).arg(&log);
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    script
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null());
    let r = run(script);
    assert_eq!(r.code, code, "{r:?}");
    std::fs::read_to_string(&log).unwrap()
}

#[test]
fn progress_bar_on_a_terminal_only() {
    let emu = Emulator::start();
    let dir = faces_dir(&emu);
    let shown = on_tty(&emu, &["subjects", "register", &dir, "-j", "1"], 0);
    assert!(
        shown.contains("registering") && shown.contains("/5"),
        "progress bar drawn on a terminal: {shown:?}"
    );
    assert!(shown.contains("5 registered"), "{shown:?}");

    let quiet = on_tty(&emu, &["subjects", "register", &dir, "--quiet"], 0);
    assert!(!quiet.contains("registering"), "--quiet: {quiet:?}");
    assert!(
        quiet.contains("astronaut.png"),
        "results still shown: {quiet:?}"
    );

    // Piped (not a terminal): only the results.
    let r = emu.necid(&["subjects", "register", &dir]).ok();
    assert!(!r.stderr.contains("registering"), "{r:?}");
    assert!(
        !r.stderr.contains('\u{1b}'),
        "no terminal escapes when piped: {r:?}"
    );
    assert_eq!(r.stdout.lines().count(), 6, "header + 5 rows: {r:?}");
}

#[test]
fn jobs_wait_draws_processed_over_total() {
    let emu = Emulator::start();
    let gallery = emu.bucket().join("default");
    std::fs::create_dir_all(&gallery).unwrap();
    std::fs::copy(asset("biden.jpg"), gallery.join("biden.jpg")).unwrap();
    let shown = on_tty(
        &emu,
        &[
            "jobs",
            "bulk-register",
            "biden.jpg",
            "absent.jpg",
            "--wait",
            "--poll-interval",
            "0.1",
        ],
        5,
    );
    assert!(shown.contains("processing"), "progress bar: {shown:?}");
    assert!(shown.contains("2/2"), "processed/total: {shown:?}");
    assert!(shown.contains("1 succeeded, 1 failed (of 2)"), "{shown:?}");
    assert!(shown.contains("absent.jpg"), "failure listed: {shown:?}");
}
