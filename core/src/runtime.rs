//! The one process-wide tokio runtime owned by the SDK.
//!
//! Every async operation is spawned onto it and its handle awaited, so the futures the
//! SDK returns can be driven by any executor (tokio, async-std, napi's, UniFFI's foreign
//! executor, Python's asyncio via pyo3-async-runtimes). Connections live on this runtime's
//! I/O driver, so a client keeps its connection pool however it is called.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::task::{Context, Poll};

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::error::{Error, ErrorKind, Result};

// The runtime of *this* process: a leaked `Runtime` and the pid that created it. After
// `fork()` the child inherits the pointer but none of the worker threads, so a call from
// the child (pid differs) builds and leaks a fresh runtime instead of hanging on the dead
// one (the old one is never dropped: its threads do not exist in the child). Python's
// `os.fork`/multiprocessing and pre-forking servers rely on this.
static CURRENT: AtomicPtr<Runtime> = AtomicPtr::new(std::ptr::null_mut());
static OWNER_PID: AtomicU32 = AtomicU32::new(0);
static INIT: Mutex<()> = Mutex::new(());

fn current(pid: u32) -> Option<&'static Runtime> {
    // Acquire on the pid pairs with the Release store in `runtime()`, which happens after
    // the pointer store: seeing our pid guarantees seeing our runtime.
    if OWNER_PID.load(Ordering::Acquire) != pid {
        return None;
    }
    let ptr = CURRENT.load(Ordering::Acquire);
    // SAFETY: a non-null pointer in CURRENT always comes from `Box::leak` below and is
    // never freed, so it is valid for 'static.
    unsafe { ptr.as_ref() }
}

/// The process-wide runtime (multi-threaded, 2 worker threads named `necid-worker`),
/// created on first use (and again, once, in a forked child). Bindings attach their
/// async bridges to it.
pub fn runtime() -> Result<&'static Runtime> {
    let pid = std::process::id();
    if let Some(rt) = current(pid) {
        return Ok(rt);
    }
    // Serialise creation so racing threads share one runtime.
    let _guard = INIT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(rt) = current(pid) {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("necid-worker")
        .on_thread_start(|| {
            ON_SDK_THREAD.set(true);
            block_sigpipe();
        })
        .enable_all()
        .build()
        .map_err(|e| {
            Error::new(
                ErrorKind::Network,
                format!("cannot start the necid I/O runtime: {e}"),
            )
            .with_source(e)
        })?;
    let rt: &'static Runtime = Box::leak(Box::new(rt));
    CURRENT.store(std::ptr::from_ref(rt).cast_mut(), Ordering::Release);
    OWNER_PID.store(pid, Ordering::Release);
    Ok(rt)
}

/// Writing to a connection the server has closed raises SIGPIPE, whose default action
/// kills the whole process. Rust programs, Python, Node and the JVM ignore it, but a C,
/// C++ or Swift host usually does not, and the SDK must not decide that for its host. So
/// the SDK's own threads (where every socket write happens) block it: the write then fails
/// with EPIPE, which becomes a typed Network error, and the signal stays pending on a
/// thread that never unblocks it. The host's disposition is untouched.
#[cfg(unix)]
fn block_sigpipe() {
    // SAFETY: sigemptyset/sigaddset initialise a local set; pthread_sigmask changes only
    // the calling thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

#[cfg(not(unix))]
fn block_sigpipe() {}

thread_local! {
    /// Set on the SDK runtime's own threads (workers and blocking pool).
    static ON_SDK_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `fut` on the SDK runtime and await it from whatever executor polls the result.
/// Dropping the returned future cancels the task (so an abandoned call stops retrying).
///
/// Already on an SDK thread when first polled (the bindings spawn their calls there, and
/// so may Rust callers), `fut` is awaited in place: a second task would only add a
/// wake-up per call.
///
/// Written as `lazy(..).flatten()` rather than an `async fn`: an `async fn` keeps its
/// argument `fut` in its state beside the `CatchUnwind(fut)` it awaits, so every call's
/// future held the operation twice; `Flatten` holds one state or the other.
pub(crate) fn run<T, F>(fut: F) -> impl Future<Output = Result<T>> + Send + 'static
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    use futures_util::FutureExt as _;
    use futures_util::future::{Either, ready};
    futures_util::future::lazy(move |_| {
        if ON_SDK_THREAD.get() && tokio::runtime::Handle::try_current().is_ok() {
            return Either::Left(std::panic::AssertUnwindSafe(fut).catch_unwind().map(
                |r| match r {
                    Ok(r) => r,
                    Err(payload) => Err(panic_error(payload.as_ref())),
                },
            ));
        }
        Either::Right(match runtime() {
            Ok(rt) => Either::Left(AbortOnDrop(rt.spawn(fut))),
            Err(e) => Either::Right(ready(Err(e))),
        })
    })
    .flatten()
}

struct AbortOnDrop<T>(JoinHandle<Result<T>>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.0).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(r)) => Poll::Ready(r),
            Poll::Ready(Err(e)) => Poll::Ready(Err(match e.try_into_panic() {
                Ok(payload) => panic_error(payload.as_ref()),
                Err(e) if e.is_cancelled() => Error::new(
                    ErrorKind::Network,
                    "the request task was cancelled (runtime shutting down)",
                ),
                Err(_) => Error::new(ErrorKind::Network, "the request task failed unexpectedly"),
            })),
        }
    }
}

/// The error a panic inside a request becomes: kind `Server` (an internal failure, not
/// the caller's input), with the panic's message. No binding lets it reach the host.
pub(crate) fn panic_error(payload: &(dyn std::any::Any + Send)) -> Error {
    let msg = if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.as_str()
    } else {
        "unknown panic payload"
    };
    Error::new(
        ErrorKind::Server,
        format!("internal error in the necid SDK (panic: {msg}); please report it"),
    )
}

/// Block the current (non-async) thread on `fut` using the SDK runtime.
/// Inside an async runtime this returns an `InvalidInput` error instead of panicking.
pub(crate) fn block_on<T>(fut: impl Future<Output = Result<T>>) -> Result<T> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "a necid::blocking call was made from inside an async runtime; \
             use the async necid::Client there (or spawn_blocking)",
        ));
    }
    runtime()?.block_on(fut)
}
