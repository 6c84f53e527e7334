//! `necid events list|register|update|unregister`: the images of one subject.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{DEFAULT_CONCURRENCY, read_input, register_many, tag_list};
use crate::context::GlobalArgs;
use crate::exit::CliError;
use crate::inputs;
use crate::output::{Table, describe_face, opt};

#[derive(Debug, Subcommand)]
pub enum EventsCmd {
    /// List a subject's events (registered images).
    ///
    /// Example: necid events list 5f1c…
    List(SubjectArg),
    /// Add images to a subject, one event each (files, directories, globs or -).
    ///
    /// Example: necid events register 5f1c… more-photos/*.jpg --tags passport
    Register(RegisterArgs),
    /// Replace one event's face.
    ///
    /// Example: necid events update 5f1c… 9a0b… better.jpg
    Update(UpdateArgs),
    /// Remove one event from a subject.
    ///
    /// Example: necid events unregister 5f1c… 9a0b…
    Unregister(EventArgs),
}

#[derive(Debug, Args)]
pub struct SubjectArg {
    /// Subject id.
    pub subject_id: String,
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Subject id.
    pub subject_id: String,
    /// Images: files, directories, glob patterns or - for stdin.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
    /// Tags (repeat or comma-separate).
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
    /// Event id.
    pub event_id: String,
    /// The new face image (file or -); without it only the tags change.
    #[arg(required_unless_present_any = ["tags", "clear_tags"])]
    pub image: Option<String>,
    /// Tags (replace the event's tags; without --tags or --clear-tags they are kept).
    #[arg(long, short = 't', value_name = "TAG")]
    pub tags: Vec<String>,
    /// Remove every tag of the event (sends an empty tag list).
    #[arg(long, conflicts_with = "tags")]
    pub clear_tags: bool,
}

#[derive(Debug, Args)]
pub struct EventArgs {
    /// Subject id.
    pub subject_id: String,
    /// Event id.
    pub event_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Unregistered {
    subject_id: String,
    event_id: String,
    unregistered: bool,
}

pub async fn run(g: &GlobalArgs, cmd: EventsCmd) -> Result<(), CliError> {
    let out = g.out();
    let client = g.client()?;
    match cmd {
        EventsCmd::List(a) => {
            let list = client.list_events(&a.subject_id).await?;
            out.result(&list, || {
                let mut t = Table::new(&["EVENT", "SCORE"]);
                for e in &list.events {
                    t.row(vec![e.event_id.clone(), opt(e.score)]);
                }
                format!(
                    "subject {}: {} event(s)\n{}",
                    list.subject_id,
                    list.events.len(),
                    t.render()
                )
            })
        }
        EventsCmd::Register(a) => {
            let inputs = inputs::expand(&a.images)?;
            let tags = tag_list(&a.tags);
            let id = a.subject_id.clone();
            register_many(
                out,
                inputs,
                usize::from(a.concurrency),
                "registering",
                |bytes| client.register_event(&id, bytes, &tags),
            )
            .await
        }
        EventsCmd::Update(a) => {
            let face = match &a.image {
                Some(image) => Some(necid::Image::from(
                    read_input(inputs::single(image)?).await?,
                )),
                None => None,
            };
            let tags = tag_list(&a.tags);
            let tags = (a.clear_tags || !tags.is_empty()).then_some(&tags[..]);
            let r = client
                .update_event(&a.subject_id, &a.event_id, face, tags)
                .await?;
            out.result(&r, || {
                format!(
                    "updated event {} of subject {}: {}\n",
                    opt(r.event_id.as_deref()),
                    r.subject_id,
                    r.attributes
                        .as_ref()
                        .map(describe_face)
                        .unwrap_or_else(|| "no attributes".into())
                )
            })
        }
        EventsCmd::Unregister(a) => {
            client.unregister_event(&a.subject_id, &a.event_id).await?;
            out.done(
                &Unregistered {
                    subject_id: a.subject_id.clone(),
                    event_id: a.event_id.clone(),
                    unregistered: true,
                },
                || {
                    format!(
                        "unregistered event {} of subject {}\n",
                        a.event_id, a.subject_id
                    )
                },
            )
        }
    }
}
