//! Blocking facade over [`crate::Client`] for synchronous callers (CLI, C, Python sync).
//!
//! Each method runs the async operation on the SDK runtime with `block_on`. Called from
//! inside an async runtime it returns an `InvalidInput` error instead of panicking
//! (blocking a runtime thread would stall it).

use std::time::SystemTime;

use futures_util::StreamExt as _;

use crate::client::{SearchRequest, WaitOptions};
use crate::config::Config;
use crate::error::Result;
use crate::image::Image;
use crate::models::*;
use crate::runtime::block_on;

/// Blocking NEC ID client. Cheap to clone; shares its pool with [`Client::as_async`].
#[derive(Debug, Clone)]
pub struct Client {
    inner: crate::Client,
}

impl From<crate::Client> for Client {
    fn from(inner: crate::Client) -> Self {
        Client { inner }
    }
}

impl Client {
    /// A blocking client for `config`.
    pub fn new(config: Config) -> Result<Client> {
        Ok(Client {
            inner: crate::Client::new(config)?,
        })
    }
    /// `Client::new(Config::from_env()?)`.
    pub fn from_env() -> Result<Client> {
        Client::new(Config::from_env()?)
    }
    /// The async client underneath.
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }
    /// The configuration.
    pub fn config(&self) -> &Config {
        self.inner.config()
    }

    /// A view whose calls use `options`; see [`crate::Client::with_options`].
    pub fn with_options(&self, options: crate::CallOptions) -> Client {
        Client {
            inner: self.inner.with_options(options),
        }
    }

    /// Run one call (made by `call` on the view it is given) and return its result with
    /// the call's [`crate::ResponseMetadata`]; see [`crate::Client::with_metadata`].
    ///
    /// ```no_run
    /// # fn f(client: necid::blocking::Client) -> necid::Result<()> {
    /// let (health, meta) = client.with_metadata(|c| c.health())?;
    /// println!("{health:?}: HTTP {} request id {:?}", meta.status, meta.request_id);
    /// # Ok(()) }
    /// ```
    pub fn with_metadata<T>(
        &self,
        call: impl FnOnce(&Client) -> Result<T>,
    ) -> Result<(T, crate::ResponseMetadata)> {
        let slot = crate::MetadataSlot::new();
        let view = Client {
            inner: self.inner.with_metadata_slot(slot.clone()),
        };
        let value = call(&view)?;
        Ok((value, slot.get().unwrap_or_default()))
    }

    /// Iterator over every page; see [`crate::Client::subjects_paginator`].
    pub fn subjects_paginator(
        &self,
        length: u32,
        dir: SortDirection,
    ) -> impl Iterator<Item = Result<SubjectPage>> + Send + 'static {
        blocking_iter(self.inner.subjects_paginator(length, dir))
    }
    /// Iterator over every progress page; see [`crate::Client::bulk_progress_paginator`].
    pub fn bulk_progress_paginator(
        &self,
        batch_id: &str,
    ) -> impl Iterator<Item = Result<BulkProgressPage>> + Send + 'static {
        blocking_iter(self.inner.bulk_progress_paginator(batch_id))
    }
    /// See [`crate::Client::sign_request_at`].
    pub fn sign_request_at(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        time: SystemTime,
    ) -> Result<Vec<(String, String)>> {
        self.inner.sign_request_at(method, url, headers, body, time)
    }
}

fn blocking_iter<T: Send + 'static>(
    mut s: crate::BoxStream<'static, Result<T>>,
) -> impl Iterator<Item = Result<T>> + Send + 'static {
    std::iter::from_fn(move || {
        block_on(async { Ok(s.next().await) })
            .transpose()
            .map(|r| r.and_then(|x| x))
    })
}

/// The operations: one blocking method per entry of the operation table, forwarding to
/// the async method (`block_on`) or, for a `sync` entry, calling it directly.
macro_rules! blocking_methods {
    ($(
        $(#[doc = $doc:literal])*
        $asyncness:ident fn $name:ident (
            $( $arg:ident : [$($ty:tt)*]
               $( { $( $field:ident : [$($fty:tt)*] $(= $fdefault:literal)? ),* } )?
               $( = $default:literal )?
            ),*
        ) -> [$($ret:tt)*] = $route:tt ;
    )*) => {
        impl Client {$(
            $(#[doc = $doc])*
            #[doc = ""]
            #[doc = concat!("Blocking form of [`crate::Client::", stringify!($name), "`].")]
            pub fn $name(&self, $($arg: $($ty)*),*) -> Result<$($ret)*> {
                blocking_methods!(@call $asyncness self.inner.$name($($arg),*))
            }
        )*}
    };
    (@call async $call:expr) => { block_on($call) };
    (@call sync $call:expr) => { $call };
}

crate::for_each_operation!(blocking_methods);
