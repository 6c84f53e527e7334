//! Committed writes survive a restart: a dropped server (no graceful shutdown) and a
//! server process killed with SIGKILL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Harness, b64, picture};
use necid_server::{ServerConfig, Storage};
use serde_json::json;

fn sqlite_config(db: &Path) -> ServerConfig {
    ServerConfig {
        storage: Storage::Sqlite(db.to_owned()),
        engine: necid_server::EngineChoice::Deterministic,
        ..ServerConfig::default()
    }
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("necid.sqlite");

    let h = Harness::with_config(sqlite_config(&db)).await;
    h.send(h.req("POST", "/v1.1/tags/kept")).await.expect(200);
    let sid = h
        .send(
            h.req("POST", "/v1.1/subjects")
                .json(&json!({"face": b64(&picture(42, 128, 128)), "tags": ["kept"]})),
        )
        .await
        .expect(201)
        .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = h
        .send(
            h.req("POST", "/v1.1/subjects")
                .json(&json!({"face": b64(&picture(43, 128, 128))})),
        )
        .await
        .expect(201)
        .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.send(h.req("DELETE", &format!("/v1.1/subjects/{deleted}")))
        .await
        .expect(204);
    let r = h
        .send(
            h.tenant("POST", "/api/galleries")
                .json(&json!({"name": "other"})),
        )
        .await
        .expect(200);
    let key = r.json["apiKey"].as_str().unwrap().to_owned();
    h.send(h.req("POST", "/v1.1/tags/theirs").api_key(&key))
        .await
        .expect(200);
    drop(h); // no graceful shutdown

    let h = Harness::with_config(sqlite_config(&db)).await;
    assert_eq!(
        h.send(h.req("GET", "/v1.1/tags")).await.expect(200).json,
        json!(["kept"])
    );
    assert_eq!(
        h.send(h.req("GET", "/v1.1/tags").api_key(&key))
            .await
            .expect(200)
            .json,
        json!(["theirs"])
    );
    // the template cache was reloaded: search finds the subject, not the deleted one
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": b64(&picture(42, 128, 128)), "tags": ["kept"]})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["candidates"][0]["id"], sid.as_str());
    h.send(
        h.req("POST", "/v1.1/face/search")
            .json(&json!({"probe": b64(&picture(43, 128, 128))})),
    )
    .await
    .expect(404);
    let r = h.send(h.req("GET", "/v1.1/subjects")).await.expect(200);
    assert_eq!(r.json["total"], 2);
    let statuses: Vec<&str> = r.json["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "A").count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == "D").count(), 1);
    h.server.shutdown().await;

    // a graceful shutdown keeps everything too
    let h = Harness::with_config(sqlite_config(&db)).await;
    h.send(h.req("GET", &format!("/v1.1/subjects/{sid}/events")))
        .await
        .expect(200);
}

/// Child half of `data_survives_kill_9`: runs only when the parent starts this test binary
/// with `NECID_KILL9_DB` set (hence `#[ignore]` for normal runs).
#[tokio::test]
#[ignore = "helper process for data_survives_kill_9"]
async fn kill9_child_server() {
    let (Ok(db), Ok(ready)) = (
        std::env::var("NECID_KILL9_DB"),
        std::env::var("NECID_KILL9_READY"),
    ) else {
        panic!("only run by data_survives_kill_9");
    };
    let server = necid_server::start(sqlite_config(Path::new(&db)))
        .await
        .unwrap();
    std::fs::write(format!("{ready}.tmp"), server.endpoint()).unwrap();
    std::fs::rename(format!("{ready}.tmp"), &ready).unwrap();
    // Bounded: if the parent dies without killing us, exit on our own.
    tokio::time::sleep(Duration::from_secs(120)).await;
    drop(server);
}

/// Kills the child server if the test fails before it does (no orphan left behind).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn data_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("necid.sqlite");
    let ready = dir.path().join("ready");
    let mut child = KillOnDrop(
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "kill9_child_server", "--ignored", "--nocapture"])
            .env("NECID_KILL9_DB", &db)
            .env("NECID_KILL9_READY", &ready)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut endpoint = None;
    for _ in 0..600 {
        if let Ok(e) = std::fs::read_to_string(&ready) {
            endpoint = Some(e);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let endpoint = endpoint.expect("child server became ready");
    let http = reqwest::Client::new();
    let send = |req: common::Req| req.send(&http);
    send(
        common::Req::new("POST", &format!("{endpoint}/v1.1/tags/durable"))
            .api_key(necid_server::DEV_API_KEY),
    )
    .await
    .expect(200);
    let sid = send(
        common::Req::new("POST", &format!("{endpoint}/v1.1/subjects"))
            .api_key(necid_server::DEV_API_KEY)
            .json(&json!({"face": b64(&picture(7, 100, 100)), "tags": ["durable"]})),
    )
    .await
    .expect(201)
    .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();

    let h = Harness::with_config(sqlite_config(&db)).await;
    assert_eq!(
        h.send(h.req("GET", "/v1.1/tags")).await.expect(200).json,
        json!(["durable"])
    );
    let r = h
        .send(
            h.req("POST", "/v1.1/face/verify")
                .json(&json!({"id": sid, "probe": b64(&picture(7, 100, 100))})),
        )
        .await
        .expect(200);
    assert_eq!(r.json["score"], 9999);
}
