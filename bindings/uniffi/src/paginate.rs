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

/// A paginator object over the core's pages of `$core`, each converted to `$page`.
macro_rules! paginator {
    ($(#[$doc:meta])* $name:ident: $core:ty => $page:ty) => {
        $(#[$doc])*
        #[derive(uniffi::Object)]
        pub struct $name {
            pages: Pages<$core>,
        }

        impl $name {
            pub(crate) fn new(stream: BoxStream<'static, necid::Result<$core>>) -> Self {
                $name {
                    pages: Arc::new(Mutex::new(stream)),
                }
            }
        }

        #[uniffi::export]
        impl $name {
            /// The next page, or null when there are no more.
            pub async fn next_page(&self) -> Result<Option<$page>, NecIdError> {
                Ok(next(&self.pages).await?.map(Into::into))
            }
        }
    };
}

paginator! {
    /// Every page of list subjects, in order. `next_page()` returns null after the last page.
    SubjectsPaginator: necid::SubjectPage => SubjectPage
}

paginator! {
    /// Every progress page of a bulk batch, following `lastEvaluatedKey`.
    BulkProgressPaginator: necid::BulkProgressPage => BulkProgressPage
}
