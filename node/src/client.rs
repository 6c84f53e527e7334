//! The `Client` class and the paginator classes.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use napi::bindgen_prelude::{Either, Object, Uint8Array, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsValue as _, Status};
use napi_derive::napi;

use crate::call::{CallOptions, Prepared, WithMetadata};
use crate::models::*;
use crate::{Rejection, guard, spawn_promise, to_js_error};

/// What a credentials provider returns.
#[napi(object)]
pub struct Credentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token of temporary credentials.
    pub session_token: Option<String>,
    /// When they expire, ms since the Unix epoch (absent: never).
    pub expiration: Option<f64>,
}

/// Weak (unref'd): a provider never keeps the event loop alive on its own.
pub type CredentialsFn = ThreadsafeFunction<
    (),
    Either<napi::bindgen_prelude::Promise<Credentials>, Credentials>,
    (),
    Status,
    false,
    true,
>;

/// The JS function as the core's provider.
struct JsProvider(CredentialsFn);

impl necid::ProvideCredentials for JsProvider {
    fn provide_credentials(&self) -> necid::credentials::CredentialsFuture<'_> {
        Box::pin(async move {
            let fail = |what: String| {
                necid::Error::new(
                    necid::ErrorKind::Auth,
                    format!("credentialsProvider {what}"),
                )
            };
            let returned = self
                .0
                .call_async_catch(())
                .await
                .map_err(|e| fail(format!("threw: {}", e.reason)))?;
            let c = match returned {
                Either::A(promise) => promise
                    .await
                    .map_err(|e| fail(format!("rejected: {}", e.reason)))?,
                Either::B(c) => c,
            };
            let mut out = necid::Credentials::new(c.access_key_id, c.secret_access_key);
            if let Some(t) = c.session_token {
                out = out.session_token(t);
            }
            if let Some(ms) = c.expiration {
                let at = Duration::try_from_secs_f64(ms.max(0.0) / 1000.0)
                    .map_err(|_| fail("returned an expiration out of range".to_owned()))?;
                out = out.expires_at(Some(SystemTime::UNIX_EPOCH + at));
            }
            Ok(out)
        })
    }
}

pub(crate) fn millis(field: &str, ms: f64) -> necid::Result<Duration> {
    if (0.0..=1e12).contains(&ms) {
        Ok(Duration::from_secs_f64(ms / 1000.0))
    } else {
        Err(necid::Error::invalid_input(
            field,
            "must be a non-negative number of milliseconds",
        ))
    }
}

/// `new Client(options)` onto the core's settings table (`necid::CONFIG_KEYS`): each setting
/// is read from the option of its camelCase name (durations `…Ms`, in milliseconds) and
/// forwarded to `ConfigBuilder::set`. The TypeScript `ClientOptions` is rendered from the
/// same table (dts-header.d.ts). Every option's JS type is checked before any value is used.
fn build_config(env: &Env, options: Option<Object>) -> napi::Result<necid::Config> {
    use necid::ConfigType;
    let core = |e: necid::Error| to_js_error(env, &e);
    let mut b = necid::Config::builder();
    let Some(o) = options else {
        return b.build().map_err(core);
    };
    let mut given = Vec::new();
    for key in necid::CONFIG_KEYS {
        let ms = key.ty == ConfigType::Duration;
        let prop = necid::config::camel_case(key.name) + if ms { "Ms" } else { "" };
        let value = match key.ty {
            ConfigType::Duration | ConfigType::Count => {
                o.get::<Option<_>>(&prop)?.flatten().map(Given::Number)
            }
            ConfigType::Pem => o.get::<Option<_>>(&prop)?.flatten().map(Given::Pem),
            _ => o.get::<Option<_>>(&prop)?.flatten().map(Given::Text),
        };
        given.extend(value.map(|v| (key, prop, v)));
    }
    let provider = o
        .get::<Option<CredentialsFn>>("credentialsProvider")?
        .flatten();
    for (key, prop, value) in given {
        let value = match value {
            Given::Number(ms) if key.ty == ConfigType::Duration => {
                necid::ConfigValue::Duration(millis(&prop, ms).map_err(core)?)
            }
            Given::Number(n) => {
                necid::ConfigValue::Count(whole(&prop, Some(n)).map_err(core)?.unwrap_or_default())
            }
            Given::Text(text) | Given::Pem(Either::A(text)) => necid::ConfigValue::Text(text),
            Given::Pem(Either::B(bytes)) => necid::ConfigValue::Bytes(bytes.to_vec()),
        };
        b = b.set(key.name, value).map_err(core)?;
    }
    if let Some(f) = provider {
        b = b.credentials_provider(Arc::new(JsProvider(f)));
    }
    b.build().map_err(core)
}

/// An option's value as JS gave it (its JS type checked).
enum Given {
    Number(f64),
    Text(String),
    /// PEM text or bytes.
    Pem(Either<String, Uint8Array>),
}

/// An image argument: bytes copied on the JS thread (the caller may reuse its buffer at
/// once) into a buffer with room for the request body, which the core then builds in place
/// (one copy of the image in all: `necid::Image::from(&[u8])`), or a path read on the SDK's
/// blocking pool (the event loop never waits for disk).
enum ImageArg {
    Bytes(necid::Image),
    Path(String),
}

type JsImage = Either<Uint8Array, String>;

impl From<JsImage> for ImageArg {
    fn from(v: JsImage) -> Self {
        match v {
            Either::A(bytes) => ImageArg::Bytes(necid::Image::from(&bytes[..])),
            Either::B(path) => ImageArg::Path(path),
        }
    }
}

impl ImageArg {
    async fn load(self) -> necid::Result<necid::Image> {
        match self {
            ImageArg::Bytes(image) => Ok(image),
            ImageArg::Path(p) => tokio::task::spawn_blocking(move || necid::Image::from_path(p))
                .await
                .map_err(|e| {
                    necid::Error::invalid_input("image", format!("reading the file failed: {e}"))
                })?,
        }
    }
}

/// Options of `waitForBulkRegister`.
#[napi(object, object_to_js = false)]
pub struct WaitOptions {
    /// First delay between polls, ms (default 1000).
    pub poll_interval_ms: Option<f64>,
    /// Polling backs off ×1.5 up to this, ms (default 15000).
    pub max_poll_interval_ms: Option<f64>,
    /// Give up with a `TimedOutError` after this long, ms (default 30 minutes).
    pub timeout_ms: Option<f64>,
    /// Called on the JS thread after every poll with all records so far. It does not keep
    /// the process alive by itself, and every call has run before the Promise settles.
    /// If it throws, waiting stops and the Promise rejects with what it threw.
    #[napi(ts_type = "(progress: BulkProgress) => void")]
    pub on_progress: Option<ProgressFn>,
}

/// Weak (unref'd) threadsafe function: it never keeps the event loop alive on its own.
pub type ProgressFn =
    ThreadsafeFunction<BulkProgress, Unknown<'static>, BulkProgress, Status, false, true>;

/// Headers as JS gives them: `[name, value]` pairs or an object.
pub(crate) type JsHeaders = Either<Vec<Vec<String>>, std::collections::HashMap<String, String>>;

/// Options of `signRequest`.
#[napi(object)]
pub struct SignRequest {
    /// HTTP method, e.g. `"GET"`.
    pub method: String,
    /// Absolute URL, percent-encoded as it will be sent.
    pub url: String,
    /// Headers to sign (all of them are signed): an object, or `[name, value]` pairs
    /// (which may repeat a name).
    #[napi(ts_type = "Record<string, string> | Array<[string, string]>")]
    pub headers: Option<JsHeaders>,
    /// Exact body bytes (a string is taken as UTF-8). Default: empty.
    #[napi(ts_type = "Buffer | Uint8Array | string")]
    pub body: Option<Either<Uint8Array, String>>,
    /// Signing time (a `Date` or epoch milliseconds). Default: now, corrected by the
    /// clock offset learnt from the service.
    #[napi(ts_type = "Date | number")]
    pub time: Option<Unknown<'static>>,
}

/// A client of the NEC ID service. Cheap to share: one client serves any number of
/// concurrent calls over one connection pool. Every operation returns a Promise; the
/// event loop never waits for the network. Constructing one builds its TLS and HTTP
/// setup (milliseconds), so create one and reuse it.
#[napi]
pub struct Client {
    inner: necid::Client,
    /// A `withMetadata` view's slot: every call of the view records into it.
    capture: Option<necid::MetadataSlot>,
}

impl Client {
    /// Where a call records its metadata: the view's slot, or a fresh one.
    fn call_slot(&self) -> necid::MetadataSlot {
        self.capture.clone().unwrap_or_default()
    }
}

/// Expands the core's operation table into `Client`'s `#[napi] impl` block: the
/// hand-written methods (`[…]`, first), then a method per other operation. A method takes
/// the arguments as JS gives them (camelCase by napi; an image as bytes or a path, tags
/// optional, numbers checked as whole), converts them inside the Promise (a bad value
/// rejects), calls the core and converts the result (`ts_return_type` from `@ts`). An
/// argument or result type without a rule here does not compile: add one.
macro_rules! node_client {
    ([$($hand:tt)*] $($entries:tt)*) => {
        node_client!(@munch [$($hand)*] [] [] $($entries)*);
    };
    // Operations whose JS shape is special are among the hand-written methods.
    (@munch $hand:tt $m:tt [$($names:ident)*] $(#[doc = $doc:literal])*
        $a:ident fn search $args:tt -> $ret:tt = $route:tt ; $($rest:tt)*) => {
        node_client!(@munch $hand $m [$($names)* search] $($rest)*);
    };
    (@munch $hand:tt $m:tt [$($names:ident)*] $(#[doc = $doc:literal])*
        $a:ident fn wait_for_bulk_register $args:tt -> $ret:tt = $route:tt ; $($rest:tt)*) => {
        node_client!(@munch $hand $m [$($names)* wait_for_bulk_register] $($rest)*);
    };
    (@munch $hand:tt $m:tt [$($names:ident)*] $(#[doc = $doc:literal])*
        $a:ident fn sign_request $args:tt -> $ret:tt = $route:tt ; $($rest:tt)*) => {
        node_client!(@munch $hand $m [$($names)* sign_request] $($rest)*);
    };
    (@munch $hand:tt $m:tt [$($names:ident)*] $(#[doc = $doc:literal])*
        async fn $name:ident (
            $( $arg:ident : [$($ty:tt)*]
               $( { $( $field:ident : [$($fty:tt)*] $(= $fdefault:literal)? ),* } )?
               $( = $default:literal )?
            ),*
        ) -> [$($ret:tt)*] = $route:tt ; $($rest:tt)*) => {
        node_client!(@args [$hand $m [$($names)* $name] [$($rest)*]]
            [[$(#[doc = $doc])*] $name [$($ret)*] [] [] [] []]
            $( $arg : [$($ty)*] $( = $default )? ),*);
    };
    // Every entry done: the impl block, and a check that every operation is a method.
    (@munch [$($hand:tt)*] [$($m:tt)*] [$($names:ident)*]) => {
        #[napi]
        impl Client {
            $($hand)*
            $($m)*
        }
        const _: () = { $(let _ = Client::$names;)* };
    };

    // Arguments, one at a time, into [params] [before the Promise] [inside it] [call args].
    (@args $k:tt [$d:tt $n:ident $r:tt [$($p:tt)*] [$($b:tt)*] [$($i:tt)*] [$($c:tt)*]]
        $arg:ident : [&str] $(, $($rest:tt)*)?) => {
        node_client!(@args $k [$d $n $r [$($p)* $arg: String,] [$($b)*] [$($i)*] [$($c)* &$arg,]]
            $($($rest)*)?);
    };
    (@args $k:tt [$d:tt $n:ident $r:tt [$($p:tt)*] [$($b:tt)*] [$($i:tt)*] [$($c:tt)*]]
        $arg:ident : [Option<&str>] $(, $($rest:tt)*)?) => {
        node_client!(@args $k [$d $n $r [$($p)* $arg: Option<String>,] [$($b)*] [$($i)*]
            [$($c)* $arg.as_deref(),]] $($($rest)*)?);
    };
    (@args $k:tt [$d:tt $n:ident $r:tt [$($p:tt)*] [$($b:tt)*] [$($i:tt)*] [$($c:tt)*]]
        $arg:ident : [u32] = $default:literal $(, $($rest:tt)*)?) => {
        node_client!(@args $k [$d $n $r [$($p)* $arg: Option<f64>,] [$($b)*]
            [$($i)* let $arg = whole(stringify!($arg), $arg)?.unwrap_or($default);]
            [$($c)* $arg,]] $($($rest)*)?);
    };
    (@args $k:tt [$d:tt $n:ident $r:tt [$($p:tt)*] [$($b:tt)*] [$($i:tt)*] [$($c:tt)*]]
        $arg:ident : [Option<u32>] $(, $($rest:tt)*)?) => {
        node_client!(@args $k [$d $n $r [$($p)* $arg: Option<f64>,] [$($b)*]
            [$($i)* let $arg = whole(stringify!($arg), $arg)?;] [$($c)* $arg,]] $($($rest)*)?);
    };
    (@args $k:tt [$d:tt $n:ident $r:tt [$($p:tt)*] [$($b:tt)*] [$($i:tt)*] [$($c:tt)*]]
        $arg:ident : [SortDirection] = $default:literal $(, $($rest:tt)*)?) => {
        node_client!(@args $k [$d $n $r [$($p)* $arg: Option<SortDirection>,] [$($b)*]
            [$($i)* let $arg = match $arg {
                Some(v) => v.into(),
                None => $default.parse::<necid::SortDirection>()?,
            };]
            [$($c)* $arg,]] $($($rest)*)?);
    };
    (@args $k:tt [$d:tt $n:ident $r:tt [$($p:tt)*] [$($b:tt)*] [$($i:tt)*] [$($c:tt)*]]
        $arg:ident : [impl Into<Image>] $(, $($rest:tt)*)?) => {
        node_client!(@args $k [$d $n $r [$($p)* #[napi(ts_arg_type = "ImageInput")] $arg: JsImage,]
            [$($b)* let $arg = ImageArg::from($arg);] [$($i)* let $arg = $arg.load().await?;]
            [$($c)* $arg,]] $($($rest)*)?);
    };
    (@args $k:tt [$d:tt $n:ident $r:tt [$($p:tt)*] [$($b:tt)*] [$($i:tt)*] [$($c:tt)*]]
        $arg:ident : [Option<Image>] $(, $($rest:tt)*)?) => {
        node_client!(@args $k [$d $n $r
            [$($p)* #[napi(ts_arg_type = "ImageInput | null")] $arg: Option<JsImage>,]
            [$($b)* let $arg = $arg.map(ImageArg::from);]
            [$($i)* let $arg = match $arg {
                Some(a) => Some(a.load().await?),
                None => None,
            };]
            [$($c)* $arg,]] $($($rest)*)?);
    };
    // Tags that may be absent: undefined/null (not sent) vs an array (an empty one clears).
    (@args $k:tt [$d:tt $n:ident $r:tt [$($p:tt)*] [$($b:tt)*] [$($i:tt)*] [$($c:tt)*]]
        $arg:ident : [Option<&[String]>] $(, $($rest:tt)*)?) => {
        node_client!(@args $k [$d $n $r [$($p)* $arg: Option<Vec<String>>,] [$($b)*] [$($i)*]
            [$($c)* $arg.as_deref(),]] $($($rest)*)?);
    };
    (@args $k:tt [$d:tt $n:ident $r:tt [$($p:tt)*] [$($b:tt)*] [$($i:tt)*] [$($c:tt)*]]
        $arg:ident : [&[String]] $(, $($rest:tt)*)?) => {
        node_client!(@args $k [$d $n $r [$($p)* $arg: Option<Vec<String>>,] [$($b)*]
            [$($i)* let $arg = $arg.unwrap_or_default();] [$($c)* &$arg,]] $($($rest)*)?);
    };
    (@args $k:tt [$d:tt $n:ident $r:tt [$($p:tt)*] [$($b:tt)*] [$($i:tt)*] [$($c:tt)*]]
        $arg:ident : [&[BulkRegistration]] $(, $($rest:tt)*)?) => {
        node_client!(@args $k [$d $n $r [$($p)* $arg: Vec<BulkRegistration>,]
            [$($b)*] [$($i)* let $arg = $arg.into_iter().map(BulkRegistration::into_core)
                .collect::<necid::Result<Vec<_>>>()?;] [$($c)* &$arg,]] $($($rest)*)?);
    };
    // A struct argument: the JS object of the same name (`models.rs`), converted.
    (@args $k:tt [$d:tt $n:ident $r:tt [$($p:tt)*] [$($b:tt)*] [$($i:tt)*] [$($c:tt)*]]
        $arg:ident : [$object:ident] $(, $($rest:tt)*)?) => {
        node_client!(@args $k [$d $n $r [$($p)* $arg: $object,] [$($b)*]
            [$($i)* let $arg = $arg.into_core()?;] [$($c)* $arg,]] $($($rest)*)?);
    };

    // All arguments done: the method (its TypeScript result type from `@ts`).
    (@args $k:tt [$d:tt $n:ident [$($r:tt)*] $p:tt $b:tt $i:tt $c:tt]) => {
        node_client!(@ts [$($r)*] $k [$d $n [$($r)*] $p $b $i $c]);
    };
    (@ts [()] $($x:tt)*) => { node_client!(@method "Promise<void>" $($x)*); };
    (@ts [String] $($x:tt)*) => { node_client!(@method "Promise<string>" $($x)*); };
    (@ts [SubjectPage] $($x:tt)*) => { node_client!(@method "Promise<SubjectPage & WithMetadata>" $($x)*); };
    (@ts [RegisteredFace] $($x:tt)*) => { node_client!(@method "Promise<RegisteredFace & WithMetadata>" $($x)*); };
    (@ts [EventList] $($x:tt)*) => { node_client!(@method "Promise<EventList & WithMetadata>" $($x)*); };
    (@ts [Vec<FaceAttributes>] $($x:tt)*) => { node_client!(@method "Promise<FaceAttributes[] & WithMetadata>" $($x)*); };
    (@ts [Verification] $($x:tt)*) => { node_client!(@method "Promise<Verification & WithMetadata>" $($x)*); };
    (@ts [FaceVerification] $($x:tt)*) => { node_client!(@method "Promise<FaceVerification & WithMetadata>" $($x)*); };
    (@ts [Vec<Tag>] $($x:tt)*) => { node_client!(@method "Promise<Tag[] & WithMetadata>" $($x)*); };
    (@ts [BulkProgressPage] $($x:tt)*) => { node_client!(@method "Promise<BulkProgressPage & WithMetadata>" $($x)*); };
    (@ts [Health] $($x:tt)*) => { node_client!(@method "Promise<Health & WithMetadata>" $($x)*); };
    (@ts [Vec<Gallery>] $($x:tt)*) => { node_client!(@method "Promise<Gallery[] & WithMetadata>" $($x)*); };
    (@ts [GalleryDetails] $($x:tt)*) => { node_client!(@method "Promise<GalleryDetails & WithMetadata>" $($x)*); };
    (@ts [Gallery] $($x:tt)*) => { node_client!(@method "Promise<Gallery & WithMetadata>" $($x)*); };
    (@ts [Vec<Application>] $($x:tt)*) => { node_client!(@method "Promise<Application[] & WithMetadata>" $($x)*); };
    (@ts [Application] $($x:tt)*) => { node_client!(@method "Promise<Application & WithMetadata>" $($x)*); };
    (@method $ts:literal [$hand:tt [$($m:tt)*] $names:tt [$($rest:tt)*]]
        [[$($doc:tt)*] $name:ident $ret:tt [$($p:tt)*] [$($b:tt)*] [$($i:tt)*] [$($c:tt)*]]) => {
        node_client!(@munch $hand [$($m)*
            $($doc)*
            #[napi(catch_unwind, ts_return_type = $ts)]
            pub fn $name<'e>(
                &self,
                env: &'e Env,
                $($p)*
                call_options: Option<CallOptions>,
            ) -> napi::Result<Object<'e>> {
                let call = Prepared::new(env, call_options)?;
                let slot = self.call_slot();
                let c = call.client(&self.inner, &slot);
                $($b)*
                let promise = spawn_promise(env, move || async move {
                    let c = c?;
                    $($i)*
                    let value = node_client!(@result $ret c.$name($($c)*).await)?;
                    Ok(WithMetadata(value, slot.get()))
                })?;
                call.finish(promise)
            }
        ] $names $($rest)*);
    };
    (@result [()] $v:expr) => { $v };
    (@result [String] $v:expr) => { $v };
    (@result [Vec<$model:ident>] $v:expr) => {
        $v.map(|v| v.into_iter().map($model::from).collect::<Vec<_>>())
    };
    (@result [$model:ident] $v:expr) => { $v.map($model::from) };
}

// `Client`'s one `#[napi] impl` block (napi allows one per class): the methods written
// here (constructors, getters, paginators, and the operations whose shape is special),
// then one method per other operation of the core's table, expanded by `node_client!`.
necid::for_each_operation! { node_client, [
    /// A client from explicit options. Does no I/O. Throws `InvalidInputError` for a bad
    /// setting (e.g. a malformed endpoint).
    #[napi(catch_unwind, constructor)]
    pub fn new(
        env: Env,
        #[napi(ts_arg_type = "ClientOptions | undefined | null")] options: Option<Object>,
    ) -> napi::Result<Self> {
        guard(&env, || {
            let cfg = build_config(&env, options)?;
            Self::from_config(&env, Ok(cfg))
        })
    }

    /// A client from the environment: the profile file (if any), then `NECID_ENDPOINT`,
    /// `NECID_ACCESS_KEY_ID`, `NECID_SECRET_ACCESS_KEY`, `NECID_SESSION_TOKEN`,
    /// `NECID_API_KEY`, `NECID_REGION`, ….
    #[napi(catch_unwind, factory)]
    pub fn from_env(env: Env) -> napi::Result<Self> {
        guard(&env, || Self::from_config(&env, necid::Config::from_env()))
    }

    /// A client from a named profile of the profile file (default: `NECID_PROFILE`, then
    /// `default`). Throws `InvalidInputError` when the file or profile is missing.
    #[napi(catch_unwind, factory)]
    pub fn from_profile(env: Env, profile: Option<String>) -> napi::Result<Self> {
        guard(&env, || {
            Self::from_config(&env, necid::Config::from_profile(profile.as_deref()))
        })
    }

    fn from_config(env: &Env, cfg: necid::Result<necid::Config>) -> napi::Result<Self> {
        cfg.and_then(necid::Client::new)
            .map(|inner| Client {
                inner,
                capture: None,
            })
            .map_err(|e| to_js_error(env, &e))
    }

    /// Biometric API endpoint in use.
    #[napi(catch_unwind, getter)]
    pub fn endpoint(&self) -> String {
        self.inner.config().endpoint().to_owned()
    }

    /// Tenant API endpoint in use.
    #[napi(catch_unwind, getter)]
    pub fn tenant_endpoint(&self) -> String {
        self.inner.config().tenant_endpoint().to_owned()
    }

    /// SigV4 region in use.
    #[napi(catch_unwind, getter)]
    pub fn region(&self) -> String {
        self.inner.config().region().to_owned()
    }

    /// Clock offset (server minus local, ms) learnt from a clock-skew 403; 0 until then.
    #[napi(catch_unwind, getter)]
    pub fn clock_skew_ms(&self) -> i64 {
        self.inner.clock_skew_ms()
    }

    /// A view of this client (same pool and settings) whose calls record their metadata
    /// in one slot of its own; `withMetadata` (index.js) hands it to the caller's function.
    #[napi(catch_unwind, js_name = "__metadataView", skip_typescript)]
    pub fn metadata_view(&self) -> Client {
        Client {
            inner: self.inner.clone(),
            capture: Some(necid::MetadataSlot::new()),
        }
    }

    /// The metadata a `__metadataView` view recorded last (status 0 and 0 attempts when
    /// no request was answered).
    #[napi(catch_unwind, js_name = "__capturedMetadata", skip_typescript)]
    pub fn captured_metadata(&self) -> ResponseMetadata {
        ResponseMetadata::from(
            self.capture
                .as_ref()
                .and_then(necid::MetadataSlot::get)
                .unwrap_or_default(),
        )
    }

    // ---------------------------------------------------------------------------------
    // subjects

    /// Every page of list subjects, `length` rows at a time (default 1000), as an async
    /// iterator: `for await (const page of client.subjects()) { … }`.
    /// Throws `InvalidInputError` for a bad `length` (checked again by the core on the
    /// first page).
    #[napi(catch_unwind)]
    pub fn subjects(
        &self,
        env: Env,
        length: Option<f64>,
        dir: Option<SortDirection>,
    ) -> napi::Result<SubjectPaginator> {
        guard(&env, || {
            let length = whole("length", length).map_err(|e| to_js_error(&env, &e))?;
            let s = self.inner.subjects_paginator(
                length.unwrap_or(necid::validate::LIST_LENGTH_DEFAULT),
                dir.map_or(necid::SortDirection::Asc, Into::into),
            );
            Ok(SubjectPaginator {
                stream: Arc::new(tokio::sync::Mutex::new(s)),
            })
        })
    }

    // ---------------------------------------------------------------------------------
    // face operations

    /// `POST /face/search`: subjects whose faces match the probe. No match is an empty
    /// candidate list, not an error.
    #[napi(catch_unwind, ts_return_type = "Promise<SearchResult & WithMetadata>")]
    pub fn search<'e>(
        &self,
        env: &'e Env,
        #[napi(ts_arg_type = "ImageInput")] probe: JsImage,
        options: Option<SearchOptions>,
        call_options: Option<CallOptions>,
    ) -> napi::Result<Object<'e>> {
        let call = Prepared::new(env, call_options)?;
        let slot = self.call_slot();
        let c = call.client(&self.inner, &slot);
        let probe = ImageArg::from(probe);
        let promise = spawn_promise(env, move || async move {
            let c = c?;
            let probe = probe.load().await?;
            let mut req = necid::SearchRequest::new(probe);
            if let Some(o) = options {
                req.threshold = whole("threshold", o.threshold)?;
                req.limit = whole("limit", o.limit)?;
                req.tags = o.tags.unwrap_or_default();
            }
            let value = c.search(req).await.map(SearchResult::from)?;
            Ok(WithMetadata(value, slot.get()))
        })?;
        call.finish(promise)
    }

    // ---------------------------------------------------------------------------------
    // bulk registration

    /// Every progress page of a batch, following `lastEvaluatedKey`, as an async iterator.
    #[napi(catch_unwind)]
    pub fn bulk_progress(&self, batch_id: String) -> BulkProgressPaginator {
        BulkProgressPaginator {
            stream: Arc::new(tokio::sync::Mutex::new(
                self.inner.bulk_progress_paginator(&batch_id),
            )),
        }
    }

    /// Poll a batch until every record is processed, calling `options.onProgress` (on the
    /// JS thread) after each poll. Backs off ×1.5 between polls; rejects with
    /// `TimedOutError` at `timeoutMs`.
    #[napi(catch_unwind, ts_return_type = "Promise<BulkProgress & WithMetadata>")]
    pub fn wait_for_bulk_register<'e>(
        &self,
        env: &'e Env,
        batch_id: String,
        options: Option<WaitOptions>,
        call_options: Option<CallOptions>,
    ) -> napi::Result<Object<'e>> {
        let call = Prepared::new(env, call_options)?;
        let slot = self.call_slot();
        let c = call.client(&self.inner, &slot);
        let promise = spawn_promise(env, move || async move {
            let c = c?;
            let mut wait = necid::WaitOptions::default();
            let mut on_progress = None;
            if let Some(o) = options {
                if let Some(v) = o.poll_interval_ms {
                    wait.poll_interval = millis("pollIntervalMs", v)?;
                }
                if let Some(v) = o.max_poll_interval_ms {
                    wait.max_poll_interval = millis("maxPollIntervalMs", v)?;
                }
                if let Some(v) = o.timeout_ms {
                    wait.timeout = millis("timeoutMs", v)?;
                }
                on_progress = o.on_progress;
            }
            // The first exception thrown by onProgress ends the wait and rejects the Promise.
            let thrown: Arc<std::sync::Mutex<Option<napi::Error>>> = Arc::default();
            let stop = Arc::new(tokio::sync::Notify::new());
            // Each queued callback holds a sender; once the wait is over and every queued
            // callback has run (or been dropped at teardown), `recv` returns None. Awaiting
            // that before settling guarantees every onProgress call precedes the settle.
            let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
            let result = {
                let (done_tx, thrown_by, stop_by) = (done_tx, thrown.clone(), stop.clone());
                let waiting = c.wait_for_bulk_register(&batch_id, wait, move |p| {
                    if let Some(f) = &on_progress {
                        let (tx, thrown, stop) =
                            (done_tx.clone(), thrown_by.clone(), stop_by.clone());
                        let _ = f.call_with_return_value(
                            BulkProgress::from(p.clone()),
                            ThreadsafeFunctionCallMode::NonBlocking,
                            move |returned, _| {
                                if let Err(e) = returned {
                                    let mut slot = thrown.lock().unwrap_or_else(|p| p.into_inner());
                                    slot.get_or_insert(e);
                                    stop.notify_one();
                                }
                                drop(tx);
                                Ok(())
                            },
                        );
                    }
                });
                tokio::select! {
                    r = waiting => Some(r),
                    () = stop.notified() => None,
                }
            };
            while done_rx.recv().await.is_some() {}
            if let Some(e) = thrown.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return Err(Rejection::Js(e));
            }
            match result {
                Some(r) => Ok(WithMetadata(r.map(BulkProgress::from)?, slot.get())),
                // Only reached after onProgress threw (its error was taken above).
                None => Err(Rejection::Js(napi::Error::from_reason("onProgress threw"))),
            }
        })?;
        call.finish(promise)
    }

    // ---------------------------------------------------------------------------------
    // signing

    /// Sign a custom request (synchronously, no I/O) and return the headers to add:
    /// `x-api-key` (when configured and not given), `x-amz-date`, `x-amz-security-token`
    /// (with a session token) and `authorization`. Header names are lower-case.
    #[napi(catch_unwind, ts_return_type = "Record<string, string>")]
    pub fn sign_request(
        &self,
        env: Env,
        request: SignRequest,
    ) -> napi::Result<std::collections::HashMap<String, String>> {
        guard(&env, || {
            let headers = match header_pairs(request.headers) {
                Ok(h) => h,
                Err(e) => return Err(to_js_error(&env, &e)),
            };
            // Borrow the caller's bytes: the core hashes them in place (no copy of the body).
            let body: &[u8] = match &request.body {
                None => &[],
                Some(Either::A(b)) => b.as_ref(),
                Some(Either::B(s)) => s.as_bytes(),
            };
            let signed = match request.time {
                None => self
                    .inner
                    .sign_request(&request.method, &request.url, &headers, body),
                Some(t) => {
                    let ms = t.coerce_to_number().and_then(|n| n.get_double())?;
                    signing_time(ms).and_then(|time| {
                        self.inner.sign_request_at(
                            &request.method,
                            &request.url,
                            &headers,
                            body,
                            time,
                        )
                    })
                }
            };
            signed
                .map(|v| v.into_iter().collect())
                .map_err(|e| to_js_error(&env, &e))
        })
    }
] }

/// `[name, value]` pairs (exactly two strings each) or an object, as ordered pairs.
pub(crate) fn header_pairs(h: Option<JsHeaders>) -> necid::Result<Vec<(String, String)>> {
    match h {
        None => Ok(Vec::new()),
        Some(Either::B(map)) => Ok(map.into_iter().collect()),
        Some(Either::A(pairs)) => pairs
            .into_iter()
            .enumerate()
            .map(|(i, pair)| match <[String; 2]>::try_from(pair) {
                Ok([name, value]) => Ok((name, value)),
                Err(_) => Err(necid::Error::invalid_input(
                    &format!("headers[{i}]"),
                    "must be a [name, value] pair",
                )),
            })
            .collect(),
    }
}

fn signing_time(ms: f64) -> necid::Result<SystemTime> {
    if !(0.0..=1e15).contains(&ms) {
        return Err(necid::Error::invalid_input(
            "time",
            "must be a Date or epoch milliseconds",
        ));
    }
    Ok(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(ms / 1000.0))
}

type PageStream<T> = Arc<tokio::sync::Mutex<BoxStream<'static, necid::Result<T>>>>;

/// Next item of a shared page stream, converted.
fn next_page<'e, C, T>(env: &'e Env, stream: &PageStream<C>) -> napi::Result<Object<'e>>
where
    C: Send + 'static,
    T: From<C> + napi::bindgen_prelude::ToNapiValue + Send + 'static,
{
    let stream = stream.clone();
    spawn_promise(env, move || async move {
        let mut s = stream.lock().await;
        let page = s.next().await.transpose()?;
        Ok(page.map(T::from))
    })
}

/// A paginator class over a core page stream: `nextPage()` resolves to the next page
/// converted, or `null` when there are no more; `index.js` makes it async-iterable.
macro_rules! paginator {
    ($(#[doc = $doc:literal])* $name:ident($core:ty) -> $page:ident, $ts:literal) => {
        $(#[doc = $doc])*
        #[napi]
        pub struct $name {
            stream: PageStream<$core>,
        }

        #[napi]
        impl $name {
            /// The next page, or `null` when there are no more. After a rejection the paginator
            /// is finished.
            #[napi(catch_unwind, ts_return_type = $ts)]
            pub fn next_page<'e>(&self, env: &'e Env) -> napi::Result<Object<'e>> {
                next_page::<_, $page>(env, &self.stream)
            }
        }
    };
}

paginator! {
    /// Pages of `listSubjects`. Iterate with `for await (const page of paginator)`, or call
    /// `nextPage()` until it resolves to `null`.
    SubjectPaginator(necid::SubjectPage) -> SubjectPage, "Promise<SubjectPage | null>"
}

paginator! {
    /// Progress pages of one bulk registration. Iterate with `for await`, or call
    /// `nextPage()` until it resolves to `null`.
    BulkProgressPaginator(necid::BulkProgressPage) -> BulkProgressPage, "Promise<BulkProgressPage | null>"
}
