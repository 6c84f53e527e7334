//! Running core futures for Python: blocking (sync `Client`) and as asyncio awaitables
//! (`AsyncClient`), both on the core's one runtime, `necid::runtime()`.
//!
//! - Sync calls ([`block_with`]) poll the operation (already running on the core runtime)
//!   on the calling thread and park with the GIL released between wake-ups, waking every
//!   100 ms to run Python signal handlers, so Ctrl-C interrupts a call (the request is
//!   then aborted). Progress events of a wait are delivered to the calling thread, so
//!   `on_progress` runs where the caller expects it.
//! - Async calls ([`run`]) run one task on the core runtime per call, whose
//!   result (and progress events) is queued for the event loop; the loop's thread then
//!   builds the Python value and completes the asyncio future, in queue order. The loop is
//!   woken by one byte on a pipe it watches (`add_reader`: every selector loop and uvloop,
//!   on Unix), so no runtime thread takes the GIL; a loop that cannot watch a pipe
//!   (Windows' proactor) is woken with `call_soon_threadsafe`. Cancelling the asyncio task
//!   aborts the request.

use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::FutureExt as _;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::err;

/// Hands a running call's progress events to the thread that delivers them to Python.
pub type Emit<E> = Box<dyn Fn(E) + Send + Sync>;

/// Run the future `make` returns (a core operation, which spawns itself on the core
/// runtime) and wait for it with the GIL released. The future is polled on this thread,
/// parked between wake-ups: one spawn and one wake-up per call rather than a second task
/// relaying the result. Events it emits are handed to `on_event` on this thread (those
/// emitted before it finished, before it returns); an error from `on_event`, or from the
/// signal handlers run every 100 ms (Ctrl-C), drops the future, which aborts the request.
pub fn block_with<T, E, F>(
    py: Python<'_>,
    make: impl FnOnce(Emit<E>) -> F,
    mut on_event: impl FnMut(Python<'_>, E) -> PyResult<()>,
) -> PyResult<T>
where
    E: Send + 'static,
    F: Future<Output = necid::Result<T>>,
{
    let rt = necid::runtime().map_err(|e| err::to_py(py, e))?;
    // Tokio timers and sockets polled here find the core runtime's drivers.
    let _context = rt.enter();
    let thread = std::thread::current();
    let waker = std::task::Waker::from(Arc::new(Unpark(thread.clone())));
    let mut cx = Context::from_waker(&waker);
    let (tx, rx) = std::sync::mpsc::channel();
    let emit: Emit<E> = Box::new(move |e| {
        // The receiver is gone only if the caller gave up; nothing to do then.
        let _ = tx.send(e);
        thread.unpark();
    });
    let mut fut = std::pin::pin!(AssertUnwindSafe(make(emit)).catch_unwind());
    loop {
        let polled = fut.as_mut().poll(&mut cx);
        while let Ok(e) = rx.try_recv() {
            on_event(py, e)?;
        }
        match polled {
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

/// [`block_with`] for a call without events.
pub fn block<T>(py: Python<'_>, fut: impl Future<Output = necid::Result<T>>) -> PyResult<T> {
    block_with(py, |_: Emit<()>| fut, |_, ()| Ok(()))
}

/// Wakes the thread blocked in [`block_with`].
struct Unpark(std::thread::Thread);

impl std::task::Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Work for the event loop's thread: given the call's asyncio future (not yet done).
type Job = Box<dyn for<'py> FnOnce(&Bound<'py, PyAny>) + Send>;

/// The Python value of the future `make` returns (a core operation), converted by
/// `convert`: waited for with the GIL released ([`block_with`], `blocking`: `Client`) or an
/// asyncio awaitable (`AsyncClient`). Events the future emits are handed to `on_event` on
/// the calling thread or the event loop's, in order and before the call returns; an
/// exception `on_event` raises fails the call (which aborts it).
pub fn run<'py, T, E, F, C, H>(
    py: Python<'py>,
    blocking: bool,
    make: impl FnOnce(Emit<E>) -> F,
    convert: C,
    on_event: H,
) -> PyResult<Bound<'py, PyAny>>
where
    T: Send + 'static,
    E: Send + 'static,
    F: Future<Output = necid::Result<T>> + Send + 'static,
    C: for<'a> FnOnce(Python<'a>, T) -> PyResult<Bound<'a, PyAny>> + Send + 'static,
    H: for<'a> Fn(Python<'a>, E) -> PyResult<()> + Send + Sync + 'static,
{
    if blocking {
        let value = block_with(py, make, on_event)?;
        return convert(py, value);
    }
    let rt = necid::runtime().map_err(|e| err::to_py(py, e))?;
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let event_loop = GET_RUNNING_LOOP
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
        })?
        .call0(py)?
        .into_bound(py);
    let notifier = Notifier::for_loop(&event_loop);
    let future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let target = Arc::new(future.clone().unbind());
    let on_event = Arc::new(on_event);
    let (events, to) = (notifier.clone(), target.clone());
    let emit: Emit<E> = Box::new(move |e| {
        let on_event = on_event.clone();
        events.push(
            to.clone(),
            Box::new(move |future| {
                let py = future.py();
                if let Err(failure) = on_event(py, e) {
                    // Done now: its done callback aborts the call.
                    fail(future, failure);
                }
            }),
        );
    });
    // A combinator, not an async block: an async block would store the future twice (the
    // captured value and the awaited one), and the task's state is copied at spawn.
    let task = rt.spawn(
        AssertUnwindSafe(make(emit))
            .catch_unwind()
            .map(move |outcome| {
                notifier.push(
                    target,
                    Box::new(move |future| {
                        let py = future.py();
                        let done = match outcome {
                            Ok(Ok(v)) => convert(py, v).and_then(|v| {
                                future.call_method1(pyo3::intern!(py, "set_result"), (v,))
                            }),
                            Ok(Err(e)) => Err(err::to_py(py, e)),
                            Err(payload) => Err(err::panic_to_py(py, payload.as_ref())),
                        };
                        if let Err(e) = done {
                            fail(future, e);
                        }
                    }),
                );
            }),
    );
    let abort = Bound::new(py, AbortTask(task.abort_handle()))?;
    future.call_method1(pyo3::intern!(py, "add_done_callback"), (abort,))?;
    Ok(future)
}

/// Completes `future` with the exception `e` (nothing if it is done already).
fn fail(future: &Bound<'_, PyAny>, e: PyErr) {
    let py = future.py();
    let _ = future.call_method1(pyo3::intern!(py, "set_exception"), (e.into_value(py),));
}

/// An asyncio awaitable of `fut` (no events), valued `convert(result)`.
pub fn awaitable<'py, T, F, C>(py: Python<'py>, fut: F, convert: C) -> PyResult<Bound<'py, PyAny>>
where
    T: Send + 'static,
    F: Future<Output = necid::Result<T>> + Send + 'static,
    C: for<'a> FnOnce(Python<'a>, T) -> PyResult<Bound<'a, PyAny>> + Send + 'static,
{
    run(py, false, |_: Emit<()>| fut, convert, |_, ()| Ok(()))
}

/// One event loop's queue of work from the core runtime, and how the loop is woken.
///
/// The runtime pushes a call's outcome (and its progress events) and wakes the loop when
/// the queue was empty; the loop's callback ([`Drain`]) runs the queue on the loop's own
/// thread, with the GIL it already holds. Cancelling a future (its done callback,
/// [`AbortTask`]) aborts its task.
struct Notifier {
    queue: Mutex<Vec<(Arc<Py<PyAny>>, Job)>>,
    wake: Wake,
}

enum Wake {
    /// A pipe the loop watches (`loop.add_reader`): no GIL on the runtime's threads.
    #[cfg(unix)]
    Pipe {
        read: std::os::unix::net::UnixStream,
        write: std::os::unix::net::UnixStream,
    },
    /// `loop.call_soon_threadsafe`, for loops without `add_reader`.
    CallSoon(Py<PyAny>),
}

/// This thread's running loop and its notifier, with the pid that made it (a forked
/// child makes its own).
type Entry = (Py<PyAny>, u32, Arc<Notifier>);

thread_local! {
    static CURRENT: RefCell<Option<Entry>> = const { RefCell::new(None) };
}

impl Notifier {
    /// The notifier of `event_loop` (the running one), made and registered on first use.
    fn for_loop(event_loop: &Bound<'_, PyAny>) -> Arc<Notifier> {
        let pid = std::process::id();
        let cached = CURRENT.with_borrow(|c| match c {
            Some((l, p, n)) if l.as_ptr() == event_loop.as_ptr() && *p == pid => Some(n.clone()),
            _ => None,
        });
        if let Some(n) = cached {
            return n;
        }
        let n = Self::with_pipe(event_loop).unwrap_or_else(|| {
            Arc::new(Notifier {
                queue: Mutex::new(Vec::new()),
                wake: Wake::CallSoon(event_loop.clone().unbind()),
            })
        });
        // Replacing the previous loop's entry closes its pipe (that loop is gone or idle:
        // one loop runs per thread at a time).
        let old =
            CURRENT.with_borrow_mut(|c| c.replace((event_loop.clone().unbind(), pid, n.clone())));
        drop(old);
        n
    }

    /// A notifier whose pipe `event_loop` watches, if it can (Windows' proactor raises
    /// NotImplementedError from `add_reader`).
    #[cfg(unix)]
    fn with_pipe(event_loop: &Bound<'_, PyAny>) -> Option<Arc<Notifier>> {
        use std::os::fd::AsRawFd as _;
        let py = event_loop.py();
        let (read, write) = std::os::unix::net::UnixStream::pair().ok()?;
        read.set_nonblocking(true).ok()?;
        write.set_nonblocking(true).ok()?;
        let fd = read.as_raw_fd();
        let n = Arc::new(Notifier {
            queue: Mutex::new(Vec::new()),
            wake: Wake::Pipe { read, write },
        });
        let drain = Bound::new(py, Drain(n.clone())).ok()?;
        event_loop
            .call_method1(pyo3::intern!(py, "add_reader"), (fd, drain))
            .ok()?;
        Some(n)
    }

    #[cfg(not(unix))]
    fn with_pipe(_event_loop: &Bound<'_, PyAny>) -> Option<Arc<Notifier>> {
        None
    }

    fn push(self: &Arc<Self>, future: Arc<Py<PyAny>>, job: Job) {
        let first = {
            let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            q.push((future, job));
            q.len() == 1
        };
        // Only the first item of a batch needs a wake-up; the loop takes them all.
        if !first {
            return;
        }
        match &self.wake {
            // A full pipe (WouldBlock) means a wake-up is pending anyway.
            #[cfg(unix)]
            Wake::Pipe { write, .. } => {
                use std::io::Write as _;
                let _ = (&*write).write(&[1]);
            }
            Wake::CallSoon(event_loop) => Python::attach(|py| {
                // A closed loop means nobody is waiting any more.
                let _ = Bound::new(py, Drain(self.clone())).and_then(|drain| {
                    event_loop.call_method1(py, "call_soon_threadsafe", (drain,))
                });
            }),
        }
    }
}

/// The loop's callback: runs every queued job whose future is not done yet.
#[pyclass(frozen)]
struct Drain(Arc<Notifier>);

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) {
        // Empty the pipe before taking the queue: a push after the take writes anew.
        #[cfg(unix)]
        if let Wake::Pipe { read, .. } = &self.0.wake {
            use std::io::Read as _;
            let mut buf = [0u8; 64];
            while matches!((&*read).read(&mut buf), Ok(n) if n > 0) {}
        }
        let items = std::mem::take(&mut *self.0.queue.lock().unwrap_or_else(|p| p.into_inner()));
        for (future, job) in items {
            let future = future.bind(py);
            // Cancelled (or otherwise done) meanwhile: nobody wants the value.
            let done = future
                .call_method0(pyo3::intern!(py, "done"))
                .and_then(|d| d.is_truthy())
                .unwrap_or(true);
            if !done {
                job(future);
            }
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
