//! Core errors → the Python exception classes of `necid.exceptions`, and panic containment.
//!
//! The classes are plain Python (so they pickle, and `InvalidInputError` can also be a
//! `ValueError`, `TimedOutError` a `TimeoutError`); this module instantiates them with the
//! error's fields. A Rust panic never crosses into Python as PyO3's `PanicException` (a
//! `BaseException` that `except Exception` would miss): [`guard`] and the async bridge
//! turn it into `necid.NecIdError`.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn exceptions(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    EXCEPTIONS
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("necid.exceptions")?.unbind())
        })
        .map(|m| m.bind(py))
}

fn build(py: Python<'_>, e: &necid::Error) -> PyResult<PyErr> {
    // The class of the error's kind (`necid.exceptions._BY_KIND`, built from the classes'
    // `kind`). The core's Display is "Kind: message (HTTP s, errorType t, ...)"; the class
    // already names the kind. A kind this build does not know is the base class (kind
    // "Internal", as in every binding) and keeps the kind's name at the start of the message.
    let exceptions = exceptions(py)?;
    let by_kind = exceptions.getattr(pyo3::intern!(py, "_BY_KIND"))?;
    let text = e.to_string();
    let (class, message) = match by_kind.cast::<PyDict>()?.get_item(e.kind().as_str())? {
        Some(class) => {
            let prefix = format!("{}: ", e.kind());
            (class, text.strip_prefix(&prefix).unwrap_or(&text))
        }
        None => (exceptions.getattr("NecIdError")?, text.as_str()),
    };
    let kwargs = PyDict::new(py);
    kwargs.set_item("status", e.status())?;
    kwargs.set_item("error_code", e.error_code())?;
    kwargs.set_item("error_type", e.error_type())?;
    kwargs.set_item("request_id", e.request_id())?;
    kwargs.set_item("field", e.field())?;
    let instance = class.call((message,), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}

/// The Python exception for a core error.
pub fn to_py(py: Python<'_>, e: necid::Error) -> PyErr {
    // If even building the exception fails (package half-imported), that failure is the
    // most useful thing to raise.
    build(py, &e).unwrap_or_else(|failure| failure)
}

/// A `necid.NecIdError` (kind `Internal`) with `message`.
pub fn internal(py: Python<'_>, message: &str) -> PyErr {
    match exceptions(py).and_then(|m| m.getattr("NecIdError")?.call1((message,))) {
        Ok(instance) => PyErr::from_value(instance),
        Err(failure) => failure,
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "unknown panic payload"
    }
}

/// The Python exception for a caught Rust panic.
pub fn panic_to_py(py: Python<'_>, payload: &(dyn Any + Send)) -> PyErr {
    internal(
        py,
        &format!(
            "internal error in the necid extension (Rust panic: {}); please report it",
            panic_message(payload)
        ),
    )
}

/// Run `f`, turning a panic into `necid.NecIdError` instead of PyO3's `PanicException`.
pub fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(panic_to_py(py, payload.as_ref())),
    }
}
