//! Every scenario in tests/scenarios/ holds its expectations when the Rust runner runs it
//! against an in-process emulator (the cross-language transcript comparison is
//! scripts/suites/80-scenarios.sh; this is the fast check inside `cargo test`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use necid_reliability::scenario::Runner;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_holds_in_rust() {
    let server = necid_server::start(necid_server::ServerConfig {
        engine: necid_server::EngineChoice::Deterministic,
        ..necid_server::ServerConfig::default()
    })
    .await
    .unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let creds = server.credentials().clone();
    let builder = necid::Config::builder()
        .endpoint(server.endpoint())
        .tenant_endpoint(server.endpoint())
        .access_key_id(creds.access_key_id)
        .secret_access_key(creds.secret_access_key);
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("tests/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenarios found");
    let faces = root.join("cli/assets/faces");
    // A plain thread: the blocking client refuses to run inside a runtime.
    let results = std::thread::spawn(move || {
        let runner = Runner::new(builder, &faces).unwrap();
        files
            .iter()
            .map(|f| runner.run(f, "rust-test").unwrap())
            .collect::<Vec<_>>()
    })
    .join()
    .unwrap();
    for (lines, failures) in results {
        assert!(lines.len() > 1, "empty transcript");
        assert!(
            failures.is_empty(),
            "{}\n{}",
            lines.join("\n"),
            failures.join("\n")
        );
    }
    server.shutdown().await;
}
