//! Load: 200 concurrent clients (callers, each with one request in flight at all times,
//! over 20 `necid::Client` connection pools: 200 concurrent connections) against an emulator process (`necid serve --engine deterministic --memory`) for a
//! bounded time — NECID_LOAD_SECS, default 5 (the test command); `make load` runs 30.
//!
//! Asserts: no call fails; no write is lost (the gallery holds exactly one row per
//! register call that reported success, each reported id exactly once); and the
//! emulator's RSS (VmRSS from /proc) after warm-up stays under 2x its post-warm-up value —
//! a generous bound on growth, not a timing. The RSS samples are printed as a report.
//!
//! The emulator binary is NECID_BIN, else the workspace's debug `necid`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use necid::{Client, Config, NewGallery, SearchRequest, SortDirection};

const CLIENTS: usize = 200;
const POOLS: usize = 20;

struct Emulator {
    child: Child,
    ready: serde_json::Value,
    _dir: PathBuf,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn start_emulator() -> Emulator {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bin = std::env::var("NECID_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target/x86_64-unknown-linux-gnu/debug/necid"));
    assert!(
        bin.exists(),
        "{} missing: cargo build -p necid-cli (or set NECID_BIN)",
        bin.display()
    );
    let dir = std::env::temp_dir().join(format!("necid-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ready = dir.join("ready.json");
    let child = Command::new(bin)
        .args([
            "serve",
            "--engine",
            "deterministic",
            "--memory",
            "--port",
            "0",
        ])
        .arg("--ready-file")
        .arg(&ready)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::metadata(&ready).map(|m| m.len()).unwrap_or(0) == 0 {
        assert!(Instant::now() < deadline, "emulator not ready in 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    let ready = serde_json::from_str(&std::fs::read_to_string(&ready).unwrap()).unwrap();
    Emulator {
        child,
        ready,
        _dir: dir,
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_no_errors_no_lost_writes_flat_rss() {
    let secs: u64 = std::env::var("NECID_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let emu = start_emulator();
    let pid = emu.child.id();
    let s = |k: &str| emu.ready[k].as_str().unwrap().to_owned();
    let base = Config::builder()
        .endpoint(s("endpoint"))
        .tenant_endpoint(s("tenantEndpoint"))
        .region(s("region"))
        .access_key_id(s("accessKeyId"))
        .secret_access_key(s("secretAccessKey"))
        .request_timeout(Duration::from_secs(60));
    let tenant = Client::new(base.clone().build().unwrap()).unwrap();
    let gallery = tenant
        .create_gallery(NewGallery {
            name: "load".into(),
            size: Some(1_000_000),
            ..NewGallery::default()
        })
        .await
        .unwrap();
    let key = gallery.api_key.clone().unwrap();
    let cfg = base.api_key(key).build().unwrap();
    // A small picture (831 bytes): the load is on the server's request handling.
    let probe = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/image_decode/probe.jpg"),
    )
    .unwrap();
    Client::new(cfg.clone())
        .unwrap()
        .create_tag("load")
        .await
        .unwrap();

    // 200 concurrent callers, each always with a request in flight; HTTP/1.1 has one
    // request per connection at a time, so the emulator sees 200 concurrent connections.
    // They share POOLS distinct `Client`s (own connection pools), because building a
    // client loads the TLS roots — about 0.1 s each in a debug build on a loaded machine.
    let t0 = Instant::now();
    let pools: Vec<Client> = (0..POOLS)
        .map(|_| Client::new(cfg.clone()).unwrap())
        .collect();
    let clients: Vec<Client> = (0..CLIENTS).map(|i| pools[i % POOLS].clone()).collect();
    eprintln!(
        "load: {POOLS} client pools built in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, client) in clients.into_iter().enumerate() {
        let (stop, calls, probe) = (stop.clone(), calls.clone(), probe.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            let mut errors = Vec::new();
            let mut n = i;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let r = match n % 5 {
                    0 => client
                        .register_subject(probe.clone(), &["load".to_owned()])
                        .await
                        .map(|r| ids.push(r.subject_id)),
                    1 => client
                        .search(SearchRequest::new(probe.clone()).limit(5))
                        .await
                        .map(drop),
                    2 => client.list_tags().await.map(drop),
                    3 => client.health().await.map(drop),
                    _ => client
                        .list_subjects(0, 10, SortDirection::Desc)
                        .await
                        .map(drop),
                };
                calls.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = r {
                    errors.push(format!("{}: {e}", e.kind()));
                }
            }
            (ids, errors)
        }));
    }

    // RSS: sampled every 250 ms; warm-up is the first fifth of the run (at least 1 s).
    let warmup = Duration::from_secs(secs)
        .div_f64(5.0)
        .max(Duration::from_secs(1));
    let mut samples = vec![(Duration::ZERO, rss_kib(pid))];
    while started.elapsed() < Duration::from_secs(secs) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        samples.push((started.elapsed(), rss_kib(pid)));
    }
    stop.store(true, Ordering::Relaxed);
    let mut ids = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        let (i, e) = t.await.unwrap();
        ids.extend(i);
        errors.extend(e);
    }
    let elapsed = started.elapsed();
    let total_calls = calls.load(Ordering::Relaxed);

    let t1 = Instant::now();
    // Counts: every reported registration is held exactly once, and nothing else is.
    let c = Client::new(cfg).unwrap();
    let mut rows = Vec::new();
    let mut pages = c.subjects_paginator(1000, SortDirection::Asc);
    while let Some(page) = pages.next().await {
        rows.extend(page.unwrap().subjects);
    }
    let held: HashSet<&str> = rows.iter().map(|r| r.subject_id.as_str()).collect();
    let reported: HashSet<&str> = ids.iter().map(String::as_str).collect();

    eprintln!(
        "load: counted {} rows in {:.1} s",
        rows.len(),
        t1.elapsed().as_secs_f64()
    );
    let baseline = samples
        .iter()
        .find(|(t, _)| *t >= warmup)
        .map_or(samples[0].1, |s| s.1);
    let peak = samples
        .iter()
        .filter(|(t, _)| *t >= warmup)
        .map(|s| s.1)
        .max()
        .unwrap_or(baseline);
    let last = samples.last().map_or(baseline, |s| s.1);
    eprintln!(
        "load report: {CLIENTS} clients, {:.1} s, {total_calls} calls ({:.0}/s), {} registrations, \
         {} errors; emulator RSS: {} KiB at start, {baseline} KiB after {:.1} s warm-up, peak {peak} KiB, \
         last {last} KiB (growth x{:.2})",
        elapsed.as_secs_f64(),
        total_calls as f64 / elapsed.as_secs_f64(),
        ids.len(),
        errors.len(),
        samples[0].1,
        warmup.as_secs_f64(),
        peak as f64 / baseline as f64,
    );

    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(!ids.is_empty(), "no registration completed");
    assert_eq!(reported.len(), ids.len(), "an id was reported twice");
    assert_eq!(rows.len(), ids.len(), "rows held != registrations reported");
    assert_eq!(
        held, reported,
        "the gallery does not hold exactly the reported subjects"
    );
    assert!(
        peak <= baseline * 2,
        "emulator RSS grew from {baseline} KiB to {peak} KiB after warm-up"
    );
}
