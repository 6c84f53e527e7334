//! Bulk registration: background processing, failures with reasons, path escapes,
//! and progress pages of at most 1000 records.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::path::Path;

use common::{Harness, b64, picture, strip, wait_for_batch};
use necid_server::{DEV_API_KEY, ServerConfig};
use serde_json::{Value, json};

fn bucket_config(bucket: &Path) -> ServerConfig {
    ServerConfig {
        bucket_dir: Some(bucket.to_owned()),
        engine: necid_server::EngineChoice::Deterministic,
        ..ServerConfig::default()
    }
}

fn by_filename<'a>(records: &'a [Value], name: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["filename"] == name)
        .unwrap_or_else(|| panic!("no record for {name}"))
}

#[tokio::test]
async fn bulk_register_processes_records_and_refuses_escapes() {
    let root = tempfile::tempdir().unwrap();
    let bucket = root.path().join("bucket");
    let gallery_dir = bucket.join("default");
    std::fs::create_dir_all(gallery_dir.join("sub")).unwrap();
    // valid images *outside* the gallery folder: reading any of them would register it
    std::fs::write(bucket.join("secret.png"), picture(900, 64, 64)).unwrap();
    std::fs::write(root.path().join("outside.png"), picture(901, 64, 64)).unwrap();
    std::fs::write(gallery_dir.join("one.png"), picture(1, 120, 120)).unwrap();
    std::fs::write(gallery_dir.join("sub/two.png"), picture(2, 120, 120)).unwrap();
    std::fs::write(
        gallery_dir.join("blank.png"),
        common::encode(&image::RgbImage::new(64, 64), image::ImageFormat::Png),
    )
    .unwrap();
    std::fs::write(gallery_dir.join("group.png"), strip(3, 3, 64)).unwrap();
    std::fs::write(gallery_dir.join("notes.txt"), b"not an image").unwrap();
    std::os::unix::fs::symlink(
        root.path().join("outside.png"),
        gallery_dir.join("link.png"),
    )
    .unwrap();
    std::os::unix::fs::symlink(root.path(), gallery_dir.join("linkdir")).unwrap();

    let h = Harness::with_config(bucket_config(&bucket)).await;
    h.send(h.req("POST", "/v1.1/tags/bulk")).await.expect(200);
    let outside_abs = root.path().join("outside.png").display().to_string();
    let names = [
        "one.png",
        "sub/two.png",
        "blank.png",
        "group.png",
        "notes.txt",
        "missing.png",
        "../secret.png",
        "sub/../../secret.png",
        outside_abs.as_str(),
        "link.png",
        "linkdir/outside.png",
        "./one.png",
        "sub",
        "a\\..\\secret.png",
    ];
    let regs: Vec<Value> = names
        .iter()
        .map(|n| json!({"filename": n, "tags": ["bulk"]}))
        .collect();
    let r = h
        .send(
            h.req("POST", "/v1.1/jobs/bulkregister")
                .json(&json!({"registrations": regs})),
        )
        .await
        .expect(200);
    let batch = r.json["batchId"].as_str().unwrap().to_owned();

    let records = wait_for_batch(&h, DEV_API_KEY, &batch).await;
    assert_eq!(records.len(), names.len());
    for r in &records {
        assert_eq!(r["status"], "Processed");
        assert_eq!(r["attempts"], "1");
        assert!(r["id"].as_str().unwrap().len() > 10);
    }
    for ok in ["one.png", "sub/two.png"] {
        let r = by_filename(&records, ok);
        assert_eq!(r["registerStatus"], "Success", "{r}");
        assert_eq!(r["reason"], "");
        let attrs: Value = serde_json::from_str(r["attributesJson"].as_str().unwrap()).unwrap();
        assert!(attrs["faceArea"]["left"].is_string());
        let sid = r["subjectId"].as_str().unwrap();
        let ev = h
            .send(h.req("GET", &format!("/v1.1/subjects/{sid}/events")))
            .await
            .expect(200);
        assert_eq!(ev.json["events"][0]["id"], r["eventId"]);
    }
    let reason = |n: &str| {
        let r = by_filename(&records, n);
        assert_eq!(r["registerStatus"], "Failed", "{r}");
        assert_eq!(r["subjectId"], "");
        r["reason"].as_str().unwrap().to_owned()
    };
    assert!(reason("blank.png").contains("No face"));
    assert!(reason("group.png").contains("faces"));
    assert!(reason("notes.txt").contains("decoded"));
    assert!(reason("missing.png").contains("not found"));
    for escape in [
        "../secret.png",
        "sub/../../secret.png",
        outside_abs.as_str(),
        "link.png",
        "linkdir/outside.png",
        "./one.png",
        "a\\..\\secret.png",
    ] {
        assert!(
            reason(escape).contains("inside the gallery's folder"),
            "{escape}: {}",
            reason(escape)
        );
    }
    assert!(reason("sub").contains("not a regular file"));

    // exactly the two good files were registered, tagged
    let r = h.send(h.req("GET", "/v1.1/subjects")).await.expect(200);
    assert_eq!(r.json["total"], 2);
    let r = h
        .send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": b64(&picture(1, 120, 120)), "tags": ["bulk"]})),
        )
        .await
        .expect(200);
    assert_eq!(
        r.json["candidates"][0]["id"],
        by_filename(&records, "one.png")["subjectId"]
    );
    // the outside pictures were never read
    for seed in [900, 901] {
        h.send(
            h.req("POST", "/v1.1/face/search")
                .json(&json!({"probe": b64(&picture(seed, 64, 64))})),
        )
        .await
        .expect(404);
    }
}

#[tokio::test]
async fn progress_pages_hold_at_most_1000_records() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("default")).unwrap();
    std::fs::write(root.path().join("default/tiny.png"), picture(5, 16, 16)).unwrap();
    let mut cfg = bucket_config(root.path());
    cfg.limits.bulk_page_size = 5000; // asks for more than the cap: pages still stop at 1000
    let h = Harness::with_config(cfg).await;
    let regs: Vec<Value> = (0..2001).map(|_| json!({"filename": "tiny.png"})).collect();
    let r = h
        .send(
            h.req("POST", "/v1.1/jobs/bulkregister")
                .json(&json!({"registrations": regs})),
        )
        .await
        .expect(200);
    let batch = r.json["batchId"].as_str().unwrap().to_owned();
    let records = wait_for_batch(&h, DEV_API_KEY, &batch).await;
    assert_eq!(records.len(), 2001);
    assert!(records.iter().all(|r| r["registerStatus"] == "Success"));

    // page by page, in each of the three forms the official clients use
    let first = h
        .send(h.req("GET", &format!("/v1.1/jobs/bulkregister/{batch}")))
        .await
        .expect(200);
    assert_eq!(first.json["batchId"], batch.as_str());
    assert_eq!(first.json["processed"].as_array().unwrap().len(), 1000);
    let key1 = first.json["lastEvaluatedKey"].as_str().unwrap().to_owned();
    assert_eq!(key1, first.json["processed"][999]["id"].as_str().unwrap());

    let by_path = h
        .send(h.req("GET", &format!("/v1.1/jobs/bulkregister/{batch}/{key1}")))
        .await
        .expect(200);
    let by_query = h
        .send(h.req(
            "GET",
            &format!("/v1.1/jobs/bulkregister/{batch}?pagingId={key1}"),
        ))
        .await
        .expect(200);
    let by_slash = h
        .send(h.req("GET", &format!("/v1.1/jobs/bulkregister/{batch}/{key1}/")))
        .await
        .expect(200);
    let by_query_slash = h
        .send(h.req(
            "GET",
            &format!("/v1.1/jobs/bulkregister/{batch}/?pagingId={key1}"),
        ))
        .await
        .expect(200);
    assert_eq!(by_path.json, by_query.json);
    assert_eq!(by_path.json, by_slash.json);
    assert_eq!(by_path.json, by_query_slash.json);
    assert_eq!(by_path.json["processed"].as_array().unwrap().len(), 1000);
    let key2 = by_path.json["lastEvaluatedKey"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!key2.is_empty());

    let last = h
        .send(h.req("GET", &format!("/v1.1/jobs/bulkregister/{batch}/{key2}")))
        .await
        .expect(200);
    assert_eq!(last.json["processed"].as_array().unwrap().len(), 1);
    assert_eq!(last.json["lastEvaluatedKey"], "");

    // every record exactly once, in order
    let mut ids: Vec<&str> = Vec::new();
    for page in [&first, &by_path, &last] {
        ids.extend(
            page.json["processed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap()),
        );
    }
    let all: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, all);
    let unique: std::collections::HashSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), 2001);

    h.send(h.req("GET", &format!("/v1.1/jobs/bulkregister/{batch}/not-a-key")))
        .await
        .expect_error(400, "InvalidRequest", 1001);
}

#[tokio::test]
async fn without_a_bucket_every_record_fails_with_a_reason() {
    let h = Harness::start().await;
    let r = h
        .send(
            h.req("POST", "/v1.1/jobs/bulkregister")
                .json(&json!({"registrations": [{"filename": "a.png"}, {"filename": "b.png"}]})),
        )
        .await
        .expect(200);
    let batch = r.json["batchId"].as_str().unwrap().to_owned();
    let records = wait_for_batch(&h, DEV_API_KEY, &batch).await;
    assert_eq!(records.len(), 2);
    for r in records {
        assert_eq!(r["registerStatus"], "Failed");
        assert!(r["reason"].as_str().unwrap().contains("bucket"), "{r}");
    }
}

/// Fault injection: an engine whose `detect` waits until the test opens the gate, so a
/// record can be observed (and the server stopped) while it is being processed.
struct Gated {
    inner: necid_server::DeterministicEngine,
    open: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
}

impl necid_server::FaceEngine for Gated {
    fn detect(
        &self,
        image: &[u8],
    ) -> Result<Vec<necid_server::DetectedFace>, necid_server::EngineError> {
        let (lock, cv) = &*self.open;
        let guard = lock.lock().unwrap();
        let (guard, timeout) = cv
            .wait_timeout_while(guard, std::time::Duration::from_secs(60), |open| !*open)
            .unwrap();
        drop(guard);
        if timeout.timed_out() {
            return Err(necid_server::EngineError::Internal(
                "gate never opened".into(),
            ));
        }
        self.inner.detect(image)
    }
    fn compare(&self, a: &[u8], b: &[u8]) -> u32 {
        self.inner.compare(a, b)
    }
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn is_face_matcher(&self) -> bool {
        false
    }
}

#[tokio::test]
async fn records_go_new_to_processed_and_resume_after_a_restart() {
    let root = tempfile::tempdir().unwrap();
    let bucket = root.path().join("bucket");
    std::fs::create_dir_all(bucket.join("default")).unwrap();
    for i in 0..3 {
        std::fs::write(
            bucket.join(format!("default/{i}.png")),
            picture(300 + i, 64, 64),
        )
        .unwrap();
    }
    let mut cfg = bucket_config(&bucket);
    cfg.storage = necid_server::Storage::Sqlite(root.path().join("db.sqlite"));

    // First server: its engine blocks, so the batch stays New.
    let gate = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
    let engine = Gated {
        inner: necid_server::DeterministicEngine::new(),
        open: gate.clone(),
    };
    let server = necid_server::start_with_engine(cfg.clone(), std::sync::Arc::new(engine))
        .await
        .unwrap();
    let h = Harness {
        server,
        http: reqwest::Client::new(),
    };
    let regs: Vec<Value> = (0..3)
        .map(|i| json!({"filename": format!("{i}.png")}))
        .collect();
    let r = h
        .send(
            h.req("POST", "/v1.1/jobs/bulkregister")
                .json(&json!({"registrations": regs})),
        )
        .await
        .expect(200);
    let batch = r.json["batchId"].as_str().unwrap().to_owned();
    // the first record is taken (attempt 1) and blocks in the engine
    let mut page = Value::Null;
    for _ in 0..200 {
        page = h
            .send(h.req("GET", &format!("/v1.1/jobs/bulkregister/{batch}")))
            .await
            .expect(200)
            .json;
        if page["processed"][0]["attempts"] == "1" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let records = page["processed"].as_array().unwrap();
    assert_eq!(records.len(), 3);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["status"], "New", "{r}");
        assert_eq!(r["registerStatus"], "");
        assert_eq!(r["subjectId"], "");
        assert_eq!(r["attempts"], if i == 0 { "1" } else { "0" });
    }
    // Stop it mid-record, then let the engine return: the record is left New, not written.
    h.server.shutdown().await;
    {
        let (lock, cv) = &*gate;
        *lock.lock().unwrap() = true;
        cv.notify_all();
    }

    // Second server on the same database resumes the batch.
    let h = Harness::with_config(cfg).await;
    let records = wait_for_batch(&h, DEV_API_KEY, &batch).await;
    assert_eq!(records.len(), 3);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["registerStatus"], "Success", "{r}");
        assert_eq!(r["attempts"], if i == 0 { "2" } else { "1" }, "{r}");
    }
    let r = h.send(h.req("GET", "/v1.1/subjects")).await.expect(200);
    assert_eq!(
        r.json["total"], 3,
        "each file registered exactly once: {}",
        r.json
    );
}

#[tokio::test]
async fn bad_records_fail_alone_with_their_reasons_and_good_ones_register() {
    let root = tempfile::tempdir().unwrap();
    let bucket = root.path().join("bucket");
    let dir = bucket.join("default");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::create_dir_all(dir.join("folder.png")).unwrap();
    std::fs::write(dir.join("a.png"), picture(11, 96, 96)).unwrap();
    std::fs::write(dir.join("sub/b.png"), picture(12, 96, 96)).unwrap();
    std::fs::write(bucket.join("escape.png"), picture(13, 96, 96)).unwrap();
    std::fs::write(dir.join("text.png"), b"not a picture").unwrap();
    std::fs::write(
        dir.join("bomb.png"),
        common::bombs::png_zeros(20_000, 20_000, 8, common::bombs::GRAY, false),
    )
    .unwrap();
    std::fs::write(
        dir.join("tiny-bomb.png"),
        common::bombs::png_header_only(65_535, 65_535),
    )
    .unwrap();
    std::fs::write(dir.join("big.png"), vec![0u8; 600_000]).unwrap();
    let mut cfg = bucket_config(&bucket);
    cfg.limits.max_body_bytes = 512 * 1024; // also the largest bulk file
    let h = Harness::with_config(cfg).await;
    let abs = dir.join("a.png").display().to_string();
    // (filename or None for "no filename property", expected reason fragment or None for success)
    let cases: Vec<(Option<&str>, Option<&str>)> = vec![
        (Some("a.png"), None),
        (Some(""), Some("The filename is empty.")),
        (None, Some("The filename is empty.")),
        (Some("   "), Some("The filename is empty.")),
        (
            Some(abs.as_str()),
            Some("inside the gallery's folder: it is an absolute path."),
        ),
        (
            Some("../escape.png"),
            Some("inside the gallery's folder: it must not have '.' or '..' components."),
        ),
        (
            Some("sub\\..\\..\\escape.png"),
            Some("must not contain a backslash"),
        ),
        (Some("missing.png"), Some("File missing.png not found.")),
        (
            Some("folder.png"),
            Some("folder.png is not a regular file."),
        ),
        (
            Some("big.png"),
            Some("The file is larger than 524288 bytes."),
        ),
        (Some("text.png"), Some("could not be decoded")),
        (
            Some("bomb.png"),
            Some("the image is 20000x20000 pixels; at most 10000x10000"),
        ),
        (
            Some("tiny-bomb.png"),
            Some("the image is 65535x65535 pixels"),
        ),
        (Some("sub/b.png"), None),
    ];
    let regs: Vec<Value> = cases
        .iter()
        .map(|(name, _)| match name {
            Some(n) => json!({"filename": n}),
            None => json!({"tags": []}),
        })
        .collect();
    let r = h
        .send(
            h.req("POST", "/v1.1/jobs/bulkregister")
                .json(&json!({"registrations": regs})),
        )
        .await
        .expect(200);
    let batch = r.json["batchId"].as_str().unwrap().to_owned();
    let records = wait_for_batch(&h, DEV_API_KEY, &batch).await;
    assert_eq!(records.len(), cases.len());
    // Records keep the request's order.
    for ((name, want), rec) in cases.iter().zip(&records) {
        assert_eq!(rec["filename"], name.unwrap_or(""), "{rec}");
        assert_eq!(rec["status"], "Processed", "{rec}");
        match want {
            None => {
                assert_eq!(rec["registerStatus"], "Success", "{rec}");
                assert_eq!(rec["reason"], "", "{rec}");
            }
            Some(fragment) => {
                assert_eq!(rec["registerStatus"], "Failed", "{rec}");
                assert_eq!(rec["subjectId"], "", "{rec}");
                let reason = rec["reason"].as_str().unwrap();
                assert!(reason.contains(fragment), "{name:?}: {reason}");
            }
        }
    }
    // Exactly the two good pictures were registered; the escape target was never read.
    let r = h.send(h.req("GET", "/v1.1/subjects")).await.expect(200);
    assert_eq!(r.json["total"], 2);
    h.send(
        h.req("POST", "/v1.1/face/search")
            .json(&json!({"probe": b64(&picture(13, 96, 96))})),
    )
    .await
    .expect(404);
}
