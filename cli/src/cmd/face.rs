//! `necid face extract|search|verify`, each with `--annotate out.png`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use necid::{Client, FaceAttributes, SearchRequest};
use serde::Serialize;

use super::{read_input, tag_list};
use crate::annotate::{self, Mark};
use crate::context::GlobalArgs;
use crate::exit::CliError;
use crate::inputs;
use crate::output::{Out, Table, describe_face, opt, opt_f2};

#[derive(Debug, Subcommand)]
pub enum FaceCmd {
    /// Detect faces and report their boxes, eyes, scores and angles.
    ///
    /// Example: necid face extract group.jpg --limit 20 --annotate boxes.png
    Extract(ExtractArgs),
    /// 1:N search: who in the gallery looks like this face?
    ///
    /// Example: necid face search probe.jpg --threshold 7500 --tags staff --annotate hit.png
    Search(SearchArgs),
    /// 1:1 verify a face against a subject (--subject) or another image (--face).
    /// Exits 4 when the faces do not match.
    ///
    /// Example: necid face verify probe.jpg --subject 5f1c…
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The image (file or - for stdin).
    pub image: String,
    /// At most this many faces (1–20; service default 10).
    #[arg(long)]
    pub limit: Option<u32>,
    /// Also write a copy of the image with the faces drawn on it (.png or .jpg).
    #[arg(long, value_name = "OUT")]
    pub annotate: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The probe image (file or - for stdin).
    pub image: String,
    /// Minimum score 0–9999 (service default 7000).
    #[arg(long)]
    pub threshold: Option<u32>,
    /// At most this many candidates (1–50; service default 10).
    #[arg(long)]
    pub limit: Option<u32>,
    /// Only subjects with any of these tags (repeat or comma-separate).
    #[arg(long, short = 't', value_name = "TAG")]
    pub tags: Vec<String>,
    /// Also write a copy of the probe with its face and best score drawn on it.
    #[arg(long, value_name = "OUT")]
    pub annotate: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("against").required(true).args(["subject", "face"])))]
pub struct VerifyArgs {
    /// The probe image (file or - for stdin).
    pub probe: String,
    /// Verify against this registered subject.
    #[arg(long, value_name = "SUBJECT_ID")]
    pub subject: Option<String>,
    /// Verify against the face in this image.
    #[arg(long, value_name = "IMAGE")]
    pub face: Option<String>,
    /// With --face: the score (0–9999) from which two faces count as the same person.
    /// Face-to-face verify returns only a score; without this option the core's verdict
    /// (the service's default threshold, 7000) is used.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=9999), conflicts_with = "subject")]
    pub threshold: Option<u32>,
    /// Also write a copy of the probe with its face and the verdict drawn on it.
    #[arg(long, value_name = "OUT")]
    pub annotate: Option<PathBuf>,
}

/// Where an annotated picture went.
#[derive(Debug, Serialize)]
pub struct Annotated {
    pub path: PathBuf,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Serialize)]
struct ExtractOut {
    faces: Vec<FaceAttributes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotated: Option<Annotated>,
}

#[derive(Debug, Serialize)]
struct SearchOut {
    #[serde(flatten)]
    result: necid::SearchResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotated: Option<Annotated>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifyOut {
    verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    events: Vec<necid::Event>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotated: Option<Annotated>,
}

pub async fn run(g: &GlobalArgs, cmd: FaceCmd) -> Result<(), CliError> {
    let out = g.out();
    let client = g.client()?;
    match cmd {
        FaceCmd::Extract(a) => extract(out, &client, a).await,
        FaceCmd::Search(a) => search(out, &client, a).await,
        FaceCmd::Verify(a) => verify(out, &client, a).await,
    }
}

fn draw(out: Out, path: &Path, image: &[u8], marks: &[Mark]) -> Result<Annotated, CliError> {
    let (width, height) = annotate::write(image, marks, path)?;
    out.note(format!(
        "annotated picture written to {} ({width}x{height})",
        path.display()
    ));
    Ok(Annotated {
        path: path.to_path_buf(),
        width,
        height,
    })
}

/// The probe's face for a picture when the operation itself returned no attributes.
async fn probe_face(client: &Client, image: &[u8]) -> Result<Option<FaceAttributes>, CliError> {
    Ok(client
        .extract_faces(image.to_vec(), Some(1))
        .await?
        .into_iter()
        .next())
}

async fn extract(out: Out, client: &Client, a: ExtractArgs) -> Result<(), CliError> {
    let bytes = read_input(inputs::single(&a.image)?).await?;
    let faces = client.extract_faces(bytes.clone(), a.limit).await?;
    let annotated = match &a.annotate {
        Some(path) => {
            let marks: Vec<Mark> = faces
                .iter()
                .enumerate()
                .map(|(i, f)| Mark::numbered(i + 1, f, Vec::new()))
                .collect();
            Some(draw(out, path, &bytes, &marks)?)
        }
        None => None,
    };
    let result = ExtractOut { faces, annotated };
    out.result(&result, || {
        let mut t = Table::new(&[
            "#",
            "FACE BOX",
            "RIGHT EYE",
            "LEFT EYE",
            "SCORE",
            "QUALITY",
            "FRONTAL",
            "ROLL",
            "PAN",
            "TILT",
        ]);
        for (i, f) in result.faces.iter().enumerate() {
            t.row(vec![
                (i + 1).to_string(),
                opt(f.face_area.map(|r| {
                    format!(
                        "{},{} {}x{}",
                        r.left,
                        r.top,
                        r.right - r.left,
                        r.bottom - r.top
                    )
                })),
                opt(f.right_eye_center.map(|p| format!("{},{}", p.x, p.y))),
                opt(f.left_eye_center.map(|p| format!("{},{}", p.x, p.y))),
                f.face_score
                    .map(|s| format!("{s:.3}"))
                    .unwrap_or_else(|| "-".into()),
                opt_f2(f.face_quality_score),
                opt_f2(f.frontal_face_score),
                opt(f.face_roll.map(|v| format!("{v:.1}"))),
                opt(f.face_pan.map(|v| format!("{v:.1}"))),
                opt(f.face_tilt.map(|v| format!("{v:.1}"))),
            ]);
        }
        format!("{} face(s)\n{}", result.faces.len(), t.render())
    })
}

async fn search(out: Out, client: &Client, a: SearchArgs) -> Result<(), CliError> {
    let bytes = read_input(inputs::single(&a.image)?).await?;
    let mut req = SearchRequest::new(bytes.clone()).tags(tag_list(&a.tags));
    if let Some(t) = a.threshold {
        req = req.threshold(t);
    }
    if let Some(l) = a.limit {
        req = req.limit(l);
    }
    let result = client.search(req).await?;
    let annotated = match &a.annotate {
        Some(path) => {
            let face = match &result.attributes {
                Some(f) => Some(f.clone()),
                None => probe_face(client, &bytes).await?,
            };
            let verdict = match result.candidates.first() {
                Some(c) => format!("BEST MATCH {}", c.score),
                None => "NO MATCH".to_owned(),
            };
            let marks: Vec<Mark> = face
                .iter()
                .map(|f| Mark::numbered(1, f, vec![verdict.clone()]))
                .collect();
            Some(draw(out, path, &bytes, &marks)?)
        }
        None => None,
    };
    let result = SearchOut { result, annotated };
    out.result(&result, || {
        let mut text = String::new();
        if let Some(f) = &result.result.attributes {
            text.push_str(&format!("probe: {}\n", describe_face(f)));
        }
        if result.result.candidates.is_empty() {
            text.push_str("no candidate above the threshold\n");
            return text;
        }
        let mut t = Table::new(&["SUBJECT", "SCORE", "EVENTS"]);
        for c in &result.result.candidates {
            t.row(vec![
                c.subject_id.clone(),
                c.score.to_string(),
                c.events
                    .iter()
                    .map(|e| match e.score {
                        Some(s) => format!("{} ({s})", e.event_id),
                        None => e.event_id.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ]);
        }
        text.push_str(&t.render());
        text
    })
}

async fn verify(out: Out, client: &Client, a: VerifyArgs) -> Result<(), CliError> {
    if a.probe == "-" && a.face.as_deref() == Some("-") {
        return Err(CliError::Usage(
            "standard input (-) can be either the probe or --face, not both".to_owned(),
        ));
    }
    let probe = read_input(inputs::single(&a.probe)?).await?;
    let result = match (&a.subject, &a.face) {
        (Some(id), _) => {
            let v = client.verify_subject(id, probe.clone()).await?;
            VerifyOut {
                verified: v.verified,
                score: v.score,
                subject_id: Some(v.subject_id),
                events: v.events,
                annotated: None,
            }
        }
        (None, Some(face)) => {
            let face = read_input(inputs::single(face)?).await?;
            let v = client.verify_faces(face, probe.clone()).await?;
            VerifyOut {
                verified: match (a.threshold, v.score) {
                    (Some(t), Some(score)) => score >= t,
                    _ => v.verified,
                },
                score: v.score,
                subject_id: None,
                events: Vec::new(),
                annotated: None,
            }
        }
        (None, None) => {
            return Err(CliError::Usage(
                "give --subject SUBJECT_ID or --face IMAGE".to_owned(),
            ));
        }
    };
    let mut result = result;
    if let Some(path) = &a.annotate {
        let verdict = match (result.verified, result.score) {
            (true, Some(s)) => format!("VERIFIED {s}"),
            (true, None) => "VERIFIED".to_owned(),
            (false, _) => "NOT VERIFIED".to_owned(),
        };
        let face = probe_face(client, &probe).await?;
        let marks: Vec<Mark> = face
            .iter()
            .map(|f| Mark::numbered(1, f, vec![verdict.clone()]))
            .collect();
        result.annotated = Some(draw(out, path, &probe, &marks)?);
    }
    out.result(&result, || {
        let against = match &result.subject_id {
            Some(id) => format!("subject {id}"),
            None => "the face".to_owned(),
        };
        let score = result
            .score
            .map(|s| format!(" (score {s})"))
            .unwrap_or_default();
        if result.verified {
            format!("verified: the probe matches {against}{score}\n")
        } else {
            format!("not verified: the probe does not match {against}{score}\n")
        }
    })?;
    if result.verified {
        Ok(())
    } else {
        Err(CliError::NotVerified)
    }
}
