//! Test harness: starts an emulator on a free loopback port and talks to it over real
//! HTTP with requests signed by the `aws-sigv4` crate (an implementation independent of
//! the server's verifier).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod bombs;

use std::io::Cursor;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine as _;
use necid_server::{
    DEV_ACCESS_KEY_ID, DEV_API_KEY, DEV_SECRET_ACCESS_KEY, RunningServer, ServerConfig,
};
use serde_json::Value;

pub const REGION: &str = "ap-southeast-2";
pub const SERVICE: &str = "execute-api";

/// A running emulator plus an HTTP client.
pub struct Harness {
    pub server: RunningServer,
    pub http: reqwest::Client,
}

impl Harness {
    pub async fn start() -> Harness {
        Self::with_config(ServerConfig {
            engine: necid_server::EngineChoice::Deterministic,
            ..ServerConfig::default()
        })
        .await
    }

    pub async fn with_config(cfg: ServerConfig) -> Harness {
        let server = necid_server::start(cfg).await.expect("server starts");
        Harness {
            server,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
        }
    }

    pub fn endpoint(&self) -> String {
        self.server.endpoint()
    }

    /// A request signed with the dev credentials and carrying the dev API key.
    pub fn req(&self, method: &str, path: &str) -> Req {
        Req::new(method, &format!("{}{}", self.endpoint(), path)).api_key(DEV_API_KEY)
    }

    /// A tenant-API request (no API key).
    pub fn tenant(&self, method: &str, path: &str) -> Req {
        Req::new(method, &format!("{}{}", self.endpoint(), path))
    }

    pub async fn send(&self, req: Req) -> Resp {
        req.send(&self.http).await
    }

    /// An admin-API call (`/_admin/v1` + `path`) with the server's admin token.
    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{}", self.server.admin_endpoint(), path);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut b = self
            .http
            .request(method, &url)
            .bearer_auth(self.server.admin_token());
        if let Some(v) = body {
            b = b
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&v).expect("json"));
        }
        let resp = b.send().await.expect("admin request sent");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.expect("admin body");
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("admin answers JSON")
        };
        (status, json)
    }
}

/// A request under construction: signed at `send` unless `presigned` was set.
#[derive(Clone)]
pub struct Req {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    pub time: SystemTime,
    pub sign: bool,
}

impl Req {
    pub fn new(method: &str, url: &str) -> Req {
        Req {
            method: method.to_owned(),
            url: url.to_owned(),
            headers: vec![("accept".into(), "application/json".into())],
            body: Vec::new(),
            access_key: DEV_ACCESS_KEY_ID.to_owned(),
            secret_key: DEV_SECRET_ACCESS_KEY.to_owned(),
            region: REGION.to_owned(),
            time: SystemTime::now(),
            sign: true,
        }
    }

    pub fn api_key(mut self, key: &str) -> Req {
        self.headers.retain(|(n, _)| n != "x-api-key");
        self.headers.push(("x-api-key".into(), key.to_owned()));
        self
    }

    pub fn no_api_key(mut self) -> Req {
        self.headers.retain(|(n, _)| n != "x-api-key");
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn json(mut self, v: &Value) -> Req {
        self.body = serde_json::to_vec(v).expect("json");
        self.headers
            .push(("content-type".into(), "application/json".into()));
        self
    }

    pub fn raw_body(mut self, body: Vec<u8>) -> Req {
        self.body = body;
        self.headers
            .push(("content-type".into(), "application/json".into()));
        self
    }

    pub fn keys(mut self, ak: &str, sk: &str) -> Req {
        self.access_key = ak.to_owned();
        self.secret_key = sk.to_owned();
        self
    }

    pub fn at(mut self, t: SystemTime) -> Req {
        self.time = t;
        self
    }

    pub fn unsigned(mut self) -> Req {
        self.sign = false;
        self
    }

    /// Signs with aws-sigv4 and returns the request with the signing headers added
    /// (and `sign` cleared, so it can be tampered with and sent as is).
    pub fn signed(mut self) -> Req {
        let identity: Identity =
            Credentials::new(&self.access_key, &self.secret_key, None, None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(SERVICE)
            .time(self.time)
            .settings(SigningSettings::default())
            .build()
            .expect("params")
            .into();
        let signable = SignableRequest::new(
            &self.method,
            self.url.as_str(),
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(&self.body),
        )
        .expect("signable");
        let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
        let added: Vec<(String, String)> = instructions
            .headers()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        self.headers.extend(added);
        self.sign = false;
        self
    }

    pub async fn send(self, http: &reqwest::Client) -> Resp {
        let req = if self.sign { self.signed() } else { self };
        let method = reqwest::Method::from_bytes(req.method.as_bytes()).expect("method");
        let mut b = http.request(method, &req.url);
        for (n, v) in &req.headers {
            b = b.header(n.as_str(), v.as_str());
        }
        let resp = b.body(req.body.clone()).send().await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "non-JSON body (status {status}): {e}: {:?}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Resp {
            status,
            headers,
            json,
        }
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

impl Resp {
    pub fn message(&self) -> &str {
        self.json["message"].as_str().unwrap_or("")
    }
    pub fn error_type(&self) -> &str {
        self.json["errorType"].as_str().unwrap_or("")
    }
    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(
            self.status, status,
            "unexpected status, body: {}",
            self.json
        );
        self
    }
    #[track_caller]
    pub fn expect_error(self, status: u16, error_type: &str, code: i64) -> Resp {
        assert_eq!(
            self.status, status,
            "unexpected status, body: {}",
            self.json
        );
        assert_eq!(self.json["errorType"], error_type, "body: {}", self.json);
        assert_eq!(self.json["errorCode"], code, "body: {}", self.json);
        assert!(self.json["message"].is_string(), "body: {}", self.json);
        self
    }
}

/// A deterministic test picture: a smooth random field from `seed`, `w`×`h`, as PNG.
/// Different seeds give unrelated pictures; the same seed at another size or encoding
/// gives "nearly the same" picture.
pub fn picture(seed: u64, w: u32, h: u32) -> Vec<u8> {
    encode(&picture_image(seed, w, h), image::ImageFormat::Png)
}

pub fn picture_image(seed: u64, w: u32, h: u32) -> image::RgbImage {
    const G: usize = 5;
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 256) as f32
    };
    let grid: Vec<[f32; 3]> = (0..G * G).map(|_| [next(), next(), next()]).collect();
    image::RgbImage::from_fn(w, h, |x, y| {
        let fx = x as f32 / w.max(2) as f32 * (G - 1) as f32;
        let fy = y as f32 / h.max(2) as f32 * (G - 1) as f32;
        let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(G - 1), (y0 + 1).min(G - 1));
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let px = |gx: usize, gy: usize, c: usize| grid[gy * G + gx][c];
        let mut out = [0u8; 3];
        for (c, o) in out.iter_mut().enumerate() {
            let top = px(x0, y0, c) * (1.0 - tx) + px(x1, y0, c) * tx;
            let bot = px(x0, y1, c) * (1.0 - tx) + px(x1, y1, c) * tx;
            *o = (top * (1.0 - ty) + bot * ty) as u8;
        }
        image::Rgb(out)
    })
}

/// A strip of `n` different square pictures side by side: `n` "faces" for the
/// deterministic engine.
pub fn strip(seed: u64, n: u32, side: u32) -> Vec<u8> {
    let mut img = image::RgbImage::new(side * n, side);
    for i in 0..n {
        let tile = picture_image(seed + u64::from(i) * 1000, side, side);
        image::imageops::replace(&mut img, &tile, i64::from(i * side), 0);
    }
    encode(&img, image::ImageFormat::Png)
}

pub fn encode(img: &image::RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    img.write_to(&mut buf, format).expect("encode");
    buf.into_inner()
}

/// The same picture re-encoded as JPEG at another size.
pub fn near_copy(seed: u64, w: u32, h: u32) -> Vec<u8> {
    encode(&picture_image(seed, w, h), image::ImageFormat::Jpeg)
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Polls a bulk batch until no record is `New` (bounded; each poll is a real request).
pub async fn wait_for_batch(h: &Harness, api_key: &str, batch: &str) -> Vec<Value> {
    for _ in 0..600 {
        let mut all = Vec::new();
        let mut key = String::new();
        loop {
            let path = if key.is_empty() {
                format!("/v1.1/jobs/bulkregister/{batch}")
            } else {
                format!("/v1.1/jobs/bulkregister/{batch}/{key}")
            };
            let r = h
                .send(h.req("GET", &path).api_key(api_key))
                .await
                .expect(200);
            all.extend(r.json["processed"].as_array().cloned().unwrap_or_default());
            key = r.json["lastEvaluatedKey"].as_str().unwrap_or("").to_owned();
            if key.is_empty() {
                break;
            }
        }
        if all.iter().all(|r| r["status"] == "Processed") {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("batch {batch} did not finish");
}
