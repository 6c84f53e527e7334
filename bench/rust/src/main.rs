//! `necid-bench`: the Rust side of `bench/run` (see `bench/RESULTS.md`).
//!
//! Every subcommand prints one JSON object on stdout; `bench/run` merges them with the
//! Python and Node results into `bench/results.json` and the table. Timing is plain
//! `std::time::Instant` over enough iterations (no criterion): each measurement is a
//! bounded loop of a few seconds at most, and implementations are interleaved round by
//! round so that load from other processes hits them alike — ratios within one run are
//! what count on a busy machine.
//!
//! ```text
//! necid-bench assets --out DIR                     probe.jpg (~1 KiB body), photo512.jpg, big5mb.png
//! necid-bench sign   [--secs S] [--sizes 0,1024] [--only necid]   signatures/s: necid vs aws-sigv4 vs SHA-256 floor
//! necid-bench breakdown [--secs S]              ns/call of the pieces of one 0 B signature
//! necid-bench e2e    --ready F --probe P [--secs S] [--inflight 1,8,64]
//! necid-bench rss    --ready F --image P --inflight K
//! necid-bench engine --photo P [--quick]           extract on 512², 1:N search over 10k/100k
//! necid-bench null-server --ready-file F [--port N] loopback HTTP/1.1 responder, canned answers
//! necid-bench handoff [--secs S]                 cost of a cross-thread hand-off (the sync-call floor)
//! necid-bench seed-db --db F --subjects N --faces DIR   gallery of N real-engine templates (bench/rust/src/scale.rs)
//! necid-bench scale  --ready F --probe P --register P [--secs S] [--inflight 1,8]
//! ```

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine as _;
use necid_face_engine as fe;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod null;
mod scale;

type BenchResult<T> = Result<T, String>;

/// Body sizes of the signing table.
const SIZES: [usize; 4] = [0, 1024, 100 * 1024, 2 * 1024 * 1024];
const SIGN_URL: &str = "http://127.0.0.1:8080/v1.1/face/extract";
const REGION: &str = "ap-southeast-2";
const SERVICE: &str = "execute-api";
const AKID: &str = "AKIDNECIDEMULATOR0001";
const SECRET: &str = "necid-emulator-secret-key";
const API_KEY: &str = "necid-emulator-api-key";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = run(&args);
    match result {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("necid-bench: {e}");
            std::process::exit(1);
        }
    }
}

fn run(args: &[String]) -> BenchResult<Value> {
    let opts = Opts::parse(args.get(1..).unwrap_or_default())?;
    match args.first().map(String::as_str) {
        Some("assets") => assets(&opts),
        Some("sign") => sign_bench(&opts),
        Some("e2e") => e2e(&opts),
        Some("rss") => rss(&opts),
        Some("engine") => engine(&opts),
        Some("breakdown") => breakdown(&opts),
        Some("null-server") => null::null_server(&opts),
        Some("handoff") => handoff(&opts),
        Some("seed-db") => scale::seed_db(&opts),
        Some("scale") => scale::scale(&opts),
        _ => Err(
            "usage: necid-bench assets|sign|breakdown|e2e|rss|engine|null-server|handoff|seed-db|scale [options] (see the source)"
                .into(),
        ),
    }
}

/// `--name value` pairs and bare `--flags`.
struct Opts(HashMap<String, String>);

impl Opts {
    fn parse(args: &[String]) -> BenchResult<Opts> {
        let mut map = HashMap::new();
        let mut it = args.iter().peekable();
        while let Some(a) = it.next() {
            let name = a
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {a}"))?;
            let value = match it.peek() {
                Some(v) if !v.starts_with("--") => it.next().cloned().unwrap_or_default(),
                _ => String::new(),
            };
            map.insert(name.to_owned(), value);
        }
        Ok(Opts(map))
    }
    fn flag(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
    fn str(&self, name: &str) -> BenchResult<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("--{name} is required"))
    }
    fn f64_or(&self, name: &str, default: f64) -> BenchResult<f64> {
        self.0.get(name).map_or(Ok(default), |v| {
            v.parse().map_err(|_| format!("--{name}: not a number"))
        })
    }
    fn list_or(&self, name: &str, default: &[usize]) -> BenchResult<Vec<usize>> {
        match self.0.get(name) {
            None => Ok(default.to_vec()),
            Some(v) => v
                .split(',')
                .map(|x| x.trim().parse().map_err(|_| format!("--{name}: bad list")))
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// assets

/// Deterministic pseudo-random numbers (xorshift64*), so every run uses the same bytes.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn encode_jpeg(img: &image::DynamicImage, quality: u8) -> BenchResult<Vec<u8>> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    img.to_rgb8()
        .write_with_encoder(enc)
        .map_err(|e| format!("jpeg: {e}"))?;
    Ok(out)
}

/// Writes the inputs every language shares: a small probe whose extract body is ~1 KiB,
/// a 512² photo for the real engine, and a ~5 MB PNG (noise does not compress) for the
/// memory measurement.
fn assets(opts: &Opts) -> BenchResult<Value> {
    let out = std::path::PathBuf::from(opts.str("out")?);
    let face = opts
        .0
        .get("face")
        .map_or("cli/assets/faces/obama.jpg", |s| s);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let src = image::open(face).map_err(|e| format!("{face}: {e}"))?;

    let probe = encode_jpeg(&src.resize_to_fill(24, 24, image::imageops::Lanczos3), 50)?;
    let photo = encode_jpeg(&src.resize_to_fill(512, 512, image::imageops::Lanczos3), 90)?;
    // The face photo, upscaled, with random low bits: the picture survives (the emulator
    // finds one face) while the noise keeps PNG from compressing it below ~5 MB.
    let side = 1300u32;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut noisy = src
        .resize_to_fill(side, side, image::imageops::Triangle)
        .to_rgb8();
    for p in noisy.pixels_mut() {
        let v = rng.next();
        for (c, r) in p.0.iter_mut().zip([v, v >> 8, v >> 16]) {
            *c = (*c & 0xC0) | (r as u8 & 0x3F);
        }
    }
    let noise = noisy;
    let mut big = Vec::new();
    image::DynamicImage::ImageRgb8(noise)
        .write_to(&mut Cursor::new(&mut big), image::ImageFormat::Png)
        .map_err(|e| format!("png: {e}"))?;
    for (name, bytes) in [
        ("probe.jpg", &probe),
        ("photo512.jpg", &photo),
        ("big5mb.png", &big),
    ] {
        std::fs::write(out.join(name), bytes).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(json!({
        "probe_bytes": probe.len(),
        "probe_body_bytes": 12 + base64::engine::general_purpose::STANDARD.encode(&probe).len(),
        "photo512_bytes": photo.len(),
        "big_bytes": big.len(),
    }))
}

// ---------------------------------------------------------------------------------------
// timing

/// Runs `f` for at least `budget` (at least once, after one warm-up call) and returns
/// calls per second.
fn rate(budget: Duration, f: &mut dyn FnMut() -> BenchResult<()>) -> BenchResult<f64> {
    f()?;
    let start = Instant::now();
    let mut n: u64 = 0;
    let mut batch: u64 = 1;
    loop {
        for _ in 0..batch {
            f()?;
        }
        n += batch;
        let el = start.elapsed();
        if el >= budget {
            return Ok(n as f64 / el.as_secs_f64());
        }
        // Grow the batch so the clock is read rarely, but never overshoot by much.
        if el < budget / 8 {
            batch = batch.saturating_mul(2);
        }
    }
}

// ---------------------------------------------------------------------------------------
// signing

fn necid_client(
    endpoint: &str,
    akid: &str,
    secret: &str,
    api_key: &str,
) -> BenchResult<necid::Client> {
    let cfg = necid::Config::builder()
        .endpoint(endpoint)
        .region(REGION)
        .access_key_id(akid)
        .secret_access_key(secret)
        .api_key(api_key)
        .build()
        .map_err(|e| format!("config: {e}"))?;
    necid::Client::new(cfg).map_err(|e| format!("client: {e}"))
}

/// The aws-sigv4 crate used directly, configured as necid configures it (double-encoded
/// path, no payload-hash header, headers location): necid's overhead is the difference.
struct RawSigner {
    identity: Identity,
}

impl RawSigner {
    fn new(akid: &str, secret: &str) -> RawSigner {
        RawSigner {
            identity: Credentials::new(akid, secret, None, None, "bench").into(),
        }
    }
    fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        time: SystemTime,
    ) -> BenchResult<Vec<(String, String)>> {
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Double;
        settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
        settings.signature_location = SignatureLocation::Headers;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.session_token_mode = SessionTokenMode::Include;
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(REGION)
            .name(SERVICE)
            .time(time)
            .settings(settings)
            .build()
            .map_err(|e| format!("params: {e}"))?
            .into();
        let signable = SignableRequest::new(
            method,
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| format!("signable: {e}"))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| format!("sign: {e}"))?
            .into_parts();
        Ok(instructions
            .headers()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect())
    }
}

fn body_of(size: usize) -> Vec<u8> {
    let mut rng = Rng(size as u64 + 1);
    (0..size).map(|_| b'A' + (rng.next() % 26) as u8).collect()
}

fn sign_bench(opts: &Opts) -> BenchResult<Value> {
    let secs = opts.f64_or("secs", 1.0)?;
    let rounds = if opts.flag("quick") { 1 } else { 3 };
    let budget = Duration::from_secs_f64(secs / f64::from(rounds));
    let client = necid_client("http://127.0.0.1:8080", AKID, SECRET, API_KEY)?;
    let raw = RawSigner::new(AKID, SECRET);
    let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    let sizes = opts.list_or("sizes", &SIZES)?;
    let only = opts.0.get("only").cloned();
    let mut rows = Vec::new();
    for size in sizes {
        let body = body_of(size);
        let mut best: [f64; 4] = [0.0; 4];
        let want = |name: &str| only.as_deref().is_none_or(|o| o == name);
        for _ in 0..rounds {
            let r = if !want("necid") {
                0.0
            } else {
                rate(budget, &mut || {
                    let h = client
                        .sign_request("POST", SIGN_URL, &headers, &body)
                        .map_err(|e| e.to_string())?;
                    std::hint::black_box(h);
                    Ok(())
                })?
            };
            best[0] = best[0].max(r);
            let r = if !want("aws-sigv4") {
                0.0
            } else {
                rate(budget, &mut || {
                    let h = raw.sign(
                        "POST",
                        SIGN_URL,
                        &[("content-type", "application/json"), ("x-api-key", API_KEY)],
                        &body,
                        SystemTime::now(),
                    )?;
                    std::hint::black_box(h);
                    Ok(())
                })?
            };
            best[1] = best[1].max(r);
            let r = if !want("sha256") {
                0.0
            } else {
                rate(budget, &mut || {
                    std::hint::black_box(hex::encode(Sha256::digest(&body)));
                    Ok(())
                })?
            };
            best[2] = best[2].max(r);
            let r = if !want("sha256+base64") {
                0.0
            } else {
                rate(budget, &mut || {
                    let d = Sha256::digest(&body);
                    std::hint::black_box(base64::engine::general_purpose::STANDARD.encode(d));
                    std::hint::black_box(base64::engine::general_purpose::STANDARD.encode(&body));
                    Ok(())
                })?
            };
            best[3] = best[3].max(r);
        }
        rows.push(json!({
            "size": size,
            "necid": best[0],
            "aws-sigv4": best[1],
            "sha256": best[2],
            "sha256+base64": best[3],
        }));
    }
    Ok(json!({ "lang": "rust", "sign": rows }))
}

/// Where the fixed cost of one (0 B) signature goes: ns per call of each piece necid's
/// `sign_request` runs, measured alone, next to the whole call. Not additive exactly (the
/// pieces share caches), but it shows what caching the signing key or dropping a URL parse
/// would save.
fn breakdown(opts: &Opts) -> BenchResult<Value> {
    let secs = opts.f64_or("secs", 1.5)?;
    let rounds = 3;
    let budget = Duration::from_secs_f64(secs / f64::from(rounds));
    let client = necid_client("http://127.0.0.1:8080", AKID, SECRET, API_KEY)?;
    let raw = RawSigner::new(AKID, SECRET);
    let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    let now = SystemTime::now();
    type Piece<'a> = (&'static str, Box<dyn FnMut() -> BenchResult<()> + 'a>);
    let mut pieces: Vec<Piece<'_>> = vec![
        (
            "necid sign_request",
            Box::new(|| {
                let h = client
                    .sign_request("POST", SIGN_URL, &headers, b"")
                    .map_err(|e| e.to_string())?;
                std::hint::black_box(h);
                Ok(())
            }),
        ),
        (
            "aws-sigv4 sign (direct)",
            Box::new(|| {
                std::hint::black_box(raw.sign(
                    "POST",
                    SIGN_URL,
                    &[("content-type", "application/json"), ("x-api-key", API_KEY)],
                    b"",
                    SystemTime::now(),
                )?);
                Ok(())
            }),
        ),
        (
            "signing-key derivation (4 HMACs)",
            Box::new(move || {
                let key = aws_sigv4::sign::v4::generate_signing_key(SECRET, now, REGION, SERVICE);
                std::hint::black_box(key.as_ref().len());
                Ok(())
            }),
        ),
        (
            "reqwest::Url::parse",
            Box::new(|| {
                std::hint::black_box(reqwest::Url::parse(SIGN_URL).map_err(|e| e.to_string())?);
                Ok(())
            }),
        ),
        (
            "http::Uri parse",
            Box::new(|| {
                std::hint::black_box(SIGN_URL.parse::<http::Uri>().map_err(|e| e.to_string())?);
                Ok(())
            }),
        ),
        (
            "tracing with_default(NoSubscriber)",
            Box::new(|| {
                tracing::subscriber::with_default(
                    tracing::subscriber::NoSubscriber::default(),
                    || std::hint::black_box(1),
                );
                Ok(())
            }),
        ),
        (
            "sha256 hex of 0 B",
            Box::new(|| {
                std::hint::black_box(hex::encode(Sha256::digest(b"")));
                Ok(())
            }),
        ),
    ];
    let mut best = vec![0.0f64; pieces.len()];
    for _ in 0..rounds {
        for ((_, f), b) in pieces.iter_mut().zip(best.iter_mut()) {
            *b = b.max(rate(budget, f.as_mut())?);
        }
    }
    let out: serde_json::Map<String, Value> = pieces
        .iter()
        .zip(&best)
        .map(|((name, _), r)| ((*name).to_owned(), json!(1e9 / r)))
        .collect();
    Ok(json!({ "lang": "rust", "breakdown_ns": out }))
}

// ---------------------------------------------------------------------------------------
// end to end

struct Ready {
    endpoint: String,
    akid: String,
    secret: String,
    api_key: String,
}

fn ready(opts: &Opts) -> BenchResult<Ready> {
    let path = opts.str("ready")?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("{path}: no {k}"))
    };
    Ok(Ready {
        endpoint: s("endpoint")?,
        akid: s("accessKeyId")?,
        secret: s("secretAccessKey")?,
        api_key: s("apiKey")?,
    })
}

/// requests/s, p50 and p99 (ms) of `inflight` concurrent loops of `one` for `secs`.
fn closed_loop<F, Fut>(inflight: usize, secs: f64, one: F) -> BenchResult<Value>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = BenchResult<()>> + Send + 'static,
{
    let rt = necid::runtime().map_err(|e| e.to_string())?;
    let one = Arc::new(one);
    rt.block_on(async move {
        // Warm-up: open the connections and fill the pools.
        let warm: Vec<_> = (0..inflight)
            .map(|_| {
                let one = one.clone();
                tokio::spawn(async move { one().await })
            })
            .collect();
        for w in warm {
            w.await.map_err(|e| e.to_string())??;
        }
        let cpu0 = process_cpu_secs();
        let start = Instant::now();
        let deadline = start + Duration::from_secs_f64(secs);
        let tasks: Vec<_> = (0..inflight)
            .map(|_| {
                let one = one.clone();
                tokio::spawn(async move {
                    let mut lat = Vec::new();
                    let mut errors = 0u64;
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        match one().await {
                            Ok(()) => lat.push(t.elapsed().as_nanos() as u64),
                            Err(_) => errors += 1,
                        }
                    }
                    (lat, errors)
                })
            })
            .collect();
        let mut all = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (lat, e) = t.await.map_err(|e| e.to_string())?;
            all.extend(lat);
            errors += e;
        }
        let elapsed = start.elapsed().as_secs_f64();
        let cpu = process_cpu_secs() - cpu0;
        Ok(summary(inflight, all, errors, elapsed, cpu))
    })
}

fn summary(inflight: usize, mut lat: Vec<u64>, errors: u64, elapsed: f64, cpu: f64) -> Value {
    lat.sort_unstable();
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        lat.get(i).copied().unwrap_or(0) as f64 / 1e6
    };
    json!({
        "inflight": inflight,
        "requests": lat.len(),
        "errors": errors,
        "rps": lat.len() as f64 / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        // This process's CPU time (all threads) per completed request: the client's own
        // cost, whatever the server's latency.
        "cpu_us_per_req": if lat.is_empty() { 0.0 } else { cpu * 1e6 / lat.len() as f64 },
    })
}

/// CPU time (user + system, every thread) this process has used, from /proc/self/stat
/// (clock ticks of 10 ms: fine over a multi-second loop).
fn process_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn e2e(opts: &Opts) -> BenchResult<Value> {
    let r = ready(opts)?;
    let secs = opts.f64_or("secs", 3.0)?;
    let levels = opts.list_or("inflight", &[1, 8, 64])?;
    let probe_path = opts.str("probe")?;
    let probe = std::fs::read(probe_path).map_err(|e| format!("{probe_path}: {e}"))?;
    let client = necid_client(&r.endpoint, &r.akid, &r.secret, &r.api_key)?;
    let image = necid::Image::from(probe.clone());

    // The peer: aws-sigv4 + reqwest by hand, the same request necid sends.
    let url = format!("{}/v1.1/face/extract", r.endpoint.trim_end_matches('/'));
    let body = bytes_body(&probe);
    let http = reqwest::Client::builder()
        .build()
        .map_err(|e| format!("reqwest: {e}"))?;
    let raw = Arc::new(RawSigner::new(&r.akid, &r.secret));
    let api_key = r.api_key.clone();

    let mut necid_rows = Vec::new();
    let mut raw_rows = Vec::new();
    for &n in &levels {
        let (c, img) = (client.clone(), image.clone());
        necid_rows.push(closed_loop(n, secs, move || {
            // (Moved in: edition-2024 return types capture the `&self` borrow.)
            let (c, img) = (c.clone(), img.clone());
            async move {
                let faces = c
                    .extract_faces(img, None)
                    .await
                    .map_err(|e| e.to_string())?;
                if faces.is_empty() {
                    return Err("no face".into());
                }
                Ok(())
            }
        })?);
        let (http, raw, url, body, key) = (
            http.clone(),
            raw.clone(),
            url.clone(),
            body.clone(),
            api_key.clone(),
        );
        raw_rows.push(closed_loop(n, secs, move || {
            let signed = raw.sign(
                "POST",
                &url,
                &[("content-type", "application/json"), ("x-api-key", &key)],
                &body,
                SystemTime::now(),
            );
            let req = http
                .post(url.as_str())
                .header("content-type", "application/json")
                .header("x-api-key", key.as_str())
                .body(body.clone());
            async move {
                let mut req = req;
                for (k, v) in signed? {
                    req = req.header(k, v);
                }
                let resp = req.send().await.map_err(|e| e.to_string())?;
                let status = resp.status();
                let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
                if !status.is_success() {
                    return Err(format!("{status}: {}", String::from_utf8_lossy(&bytes)));
                }
                Ok(())
            }
        })?);
    }
    // The blocking client (what C and the other sync bindings call), from plain threads.
    let blocking = necid::blocking::Client::from(client.clone());
    let mut blocking_rows = Vec::new();
    for &n in &levels {
        let (c, img) = (blocking.clone(), image.clone());
        blocking_rows.push(threaded_loop(n, secs, move || {
            let faces = c
                .extract_faces(img.clone(), None)
                .map_err(|e| e.to_string())?;
            if faces.is_empty() {
                return Err("no face".into());
            }
            Ok(())
        }));
    }
    Ok(json!({
        "lang": "rust",
        "body_bytes": body.len(),
        "e2e": {
            "necid async": necid_rows,
            "necid blocking (threads)": blocking_rows,
            "aws-sigv4+reqwest": raw_rows,
        },
    }))
}

/// requests/s, p50 and p99 (ms) of `inflight` threads each calling `one` in a loop.
fn threaded_loop<F>(inflight: usize, secs: f64, one: F) -> Value
where
    F: Fn() -> BenchResult<()> + Send + Sync + 'static,
{
    let one = Arc::new(one);
    for _ in 0..inflight {
        let _ = one();
    }
    let cpu0 = process_cpu_secs();
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let threads: Vec<_> = (0..inflight)
        .map(|_| {
            let one = one.clone();
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match one() {
                        Ok(()) => lat.push(t.elapsed().as_nanos() as u64),
                        Err(_) => errors += 1,
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in threads {
        if let Ok((lat, e)) = t.join() {
            all.extend(lat);
            errors += e;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = process_cpu_secs() - cpu0;
    summary(inflight, all, errors, elapsed, cpu)
}

/// The floor under a blocking call's latency: what handing work to the SDK runtime and
/// being woken with the result costs, without any I/O. ns per round trip, best of 3.
fn handoff(opts: &Opts) -> BenchResult<Value> {
    let secs = opts.f64_or("secs", 1.5)?;
    let rounds = 3;
    let budget = Duration::from_secs_f64(secs / f64::from(rounds));
    let rt = necid::runtime().map_err(|e| e.to_string())?;
    // (a) What a sync call adds: spawn onto the runtime from a plain thread, block for it.
    let mut spawn_join =
        || -> BenchResult<()> { rt.block_on(rt.spawn(async {})).map_err(|e| e.to_string()) };
    // (b) The same inside the runtime (what an async caller on the SDK runtime pays).
    let in_rt = |budget: Duration| -> BenchResult<f64> {
        rt.block_on(rt.spawn(async move {
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed() < budget {
                for _ in 0..64 {
                    let _ = tokio::spawn(async {}).await;
                }
                n += 64;
            }
            n as f64 / start.elapsed().as_secs_f64()
        }))
        .map_err(|e| e.to_string())
    };
    // (c) Two plain threads waking each other (park/unpark), one round trip per call.
    let ping_pong = |budget: Duration| -> f64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        let turn = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let main = std::thread::current();
        let (t2, s2) = (turn.clone(), stop.clone());
        let peer = std::thread::spawn(move || {
            let mut seen = 0;
            while !s2.load(Ordering::Acquire) {
                let v = t2.load(Ordering::Acquire);
                if v > seen && v % 2 == 1 {
                    seen = v + 1;
                    t2.store(seen, Ordering::Release);
                    main.unpark();
                } else {
                    std::thread::park_timeout(Duration::from_millis(10));
                }
            }
        });
        let peer_thread = peer.thread().clone();
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < budget {
            let want = 2 * n + 2;
            turn.store(2 * n + 1, Ordering::Release);
            peer_thread.unpark();
            while turn.load(Ordering::Acquire) < want {
                std::thread::park_timeout(Duration::from_millis(10));
            }
            n += 1;
        }
        let r = n as f64 / start.elapsed().as_secs_f64();
        stop.store(true, Ordering::Release);
        peer_thread.unpark();
        let _ = peer.join();
        r
    };
    let mut best = [0.0f64; 3];
    for _ in 0..rounds {
        best[0] = best[0].max(rate(budget, &mut spawn_join)?);
        best[1] = best[1].max(in_rt(budget)?);
        best[2] = best[2].max(ping_pong(budget));
    }
    Ok(json!({
        "lang": "rust",
        "call_future_bytes": call_future_bytes()?,
        "handoff_ns": {
            "spawn on the SDK runtime from a plain thread + block for it": 1e9 / best[0],
            "spawn + join inside the runtime": 1e9 / best[1],
            "park/unpark ping-pong between two plain threads": 1e9 / best[2],
        }
    }))
}

/// Bytes of the future one call is (what every in-flight call holds, and what each
/// binding's task moves): a plain client's and a view's with a deadline. Futures are
/// lazy, so nothing is sent.
fn call_future_bytes() -> BenchResult<Value> {
    let config = necid::Config::builder()
        .endpoint("http://127.0.0.1:9")
        .build()
        .map_err(|e| e.to_string())?;
    let client = necid::Client::new(config).map_err(|e| e.to_string())?;
    let view = client.with_options(necid::CallOptions::new().deadline(Duration::from_secs(5)));
    Ok(json!({
        "extract_faces": std::mem::size_of_val(&client.extract_faces(vec![0u8; 4], None)),
        "extract_faces on a view with a deadline":
            std::mem::size_of_val(&view.extract_faces(vec![0u8; 4], None)),
        "search": std::mem::size_of_val(&client.search(necid::SearchRequest::new(vec![0u8; 4]))),
        "list_tags": std::mem::size_of_val(&client.list_tags()),
    }))
}

/// `{"faces":"<base64>"}`, as necid sends it.
fn bytes_body(image: &[u8]) -> bytes::Bytes {
    let b64 = base64::engine::general_purpose::STANDARD.encode(image);
    bytes::Bytes::from(format!("{{\"faces\":\"{b64}\"}}"))
}

// ---------------------------------------------------------------------------------------
// memory

fn proc_status_kib(field: &str) -> BenchResult<u64> {
    let s = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

/// Peak RSS while `inflight` registrations of one ~5 MB image run at once. The image is
/// loaded (the caller's copy) before the baseline; the peak is read from VmHWM after
/// resetting it (`/proc/self/clear_refs` = 5), so what is reported is what the SDK adds.
fn rss(opts: &Opts) -> BenchResult<Value> {
    let r = ready(opts)?;
    let k = opts.f64_or("inflight", 1.0)? as usize;
    let path = opts.str("image")?;
    let image = necid::Image::from_path(path).map_err(|e| format!("{path}: {e}"))?;
    let client = necid_client(&r.endpoint, &r.akid, &r.secret, &r.api_key)?;
    let rt = necid::runtime().map_err(|e| e.to_string())?;
    // Warm up: runtime threads, connection pool, TLS-free HTTP stack.
    let probe = necid::Image::from(body_of(0));
    let _ = rt.block_on(client.extract_faces(probe, None));
    let base_kib = proc_status_kib("VmRSS:")?;
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let tags: Vec<String> = Vec::new();
    let futs: Vec<_> = (0..k)
        .map(|_| client.register_subject(image.clone(), &tags))
        .collect();
    let results = rt.block_on(futures_util::future::join_all(futs));
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(|e| e.to_string()))
        .collect();
    if let Some(e) = errors.first() {
        return Err(format!("register failed: {e}"));
    }
    let peak_kib = proc_status_kib("VmHWM:")?;
    let delta = peak_kib.saturating_sub(base_kib) * 1024;
    let per = delta as f64 / k as f64;
    Ok(json!({
        "lang": "rust",
        "rss": {
            "client": "necid async",
            "inflight": k,
            "image_bytes": image.len(),
            "baseline_rss": base_kib * 1024,
            "peak_rss": peak_kib * 1024,
            "peak_reset": reset,
            "bytes_per_inflight": per,
            "ratio_to_image": per / image.len() as f64,
        }
    }))
}

// ---------------------------------------------------------------------------------------
// face engine

fn engine(opts: &Opts) -> BenchResult<Value> {
    let quick = opts.flag("quick");
    let path = opts.str("photo")?;
    let photo = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let t = Instant::now();
    let eng = fe::FaceEngine::new().map_err(|e| e.to_string())?;
    let load_ms = t.elapsed().as_secs_f64() * 1e3;

    // extract: decode + detect + landmarks + descriptor, like the emulator's extract.
    let reps = if quick { 1 } else { 5 };
    let mut times = Vec::new();
    let mut faces = 0;
    for _ in 0..reps {
        let t = Instant::now();
        let f = eng
            .detect(&photo, fe::MAX_FACES)
            .map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        faces = f.len();
    }
    let (w, h) = image::load_from_memory(&photo)
        .map(|i| (i.width(), i.height()))
        .map_err(|e| e.to_string())?;

    let server_engine = necid_server::RealEngine::new().map_err(|e| e.to_string())?;
    let mut search = Vec::new();
    let sizes: &[usize] = if quick { &[10_000] } else { &[10_000, 100_000] };
    for &n in sizes {
        let mut rng = Rng(n as u64);
        let templates: Vec<[f32; fe::DESCRIPTOR_LEN]> = (0..n)
            .map(|_| std::array::from_fn(|_| (rng.unit() - 0.5) * 0.2))
            .collect();
        // The emulator stores templates as bytes ("FED1" + little-endian f32s) and its
        // search handler calls the engine's `compare` on each: measure exactly that.
        let stored: Vec<Vec<u8>> = templates.iter().map(to_template).collect();
        let mut probe = templates
            .first()
            .copied()
            .unwrap_or([0.0; fe::DESCRIPTOR_LEN]);
        probe
            .iter_mut()
            .for_each(|x| *x += (rng.unit() - 0.5) * 0.01);
        let probe_bytes = to_template(&probe);
        let reps = if quick { 2 } else { 20 };
        let f32_ms = median_ms(reps, || search_f32(&probe, &templates));
        let bytes_ms = median_ms(reps, || search_bytes(&server_engine, &probe_bytes, &stored));
        let old_ms = median_ms(reps, || search_bytes_sequential(&probe_bytes, &stored));
        let hits = search_f32(&probe, &templates);
        search.push(json!({
            "templates": n,
            "score_loop_ms": f32_ms,
            "server_format_ms": bytes_ms,
            "server_format_sequential_ms": old_ms,
            "hits": hits,
        }));
    }
    Ok(json!({
        "lang": "rust",
        "engine": {
            "load_ms": load_ms,
            "photo": format!("{w}x{h}"),
            "faces": faces,
            "extract_ms": median(&mut times),
            "extract_runs": reps,
            "search": search,
        }
    }))
}

fn to_template(d: &[f32; fe::DESCRIPTOR_LEN]) -> Vec<u8> {
    let mut out = b"FED1".to_vec();
    for x in d {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// Top-10 candidates at or above the default threshold.
fn top(mut hits: Vec<(usize, u32)>) -> usize {
    hits.sort_unstable_by_key(|h| std::cmp::Reverse(h.1));
    hits.truncate(10);
    hits.len()
}

fn search_f32(probe: &[f32; fe::DESCRIPTOR_LEN], all: &[[f32; fe::DESCRIPTOR_LEN]]) -> usize {
    let hits = all
        .iter()
        .enumerate()
        .map(|(i, t)| (i, fe::score(probe, t)))
        .filter(|(_, s)| *s >= fe::DEFAULT_THRESHOLD)
        .collect();
    top(hits)
}

/// The emulator's search loop: the engine's scorer for the probe (0..=9999, what
/// `FaceEngine::compare` gives) on every stored template.
fn search_bytes(engine: &necid_server::RealEngine, probe: &[u8], all: &[Vec<u8>]) -> usize {
    use necid_server::FaceEngine as _;
    let score = engine.scorer(probe);
    let hits = all
        .iter()
        .enumerate()
        .map(|(i, t)| (i, score(t)))
        .filter(|(_, s)| *s >= fe::DEFAULT_THRESHOLD)
        .collect();
    top(hits)
}

/// The emulator's compare before 2026-12-06 (one sequential sum over the stored bytes),
/// kept here to measure the change in the same run.
fn search_bytes_sequential(probe: &[u8], all: &[Vec<u8>]) -> usize {
    let cmp = |a: &[u8], b: &[u8]| -> u32 {
        let (Some(a), Some(b)) = (a.strip_prefix(b"FED1"), b.strip_prefix(b"FED1")) else {
            return 0;
        };
        let mut sum = 0f32;
        for (x, y) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
            let d = f32::from_le_bytes([x[0], x[1], x[2], x[3]])
                - f32::from_le_bytes([y[0], y[1], y[2], y[3]]);
            sum += d * d;
        }
        fe::score_from_distance(sum.sqrt())
    };
    let hits = all
        .iter()
        .enumerate()
        .map(|(i, t)| (i, cmp(probe, t)))
        .filter(|(_, s)| *s >= fe::DEFAULT_THRESHOLD)
        .collect();
    top(hits)
}

fn median_ms(reps: usize, mut f: impl FnMut() -> usize) -> f64 {
    let mut v: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    median(&mut v)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
