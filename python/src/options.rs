//! `necid.CallOptions` and `necid.CancelToken` (the core's per-call options), and the
//! response metadata attached to results. The core decides everything (deadline,
//! retries, header checks, cancellation, what the metadata says); this converts.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;

use crate::convert::{self as cv, ToPy as _};
use crate::err;

/// Per-call options, for the ``options=`` keyword of every operation: ``deadline``
/// (seconds, the whole call including retries; then :class:`TimedOutError`),
/// ``max_attempts`` (overrides the client's; 1 = no retries), ``headers`` (a mapping or
/// ``(name, value)`` pairs, signed with the request; the SDK's own headers such as
/// ``authorization``, ``host`` or ``x-api-key`` are refused with
/// :class:`InvalidInputError`) and ``cancel`` (a :class:`CancelToken`). Immutable;
/// one object can serve any number of calls.
#[pyclass(module = "necid", name = "CallOptions", frozen)]
pub struct CallOptions {
    inner: necid::CallOptions,
    cancel: Option<Py<CancelToken>>,
}

#[pymethods]
impl CallOptions {
    #[new]
    #[pyo3(signature = (*, deadline=None, max_attempts=None, headers=None, cancel=None))]
    fn new(
        py: Python<'_>,
        deadline: Option<f64>,
        max_attempts: Option<u32>,
        headers: Option<&Bound<'_, PyAny>>,
        cancel: Option<Bound<'_, CancelToken>>,
    ) -> PyResult<Self> {
        let mut inner = necid::CallOptions::new();
        if let Some(d) = deadline {
            inner.deadline = Some(cv::seconds(py, d, "deadline")?);
        }
        inner.max_attempts = max_attempts;
        inner.headers = cv::headers(headers)?;
        inner.cancel = cancel.as_ref().map(|c| c.get().inner.clone());
        // Bad options fail here, at once, rather than at each call.
        inner.validate().map_err(|e| err::to_py(py, e))?;
        Ok(CallOptions {
            inner,
            cancel: cancel.map(Bound::unbind),
        })
    }

    /// The deadline in seconds, or ``None``.
    #[getter]
    fn deadline(&self) -> Option<f64> {
        self.inner.deadline.as_ref().map(Duration::as_secs_f64)
    }
    /// The attempts override, or ``None``.
    #[getter]
    fn max_attempts(&self) -> Option<u32> {
        self.inner.max_attempts
    }
    /// The extra headers as ``(name, value)`` pairs.
    #[getter]
    fn headers(&self) -> Vec<(String, String)> {
        self.inner.headers.clone()
    }
    /// The cancel token, or ``None``.
    #[getter]
    fn cancel(&self, py: Python<'_>) -> Option<Py<CancelToken>> {
        self.cancel.as_ref().map(|c| c.clone_ref(py))
    }
    /// The options without header values (they may carry tokens).
    fn __repr__(&self) -> String {
        let names: Vec<&str> = self.inner.headers.iter().map(|(k, _)| k.as_str()).collect();
        format!(
            "CallOptions(deadline={}, max_attempts={}, headers={names:?}, cancel={})",
            self.deadline()
                .map_or_else(|| "None".to_owned(), |d| d.to_string()),
            self.inner
                .max_attempts
                .map_or_else(|| "None".to_owned(), |n| n.to_string()),
            if self.cancel.is_some() {
                "CancelToken"
            } else {
                "None"
            },
        )
    }
}

/// Cancels the calls whose :class:`CallOptions` carry it, from any thread: a running call
/// stops at once (its connection is closed, no retry follows) and raises
/// :class:`CancelledError`; a call started after :meth:`cancel` raises it without sending
/// anything. (``asyncio`` task cancellation and Ctrl-C also stop a call; this is for a
/// call blocked in another thread.)
#[pyclass(module = "necid", name = "CancelToken", frozen)]
pub struct CancelToken {
    inner: necid::CancelToken,
}

#[pymethods]
impl CancelToken {
    #[new]
    fn new() -> Self {
        CancelToken {
            inner: necid::CancelToken::new(),
        }
    }
    /// Cancel every call using this token (idempotent).
    fn cancel(&self) {
        self.inner.cancel();
    }
    /// Whether :meth:`cancel` was called.
    #[getter]
    fn cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
    fn __repr__(&self) -> String {
        format!("CancelToken(cancelled={})", self.cancelled())
    }
}

/// The core client a call uses: the metadata slot, then the options, if any.
pub fn call_client(
    client: &necid::Client,
    options: Option<&CallOptions>,
    slot: &necid::MetadataSlot,
) -> necid::Client {
    let c = client.with_metadata_slot(slot.clone());
    match options {
        Some(o) => c.with_options(o.inner.clone()),
        None => c,
    }
}

/// A model result with its `metadata` attribute (frozen dataclasses: set like their own
/// `__init__` does, through `object.__setattr__`).
pub fn on_model<'py>(
    py: Python<'py>,
    obj: Bound<'py, PyAny>,
    m: Option<necid::ResponseMetadata>,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(m) = m {
        cv::set_frozen(&obj, pyo3::intern!(py, "metadata"), m.to_py(py)?)?;
    }
    Ok(obj)
}

/// A list result as `necid.models.ResultList` (a `list` with `metadata`).
pub fn on_list<'py>(
    py: Python<'py>,
    obj: Bound<'py, PyAny>,
    m: Option<necid::ResponseMetadata>,
) -> PyResult<Bound<'py, PyAny>> {
    let Some(m) = m else { return Ok(obj) };
    let Ok(list) = obj.cast::<PyList>() else {
        return Ok(obj);
    };
    static RESULT_LIST: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let out = cv::model_class(py, &RESULT_LIST, "ResultList")?.call1((list,))?;
    out.setattr(pyo3::intern!(py, "metadata"), m.to_py(py)?)?;
    Ok(out)
}

/// Forward the core's log events at `level` (`"off"`, `"error"`, `"warn"`, `"info"`,
/// `"debug"`, `"trace"`) and above to `emit(level_number, target, message)` (see
/// `necid.enable_logging`, which passes the `logging` bridge). Internal.
#[pyfunction]
#[pyo3(signature = (level, emit=None))]
pub fn _set_log_bridge(py: Python<'_>, level: &str, emit: Option<Py<PyAny>>) -> PyResult<()> {
    let level = necid::logging::LogLevel::parse(level).map_err(|e| err::to_py(py, e))?;
    let sink = emit.map(|emit| {
        let emit = std::sync::Arc::new(emit);
        let sink: necid::logging::LogSink = std::sync::Arc::new(move |r| {
            // Events come from the SDK's threads; a failing handler is the logging
            // module's business, not the request's.
            Python::attach(|py| {
                if let Err(e) = emit.call1(py, (r.level as u8, r.target, r.message)) {
                    e.write_unraisable(py, None);
                }
            });
        });
        sink
    });
    py.detach(|| necid::logging::set_log_sink(sink, level))
        .map_err(|e| err::to_py(py, e))
}

/// Reads an `AsyncClient.with_metadata` view's slot once its awaitable is done (called by
/// `necid._metadata.await_with_metadata`).
#[pyclass(module = "necid", frozen)]
pub struct MetadataReader {
    pub(crate) slot: necid::MetadataSlot,
}

#[pymethods]
impl MetadataReader {
    fn __call__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.slot.get().unwrap_or_default().to_py(py)
    }
}
