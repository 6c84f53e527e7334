//! The client and every operation, as blocking calls on the core's blocking facade.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use necid::blocking::Client;
use necid::{
    ApplicationUpdate, BulkProgressPage, BulkRegistration, Config, ConfigValue, Error,
    GalleryUpdate, NewApplication, NewGallery, Result, SearchRequest, SortDirection, SubjectPage,
    WaitOptions,
};

use crate::error::{guard, guard_value, necid_status_t};
use crate::types::*;
use crate::util::{
    arg_bytes, arg_image, arg_opt_image, arg_opt_str, arg_opt_str_array, arg_ref, arg_slice,
    arg_str, arg_str_array, free_box, out_box, out_slot, out_str,
};

/// An opaque client. Create with necid_client_new, necid_client_from_env or
/// necid_client_from_profile, free with necid_client_free.
///
/// Thread safety: one client may be used from any number of threads at once (it shares
/// one connection pool); only necid_client_free must not race with other calls on it.
pub struct necid_client_t {
    pub(crate) inner: Client,
    /// Where a view made by necid_client_with_options records each call's metadata.
    pub(crate) slot: Option<necid::MetadataSlot>,
}

/// Client settings. Initialise it with necid_config_init(&cfg) (zeroes it and sets
/// struct_size), then set what you need: NULL strings and 0 numbers take the defaults. The
/// strings are copied; they only need to live during the necid_client_new call.
///
/// The struct grows by appending fields; struct_size tells the library which layout the
/// caller was compiled with, so a program built against an older necid.h keeps working
/// with a newer library (the fields it does not have take their defaults), and one built
/// against a newer necid.h works with an older library as long as it leaves the fields
/// that library does not know at zero.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_config_t {
    /// sizeof(necid_config_t) as the caller compiled it; necid_config_init sets it. 0 or a
    /// size no necid.h ever had is NECID_ERR_INVALID_INPUT (field "struct_size").
    pub struct_size: usize,
    /// Biometric API endpoint (default "https://api.id.nec.com.au").
    pub endpoint: *const c_char,
    /// Tenant (portal) API endpoint (default "https://portal.id.nec.com.au").
    pub tenant_endpoint: *const c_char,
    /// SigV4 region (default "ap-southeast-2").
    pub region: *const c_char,
    /// SigV4 service (default "execute-api").
    pub service: *const c_char,
    /// Access key id (with secret_access_key, or neither).
    pub access_key_id: *const c_char,
    /// Secret access key.
    pub secret_access_key: *const c_char,
    /// Session token of temporary credentials, or NULL.
    pub session_token: *const c_char,
    /// Application API key (x-api-key), selecting the gallery.
    pub api_key: *const c_char,
    /// Connect timeout in milliseconds (0: 10 s).
    pub connect_timeout_ms: u32,
    /// Per-attempt request timeout in milliseconds (0: 60 s).
    pub request_timeout_ms: u32,
    /// Total attempts including the first (0: 3; 1 disables retries).
    pub max_attempts: u32,
    /// Retry backoff base in milliseconds (0: 200 ms).
    pub retry_base_delay_ms: u32,
    /// Retry backoff ceiling in milliseconds (0: 5 s).
    pub retry_max_delay_ms: u32,
    /// Appended to the User-Agent header, or NULL.
    pub user_agent_suffix: *const c_char,
    /// Longest server Retry-After honoured, in milliseconds (0: 20 s); longer values are
    /// capped to it.
    pub max_retry_after_ms: u32,
    /// Trusted CAs for https://: "platform" (the OS store; NULL = default), "bundled"
    /// (Mozilla roots built in) or "custom" (only the CA bundle).
    pub tls_roots: *const c_char,
    /// Path of a PEM file of CA certificates, or NULL (alone: the only trust; with
    /// tls_roots "platform"/"bundled": trusted in addition).
    pub ca_bundle: *const c_char,
    /// The CA bundle as PEM bytes instead of a file (NULL/0: none); copied.
    pub ca_bundle_pem: *const u8,
    /// Length of ca_bundle_pem in bytes.
    pub ca_bundle_pem_len: usize,
    /// HTTP proxy for every request, "http://[user:password@]host:port" (https://
    /// endpoints are tunnelled with CONNECT), or NULL: HTTPS_PROXY/HTTP_PROXY/NO_PROXY.
    pub proxy: *const c_char,
    /// Most idle connections kept open per host (0: no limit, the default).
    pub pool_max_idle_per_host: u32,
    /// How long an idle connection stays in the pool, in milliseconds (0: 60 s).
    pub pool_idle_timeout_ms: u32,
    /// Refreshable credentials instead of access_key_id/secret_access_key/session_token
    /// (NULL: the static keys). See necid_credentials_provider_t.
    pub credentials_provider: necid_credentials_provider_t,
    /// Passed to credentials_provider as is.
    pub credentials_provider_user_data: *mut c_void,
    /// Request of necid_rename_tag: "auto" (NULL = default: `PUT /tags/{old}` with
    /// `{"newName"}`, then `PUT /tags/{old}/{new}` once on a 404, 400 InvalidRequest or 403
    /// missing route, remembered), "body" (only the first) or "path" (only the v1.1
    /// reference's second).
    pub rename_tag_form: *const c_char,
    /// Path of a PEM file holding the client certificate for servers that require mutual
    /// TLS (leaf first, then any intermediates), or NULL; needs client_key or
    /// client_key_pem. Read and checked against the key by necid_client_new.
    pub client_cert: *const c_char,
    /// Path of the client certificate's PEM private key (PKCS#8, RSA or EC; may be the
    /// same file), or NULL. Never printed or logged.
    pub client_key: *const c_char,
    /// The client certificate as PEM bytes instead of a file (NULL/0: none); copied.
    pub client_cert_pem: *const u8,
    /// Length of client_cert_pem in bytes.
    pub client_cert_pem_len: usize,
    /// The client certificate's private key as PEM bytes instead of a file (NULL/0:
    /// none); copied.
    pub client_key_pem: *const u8,
    /// Length of client_key_pem in bytes.
    pub client_key_pem_len: usize,
}

/// Where a credentials provider puts its answer: call necid_credentials_set on it.
pub struct necid_credentials_sink_t {
    creds: Option<necid::Credentials>,
}

/// A credentials provider: called before a request when the client holds no credentials
/// or they expire within 10 s, on one of the SDK's worker threads (never two at once for a
/// client), with `user_data` and a sink. It calls necid_credentials_set(sink, ...) and
/// returns NECID_OK; any other status fails the request with NECID_ERR_AUTH (nothing is
/// sent) and the next request asks again. `user_data` must be usable from any thread and
/// stay valid until the client is freed.
pub type necid_credentials_provider_t = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        sink: *mut necid_credentials_sink_t,
    ) -> necid_status_t,
>;

/// Gives the provider's answer: the access key id and secret (required), the session
/// token (NULL: none) and when they expire, in milliseconds since the Unix epoch (0: never).
/// The strings are copied.
///
/// # Safety
/// `sink` is the sink the provider was given (during its call); strings are NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_credentials_set(
    sink: *mut necid_credentials_sink_t,
    access_key_id: *const c_char,
    secret_access_key: *const c_char,
    session_token: *const c_char,
    expires_at_unix_ms: i64,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let sink =
            unsafe { sink.as_mut() }.ok_or_else(|| Error::invalid_input("sink", "is NULL"))?;
        let id = unsafe { arg_str(access_key_id, "access_key_id")? };
        let secret = unsafe { arg_str(secret_access_key, "secret_access_key")? };
        let token = unsafe { arg_opt_str(session_token, "session_token")? };
        let mut c = necid::Credentials::new(id, secret);
        if let Some(t) = token {
            c = c.session_token(t);
        }
        if expires_at_unix_ms > 0 {
            let at = std::time::UNIX_EPOCH
                + Duration::from_millis(u64::try_from(expires_at_unix_ms).unwrap_or(0));
            c = c.expires_at(Some(at));
        }
        sink.creds = Some(c);
        Ok(())
    })
}

/// The C provider as the core's (a blocking function on the SDK's worker pool).
struct CProvider {
    f: unsafe extern "C" fn(*mut c_void, *mut necid_credentials_sink_t) -> necid_status_t,
    user_data: *mut c_void,
}

// SAFETY: the documented contract of necid_credentials_provider_t: `user_data` is usable
// from any thread; the core calls the provider from one thread at a time.
unsafe impl Send for CProvider {}
// SAFETY: as above.
unsafe impl Sync for CProvider {}

impl CProvider {
    fn call(&self) -> Result<necid::Credentials> {
        let mut sink = necid_credentials_sink_t { creds: None };
        // SAFETY: a C function pointer the caller gave, with its user data.
        let status = unsafe { (self.f)(self.user_data, &mut sink) };
        let fail = |why: String| {
            Error::new(
                necid::ErrorKind::Auth,
                format!("credentials provider {why}"),
            )
        };
        if status != necid_status_t::NECID_OK {
            return Err(fail(format!("returned {status:?}")));
        }
        sink.creds.ok_or_else(|| {
            fail("returned NECID_OK without calling necid_credentials_set".to_owned())
        })
    }
}

/// The smallest `struct_size` accepted: the first layout that had the field (every field
/// up to `ca_bundle_pem_len`).
const CONFIG_MIN_SIZE: usize =
    std::mem::offset_of!(necid_config_t, ca_bundle_pem_len) + size_of::<usize>();
/// Larger is certainly not a necid_config_t (e.g. a program built before struct_size
/// existed passes its first string pointer here).
const CONFIG_MAX_SIZE: usize = 64 * 1024;
// No tail padding: every layout's sizeof ends at its last field, so a field appended later
// never sits in bytes an older caller left uninitialised. Appending a `uint32_t` alone
// fails here: pair it with another 32-bit field.
const _: () = assert!(
    size_of::<necid_config_t>()
        == std::mem::offset_of!(necid_config_t, client_key_pem_len) + size_of::<usize>()
);

/// The caller's config, whatever layout it was compiled with: the first `struct_size`
/// bytes, the fields it does not have zero (= not set).
///
/// # Safety
/// `p` is NULL or points to `struct_size` readable bytes (its first field).
unsafe fn read_config(p: *const necid_config_t) -> Result<necid_config_t> {
    if p.is_null() {
        return Err(Error::invalid_input("config", "is NULL"));
    }
    // SAFETY: every layout starts with the size_t struct_size.
    let size = unsafe { std::ptr::read(p.cast::<usize>()) };
    let known = size_of::<necid_config_t>();
    if size == 0 {
        return Err(Error::invalid_input(
            "struct_size",
            "is 0: initialise the config with necid_config_init(&cfg), which sets it to \
             sizeof(necid_config_t)",
        ));
    }
    if !(CONFIG_MIN_SIZE..=CONFIG_MAX_SIZE).contains(&size) {
        return Err(Error::invalid_input(
            "struct_size",
            format!(
                "is {size}, which no necid.h has (this library's is {known}): initialise the \
                 config with necid_config_init(&cfg) and rebuild against the installed necid.h"
            ),
        ));
    }
    if size > known {
        // SAFETY: the caller's struct has `size` bytes.
        let newer = unsafe { std::slice::from_raw_parts(p.cast::<u8>().add(known), size - known) };
        if newer.iter().any(|b| *b != 0) {
            return Err(Error::invalid_input(
                "struct_size",
                format!(
                    "the program was built against a newer necid.h ({size}-byte config, this \
                     library knows {known} bytes) and sets a setting this library does not \
                     have: upgrade the library or leave that setting unset"
                ),
            ));
        }
    }
    let mut out = std::mem::MaybeUninit::<necid_config_t>::zeroed();
    // SAFETY: `size.min(known)` bytes are readable at `p` and writable in `out`; all-zero
    // is a valid necid_config_t (NULL pointers, zero numbers).
    unsafe {
        std::ptr::copy_nonoverlapping(
            p.cast::<u8>(),
            out.as_mut_ptr().cast::<u8>(),
            size.min(known),
        );
        Ok(out.assume_init())
    }
}

fn ms(v: u32) -> Duration {
    Duration::from_millis(u64::from(v))
}

/// # Safety
/// Every string in `c` is NULL or NUL-terminated.
///
/// The fields onto the core's settings table (`necid::CONFIG_KEYS`): each field is a
/// setting's name, durations with `_ms` in milliseconds; NULL and 0 mean "not set".
unsafe fn build_config(c: &necid_config_t) -> Result<Config> {
    let text = |name: &'static str, p: *const c_char| {
        // SAFETY: forwarded contract.
        unsafe { arg_opt_str(p, name) }.map(|v| v.map(|v| ConfigValue::Text(v.to_owned())))
    };
    let millis = |v: u32| (v > 0).then(|| ConfigValue::Duration(ms(v)));
    let settings = [
        ("endpoint", text("endpoint", c.endpoint)?),
        (
            "tenant_endpoint",
            text("tenant_endpoint", c.tenant_endpoint)?,
        ),
        ("region", text("region", c.region)?),
        ("service", text("service", c.service)?),
        ("access_key_id", text("access_key_id", c.access_key_id)?),
        (
            "secret_access_key",
            text("secret_access_key", c.secret_access_key)?,
        ),
        ("session_token", text("session_token", c.session_token)?),
        ("api_key", text("api_key", c.api_key)?),
        ("connect_timeout", millis(c.connect_timeout_ms)),
        ("request_timeout", millis(c.request_timeout_ms)),
        (
            "max_attempts",
            (c.max_attempts > 0).then_some(ConfigValue::Count(c.max_attempts)),
        ),
        ("retry_base_delay", millis(c.retry_base_delay_ms)),
        ("retry_max_delay", millis(c.retry_max_delay_ms)),
        (
            "user_agent_suffix",
            text("user_agent_suffix", c.user_agent_suffix)?,
        ),
        ("max_retry_after", millis(c.max_retry_after_ms)),
        ("tls_roots", text("tls_roots", c.tls_roots)?),
        ("ca_bundle", text("ca_bundle", c.ca_bundle)?),
        (
            "ca_bundle_pem",
            // SAFETY: forwarded contract (NULL with length 0 is "not set").
            unsafe { arg_bytes(c.ca_bundle_pem, c.ca_bundle_pem_len, "ca_bundle_pem", true) }
                .map(|pem| (!pem.is_empty()).then(|| ConfigValue::Bytes(pem.to_vec())))?,
        ),
        ("proxy", text("proxy", c.proxy)?),
        (
            "pool_max_idle_per_host",
            (c.pool_max_idle_per_host > 0).then_some(ConfigValue::Count(c.pool_max_idle_per_host)),
        ),
        ("pool_idle_timeout", millis(c.pool_idle_timeout_ms)),
        (
            "rename_tag_form",
            text("rename_tag_form", c.rename_tag_form)?,
        ),
        ("client_cert", text("client_cert", c.client_cert)?),
        ("client_key", text("client_key", c.client_key)?),
        (
            "client_cert_pem",
            // SAFETY: forwarded contract (NULL with length 0 is "not set").
            unsafe {
                arg_bytes(
                    c.client_cert_pem,
                    c.client_cert_pem_len,
                    "client_cert_pem",
                    true,
                )
            }
            .map(|pem| (!pem.is_empty()).then(|| ConfigValue::Bytes(pem.to_vec())))?,
        ),
        (
            "client_key_pem",
            // SAFETY: forwarded contract (NULL with length 0 is "not set").
            unsafe {
                arg_bytes(
                    c.client_key_pem,
                    c.client_key_pem_len,
                    "client_key_pem",
                    true,
                )
            }
            .map(|pem| (!pem.is_empty()).then(|| ConfigValue::Bytes(pem.to_vec())))?,
        ),
    ];
    let mut b = Config::builder();
    for (name, value) in settings {
        if let Some(value) = value {
            b = b.set(name, value)?;
        }
    }
    if let Some(f) = c.credentials_provider {
        let p = CProvider {
            f,
            user_data: c.credentials_provider_user_data,
        };
        b = b.credentials_provider(necid::credentials_fn(move || p.call()));
    }
    b.build()
}

/// # Safety
/// `client` is NULL or a live client.
unsafe fn client_ref<'a>(client: *const necid_client_t) -> Result<&'a Client> {
    // SAFETY: per the contract.
    unsafe { arg_ref(client, "client") }.map(|c| &c.inner)
}

/// Creates a client from `config`. Does no I/O. On success `*out_client` is the new
/// client (free it with necid_client_free); on failure it is NULL.
///
/// # Safety
/// `config` is NULL or a necid_config_t of `config->struct_size` bytes whose strings are
/// NULL or NUL-terminated; `out_client` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_client_new(
    config: *const necid_config_t,
    out_client: *mut *mut necid_client_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_client, "out_client")? };
        let config = unsafe { build_config(&read_config(config)?)? };
        *out = out_box(necid_client_t {
            slot: None,
            inner: Client::new(config)?,
        });
        Ok(())
    })
}

/// Creates a client from the environment: defaults, then the profile file
/// (NECID_CONFIG_FILE or ~/.necid/config, profile NECID_PROFILE or "default"),
/// then the NECID_* variable of every setting (NECID_ENDPOINT, NECID_ACCESS_KEY_ID, ...;
/// the table in core/README.md). Does no I/O beyond reading the profile file.
///
/// # Safety
/// `out_client` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_client_from_env(
    out_client: *mut *mut necid_client_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_client, "out_client")? };
        *out = out_box(necid_client_t {
            slot: None,
            inner: Client::from_env()?,
        });
        Ok(())
    })
}

/// Creates a client from one profile of the profile file (NECID_CONFIG_FILE or
/// ~/.necid/config): `profile`, or NECID_PROFILE, or "default" when `profile` is NULL.
/// The file and the profile must exist (else NECID_ERR_INVALID_INPUT); environment
/// variables other than those two are not read. Does no I/O beyond reading the file.
///
/// # Safety
/// `profile` is NULL or NUL-terminated; `out_client` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_client_from_profile(
    profile: *const c_char,
    out_client: *mut *mut necid_client_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_client, "out_client")? };
        let profile = unsafe { arg_opt_str(profile, "profile")? };
        *out = out_box(necid_client_t {
            slot: None,
            inner: Client::new(Config::from_profile(profile)?)?,
        });
        Ok(())
    })
}

/// Frees a client (NULL is a no-op). No other call may be using it at the same time;
/// paginators made from it stay usable (they hold their own reference).
///
/// # Safety
/// `client` is NULL or a client that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_client_free(client: *mut necid_client_t) {
    // SAFETY: per the contract.
    guard_value((), || unsafe { free_box(client) })
}

// ---------------------------------------------------------------------------------------
// Operations, expanded from the core's table (`necid::for_each_operation!`)

/// Emits one `extern "C"` function `necid_<name>` per table entry: the client first, then
/// each argument as C takes it, then the result's out-pointer (none for `()`). Its body
/// sets the out-pointer to NULL, checks the client, converts the arguments in order and
/// calls the blocking client. The header's prototypes come from this expansion
/// (`scripts/c-header.sh` runs cbindgen over the expanded crate).
///
/// An argument type or a result type without a rule below does not compile: add a rule
/// (and, for a pointer-and-length argument, its second parameter's name in `@pair`).
/// `wait_for_bulk_register` (a callback, called on the caller's thread) is written by hand.
macro_rules! c_operations {
    () => {};
    (
        $(#[doc = $doc:literal])*
        async fn wait_for_bulk_register $args:tt -> $ret:tt = $route:tt ;
        $($rest:tt)*
    ) => {
        c_operations!($($rest)*);
    };
    (
        $(#[doc = $doc:literal])*
        $asyncness:ident fn $name:ident (
            $( $arg:ident : [$($ty:tt)*]
               $( { $( $field:ident : [$($fty:tt)*] $(= $fdefault:literal)? ),* } )?
               $( = $default:literal )?
            ),*
        ) -> [$($ret:tt)*] = $route:tt ;
        $($rest:tt)*
    ) => {
        c_operations!(@ret [$($ret)*] [
            [$(#[doc = $doc])*] $name
            [$( c_operations!(@call $arg [$($ty)*] $({ $($field),* })?) ),*]
            [] [] []
        ] $( $arg : [$($ty)*] $({ $( $field : [$($fty)*] ),* })? ),*);
        c_operations!($($rest)*);
    };

    // The call's arguments: flattened structs rebuilt, slices borrowed.
    (@call $arg:ident [SearchRequest] { $($field:ident),* }) => { SearchRequest { $($field),* } };
    (@call $arg:ident [&[$($t:tt)*]]) => { &$arg };
    (@call $arg:ident [Option<&[$($t:tt)*]>]) => { $arg.as_deref() };
    (@call $arg:ident [$($t:tt)*] $($fields:tt)?) => { $arg };

    // The result: its out-pointer (name, C type, free function), or none.
    (@ret [()] $st:tt $($args:tt)*) => { c_operations!(@args [] $st $($args)*); };
    (@ret [String] $st:tt $($args:tt)*) => {
        c_operations!(@args [out_batch_id c_char necid_string_free] $st $($args)*);
    };
    (@ret [$($ret:tt)*] $st:tt $($args:tt)*) => {
        c_operations!(@out [$($ret)*] $st $($args)*);
    };
    (@out [SubjectPage] $($k:tt)*) => { c_operations!(@args [out_page necid_subject_page_t necid_subject_page_free] $($k)*); };
    (@out [RegisteredFace] $($k:tt)*) => { c_operations!(@args [out_face necid_registered_face_t necid_registered_face_free] $($k)*); };
    (@out [EventList] $($k:tt)*) => { c_operations!(@args [out_events necid_event_list_t necid_event_list_free] $($k)*); };
    (@out [Vec<FaceAttributes>] $($k:tt)*) => { c_operations!(@args [out_faces necid_face_list_t necid_face_list_free] $($k)*); };
    (@out [SearchResult] $($k:tt)*) => { c_operations!(@args [out_result necid_search_result_t necid_search_result_free] $($k)*); };
    (@out [Verification] $($k:tt)*) => { c_operations!(@args [out_verification necid_verification_t necid_verification_free] $($k)*); };
    (@out [FaceVerification] $($k:tt)*) => { c_operations!(@args [out_verification necid_face_verification_t necid_face_verification_free] $($k)*); };
    (@out [Vec<Tag>] $($k:tt)*) => { c_operations!(@args [out_tags necid_tag_list_t necid_tag_list_free] $($k)*); };
    (@out [BulkProgressPage] $($k:tt)*) => { c_operations!(@args [out_page necid_bulk_progress_page_t necid_bulk_progress_page_free] $($k)*); };
    (@out [Health] $($k:tt)*) => { c_operations!(@args [out_health necid_health_t necid_health_free] $($k)*); };
    (@out [Vec<(String, String)>] $($k:tt)*) => { c_operations!(@args [out_headers necid_header_list_t necid_header_list_free] $($k)*); };
    (@out [Vec<Gallery>] $($k:tt)*) => { c_operations!(@args [out_galleries necid_gallery_list_t necid_gallery_list_free] $($k)*); };
    (@out [GalleryDetails] $($k:tt)*) => { c_operations!(@args [out_gallery necid_gallery_details_t necid_gallery_details_free] $($k)*); };
    (@out [Gallery] $($k:tt)*) => { c_operations!(@args [out_gallery necid_gallery_t necid_gallery_free] $($k)*); };
    (@out [Vec<Application>] $($k:tt)*) => { c_operations!(@args [out_applications necid_application_list_t necid_application_list_free] $($k)*); };
    (@out [Application] $($k:tt)*) => { c_operations!(@args [out_application necid_application_t necid_application_free] $($k)*); };

    // The arguments, one at a time, into [parameters] [conversions] [safety doc lines].
    (@args $out:tt [$d:tt $n:ident $c:tt [$($p:tt)*] [$($s:tt)*] [$($sd:tt)*]]
        $arg:ident : [&str] $(, $($rest:tt)*)?) => {
        c_operations!(@args $out [$d $n $c
            [$($p)* $arg: *const c_char,]
            [$($s)* let $arg = unsafe { arg_str($arg, stringify!($arg))? };]
            [$($sd)* #[doc = concat!(" - `", stringify!($arg), "`: NULL or NUL-terminated.")]]
        ] $($($rest)*)?);
    };
    (@args $out:tt [$d:tt $n:ident $c:tt [$($p:tt)*] [$($s:tt)*] [$($sd:tt)*]]
        $arg:ident : [Option<&str>] $(, $($rest:tt)*)?) => {
        c_operations!(@args $out [$d $n $c
            [$($p)* $arg: *const c_char,]
            [$($s)* let $arg = unsafe { arg_opt_str($arg, stringify!($arg))? };]
            [$($sd)* #[doc = concat!(" - `", stringify!($arg), "`: NULL (none) or NUL-terminated.")]]
        ] $($($rest)*)?);
    };
    (@args $out:tt [$d:tt $n:ident $c:tt [$($p:tt)*] [$($s:tt)*] [$($sd:tt)*]]
        $arg:ident : [u32] $(, $($rest:tt)*)?) => {
        c_operations!(@args $out [$d $n $c [$($p)* $arg: u32,] [$($s)*] [$($sd)*]] $($($rest)*)?);
    };
    (@args $out:tt [$d:tt $n:ident $c:tt [$($p:tt)*] [$($s:tt)*] [$($sd:tt)*]]
        $arg:ident : [Option<u32>] $(, $($rest:tt)*)?) => {
        c_operations!(@args $out [$d $n $c
            [$($p)* $arg: i32,]
            [$($s)* let $arg = optional($arg);]
            [$($sd)* #[doc = concat!(" - `", stringify!($arg), "`: negative for the service default.")]]
        ] $($($rest)*)?);
    };
    (@args $out:tt [$d:tt $n:ident $c:tt [$($p:tt)*] [$($s:tt)*] [$($sd:tt)*]]
        $arg:ident : [SortDirection] $(, $($rest:tt)*)?) => {
        c_operations!(@args $out [$d $n $c
            [$($p)* $arg: i32,]
            [$($s)* let $arg = sort_dir($arg)?;]
            [$($sd)* #[doc = concat!(" - `", stringify!($arg), "`: a necid_sort_dir_t (another value is NECID_ERR_INVALID_INPUT).")]]
        ] $($($rest)*)?);
    };
    // A struct the caller passes by pointer (its C struct converts with `ToCore`).
    (@args $out:tt [$d:tt $n:ident $c:tt [$($p:tt)*] [$($s:tt)*] [$($sd:tt)*]]
        $arg:ident : [$core:ident] { $($fields:tt)* } $(, $($rest:tt)*)?) => {
        c_operations!(@struct $core $arg $out [$d $n $c [$($p)*] [$($s)*] [$($sd)*]] [$($($rest)*)?] { $($fields)* });
    };
    (@struct SearchRequest $arg:ident $out:tt $st:tt [$($rest:tt)*] { $($fields:tt)* }) => {
        // Flattened: its fields are the C function's arguments.
        c_operations!(@args $out $st $($fields)* $(, $rest)*);
    };
    (@struct NewGallery $($k:tt)*) => { c_operations!(@ptr necid_new_gallery_t $($k)*); };
    (@struct GalleryUpdate $($k:tt)*) => { c_operations!(@ptr necid_gallery_update_t $($k)*); };
    (@struct NewApplication $($k:tt)*) => { c_operations!(@ptr necid_new_application_t $($k)*); };
    (@struct ApplicationUpdate $($k:tt)*) => { c_operations!(@ptr necid_application_update_t $($k)*); };
    (@ptr $cty:ident $arg:ident $out:tt [$d:tt $n:ident $c:tt [$($p:tt)*] [$($s:tt)*] [$($sd:tt)*]]
        [$($rest:tt)*] $fields:tt) => {
        c_operations!(@args $out [$d $n $c
            [$($p)* $arg: *const $cty,]
            [$($s)* let $arg = unsafe { arg_struct($arg, stringify!($arg))? };]
            [$($sd)* #[doc = concat!(" - `", stringify!($arg), "`: NULL or valid, its strings NULL or NUL-terminated.")]]
        ] $($rest)*);
    };
    // A pointer and a length or count: the second parameter's name, then the kind.
    (@args $out:tt $st:tt $arg:ident : [$($ty:tt)*] $(, $($rest:tt)*)?) => {
        c_operations!(@pair $arg $arg [$($ty)*] $out $st [$($($rest)*)?]);
    };
    (@pair face $arg:ident $($k:tt)*) => { c_operations!(@pair2 $arg face_len $($k)*); };
    (@pair image $arg:ident $($k:tt)*) => { c_operations!(@pair2 $arg image_len $($k)*); };
    (@pair probe $arg:ident $($k:tt)*) => { c_operations!(@pair2 $arg probe_len $($k)*); };
    (@pair body $arg:ident $($k:tt)*) => { c_operations!(@pair2 $arg body_len $($k)*); };
    (@pair tags $arg:ident $($k:tt)*) => { c_operations!(@pair2 $arg tag_count $($k)*); };
    (@pair headers $arg:ident $($k:tt)*) => { c_operations!(@pair2 $arg header_count $($k)*); };
    (@pair registrations $arg:ident $($k:tt)*) => { c_operations!(@pair2 $arg count $($k)*); };
    (@pair2 $arg:ident $len:ident [$($ty:tt)*] $out:tt
        [$d:tt $n:ident $c:tt [$($p:tt)*] [$($s:tt)*] [$($sd:tt)*]] [$($rest:tt)*]) => {
        c_operations!(@args $out [$d $n $c
            [$($p)* $arg: c_operations!(@ptr_ty [$($ty)*]), $len: usize,]
            [$($s)* let $arg = unsafe { c_operations!(@conv [$($ty)*] $arg $len)? };]
            [$($sd)* #[doc = concat!(" - `", stringify!($arg), "`, `", stringify!($len), "`: ",
                c_operations!(@doc [$($ty)*]), ".")]]
        ] $($rest)*);
    };

    (@ptr_ty [impl Into<Image>]) => { *const u8 };
    (@ptr_ty [Option<Image>]) => { *const u8 };
    (@ptr_ty [Option<&[String]>]) => { *const *const c_char };
    (@ptr_ty [Image]) => { *const u8 };
    (@ptr_ty [&[u8]]) => { *const u8 };
    (@ptr_ty [&[String]]) => { *const *const c_char };
    (@ptr_ty [Vec<String>]) => { *const *const c_char };
    (@ptr_ty [&[(String, String)]]) => { *const necid_header_t };
    (@ptr_ty [&[BulkRegistration]]) => { *const necid_bulk_registration_t };
    (@conv [impl Into<Image>] $a:ident $n:ident) => { arg_image($a, $n, stringify!($a)) };
    (@conv [Option<Image>] $a:ident $n:ident) => { arg_opt_image($a, $n, stringify!($a)) };
    (@conv [Option<&[String]>] $a:ident $n:ident) => { arg_opt_str_array($a, $n, stringify!($a)) };
    (@conv [Image] $a:ident $n:ident) => { arg_image($a, $n, stringify!($a)) };
    (@conv [&[u8]] $a:ident $n:ident) => { arg_bytes($a, $n, stringify!($a), true) };
    (@conv [&[String]] $a:ident $n:ident) => { arg_str_array($a, $n, stringify!($a)) };
    (@conv [Vec<String>] $a:ident $n:ident) => { arg_str_array($a, $n, stringify!($a)) };
    (@conv [&[(String, String)]] $a:ident $n:ident) => { arg_headers($a, $n, stringify!($a)) };
    (@conv [&[BulkRegistration]] $a:ident $n:ident) => { arg_registrations($a, $n, stringify!($a)) };
    (@doc [impl Into<Image>]) => { "that many bytes of JPEG, PNG, GIF, BMP, WebP or TIFF" };
    (@doc [Option<Image>]) => { "that many bytes of JPEG, PNG, GIF, BMP, WebP or TIFF, or NULL with 0 for no new face" };
    (@doc [Option<&[String]>]) => { "NULL with 0: tags not sent (kept); non-NULL: that many NUL-terminated strings, sent (0 of them clears the tags)" };
    (@doc [Image]) => { "that many bytes of JPEG, PNG, GIF, BMP, WebP or TIFF" };
    (@doc [&[u8]]) => { "that many bytes (NULL with 0 for none)" };
    (@doc [&[String]]) => { "that many NUL-terminated strings (NULL with 0 for none)" };
    (@doc [Vec<String>]) => { "that many NUL-terminated strings (NULL with 0 for none)" };
    (@doc [&[(String, String)]]) => { "that many headers, NUL-terminated (NULL with 0 for none)" };
    (@doc [&[BulkRegistration]]) => { "that many structs, strings NUL-terminated" };

    // The emitted function (the C name is `necid_<name>`).
    (@args [$($out:ident $cty:ident $free:ident)?]
        [[$($doc:tt)*] $name:ident [$($call:expr),*] [$($p:tt)*] [$($s:tt)*] [$($sd:tt)*]]) => {
        $($doc)*
        #[doc = ""]
        #[doc = " # Safety"]
        #[doc = " - `client`: NULL or live."]
        $($sd)*
        $(#[doc = concat!(" - `", stringify!($out), "`: NULL or writable; the result, freed with ",
            stringify!($free), " (NULL on failure).")])?
        #[unsafe(export_name = concat!("necid_", stringify!($name)))]
        pub unsafe extern "C" fn $name(
            client: *const necid_client_t,
            $($p)*
            $($out: *mut *mut $cty)?
        ) -> necid_status_t {
            guard(|| {
                // SAFETY: per the contract.
                $(let $out = unsafe { out_slot($out, stringify!($out))? };)?
                let c = unsafe { client_ref(client)? };
                $($s)*
                c_operations!(@result [$($out $cty)?] c.$name($($call),*)?)
            })
        }
    };
    (@result [] $value:expr) => {{ $value; Ok(()) }};
    (@result [$out:ident c_char] $value:expr) => {{
        *$out = out_str(&$value).cast_mut();
        Ok(())
    }};
    (@result [$out:ident $cty:ident] $value:expr) => {{
        *$out = out_box($value.into());
        Ok(())
    }};
}

necid::for_each_operation!(c_operations);

// ---------------------------------------------------------------------------------------
// Subjects

/// Sort order of necid_list_subjects (by last update). Passed as `int32_t`; any other
/// value is NECID_ERR_INVALID_INPUT.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum necid_sort_dir_t {
    /// Oldest first (the service default).
    NECID_SORT_ASC = 0,
    /// Newest first.
    NECID_SORT_DESC = 1,
}

fn sort_dir(v: i32) -> Result<SortDirection> {
    match v {
        0 => Ok(SortDirection::Asc),
        1 => Ok(SortDirection::Desc),
        _ => Err(Error::invalid_input(
            "dir",
            "must be NECID_SORT_ASC or NECID_SORT_DESC",
        )),
    }
}

/// Iterates over every page of list subjects. Use one paginator from one thread at a
/// time (it is locked internally, so misuse is serialised, not undefined).
pub struct necid_subjects_paginator_t {
    pages: Mutex<Box<dyn Iterator<Item = Result<SubjectPage>> + Send>>,
}

/// Starts a paginator over every page of list subjects, `length` rows at a time.
/// Does no I/O until the first necid_subjects_paginator_next.
///
/// # Safety
/// `client` is NULL or live; `out_paginator` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_subjects_paginator_new(
    client: *const necid_client_t,
    length: u32,
    dir: i32,
    out_paginator: *mut *mut necid_subjects_paginator_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_paginator, "out_paginator")? };
        let c = unsafe { client_ref(client)? };
        let dir = sort_dir(dir)?;
        *out = out_box(necid_subjects_paginator_t {
            pages: Mutex::new(Box::new(c.subjects_paginator(length, dir))),
        });
        Ok(())
    })
}

/// Fetches the next page into `*out_page`; at the end returns NECID_OK with `*out_page`
/// NULL. After an error the paginator is finished.
///
/// # Safety
/// `paginator` is NULL or live; `out_page` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_subjects_paginator_next(
    paginator: *mut necid_subjects_paginator_t,
    out_page: *mut *mut necid_subject_page_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_page, "out_page")? };
        let p = unsafe { arg_ref(paginator, "paginator")? };
        let next = p.pages.lock().unwrap_or_else(|e| e.into_inner()).next();
        if let Some(page) = next {
            *out = out_box(page?.into());
        }
        Ok(())
    })
}

/// Frees a subjects paginator (NULL is a no-op).
///
/// # Safety
/// `paginator` is NULL or a paginator that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_subjects_paginator_free(paginator: *mut necid_subjects_paginator_t) {
    // SAFETY: per the contract.
    guard_value((), || unsafe { free_box(paginator) })
}

// ---------------------------------------------------------------------------------------
// Bulk registration

/// One file to register in a bulk job: an object name in the gallery's bucket, with tags.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_bulk_registration_t {
    pub filename: *const c_char,
    /// `tag_count` tags (NULL when 0).
    pub tags: *const *const c_char,
    pub tag_count: usize,
}

/// Iterates over every progress page of a batch. One thread at a time (locked inside).
pub struct necid_bulk_progress_paginator_t {
    pages: Mutex<Box<dyn Iterator<Item = Result<BulkProgressPage>> + Send>>,
}

/// Starts a paginator over every progress page of `batch_id` (no I/O yet).
///
/// # Safety
/// `client` NULL or live; `batch_id` NULL or NUL-terminated; `out_paginator` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_bulk_progress_paginator_new(
    client: *const necid_client_t,
    batch_id: *const c_char,
    out_paginator: *mut *mut necid_bulk_progress_paginator_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_paginator, "out_paginator")? };
        let c = unsafe { client_ref(client)? };
        let batch_id = unsafe { arg_str(batch_id, "batch_id")? };
        *out = out_box(necid_bulk_progress_paginator_t {
            pages: Mutex::new(Box::new(c.bulk_progress_paginator(batch_id))),
        });
        Ok(())
    })
}

/// Fetches the next progress page; at the end NECID_OK with `*out_page` NULL. After an
/// error the paginator is finished.
///
/// # Safety
/// `paginator` NULL or live; `out_page` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_bulk_progress_paginator_next(
    paginator: *mut necid_bulk_progress_paginator_t,
    out_page: *mut *mut necid_bulk_progress_page_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_page, "out_page")? };
        let p = unsafe { arg_ref(paginator, "paginator")? };
        let next = p.pages.lock().unwrap_or_else(|e| e.into_inner()).next();
        if let Some(page) = next {
            *out = out_box(page?.into());
        }
        Ok(())
    })
}

/// Frees a bulk progress paginator (NULL is a no-op).
///
/// # Safety
/// `paginator` is NULL or a paginator that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_bulk_progress_paginator_free(
    paginator: *mut necid_bulk_progress_paginator_t,
) {
    // SAFETY: per the contract.
    guard_value((), || unsafe { free_box(paginator) })
}

/// Polling settings of necid_wait_for_bulk_register; 0 takes the default.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_wait_options_t {
    /// First delay between polls in milliseconds (0: 1000).
    pub poll_interval_ms: u32,
    /// Polling backs off ×1.5 up to this, in milliseconds (0: 15000).
    pub max_poll_interval_ms: u32,
    /// Give up with NECID_ERR_TIMED_OUT after this many milliseconds (0: 30 minutes).
    pub timeout_ms: u64,
}

/// Progress callback of necid_wait_for_bulk_register: called after every poll with all
/// records so far. `progress` belongs to the library and is valid only during the call.
/// It runs on the thread that called necid_wait_for_bulk_register, so it may use that
/// thread's state and call other necid functions.
pub type necid_progress_callback_t =
    Option<unsafe extern "C" fn(progress: *const necid_bulk_progress_t, user_data: *mut c_void)>;

enum WaitMsg {
    Progress(necid::BulkProgress),
    Done(Result<necid::BulkProgress>),
}

/// Polls `batch_id` until every record is processed, calling `on_progress` (may be NULL)
/// with `user_data` after each poll, and writes the final progress to `*out_progress`.
/// `options` may be NULL for the defaults.
///
/// # Safety
/// `client` NULL or live; `batch_id` NULL or NUL-terminated; `options` NULL or valid;
/// `on_progress` NULL or a function safe to call with `user_data`; `out_progress` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_wait_for_bulk_register(
    client: *const necid_client_t,
    batch_id: *const c_char,
    options: *const necid_wait_options_t,
    on_progress: necid_progress_callback_t,
    user_data: *mut c_void,
    out_progress: *mut *mut necid_bulk_progress_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_progress, "out_progress")? };
        let c = unsafe { client_ref(client)? };
        let batch_id = unsafe { arg_str(batch_id, "batch_id")? };
        let mut opts = WaitOptions::default();
        // SAFETY: per the contract.
        if let Some(o) = unsafe { options.as_ref() } {
            if o.poll_interval_ms > 0 {
                opts.poll_interval = ms(o.poll_interval_ms);
            }
            if o.max_poll_interval_ms > 0 {
                opts.max_poll_interval = ms(o.max_poll_interval_ms);
            }
            if o.timeout_ms > 0 {
                opts.timeout = Duration::from_millis(o.timeout_ms);
            }
        }
        // The core calls its progress closure on a runtime worker thread. C callers expect
        // the callback on their own thread (and may call necid from it), so progress is
        // sent back here over a channel and the callback is invoked on this thread,
        // outside any runtime context. (A tokio channel, received with block_on, parks
        // this thread the same way every other blocking call does.)
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::new(
                necid::ErrorKind::InvalidInput,
                "necid_wait_for_bulk_register was called from inside an async runtime",
            ));
        }
        let rt = necid::runtime()?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<WaitMsg>();
        let progress_tx = tx.clone();
        let fut = c
            .as_async()
            .wait_for_bulk_register(batch_id, opts, move |p| {
                let _ = progress_tx.send(WaitMsg::Progress(p.clone()));
            });
        let task = rt.spawn(async move {
            let _ = tx.send(WaitMsg::Done(fut.await));
        });
        // Aborts the polling task if this thread leaves early (a panic in a conversion).
        struct AbortOnDrop(tokio::task::AbortHandle);
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                self.0.abort();
            }
        }
        let _abort = AbortOnDrop(task.abort_handle());
        while let Some(msg) = rt.block_on(rx.recv()) {
            match msg {
                WaitMsg::Progress(p) => {
                    if let Some(cb) = on_progress {
                        let view = necid_bulk_progress_t::from(&p);
                        // SAFETY: per the contract; `view` outlives the call.
                        unsafe { cb(&raw const view, user_data) };
                    }
                }
                WaitMsg::Done(result) => {
                    *out = out_box(necid_bulk_progress_t::from(&result?));
                    return Ok(());
                }
            }
        }
        Err(Error::new(
            necid::ErrorKind::Network,
            "the bulk-registration wait was cancelled (runtime shutting down)",
        ))
    })
}

// ---------------------------------------------------------------------------------------
// Signing

/// necid_sign_request at a fixed time (seconds since the Unix epoch, ≥ 0): reproducible
/// signatures for tests and test vectors.
///
/// # Safety
/// As necid_sign_request.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn necid_sign_request_at(
    client: *const necid_client_t,
    method: *const c_char,
    url: *const c_char,
    headers: *const necid_header_t,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    unix_time_secs: i64,
    out_headers: *mut *mut necid_header_list_t,
) -> necid_status_t {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_slot(out_headers, "out_headers")? };
        let c = unsafe { client_ref(client)? };
        let secs = u64::try_from(unix_time_secs)
            .map_err(|_| Error::invalid_input("unix_time_secs", "must not be negative"))?;
        let time = SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_secs(secs))
            .ok_or_else(|| Error::invalid_input("unix_time_secs", "is out of range"))?;
        let method = unsafe { arg_str(method, "method")? };
        let url = unsafe { arg_str(url, "url")? };
        let headers = unsafe { arg_headers(headers, header_count, "headers")? };
        let body = unsafe { arg_bytes(body, body_len, "body", true)? };
        *out = out_box(c.sign_request_at(method, url, &headers, body, time)?.into());
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// Tenant API

/// Body of necid_create_gallery. `name` is required; NULL strings and false `has_*`
/// flags leave a field out.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_new_gallery_t {
    pub name: *const c_char,
    pub description: *const c_char,
    pub has_face_minimum_quality_score: bool,
    /// Minimum face quality (≥ 0.45).
    pub face_minimum_quality_score: f64,
    pub has_size: bool,
    /// Capacity in events.
    pub size: u64,
}

/// Body of necid_update_gallery: only the fields set are changed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_gallery_update_t {
    pub name: *const c_char,
    pub description: *const c_char,
    pub has_size: bool,
    /// New capacity (may only grow).
    pub size: u64,
}

/// Body of necid_create_application. `name` and `gallery_id` are required.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_new_application_t {
    pub name: *const c_char,
    pub description: *const c_char,
    pub has_face_minimum_quality_score: bool,
    pub face_minimum_quality_score: f64,
    pub gallery_id: *const c_char,
}

/// Body of necid_update_application: only the fields set are changed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct necid_application_update_t {
    pub name: *const c_char,
    pub description: *const c_char,
    pub has_face_minimum_quality_score: bool,
    pub face_minimum_quality_score: f64,
}

fn opt_owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

/// A caller's struct argument as the core's: `arg` names the argument in errors
/// (`gallery.name`).
trait ToCore {
    type Core;
    /// # Safety
    /// The struct's strings are NULL or NUL-terminated.
    unsafe fn to_core(&self, arg: &str) -> Result<Self::Core>;
}

/// # Safety
/// `p` is NULL or a `T` whose strings are NULL or NUL-terminated.
unsafe fn arg_struct<T: ToCore>(p: *const T, arg: &str) -> Result<T::Core> {
    // SAFETY: per the contract.
    unsafe { arg_ref(p, arg)?.to_core(arg) }
}

/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn field_str(p: *const c_char, arg: &str, field: &str) -> Result<String> {
    // SAFETY: per the contract.
    unsafe { arg_str(p, &format!("{arg}.{field}")) }.map(str::to_owned)
}

/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn field_opt_str(p: *const c_char, arg: &str, field: &str) -> Result<Option<String>> {
    // SAFETY: per the contract.
    unsafe { arg_opt_str(p, &format!("{arg}.{field}")) }.map(opt_owned)
}

impl ToCore for necid_new_gallery_t {
    type Core = NewGallery;
    unsafe fn to_core(&self, arg: &str) -> Result<NewGallery> {
        // SAFETY: per the contract.
        Ok(NewGallery {
            name: unsafe { field_str(self.name, arg, "name")? },
            description: unsafe { field_opt_str(self.description, arg, "description")? },
            face_minimum_quality_score: (self.has_face_minimum_quality_score)
                .then_some(self.face_minimum_quality_score),
            size: self.has_size.then_some(self.size),
        })
    }
}

impl ToCore for necid_gallery_update_t {
    type Core = GalleryUpdate;
    unsafe fn to_core(&self, arg: &str) -> Result<GalleryUpdate> {
        // SAFETY: per the contract.
        Ok(GalleryUpdate {
            name: unsafe { field_opt_str(self.name, arg, "name")? },
            description: unsafe { field_opt_str(self.description, arg, "description")? },
            size: self.has_size.then_some(self.size),
        })
    }
}

impl ToCore for necid_new_application_t {
    type Core = NewApplication;
    unsafe fn to_core(&self, arg: &str) -> Result<NewApplication> {
        // SAFETY: per the contract.
        Ok(NewApplication {
            name: unsafe { field_str(self.name, arg, "name")? },
            description: unsafe { field_opt_str(self.description, arg, "description")? },
            face_minimum_quality_score: (self.has_face_minimum_quality_score)
                .then_some(self.face_minimum_quality_score),
            gallery_id: unsafe { field_str(self.gallery_id, arg, "gallery_id")? },
        })
    }
}

impl ToCore for necid_application_update_t {
    type Core = ApplicationUpdate;
    unsafe fn to_core(&self, arg: &str) -> Result<ApplicationUpdate> {
        // SAFETY: per the contract.
        Ok(ApplicationUpdate {
            name: unsafe { field_opt_str(self.name, arg, "name")? },
            description: unsafe { field_opt_str(self.description, arg, "description")? },
            face_minimum_quality_score: (self.has_face_minimum_quality_score)
                .then_some(self.face_minimum_quality_score),
        })
    }
}

/// `count` bulk registrations.
///
/// # Safety
/// `p` is NULL or `count` readable structs whose strings are NULL or NUL-terminated.
unsafe fn arg_registrations(
    p: *const necid_bulk_registration_t,
    count: usize,
    name: &str,
) -> Result<Vec<BulkRegistration>> {
    // SAFETY: per the contract.
    let regs = unsafe { arg_slice(p, count, name)? };
    regs.iter()
        .enumerate()
        .map(|(i, r)| {
            // SAFETY: per the contract.
            let filename = unsafe { arg_str(r.filename, &format!("{name}[{i}].filename"))? };
            let tags = unsafe { arg_str_array(r.tags, r.tag_count, &format!("{name}[{i}].tags"))? };
            Ok(BulkRegistration::new(filename, tags))
        })
        .collect()
}

/// `count` headers (the caller's strings).
///
/// # Safety
/// `p` is NULL or `count` readable headers whose strings are NULL or NUL-terminated.
pub(crate) unsafe fn arg_headers(
    p: *const necid_header_t,
    count: usize,
    name: &str,
) -> Result<Vec<(String, String)>> {
    // SAFETY: per the contract.
    let headers = unsafe { arg_slice(p, count, name)? };
    headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            // SAFETY: per the contract.
            Ok(unsafe {
                (
                    arg_str(h.name, &format!("{name}[{i}].name"))?.to_owned(),
                    arg_str(h.value, &format!("{name}[{i}].value"))?.to_owned(),
                )
            })
        })
        .collect()
}

/// A negative value means "the service default"; otherwise the value itself.
fn optional(v: i32) -> Option<u32> {
    u32::try_from(v).ok()
}
