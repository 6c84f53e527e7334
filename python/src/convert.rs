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
    GalleryDetails, Health, Image, JobStatus, Point, Rect, RegisteredFace, ResponseMetadata,
    SearchResult, SubjectEntry, SubjectPage, Tag, Verification,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMemoryView, PyString, PyTuple};

use crate::err;

static MODELS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// `necid.models.<class>`, looked up once per class (`cache` is the class's own cell).
pub fn model_class<'py>(
    py: Python<'py>,
    cache: &'static PyOnceLock<Py<PyAny>>,
    class: &str,
) -> PyResult<&'py Bound<'py, PyAny>> {
    cache
        .get_or_try_init(py, || {
            let models = MODELS
                .get_or_try_init(py, || Ok::<_, PyErr>(py.import("necid.models")?.unbind()))?
                .bind(py);
            Ok::<_, PyErr>(models.getattr(class)?.unbind())
        })
        .map(|c| c.bind(py))
}

/// `object.__new__` and `object.__setattr__`.
static OBJECT: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();

fn object_fns(py: Python<'_>) -> PyResult<&(Py<PyAny>, Py<PyAny>)> {
    OBJECT.get_or_try_init(py, || {
        let object = py.get_type::<PyAny>();
        Ok::<_, PyErr>((
            object.getattr("__new__")?.unbind(),
            object.getattr("__setattr__")?.unbind(),
        ))
    })
}

/// An instance of the frozen dataclass `class` whose attributes are `fields` (every field
/// of the class, by name), built the way unpickling does: `object.__new__(class)` with
/// `fields` as its `__dict__`. The result is the object `class(**fields)` makes (the
/// models have no `__post_init__` and no `init=False` fields), without running the
/// generated `__init__` (a Python frame and one `object.__setattr__` per field: most of
/// the cost of a result, measured by bench/ab.py).
pub fn instance<'py>(
    class: &Bound<'py, PyAny>,
    fields: Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = class.py();
    let (new, setattr) = object_fns(py)?;
    let obj = new.bind(py).call1((class,))?;
    setattr
        .bind(py)
        .call1((&obj, pyo3::intern!(py, "__dict__"), fields))?;
    Ok(obj)
}

/// `object.__setattr__(obj, name, value)`: sets an attribute of a frozen dataclass the
/// way its own `__init__` does.
pub fn set_frozen<'py>(
    obj: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
    value: Bound<'py, PyAny>,
) -> PyResult<()> {
    let py = obj.py();
    let (_, setattr) = object_fns(py)?;
    setattr.bind(py).call1((obj, name, value))?;
    Ok(())
}

/// A core value as the Python object a client returns: models become the frozen
/// dataclasses of `necid.models` (the class of the same name), sequences inside them
/// tuples, a top-level list of results a `list`, `()` `None`.
pub trait ToPy {
    /// The Python object for `self`.
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
}

/// `ToPy::to_py` as a function (what the clients pass to the awaitable bridge).
pub fn to_py<'py, T: ToPy>(py: Python<'py>, value: T) -> PyResult<Bound<'py, PyAny>> {
    value.to_py(py)
}

/// Values that pyo3 converts as they are.
macro_rules! plain {
    ($($t:ty),*) => {$(
        impl ToPy for $t {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                Ok(self.into_pyobject(py)?.to_owned().into_any())
            }
        }
    )*};
}
plain!(bool, u16, u32, u64, i64, usize, f64, String);

impl ToPy for () {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(py.None().into_bound(py))
    }
}

impl<T: ToPy> ToPy for Option<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(v) => v.to_py(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
}

fn items<'py, T: ToPy>(py: Python<'py>, values: &[T]) -> PyResult<Vec<Bound<'py, PyAny>>> {
    values.iter().map(|x| x.to_py(py)).collect()
}

/// Sequences inside results are tuples (results stay immutable).
impl<T: ToPy> ToPy for [T] {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyTuple::new(py, items(py, self)?)?.into_any())
    }
}

impl<T: ToPy> ToPy for Vec<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.as_slice().to_py(py)
    }
}

/// A top-level list result (`list_tags()` and the like) is a `list`.
pub struct List<T>(pub Vec<T>);

impl<T: ToPy> ToPy for List<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyList::new(py, items(py, &self.0)?)?.into_any())
    }
}

/// Each model's Python attributes: `field` (the core field of that name) or
/// `field = method()` (a value the core computes). The Python classes of
/// `necid/models.py` are rendered from this table (tests/e2e/tests/surfaces.rs).
macro_rules! models {
    ($( $model:ident { $( $field:ident $(= $method:ident())? ),* $(,)? } )*) => {$(
        models!(@impl $model { $( $field $(= $method())? ),* });
        models!(@check $model [] $($field $(= $method())?),*);
    )*};
    (@impl $model:ident { $( $field:ident $(= $method:ident())? ),* }) => {
        impl ToPy for $model {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                static CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
                let fields = PyDict::new(py);
                $( fields.set_item(
                    pyo3::intern!(py, stringify!($field)),
                    models!(@value self $field $($method)?).to_py(py)?,
                )?; )*
                instance(model_class(py, &CLASS, stringify!($model))?, fields)
            }
        }
    };
    // Every field of the core's struct is listed (exhaustive pattern): a field added
    // to a core model fails to compile here until Python shows it (or says why not).
    (@check $model:ident [$($acc:tt)*]) => {
        const _: fn(&$model) = |value| {
            let $model { $($acc)* } = value;
        };
    };
    (@check $model:ident [$($acc:tt)*] $field:ident = $method:ident() $(, $($rest:tt)*)?) => {
        models!(@check $model [$($acc)*] $($($rest)*)?);
    };
    (@check $model:ident [$($acc:tt)*] $field:ident $(, $($rest:tt)*)?) => {
        models!(@check $model [$($acc)* $field: _,] $($($rest)*)?);
    };
    (@value $self:ident $field:ident) => { $self.$field };
    (@value $self:ident $field:ident $method:ident) => { $self.$method() };
}

models! {
    Rect { left, top, right, bottom }
    Point { x, y }
    FaceAttributes {
        face_area, head_area, right_eye_center, left_eye_center, face_score,
        frontal_face_score, face_quality_score, face_roll, face_pan, face_tilt,
    }
    RegisteredFace { subject_id, event_id, attributes }
    SubjectEntry { subject_id, event_id, status, last_updated, active = is_active() }
    SubjectPage { subjects, total }
    Event { event_id, score }
    EventList { subject_id, events }
    Candidate { subject_id, score, events }
    SearchResult { candidates, attributes }
    Verification { subject_id, verified, score, events }
    FaceVerification { verified, score }
    Tag { name, id }
    JobStatus {
        id, filename, status, attempts, event_id, subject_id, register_status, reason,
        attributes, attributes_json, processed = is_processed(), succeeded = succeeded(),
    }
    BulkProgressPage { batch_id, processed, last_evaluated_key }
    BulkProgress {
        batch_id, records, total = total(), processed = processed(),
        succeeded = succeeded(), failed = failed(), done = is_done(),
    }
    Health { status, ok = is_ok() }
    Application { id, name, description, api_key, face_minimum_quality_score, gallery_id }
    Gallery { id, name, description, size, count, face_minimum_quality_score, api_key }
    GalleryDetails { gallery, applications }
}

// `#[non_exhaustive]` in the core: not checked field by field.
models!(@impl ResponseMetadata { request_id, status, attempts, clock_skew_ms });

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

/// Tags that may be absent: `None` (not sent) stays `None`; a sequence (an empty one
/// too: it clears the tags) is `Some`.
pub fn opt_tags(obj: Option<&Bound<'_, PyAny>>, arg: &str) -> PyResult<Option<Vec<String>>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => tags(Some(o), arg).map(Some),
    }
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

/// Seconds since the Unix epoch of a `datetime` (aware; naive means local time, as
/// `datetime.timestamp()` says) or of a number.
pub fn epoch_seconds(obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    if obj.hasattr("timestamp")? {
        obj.call_method0("timestamp")?.extract()
    } else {
        obj.extract()
    }
}

/// `b` with the keyword setting `name` (a name of the core's settings table,
/// `necid::CONFIG_KEYS`; durations in seconds) set to `v`; `None` leaves it unset.
pub fn setting(
    py: Python<'_>,
    b: ConfigBuilder,
    name: &str,
    v: &Bound<'_, PyAny>,
) -> PyResult<ConfigBuilder> {
    let Some(key) = necid::config::config_key(name) else {
        return Err(PyTypeError::new_err(format!(
            "unexpected keyword argument {name:?}"
        )));
    };
    if v.is_none() {
        return Ok(b);
    }
    let value = match key.ty {
        ConfigType::Text | ConfigType::Secret => match v.extract::<String>() {
            Ok(text) => ConfigValue::Text(text),
            // A path setting (ca_bundle, client_cert…) may be an os.PathLike.
            Err(e) => match v.extract::<PathBuf>() {
                Ok(path) => ConfigValue::Text(path.to_str().ok_or(e)?.to_owned()),
                Err(_) => return Err(e),
            },
        },
        ConfigType::Pem => match v.extract::<String>() {
            Ok(text) => ConfigValue::Text(text),
            Err(_) => ConfigValue::Bytes(v.extract()?),
        },
        ConfigType::Duration => ConfigValue::Duration(seconds(py, v.extract()?, name)?),
        ConfigType::Count => ConfigValue::Count(v.extract()?),
    };
    b.set(key.name, value).map_err(|e| err::to_py(py, e))
}
