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

use crate::error::{guard, guard_out, guard_value, necid_status_t};
use crate::types::*;
use crate::util::{
    arg_bytes, arg_each, arg_image, arg_opt, arg_opt_str, arg_ref, arg_str, arg_str_array,
    free_box, out_box, out_slot, out_str,
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

/// `necid_config_t` and `build_config`, from one list of its fields: each is a setting of
/// the core's table (`necid::CONFIG_KEYS`) by its name, read as `text` (NULL: not set),
/// `millis(setting)` or `count` (0: not set), `pem` (a pointer and its length `[len]`;
/// NULL with 0: not set), or `none` (not a setting).
macro_rules! c_config {
    (
        $(#[$attr:meta])*
        pub struct $c:ident {
            $($(#[doc = $d:literal])* $f:ident $([$len:ident])?: $t:ty = $kind:ident $(($name:ident))?,)*
        }
    ) => {
        $(#[$attr])*
        pub struct $c {
            $(
                $(#[doc = $d])*
                pub $f: $t,
                $(#[doc = concat!(" Length of ", stringify!($f), " in bytes.")] pub $len: usize,)?
            )*
        }

        /// The caller's settings as the core's `Config`: every value is read (and checked)
        /// first, then set in the table's order.
        ///
        /// # Safety
        /// Every string in `c` is NULL or NUL-terminated; every `pem` pointer is NULL or
        /// readable for its length.
        unsafe fn build_config(c: &$c) -> Result<Config> {
            $(c_config!(@let c $f $kind $([$len])?);)*
            let mut b = Config::builder();
            $(c_config!(@set b $f $kind $($name)?);)*
            if let Some(f) = c.credentials_provider {
                let p = CProvider {
                    f,
                    user_data: c.credentials_provider_user_data,
                };
                b = b.credentials_provider(necid::credentials_fn(move || p.call()));
            }
            b.build()
        }
    };
    (@let $c:ident $f:ident none) => {};
    (@let $c:ident $f:ident text) => {
        // SAFETY: per the contract.
        let $f = unsafe { arg_opt_str($c.$f, stringify!($f))? };
        let $f = $f.map(|v| ConfigValue::Text(v.to_owned()));
    };
    (@let $c:ident $f:ident millis) => {
        let $f = ($c.$f > 0).then(|| ConfigValue::Duration(ms($c.$f)));
    };
    (@let $c:ident $f:ident count) => {
        let $f = ($c.$f > 0).then_some(ConfigValue::Count($c.$f));
    };
    (@let $c:ident $f:ident pem [$len:ident]) => {
        // SAFETY: per the contract.
        let $f = unsafe { arg_bytes($c.$f, $c.$len, stringify!($f), true)? };
        let $f = (!$f.is_empty()).then(|| ConfigValue::Bytes($f.to_vec()));
    };
    (@set $b:ident $f:ident none) => {};
    (@set $b:ident $f:ident $kind:ident $($name:ident)?) => {
        if let Some(v) = $f {
            $b = $b.set(c_config!(@name $f $($name)?), v)?;
        }
    };
    (@name $f:ident) => { stringify!($f) };
    (@name $f:ident $name:ident) => { stringify!($name) };
}

c_config! {
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
        struct_size: usize = none,
        /// Biometric API endpoint (default "https://api.id.nec.com.au").
        endpoint: *const c_char = text,
        /// Tenant (portal) API endpoint (default "https://portal.id.nec.com.au").
        tenant_endpoint: *const c_char = text,
        /// SigV4 region (default "ap-southeast-2").
        region: *const c_char = text,
        /// SigV4 service (default "execute-api").
        service: *const c_char = text,
        /// Access key id (with secret_access_key, or neither).
        access_key_id: *const c_char = text,
        /// Secret access key.
        secret_access_key: *const c_char = text,
        /// Session token of temporary credentials, or NULL.
        session_token: *const c_char = text,
        /// Application API key (x-api-key), selecting the gallery.
        api_key: *const c_char = text,
        /// Connect timeout in milliseconds (0: 10 s).
        connect_timeout_ms: u32 = millis(connect_timeout),
        /// Per-attempt request timeout in milliseconds (0: 60 s).
        request_timeout_ms: u32 = millis(request_timeout),
        /// Total attempts including the first (0: 3; 1 disables retries).
        max_attempts: u32 = count,
        /// Retry backoff base in milliseconds (0: 200 ms).
        retry_base_delay_ms: u32 = millis(retry_base_delay),
        /// Retry backoff ceiling in milliseconds (0: 5 s).
        retry_max_delay_ms: u32 = millis(retry_max_delay),
        /// Appended to the User-Agent header, or NULL.
        user_agent_suffix: *const c_char = text,
        /// Longest server Retry-After honoured, in milliseconds (0: 20 s); longer values are
        /// capped to it.
        max_retry_after_ms: u32 = millis(max_retry_after),
        /// Trusted CAs for https://: "platform" (the OS store; NULL = default), "bundled"
        /// (Mozilla roots built in) or "custom" (only the CA bundle).
        tls_roots: *const c_char = text,
        /// Path of a PEM file of CA certificates, or NULL (alone: the only trust; with
        /// tls_roots "platform"/"bundled": trusted in addition).
        ca_bundle: *const c_char = text,
        /// The CA bundle as PEM bytes instead of a file (NULL/0: none); copied.
        ca_bundle_pem[ca_bundle_pem_len]: *const u8 = pem,
        /// HTTP proxy for every request, "http://[user:password@]host:port" (https://
        /// endpoints are tunnelled with CONNECT), or NULL: HTTPS_PROXY/HTTP_PROXY/NO_PROXY.
        proxy: *const c_char = text,
        /// Most idle connections kept open per host (0: no limit, the default).
        pool_max_idle_per_host: u32 = count,
        /// How long an idle connection stays in the pool, in milliseconds (0: 60 s).
        pool_idle_timeout_ms: u32 = millis(pool_idle_timeout),
        /// Refreshable credentials instead of access_key_id/secret_access_key/session_token
        /// (NULL: the static keys). See necid_credentials_provider_t.
        credentials_provider: necid_credentials_provider_t = none,
        /// Passed to credentials_provider as is.
        credentials_provider_user_data: *mut c_void = none,
        /// Request of necid_rename_tag: "auto" (NULL = default: `PUT /tags/{old}` with
        /// `{"newName"}`, then `PUT /tags/{old}/{new}` once on a 404, 400 InvalidRequest or 403
        /// missing route, remembered), "body" (only the first) or "path" (only the v1.1
        /// reference's second).
        rename_tag_form: *const c_char = text,
        /// Path of a PEM file holding the client certificate for servers that require mutual
        /// TLS (leaf first, then any intermediates), or NULL; needs client_key or
        /// client_key_pem. Read and checked against the key by necid_client_new.
        client_cert: *const c_char = text,
        /// Path of the client certificate's PEM private key (PKCS#8, RSA or EC; may be the
        /// same file), or NULL. Never printed or logged.
        client_key: *const c_char = text,
        /// The client certificate as PEM bytes instead of a file (NULL/0: none); copied.
        client_cert_pem[client_cert_pem_len]: *const u8 = pem,
        /// The client certificate's private key as PEM bytes instead of a file (NULL/0:
        /// none); copied.
        client_key_pem[client_key_pem_len]: *const u8 = pem,
    }
}

impl From<Client> for necid_client_t {
    fn from(inner: Client) -> Self {
        necid_client_t { inner, slot: None }
    }
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
    // SAFETY: per the contract.
    unsafe {
        guard_out(out_client, "out_client", || {
            Client::new(build_config(&read_config(config)?)?).map(necid_client_t::from)
        })
    }
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
    // SAFETY: per the contract.
    unsafe {
        guard_out(out_client, "out_client", || {
            Client::from_env().map(Into::into)
        })
    }
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
    // SAFETY: per the contract.
    unsafe {
        guard_out(out_client, "out_client", || {
            let profile = arg_opt_str(profile, "profile")?;
            Client::new(Config::from_profile(profile)?).map(Into::into)
        })
    }
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
/// (and, for a pointer-and-length argument, its second parameter's name in `@len`).
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
    (@args $out:tt $st:tt $arg:ident : [$core:ident] { $($fields:tt)* } $(, $($rest:tt)*)?) => {
        c_operations!(@struct $core $arg $out $st [$($($rest)*)?] { $($fields)* });
    };
    (@args $out:tt $st:tt $arg:ident : [$($ty:tt)*] $(, $($rest:tt)*)?) => {
        c_operations!(@ty [$($ty)*] $arg $out $st [$($($rest)*)?]);
    };
    (@struct SearchRequest $arg:ident $out:tt $st:tt [$($rest:tt)*] { $($fields:tt)* }) => {
        // Flattened: its fields are the C function's arguments.
        c_operations!(@args $out $st $($fields)* $(, $rest)*);
    };
    (@struct NewGallery $($k:tt)*) => { c_operations!(@ptr necid_new_gallery_t $($k)*); };
    (@struct GalleryUpdate $($k:tt)*) => { c_operations!(@ptr necid_gallery_update_t $($k)*); };
    (@struct NewApplication $($k:tt)*) => { c_operations!(@ptr necid_new_application_t $($k)*); };
    (@struct ApplicationUpdate $($k:tt)*) => { c_operations!(@ptr necid_application_update_t $($k)*); };
    // A struct the caller passes by pointer (converted by its `to_core`).
    (@ptr $cty:ident $a:ident $out:tt $st:tt $rest:tt $fields:tt) => {
        c_operations!(@one $a [*const $cty]
            [unsafe { $cty::to_core(arg_ref($a, stringify!($a))?, stringify!($a))? }]
            "NULL or valid, its strings NULL or NUL-terminated." $out $st $rest);
    };

    // Each argument type: one parameter (its C type, its conversion, its doc) ...
    (@ty [u32] $a:ident $out:tt [$d:tt $n:ident $c:tt [$($p:tt)*] $s:tt $sd:tt] [$($rest:tt)*]) => {
        c_operations!(@args $out [$d $n $c [$($p)* $a: u32,] $s $sd] $($rest)*);
    };
    (@ty [&str] $a:ident $($k:tt)*) => {
        c_operations!(@one $a [*const c_char] [unsafe { arg_str($a, stringify!($a))? }]
            "NULL or NUL-terminated." $($k)*);
    };
    (@ty [Option<&str>] $a:ident $($k:tt)*) => {
        c_operations!(@one $a [*const c_char] [unsafe { arg_opt_str($a, stringify!($a))? }]
            "NULL (none) or NUL-terminated." $($k)*);
    };
    (@ty [Option<u32>] $a:ident $($k:tt)*) => {
        // A negative value is none; otherwise the value itself.
        c_operations!(@one $a [i32] [u32::try_from($a).ok()] "negative for the service default." $($k)*);
    };
    (@ty [SortDirection] $a:ident $($k:tt)*) => {
        c_operations!(@one $a [i32] [sort_dir($a)?]
            "a necid_sort_dir_t (another value is NECID_ERR_INVALID_INPUT)." $($k)*);
    };
    // ... or a pointer and a length or count (its C type, its conversion, its doc).
    (@ty [impl Into<Image>] $($k:tt)*) => { c_operations!(@ty [Image] $($k)*); };
    (@ty [Image] $a:ident $($k:tt)*) => {
        c_operations!(@len $a $a [*const u8] [arg_image] [] "that many bytes of JPEG, PNG, GIF, BMP, WebP or TIFF" $($k)*);
    };
    (@ty [Option<Image>] $a:ident $($k:tt)*) => {
        c_operations!(@len $a $a [*const u8] [arg_opt] [arg_image] "that many bytes of JPEG, PNG, GIF, BMP, WebP or TIFF, or NULL with 0 for no new face" $($k)*);
    };
    (@ty [&[u8]] $a:ident $($k:tt)*) => {
        c_operations!(@len $a $a [*const u8] [arg_bytes] [true] "that many bytes (NULL with 0 for none)" $($k)*);
    };
    (@ty [Option<&[String]>] $a:ident $($k:tt)*) => {
        c_operations!(@len $a $a [*const *const c_char] [arg_opt] [arg_str_array] "NULL with 0: tags not sent (kept); non-NULL: that many NUL-terminated strings, sent (0 of them clears the tags)" $($k)*);
    };
    (@ty [Vec<String>] $($k:tt)*) => { c_operations!(@ty [&[String]] $($k)*); };
    (@ty [&[String]] $a:ident $($k:tt)*) => {
        c_operations!(@len $a $a [*const *const c_char] [arg_str_array] [] "that many NUL-terminated strings (NULL with 0 for none)" $($k)*);
    };
    (@ty [&[(String, String)]] $a:ident $($k:tt)*) => {
        c_operations!(@len $a $a [*const necid_header_t] [arg_headers] [] "that many headers, NUL-terminated (NULL with 0 for none)" $($k)*);
    };
    (@ty [&[BulkRegistration]] $a:ident $($k:tt)*) => {
        c_operations!(@len $a $a [*const necid_bulk_registration_t] [arg_registrations] [] "that many structs, strings NUL-terminated" $($k)*);
    };
    (@one $a:ident [$($pt:tt)*] [$($conv:tt)*] $doc:literal $out:tt
        [$d:tt $n:ident $c:tt [$($p:tt)*] [$($s:tt)*] [$($sd:tt)*]] [$($rest:tt)*]) => {
        c_operations!(@args $out [$d $n $c [$($p)* $a: $($pt)*,] [$($s)* let $a = $($conv)*;]
            [$($sd)* #[doc = concat!(" - `", stringify!($a), "`: ", $doc)]]] $($rest)*);
    };
    // The second parameter's name.
    (@len face $a:ident $($k:tt)*) => { c_operations!(@pair $a face_len $($k)*); };
    (@len image $a:ident $($k:tt)*) => { c_operations!(@pair $a image_len $($k)*); };
    (@len probe $a:ident $($k:tt)*) => { c_operations!(@pair $a probe_len $($k)*); };
    (@len body $a:ident $($k:tt)*) => { c_operations!(@pair $a body_len $($k)*); };
    (@len tags $a:ident $($k:tt)*) => { c_operations!(@pair $a tag_count $($k)*); };
    (@len headers $a:ident $($k:tt)*) => { c_operations!(@pair $a header_count $($k)*); };
    (@len registrations $a:ident $($k:tt)*) => { c_operations!(@pair $a count $($k)*); };
    (@pair $a:ident $len:ident [$($pt:tt)*] [$f:ident] [$($x:tt)?] $doc:literal $out:tt
        [$d:tt $n:ident $c:tt [$($p:tt)*] [$($s:tt)*] [$($sd:tt)*]] [$($rest:tt)*]) => {
        c_operations!(@args $out [$d $n $c
            [$($p)* $a: $($pt)*, $len: usize,]
            [$($s)* let $a = unsafe { $f($a, $len, stringify!($a) $(, $x)?)? };]
            [$($sd)* #[doc = concat!(" - `", stringify!($a), "`, `", stringify!($len), "`: ", $doc, ".")]]
        ] $($rest)*);
    };

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

/// A paginator: its opaque struct (the core's page iterator, locked so misuse from two
/// threads is serialised, not undefined), its `new` (the client `c`'s iterator, from the
/// listed arguments), its `next` (a page into `*out_page`; at the end NECID_OK with
/// `*out_page` NULL; after an error the paginator is finished) and `free`.
macro_rules! c_paginator {
    (
        $(#[doc = $doc:literal])* $p:ident of $page:ident as $cpage:ident,
        $(#[doc = $sdoc:literal])* new $new:ident($($a:ident: $t:ty),*) |$c:ident| $pages:expr,
        $(#[doc = $ndoc:literal])* next $next:ident,
        $(#[doc = $fdoc:literal])* free $free:ident,
    ) => {
        $(#[doc = $doc])*
        pub struct $p {
            pages: Mutex<Box<dyn Iterator<Item = Result<$page>> + Send>>,
        }

        $(#[doc = $sdoc])*
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $new(
            client: *const necid_client_t,
            $($a: $t,)*
            out_paginator: *mut *mut $p,
        ) -> necid_status_t {
            // SAFETY: per the contract.
            unsafe {
                guard_out(out_paginator, "out_paginator", || {
                    let $c = client_ref(client)?;
                    Ok($p {
                        pages: Mutex::new(Box::new($pages)),
                    })
                })
            }
        }

        $(#[doc = $ndoc])*
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $next(paginator: *mut $p, out_page: *mut *mut $cpage) -> necid_status_t {
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

        $(#[doc = $fdoc])*
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $free(paginator: *mut $p) {
            // SAFETY: per the contract.
            guard_value((), || unsafe { free_box(paginator) })
        }
    };
}

c_paginator! {
    /// Iterates over every page of list subjects. Use one paginator from one thread at a
    /// time (it is locked internally, so misuse is serialised, not undefined).
    necid_subjects_paginator_t of SubjectPage as necid_subject_page_t,
    /// Starts a paginator over every page of list subjects, `length` rows at a time.
    /// Does no I/O until the first necid_subjects_paginator_next.
    ///
    /// # Safety
    /// `client` is NULL or live; `out_paginator` is NULL or writable.
    new necid_subjects_paginator_new(length: u32, dir: i32)
        |c| c.subjects_paginator(length, sort_dir(dir)?),
    /// Fetches the next page into `*out_page`; at the end returns NECID_OK with `*out_page`
    /// NULL. After an error the paginator is finished.
    ///
    /// # Safety
    /// `paginator` is NULL or live; `out_page` is NULL or writable.
    next necid_subjects_paginator_next,
    /// Frees a subjects paginator (NULL is a no-op).
    ///
    /// # Safety
    /// `paginator` is NULL or a paginator that was not freed before.
    free necid_subjects_paginator_free,
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

c_paginator! {
    /// Iterates over every progress page of a batch. One thread at a time (locked inside).
    necid_bulk_progress_paginator_t of BulkProgressPage as necid_bulk_progress_page_t,
    /// Starts a paginator over every progress page of `batch_id` (no I/O yet).
    ///
    /// # Safety
    /// `client` NULL or live; `batch_id` NULL or NUL-terminated; `out_paginator` NULL or
    /// writable.
    new necid_bulk_progress_paginator_new(batch_id: *const c_char)
        |c| c.bulk_progress_paginator(arg_str(batch_id, "batch_id")?),
    /// Fetches the next progress page; at the end NECID_OK with `*out_page` NULL. After an
    /// error the paginator is finished.
    ///
    /// # Safety
    /// `paginator` NULL or live; `out_page` NULL or writable.
    next necid_bulk_progress_paginator_next,
    /// Frees a bulk progress paginator (NULL is a no-op).
    ///
    /// # Safety
    /// `paginator` is NULL or a paginator that was not freed before.
    free necid_bulk_progress_paginator_free,
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
    // SAFETY: per the contract.
    unsafe {
        guard_out(out_headers, "out_headers", || {
            let c = client_ref(client)?;
            let secs = u64::try_from(unix_time_secs)
                .map_err(|_| Error::invalid_input("unix_time_secs", "must not be negative"))?;
            let time = SystemTime::UNIX_EPOCH
                .checked_add(Duration::from_secs(secs))
                .ok_or_else(|| Error::invalid_input("unix_time_secs", "is out of range"))?;
            let method = arg_str(method, "method")?;
            let url = arg_str(url, "url")?;
            let headers = arg_headers(headers, header_count, "headers")?;
            let body = arg_bytes(body, body_len, "body", true)?;
            Ok(c.sign_request_at(method, url, &headers, body, time)?.into())
        })
    }
}

// ---------------------------------------------------------------------------------------
// Tenant API

/// The structs a caller passes by pointer (the tenant API's bodies), each with its
/// `to_core` (`arg` names the argument in errors: `gallery.name`), from one list of
/// fields: `f: *const c_char = required` (NULL is NECID_ERR_INVALID_INPUT), `f: *const
/// c_char` (NULL: not given), `has_f f?: T` (a value and its flag).
macro_rules! c_inputs {
    ($($(#[doc = $doc:literal])* $c:ident => $core:ident { $($fields:tt)* })*) => {$(
        c_inputs!(@field [v arg [$(#[doc = $doc])*] $c $core] [] [] $($fields)*);
    )*};
    (@field [$v:ident $arg:ident $($h:tt)*] [$($sf:tt)*] [$($cf:tt)*]
        $(#[doc = $fd:literal])* $has:ident $f:ident ?: $t:ty, $($r:tt)*) => {
        c_inputs!(@field [$v $arg $($h)*] [$($sf)* pub $has: bool, $(#[doc = $fd])* pub $f: $t,]
            [$($cf)* $f: $v.$has.then_some($v.$f),] $($r)*);
    };
    (@field [$v:ident $arg:ident $($h:tt)*] [$($sf:tt)*] [$($cf:tt)*]
        $(#[doc = $fd:literal])* $f:ident: *const c_char = required, $($r:tt)*) => {
        c_inputs!(@field [$v $arg $($h)*] [$($sf)* $(#[doc = $fd])* pub $f: *const c_char,]
            [$($cf)* $f: arg_str($v.$f, &format!("{}.{}", $arg, stringify!($f)))?.to_owned(),]
            $($r)*);
    };
    (@field [$v:ident $arg:ident $($h:tt)*] [$($sf:tt)*] [$($cf:tt)*]
        $(#[doc = $fd:literal])* $f:ident: *const c_char, $($r:tt)*) => {
        c_inputs!(@field [$v $arg $($h)*] [$($sf)* $(#[doc = $fd])* pub $f: *const c_char,]
            [$($cf)* $f: arg_opt_str($v.$f, &format!("{}.{}", $arg, stringify!($f)))?
                .map(str::to_owned),]
            $($r)*);
    };
    (@field [$v:ident $arg:ident [$($d:tt)*] $c:ident $core:ident] [$($sf:tt)*] [$($cf:tt)*]) => {
        $($d)*
        #[repr(C)]
        #[derive(Debug, Clone, Copy)]
        pub struct $c {
            $($sf)*
        }

        impl $c {
            /// # Safety
            /// The struct's strings are NULL or NUL-terminated.
            unsafe fn to_core($v: &Self, $arg: &str) -> Result<$core> {
                // SAFETY: per the contract.
                Ok(unsafe { $core { $($cf)* } })
            }
        }
    };
}

c_inputs! {
    /// Body of necid_create_gallery. `name` is required; NULL strings and false `has_*`
    /// flags leave a field out.
    necid_new_gallery_t => NewGallery {
        name: *const c_char = required,
        description: *const c_char,
        /// Minimum face quality (≥ 0.45).
        has_face_minimum_quality_score face_minimum_quality_score?: f64,
        /// Capacity in events.
        has_size size?: u64,
    }

    /// Body of necid_update_gallery: only the fields set are changed.
    necid_gallery_update_t => GalleryUpdate {
        name: *const c_char,
        description: *const c_char,
        /// New capacity (may only grow).
        has_size size?: u64,
    }

    /// Body of necid_create_application. `name` and `gallery_id` are required.
    necid_new_application_t => NewApplication {
        name: *const c_char = required,
        description: *const c_char,
        has_face_minimum_quality_score face_minimum_quality_score?: f64,
        gallery_id: *const c_char = required,
    }

    /// Body of necid_update_application: only the fields set are changed.
    necid_application_update_t => ApplicationUpdate {
        name: *const c_char,
        description: *const c_char,
        has_face_minimum_quality_score face_minimum_quality_score?: f64,
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
    unsafe {
        arg_each(p, count, name, |r, item| {
            let filename = arg_str(r.filename, &format!("{item}.filename"))?;
            let tags = arg_str_array(r.tags, r.tag_count, &format!("{item}.tags"))?;
            Ok(BulkRegistration::new(filename, tags))
        })
    }
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
    unsafe {
        arg_each(p, count, name, |h, item| {
            let name = arg_str(h.name, &format!("{item}.name"))?;
            Ok((
                name.to_owned(),
                arg_str(h.value, &format!("{item}.value"))?.to_owned(),
            ))
        })
    }
}
