//! Every `necid` subcommand against a real emulator over loopback HTTP: happy paths,
//! JSON shapes parsed back, and each error kind's exit code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{Emulator, asset, bare_cmd, fault_server, run, run_with_stdin};
use serde_json::Value;

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A square RGB picture of one flat colour (the emulator sees no face in it).
fn blank_png(dir: &Path, name: &str, side: u32) -> std::path::PathBuf {
    let path = dir.join(name);
    image::RgbImage::from_pixel(side, side, image::Rgb([120, 120, 120]))
        .save(&path)
        .unwrap();
    path
}

#[test]
fn health_in_table_and_json() {
    let emu = Emulator::start();
    let r = emu.necid(&["health"]).ok();
    assert!(r.stdout.starts_with("OK"), "{r:?}");
    let v = emu.necid(&["health", "-o", "json"]).ok().json();
    assert_eq!(v, serde_json::json!({"status": "OK"}));
    // Health needs no credentials.
    let mut c = bare_cmd(&emu.home());
    c.args(["health", "--endpoint", &emu.endpoint()]);
    run(c).ok();
}

#[test]
fn tags_lifecycle_and_errors() {
    let emu = Emulator::start();
    let v = emu
        .necid(&["tags", "create", "staff", "-o", "json"])
        .ok()
        .json();
    assert_eq!(v, serde_json::json!({"name": "staff", "created": true}));
    emu.necid(&["tags", "create", "visitor"]).ok();
    let v = emu.necid(&["tags", "list", "-o", "json"]).ok().json();
    let names: Vec<String> = v["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| s(&t["name"]))
        .collect();
    assert_eq!(names, ["staff", "visitor"]);
    let r = emu.necid(&["tags", "list"]).ok();
    assert!(r.stdout.starts_with("TAG\n"), "{r:?}");
    let v = emu
        .necid(&["tags", "rename", "visitor", "guest", "-o", "json"])
        .ok()
        .json();
    assert_eq!(
        v,
        serde_json::json!({"oldName": "visitor", "newName": "guest"})
    );
    // Duplicate: one clear line on stderr, exit 14.
    let r = emu.necid(&["tags", "create", "staff"]).code(14);
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    assert!(r.stderr.starts_with("necid: Duplicate: "), "{r:?}");
    assert!(r.stdout.is_empty());
    // And as JSON.
    let e = emu
        .necid(&["tags", "create", "staff", "-o", "json"])
        .code(14)
        .error_json();
    assert_eq!(e["error"]["kind"], "Duplicate");
    assert_eq!(e["error"]["exitCode"], 14);
    assert_eq!(e["error"]["errorType"], "Duplicate");
    assert_eq!(e["error"]["errorCode"], 1002);
    assert_eq!(e["error"]["status"], 400);
    assert!(e["error"]["requestId"].is_string());
    assert!(e["error"]["message"].as_str().unwrap().contains("staff"));
    emu.necid(&["tags", "delete", "guest", "--quiet"]).ok();
    let r = emu.necid(&["tags", "rename", "guest", "other"]).code(12);
    assert!(r.stderr.starts_with("necid: NotFound: "), "{r:?}");
}

#[test]
fn subjects_register_a_directory_list_update_unregister() {
    let emu = Emulator::start();
    emu.necid(&["tags", "create", "staff"]).ok();
    let dir = emu.dir.path().join("faces");
    std::fs::create_dir(&dir).unwrap();
    for f in ["obama.jpg", "biden.jpg", "astronaut.png"] {
        std::fs::copy(asset(f), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("README.txt"), "not an image").unwrap();
    let v = emu
        .necid(&[
            "subjects",
            "register",
            p(&dir),
            "--tags",
            "staff",
            "-j",
            "2",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(v["succeeded"], 3);
    assert_eq!(v["failed"], 0);
    let results = v["results"].as_array().unwrap();
    let files: Vec<String> = results.iter().map(|r| s(&r["file"])).collect();
    assert_eq!(
        files,
        ["astronaut.png", "biden.jpg", "obama.jpg"].map(|f| p(&dir.join(f)).to_owned())
    );
    for r in results {
        assert!(!s(&r["subjectId"]).is_empty());
        assert!(!s(&r["eventId"]).is_empty());
        assert!(r["attributes"]["faceArea"]["left"].is_i64(), "{r}");
        assert!(r["attributes"]["faceQualityScore"].is_f64(), "{r}");
        assert!(r.get("error").is_none());
    }
    let obama = s(&results[2]["subjectId"]);

    let v = emu.necid(&["subjects", "list", "-o", "json"]).ok().json();
    assert_eq!(v["total"], 3);
    let rows = v["subjects"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| r["status"] == "A" && r["eventId"].is_string())
    );
    let v = emu
        .necid(&["subjects", "list", "--all", "--length", "1", "-o", "json"])
        .ok()
        .json();
    assert_eq!(
        v["subjects"].as_array().unwrap().len(),
        3,
        "every page: {v}"
    );
    let r = emu.necid(&["subjects", "list"]).ok();
    assert!(r.stdout.starts_with("SUBJECT"), "{r:?}");
    assert!(r.stdout.contains(&obama));

    let v = emu
        .necid(&[
            "subjects",
            "update",
            &obama,
            p(&asset("obama2.jpg")),
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(s(&v["subjectId"]), obama);
    let v = emu
        .necid(&["subjects", "unregister", &obama, "-o", "json"])
        .ok()
        .json();
    assert_eq!(
        v,
        serde_json::json!({"subjectId": obama, "unregistered": true})
    );
    emu.necid(&["subjects", "unregister", &obama]).code(12);
    // Tags must exist: the service's InvalidRequest is exit 13.
    emu.necid(&[
        "subjects",
        "register",
        p(&asset("biden.jpg")),
        "--tags",
        "nope",
    ])
    .code(13);
}

#[test]
fn register_from_stdin_and_partial_failure() {
    let emu = Emulator::start();
    let mut c = emu.cmd();
    c.args(["subjects", "register", "-", "-o", "json"]);
    let v = run_with_stdin(c, &std::fs::read(asset("biden.jpg")).unwrap())
        .ok()
        .json();
    assert_eq!(v["results"][0]["file"], "-");
    assert!(v["results"][0]["subjectId"].is_string());

    // One good image and one without a face: exit 5, both reported.
    let blank = blank_png(emu.dir.path(), "blank.png", 64);
    let r = emu
        .necid(&[
            "subjects",
            "register",
            p(&asset("obama.jpg")),
            p(&blank),
            "-o",
            "json",
        ])
        .code(5);
    let v = r.json();
    assert_eq!(
        (v["succeeded"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(v["results"][1]["error"]["kind"], "NoFace");
    assert_eq!(v["results"][1]["error"]["exitCode"], 16);
    assert!(v["results"][1].get("subjectId").is_none());
}

#[test]
fn events_lifecycle() {
    let emu = Emulator::start();
    let v = emu
        .necid(&["subjects", "register", p(&asset("obama.jpg")), "-o", "json"])
        .ok()
        .json();
    let id = s(&v["results"][0]["subjectId"]);
    let first_event = s(&v["results"][0]["eventId"]);
    let v = emu
        .necid(&[
            "events",
            "register",
            &id,
            p(&asset("obama2.jpg")),
            p(&asset("obama3.jpg")),
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(v["succeeded"], 2);
    for r in v["results"].as_array().unwrap() {
        assert_eq!(s(&r["subjectId"]), id);
        assert!(r["eventId"].is_string());
    }
    let new_event = s(&v["results"][0]["eventId"]);
    let v = emu
        .necid(&["events", "list", &id, "-o", "json"])
        .ok()
        .json();
    assert_eq!(s(&v["subjectId"]), id);
    let ids: Vec<String> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["eventId"]))
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.contains(&first_event) && ids.contains(&new_event));
    let v = emu
        .necid(&[
            "events",
            "update",
            &id,
            &new_event,
            p(&asset("biden.jpg")),
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(s(&v["eventId"]), new_event);
    let v = emu
        .necid(&["events", "unregister", &id, &new_event, "-o", "json"])
        .ok()
        .json();
    assert_eq!(
        v,
        serde_json::json!({"subjectId": id, "eventId": new_event, "unregistered": true})
    );
    let r = emu.necid(&["events", "list", &id]).ok();
    assert!(r.stdout.contains("2 event(s)"), "{r:?}");
    emu.necid(&["events", "list", "no-such-subject"]).code(12);
    emu.necid(&["events", "unregister", &id, "no-such-event"])
        .code(12);
}

#[test]
fn face_extract_with_annotated_picture() {
    let emu = Emulator::start();
    let out = emu.dir.path().join("boxes.png");
    let r = emu
        .necid(&[
            "face",
            "extract",
            p(&asset("astronaut.png")),
            "--annotate",
            p(&out),
            "-o",
            "json",
        ])
        .ok();
    let v = r.json();
    let faces = v["faces"].as_array().unwrap();
    assert_eq!(faces.len(), 1);
    let area = &faces[0]["faceArea"];
    let (l, t, rt, b) = (
        area["left"].as_i64().unwrap(),
        area["top"].as_i64().unwrap(),
        area["right"].as_i64().unwrap(),
        area["bottom"].as_i64().unwrap(),
    );
    assert_eq!(v["annotated"]["path"], p(&out));
    assert_eq!(
        (
            v["annotated"]["width"].as_u64(),
            v["annotated"]["height"].as_u64()
        ),
        (Some(512), Some(512))
    );

    // The picture: a PNG of the original's size, pixels changed inside the face box
    // (its border and the eye marks), untouched far from any face.
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let drawn = image::load_from_memory(&bytes).unwrap().to_rgb8();
    let orig = image::open(asset("astronaut.png")).unwrap().to_rgb8();
    assert_eq!(drawn.dimensions(), orig.dimensions());
    let mut changed_inside = 0;
    let mut changed_total = 0;
    for (x, y, px) in drawn.enumerate_pixels() {
        if px != orig.get_pixel(x, y) {
            changed_total += 1;
            let (x, y) = (i64::from(x), i64::from(y));
            if x >= l && x < rt && y >= t && y < b {
                changed_inside += 1;
            }
        }
    }
    assert!(
        changed_inside > 4 * (rt - l),
        "face box drawn: {changed_inside} pixels"
    );
    assert!(
        changed_total < 512 * 512 / 4,
        "only marks are drawn: {changed_total}"
    );
    assert_eq!(
        drawn.get_pixel(2, 508),
        orig.get_pixel(2, 508),
        "corner untouched"
    );
    // Eye centre marked.
    let eye = &faces[0]["rightEyeCenter"];
    let (ex, ey) = (
        eye["x"].as_u64().unwrap() as u32,
        eye["y"].as_u64().unwrap() as u32,
    );
    assert_ne!(drawn.get_pixel(ex, ey), orig.get_pixel(ex, ey));

    // Table output and stdin input.
    let mut c = emu.cmd();
    c.args(["face", "extract", "-", "--limit", "3"]);
    let r = run_with_stdin(c, &std::fs::read(asset("astronaut.png")).unwrap()).ok();
    assert!(r.stdout.starts_with("1 face(s)"), "{r:?}");
    // A picture name with no known format is a usage error (2); nothing is sent.
    emu.necid(&[
        "face",
        "extract",
        p(&asset("astronaut.png")),
        "--annotate",
        p(&emu.dir.path().join("x.nope")),
    ])
    .code(2);
}

#[test]
fn face_search_and_verify() {
    let emu = Emulator::start();
    emu.necid(&["tags", "create", "staff"]).ok();
    let v = emu
        .necid(&[
            "subjects",
            "register",
            p(&asset("obama.jpg")),
            "--tags",
            "staff",
            "-o",
            "json",
        ])
        .ok()
        .json();
    let obama = s(&v["results"][0]["subjectId"]);
    emu.necid(&["subjects", "register", p(&asset("biden.jpg"))])
        .ok();

    let pic = emu.dir.path().join("search.jpg");
    let v = emu
        .necid(&[
            "face",
            "search",
            p(&asset("obama.jpg")),
            "--threshold",
            "7000",
            "--limit",
            "5",
            "--annotate",
            p(&pic),
            "-o",
            "json",
        ])
        .ok()
        .json();
    let c = &v["candidates"][0];
    assert_eq!(s(&c["subjectId"]), obama);
    assert_eq!(c["score"], 9999);
    assert!(c["events"][0]["eventId"].is_string());
    assert!(v["attributes"]["faceArea"].is_object());
    let drawn = image::open(&pic).unwrap();
    let orig = image::open(asset("obama.jpg")).unwrap();
    assert_eq!(
        (drawn.width(), drawn.height()),
        (orig.width(), orig.height())
    );
    // Tag filter and "no candidates" (the service's 404) as an empty list, exit 0.
    let v = emu
        .necid(&[
            "face",
            "search",
            p(&asset("biden.jpg")),
            "--tags",
            "staff",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(v["candidates"], serde_json::json!([]));
    let r = emu
        .necid(&["face", "search", p(&asset("astronaut.png"))])
        .ok();
    assert!(r.stdout.contains("no candidate"), "{r:?}");
    // Out-of-range threshold: rejected by the core before sending (InvalidInput, 10).
    let e = emu
        .necid(&[
            "face",
            "search",
            p(&asset("obama.jpg")),
            "--threshold",
            "10000",
            "-o",
            "json",
        ])
        .code(10)
        .error_json();
    assert_eq!(e["error"]["kind"], "InvalidInput");
    assert_eq!(e["error"]["status"], Value::Null);

    // Verify against a subject: match 0, no match 4.
    let v = emu
        .necid(&[
            "face",
            "verify",
            p(&asset("obama.jpg")),
            "--subject",
            &obama,
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(v["verified"], true);
    assert_eq!(v["score"], 9999);
    assert_eq!(s(&v["subjectId"]), obama);
    let r = emu
        .necid(&[
            "face",
            "verify",
            p(&asset("biden.jpg")),
            "--subject",
            &obama,
            "-o",
            "json",
        ])
        .code(4);
    assert_eq!(r.json()["verified"], false);
    assert!(
        r.stderr.is_empty(),
        "no error document for a clean 'no': {r:?}"
    );
    let r = emu
        .necid(&[
            "face",
            "verify",
            p(&asset("biden.jpg")),
            "--subject",
            &obama,
        ])
        .code(4);
    assert!(r.stdout.starts_with("not verified"), "{r:?}");
    // Face to face, with a picture of the verdict.
    let pic = emu.dir.path().join("verify.png");
    let v = emu
        .necid(&[
            "face",
            "verify",
            p(&asset("obama.jpg")),
            "--face",
            p(&asset("obama.jpg")),
            "--annotate",
            p(&pic),
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(
        (v["verified"].as_bool(), v["score"].as_u64()),
        (Some(true), Some(9999))
    );
    assert!(pic.exists());
    emu.necid(&[
        "face",
        "verify",
        p(&asset("obama.jpg")),
        "--face",
        p(&asset("biden.jpg")),
    ])
    .code(4);
    // A lower cut-off of your own: the same pair now counts as verified.
    let v = emu
        .necid(&[
            "face",
            "verify",
            p(&asset("obama.jpg")),
            "--face",
            p(&asset("biden.jpg")),
            "--threshold",
            "0",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(v["verified"], true);
    // --threshold is for --face only.
    emu.necid(&[
        "face",
        "verify",
        p(&asset("obama.jpg")),
        "--subject",
        "x",
        "--threshold",
        "0",
    ])
    .code(2);
    // The service answers 404 both for "not verified" and for an unknown subject; the core
    // reads every verify 404 as "not verified" (core/README.md), so this is 4, not 12.
    emu.necid(&[
        "face",
        "verify",
        p(&asset("obama.jpg")),
        "--subject",
        "nobody",
    ])
    .code(4);
    // Neither --subject nor --face: clap's usage error.
    emu.necid(&["face", "verify", p(&asset("obama.jpg"))])
        .code(2);
}

#[test]
fn bulk_register_with_manifest_and_wait_summary() {
    let emu = Emulator::start();
    emu.necid(&["tags", "create", "staff"]).ok();
    emu.necid(&["tags", "create", "vip"]).ok();
    let gallery = emu.bucket().join("default");
    std::fs::create_dir_all(&gallery).unwrap();
    for f in ["obama.jpg", "biden.jpg", "astronaut.png"] {
        std::fs::copy(asset(f), gallery.join(f)).unwrap();
    }
    let manifest = emu.dir.path().join("faces.csv");
    std::fs::write(
        &manifest,
        "filename,tags\n# staff first\nobama.jpg,staff;vip\nbiden.jpg,staff\nmissing.jpg,\n",
    )
    .unwrap();
    let r = emu
        .necid(&[
            "jobs",
            "bulk-register",
            "--manifest",
            p(&manifest),
            "astronaut.png",
            "--wait",
            "--poll-interval",
            "0.1",
            "-o",
            "json",
        ])
        .code(5);
    let v = r.json();
    assert_eq!(v["total"], 4);
    assert_eq!(v["processed"], 4);
    assert_eq!(v["succeeded"], 3);
    assert_eq!(v["failed"], 1);
    assert_eq!(v["done"], true);
    let batch = s(&v["batchId"]);
    let failed: Vec<&Value> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["registerStatus"] != "Success")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["filename"], "missing.jpg");
    assert!(
        failed[0]["reason"]
            .as_str()
            .unwrap()
            .contains("missing.jpg")
    );

    // The table summary names the failure and its reason.
    let r = emu.necid(&["jobs", "wait", &batch]).code(5);
    assert!(r.stdout.contains("3 succeeded, 1 failed (of 4)"), "{r:?}");
    assert!(r.stdout.contains("missing.jpg"), "{r:?}");
    let v = emu
        .necid(&["jobs", "progress", &batch, "-o", "json"])
        .ok()
        .json();
    assert_eq!(
        (v["total"].as_u64(), v["succeeded"].as_u64()),
        (Some(4), Some(3))
    );
    // The subjects exist, with the manifest's tags.
    let v = emu.necid(&["subjects", "list", "-o", "json"]).ok().json();
    assert_eq!(v["total"], 3);
    let v = emu
        .necid(&[
            "face",
            "search",
            p(&asset("obama.jpg")),
            "--tags",
            "vip",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(v["candidates"].as_array().unwrap().len(), 1);

    // Without --wait: the batch id, then `jobs wait` succeeds.
    let v = emu
        .necid(&["jobs", "bulk-register", "biden.jpg", "-o", "json"])
        .ok()
        .json();
    assert_eq!(v["registrations"], 1);
    let b2 = s(&v["batchId"]);
    let v = emu
        .necid(&["jobs", "wait", &b2, "--poll-interval", "0.1", "-o", "json"])
        .ok()
        .json();
    assert_eq!(
        (v["succeeded"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(0))
    );
    emu.necid(&["jobs", "progress", "no-such-batch"]).code(12);
    // Nothing to register: usage error from clap.
    emu.necid(&["jobs", "bulk-register"]).code(2);
}

#[test]
fn galleries_and_applications() {
    let emu = Emulator::start();
    let v = emu
        .necid(&[
            "galleries",
            "create",
            "--name",
            "Y10",
            "--size",
            "100",
            "--description",
            "year 10",
            "-o",
            "json",
        ])
        .ok()
        .json();
    let gid = s(&v["id"]);
    let key = s(&v["apiKey"]);
    assert_eq!(v["size"], 100);
    let v = emu.necid(&["galleries", "list", "-o", "json"]).ok().json();
    assert!(
        v["galleries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == gid.as_str())
    );
    let v = emu
        .necid(&["galleries", "get", &gid, "-o", "json"])
        .ok()
        .json();
    assert_eq!(v["name"], "Y10");
    let apps = v["applications"].as_array().unwrap();
    assert!(!apps.is_empty());
    assert!(
        apps.iter().all(|a| a.get("apiKey").is_none()),
        "keys hidden: {v}"
    );
    let v = emu
        .necid(&["galleries", "get", &gid, "--show-keys", "-o", "json"])
        .ok()
        .json();
    assert!(
        v["applications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["apiKey"] == key.as_str())
    );
    let v = emu
        .necid(&["galleries", "update", &gid, "--size", "200", "-o", "json"])
        .ok()
        .json();
    assert_eq!(v["size"], 200);

    // The new gallery's key works and keeps its subjects apart.
    let mut c = emu.cmd();
    c.env("NECID_API_KEY", &key)
        .args(["subjects", "register", p(&asset("biden.jpg"))]);
    run(c).ok();
    let mut c = emu.cmd();
    c.args(["subjects", "list", "-o", "json", "--api-key", &key]);
    assert_eq!(run(c).ok().json()["total"], 1);
    assert_eq!(
        emu.necid(&["subjects", "list", "-o", "json"]).ok().json()["total"],
        0
    );

    let v = emu
        .necid(&[
            "applications",
            "create",
            "--name",
            "Kiosk",
            "--gallery-id",
            &gid,
            "--min-quality",
            "0.6",
            "-o",
            "json",
        ])
        .ok()
        .json();
    let aid = s(&v["id"]);
    assert!(v["apiKey"].is_string());
    let r = emu
        .necid(&[
            "applications",
            "create",
            "--name",
            "K2",
            "--gallery-id",
            &gid,
        ])
        .ok();
    assert!(r.stdout.contains("API key: "), "{r:?}");
    let v = emu
        .necid(&["applications", "list", "-o", "json"])
        .ok()
        .json();
    let listed = v["applications"].as_array().unwrap();
    assert!(listed.iter().any(|a| a["id"] == aid.as_str()));
    assert!(listed.iter().all(|a| a.get("apiKey").is_none()));
    let v = emu
        .necid(&["applications", "get", &aid, "-o", "json"])
        .ok()
        .json();
    assert_eq!(v["name"], "Kiosk");
    let v = emu
        .necid(&[
            "applications",
            "update",
            &aid,
            "--name",
            "Kiosk 2",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(v["name"], "Kiosk 2");
    let v = emu
        .necid(&["applications", "delete", &aid, "-o", "json"])
        .ok()
        .json();
    assert_eq!(v, serde_json::json!({"id": aid, "deleted": true}));
    emu.necid(&["applications", "get", &aid]).code(12);
    emu.necid(&["galleries", "delete", &gid, "-q"]).ok();
    emu.necid(&["galleries", "get", &gid]).code(12);
    // An empty name is caught by the core (InvalidInput, 10).
    emu.necid(&["galleries", "create", "--name", " "]).code(10);
}

#[test]
fn face_errors_have_their_own_exit_codes() {
    let emu = Emulator::start();
    let dir = emu.dir.path();
    // NoFace (16): a flat grey picture.
    let blank = blank_png(dir, "blank.png", 64);
    let e = emu
        .necid(&["subjects", "register", p(&blank), "-o", "json"])
        .code(16)
        .error_json();
    assert_eq!(e["error"]["errorType"], "NoFace");
    assert_eq!(e["error"]["errorCode"], 2001);
    // MultipleFaces (18): the emulator reads a 2:1 strip as two faces.
    let face = image::open(asset("astronaut.png")).unwrap().to_rgb8();
    let mut strip = image::RgbImage::new(1024, 512);
    image::imageops::replace(&mut strip, &face, 0, 0);
    image::imageops::replace(&mut strip, &image::imageops::flip_horizontal(&face), 512, 0);
    let strip_path = dir.join("two.png");
    strip.save(&strip_path).unwrap();
    emu.necid(&["subjects", "register", p(&strip_path)])
        .code(18);
    let v = emu
        .necid(&["face", "extract", p(&strip_path), "-o", "json"])
        .ok()
        .json();
    assert_eq!(v["faces"].as_array().unwrap().len(), 2);
    // PoorQuality (17): a gallery that demands quality 0.9, and a small face.
    let v = emu
        .necid(&[
            "galleries",
            "create",
            "--name",
            "strict",
            "--min-quality",
            "0.9",
            "-o",
            "json",
        ])
        .ok()
        .json();
    let key = s(&v["apiKey"]);
    let small = dir.join("small.png");
    image::imageops::resize(&face, 48, 48, image::imageops::FilterType::Triangle)
        .save(&small)
        .unwrap();
    let mut c = emu.cmd();
    c.args(["subjects", "register", p(&small), "--api-key", &key]);
    run(c).code(17);
    // InvalidInput (10): not an image at all, caught before sending.
    let text = dir.join("notes.jpg");
    std::fs::write(&text, "hello").unwrap();
    let r = emu.necid(&["subjects", "register", p(&text)]).code(10);
    assert!(r.stderr.starts_with("necid: InvalidInput: "), "{r:?}");
    // A missing file is a local I/O error (3).
    let r = emu
        .necid(&["face", "extract", p(&dir.join("absent.jpg"))])
        .code(3);
    assert!(r.stderr.contains("absent.jpg"), "{r:?}");
    let e = emu
        .necid(&["face", "extract", p(&dir.join("absent.jpg")), "-o", "json"])
        .code(3)
        .error_json();
    assert_eq!(e["error"]["kind"], "Io");
    // Usage (2).
    emu.necid(&["subjects", "frobnicate"]).code(2);
}

#[test]
fn auth_and_network_errors() {
    let emu = Emulator::start();
    let mut c = emu.cmd();
    c.env("NECID_SECRET_ACCESS_KEY", "wrong-secret-value")
        .args(["tags", "list", "-o", "json"]);
    let r = run(c).code(11);
    let e = r.error_json();
    assert_eq!(e["error"]["kind"], "Auth");
    assert!(!r.stderr.contains("wrong-secret-value"));
    let mut c = emu.cmd();
    c.args(["tags", "list", "--api-key", "not-a-key"]);
    run(c).code(11);
    // Nothing listens on the port: Network (21).
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut c = emu.cmd();
    c.env("NECID_MAX_ATTEMPTS", "1").args([
        "health",
        "--endpoint",
        &format!("http://127.0.0.1:{port}"),
    ]);
    let r = run(c).code(21);
    assert!(r.stderr.starts_with("necid: Network: "), "{r:?}");
    // A bad endpoint is rejected by the core's configuration (10).
    let mut c = emu.cmd();
    c.args(["health", "--endpoint", "ftp://example"]);
    run(c).code(10);
}

/// Exit codes of faults the emulator cannot produce, injected by a stand-in server.
#[test]
fn injected_faults_map_to_their_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    type Case<'a> = (Option<(&'a str, &'a str)>, i32, &'a str);
    let cases: [Case; 6] = [
        // A service that answers but is not healthy.
        (Some(("200 OK", r#"{"status":"DEGRADED"}"#)), 20, "Server"),
        (
            Some(("429 Too Many Requests", r#"{"message":"Slow down"}"#)),
            19,
            "Throttled",
        ),
        (
            Some(("503 Service Unavailable", r#"{"message":"down"}"#)),
            20,
            "Server",
        ),
        (Some(("200 OK", "not json")), 23, "Decode"),
        (
            Some((
                "400 Bad Request",
                r#"{"message":"gave up","errorCode":1003,"errorType":"Timeout"}"#,
            )),
            15,
            "Timeout",
        ),
        (None, 22, "TimedOut"),
    ];
    for (response, code, kind) in cases {
        let endpoint = fault_server(response);
        let mut c = bare_cmd(home.path());
        c.env("NECID_MAX_ATTEMPTS", "1").args([
            "health",
            "--endpoint",
            &endpoint,
            "--timeout",
            "1",
            "-o",
            "json",
        ]);
        let r = run(c).code(code);
        assert_eq!(r.error_json()["error"]["kind"], kind, "{r:?}");
        match response {
            // The unhealthy status is still reported as the result.
            Some((_, body)) if body.contains("DEGRADED") => {
                assert_eq!(r.json()["status"], "DEGRADED");
            }
            _ => assert!(r.stdout.is_empty(), "{r:?}"),
        }
    }
}

#[test]
fn configure_writes_a_private_profile_that_then_works() {
    let emu = Emulator::start();
    let home = emu.home();
    let config = home.join(".necid/config");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "# my settings\n[other]\nregion = eu-west-1\n").unwrap();
    let mut c = bare_cmd(&home);
    c.args([
        "configure",
        "--profile",
        "local",
        "--endpoint",
        &emu.endpoint(),
        "--tenant-endpoint",
        &emu.field("tenantEndpoint"),
        "--access-key-id",
        &emu.field("accessKeyId"),
        "--secret-access-key",
        &emu.field("secretAccessKey"),
        "--api-key",
        &emu.field("apiKey"),
        "-o",
        "json",
    ]);
    let r = run(c).ok();
    let v = r.json();
    assert_eq!(v["profile"], "local");
    assert_eq!(v["file"], p(&config));
    for secret in [emu.field("secretAccessKey"), emu.field("apiKey")] {
        assert!(!r.stdout.contains(&secret) && !r.stderr.contains(&secret));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.starts_with("# my settings\n[other]\nregion = eu-west-1\n"),
        "{text}"
    );
    let profiles = necid::config::parse_profiles(&text).unwrap();
    assert_eq!(profiles["local"]["endpoint"], emu.endpoint());

    // The profile is usable: no NECID_* in the environment, only --profile.
    let mut c = bare_cmd(&home);
    c.args(["--profile", "local", "tags", "create", "from-profile"]);
    run(c).ok();
    let mut c = bare_cmd(&home);
    c.args(["tags", "list", "--profile", "local", "-o", "json"]);
    assert_eq!(run(c).ok().json()["tags"][0]["name"], "from-profile");
    // NECID_PROFILE selects it too, and a file made with a different secret is an Auth error.
    let mut c = bare_cmd(&home);
    c.env("NECID_PROFILE", "local").args(["tags", "list"]);
    run(c).ok();
    let mut c = bare_cmd(&home);
    c.args([
        "configure",
        "--profile",
        "local",
        "--secret-access-key",
        "changed-secret",
    ]);
    run(c).ok();
    let mut c = bare_cmd(&home);
    c.args(["--profile", "local", "tags", "list"]);
    run(c).code(11);
    // --from-emulator fills the default profile; an unknown profile is InvalidInput.
    let mut c = bare_cmd(&home);
    c.args([
        "configure",
        "--from-emulator",
        p(&emu.dir.path().join("ready.json")),
        "-q",
    ]);
    let r = run(c).ok();
    assert!(r.stdout.is_empty() && r.stderr.is_empty(), "{r:?}");
    let mut c = bare_cmd(&home);
    c.args(["health"]);
    run(c).ok();
    let mut c = bare_cmd(&home);
    c.args(["--profile", "nope", "health"]);
    run(c).code(10);
    // Nothing to write without a terminal: usage error.
    let mut c = bare_cmd(&home);
    c.args(["configure"]);
    run(c).code(2);
    let mut c = bare_cmd(&home);
    c.args(["configure", "--endpoint", "ftp://x"]);
    run(c).code(10);
}

#[test]
fn completions_man_and_help_examples() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let mut c = bare_cmd(home.path());
        c.args(["completions", shell]);
        let r = run(c).ok();
        assert!(
            r.stdout.contains("necid") && r.stdout.contains("subjects"),
            "{shell}"
        );
    }
    let mut c = bare_cmd(home.path());
    c.arg("man");
    let r = run(c).ok();
    assert!(r.stdout.contains(".TH necid"), "{r:?}");
    let mut c = bare_cmd(home.path());
    c.arg("--help");
    let r = run(c).ok();
    assert!(
        r.stdout.contains("Exit codes:") && r.stdout.contains("23  Decode"),
        "{r:?}"
    );
    for path in [
        &["subjects", "register"][..],
        &["face", "extract"],
        &["jobs", "wait"],
        &["galleries", "create"],
        &["configure"],
    ] {
        let mut c = bare_cmd(home.path());
        c.args(path).arg("--help");
        let r = run(c).ok();
        assert!(r.stdout.contains("Example: necid "), "{path:?}: {r:?}");
    }
}

#[test]
fn verbose_logs_each_request_and_no_secret() {
    let emu = Emulator::start();
    let r = emu.necid(&["-v", "tags", "list"]).ok();
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("necid.request"))
        .unwrap_or_else(|| panic!("no request line: {r:?}"));
    assert!(
        line.contains("path=/v1.1/tags") && line.contains("status=200"),
        "{line}"
    );
    assert!(!r.stderr.contains('\u{1b}'), "no colours when piped");
    let quiet = emu.necid(&["tags", "list"]).ok();
    assert!(quiet.stderr.is_empty(), "{quiet:?}");
    let biden = asset("biden.jpg");
    for flags in [&["-vv"][..], &["-vvv"]] {
        let mut args = flags.to_vec();
        args.extend(["subjects", "register", p(&biden)]);
        let r = emu.necid(&args).ok();
        assert!(!r.stderr.is_empty());
        for secret in [emu.field("secretAccessKey"), emu.field("apiKey")] {
            assert!(!r.stderr.contains(&secret), "{flags:?} leaked a secret");
        }
    }
}

#[test]
fn demo_writes_its_picture_and_says_where() {
    let home = tempfile::tempdir().unwrap();
    let pic = home.path().join("demo faces.png");
    let mut c = bare_cmd(home.path());
    // The deterministic engine keeps this fast; the picture code is the same for both.
    c.args(["demo", "--engine", "deterministic", "--picture", p(&pic)]);
    let r = run(c).ok();
    assert!(
        r.stdout.contains(&format!("{} (512x512)", pic.display())),
        "{r:?}"
    );
    let img = image::open(&pic).unwrap();
    assert_eq!((img.width(), img.height()), (512, 512));
}

#[test]
fn the_cli_appends_its_name_to_the_users_user_agent_suffix() {
    // A listener that keeps the request head (any answer will do: only the header matters).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let heads = std::thread::spawn(move || {
        use std::io::{Read as _, Write as _};
        // Never wait forever: a CLI that does not connect fails the test instead.
        listener.set_nonblocking(true).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut s = loop {
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => return format!("no connection: {e}"),
            }
        };
        s.set_nonblocking(false).unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        let _ = s.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        );
        String::from_utf8_lossy(&head).into_owned()
    });
    let home = tempfile::tempdir().unwrap();
    let mut c = bare_cmd(home.path());
    c.env("NECID_ENDPOINT", &endpoint)
        .env("NECID_MAX_ATTEMPTS", "1")
        .env("NECID_USER_AGENT_SUFFIX", "myapp/2.0")
        .arg("health");
    let _ = run(c);
    let head = heads.join().unwrap();
    let ua = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("user-agent: ")
                .or_else(|| l.strip_prefix("User-Agent: "))
        })
        .unwrap_or_default();
    let cli = format!("necid-cli/{}", env!("CARGO_PKG_VERSION"));
    assert!(ua.starts_with("necid-rust/"), "{head}");
    assert!(ua.ends_with(&format!(" myapp/2.0 {cli}")), "{ua}");
}
