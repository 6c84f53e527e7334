//! Secrets: with tracing at the most verbose level (TRACE, every target — the core, the
//! emulator, reqwest/hyper), a run of every scenario logs no secret access key and no API
//! key (the dev gallery's or the scenario gallery's, which the runner receives from the
//! tenant API and sends on every call). The log must not be empty, or the check proves
//! nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use necid_reliability::scenario::Runner;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buf {
    type Writer = Buf;
    fn make_writer(&'a self) -> Buf {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_run_at_trace_level_logs_no_secret() {
    let buf = Buf::default();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(buf.clone())
            .finish(),
    )
    .unwrap();

    let server = necid_server::start(necid_server::ServerConfig {
        engine: necid_server::EngineChoice::Deterministic,
        ..necid_server::ServerConfig::default()
    })
    .await
    .unwrap();
    let creds = server.credentials().clone();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let builder = necid::Config::builder()
        .endpoint(server.endpoint())
        .tenant_endpoint(server.endpoint())
        .access_key_id(creds.access_key_id.clone())
        .secret_access_key(creds.secret_access_key.clone());
    let faces = root.join("cli/assets/faces");
    let scenario = root.join("tests/scenarios/subject-lifecycle.json");
    // The default gallery's key is used too (a call with it), so it is a secret in play.
    let default_client =
        necid::Client::new(builder.clone().api_key(&creds.api_key).build().unwrap()).unwrap();
    default_client.list_tags().await.unwrap();
    let gallery_keys = Arc::new(Mutex::new(Vec::<String>::new()));
    let keys = gallery_keys.clone();
    let (lines, failures) = std::thread::spawn(move || {
        Runner::new(builder, &faces)
            .unwrap()
            .observe_gallery_keys(move |k| keys.lock().unwrap().push(k.to_owned()))
            .run(&scenario, "secrets")
            .unwrap()
    })
    .join()
    .unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    assert!(lines.len() > 10);

    let log = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.len() > 10_000,
        "the TRACE log is nearly empty ({} bytes)",
        log.len()
    );
    let gallery_keys = gallery_keys.lock().unwrap().clone();
    assert_eq!(gallery_keys.len(), 1);
    let mut secrets = vec![
        ("secret access key", creds.secret_access_key.clone()),
        ("default gallery's API key", creds.api_key.clone()),
    ];
    secrets.extend(
        gallery_keys
            .into_iter()
            .map(|k| ("scenario gallery's API key", k)),
    );
    for (what, secret) in secrets {
        assert!(
            !log.contains(&secret),
            "the {what} appears in the TRACE log"
        );
    }
    assert!(
        !log.to_ascii_lowercase().contains("x-api-key: "),
        "an x-api-key header value appears in the TRACE log"
    );
    server.shutdown().await;
}
