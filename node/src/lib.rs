//! Node.js binding of the necid SDK (napi-rs).
//!
//! The binding converts types and errors and nothing else; validation, retries, signing
//! and parsing live in the Rust core (`necid`).
//!
//! How async calls work: every operation builds the core's `'static + Send` future, spawns
//! it onto the core's one process-wide tokio runtime ([`necid::runtime`]) and returns a
//! Promise. The Promise is settled through one threadsafe function per JS thread shared by
//! every call (`settle.rs`), so the conversion to JS values — including building the typed
//! error object with its `code` — happens on the JS thread, and the event loop never waits
//! for the network. No second runtime is created (napi's own tokio runtime is not enabled).
//!
//! Errors are instances of the JS classes in `errors.js` (`NecIdError` and one subclass per
//! kind): `index.js` registers a factory for them once at load time; the binding calls it
//! on the JS thread. A panic anywhere in an operation is caught and rejects the Promise
//! (code `"INTERNAL"`); it never aborts the process.

// `node_client!` (client.rs) munches the operation table one token group at a time,
// nesting one expansion per argument of every operation.
#![recursion_limit = "512"]

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt as _;
use napi::bindgen_prelude::{FnArgs, Function, FunctionRef, Object, ToNapiValue, Unknown};
use napi::{Env, JsValue as _};
use napi_derive::napi;

mod call;
mod client;
mod models;
mod settle;

pub use call::*;
pub use client::*;
pub use models::*;

/// What the JS error factory (`makeError` in errors.js) receives, as positional arguments:
/// `(kind, code, message, status, errorCode, errorType, requestId, field)` — the core kind
/// name (`"NoFace"`), the Node-style code (`"NO_FACE"`), the message (never a secret), the
/// HTTP status, the service's errorCode and errorType, the request id, and for
/// InvalidInput the rejected argument.
type ErrorArgs = (
    String,
    String,
    String,
    Option<u32>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
);
type ErrorFactory = FunctionRef<FnArgs<ErrorArgs>, Unknown<'static>>;

thread_local! {
    // One per JS thread (main thread and each worker thread load their own copy of the
    // exports, and each registers its own factory).
    static ERROR_FACTORY: RefCell<Option<ErrorFactory>> = const { RefCell::new(None) };
}

/// Internal: `index.js` registers the function that builds typed error objects.
#[napi(catch_unwind, skip_typescript, js_name = "__registerErrorFactory")]
pub fn register_error_factory(
    factory: Function<FnArgs<ErrorArgs>, Unknown<'static>>,
) -> napi::Result<()> {
    let r = factory.create_ref()?;
    ERROR_FACTORY.with(|f| *f.borrow_mut() = Some(r));
    Ok(())
}

/// `InvalidInput` → `INVALID_INPUT`: the Node-style code of a kind name.
fn screaming_snake(kind: &str) -> String {
    let mut out = String::with_capacity(kind.len() + 4);
    for (i, ch) in kind.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out
}

fn error_args(e: &necid::Error) -> ErrorArgs {
    let kind = e.kind().as_str();
    (
        kind.to_owned(),
        screaming_snake(kind),
        e.to_string(),
        e.status().map(u32::from),
        e.error_code(),
        e.error_type().map(str::to_owned),
        e.request_id().map(str::to_owned),
        e.field().map(str::to_owned),
    )
}

/// Build the JS error object for `args` on the JS thread and wrap it so napi rejects (or
/// throws) with exactly that object.
fn js_error(env: &Env, args: ErrorArgs) -> napi::Error {
    let made = ERROR_FACTORY.with(|f| -> Option<napi::Result<napi::Error>> {
        let f = f.borrow();
        let factory = f.as_ref()?;
        Some(
            factory
                .borrow_back(env)
                .and_then(|func| func.call(FnArgs::from(args.clone())))
                .map(napi::Error::from),
        )
    });
    match made {
        Some(Ok(e)) => e,
        // No factory (the raw `.node` loaded without index.js) or the factory failed: a plain
        // Error with the same fields, so callers still get `code` and friends.
        _ => plain_error(env, args).unwrap_or_else(|e| e),
    }
}

fn plain_error(env: &Env, args: ErrorArgs) -> napi::Result<napi::Error> {
    let (kind, code, message, status, error_code, error_type, request_id, field) = args;
    let mut obj: Object = env.create_error(napi::Error::from_reason(message))?;
    obj.set("code", code)?;
    obj.set("kind", kind)?;
    obj.set("status", status)?;
    obj.set("errorCode", error_code)?;
    obj.set("errorType", error_type)?;
    obj.set("requestId", request_id)?;
    obj.set("field", field)?;
    Ok(napi::Error::from(obj.to_unknown()))
}

/// The typed JS error for a core error (call on the JS thread).
pub(crate) fn to_js_error(env: &Env, e: &necid::Error) -> napi::Error {
    js_error(env, error_args(e))
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// The JS error for a caught panic: the base `NecIdError` with code `INTERNAL`.
fn panic_error(env: &Env, payload: &(dyn Any + Send)) -> napi::Error {
    let message = format!(
        "Internal: the necid native addon panicked (a bug; please report it): {}",
        panic_message(payload)
    );
    let (kind, code) = ("Internal".to_owned(), "INTERNAL".to_owned());
    js_error(env, (kind, code, message, None, None, None, None, None))
}

/// Run `f` (synchronous binding code on the JS thread) and turn a panic into a thrown
/// `NecIdError` instead of an abort.
pub(crate) fn guard<T>(env: &Env, f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(panic_error(env, payload.as_ref())),
    }
}

/// Why a Promise of [`spawn_promise`] rejects (`?` on a core error gives `Core`).
pub(crate) enum Rejection {
    /// A core error: becomes the typed error object.
    Core(necid::Error),
    /// An exception thrown by the caller's own callback: rejected with as thrown.
    Js(napi::Error),
}

impl From<necid::Error> for Rejection {
    fn from(e: necid::Error) -> Self {
        Rejection::Core(e)
    }
}

/// Spawn the future `make_fut` makes onto the core runtime and return a Promise for its
/// (converted) result.
///
/// The future's output is converted to a JS value on the JS thread; a core error becomes
/// the typed error object, a JS exception (from a caller's callback) is rejected with as
/// thrown; a panic (in the future or in `make_fut`) rejects the Promise.
pub(crate) fn spawn_promise<'env, T, Fut>(
    env: &'env Env,
    make_fut: impl FnOnce() -> Fut,
) -> napi::Result<Object<'env>>
where
    T: ToNapiValue + Send + 'static,
    Fut: Future<Output = Result<T, Rejection>> + Send + 'static,
{
    let (deferred, promise) = settle::deferred(env)?;
    let fut = match std::panic::catch_unwind(AssertUnwindSafe(make_fut)) {
        Ok(fut) => fut,
        Err(payload) => {
            let msg = panic_message(payload.as_ref());
            deferred.settle(Box::new(move |env: &Env| Err(panic_error(env, &msg))));
            return Ok(promise);
        }
    };
    let rt = match necid::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            deferred.settle(Box::new(move |env: &Env| Err(to_js_error(env, &e))));
            return Ok(promise);
        }
    };
    // Combinators, not an `async move { … }` around `fut`: an async block would store the
    // operation's future twice (the captured value and the awaited one), and the whole
    // state is copied into the task when it is spawned (25 KB instead of 12.5 KB for
    // `extractFaces`, measured with size_of_val). The task holds the future once.
    rt.spawn(AssertUnwindSafe(fut).catch_unwind().map(move |outcome| {
        deferred.settle(Box::new(move |env: &Env| match outcome {
            Ok(Ok(value)) => settle::value(env, value),
            Ok(Err(Rejection::Core(e))) => Err(to_js_error(env, &e)),
            Ok(Err(Rejection::Js(e))) => Err(e),
            Err(payload) => Err(panic_error(env, payload.as_ref())),
        }));
    }));
    Ok(promise)
}

/// Internal test hook: a panic inside an async operation rejects its Promise. Only in
/// builds with the `test-hooks` feature (the test suite's); never in a shipped addon.
#[cfg(feature = "test-hooks")]
#[napi(skip_typescript, js_name = "__panicForTest")]
pub fn panic_for_test(env: &Env) -> napi::Result<Object<'_>> {
    spawn_promise(env, || async {
        #[allow(clippy::panic)]
        if std::hint::black_box(true) {
            panic!("deliberate test panic (async)");
        }
        Ok(())
    })
}

/// Internal test hook: a panic in synchronous binding code throws instead of aborting.
/// Only with the `test-hooks` feature.
#[cfg(feature = "test-hooks")]
#[napi(skip_typescript, js_name = "__panicSyncForTest")]
pub fn panic_sync_for_test(env: &Env) -> napi::Result<()> {
    guard(env, || {
        #[allow(clippy::panic)]
        if std::hint::black_box(true) {
            panic!("deliberate test panic (sync)");
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::screaming_snake;

    #[test]
    fn codes() {
        assert_eq!(screaming_snake("InvalidInput"), "INVALID_INPUT");
        assert_eq!(screaming_snake("NoFace"), "NO_FACE");
        assert_eq!(screaming_snake("Auth"), "AUTH");
        assert_eq!(screaming_snake("TimedOut"), "TIMED_OUT");
    }
}
