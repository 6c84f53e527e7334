//! Per-call options (`CallOptions`, the last argument of every operation), `AbortSignal`
//! cancellation and the `$metadata` of results. The core decides everything (deadline,
//! retries, header checks, cancellation, what the metadata says); this converts.

use napi::bindgen_prelude::{FnArgs, Function, Object, ToNapiValue, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status, sys};
use napi_derive::napi;

use crate::client::{JsHeaders, header_pairs, millis};
use crate::models::{ResponseMetadata, whole};

/// Options of one call: the last argument of every operation.
#[napi(object, object_to_js = false)]
pub struct CallOptions {
    /// Fail with `TimedOutError` after this many milliseconds, every attempt and backoff
    /// included.
    pub deadline_ms: Option<f64>,
    /// Overrides the client's `maxAttempts` for this call (1 = no retries).
    pub max_attempts: Option<f64>,
    /// Extra request headers, signed with the request. The SDK's own (`authorization`,
    /// `host`, `x-api-key`, `x-amz-*`, `content-type`, …) are refused with
    /// `InvalidInputError`.
    #[napi(ts_type = "Record<string, string> | Array<[string, string]>")]
    pub headers: Option<JsHeaders>,
    /// Aborting it stops the call at once: its connection is closed, no retry follows,
    /// and the Promise rejects with `CancelledError`. An already aborted signal sends
    /// nothing.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Unknown<'static>>,
}

/// `signal.addEventListener` / `removeEventListener.bind` as napi sees them.
type AddListener<'a> = Function<'a, FnArgs<(&'a str, Function<'a, (), ()>)>, Unknown<'a>>;
type BindRemove<'a, 'e> = Function<
    'a,
    FnArgs<(Object<'a>, &'a str, Function<'a, (), ()>)>,
    Function<'e, (), Unknown<'e>>,
>;

/// A call's options, converted on the JS thread: the core options (or why they are
/// bad, reported by the Promise), and what to undo once the Promise settles.
pub(crate) struct Prepared<'e> {
    options: necid::Result<Option<necid::CallOptions>>,
    remove_listener: Option<Function<'e, (), Unknown<'e>>>,
}

impl<'e> Prepared<'e> {
    /// Read `options`; hook an `AbortSignal` to a core cancel token.
    pub(crate) fn new(env: &'e Env, options: Option<CallOptions>) -> napi::Result<Prepared<'e>> {
        let Some(o) = options else {
            return Ok(Prepared {
                options: Ok(None),
                remove_listener: None,
            });
        };
        let mut remove_listener = None;
        let mut cancel = None;
        if let Some(signal) = o.signal
            && !matches!(
                signal.get_type()?,
                napi::ValueType::Undefined | napi::ValueType::Null
            )
        {
            if signal.get_type()? != napi::ValueType::Object {
                return Err(napi::Error::new(
                    napi::Status::InvalidArg,
                    "signal: expected an AbortSignal",
                ));
            }
            // SAFETY: the value was just checked to be an object.
            let signal: Object<'_> = unsafe { signal.cast()? };
            let token = necid::CancelToken::new();
            if signal.get::<bool>("aborted")?.unwrap_or(false) {
                token.cancel();
            } else {
                let t = token.clone();
                let listener =
                    env.create_function_from_closure::<(), (), _>("necidAbort", move |_| {
                        t.cancel();
                        Ok(())
                    })?;
                let add: AddListener<'_> = signal
                    .get("addEventListener")?
                    .ok_or_else(|| napi::Error::from_reason("signal: not an AbortSignal"))?;
                add.apply(signal, FnArgs::from(("abort", listener)))?;
                // `signal.removeEventListener.bind(signal, 'abort', listener)`, called
                // when the Promise settles: a long-lived signal keeps no listener per call.
                let remove: Object<'_> = signal
                    .get("removeEventListener")?
                    .ok_or_else(|| napi::Error::from_reason("signal: not an AbortSignal"))?;
                let bind: BindRemove<'_, 'e> = remove
                    .get("bind")?
                    .ok_or_else(|| napi::Error::from_reason("signal: not an AbortSignal"))?;
                remove_listener =
                    Some(bind.apply(remove, FnArgs::from((signal, "abort", listener)))?);
            }
            cancel = Some(token);
        }
        let options = (|| {
            let mut c = necid::CallOptions::new();
            if let Some(ms) = o.deadline_ms {
                c.deadline = Some(millis("deadlineMs", ms)?);
            }
            c.max_attempts = whole("maxAttempts", o.max_attempts)?;
            c.headers = header_pairs(o.headers)?;
            c.cancel = cancel;
            Ok(Some(c))
        })();
        Ok(Prepared {
            options,
            remove_listener,
        })
    }

    /// The client view the call runs on (its metadata goes to `slot`), or the options'
    /// error.
    pub(crate) fn client(
        &self,
        client: &necid::Client,
        slot: &necid::MetadataSlot,
    ) -> necid::Result<necid::Client> {
        let c = client.with_metadata_slot(slot.clone());
        match &self.options {
            Ok(Some(o)) => Ok(c.with_options(o.clone())),
            Ok(None) => Ok(c),
            Err(e) => Err(e.clone()),
        }
    }

    /// The Promise the caller gets: `promise.finally(removeListener)` when a signal was
    /// hooked.
    pub(crate) fn finish(self, promise: Object<'e>) -> napi::Result<Object<'e>> {
        let Some(remove) = self.remove_listener else {
            return Ok(promise);
        };
        let finally: Function<'_, FnArgs<(Function<'_, (), Unknown<'_>>,)>, Object<'e>> = promise
            .get("finally")?
            .ok_or_else(|| napi::Error::from_reason("not a Promise"))?;
        finally.apply(promise, FnArgs::from((remove,)))
    }
}

/// A result with the call's metadata: objects and arrays get a non-enumerable
/// `$metadata` (so `deepStrictEqual` and `JSON.stringify` see the result as before);
/// `undefined` and strings stay as they are.
pub(crate) struct WithMetadata<T>(pub T, pub Option<necid::ResponseMetadata>);

impl<T: ToNapiValue> ToNapiValue for WithMetadata<T> {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let value = unsafe { T::to_napi_value(env, val.0) }?;
        let Some(m) = val.1 else { return Ok(value) };
        let mut ty = 0;
        napi::check_status!(unsafe { sys::napi_typeof(env, value, &mut ty) })?;
        if ty != sys::ValueType::napi_object {
            return Ok(value);
        }
        let meta = ResponseMetadata::from(m);
        let meta = unsafe { ResponseMetadata::to_napi_value(env, meta) }?;
        let prop = sys::napi_property_descriptor {
            utf8name: c"$metadata".as_ptr(),
            name: std::ptr::null_mut(),
            method: None,
            getter: None,
            setter: None,
            value: meta,
            attributes: sys::PropertyAttributes::writable | sys::PropertyAttributes::configurable,
            data: std::ptr::null_mut(),
        };
        napi::check_status!(unsafe { sys::napi_define_properties(env, value, 1, &prop) })?;
        Ok(value)
    }
}

/// One SDK log event (`setLogger`'s callback argument).
#[napi(object, object_from_js = false)]
pub struct LogEvent {
    /// `'error'`, `'warn'`, `'info'`, `'debug'` or `'trace'`.
    pub level: String,
    /// The Rust module that emitted it (`necid::transport`, `hyper_util::…`).
    pub target: String,
    /// The message with its fields and the request's (operation, status, attempt,
    /// request id). Never a secret.
    pub message: String,
}

/// Weak (unref'd): logging never keeps the process alive.
pub type LogFn = ThreadsafeFunction<LogEvent, Unknown<'static>, LogEvent, Status, false, true>;

/// Forward the SDK's log events at `level` (`'error'`, `'warn'`, `'info'` (default),
/// `'debug'`, `'trace'`) and above to `callback`, called on the JS thread (later, never
/// during a call of yours); `null` stops. Off by default: nothing is formatted until a
/// callback is set. Events: retries (info), every response and failure with its request
/// id (debug), a clock-skew correction (warn).
#[napi(catch_unwind)]
pub fn set_logger(
    env: Env,
    #[napi(ts_arg_type = "((event: LogEvent) => void) | null")] callback: Option<LogFn>,
    #[napi(ts_arg_type = "'off' | 'error' | 'warn' | 'info' | 'debug' | 'trace'")] level: Option<
        String,
    >,
) -> napi::Result<()> {
    let set = (|| {
        let level = necid::logging::LogLevel::parse(level.as_deref().unwrap_or("info"))?;
        let sink = callback.map(|f| {
            let f = std::sync::Arc::new(f);
            let sink: necid::logging::LogSink = std::sync::Arc::new(move |r| {
                let level = match r.level {
                    necid::logging::LogLevel::Error => "error",
                    necid::logging::LogLevel::Warn => "warn",
                    necid::logging::LogLevel::Info => "info",
                    necid::logging::LogLevel::Debug => "debug",
                    _ => "trace",
                };
                let _ = f.call(
                    LogEvent {
                        level: level.to_owned(),
                        target: r.target.to_owned(),
                        message: r.message.to_owned(),
                    },
                    ThreadsafeFunctionCallMode::NonBlocking,
                );
            });
            sink
        });
        necid::logging::set_log_sink(sink, level)
    })();
    set.map_err(|e| crate::to_js_error(&env, &e))
}
