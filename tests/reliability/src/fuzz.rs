//! The fuzz targets' bodies, shared by the cargo-fuzz targets in `fuzz/` (libFuzzer,
//! coverage-guided, nightly: `make fuzz`) and the stable smoke harness
//! (`tests/fuzz_smoke.rs`: seeds plus deterministic random mutations, in the test command).
//!
//! Every target takes arbitrary bytes and must neither panic nor allocate without bound;
//! results are ignored (errors are the expected outcome for most inputs).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use necid::models::*;
use necid_server::sigv4;

/// Response parsing of every public model type (the core decodes responses with serde
/// into these types; it has no other public parse entry point).
pub fn models_json(data: &[u8]) {
    fn parse<T: serde::de::DeserializeOwned>(data: &[u8]) {
        let _ = serde_json::from_slice::<T>(data);
    }
    parse::<RegisteredFace>(data);
    parse::<SubjectEntry>(data);
    parse::<SubjectPage>(data);
    parse::<Event>(data);
    parse::<EventList>(data);
    parse::<Candidate>(data);
    parse::<SearchResult>(data);
    parse::<Verification>(data);
    parse::<FaceVerification>(data);
    parse::<FaceAttributes>(data);
    parse::<Vec<FaceAttributes>>(data);
    parse::<Tag>(data);
    parse::<Vec<Tag>>(data);
    parse::<BulkRegistration>(data);
    parse::<JobStatus>(data);
    parse::<BulkProgressPage>(data);
    parse::<Health>(data);
    parse::<Application>(data);
    parse::<Vec<Application>>(data);
    parse::<Gallery>(data);
    parse::<Vec<Gallery>>(data);
    parse::<GalleryDetails>(data);
    parse::<NewGallery>(data);
    parse::<GalleryUpdate>(data);
    parse::<NewApplication>(data);
    parse::<ApplicationUpdate>(data);
}

/// The response headers the core interprets (`Retry-After`, `Date` for clock skew,
/// request ids): the input is split into header lines.
pub fn response_headers(data: &[u8]) {
    let mut headers = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        let mut parts = line.splitn(2, |b| *b == b':');
        let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            headers.append(n, v);
        }
    }
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let _ = necid::transport::retry_after(&headers, now);
    let _ = necid::transport::skew_from_date(&headers, now);
    let _ = necid::transport::request_id(&headers);
}

/// The emulator's `Authorization` header parsing and the SigV4 verifier on arbitrary
/// headers, path and query (everything before the handlers run).
pub fn authorization(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = sigv4::parse_authorization(&text);
    let _ = sigv4::canonical_uri(&text);
    let _ = sigv4::canonical_query(&text);

    // Lines: path, query, then headers ("name: value").
    let mut lines = text.split('\n');
    let path = lines.next().unwrap_or("/");
    let query = lines.next();
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Some((n, v)) = line.split_once(':')
            && let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(n.trim().as_bytes()),
                HeaderValue::from_str(v.trim()),
            )
        {
            headers.append(n, v);
        }
    }
    let req = sigv4::IncomingRequest {
        method: &Method::POST,
        raw_path: path,
        raw_query: query,
        headers: &headers,
        authority: None,
        body: data,
    };
    let opts = sigv4::VerifyOptions {
        region: None,
        service: None,
        now: time_now(),
        max_skew_secs: 300,
    };
    let _ = sigv4::verify(&req, |_| Some("secret".to_owned()), &opts);
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_800_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Image decoding in the face engines: the emulator's deterministic engine and the real
/// face engine's decoder + detector (`locate`).
pub fn image_decode(data: &[u8]) {
    use necid_server::FaceEngine as _;
    static REAL: OnceLock<Option<necid_face_engine::FaceEngine>> = OnceLock::new();
    let _ = necid_server::DeterministicEngine::new().detect(data);
    if let Some(engine) = REAL.get_or_init(|| necid_face_engine::FaceEngine::new().ok()) {
        let _ = engine.locate(data);
    }
}

/// One in-process emulator (deterministic engine, in memory) for the request target,
/// on its own runtime thread.
fn emulator() -> Option<(SocketAddr, necid_server::DevCredentials)> {
    static EMU: OnceLock<Option<(SocketAddr, necid_server::DevCredentials)>> = OnceLock::new();
    EMU.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let config = necid_server::ServerConfig {
                    engine: necid_server::EngineChoice::Deterministic,
                    ..necid_server::ServerConfig::default()
                };
                match necid_server::start(config).await {
                    Ok(server) => {
                        let _ = tx.send(Some((server.addr(), server.credentials().clone())));
                        // Serve for the life of the process.
                        std::future::pending::<()>().await;
                    }
                    Err(_) => {
                        let _ = tx.send(None);
                    }
                }
            });
        });
        rx.recv().ok().flatten()
    })
    .clone()
}

/// Paths of the emulator's routes (with ids that may or may not exist).
const ROUTES: &[&str] = &[
    "/v1.1/subjects",
    "/v1.1/subjects/s1",
    "/v1.1/subjects/s1/events",
    "/v1.1/subjects/s1/events/e1",
    "/v1.1/face/extract",
    "/v1.1/face/search",
    "/v1.1/face/verify",
    "/v1.1/tags",
    "/v1.1/tags/t1",
    "/v1.1/bulk/register",
    "/v1.1/bulk/register/b1",
    "/v1.1/health",
    "/api/galleries",
    "/api/galleries/default",
    "/api/applications",
];

/// The emulator's request parsing: the first byte picks raw mode (the rest is sent as is:
/// request line, headers, framing) or signed mode (method and route from the next bytes,
/// the rest a body signed with the dev credentials, so it reaches the JSON parsing of the
/// handlers). Each input is one connection to an in-process emulator.
pub fn emulator_request(data: &[u8]) {
    let Some((addr, creds)) = emulator() else {
        return;
    };
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let payload = if mode & 1 == 0 {
        rest.to_vec()
    } else {
        signed_request(addr, &creds, rest)
    };
    let Ok(mut s) = TcpStream::connect(addr) else {
        return;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
    let _ = s.write_all(&payload);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut sink = Vec::new();
    let _ = s.take(1 << 20).read_to_end(&mut sink);
}

fn signed_request(addr: SocketAddr, creds: &necid_server::DevCredentials, data: &[u8]) -> Vec<u8> {
    const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
    let (m, r, body) = match data {
        [m, r, body @ ..] => (*m, *r, body),
        _ => (0, 0, &[][..]),
    };
    let method = METHODS
        .get(usize::from(m) % METHODS.len())
        .unwrap_or(&"GET");
    let path = ROUTES.get(usize::from(r) % ROUTES.len()).unwrap_or(&"/");
    let host = addr.to_string();
    let url = format!("http://{host}{path}");
    let signer = necid::signing::Signer::new(
        &creds.access_key_id,
        &necid::Secret::new(creds.secret_access_key.clone()),
        None,
        necid_server::REGION,
        necid_server::SERVICE,
    );
    let headers = [
        ("x-api-key", creds.api_key.as_str()),
        ("content-type", "application/json"),
    ];
    let signed = signer
        .sign(
            method,
            &url,
            &headers,
            &necid::signing::sha256_hex(body),
            SystemTime::now(),
        )
        .unwrap_or_default();
    let mut out = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers
        .iter()
        .map(|(k, v)| (*k, *v))
        .chain(signed.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Every target by name (the smoke harness and `fuzz/` use the same names).
/// A target's entry point.
pub type Target = fn(&[u8]);

pub const TARGETS: &[(&str, Target)] = &[
    ("models_json", models_json),
    ("response_headers", response_headers),
    ("authorization", authorization),
    ("image_decode", image_decode),
    ("emulator_request", emulator_request),
];
