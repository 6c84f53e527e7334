//! Running core futures for Python: blocking (sync `Client`) and as asyncio awaitables
//! (`AsyncClient`), both on the core's one runtime, `necid::runtime()`.
//!
//! - Sync calls wait for the operation (already running on the core runtime) with the GIL
//!   released, waking every 100 ms to run Python signal handlers, so Ctrl-C interrupts a
//!   call (the request is then aborted). Progress events of a wait are delivered to the
//!   calling thread, so `on_progress` runs where the caller expects it.
//! - Async calls (on Unix event loops that support `add_reader`, i.e. every selector loop
//!   and uvloop) use [`completions`]: one task on the core runtime per call, whose result
//!   is queued for the event loop and announced by one byte on a pipe the loop watches;
//!   the loop's thread then builds the Python value and completes the asyncio future. No
//!   runtime thread takes the GIL and no blocking-pool thread is involved. Elsewhere
//!   (Windows' proactor loop) they use pyo3-async-runtimes' generic bridge with
//!   [`CoreRt`], a runtime whose `spawn` goes to `necid::runtime()` *at each call*: in a
//!   forked child that is a fresh runtime (the core rebuilds it when the pid changes)
//!   instead of the parent's dead one. Either way, cancelling the asyncio task aborts the
//!   request.

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
    let rt = necid::runtime().map_err(|e| err::to_py(py, e))?;
    let convert: Convert<T> = Box::new(convert);
    #[cfg(unix)]
    if let Some((event_loop, notifier)) = completions::for_running_loop(py)? {
        return completions::spawn(&event_loop, rt, notifier, fut, convert);
    }
    #[cfg(not(unix))]
    let _ = rt;
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

/// Completing asyncio futures from the core runtime without taking the GIL there.
///
/// pyo3-async-runtimes' generic bridge spends, per call, two task spawns, a hop to the
/// blocking pool, and a GIL acquisition on that thread (contending with the event loop)
/// to run `call_soon_threadsafe`. Here each event loop (per thread, per process) gets a
/// [`Notifier`]: a queue of finished calls and a pipe whose read end the loop watches
/// (`loop.add_reader`). A call's task pushes its outcome and writes one byte when the
/// queue was empty; the loop's reader callback ([`Drain`]) drains the pipe, builds the
/// Python values and completes the futures, on the loop's own thread, with the GIL it
/// already holds. Cancelling the future (its done callback, [`AbortTask`]) aborts the task.
#[cfg(unix)]
mod completions {
    use std::cell::RefCell;
    use std::future::Future;
    use std::io::{Read as _, Write as _};
    use std::os::fd::AsRawFd as _;
    use std::os::unix::net::UnixStream;
    use std::panic::AssertUnwindSafe;
    use std::sync::{Arc, Mutex};

    use futures_util::FutureExt as _;
    use pyo3::prelude::*;

    use super::{Convert, Finish};
    use crate::err::{self, Fail};

    /// One event loop's queue of finished calls and its wake-up pipe.
    pub struct Notifier {
        queue: Mutex<Vec<(Py<PyAny>, Finish)>>,
        read: UnixStream,
        write: UnixStream,
    }

    impl Notifier {
        fn push(&self, future: Py<PyAny>, finish: Finish) {
            let first = {
                let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
                q.push((future, finish));
                q.len() == 1
            };
            // Only the first item of a batch needs a wake-up; the reader takes them all.
            // A full pipe (WouldBlock) means a wake-up is pending anyway.
            if first {
                let _ = (&self.write).write(&[1]);
            }
        }
    }

    /// The loop's reader callback: completes every queued future.
    #[pyclass(frozen)]
    struct Drain(Arc<Notifier>);

    #[pymethods]
    impl Drain {
        fn __call__(&self, py: Python<'_>) {
            // Empty the pipe before taking the queue: a push after the take writes anew.
            let mut buf = [0u8; 64];
            while matches!((&self.0.read).read(&mut buf), Ok(n) if n > 0) {}
            let items =
                std::mem::take(&mut *self.0.queue.lock().unwrap_or_else(|p| p.into_inner()));
            for (future, finish) in items {
                let future = future.into_bound(py);
                // Cancelled (or otherwise done) meanwhile: nobody wants the value.
                if future
                    .call_method0(pyo3::intern!(py, "done"))
                    .and_then(|d| d.is_truthy())
                    .unwrap_or(true)
                {
                    continue;
                }
                let done = match finish(py) {
                    Ok(v) => future.call_method1(pyo3::intern!(py, "set_result"), (v,)),
                    Err(e) => {
                        future.call_method1(pyo3::intern!(py, "set_exception"), (e.into_value(py),))
                    }
                };
                // (Only InvalidStateError is possible here, and it means "already done".)
                drop(done);
            }
        }
    }

    /// Done callback of each future: aborts its task (a no-op once the task finished).
    #[pyclass(frozen)]
    struct AbortTask(tokio::task::AbortHandle);

    #[pymethods]
    impl AbortTask {
        fn __call__(&self, _future: &Bound<'_, PyAny>) {
            self.0.abort();
        }
    }

    /// This thread's running loop and its notifier (`None`: the loop cannot watch a pipe,
    /// use the generic bridge), with the pid that made it (a forked child makes its own).
    type Entry = (Py<PyAny>, u32, Option<Arc<Notifier>>);

    thread_local! {
        static CURRENT: RefCell<Option<Entry>> = const { RefCell::new(None) };
    }

    /// The running event loop and its notifier, made and registered on first use.
    #[allow(clippy::type_complexity)]
    pub fn for_running_loop(py: Python<'_>) -> PyResult<Option<(Bound<'_, PyAny>, Arc<Notifier>)>> {
        let event_loop = pyo3_async_runtimes::get_running_loop(py)?;
        let pid = std::process::id();
        let cached = CURRENT.with_borrow(|c| match c {
            Some((l, p, n)) if l.as_ptr() == event_loop.as_ptr() && *p == pid => Some(n.clone()),
            _ => None,
        });
        let notifier = match cached {
            Some(n) => n,
            None => {
                let n = make(&event_loop);
                // Replacing the previous loop's entry closes its pipe (that loop is gone
                // or idle: one loop runs per thread at a time).
                let old = CURRENT
                    .with_borrow_mut(|c| c.replace((event_loop.clone().unbind(), pid, n.clone())));
                drop(old);
                n
            }
        };
        Ok(notifier.map(|n| (event_loop, n)))
    }

    fn make(event_loop: &Bound<'_, PyAny>) -> Option<Arc<Notifier>> {
        let py = event_loop.py();
        let (read, write) = UnixStream::pair().ok()?;
        read.set_nonblocking(true).ok()?;
        write.set_nonblocking(true).ok()?;
        let fd = read.as_raw_fd();
        let notifier = Arc::new(Notifier {
            queue: Mutex::new(Vec::new()),
            read,
            write,
        });
        let drain = Bound::new(py, Drain(notifier.clone())).ok()?;
        // Loops without add_reader (Windows' proactor) raise NotImplementedError.
        event_loop
            .call_method1(pyo3::intern!(py, "add_reader"), (fd, drain))
            .ok()?;
        Some(notifier)
    }

    /// Spawns `fut` on the core runtime; its outcome completes the returned asyncio future.
    pub fn spawn<'py, T, E, F>(
        event_loop: &Bound<'py, PyAny>,
        rt: &'static tokio::runtime::Runtime,
        notifier: Arc<Notifier>,
        fut: F,
        convert: Convert<T>,
    ) -> PyResult<Bound<'py, PyAny>>
    where
        T: Send + 'static,
        E: Into<Fail> + Send + 'static,
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        let py = event_loop.py();
        let future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
        let target = future.clone().unbind();
        // A combinator, not an async block: an async block would store `fut` twice (the
        // captured value and the awaited one), and the task's state is copied at spawn.
        let task = rt.spawn(AssertUnwindSafe(fut).catch_unwind().map(move |outcome| {
            let finish: Finish = Box::new(move |py| match outcome {
                Ok(Ok(v)) => convert(py, v),
                Ok(Err(e)) => Err(e.into().into_py(py)),
                Err(payload) => Err(err::panic_to_py(py, payload.as_ref())),
            });
            notifier.push(target, finish);
        }));
        let abort = Bound::new(py, AbortTask(task.abort_handle()))?;
        future.call_method1(pyo3::intern!(py, "add_done_callback"), (abort,))?;
        Ok(future)
    }
}
