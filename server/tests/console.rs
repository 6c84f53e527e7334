//! The web console's server side over real loopback HTTP: the admin endpoints the page
//! reads (galleries, subjects paged, subject with face crops, tags with counts, bulk jobs,
//! search/verify/extract on a gallery), hostile input on them, and who may open
//! `/_console/`: anyone on a loopback-only emulator (with a loopback `Host`), only the
//! admin token holder when bound beyond loopback; never with CORS headers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Harness, b64, picture};
use necid_server::{EngineChoice, ServerConfig};
use serde_json::{Value, json};

async fn register(h: &Harness, pic: &[u8], tags: &[&str]) -> (String, String) {
    let r = h
        .send(
            h.req("POST", "/v1.1/subjects")
                .json(&json!({"face": b64(pic), "tags": tags})),
        )
        .await
        .expect(201);
    (
        r.json["id"].as_str().unwrap().to_owned(),
        r.json["eventId"].as_str().unwrap().to_owned(),
    )
}

async fn get_raw(h: &Harness, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut b = h.http.get(format!("{}{}", h.endpoint(), path));
    if let Some(t) = token {
        b = b.bearer_auth(t);
    }
    b.send().await.expect("sent")
}

#[tokio::test]
async fn the_console_reads_galleries_subjects_crops_tags_and_jobs_through_the_admin_api() {
    let h = Harness::start().await;
    for t in ["staff", "visitor"] {
        h.send(h.req("POST", &format!("/v1.1/tags/{t}")))
            .await
            .expect(200);
    }
    let pic_a = picture(1, 300, 200);
    let (a, a_ev) = register(&h, &pic_a, &["staff"]).await;
    let (b, _) = register(&h, &picture(2, 240, 240), &["staff", "visitor"]).await;
    let (c, _) = register(&h, &picture(3, 200, 260), &[]).await;
    // c gets a second event, then is unregistered: status D, still listed.
    h.send(
        h.req("POST", &format!("/v1.1/subjects/{c}/events"))
            .json(&json!({"face": b64(&picture(4, 220, 220))})),
    )
    .await
    .expect(201);
    h.send(h.req("DELETE", &format!("/v1.1/subjects/{c}")))
        .await
        .expect(204);
    // Deleting a tag leaves it on events: listed as not defined.
    h.send(h.req("DELETE", "/v1.1/tags/visitor"))
        .await
        .expect(200);

    // Galleries: counts, and API keys only as fingerprints.
    let (s, g) = h.admin("GET", "/galleries", None).await;
    assert_eq!(s, 200, "{g}");
    let def = &g["galleries"][0];
    assert_eq!(def["id"], "default");
    assert_eq!(def["activeSubjects"], 2, "{def}");
    assert_eq!(def["activeEvents"], 2, "{def}");
    assert_eq!(def["tags"], 1, "{def}");
    let fp = def["applications"][0]["apiKeyFingerprint"]
        .as_str()
        .unwrap();
    assert!(fp.starts_with("sha256:") && fp.len() == 15, "{fp}");
    assert!(
        !g.to_string().contains(necid_server::DEV_API_KEY),
        "an API key leaked: {g}"
    );

    // Subjects, paged like the API (start/length/dir), one entry per subject.
    let (s, p) = h
        .admin(
            "GET",
            "/galleries/default/subjects?start=0&length=2&dir=asc",
            None,
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["total"], 3);
    let ids: Vec<&str> = p["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a.as_str(), b.as_str()]);
    assert_eq!(p["subjects"][0]["status"], "A");
    assert_eq!(p["subjects"][1]["tags"], json!(["staff", "visitor"]));
    let (_, p2) = h
        .admin(
            "GET",
            "/galleries/default/subjects?start=2&length=2&dir=asc",
            None,
        )
        .await;
    assert_eq!(p2["subjects"][0]["id"], c.as_str());
    assert_eq!(p2["subjects"][0]["status"], "D");
    assert_eq!(p2["subjects"][0]["events"].as_array().unwrap().len(), 2);
    let (_, newest) = h
        .admin("GET", "/galleries/default/subjects?length=1&dir=desc", None)
        .await;
    assert_eq!(
        newest["subjects"][0]["id"],
        c.as_str(),
        "newest first: {newest}"
    );
    for bad in ["length=0", "length=1001", "start=-1", "dir=up"] {
        let (s, e) = h
            .admin("GET", &format!("/galleries/default/subjects?{bad}"), None)
            .await;
        assert_eq!(s, 400, "{bad}: {e}");
        assert!(e["message"].is_string());
    }
    let (s, _) = h.admin("GET", "/galleries/nope/subjects", None).await;
    assert_eq!(s, 404);

    // One subject: its event with attributes and a crop whose region covers the face box.
    let (s, subj) = h
        .admin("GET", &format!("/galleries/default/subjects/{a}"), None)
        .await;
    assert_eq!(s, 200, "{subj}");
    let ev = &subj["events"][0];
    assert_eq!(ev["id"], a_ev.as_str());
    assert_eq!(ev["tags"], json!(["staff"]));
    let region = &ev["crop"]["region"];
    let face = &ev["attributes"]["faceArea"];
    let n = |v: &Value| {
        v.as_str()
            .map_or_else(|| v.as_f64().unwrap(), |s| s.parse().unwrap())
    };
    assert!(
        n(&region["left"]) <= n(&face["left"]) && n(&region["right"]) >= n(&face["right"]),
        "{ev}"
    );
    assert!(
        n(&region["top"]) <= n(&face["top"]) && n(&region["bottom"]) >= n(&face["bottom"]),
        "{ev}"
    );
    let url = ev["crop"]["url"].as_str().unwrap();
    let resp = get_raw(&h, url, Some(h.server.admin_token())).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    let jpeg = resp.bytes().await.unwrap();
    let crop = image::load_from_memory(&jpeg).expect("the crop is a JPEG");
    assert!(
        crop.width() <= 192 && crop.height() <= 192 && crop.width() > 50,
        "{}x{}",
        crop.width(),
        crop.height()
    );
    // The crop shows this subject's picture: the same region of the original, resized,
    // differs from it by little more than JPEG noise.
    let original = image::load_from_memory(&pic_a).unwrap();
    let (l, t) = (n(&region["left"]) as u32, n(&region["top"]) as u32);
    let (w, hh) = (
        n(&region["right"]) as u32 - l,
        n(&region["bottom"]) as u32 - t,
    );
    let expected = original
        .crop_imm(l, t, w, hh)
        .resize_exact(
            crop.width(),
            crop.height(),
            image::imageops::FilterType::Triangle,
        )
        .to_rgb8();
    let got = crop.to_rgb8();
    let total: u64 = expected
        .as_raw()
        .iter()
        .zip(got.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    let mean_diff = total / expected.as_raw().len() as u64;
    assert!(
        mean_diff < 10,
        "the crop differs from the picture's region by {mean_diff} per channel"
    );
    // Another picture's region differs a lot (the check above can fail).
    let other = image::load_from_memory(&picture(2, 300, 200))
        .unwrap()
        .crop_imm(l, t, w, hh)
        .resize_exact(
            crop.width(),
            crop.height(),
            image::imageops::FilterType::Triangle,
        )
        .to_rgb8();
    let total: u64 = other
        .as_raw()
        .iter()
        .zip(got.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    assert!(total / other.as_raw().len() as u64 > 15);
    // Without the token: refused, like every admin path.
    assert_eq!(get_raw(&h, url, None).await.status(), 401);
    let (s, _) = h
        .admin("GET", "/galleries/default/events/nope/crop", None)
        .await;
    assert_eq!(s, 404);
    let (s, _) = h
        .admin("GET", "/galleries/default/subjects/nope", None)
        .await;
    assert_eq!(s, 404);

    // Tags with counts over active events; the deleted tag is still listed, undefined.
    let (_, t) = h.admin("GET", "/galleries/default/tags", None).await;
    assert_eq!(
        t["tags"],
        json!([
            {"name": "staff", "defined": true, "events": 2, "subjects": 2},
            {"name": "visitor", "defined": false, "events": 1, "subjects": 1},
        ])
    );

    // Search / verify / extract on a gallery run the API's own handlers.
    let (s, found) = h
        .admin(
            "POST",
            "/galleries/default/search",
            Some(json!({"probe": b64(&pic_a), "threshold": 0})),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["candidates"][0]["id"], a.as_str());
    assert!(found["candidates"][0]["score"].as_u64().unwrap() > 9000);
    assert!(found["attributes"]["faceArea"].is_object());
    let (s, v) = h
        .admin(
            "POST",
            "/galleries/default/verify",
            Some(json!({"id": a, "probe": b64(&pic_a)})),
        )
        .await;
    assert_eq!((s, &v["id"]), (200, &json!(a)), "{v}");
    let (s, nf) = h
        .admin(
            "POST",
            "/galleries/default/search",
            Some(json!({"probe": b64(&picture(99, 200, 200))})),
        )
        .await;
    assert_eq!(
        (s, nf["message"].as_str()),
        (404, Some("Candidates not found."))
    );
    let (s, ex) = h
        .admin(
            "POST",
            "/galleries/default/extract",
            Some(json!({"faces": b64(&pic_a)})),
        )
        .await;
    assert_eq!(s, 200, "{ex}");
    assert_eq!(ex["faces"].as_array().unwrap().len(), 1);

    // The search page never reaches the recording.
    assert_eq!(
        h.admin("GET", "/requests", None).await.1["requests"],
        json!([])
    );
}

#[tokio::test]
async fn hostile_console_requests_get_typed_errors_and_the_server_stays_up() {
    let h = Harness::with_config(ServerConfig {
        engine: EngineChoice::Deterministic,
        limits: necid_server::Limits {
            max_body_bytes: 64 * 1024,
            ..Default::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let search = |body: Vec<u8>| {
        h.http
            .post(format!(
                "{}/galleries/default/search",
                h.server.admin_endpoint()
            ))
            .bearer_auth(h.server.admin_token())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    // Not an image, not base64, not JSON, a header declaring 65535x65535, too large.
    let mut bomb = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
    bomb.extend_from_slice(
        b"IHDR\x00\x00\xff\xff\x00\x00\xff\xff\x08\x02\x00\x00\x00\x00\x00\x00\x00",
    );
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (
            json!({"probe": b64(b"not an image at all")})
                .to_string()
                .into_bytes(),
            400,
            "not a supported image",
        ),
        (
            json!({"probe": "%%%"}).to_string().into_bytes(),
            400,
            "base64",
        ),
        (b"{not json".to_vec(), 400, "not valid JSON"),
        (
            json!({"probe": b64(&bomb)}).to_string().into_bytes(),
            400,
            "",
        ),
        (
            json!({"probe": "A".repeat(200 * 1024)})
                .to_string()
                .into_bytes(),
            413,
            "Request Too Long",
        ),
    ];
    for (body, status, words) in cases {
        let r = search(body).await.expect("answered");
        assert_eq!(r.status().as_u16(), status);
        let j: Value = serde_json::from_slice(&r.bytes().await.unwrap()).expect("a JSON error");
        assert!(j["message"].as_str().unwrap().contains(words), "{j}");
    }
    let (s, _) = h
        .admin(
            "POST",
            "/galleries/nope/search",
            Some(json!({"probe": "x"})),
        )
        .await;
    assert_eq!(s, 404);
    // Ids that are not UTF-8 and odd query strings: JSON errors, not plain-text rejections
    // (`admin` fails on a body that is not JSON).
    for path in [
        "/galleries/%FF/subjects",
        "/galleries/default/subjects/%C3%28",
        "/galleries/default/events/%FF/crop",
        "/galleries/default/jobs/%FF?limit=1",
    ] {
        let (s, e) = h.admin("GET", path, None).await;
        assert_eq!(s, 400, "{path}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains("invalid path"),
            "{e}"
        );
    }
    let (s, e) = h
        .admin("GET", "/galleries/default/subjects?start=%FF%FE", None)
        .await;
    assert_eq!(s, 400, "{e}");
    let r = h
        .http
        .get(format!("{}/v1.1/health", h.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the server is still up");
}

#[tokio::test]
async fn bulk_jobs_show_their_progress() {
    let bucket = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(bucket.path().join("default")).unwrap();
    std::fs::write(bucket.path().join("default/a.png"), picture(5, 200, 200)).unwrap();
    std::fs::write(bucket.path().join("default/b.png"), picture(6, 200, 200)).unwrap();
    let h = Harness::with_config(ServerConfig {
        engine: EngineChoice::Deterministic,
        bucket_dir: Some(bucket.path().to_owned()),
        ..ServerConfig::default()
    })
    .await;
    let r = h
        .send(
            h.req("POST", "/v1.1/jobs/bulkregister")
                .json(&json!({"registrations": [
            {"filename": "a.png"}, {"filename": "missing.png"}, {"filename": "b.png"}]})),
        )
        .await
        .expect(200);
    let batch = r.json["batchId"].as_str().unwrap().to_owned();
    common::wait_for_batch(&h, necid_server::DEV_API_KEY, &batch).await;
    let (s, j) = h.admin("GET", "/galleries/default/jobs", None).await;
    assert_eq!(s, 200, "{j}");
    let job = &j["jobs"][0];
    assert_eq!(
        (
            &job["batchId"],
            &job["total"],
            &job["processed"],
            &job["succeeded"],
            &job["failed"],
            &job["done"]
        ),
        (
            &json!(batch),
            &json!(3),
            &json!(3),
            &json!(2),
            &json!(1),
            &json!(true)
        )
    );
    let (s, page) = h
        .admin(
            "GET",
            &format!("/galleries/default/jobs/{batch}?limit=2"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["records"].as_array().unwrap().len(), 2);
    assert_eq!(page["records"][1]["reason"], "File missing.png not found.");
    let next = page["next"].as_str().unwrap();
    let (_, rest) = h
        .admin(
            "GET",
            &format!("/galleries/default/jobs/{batch}?limit=2&after={next}"),
            None,
        )
        .await;
    assert_eq!(rest["records"][0]["filename"], "b.png");
    assert!(rest["next"].is_null());
    // Bulk-registered subjects have crops too.
    let sid = rest["records"][0]["subjectId"].as_str().unwrap();
    let (_, subj) = h
        .admin("GET", &format!("/galleries/default/subjects/{sid}"), None)
        .await;
    assert!(subj["events"][0]["crop"]["url"].is_string(), "{subj}");
    let (s, _) = h.admin("GET", "/galleries/default/jobs/nope", None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn on_loopback_the_console_opens_with_a_loopback_host_and_without_cors() {
    let h = Harness::start().await;
    let r = h
        .http
        .get(format!("{}/_console/", h.endpoint()))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().get("access-control-allow-origin").is_none(),
        "another origin must not read the page"
    );
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let page = r.text().await.unwrap();
    assert!(
        page.contains(h.server.admin_token()),
        "the page carries the token for its script"
    );
    for (file, ty) in [
        ("console.js", "text/javascript"),
        ("console.css", "text/css"),
    ] {
        let r = get_raw(&h, &format!("/_console/{file}"), None).await;
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(ty)
        );
    }
    for other in ["/_console/Cargo.toml", "/_console/console.js/x"] {
        assert_eq!(get_raw(&h, other, None).await.status(), 404, "{other}");
    }
    // A rebinding page (its own host name pointing at 127.0.0.1) is refused.
    let r = h
        .http
        .get(format!("{}/_console/", h.endpoint()))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!r.text().await.unwrap().contains(h.server.admin_token()));
    // The admin API still needs the token, console or not.
    assert_eq!(
        get_raw(&h, "/_admin/v1/galleries", None).await.status(),
        401
    );
}

#[tokio::test]
async fn beyond_loopback_the_console_needs_the_admin_token() {
    let h = Harness::with_config(ServerConfig {
        host: "0.0.0.0".into(),
        engine: EngineChoice::Deterministic,
        ..ServerConfig::default()
    })
    .await;
    let base = format!("http://127.0.0.1:{}", h.server.addr().port());
    let token = h.server.admin_token().to_owned();
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in [
        "/_console/",
        "/_console",
        "/_console/console.js",
        "/_console/index.html",
    ] {
        let r = no_redirect
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert!(!r.text().await.unwrap().contains(&token));
    }
    let r = no_redirect
        .get(format!("{base}/_console/?token=wrong-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = no_redirect
        .get(format!("{base}/_console/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains(&token));
    // ?token= once: a cookie and a redirect that drops the token from the address.
    let r = no_redirect
        .get(format!("{base}/_console/?token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/_console/");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap();
    let r = no_redirect
        .get(format!("{base}/_console/console.js"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The admin endpoints the console uses refuse requests without the token.
    for path in [
        "/galleries",
        "/galleries/default/subjects",
        "/galleries/default/tags",
        "/galleries/default/jobs",
        "/requests",
    ] {
        let r = no_redirect
            .get(format!("{base}/_admin/v1{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let r = no_redirect
            .get(format!("{base}/_admin/v1{path}"))
            .header("cookie", pair)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            401,
            "{path}: the console cookie is not an admin credential"
        );
    }
    let r = no_redirect
        .post(format!("{base}/_admin/v1/galleries/default/search"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn with_the_console_off_nothing_is_served_and_no_crop_is_kept() {
    let h = Harness::with_config(ServerConfig {
        engine: EngineChoice::Deterministic,
        console: false,
        ..ServerConfig::default()
    })
    .await;
    let r = get_raw(&h, "/_console/", None).await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("--no-console"));
    let (a, _) = register(&h, &picture(7, 200, 200), &[]).await;
    let (_, subj) = h
        .admin("GET", &format!("/galleries/default/subjects/{a}"), None)
        .await;
    assert!(subj["events"][0]["crop"].is_null(), "{subj}");
    let (_, st) = h.admin("GET", "", None).await;
    assert_eq!(st["console"], false);
}

#[tokio::test]
async fn crop_urls_work_for_gallery_ids_that_need_escaping() {
    let h = Harness::with_config(ServerConfig {
        engine: EngineChoice::Deterministic,
        galleries: vec![necid_server::GallerySeed {
            name: "odd".into(),
            id: Some("team a/b?c#d".into()),
            api_key: Some("odd-gallery-key-0001".into()),
            description: None,
            size: None,
            face_minimum_quality_score: None,
        }],
        ..ServerConfig::default()
    })
    .await;
    let r = h
        .send(
            h.req("POST", "/v1.1/subjects")
                .api_key("odd-gallery-key-0001")
                .json(&json!({"face": b64(&picture(8, 200, 200))})),
        )
        .await
        .expect(201);
    let sid = r.json["id"].as_str().unwrap();
    let (s, subj) = h
        .admin(
            "GET",
            &format!("/galleries/team%20a%2Fb%3Fc%23d/subjects/{sid}"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{subj}");
    let url = subj["events"][0]["crop"]["url"].as_str().unwrap();
    assert!(
        url.starts_with("/_admin/v1/galleries/team%20a%2Fb%3Fc%23d/events/"),
        "{url}"
    );
    let resp = get_raw(&h, url, Some(h.server.admin_token())).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
}
