//! The emulator at scale: a gallery of 100,000 subjects seeded straight into its SQLite
//! store, then HTTP searches and registrations through the necid client.
//!
//! ```text
//! necid-bench seed-db --db FILE --subjects N --faces A.jpg,B.jpg   (the emulator made FILE and is stopped)
//! necid-bench scale   --ready F --probe P --register P [--secs S] [--inflight 1,8]
//! ```
//!
//! Templates are real-engine descriptors: each face picture of --faces goes through
//! `necid_face_engine` (what the emulator's real engine runs at registration) and is
//! stored as is, one subject per picture; the other subjects are those descriptors plus
//! Gaussian noise of norm ~0.8 (the face-engine facts: different people are 0.75–0.84
//! apart, the same person 0.37–0.44), so they have the real descriptors' scale and
//! statistics but match nobody. Seeding writes rows in one transaction; a registration
//! through the API would run the ~50–100 ms descriptor network per subject (hours for 100k).

use std::time::{Duration, Instant};

use necid_face_engine as fe;
use serde_json::{Value, json};

use crate::{BenchResult, Opts, Rng, closed_loop, ready, to_template};

/// A standard normal sample (Box–Muller) from the bench's xorshift generator.
fn normal(rng: &mut Rng) -> f32 {
    let u1 = rng.unit().max(1e-7);
    let u2 = rng.unit();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

/// A uuid-shaped id from a counter (ids only need to be unique).
fn id(prefix: u32, n: u64) -> String {
    format!(
        "{prefix:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (n >> 48) & 0xffff,
        (n >> 36) & 0xfff,
        (n >> 24) & 0xfff,
        n & 0xff_ffff_ffff
    )
}

pub fn seed_db(opts: &Opts) -> BenchResult<Value> {
    let db = opts.str("db")?;
    let n = opts.f64_or("subjects", 100_000.0)? as u64;
    let faces = opts.str("faces")?;
    let names: Vec<&str> = faces.split(',').filter(|s| !s.is_empty()).collect();
    let t0 = Instant::now();
    let eng = fe::FaceEngine::new().map_err(|e| e.to_string())?;
    let mut real: Vec<(String, [f32; fe::DESCRIPTOR_LEN])> = Vec::new();
    for p in &names {
        let bytes = std::fs::read(p).map_err(|e| format!("{p}: {e}"))?;
        let faces = eng.detect(&bytes, 1).map_err(|e| e.to_string())?;
        if let Some(f) = faces.first() {
            real.push(((*p).to_owned(), f.descriptor));
        }
    }
    if real.is_empty() {
        return Err(format!("{faces}: no face found in any picture"));
    }
    let engine_ms = t0.elapsed().as_secs_f64() * 1e3;

    let t1 = Instant::now();
    let mut conn = rusqlite::Connection::open(db).map_err(|e| format!("{db}: {e}"))?;
    conn.pragma_update(None, "synchronous", "OFF")
        .map_err(|e| e.to_string())?;
    let gallery = necid_server::config::DEFAULT_GALLERY_ID;
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    let now = "2026-12-06T21:00:00.000+00:00";
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO events(gallery_id, subject_id, event_id, status, last_updated, tags, template, attributes) \
                 VALUES (?1, ?2, ?3, 'A', ?4, '[]', ?5, '{}')",
            )
            .map_err(|e| format!("{db} (run the emulator on it once first): {e}"))?;
        let mut rng = Rng(0xA5A5_5A5A_1234_5678);
        // Noise per dimension so that its norm is ~0.8 over 128 dimensions.
        let sigma = 0.8 / (fe::DESCRIPTOR_LEN as f32).sqrt();
        for i in 0..n {
            let base = real
                .get(i as usize % real.len())
                .map(|r| r.1)
                .unwrap_or([0.0; fe::DESCRIPTOR_LEN]);
            let d: [f32; fe::DESCRIPTOR_LEN] = if (i as usize) < real.len() {
                base // the real descriptors themselves: the subjects a probe can find
            } else {
                let mut d = base;
                d.iter_mut().for_each(|x| *x += sigma * normal(&mut rng));
                d
            };
            stmt.execute(rusqlite::params![
                gallery,
                id(0x5ca1_e000, i),
                id(0xe7e7_0000, i),
                now,
                to_template(&d)
            ])
            .map_err(|e| e.to_string())?;
        }
    }
    // Room for the registrations the benchmark adds afterwards.
    tx.execute(
        "UPDATE galleries SET size = max(size, ?1) WHERE id = ?2",
        rusqlite::params![(n + 100_000) as i64, gallery],
    )
    .map_err(|e| e.to_string())?;
    tx.commit().map_err(|e| e.to_string())?;
    Ok(json!({
        "seeded": n,
        "real_descriptors": real.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        "engine_ms": engine_ms,
        "insert_ms": t1.elapsed().as_secs_f64() * 1e3,
    }))
}

/// HTTP searches (one probe picture, real engine) at each in-flight level, then
/// registrations of one picture for `--register-secs`.
pub fn scale(opts: &Opts) -> BenchResult<Value> {
    let r = ready(opts)?;
    let secs = opts.f64_or("secs", 10.0)?;
    let levels = opts.list_or("inflight", &[1, 8])?;
    let probe_path = opts.str("probe")?;
    let probe = std::fs::read(probe_path).map_err(|e| format!("{probe_path}: {e}"))?;
    let reg_path = opts.str("register")?;
    let reg = std::fs::read(reg_path).map_err(|e| format!("{reg_path}: {e}"))?;
    let cfg = necid::Config::builder()
        .endpoint(&r.endpoint)
        .region(crate::REGION)
        .access_key_id(&r.akid)
        .secret_access_key(&r.secret)
        .api_key(&r.api_key)
        .request_timeout(Duration::from_secs(120))
        .max_attempts(1)
        .build()
        .map_err(|e| format!("config: {e}"))?;
    let client = necid::Client::new(cfg).map_err(|e| format!("client: {e}"))?;
    let probe = necid::Image::from(probe);
    let reg = necid::Image::from(reg);

    let rt = necid::runtime().map_err(|e| e.to_string())?;
    // One search first: how many candidates a real probe finds among the seeded subjects.
    let first = rt
        .block_on(client.search(necid::SearchRequest::new(probe.clone())))
        .map_err(|e| format!("search: {e}"))?;
    let candidates = first.candidates.len();

    let mut search = Vec::new();
    for &n in &levels {
        let (c, img) = (client.clone(), probe.clone());
        search.push(closed_loop(n, secs, move || {
            let (c, img) = (c.clone(), img.clone());
            async move {
                let res = c
                    .search(necid::SearchRequest::new(img))
                    .await
                    .map_err(|e| e.to_string())?;
                if res.candidates.is_empty() {
                    return Err("no candidate".into());
                }
                Ok(())
            }
        })?);
    }
    // The same probe through extract: the real engine's share of a search (decode,
    // detection, landmarks, descriptor), without the gallery scan.
    let (c, img) = (client.clone(), probe.clone());
    let extract = closed_loop(1, secs, move || {
        let (c, img) = (c.clone(), img.clone());
        async move {
            c.extract_faces(img, None)
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
    })?;
    let mut register = Vec::new();
    for &n in &levels {
        let (c, img) = (client.clone(), reg.clone());
        register.push(closed_loop(n, secs, move || {
            let (c, img) = (c.clone(), img.clone());
            async move {
                c.register_subject(img, &[])
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(())
            }
        })?);
    }
    Ok(json!({
        "lang": "rust",
        "scale": {
            "first_search_candidates": candidates,
            "search": search,
            "extract_same_probe": extract,
            "register": register,
        }
    }))
}
