//! Running core futures for Python: blocking (sync `Client`) and as asyncio awaitables
//! (`AsyncClient`), both on the core's one runtime, `necid::runtime()`.
//!
//! - Sync calls wait for the operation (already running on the core runtime) with the GIL
//!   released, waking every 100 ms to run Python signal handlers, so Ctrl-C interrupts a
//!   call (the request is then aborted). Progress events of a wait are delivered to the
//!   calling thread, so `on_progress` runs where the caller expects it.
//! - Async calls use pyo3-async-runtimes' generic bridge with [`CoreRt`], a runtime whose
//!   `spawn` goes to `necid::runtime()` *at each call*: in a forked child that is a fresh
//!   runtime (the core rebuilds it when the pid changes) instead of the parent's dead one.
//!   Cancelling the asyncio task drops the future, which aborts the request.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::FutureExt as _;
use pyo3::prelude::*;
use pyo3_async_runtimes::{TaskLocals, generic};

use crate::err::{self, Fail};

/// pyo3-async-runtimes' view of the core runtime.
pub struct CoreRt;

/// A task failure (panic or abort) of [`CoreRt`].
pub struct JoinErr(tokio::task::JoinError);

impl generic::JoinError for JoinErr {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }
    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        match self.0.try_into_panic() {
            Ok(payload) => payload,
            Err(e) => Box::new(e.to_string()),
        }
    }
}

/// Join handle of [`CoreRt`]; `Unavailable` when the runtime could not be started (the
/// callers check `necid::runtime()` first, so this is not expected in practice).
pub enum Join {
    Task(tokio::task::JoinHandle<()>),
    Unavailable,
}

impl Future for Join {
    type Output = Result<(), JoinErr>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Join::Task(h) => Pin::new(h).poll(cx).map_err(JoinErr),
            Join::Unavailable => Poll::Ready(Ok(())),
        }
    }
}

impl generic::Runtime for CoreRt {
    type JoinError = JoinErr;
    type JoinHandle = Join;

    fn spawn<F>(fut: F) -> Join
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match necid::runtime() {
            Ok(rt) => Join::Task(rt.spawn(fut)),
            Err(_) => Join::Unavailable,
        }
    }

    fn spawn_blocking<F>(f: F) -> Join
    where
        F: FnOnce() + Send + 'static,
    {
        match necid::runtime() {
            Ok(rt) => Join::Task(rt.spawn_blocking(f)),
            Err(_) => Join::Unavailable,
        }
    }
}

impl generic::ContextExt for CoreRt {
    // The SDK never calls back into Python coroutines from Rust, so there are no task
    // locals to carry: the bridge takes the running loop from Python at each call.
    fn scope<F, R>(_locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        Box::pin(fut)
    }

    fn get_task_locals() -> Option<TaskLocals> {
        None
    }
}

type Convert<T> = Box<dyn for<'py> FnOnce(Python<'py>, T) -> PyResult<Bound<'py, PyAny>> + Send>;

/// A finished call whose Python value is built once the bridge holds the GIL.
pub struct Deferred(Finish);

type Finish = Box<dyn for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyAny>> + Send>;

impl<'py> IntoPyObject<'py> for Deferred {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;
    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        (self.0)(py)
    }
}

/// An asyncio awaitable for `fut`; its value is `convert(result)`.
pub fn awaitable<'py, T, E, F, C>(
    py: Python<'py>,
    fut: F,
    convert: C,
) -> PyResult<Bound<'py, PyAny>>
where
    T: Send + 'static,
    E: Into<Fail> + Send + 'static,
    F: Future<Output = Result<T, E>> + Send + 'static,
    C: for<'a> FnOnce(Python<'a>, T) -> PyResult<Bound<'a, PyAny>> + Send + 'static,
{
    necid::runtime().map_err(|e| err::to_py(py, e))?;
    let convert: Convert<T> = Box::new(convert);
    generic::future_into_py::<CoreRt, _, Deferred>(py, async move {
        let outcome = AssertUnwindSafe(fut).catch_unwind().await;
        Ok(Deferred(Box::new(move |py| match outcome {
            Ok(Ok(v)) => convert(py, v),
            Ok(Err(e)) => Err(e.into().into_py(py)),
            Err(payload) => Err(err::panic_to_py(py, payload.as_ref())),
        })))
    })
}

/// What the task of a blocking call sends back to the waiting thread.
pub enum Msg<T, E> {
    /// The call finished (or panicked).
    Done(std::thread::Result<Result<T, Fail>>),
    /// A progress event for the caller's callback.
    Event(E),
}

/// Aborts the spawned task when the waiting thread gives up (signal, callback error).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Run `fut` on the core runtime and wait for it with the GIL released. `tx`/`rx` is the
/// channel the task answers on; the future may send `Msg::Event`s on clones of `tx`, each
/// handed to `on_event` on this thread (an error from it aborts the call and is raised).
pub fn block_with<T, E, F>(
    py: Python<'_>,
    fut: F,
    tx: Sender<Msg<T, E>>,
    rx: Receiver<Msg<T, E>>,
    mut on_event: impl FnMut(Python<'_>, E) -> PyResult<()>,
) -> PyResult<T>
where
    T: Send + 'static,
    E: Send + 'static,
    F: Future<Output = Result<T, Fail>> + Send + 'static,
{
    let rt = necid::runtime().map_err(|e| err::to_py(py, e))?;
    let task = rt.spawn(async move {
        let outcome = AssertUnwindSafe(fut).catch_unwind().await;
        // The receiver is gone only if the caller gave up; nothing to do then.
        let _ = tx.send(Msg::Done(outcome));
    });
    let _abort = AbortOnDrop(task.abort_handle());
    // (A Mutex only to make the receiver shareable with the GIL-free closure.)
    let rx = std::sync::Mutex::new(rx);
    loop {
        let next = py.detach(|| {
            rx.lock()
                .unwrap_or_else(|p| p.into_inner())
                .recv_timeout(Duration::from_millis(100))
        });
        match next {
            Ok(Msg::Done(Ok(Ok(v)))) => return Ok(v),
            Ok(Msg::Done(Ok(Err(e)))) => return Err(e.into_py(py)),
            Ok(Msg::Done(Err(payload))) => return Err(err::panic_to_py(py, payload.as_ref())),
            Ok(Msg::Event(e)) => on_event(py, e)?,
            Err(RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(RecvTimeoutError::Disconnected) => {
                return Err(err::internal(
                    py,
                    "the necid request task ended without a result",
                ));
            }
        }
    }
}

/// Run `fut` (a core operation, which spawns itself on the core runtime) and wait for it
/// with the GIL released. The future is polled on this thread, parked between wake-ups:
/// one spawn and one wake-up per call rather than a second task relaying the result.
/// Every 100 ms the thread wakes to run Python signal handlers; an exception there (Ctrl-C)
/// drops the future, which aborts the request.
pub fn block<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = necid::Result<T>>,
{
    let rt = necid::runtime().map_err(|e| err::to_py(py, e))?;
    // Tokio timers and sockets polled here find the core runtime's drivers.
    let _context = rt.enter();
    let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(AssertUnwindSafe(fut).catch_unwind());
    loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(Ok(Ok(v))) => return Ok(v),
            Poll::Ready(Ok(Err(e))) => return Err(err::to_py(py, e)),
            Poll::Ready(Err(payload)) => return Err(err::panic_to_py(py, payload.as_ref())),
            Poll::Pending => {}
        }
        // A wake-up that came before the park makes it return at once (park token).
        py.detach(|| std::thread::park_timeout(Duration::from_millis(100)));
        py.check_signals()?;
    }
}

/// Wakes the thread blocked in [`block`].
struct Unpark(std::thread::Thread);

impl std::task::Wake for Unpark {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.unpark();
    }
}
