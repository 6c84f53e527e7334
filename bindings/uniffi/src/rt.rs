//! Bridging core futures onto the core's tokio runtime.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::task::JoinHandle;

use crate::error::NecIdError;

/// Run `fut` on [`necid::runtime()`] and await its result from whatever executor polls us.
///
/// Why not UniFFI's `async_runtime = "tokio"`: that wraps futures in `async-compat`, which
/// brings its own tokio runtime; the SDK must have exactly one (the core's), where its
/// connection pool lives.
pub(crate) async fn on_runtime<T, F>(fut: F) -> Result<T, NecIdError>
where
    T: Send + 'static,
    F: Future<Output = necid::Result<T>> + Send + 'static,
{
    let rt = necid::runtime()?;
    spawn_on_runtime(rt, async move { fut.await.map_err(NecIdError::from) }).await
}

/// [`on_runtime`] for a future that already reports [`NecIdError`].
pub(crate) async fn spawn_on_runtime<T, F>(
    rt: &tokio::runtime::Runtime,
    fut: F,
) -> Result<T, NecIdError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, NecIdError>> + Send + 'static,
{
    match (AbortOnDrop(rt.spawn(fut))).await {
        Ok(r) => r,
        Err(e) => Err(NecIdError::internal(if e.is_cancelled() {
            "the request task was cancelled (runtime shutting down)"
        } else {
            "the request task failed unexpectedly (a bug in necid; please report it)"
        })),
    }
}

/// Aborts the spawned task when the foreign side cancels (drops) the call.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}
