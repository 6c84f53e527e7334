//! `necid subjects list|register|update|unregister`.

use clap::{Args, Subcommand};
use futures_util::TryStreamExt as _;
use necid::{SortDirection, SubjectPage};
use serde::Serialize;

use super::{DEFAULT_CONCURRENCY, read_input, register_many, tag_list};
use crate::context::GlobalArgs;
use crate::exit::CliError;
use crate::inputs;
use crate::output::{Table, describe_face, opt};

#[derive(Debug, Subcommand)]
pub enum SubjectsCmd {
    /// List subjects (one row per registered image, deleted rows included).
    ///
    /// Example: necid subjects list --all --active
    List(ListArgs),
    /// Register each image as a new subject (files, directories, globs or - for stdin).
    ///
    /// Example: necid subjects register ./staff-photos --tags staff --concurrency 8
    Register(RegisterArgs),
    /// Replace a subject's face (and tags).
    ///
    /// Example: necid subjects update 5f1c… new-photo.jpg --tags staff
    Update(UpdateArgs),
    /// Unregister a subject and all its events.
    ///
    /// Example: necid subjects unregister 5f1c…
    Unregister(IdArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// First row (0-based).
    #[arg(long, default_value_t = 0)]
    pub start: u32,
    /// Rows per page (1–1000).
    #[arg(long, default_value_t = necid::validate::LIST_LENGTH_DEFAULT)]
    pub length: u32,
    /// Sort by last update: asc (oldest first) or desc.
    #[arg(long, value_parser = ["asc", "desc"], default_value = "asc")]
    pub dir: String,
    /// Fetch every page (from --start) instead of one.
    #[arg(long)]
    pub all: bool,
    /// Only active rows (status A).
    #[arg(long)]
    pub active: bool,
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Images: files, directories, glob patterns ("photos/*.jpg") or - for stdin.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
    /// Tags for every registered subject (repeat or comma-separate).
    #[arg(long, short = 't', value_name = "TAG")]
    pub tags: Vec<String>,
    /// Registrations in flight at once.
    #[arg(long, short = 'j', default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Subject id.
    pub subject_id: String,
    /// The new face image (file or - for stdin); without it only the tags change.
    #[arg(required_unless_present_any = ["tags", "clear_tags"])]
    pub image: Option<String>,
    /// Tags (replace the subject's tags; without --tags or --clear-tags they are kept).
    #[arg(long, short = 't', value_name = "TAG")]
    pub tags: Vec<String>,
    /// Remove every tag of the subject (sends an empty tag list).
    #[arg(long, conflicts_with = "tags")]
    pub clear_tags: bool,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// Subject id.
    pub subject_id: String,
}

/// JSON of `subjects unregister`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Unregistered {
    subject_id: String,
    unregistered: bool,
}

pub async fn run(g: &GlobalArgs, cmd: SubjectsCmd) -> Result<(), CliError> {
    let out = g.out();
    let client = g.client()?;
    match cmd {
        SubjectsCmd::List(a) => {
            let dir: SortDirection = a.dir.parse()?;
            let mut page = if a.all {
                let pages: Vec<SubjectPage> = client
                    .subjects_paginator(a.length, dir)
                    .try_collect()
                    .await?;
                let total = pages.first().map(|p| p.total).unwrap_or(0);
                SubjectPage {
                    subjects: pages.into_iter().flat_map(|p| p.subjects).collect(),
                    total,
                }
            } else {
                client.list_subjects(a.start, a.length, dir).await?
            };
            if a.all && a.start > 0 {
                let skip = usize::try_from(a.start).unwrap_or(usize::MAX);
                page.subjects = page.subjects.into_iter().skip(skip).collect();
            }
            if a.active {
                page.subjects.retain(|s| s.is_active());
            }
            out.result(&page, || {
                let mut t = Table::new(&["SUBJECT", "EVENT", "STATUS", "LAST UPDATED"]);
                for s in &page.subjects {
                    t.row(vec![
                        s.subject_id.clone(),
                        s.event_id.clone(),
                        s.status.clone(),
                        opt(s.last_updated.as_deref()),
                    ]);
                }
                format!(
                    "{}{} row(s) shown, {} in the gallery\n",
                    t.render(),
                    page.subjects.len(),
                    page.total
                )
            })
        }
        SubjectsCmd::Register(a) => {
            let inputs = inputs::expand(&a.images)?;
            let tags = tag_list(&a.tags);
            register_many(
                out,
                inputs,
                usize::from(a.concurrency),
                "registering",
                |bytes| client.register_subject(bytes, &tags),
            )
            .await
        }
        SubjectsCmd::Update(a) => {
            let face = match &a.image {
                Some(image) => Some(necid::Image::from(
                    read_input(inputs::single(image)?).await?,
                )),
                None => None,
            };
            let tags = tag_list(&a.tags);
            let tags = (a.clear_tags || !tags.is_empty()).then_some(&tags[..]);
            let r = client.update_subject(&a.subject_id, face, tags).await?;
            out.result(&r, || {
                format!(
                    "updated subject {} (event {}): {}\n",
                    r.subject_id,
                    opt(r.event_id.as_deref()),
                    r.attributes
                        .as_ref()
                        .map(describe_face)
                        .unwrap_or_else(|| "no attributes".into())
                )
            })
        }
        SubjectsCmd::Unregister(a) => {
            client.unregister_subject(&a.subject_id).await?;
            out.done(
                &Unregistered {
                    subject_id: a.subject_id.clone(),
                    unregistered: true,
                },
                || format!("unregistered subject {}\n", a.subject_id),
            )
        }
    }
}
