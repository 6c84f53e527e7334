//! Typed results. Deserialisation accepts every documented wire variant (see
//! `shared/spec/API-NOTES.md`): numbers as JSON strings or numbers, the Swagger and
//! reference shapes, the `processsed` misspelling; unknown fields are ignored.
//! Serialisation (for CLI/JSON output) always writes real numbers in camelCase.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// Flexible scalars

/// A number, a string (the service sends many numbers as strings) or a boolean.
enum Flex {
    Num(serde_json::Number),
    Str(String),
    Bool(bool),
}

// By hand rather than `#[serde(untagged)]`: untagged buffers every value and builds an
// error for each variant that does not match (every string-typed number would try
// `Num` first), which showed up in profiles of response decoding.
impl<'de> Deserialize<'de> for Flex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FlexVisitor;
        impl de::Visitor<'_> for FlexVisitor {
            type Value = Flex;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number, a string or a boolean")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Flex, E> {
                Ok(Flex::Num(v.into()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Flex, E> {
                Ok(Flex::Num(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Flex, E> {
                serde_json::Number::from_f64(v)
                    .map(Flex::Num)
                    .ok_or_else(|| E::custom("number out of range"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flex, E> {
                Ok(Flex::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Flex, E> {
                Ok(Flex::Str(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flex, E> {
                Ok(Flex::Bool(v))
            }
        }
        d.deserialize_any(FlexVisitor)
    }
}

fn flex_f64<E: de::Error>(v: Flex) -> Result<Option<f64>, E> {
    match v {
        Flex::Num(n) => n
            .as_f64()
            .map(Some)
            .ok_or_else(|| E::custom("number out of range")),
        Flex::Str(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<f64>()
                .map(Some)
                .map_err(|_| E::custom(format!("expected a number, got {t:?}")))
        }
        Flex::Bool(_) => Err(E::custom("expected a number, got a boolean")),
    }
}

fn flex_i64<E: de::Error>(v: Flex) -> Result<Option<i64>, E> {
    match v {
        Flex::Num(n) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else {
                float_to_i64(n.as_f64().unwrap_or(f64::NAN)).map(Some)
            }
        }
        Flex::Str(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            match t.parse::<i64>() {
                Ok(i) => Ok(Some(i)),
                Err(_) => match t.parse::<f64>() {
                    Ok(f) => float_to_i64(f).map(Some),
                    Err(_) => Err(E::custom(format!("expected an integer, got {t:?}"))),
                },
            }
        }
        Flex::Bool(_) => Err(E::custom("expected an integer, got a boolean")),
    }
}

fn float_to_i64<E: de::Error>(f: f64) -> Result<i64, E> {
    if f.is_finite() && f.abs() < 9.0e15 {
        // "-0", "161.0": pixel coordinates are whole numbers; round the rest.
        #[allow(clippy::cast_possible_truncation)]
        Ok(f.round() as i64)
    } else {
        Err(E::custom("integer out of range"))
    }
}

fn de_opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Option::<Flex>::deserialize(d)? {
        None => Ok(None),
        Some(v) => flex_f64(v),
    }
}

fn de_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Flex>::deserialize(d)? {
        None => Ok(None),
        Some(v) => flex_i64(v),
    }
}

fn de_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    de_opt_i64(d)?.ok_or_else(|| de::Error::custom("missing number"))
}

fn de_opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match de_opt_i64(d)? {
        None => Ok(None),
        Some(i) => u32::try_from(i)
            .map(Some)
            .map_err(|_| de::Error::custom(format!("{i} is out of range"))),
    }
}

fn de_opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match de_opt_i64(d)? {
        None => Ok(None),
        Some(i) => u64::try_from(i)
            .map(Some)
            .map_err(|_| de::Error::custom(format!("{i} is out of range"))),
    }
}

fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(de_opt_u64(d)?.unwrap_or(0))
}

/// A string field that may arrive as a number or null.
fn de_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Flex>::deserialize(d)? {
        None => Ok(None),
        Some(Flex::Str(s)) => Ok(Some(s)),
        Some(Flex::Num(n)) => Ok(Some(n.to_string())),
        Some(Flex::Bool(b)) => Ok(Some(b.to_string())),
    }
}

fn de_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(de_opt_string(d)?.unwrap_or_default())
}

/// Empty strings mean "absent" (e.g. `lastEvaluatedKey: ""`).
fn de_opt_nonempty_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(de_opt_string(d)?.filter(|s| !s.is_empty()))
}

fn de_vec_or_null<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

// ---------------------------------------------------------------------------------------
// Face attributes

/// A pixel rectangle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Rect {
    /// Left edge.
    #[serde(deserialize_with = "de_i64")]
    pub left: i64,
    /// Top edge.
    #[serde(deserialize_with = "de_i64")]
    pub top: i64,
    /// Right edge.
    #[serde(deserialize_with = "de_i64")]
    pub right: i64,
    /// Bottom edge.
    #[serde(deserialize_with = "de_i64")]
    pub bottom: i64,
}

/// A pixel position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Point {
    /// X.
    #[serde(deserialize_with = "de_i64")]
    pub x: i64,
    /// Y.
    #[serde(deserialize_with = "de_i64")]
    pub y: i64,
}

/// Attributes of one detected face. Fields the service omitted are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FaceAttributes {
    /// Bounds of the face.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_area: Option<Rect>,
    /// Bounds of the head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_area: Option<Rect>,
    /// Centre of the right eye.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right_eye_center: Option<Point>,
    /// Centre of the left eye.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_eye_center: Option<Point>,
    /// Likeness to a face (0–1).
    #[serde(
        default,
        deserialize_with = "de_opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub face_score: Option<f64>,
    /// Degree of frontal view (0–1).
    #[serde(
        default,
        deserialize_with = "de_opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub frontal_face_score: Option<f64>,
    /// Overall quality estimate (0–1).
    #[serde(
        default,
        deserialize_with = "de_opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub face_quality_score: Option<f64>,
    /// Roll angle, degrees.
    #[serde(
        default,
        deserialize_with = "de_opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub face_roll: Option<f64>,
    /// Pan angle, degrees.
    #[serde(
        default,
        deserialize_with = "de_opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub face_pan: Option<f64>,
    /// Tilt angle, degrees.
    #[serde(
        default,
        deserialize_with = "de_opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub face_tilt: Option<f64>,
}

/// `attributes` may be an object, a JSON-encoded string of one, null or absent.
fn de_opt_attributes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<FaceAttributes>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            if s.trim().is_empty() {
                Ok(None)
            } else {
                serde_json::from_str(&s)
                    .map(Some)
                    .map_err(de::Error::custom)
            }
        }
        Some(v) => serde_json::from_value(v)
            .map(Some)
            .map_err(de::Error::custom),
    }
}

// ---------------------------------------------------------------------------------------
// Subjects and events

/// Result of register/update subject and register/update event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RegisteredFace {
    /// Subject id.
    #[serde(
        rename(serialize = "subjectId", deserialize = "id"),
        alias = "subjectId",
        default,
        deserialize_with = "de_string"
    )]
    pub subject_id: String,
    /// Event id (the registered image).
    #[serde(
        default,
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_id: Option<String>,
    /// Attributes of the face that was registered.
    #[serde(
        default,
        deserialize_with = "de_opt_attributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub attributes: Option<FaceAttributes>,
}

/// Sort direction of [`crate::Client::list_subjects`] (by last update).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SortDirection {
    /// Oldest first (the service default).
    #[default]
    Asc,
    /// Newest first.
    Desc,
}

impl SortDirection {
    /// `"asc"` or `"desc"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SortDirection::Asc => "asc",
            SortDirection::Desc => "desc",
        }
    }
}

impl std::str::FromStr for SortDirection {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "asc" => Ok(SortDirection::Asc),
            "desc" => Ok(SortDirection::Desc),
            _ => Err(crate::Error::invalid_input("dir", "must be asc or desc")),
        }
    }
}

/// One row of list subjects: one per event, deleted rows included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectEntry {
    /// Subject id.
    #[serde(
        rename(serialize = "subjectId", deserialize = "id"),
        alias = "subjectId",
        default,
        deserialize_with = "de_string"
    )]
    pub subject_id: String,
    /// Event id.
    #[serde(default, deserialize_with = "de_string")]
    pub event_id: String,
    /// `"A"` (active) or `"D"` (deleted).
    #[serde(default, deserialize_with = "de_string")]
    pub status: String,
    /// ISO 8601 timestamp of the last update.
    #[serde(
        default,
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_updated: Option<String>,
}

impl SubjectEntry {
    /// Whether the row is active (status `A`).
    pub fn is_active(&self) -> bool {
        self.status.eq_ignore_ascii_case("A") || self.status.eq_ignore_ascii_case("ACTIVE")
    }
}

/// One page of list subjects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectPage {
    /// Rows on this page.
    #[serde(default, deserialize_with = "de_vec_or_null")]
    pub subjects: Vec<SubjectEntry>,
    /// Total rows (events) in the gallery; 0 if the service did not say.
    #[serde(default, deserialize_with = "de_u64")]
    pub total: u64,
}

/// An event id with, where the service gave one, a match score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Event {
    /// Event id.
    #[serde(
        rename(serialize = "eventId", deserialize = "id"),
        alias = "eventId",
        default,
        deserialize_with = "de_string"
    )]
    pub event_id: String,
    /// Match score 0–9999 (search/verify results; Swagger's list events).
    #[serde(
        default,
        deserialize_with = "de_opt_u32",
        skip_serializing_if = "Option::is_none"
    )]
    pub score: Option<u32>,
}

/// Events of one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct EventList {
    /// Subject id (filled from the request when the response omits it, as Swagger's does).
    #[serde(
        rename(serialize = "subjectId", deserialize = "id"),
        alias = "subjectId",
        default,
        deserialize_with = "de_string"
    )]
    pub subject_id: String,
    /// Events.
    #[serde(default, deserialize_with = "de_vec_or_null")]
    pub events: Vec<Event>,
}

// ---------------------------------------------------------------------------------------
// Face operations

/// One search candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Candidate {
    /// Subject id.
    #[serde(
        rename(serialize = "subjectId", deserialize = "id"),
        alias = "subjectId",
        default,
        deserialize_with = "de_string"
    )]
    pub subject_id: String,
    /// Highest score among the subject's events (0–9999).
    #[serde(default, deserialize_with = "de_opt_u32_or_zero")]
    pub score: u32,
    /// Matching events with their scores.
    #[serde(default, deserialize_with = "de_vec_or_null")]
    pub events: Vec<Event>,
}

fn de_opt_u32_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    Ok(de_opt_u32(d)?.unwrap_or(0))
}

/// Result of a search. No candidates (the service's 404) is an empty list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SearchResult {
    /// Candidates, best first as the service ordered them.
    #[serde(default, deserialize_with = "de_vec_or_null")]
    pub candidates: Vec<Candidate>,
    /// Attributes of the probe face.
    #[serde(
        default,
        deserialize_with = "de_opt_attributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub attributes: Option<FaceAttributes>,
}

/// Result of verifying a probe against a registered subject.
///
/// The service answers 404 when the probe does not match; the SDK returns that as
/// `verified: false` (not an error), like search's "no candidates".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Verification {
    /// Subject id.
    #[serde(
        rename(serialize = "subjectId", deserialize = "id"),
        alias = "subjectId",
        default,
        deserialize_with = "de_string"
    )]
    pub subject_id: String,
    /// Whether the service verified the probe as this subject.
    #[serde(default = "yes")]
    pub verified: bool,
    /// Score of the subject's best event (absent when not verified).
    #[serde(
        default,
        deserialize_with = "de_opt_u32",
        skip_serializing_if = "Option::is_none"
    )]
    pub score: Option<u32>,
    /// Per-event scores (Swagger variant only).
    #[serde(default, deserialize_with = "de_vec_or_null")]
    pub events: Vec<Event>,
}

fn yes() -> bool {
    true
}

/// Result of verifying two faces against each other. 404 becomes `verified: false`.
///
/// The service answers face-to-face verify with a score only; the client sets
/// `verified = score >= DEFAULT_THRESHOLD` (7000, the API's default search threshold),
/// and `verified = false` on a 404. Callers with a stricter policy compare `score`
/// with their own threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FaceVerification {
    /// `score >= DEFAULT_THRESHOLD`, or the service's verdict when it sends no score.
    #[serde(default = "yes")]
    pub verified: bool,
    /// Match score (0–9999).
    #[serde(
        default,
        deserialize_with = "de_opt_u32",
        skip_serializing_if = "Option::is_none"
    )]
    pub score: Option<u32>,
}

/// Extract response: `{faces:[{attributes}]}` (reference) or `{faces:[Attributes]}` (Swagger).
pub(crate) fn parse_extract(v: Value) -> Result<Vec<FaceAttributes>, serde_json::Error> {
    let faces = match v {
        Value::Object(mut m) => m.remove("faces").unwrap_or(Value::Array(Vec::new())),
        Value::Array(a) => Value::Array(a),
        Value::Null => Value::Array(Vec::new()),
        other => {
            return Err(de::Error::custom(format!(
                "unexpected extract body {other}"
            )));
        }
    };
    let items = match faces {
        Value::Array(a) => a,
        Value::Null => Vec::new(),
        other => {
            return Err(de::Error::custom(format!(
                "`faces` is not an array: {other}"
            )));
        }
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(mut m) if m.contains_key("attributes") => {
                let a = m.remove("attributes").unwrap_or(Value::Null);
                match a {
                    Value::String(s) => serde_json::from_str(&s),
                    other => serde_json::from_value(other),
                }
            }
            other => serde_json::from_value(other),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Tags

/// A tag. The service usually lists bare names; Swagger's shape adds a numeric id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Tag {
    /// Tag name.
    pub name: String,
    /// Numeric id when the service sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Obj {
            #[serde(default, deserialize_with = "de_string")]
            name: String,
            #[serde(default, deserialize_with = "de_opt_i64")]
            id: Option<i64>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Name(String),
            Obj(Obj),
        }
        Ok(match Either::deserialize(d)? {
            Either::Name(name) => Tag { name, id: None },
            Either::Obj(o) => Tag {
                name: o.name,
                id: o.id,
            },
        })
    }
}

/// List tags: `["a"]`, `{id,name}`, `[{id,name}]`, or `{tags:[...]}`.
pub(crate) fn parse_tags(v: Value) -> Result<Vec<Tag>, serde_json::Error> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(_) => serde_json::from_value(v),
        Value::Object(mut m) => {
            if let Some(list) = m.remove("tags") {
                parse_tags(list)
            } else {
                Ok(vec![serde_json::from_value(Value::Object(m))?])
            }
        }
        Value::String(s) => Ok(vec![Tag { name: s, id: None }]),
        other => Err(de::Error::custom(format!("unexpected tags body {other}"))),
    }
}

// ---------------------------------------------------------------------------------------
// Bulk registration

/// One file to register in a bulk job (a file name in the gallery's bucket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BulkRegistration {
    /// Object name in the gallery's bucket.
    pub filename: String,
    /// Tags to register with the subject.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub tags: Vec<String>,
}

impl BulkRegistration {
    /// A registration with tags.
    pub fn new(
        filename: impl Into<String>,
        tags: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        BulkRegistration {
            filename: filename.into(),
            tags: tags.into_iter().map(Into::into).collect(),
        }
    }
}

/// Status of one record of a bulk job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "JobStatusWire")]
pub struct JobStatus {
    /// Operation id (not a subject or event id).
    pub id: String,
    /// File name from the request.
    pub filename: String,
    /// Attempts so far (int or string on the wire).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// Event id on success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Subject id on success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_id: Option<String>,
    /// `"Success"` or `"Failed"` once processed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register_status: Option<String>,
    /// Failure reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `"New"` or `"Processed"`.
    pub status: String,
    /// Face attributes, decoded from `attributesJson` when it holds valid JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<FaceAttributes>,
    /// The raw `attributesJson` text when it did not decode as face attributes (the
    /// reference example's placeholder `"..."`, or a shape this SDK does not know); `None`
    /// when it decoded (read [`attributes`](Self::attributes)) or was absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes_json: Option<String>,
}

/// [`JobStatus`] as the service sends it (lenient: numbers as strings, empty strings as
/// absent, `attributesJson` as a JSON-encoded string or an object).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobStatusWire {
    #[serde(default, deserialize_with = "de_string")]
    id: String,
    #[serde(default, deserialize_with = "de_string")]
    filename: String,
    #[serde(default, deserialize_with = "de_opt_u32")]
    attempts: Option<u32>,
    #[serde(default, deserialize_with = "de_opt_nonempty_string")]
    event_id: Option<String>,
    #[serde(default, deserialize_with = "de_opt_nonempty_string")]
    subject_id: Option<String>,
    #[serde(default, deserialize_with = "de_opt_nonempty_string")]
    register_status: Option<String>,
    #[serde(default, deserialize_with = "de_opt_nonempty_string")]
    reason: Option<String>,
    #[serde(default, deserialize_with = "de_string")]
    status: String,
    /// The reference's field (a JSON-encoded string; an object accepted too).
    #[serde(default)]
    attributes_json: Option<Value>,
    /// Another spelling some answers use (and this SDK's own serialisation).
    #[serde(default)]
    attributes: Option<Value>,
}

impl From<JobStatusWire> for JobStatus {
    fn from(w: JobStatusWire) -> Self {
        // `attributesJson` first, then `attributes`; a string that does not decode is kept.
        let mut attributes = None;
        let mut raw = None;
        for v in [w.attributes_json, w.attributes].into_iter().flatten() {
            if attributes.is_some() {
                break;
            }
            match v {
                Value::Null => {}
                Value::String(s) => match serde_json::from_str::<FaceAttributes>(&s) {
                    Ok(a) => attributes = Some(a),
                    Err(_) if raw.is_none() && !s.is_empty() => raw = Some(s),
                    Err(_) => {}
                },
                other => {
                    if let Ok(a) = serde_json::from_value(other) {
                        attributes = Some(a);
                    }
                }
            }
        }
        if attributes.is_some() {
            raw = None;
        }
        JobStatus {
            id: w.id,
            filename: w.filename,
            attempts: w.attempts,
            event_id: w.event_id,
            subject_id: w.subject_id,
            register_status: w.register_status,
            reason: w.reason,
            status: w.status,
            attributes,
            attributes_json: raw,
        }
    }
}

impl JobStatus {
    /// Whether the service has finished with this record.
    pub fn is_processed(&self) -> bool {
        self.status.eq_ignore_ascii_case("Processed")
    }
    /// Whether the record was registered successfully.
    pub fn succeeded(&self) -> bool {
        self.is_processed()
            && self
                .register_status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("Success"))
    }
}

/// One page of bulk-register progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkProgressPage {
    /// Batch id.
    #[serde(default, deserialize_with = "de_string")]
    pub batch_id: String,
    /// Records on this page (`processed`, or the reference's misspelt `processsed`).
    #[serde(default, alias = "processsed", deserialize_with = "de_vec_or_null")]
    pub processed: Vec<JobStatus>,
    /// Paging id of the next page; `None` on the last page.
    #[serde(
        default,
        deserialize_with = "de_opt_nonempty_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_evaluated_key: Option<String>,
}

/// All records of a batch, as gathered by [`crate::Client::wait_for_bulk_register`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkProgress {
    /// Batch id.
    pub batch_id: String,
    /// Every record across all pages.
    pub records: Vec<JobStatus>,
}

impl BulkProgress {
    /// Number of records.
    pub fn total(&self) -> usize {
        self.records.len()
    }
    /// Records with status `Processed`.
    pub fn processed(&self) -> usize {
        self.records.iter().filter(|r| r.is_processed()).count()
    }
    /// Records registered successfully.
    pub fn succeeded(&self) -> usize {
        self.records.iter().filter(|r| r.succeeded()).count()
    }
    /// Records processed but failed.
    pub fn failed(&self) -> usize {
        self.records
            .iter()
            .filter(|r| r.is_processed() && !r.succeeded())
            .count()
    }
    /// Whether there is at least one record and every record is processed.
    pub fn is_done(&self) -> bool {
        !self.records.is_empty() && self.records.iter().all(JobStatus::is_processed)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchIdResponse {
    #[serde(default, deserialize_with = "de_string")]
    pub(crate) batch_id: String,
}

/// Health check result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `"OK"` when healthy.
    #[serde(default, deserialize_with = "de_string")]
    pub status: String,
}

impl Health {
    /// Whether the status is `OK`.
    pub fn is_ok(&self) -> bool {
        self.status.eq_ignore_ascii_case("OK")
    }
}

// ---------------------------------------------------------------------------------------
// Tenant API

fn redact_opt(key: &Option<String>) -> &'static str {
    if key.is_some() { "Some(***)" } else { "None" }
}

/// An application (API key holder). `Debug` hides the API key.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// Application id.
    #[serde(default, deserialize_with = "de_string")]
    pub id: String,
    /// Name.
    #[serde(default, deserialize_with = "de_string")]
    pub name: String,
    /// Description.
    #[serde(
        default,
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// The application's API key (send as `x-api-key`).
    #[serde(
        default,
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub api_key: Option<String>,
    /// Minimum face quality accepted.
    #[serde(
        default,
        deserialize_with = "de_opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub face_minimum_quality_score: Option<f64>,
    /// Gallery the application accesses, when reported.
    #[serde(
        default,
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub gallery_id: Option<String>,
}

impl fmt::Debug for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Application")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("description", &self.description)
            .field("api_key", &redact_opt(&self.api_key))
            .field(
                "face_minimum_quality_score",
                &self.face_minimum_quality_score,
            )
            .field("gallery_id", &self.gallery_id)
            .finish()
    }
}

/// A gallery as listed, created or updated. `Debug` hides the API key.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gallery {
    /// Gallery id.
    #[serde(default, deserialize_with = "de_string")]
    pub id: String,
    /// Name.
    #[serde(default, deserialize_with = "de_string")]
    pub name: String,
    /// Description.
    #[serde(
        default,
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// Capacity.
    #[serde(
        default,
        deserialize_with = "de_opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size: Option<u64>,
    /// Registered count.
    #[serde(
        default,
        deserialize_with = "de_opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub count: Option<u64>,
    /// Minimum face quality accepted.
    #[serde(
        default,
        deserialize_with = "de_opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub face_minimum_quality_score: Option<f64>,
    /// API key of the application created with the gallery (create only).
    #[serde(
        default,
        deserialize_with = "de_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub api_key: Option<String>,
}

impl fmt::Debug for Gallery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gallery")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("description", &self.description)
            .field("size", &self.size)
            .field("count", &self.count)
            .field(
                "face_minimum_quality_score",
                &self.face_minimum_quality_score,
            )
            .field("api_key", &redact_opt(&self.api_key))
            .finish()
    }
}

/// A gallery with its applications (get gallery).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GalleryDetails {
    /// The gallery.
    #[serde(flatten)]
    pub gallery: Gallery,
    /// Applications that access it.
    #[serde(default, deserialize_with = "de_vec_or_null")]
    pub applications: Vec<Application>,
}

/// Body of create gallery.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewGallery {
    /// Name (required).
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub description: Option<String>,
    /// Minimum face quality (≥ 0.45).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub face_minimum_quality_score: Option<f64>,
    /// Capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub size: Option<u64>,
}

/// Body of update gallery (PATCH: only the fields set are sent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GalleryUpdate {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub name: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub description: Option<String>,
    /// New capacity (may only grow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub size: Option<u64>,
}

/// Body of create application. (Required fields first: the order Kotlin and Swift
/// constructors take them in.)
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct NewApplication {
    /// Name (required).
    pub name: String,
    /// Gallery to access (required).
    pub gallery_id: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub description: Option<String>,
    /// Minimum face quality (≥ 0.45).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub face_minimum_quality_score: Option<f64>,
}

/// Body of update application (PATCH).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ApplicationUpdate {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub name: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub description: Option<String>,
    /// New minimum face quality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub face_minimum_quality_score: Option<f64>,
}

/// `{galleries:[...]}` or a bare array.
pub(crate) fn parse_list<T: for<'de> Deserialize<'de>>(
    v: Value,
    key: &str,
) -> Result<Vec<T>, serde_json::Error> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(_) => serde_json::from_value(v),
        Value::Object(mut m) => match m.remove(key) {
            Some(Value::Null) | None => Ok(Vec::new()),
            Some(list) => serde_json::from_value(list),
        },
        other => Err(de::Error::custom(format!(
            "expected `{{{key}: [...]}}`, got {other}"
        ))),
    }
}

/// Error body `{message, errorCode, errorType}` (fields optional, `Message` tolerated).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorBody {
    #[serde(default, alias = "Message", deserialize_with = "de_opt_string")]
    pub(crate) message: Option<String>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub(crate) error_code: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub(crate) error_type: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const REF_ATTRS: &str = r#"{
        "faceArea": {"left": "161", "top": "156", "right": "318", "bottom": "313"},
        "headArea": {"left": "131", "top": "86", "right": "345", "bottom": "343"},
        "rightEyeCenter": {"x": "195", "y": "198"},
        "leftEyeCenter": {"x": "276", "y": "191"},
        "frontalFaceScore": "0.569824", "faceRoll": "-0", "facePan": "-9.34863",
        "faceTilt": "7.613", "faceScore": "0.999591", "faceQualityScore": "0.86541"
    }"#;

    fn check_ref_attrs(a: &FaceAttributes) {
        assert_eq!(
            a.face_area,
            Some(Rect {
                left: 161,
                top: 156,
                right: 318,
                bottom: 313
            })
        );
        assert_eq!(a.head_area.map(|r| r.top), Some(86));
        assert_eq!(a.right_eye_center, Some(Point { x: 195, y: 198 }));
        assert_eq!(a.left_eye_center, Some(Point { x: 276, y: 191 }));
        assert_eq!(a.frontal_face_score, Some(0.569824));
        assert_eq!(a.face_roll, Some(0.0));
        assert!(
            a.face_roll.is_some_and(|r| r.is_sign_negative()),
            "-0 keeps its sign"
        );
        assert_eq!(a.face_pan, Some(-9.34863));
        assert_eq!(a.face_tilt, Some(7.613));
        assert_eq!(a.face_score, Some(0.999591));
        assert_eq!(a.face_quality_score, Some(0.86541));
    }

    #[test]
    fn attributes_as_strings() {
        let a: FaceAttributes = serde_json::from_str(REF_ATTRS).unwrap();
        check_ref_attrs(&a);
    }

    #[test]
    fn attributes_as_numbers() {
        let v = json!({
            "faceArea": {"left": 161, "top": 156.0, "right": 318, "bottom": 313},
            "headArea": {"left": 131, "top": 86, "right": 345, "bottom": 343},
            "rightEyeCenter": {"x": 195, "y": 198},
            "leftEyeCenter": {"x": 276, "y": 191},
            "frontalFaceScore": 0.569824, "faceRoll": -0.0, "facePan": -9.34863,
            "faceTilt": 7.613, "faceScore": 0.999591, "faceQualityScore": 0.86541,
            "somethingNew": [1, 2, 3]
        });
        let a: FaceAttributes = serde_json::from_value(v).unwrap();
        check_ref_attrs(&a);
    }

    #[test]
    fn attributes_partial_and_bad() {
        let a: FaceAttributes = serde_json::from_value(json!({"faceScore": ""})).unwrap();
        assert_eq!(a, FaceAttributes::default());
        assert!(serde_json::from_value::<FaceAttributes>(json!({"faceScore": "abc"})).is_err());
        assert!(
            serde_json::from_value::<FaceAttributes>(json!({"faceArea": {"left": "1"}})).is_err()
        );
    }

    #[test]
    fn serialises_real_numbers() {
        let a: FaceAttributes = serde_json::from_str(REF_ATTRS).unwrap();
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["faceArea"]["left"], json!(161));
        assert_eq!(v["faceScore"], json!(0.999591));
    }

    #[test]
    fn registered_face_variants() {
        let v = json!({"id": "s1", "eventId": "e1", "attributes": serde_json::from_str::<Value>(REF_ATTRS).unwrap()});
        let r: RegisteredFace = serde_json::from_value(v).unwrap();
        assert_eq!(r.subject_id, "s1");
        assert_eq!(r.event_id.as_deref(), Some("e1"));
        check_ref_attrs(r.attributes.as_ref().unwrap());
        // attributes as a JSON-encoded string
        let r: RegisteredFace =
            serde_json::from_value(json!({"id": "s1", "eventId": "e1", "attributes": REF_ATTRS}))
                .unwrap();
        check_ref_attrs(r.attributes.as_ref().unwrap());
        // Swagger Event shape for register event
        let r: RegisteredFace = serde_json::from_value(json!({"id": "e9", "score": 0})).unwrap();
        assert_eq!(r.subject_id, "e9");
        assert_eq!(r.event_id, None);
        let out = serde_json::to_value(&r).unwrap();
        assert_eq!(out["subjectId"], json!("e9"));
    }

    #[test]
    fn subject_page() {
        let p: SubjectPage = serde_json::from_value(json!({
            "subjects": [
                {"id": "s", "eventId": "e1", "status": "A", "lastUpdated": "2018-12-18T00:27:56.427+00:00"},
                {"id": "s", "eventId": "e2", "status": "D", "lastUpdated": "2019-02-28T18:11:49.157+00:00"}
            ],
            "total": "3"
        }))
        .unwrap();
        assert_eq!(p.total, 3);
        assert_eq!(p.subjects.len(), 2);
        assert!(p.subjects[0].is_active());
        assert!(!p.subjects[1].is_active());
        assert_eq!(p.subjects[1].event_id, "e2");
        let p: SubjectPage = serde_json::from_value(json!({"subjects": null})).unwrap();
        assert_eq!((p.subjects.len(), p.total), (0, 0));
    }

    #[test]
    fn event_list_with_and_without_id_and_score() {
        let l: EventList = serde_json::from_value(json!({
            "id": "s1", "events": [{"id": "e1"}, {"id": "e2"}]
        }))
        .unwrap();
        assert_eq!(l.subject_id, "s1");
        assert_eq!(l.events[1].event_id, "e2");
        assert_eq!(l.events[0].score, None);
        let l: EventList = serde_json::from_value(json!({
            "events": [{"id": "e1", "score": 8200}, {"id": "e2", "score": "8000"}]
        }))
        .unwrap();
        assert_eq!(l.subject_id, "");
        assert_eq!(l.events[0].score, Some(8200));
        assert_eq!(l.events[1].score, Some(8000));
    }

    #[test]
    fn extract_both_shapes() {
        let attrs: Value = serde_json::from_str(REF_ATTRS).unwrap();
        let wrapped =
            json!({"faces": [{"attributes": attrs.clone()}, {"attributes": attrs.clone()}]});
        let unwrapped = json!({"faces": [attrs.clone()]});
        let a = parse_extract(wrapped).unwrap();
        assert_eq!(a.len(), 2);
        check_ref_attrs(&a[1]);
        let b = parse_extract(unwrapped).unwrap();
        assert_eq!(b.len(), 1);
        check_ref_attrs(&b[0]);
        assert!(parse_extract(json!({"faces": []})).unwrap().is_empty());
        assert!(parse_extract(json!({})).unwrap().is_empty());
        assert!(parse_extract(json!({"faces": 3})).is_err());
    }

    #[test]
    fn search_result() {
        let r: SearchResult = serde_json::from_value(json!({
            "candidates": [
                {"id": "s1", "score": 8200, "events": [{"id": "e1", "score": 8200}, {"id": "e2", "score": "8000"}]},
                {"id": "s2", "score": "7600"}
            ],
            "attributes": serde_json::from_str::<Value>(REF_ATTRS).unwrap()
        }))
        .unwrap();
        assert_eq!(r.candidates.len(), 2);
        assert_eq!(r.candidates[0].score, 8200);
        assert_eq!(r.candidates[0].events[1].score, Some(8000));
        assert_eq!(r.candidates[1].score, 7600);
        assert!(r.candidates[1].events.is_empty());
        check_ref_attrs(r.attributes.as_ref().unwrap());
    }

    #[test]
    fn verification_variants() {
        let v: Verification = serde_json::from_value(json!({"id": "s1", "score": 8200})).unwrap();
        assert!(v.verified);
        assert_eq!(v.score, Some(8200));
        let v: Verification = serde_json::from_value(
            json!({"id": "s1", "score": "8200", "events": [{"id": "e1", "score": 8200}]}),
        )
        .unwrap();
        assert_eq!(v.events.len(), 1);
        let f: FaceVerification = serde_json::from_value(json!({"score": 8200})).unwrap();
        assert!(f.verified);
        assert_eq!(f.score, Some(8200));
    }

    #[test]
    fn tags_every_shape() {
        let names = |t: Vec<Tag>| t.into_iter().map(|t| t.name).collect::<Vec<_>>();
        assert_eq!(
            names(parse_tags(json!(["passport", "licence"])).unwrap()),
            ["passport", "licence"]
        );
        let one = parse_tags(json!({"id": 3, "name": "passport"})).unwrap();
        assert_eq!(
            one,
            vec![Tag {
                name: "passport".into(),
                id: Some(3)
            }]
        );
        let many = parse_tags(json!([{"id": "1", "name": "a"}, {"id": 2, "name": "b"}])).unwrap();
        assert_eq!(many[0].id, Some(1));
        assert_eq!(names(many), ["a", "b"]);
        assert_eq!(names(parse_tags(json!({"tags": ["x"]})).unwrap()), ["x"]);
        assert!(parse_tags(json!([])).unwrap().is_empty());
        assert!(parse_tags(json!(null)).unwrap().is_empty());
        assert!(parse_tags(json!(5)).is_err());
    }

    #[test]
    fn bulk_progress_variants() {
        let page: BulkProgressPage = serde_json::from_value(json!({
            "batchId": "b1",
            "processsed": [
                {"id": "op1", "filename": "1.jpg", "attempts": "1", "eventId": "e1", "subjectId": "s1",
                 "registerStatus": "Success", "reason": "", "status": "Processed", "attributesJson": "..."},
                {"id": "op2", "filename": "2.jpg", "attempts": 2, "registerStatus": "Failed",
                 "reason": "Image too small", "status": "Processed", "attributesJson": REF_ATTRS},
                {"id": "op3", "filename": "3.jpg", "status": "New"}
            ],
            "lastEvaluatedKey": ""
        }))
        .unwrap();
        assert_eq!(page.batch_id, "b1");
        assert_eq!(page.last_evaluated_key, None);
        let [a, b, c] = &page.processed[..] else {
            panic!("three records expected")
        };
        assert_eq!(a.attempts, Some(1));
        assert_eq!(a.reason, None);
        assert!(
            a.attributes.is_none(),
            "placeholder attributesJson is absent"
        );
        assert_eq!(a.attributes_json.as_deref(), Some("..."), "and kept raw");
        assert_eq!(b.attributes_json, None, "decoded: not kept raw");
        assert!(a.succeeded());
        assert_eq!(b.attempts, Some(2));
        assert!(b.is_processed() && !b.succeeded());
        check_ref_attrs(b.attributes.as_ref().unwrap());
        assert!(!c.is_processed());
        let progress = BulkProgress {
            batch_id: "b1".into(),
            records: page.processed.clone(),
        };
        assert_eq!(
            (
                progress.total(),
                progress.processed(),
                progress.succeeded(),
                progress.failed()
            ),
            (3, 2, 1, 1)
        );
        assert!(!progress.is_done());
        let page: BulkProgressPage = serde_json::from_value(json!({
            "batchId": "b1", "processed": [{"id": "x", "status": "Processed", "attributesJson": {"faceScore": "0.5"}}],
            "lastEvaluatedKey": "k2"
        }))
        .unwrap();
        assert_eq!(page.last_evaluated_key.as_deref(), Some("k2"));
        assert_eq!(
            page.processed[0].attributes.as_ref().unwrap().face_score,
            Some(0.5)
        );
        let empty = BulkProgress {
            batch_id: "b".into(),
            records: vec![],
        };
        assert!(!empty.is_done());
    }

    #[test]
    fn tenant_shapes() {
        let gs: Vec<Gallery> = parse_list(
            json!({"galleries": [{"id": "g1", "name": "Staff", "description": "Staff", "size": 10000, "count": "3891"}]}),
            "galleries",
        )
        .unwrap();
        assert_eq!(gs[0].size, Some(10000));
        assert_eq!(gs[0].count, Some(3891));
        let d: GalleryDetails = serde_json::from_value(json!({
            "id": "g1", "name": "Staff", "size": 10000, "count": 3891,
            "applications": [{"id": "a2", "name": "Building", "apiKey": "k-secret-1"}]
        }))
        .unwrap();
        assert_eq!(d.gallery.id, "g1");
        assert_eq!(d.applications[0].api_key.as_deref(), Some("k-secret-1"));
        let dbg = format!("{d:?}");
        assert!(!dbg.contains("k-secret-1"), "{dbg}");
        let g: Gallery = serde_json::from_value(
            json!({"id": "g2", "name": "Y10", "size": 1000, "apiKey": "k-secret-2"}),
        )
        .unwrap();
        assert!(!format!("{g:?}").contains("k-secret-2"));
        assert_eq!(
            serde_json::to_value(&g).unwrap()["apiKey"],
            json!("k-secret-2"),
            "serialised output keeps the key (the CLI prints it on purpose)"
        );
        let apps: Vec<Application> = parse_list(
            json!([{"id": "a1", "name": "HR", "faceMinimumQualityScore": "0.6"}]),
            "applications",
        )
        .unwrap();
        assert_eq!(apps[0].face_minimum_quality_score, Some(0.6));
        let body = serde_json::to_value(NewGallery {
            name: "Y10".into(),
            description: None,
            face_minimum_quality_score: Some(0.8),
            size: Some(1000),
        })
        .unwrap();
        assert_eq!(
            body,
            json!({"name": "Y10", "faceMinimumQualityScore": 0.8, "size": 1000})
        );
        let body = serde_json::to_value(NewApplication {
            name: "B".into(),
            gallery_id: "g1".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(body, json!({"name": "B", "galleryId": "g1"}));
    }

    #[test]
    fn error_body() {
        let e: ErrorBody = serde_json::from_value(
            json!({"message": "no face", "errorCode": "2001", "errorType": "NoFace"}),
        )
        .unwrap();
        assert_eq!(e.error_code, Some(2001));
        assert_eq!(e.error_type.as_deref(), Some("NoFace"));
        let e: ErrorBody = serde_json::from_value(json!({"Message": "Forbidden"})).unwrap();
        assert_eq!(e.message.as_deref(), Some("Forbidden"));
    }

    #[test]
    fn bulk_registration_body() {
        let v = serde_json::to_value(vec![
            BulkRegistration::new("1.jpg", ["passport"]),
            BulkRegistration::new("2.jpg", Vec::<String>::new()),
        ])
        .unwrap();
        assert_eq!(
            v,
            json!([{"filename": "1.jpg", "tags": ["passport"]}, {"filename": "2.jpg"}])
        );
    }
}
