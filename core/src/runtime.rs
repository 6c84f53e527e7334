//! The one process-wide tokio runtime owned by the SDK.
//!
//! Every async operation is spawned onto it and its handle awaited, so the futures the
//! SDK returns can be driven by any executor (tokio, async-std, napi's, UniFFI's foreign
//! executor, Python's asyncio via pyo3-async-runtimes). Connections live on this runtime's
//! I/O driver, so a client keeps its connection pool however it is called.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll};

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::error::{Error, ErrorKind, Result};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static INIT: Mutex<()> = Mutex::new(());

/// The process-wide runtime (multi-threaded, 2 worker threads named `necid-worker`),
/// created on first use. Bindings attach their async bridges to it.
pub fn runtime() -> Result<&'static Runtime> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    // Serialise creation: a losing racer's runtime would otherwise be dropped, and
    // dropping a runtime inside async context panics.
    let _guard = INIT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("necid-worker")
        .enable_all()
        .build()
        .map_err(|e| {
            Error::new(
                ErrorKind::Network,
                format!("cannot start the necid I/O runtime: {e}"),
            )
            .with_source(e)
        })?;
    Ok(RUNTIME.get_or_init(|| rt))
}

/// Run `fut` on the SDK runtime and await it from whatever executor polls the result.
/// Dropping the returned future cancels the task (so an abandoned call stops retrying).
pub(crate) async fn run<T, F>(fut: F) -> Result<T>
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    let rt = runtime()?;
    AbortOnDrop(rt.spawn(fut)).await
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
            Poll::Ready(Err(e)) => Poll::Ready(Err(Error::new(
                ErrorKind::Network,
                if e.is_cancelled() {
                    "the request task was cancelled (runtime shutting down)".to_owned()
                } else {
                    "the request task failed unexpectedly".to_owned()
                },
            ))),
        }
    }
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
