//! `necid._necid`: the native half of the `necid` Python package (PyO3).
//!
//! Thin by design: it converts Python values to the core's types and back, maps errors
//! to `necid.exceptions`, and bridges the core's futures to blocking calls (GIL released)
//! and to asyncio. Every rule (validation, retries, parsing) lives in the core crate.

// The operation table is munched one token group at a time (python/src/client.rs).
#![recursion_limit = "512"]

mod client;
mod convert;
mod err;
mod options;
mod rt;

use pyo3::prelude::*;

/// Native half of the `necid` package; import `necid` instead.
#[pymodule]
fn _necid(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::AsyncClient>()?;
    m.add_class::<client::PageIterator>()?;
    m.add_class::<client::AsyncPageIterator>()?;
    m.add_class::<options::CallOptions>()?;
    m.add_class::<options::CancelToken>()?;
    m.add_function(wrap_pyfunction!(options::_set_log_bridge, m)?)?;
    #[cfg(feature = "test-hooks")]
    m.add_function(wrap_pyfunction!(client::_panic_for_tests, m)?)?;
    Ok(())
}
