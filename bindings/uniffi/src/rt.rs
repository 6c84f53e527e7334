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
        Err(e) if e.is_cancelled() => Err(NecIdError::internal(
            "the request task was cancelled (runtime shutting down)",
        )),
        Err(e) => Err(NecIdError::internal(&match e.try_into_panic() {
            Ok(payload) => format!(
                "the request task failed unexpectedly (panic: {}; a bug in necid, please report it)",
                payload
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("unknown panic payload")
            ),
            Err(_) => {
                "the request task failed unexpectedly (a bug in necid; please report it)".to_owned()
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::{Wake, Waker};
    use std::time::Duration;

    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    /// A minimal non-tokio executor, like a foreign one: poll, park until woken.
    fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::park();
        }
    }

    #[test]
    fn tokio_work_runs_without_a_tokio_context() {
        assert!(tokio::runtime::Handle::try_current().is_err());
        let v = block_on(on_runtime(async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            Ok(7)
        }));
        assert_eq!(v, Ok(7));
    }

    #[test]
    fn core_errors_are_converted() {
        let v: Result<(), NecIdError> = block_on(on_runtime(async {
            Err(necid::Error::new(necid::ErrorKind::Throttled, "slow down"))
        }));
        assert_eq!(v.map_err(|e| e.details().kind), Err("Throttled".to_owned()));
    }

    #[test]
    fn dropping_the_call_aborts_the_task() {
        struct Guard(std::sync::mpsc::Sender<()>);
        impl Drop for Guard {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let mut call = Box::pin(on_runtime(async move {
            let _guard = Guard(tx);
            let _ = started_tx.send(());
            std::future::pending::<()>().await;
            Ok(())
        }));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(call.as_mut().poll(&mut cx).is_pending());
        started_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the task started on the runtime");
        drop(call); // what a cancelled Kotlin coroutine does
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the spawned task was aborted and dropped");
    }
}
