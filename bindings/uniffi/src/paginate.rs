//! Paginators: the core's page streams behind an object with one async `next_page()`.
//! The Kotlin (`Flow`) and Swift (`AsyncThrowingStream`) helpers are thin loops over it.

use std::sync::Arc;

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use tokio::sync::Mutex;

use crate::error::NecIdError;
use crate::rt::on_runtime;
use crate::types::{BulkProgressPage, SubjectPage};

type Pages<T> = Arc<Mutex<BoxStream<'static, necid::Result<T>>>>;

/// Fetch the next item of `stream` on the SDK runtime. Calls are serialised by the mutex,
/// so concurrent `next_page()` calls get consecutive pages, never the same one twice.
async fn next<T: Send + 'static>(stream: &Pages<T>) -> Result<Option<T>, NecIdError> {
    let s = stream.clone();
    on_runtime(async move { s.lock().await.next().await.transpose() }).await
}

/// Every page of list subjects, in order. `next_page()` returns null after the last page.
#[derive(uniffi::Object)]
pub struct SubjectsPaginator {
    pages: Pages<necid::SubjectPage>,
}

impl SubjectsPaginator {
    pub(crate) fn new(stream: BoxStream<'static, necid::Result<necid::SubjectPage>>) -> Self {
        SubjectsPaginator {
            pages: Arc::new(Mutex::new(stream)),
        }
    }
}

#[uniffi::export]
impl SubjectsPaginator {
    /// The next page, or null when there are no more.
    pub async fn next_page(&self) -> Result<Option<SubjectPage>, NecIdError> {
        Ok(next(&self.pages).await?.map(Into::into))
    }
}

/// Every progress page of a bulk batch, following `lastEvaluatedKey`.
#[derive(uniffi::Object)]
pub struct BulkProgressPaginator {
    pages: Pages<necid::BulkProgressPage>,
}

impl BulkProgressPaginator {
    pub(crate) fn new(stream: BoxStream<'static, necid::Result<necid::BulkProgressPage>>) -> Self {
        BulkProgressPaginator {
            pages: Arc::new(Mutex::new(stream)),
        }
    }
}

#[uniffi::export]
impl BulkProgressPaginator {
    /// The next page, or null when there are no more.
    pub async fn next_page(&self) -> Result<Option<BulkProgressPage>, NecIdError> {
        Ok(next(&self.pages).await?.map(Into::into))
    }
}
