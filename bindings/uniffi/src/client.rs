//! The `Client` object: every core operation as an async method.

use std::sync::Arc;
use std::time::SystemTime;

use crate::call::{CallOptions, ResponseMetadata};
use crate::config::ClientConfig;
use crate::error::NecIdError;
use crate::paginate::{BulkProgressPaginator, SubjectsPaginator};
use crate::rt::on_runtime;
use crate::types::*;

/// Receives progress while `wait_for_bulk_register` polls. Called on an SDK worker
/// thread after each poll; keep it quick (it delays the next poll). Throwing stops the
/// wait: a thrown `NecIdError` is returned as is, anything else as `InvalidInput`.
#[uniffi::export(with_foreign)]
pub trait BulkProgressListener: Send + Sync {
    /// Every record of the batch so far.
    fn on_progress(&self, progress: BulkProgress) -> Result<(), NecIdError>;
}

/// NEC ID client. Thread-safe: share one per process (it holds the connection pool).
/// Dropping or closing it releases the pool once in-flight calls finish.
#[derive(Debug, uniffi::Object)]
pub struct Client {
    inner: necid::Client,
    /// Where a view (`with_options`) records its calls' metadata.
    slot: Option<necid::MetadataSlot>,
}

#[uniffi::export]
impl Client {
    /// A view of this client whose calls use `options` (a deadline for each whole call,
    /// a `maxAttempts` override, extra signed headers, a cancel token) and record their
    /// response metadata (`lastMetadata()`). It shares the connection pool; bad options
    /// throw `InvalidInput` here. Does no I/O.
    pub fn with_options(&self, options: CallOptions) -> Result<Arc<Client>, NecIdError> {
        let slot = necid::MetadataSlot::new();
        Ok(Arc::new(Client {
            inner: self
                .inner
                .with_metadata_slot(slot.clone())
                .with_options(options.to_core()?),
            slot: Some(slot),
        }))
    }

    /// The response metadata of the last call made on this view that got a response
    /// (request id, HTTP status, attempts, clock-skew correction); null on a client that
    /// is not a view, or before its first response.
    pub fn last_metadata(&self) -> Option<ResponseMetadata> {
        self.slot
            .as_ref()
            .and_then(necid::MetadataSlot::get)
            .map(Into::into)
    }
}

fn map_vec<A, B: From<A>>(v: Vec<A>) -> Vec<B> {
    v.into_iter().map(Into::into).collect()
}

#[uniffi::export]
impl Client {
    /// A client for `config`. Does no I/O.
    #[uniffi::constructor]
    pub fn new(config: Arc<ClientConfig>) -> Result<Arc<Self>, NecIdError> {
        Ok(Arc::new(Client {
            inner: necid::Client::new(config.0.clone())?,
            slot: None,
        }))
    }

    /// A client configured from the profile file and `NECID_*` environment variables.
    #[uniffi::constructor]
    pub fn from_env() -> Result<Arc<Self>, NecIdError> {
        Ok(Arc::new(Client {
            inner: necid::Client::from_env()?,
            slot: None,
        }))
    }

    /// The configuration (secrets are not readable back).
    pub fn config(&self) -> Arc<ClientConfig> {
        Arc::new(ClientConfig(self.inner.config().clone()))
    }

    /// Clock offset (server minus local, ms) learnt from a clock-skew 403; 0 until then.
    pub fn clock_skew_ms(&self) -> i64 {
        self.inner.clock_skew_ms()
    }

    /// Every page of list subjects, `length` rows at a time (see the Kotlin `subjectPages`
    /// / Swift `subjectPages` helpers for a Flow / AsyncSequence).
    #[uniffi::method(default(length = 1000, dir = None))]
    pub fn subjects_paginator(
        &self,
        length: u32,
        dir: Option<SortDirection>,
    ) -> Arc<SubjectsPaginator> {
        let dir = dir.map_or(necid::SortDirection::Asc, Into::into);
        Arc::new(SubjectsPaginator::new(
            self.inner.subjects_paginator(length, dir),
        ))
    }

    /// `POST /face/search`: threshold 0–9999 (service default 7000), limit 1–50 (default
    /// 10), only subjects with any of `tags`. No candidates is an empty list, not an error.
    #[uniffi::method(default(threshold = None, limit = None, tags))]
    pub async fn search(
        &self,
        probe: Vec<u8>,
        threshold: Option<u32>,
        limit: Option<u32>,
        tags: Vec<String>,
    ) -> Result<SearchResult, NecIdError> {
        let mut req = necid::SearchRequest::new(probe).tags(tags);
        req.threshold = threshold;
        req.limit = limit;
        on_runtime(self.inner.search(req)).await
    }

    /// Every progress page of a batch, following `lastEvaluatedKey`.
    pub fn bulk_progress_paginator(&self, batch_id: String) -> Arc<BulkProgressPaginator> {
        Arc::new(BulkProgressPaginator::new(
            self.inner.bulk_progress_paginator(&batch_id),
        ))
    }

    /// Poll a batch until every record is processed (backing off ×1.5 between polls),
    /// telling `listener` after each poll; `TimedOut` at the deadline.
    #[uniffi::method(default(options = None, listener = None))]
    pub async fn wait_for_bulk_register(
        &self,
        batch_id: String,
        options: Option<WaitOptions>,
        listener: Option<Arc<dyn BulkProgressListener>>,
    ) -> Result<BulkProgress, NecIdError> {
        let options = options.map(Into::into).unwrap_or_default();
        // The core's callback cannot fail, so a listener error is handed over a channel
        // and ends the wait (dropping the core's future aborts its polling task).
        let (fail_tx, fail_rx) = tokio::sync::oneshot::channel::<NecIdError>();
        let fail_tx = std::sync::Mutex::new(Some(fail_tx));
        let fut = self
            .inner
            .wait_for_bulk_register(&batch_id, options, move |p| {
                if let Some(l) = &listener
                    && let Err(e) = l.on_progress(p.into())
                    && let Some(tx) = fail_tx.lock().unwrap_or_else(|p| p.into_inner()).take()
                {
                    let _ = tx.send(e);
                }
            });
        let waited = async move {
            tokio::select! {
                r = fut => r.map_err(NecIdError::from),
                Ok(e) = fail_rx => Err(e),
            }
        };
        let rt = necid::runtime()?;
        // Spawned like every other call (see rt::on_runtime), with the listener's error type.
        let progress = crate::rt::spawn_on_runtime(rt, waited).await?;
        Ok((&progress).into())
    }

    /// Sign a custom request now and return the headers to add (`x-api-key` when
    /// configured and absent, `x-amz-date`, `x-amz-security-token`, `authorization`).
    /// `url` is absolute and percent-encoded as sent; every header given is signed.
    pub fn sign_request(
        &self,
        method: String,
        url: String,
        headers: Vec<HttpHeader>,
        body: Vec<u8>,
    ) -> Result<Vec<HttpHeader>, NecIdError> {
        let pairs: Vec<(String, String)> = headers.into_iter().map(|h| (h.name, h.value)).collect();
        Ok(self
            .inner
            .sign_request(&method, &url, &pairs, &body)?
            .into_iter()
            .map(|(name, value)| HttpHeader { name, value })
            .collect())
    }

    /// [`Client::sign_request`] at a fixed time (reproducible signatures, test vectors).
    pub fn sign_request_at(
        &self,
        method: String,
        url: String,
        headers: Vec<HttpHeader>,
        body: Vec<u8>,
        time: SystemTime,
    ) -> Result<Vec<HttpHeader>, NecIdError> {
        let pairs: Vec<(String, String)> = headers.into_iter().map(|h| (h.name, h.value)).collect();
        Ok(self
            .inner
            .sign_request_at(&method, &url, &pairs, &body, time)?
            .into_iter()
            .map(|(name, value)| HttpHeader { name, value })
            .collect())
    }
}

// The other operations, expanded from the core's operation table
// (`necid::for_each_operation!`): one exported async method each, with the table's docs.
// `search`, `wait_for_bulk_register` and `sign_request` change shape here (flattened
// request, a listener object, header records) and are written above.
//
// Arguments as Kotlin/Swift take them: strings and image bytes owned, tag lists
// defaulting to empty, `Option`s defaulting to null, an enum with a default as an optional
// (null: the table's default), a struct of the core as its record. Results as the core's
// (or the wrapper record converted from it).
macro_rules! uniffi_operations {
    // One entry at a time; methods accumulate in `[$out]`.
    (@ops [$($out:tt)*]) => {
        #[uniffi::export]
        #[allow(clippy::useless_conversion)] // .into() is the identity for the core's records
        impl Client { $($out)* }
    };
    (@ops $out:tt $(#[doc = $doc:literal])* $a:ident fn search $args:tt -> $ret:tt = $route:tt; $($rest:tt)*) => {
        uniffi_operations!(@ops $out $($rest)*);
    };
    (@ops $out:tt $(#[doc = $doc:literal])* $a:ident fn wait_for_bulk_register $args:tt -> $ret:tt = $route:tt; $($rest:tt)*) => {
        uniffi_operations!(@ops $out $($rest)*);
    };
    (@ops $out:tt $(#[doc = $doc:literal])* sync fn sign_request $args:tt -> $ret:tt = $route:tt; $($rest:tt)*) => {
        uniffi_operations!(@ops $out $($rest)*);
    };
    (@ops $out:tt $(#[doc = $doc:literal])* async fn $name:ident ($($args:tt)*) -> [$($ret:tt)*] = $route:tt; $($rest:tt)*) => {
        uniffi_operations!(@args $out [$(#[doc = $doc])*] $name [$($ret)*] [] [] [] ($($args)*) {$($rest)*});
    };

    // The arguments, one at a time: parameters [$p], call arguments [$c], defaults [$d].
    (@args $out:tt $docs:tt $name:ident $ret:tt [$($p:tt)*] [$($c:tt)*] [$($d:tt)*] ($arg:ident: [&str] $(, $($more:tt)*)?) $rest:tt) => {
        uniffi_operations!(@args $out $docs $name $ret [$($p)* $arg: String,] [$($c)* &$arg,] [$($d)*] ($($($more)*)?) $rest);
    };
    (@args $out:tt $docs:tt $name:ident $ret:tt [$($p:tt)*] [$($c:tt)*] [$($d:tt)*] ($arg:ident: [Option<&str>] $(, $($more:tt)*)?) $rest:tt) => {
        uniffi_operations!(@args $out $docs $name $ret [$($p)* $arg: Option<String>,] [$($c)* $arg.as_deref(),] [$($d)* $arg = None,] ($($($more)*)?) $rest);
    };
    (@args $out:tt $docs:tt $name:ident $ret:tt [$($p:tt)*] [$($c:tt)*] [$($d:tt)*] ($arg:ident: [impl Into<Image>] $(, $($more:tt)*)?) $rest:tt) => {
        uniffi_operations!(@args $out $docs $name $ret [$($p)* $arg: Vec<u8>,] [$($c)* $arg,] [$($d)*] ($($($more)*)?) $rest);
    };
    (@args $out:tt $docs:tt $name:ident $ret:tt [$($p:tt)*] [$($c:tt)*] [$($d:tt)*] ($arg:ident: [&[String]] $(, $($more:tt)*)?) $rest:tt) => {
        uniffi_operations!(@args $out $docs $name $ret [$($p)* $arg: Vec<String>,] [$($c)* &$arg,] [$($d)* $arg = [],] ($($($more)*)?) $rest);
    };
    (@args $out:tt $docs:tt $name:ident $ret:tt [$($p:tt)*] [$($c:tt)*] [$($d:tt)*] ($arg:ident: [&[$t:ident]] $(, $($more:tt)*)?) $rest:tt) => {
        uniffi_operations!(@args $out $docs $name $ret [$($p)* $arg: Vec<$t>,] [$($c)* &map_vec::<$t, necid::$t>($arg),] [$($d)*] ($($($more)*)?) $rest);
    };
    // An optional image (null: none sent) and optional tags (null: not sent; an empty
    // list: sent, which clears them).
    (@args $out:tt $docs:tt $name:ident $ret:tt [$($p:tt)*] [$($c:tt)*] [$($d:tt)*] ($arg:ident: [Option<Image>] $(, $($more:tt)*)?) $rest:tt) => {
        uniffi_operations!(@args $out $docs $name $ret [$($p)* $arg: Option<Vec<u8>>,] [$($c)* $arg.map(necid::Image::from),] [$($d)* $arg = None,] ($($($more)*)?) $rest);
    };
    (@args $out:tt $docs:tt $name:ident $ret:tt [$($p:tt)*] [$($c:tt)*] [$($d:tt)*] ($arg:ident: [Option<&[String]>] $(, $($more:tt)*)?) $rest:tt) => {
        uniffi_operations!(@args $out $docs $name $ret [$($p)* $arg: Option<Vec<String>>,] [$($c)* $arg.as_deref(),] [$($d)* $arg = None,] ($($($more)*)?) $rest);
    };
    (@args $out:tt $docs:tt $name:ident $ret:tt [$($p:tt)*] [$($c:tt)*] [$($d:tt)*] ($arg:ident: [Option<$t:ident>] $(, $($more:tt)*)?) $rest:tt) => {
        uniffi_operations!(@args $out $docs $name $ret [$($p)* $arg: Option<$t>,] [$($c)* $arg,] [$($d)* $arg = None,] ($($($more)*)?) $rest);
    };
    (@args $out:tt $docs:tt $name:ident $ret:tt [$($p:tt)*] [$($c:tt)*] [$($d:tt)*] ($arg:ident: [SortDirection] = $default:literal $(, $($more:tt)*)?) $rest:tt) => {
        uniffi_operations!(@args $out $docs $name $ret [$($p)* $arg: Option<SortDirection>,] [$($c)* match $arg { Some(v) => v, None => $default.parse()? },] [$($d)* $arg = None,] ($($($more)*)?) $rest);
    };
    (@args $out:tt $docs:tt $name:ident $ret:tt [$($p:tt)*] [$($c:tt)*] [$($d:tt)*] ($arg:ident: [u32] = $default:literal $(, $($more:tt)*)?) $rest:tt) => {
        uniffi_operations!(@args $out $docs $name $ret [$($p)* $arg: u32,] [$($c)* $arg,] [$($d)* $arg = $default,] ($($($more)*)?) $rest);
    };
    (@args $out:tt $docs:tt $name:ident $ret:tt [$($p:tt)*] [$($c:tt)*] [$($d:tt)*] ($arg:ident: [$t:ident] $fields:tt $(, $($more:tt)*)?) $rest:tt) => {
        uniffi_operations!(@args $out $docs $name $ret [$($p)* $arg: $t,] [$($c)* $arg.into(),] [$($d)*] ($($($more)*)?) $rest);
    };
    // Every argument done: the method.
    (@args [$($out:tt)*] [$($docs:tt)*] $name:ident [$($ret:tt)*] [$($p:tt)*] [$($c:tt)*] [$($d:tt)*] () {$($rest:tt)*}) => {
        uniffi_operations!(@ops [$($out)*
            $($docs)*
            #[uniffi::method(default($($d)*))]
            pub async fn $name(&self, $($p)*) -> Result<$($ret)*, NecIdError> {
                uniffi_operations!(@call [$($ret)*] on_runtime(self.inner.$name($($c)*)).await)
            }
        ] $($rest)*);
    };

    // The result, converted.
    (@call [()] $($call:tt)*) => { $($call)* };
    (@call [Vec<$t:ident>] $($call:tt)*) => { Ok(map_vec($($call)*?)) };
    (@call [$t:ident] $($call:tt)*) => { Ok($($call)*?.into()) };

    // The table's entries.
    ($($entries:tt)*) => { uniffi_operations!(@ops [] $($entries)*); };
}

necid::for_each_operation!(uniffi_operations);
