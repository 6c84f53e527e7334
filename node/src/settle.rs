//! Settling the Promises of async calls from the core runtime.
//!
//! `napi::Env::create_deferred` makes a threadsafe function per Promise: per call, a uv
//! async handle is created and later closed, an async resource and an env cleanup hook are
//! registered and removed, and the settle is its own `uv_async_send`. Here each JS thread
//! (the main thread and every worker: one `napi_env` each) has one threadsafe function and
//! a queue for all its calls. A task that finishes pushes its outcome; the first push into
//! an empty queue calls the threadsafe function once, and its callback settles everything
//! queued by then, on the JS thread (where the values and typed errors are built). The
//! function is referenced only while calls are pending, so an idle client never keeps the
//! process alive and a pending call does. When the env tears down (a worker terminated
//! with calls in flight), a cleanup hook closes the queue: later outcomes are dropped.

use std::cell::RefCell;
use std::ffi::c_void;
use std::ptr;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{FromNapiValue, Object, ToNapiValue};
use napi::{Env, sys};

/// What settles one Promise on the JS thread: `Ok` resolves with the value, `Err`
/// rejects with it.
pub(crate) type Settle = Box<dyn FnOnce(&Env) -> napi::Result<sys::napi_value> + Send>;

struct Item {
    deferred: sys::napi_deferred,
    settle: Settle,
}

// SAFETY: the raw deferred is only a token here; it is used (resolved or rejected) only
// on the JS thread that created it, in `drain`.
unsafe impl Send for Item {}

struct Queue {
    items: Vec<Item>,
    /// `None` once the env is tearing down.
    tsfn: Option<Tsfn>,
}

#[derive(Clone, Copy)]
struct Tsfn(sys::napi_threadsafe_function);

// SAFETY: threadsafe functions are made to be called from any thread.
unsafe impl Send for Tsfn {}

struct Shared {
    queue: Mutex<Queue>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The JS thread's side: its env, the shared queue, and how many Promises are pending.
struct Local {
    env: sys::napi_env,
    shared: Arc<Shared>,
    tsfn: sys::napi_threadsafe_function,
    pending: usize,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// A pending Promise, settled from any thread with [`Deferred::settle`].
pub(crate) struct Deferred {
    raw: sys::napi_deferred,
    shared: Arc<Shared>,
}

// SAFETY: see `Item`.
unsafe impl Send for Deferred {}

impl Deferred {
    /// Queues `settle` to run on the JS thread (dropped if the env has gone).
    pub(crate) fn settle(self, settle: Settle) {
        let mut q = self.shared.lock();
        let Some(tsfn) = q.tsfn else {
            return;
        };
        q.items.push(Item {
            deferred: self.raw,
            settle,
        });
        if q.items.len() == 1 {
            // Under the lock, so the env's cleanup hook cannot close the function meanwhile.
            // SAFETY: `tsfn` is live until the cleanup hook sets `q.tsfn = None`.
            unsafe {
                sys::napi_call_threadsafe_function(
                    tsfn.0,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                );
            }
        }
    }
}

/// A new Promise of this JS thread and its [`Deferred`].
pub(crate) fn deferred<'e>(env: &'e Env) -> napi::Result<(Deferred, Object<'e>)> {
    let raw_env = env.raw();
    let shared = LOCAL.with_borrow_mut(|local| -> napi::Result<Arc<Shared>> {
        let l = match local {
            Some(l) if l.env == raw_env => l,
            _ => local.insert(make(raw_env)?),
        };
        if l.pending == 0 {
            // SAFETY: on the JS thread of `l.env`, with its live threadsafe function.
            napi::check_status!(
                unsafe { sys::napi_ref_threadsafe_function(l.env, l.tsfn) },
                "necid: napi_ref_threadsafe_function failed",
            )?;
        }
        l.pending += 1;
        Ok(l.shared.clone())
    })?;
    let mut raw = ptr::null_mut();
    let mut promise = ptr::null_mut();
    // SAFETY: plain N-API calls on the JS thread with valid out-pointers.
    let made = napi::check_status!(
        unsafe { sys::napi_create_promise(raw_env, &mut raw, &mut promise) },
        "necid: napi_create_promise failed",
    );
    if let Err(e) = made {
        finished(raw_env, 1);
        return Err(e);
    }
    // SAFETY: `promise` is a live value of this env.
    let promise = unsafe { Object::from_napi_value(raw_env, promise) }?;
    Ok((Deferred { raw, shared }, promise))
}

/// Makes this JS thread's threadsafe function (unreferenced) and cleanup hook.
fn make(env: sys::napi_env) -> napi::Result<Local> {
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queue {
            items: Vec::new(),
            tsfn: None,
        }),
    });
    let mut name = ptr::null_mut();
    let label = "necid settle";
    // SAFETY: N-API calls on the JS thread. The function's context is a strong count of
    // `shared`, given back by `finalize` when Node finalizes the function.
    unsafe {
        napi::check_status!(
            sys::napi_create_string_utf8(
                env,
                label.as_ptr().cast(),
                label.len() as isize,
                &mut name,
            ),
            "necid: napi_create_string_utf8 failed",
        )?;
        let context = Arc::into_raw(shared.clone()).cast_mut().cast::<c_void>();
        let mut tsfn = ptr::null_mut();
        let created = napi::check_status!(
            sys::napi_create_threadsafe_function(
                env,
                ptr::null_mut(),
                ptr::null_mut(),
                name,
                0,
                1,
                context,
                Some(finalize),
                context,
                Some(drain),
                &mut tsfn,
            ),
            "necid: napi_create_threadsafe_function failed",
        );
        if let Err(e) = created {
            drop(Arc::from_raw(context.cast::<Shared>()));
            return Err(e);
        }
        napi::check_status!(
            sys::napi_unref_threadsafe_function(env, tsfn),
            "necid: napi_unref_threadsafe_function failed",
        )?;
        let hook = Arc::into_raw(shared.clone()).cast_mut().cast::<c_void>();
        napi::check_status!(
            sys::napi_add_env_cleanup_hook(env, Some(teardown), hook),
            "necid: napi_add_env_cleanup_hook failed",
        )?;
        shared.lock().tsfn = Some(Tsfn(tsfn));
        Ok(Local {
            env,
            shared,
            tsfn,
            pending: 0,
        })
    }
}

/// `n` Promises of `env` settled: unreference the function when none is pending.
fn finished(env: sys::napi_env, n: usize) {
    LOCAL.with_borrow_mut(|local| {
        if let Some(l) = local.as_mut().filter(|l| l.env == env) {
            l.pending = l.pending.saturating_sub(n);
            if l.pending == 0 {
                // SAFETY: on the JS thread of `l.env`, with its live threadsafe function.
                unsafe { sys::napi_unref_threadsafe_function(l.env, l.tsfn) };
            }
        }
    });
}

/// The threadsafe function's callback (JS thread): settles every queued Promise.
unsafe extern "C" fn drain(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    if env.is_null() || context.is_null() {
        return; // the function is being finalized
    }
    // SAFETY: `context` is the `Arc<Shared>` pointer given at creation, alive until
    // `finalize`, which runs after the last callback.
    let shared = unsafe { &*context.cast::<Shared>() };
    let items = std::mem::take(&mut shared.lock().items);
    let n = items.len();
    let e = Env::from_raw(env);
    for item in items {
        // (A panic here would cross an `extern "C"` frame: caught, then rejected.)
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (item.settle)(&e)))
            .unwrap_or_else(|_| {
                Err(napi::Error::from_reason(
                    "Internal: the necid native addon panicked while settling a Promise",
                ))
            });
        // SAFETY: the deferred belongs to this env and is settled exactly once.
        unsafe {
            match outcome {
                Ok(value) => {
                    sys::napi_resolve_deferred(env, item.deferred, value);
                }
                Err(err) => {
                    let value = napi::Error::to_napi_value(env, err)
                        .or_else(|_| <()>::to_napi_value(env, ()))
                        .unwrap_or(ptr::null_mut());
                    sys::napi_reject_deferred(env, item.deferred, value);
                }
            }
        }
    }
    finished(env, n);
}

/// Finalizer of the threadsafe function: gives back its strong count of `Shared`.
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    if !data.is_null() {
        // SAFETY: `data` is the pointer made by `Arc::into_raw` in `make`, given back once.
        drop(unsafe { Arc::from_raw(data.cast::<Shared>()) });
    }
}

/// Env cleanup hook (JS thread, env tearing down): closes the queue, forgets the thread's
/// state, and gives back the hook's strong count.
unsafe extern "C" fn teardown(arg: *mut c_void) {
    if arg.is_null() {
        return;
    }
    // SAFETY: `arg` is the pointer made by `Arc::into_raw` in `make`, given back once.
    let shared = unsafe { Arc::from_raw(arg.cast::<Shared>()) };
    let dropped = {
        let mut q = shared.lock();
        q.tsfn = None;
        std::mem::take(&mut q.items)
    };
    drop(dropped);
    LOCAL.with_borrow_mut(|local| {
        if local
            .as_ref()
            .is_some_and(|l| Arc::ptr_eq(&l.shared, &shared))
        {
            *local = None;
        }
    });
}

/// Converts a value for [`Deferred::settle`]: `T`'s JS value.
pub(crate) fn value<T: ToNapiValue>(env: &Env, v: T) -> napi::Result<sys::napi_value> {
    // SAFETY: called on the JS thread with its env (inside `drain`).
    unsafe { T::to_napi_value(env.raw(), v) }
}
