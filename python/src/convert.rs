//! Conversions between Python values and the core's types. Results become the frozen
//! dataclasses of `necid.models`; inputs (images, tags, settings) are read from the usual
//! Python types. No validation happens here beyond "is this the right Python type": the
//! core validates values.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use necid::{
    Application, BulkProgress, BulkProgressPage, BulkRegistration, Candidate, ConfigBuilder,
    ConfigType, ConfigValue, Event, EventList, FaceAttributes, FaceVerification, Gallery,
    GalleryDetails, Health, Image, JobStatus, Point, Rect, RegisteredFace, SearchResult,
    SubjectEntry, SubjectPage, Tag, Verification,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMemoryView, PyString, PyTuple};

use crate::err;

static MODELS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn new_model<'py>(
    py: Python<'py>,
    class: &str,
    kwargs: Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    let models = MODELS
        .get_or_try_init(py, || Ok::<_, PyErr>(py.import("necid.models")?.unbind()))?
        .bind(py);
    models.getattr(class)?.call((), Some(&kwargs))
}

/// `new_model(py, "Class", {"field": value, ...})`.
macro_rules! model {
    ($py:expr, $class:literal, { $($key:literal => $value:expr),* $(,)? }) => {{
        let kwargs = PyDict::new($py);
        $( kwargs.set_item($key, $value)?; )*
        new_model($py, $class, kwargs)
    }};
}

type Conv<'py, T> = fn(Python<'py>, &T) -> PyResult<Bound<'py, PyAny>>;

fn tuple<'py, T>(py: Python<'py>, items: &[T], f: Conv<'py, T>) -> PyResult<Bound<'py, PyTuple>> {
    let objs = items
        .iter()
        .map(|x| f(py, x))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, objs)
}

/// A Python `list` of converted items (top-level list results).
pub fn list<'py, T>(py: Python<'py>, items: &[T], f: Conv<'py, T>) -> PyResult<Bound<'py, PyAny>> {
    let objs = items
        .iter()
        .map(|x| f(py, x))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, objs)?.into_any())
}

fn opt<'py, T>(
    py: Python<'py>,
    v: Option<&T>,
    f: Conv<'py, T>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    v.map(|x| f(py, x)).transpose()
}

pub fn rect<'py>(py: Python<'py>, r: &Rect) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "Rect", {"left" => r.left, "top" => r.top, "right" => r.right, "bottom" => r.bottom})
}

pub fn point<'py>(py: Python<'py>, p: &Point) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "Point", {"x" => p.x, "y" => p.y})
}

pub fn face_attributes<'py>(py: Python<'py>, a: &FaceAttributes) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "FaceAttributes", {
        "face_area" => opt(py, a.face_area.as_ref(), rect)?,
        "head_area" => opt(py, a.head_area.as_ref(), rect)?,
        "right_eye_center" => opt(py, a.right_eye_center.as_ref(), point)?,
        "left_eye_center" => opt(py, a.left_eye_center.as_ref(), point)?,
        "face_score" => a.face_score,
        "frontal_face_score" => a.frontal_face_score,
        "face_quality_score" => a.face_quality_score,
        "face_roll" => a.face_roll,
        "face_pan" => a.face_pan,
        "face_tilt" => a.face_tilt,
    })
}

pub fn registered_face<'py>(py: Python<'py>, r: &RegisteredFace) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "RegisteredFace", {
        "subject_id" => &r.subject_id,
        "event_id" => r.event_id.as_deref(),
        "attributes" => opt(py, r.attributes.as_ref(), face_attributes)?,
    })
}

fn subject_entry<'py>(py: Python<'py>, s: &SubjectEntry) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "SubjectEntry", {
        "subject_id" => &s.subject_id,
        "event_id" => &s.event_id,
        "status" => &s.status,
        "last_updated" => s.last_updated.as_deref(),
        "active" => s.is_active(),
    })
}

pub fn subject_page<'py>(py: Python<'py>, p: &SubjectPage) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "SubjectPage", {
        "subjects" => tuple(py, &p.subjects, subject_entry)?,
        "total" => p.total,
    })
}

fn event<'py>(py: Python<'py>, e: &Event) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "Event", {"event_id" => &e.event_id, "score" => e.score})
}

pub fn event_list<'py>(py: Python<'py>, l: &EventList) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "EventList", {
        "subject_id" => &l.subject_id,
        "events" => tuple(py, &l.events, event)?,
    })
}

fn candidate<'py>(py: Python<'py>, c: &Candidate) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "Candidate", {
        "subject_id" => &c.subject_id,
        "score" => c.score,
        "events" => tuple(py, &c.events, event)?,
    })
}

pub fn search_result<'py>(py: Python<'py>, r: &SearchResult) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "SearchResult", {
        "candidates" => tuple(py, &r.candidates, candidate)?,
        "attributes" => opt(py, r.attributes.as_ref(), face_attributes)?,
    })
}

pub fn verification<'py>(py: Python<'py>, v: &Verification) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "Verification", {
        "subject_id" => &v.subject_id,
        "verified" => v.verified,
        "score" => v.score,
        "events" => tuple(py, &v.events, event)?,
    })
}

pub fn face_verification<'py>(
    py: Python<'py>,
    v: &FaceVerification,
) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "FaceVerification", {"verified" => v.verified, "score" => v.score})
}

pub fn tag<'py>(py: Python<'py>, t: &Tag) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "Tag", {"name" => &t.name, "id" => t.id})
}

fn job_status<'py>(py: Python<'py>, j: &JobStatus) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "JobStatus", {
        "id" => &j.id,
        "filename" => &j.filename,
        "status" => &j.status,
        "attempts" => j.attempts,
        "event_id" => j.event_id.as_deref(),
        "subject_id" => j.subject_id.as_deref(),
        "register_status" => j.register_status.as_deref(),
        "reason" => j.reason.as_deref(),
        "attributes" => opt(py, j.attributes.as_ref(), face_attributes)?,
        "processed" => j.is_processed(),
        "succeeded" => j.succeeded(),
    })
}

pub fn bulk_progress_page<'py>(
    py: Python<'py>,
    p: &BulkProgressPage,
) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "BulkProgressPage", {
        "batch_id" => &p.batch_id,
        "processed" => tuple(py, &p.processed, job_status)?,
        "last_evaluated_key" => p.last_evaluated_key.as_deref(),
    })
}

pub fn bulk_progress<'py>(py: Python<'py>, p: &BulkProgress) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "BulkProgress", {
        "batch_id" => &p.batch_id,
        "records" => tuple(py, &p.records, job_status)?,
        "total" => p.total(),
        "processed" => p.processed(),
        "succeeded" => p.succeeded(),
        "failed" => p.failed(),
        "done" => p.is_done(),
    })
}

pub fn health<'py>(py: Python<'py>, h: &Health) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "Health", {"status" => &h.status, "ok" => h.is_ok()})
}

pub fn application<'py>(py: Python<'py>, a: &Application) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "Application", {
        "id" => &a.id,
        "name" => &a.name,
        "description" => a.description.as_deref(),
        "api_key" => a.api_key.as_deref(),
        "face_minimum_quality_score" => a.face_minimum_quality_score,
        "gallery_id" => a.gallery_id.as_deref(),
    })
}

pub fn gallery<'py>(py: Python<'py>, g: &Gallery) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "Gallery", {
        "id" => &g.id,
        "name" => &g.name,
        "description" => g.description.as_deref(),
        "size" => g.size,
        "count" => g.count,
        "face_minimum_quality_score" => g.face_minimum_quality_score,
        "api_key" => g.api_key.as_deref(),
    })
}

pub fn gallery_details<'py>(py: Python<'py>, d: &GalleryDetails) -> PyResult<Bound<'py, PyAny>> {
    model!(py, "GalleryDetails", {
        "gallery" => gallery(py, &d.gallery)?,
        "applications" => tuple(py, &d.applications, application)?,
    })
}

// -------------------------------------------------------------------------------------
// inputs

/// Zero-copy `Bytes` over an immutable Python `bytes` object (kept alive by the `Bytes`).
fn from_pybytes(b: &Bound<'_, PyBytes>) -> Bytes {
    Bytes::from_owner(PyBackedBytes::from(b.clone()))
}

/// Bytes of a bytes-like object: `bytes` without copying; `bytearray`/`memoryview` (which
/// may change while the GIL is released) copied once into an immutable `bytes`.
fn bytes_like(obj: &Bound<'_, PyAny>) -> PyResult<Option<Bytes>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Some(from_pybytes(b)));
    }
    if obj.is_instance_of::<PyByteArray>() || obj.is_instance_of::<PyMemoryView>() {
        let copy = obj.py().get_type::<PyBytes>().call1((obj,))?;
        return Ok(Some(from_pybytes(copy.cast::<PyBytes>()?)));
    }
    Ok(None)
}

/// An image argument: `bytes`, `bytearray`, `memoryview`, a `str`/`os.PathLike` path, or
/// a binary file object (anything with `read()` returning bytes).
pub fn image(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<Image> {
    let py = obj.py();
    if let Some(b) = bytes_like(obj)? {
        return Ok(Image::from(b));
    }
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        let path: PathBuf = obj.extract()?;
        return py
            .detach(|| Image::from_path(&path))
            .map_err(|e| err::to_py(py, e));
    }
    if obj.hasattr("read")? {
        let data = obj.call_method0("read")?;
        if let Some(b) = bytes_like(&data)? {
            return Ok(Image::from(b));
        }
        return Err(PyTypeError::new_err(format!(
            "{arg}: the file object's read() returned {}, not bytes (open the file in binary mode, 'rb')",
            data.get_type().name()?
        )));
    }
    Err(PyTypeError::new_err(format!(
        "{arg}: expected bytes, bytearray, memoryview, a path (str or os.PathLike) or a binary file object, got {}",
        obj.get_type().name()?
    )))
}

/// A request body for `sign_request`: bytes-like or `str` (UTF-8).
pub fn body(obj: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Some(b) = bytes_like(obj)? {
        return Ok(b);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Bytes::from(s.to_cow()?.as_bytes().to_vec()));
    }
    Err(PyTypeError::new_err(format!(
        "body: expected bytes, bytearray, memoryview or str, got {}",
        obj.get_type().name()?
    )))
}

/// Header pairs from a mapping or an iterable of `(name, value)` pairs.
pub fn headers(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    let Some(obj) = obj else {
        return Ok(Vec::new());
    };
    if let Ok(d) = obj.cast::<PyDict>() {
        return d
            .iter()
            .map(|(k, v)| Ok((k.extract::<String>()?, v.extract::<String>()?)))
            .collect();
    }
    let pairs = if obj.hasattr("items")? {
        obj.call_method0("items")?
    } else {
        obj.clone()
    };
    pairs.try_iter()?.map(|kv| pair(&kv?)).collect()
}

/// A `(name, value)` pair given as any 2-item iterable (tuple, or list from JSON).
fn pair(item: &Bound<'_, PyAny>) -> PyResult<(String, String)> {
    let bad = || PyTypeError::new_err("headers: each item must be a (name, value) pair of str");
    if item.is_instance_of::<PyString>() {
        return Err(bad());
    }
    let parts = item
        .try_iter()?
        .map(|x| x?.extract::<String>())
        .collect::<PyResult<Vec<_>>>()?;
    match <[String; 2]>::try_from(parts) {
        Ok([name, value]) => Ok((name, value)),
        Err(_) => Err(bad()),
    }
}

/// Tag names: any iterable of `str` except a bare `str` (which would be split into
/// characters).
pub fn tags(obj: Option<&Bound<'_, PyAny>>, arg: &str) -> PyResult<Vec<String>> {
    let Some(obj) = obj else {
        return Ok(Vec::new());
    };
    if obj.is_none() {
        return Ok(Vec::new());
    }
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{arg}: expected a sequence of tag names, got a str (wrap one tag as [\"{}\"])",
            obj.extract::<String>()?
        )));
    }
    obj.try_iter()?.map(|t| t?.extract::<String>()).collect()
}

/// Bulk registrations: `necid.BulkRegistration`s (or anything with `filename` and
/// `tags`), `(filename, tags)` pairs, or bare file names.
pub fn registrations(obj: &Bound<'_, PyAny>) -> PyResult<Vec<BulkRegistration>> {
    obj.try_iter()?
        .map(|item| {
            let item = item?;
            if let Ok(name) = item.cast::<PyString>() {
                return Ok(BulkRegistration::new(name.to_cow()?, Vec::<String>::new()));
            }
            if item.hasattr("filename")? {
                let filename: String = item.getattr("filename")?.extract()?;
                let t = if item.hasattr("tags")? {
                    tags(Some(&item.getattr("tags")?), "tags")?
                } else {
                    Vec::new()
                };
                return Ok(BulkRegistration::new(filename, t));
            }
            let (filename, t): (String, Bound<'_, PyAny>) = item.extract().map_err(|_| {
                PyTypeError::new_err(
                    "registrations: each item must be a BulkRegistration, a (filename, tags) pair or a file name",
                )
            })?;
            Ok(BulkRegistration::new(filename, tags(Some(&t), "tags")?))
        })
        .collect()
}

/// Seconds (int or float) as a `Duration`; negative or non-finite is `InvalidInputError`.
pub fn seconds(py: Python<'_>, value: f64, arg: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        err::to_py(
            py,
            necid::Error::invalid_input(arg, "must be a non-negative number of seconds"),
        )
    })
}

/// Apply keyword settings to `b`: the keywords are the names of the core's settings
/// table (`necid::CONFIG_KEYS`), durations in seconds. `None` values are skipped.
pub fn apply_settings(
    py: Python<'_>,
    mut b: ConfigBuilder,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<ConfigBuilder> {
    let Some(kwargs) = kwargs else {
        return Ok(b);
    };
    for (k, v) in kwargs.iter() {
        let name: String = k.extract()?;
        let Some(key) = necid::config::config_key(&name) else {
            return Err(PyTypeError::new_err(format!(
                "unexpected keyword argument {name:?}"
            )));
        };
        if v.is_none() {
            continue;
        }
        let value = match key.ty {
            ConfigType::Text | ConfigType::Secret => match v.extract::<String>() {
                Ok(text) => ConfigValue::Text(text),
                // A path setting (ca_bundle) may be an os.PathLike.
                Err(e) => match v.extract::<PathBuf>() {
                    Ok(path) => ConfigValue::Text(path.to_str().ok_or(e)?.to_owned()),
                    Err(_) => return Err(e),
                },
            },
            ConfigType::Pem => match v.extract::<String>() {
                Ok(text) => ConfigValue::Text(text),
                Err(_) => ConfigValue::Bytes(v.extract()?),
            },
            ConfigType::Duration => ConfigValue::Duration(seconds(py, v.extract()?, &name)?),
            ConfigType::Count => ConfigValue::Count(v.extract()?),
        };
        b = b.set(key.name, value).map_err(|e| err::to_py(py, e))?;
    }
    Ok(b)
}
