//! `necid tags list|create|rename|delete`.

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::context::GlobalArgs;
use crate::exit::CliError;
use crate::output::{Table, opt};

#[derive(Debug, Subcommand)]
pub enum TagsCmd {
    /// List the gallery's tags.
    ///
    /// Example: necid tags list -o json
    List,
    /// Create a tag.
    ///
    /// Example: necid tags create staff
    Create(NameArg),
    /// Rename a tag.
    ///
    /// Example: necid tags rename staff employees
    Rename(RenameArgs),
    /// Delete a tag (subjects keep it).
    ///
    /// Example: necid tags delete visitor
    Delete(NameArg),
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// Tag name.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    /// Current name.
    pub old_name: String,
    /// New name.
    pub new_name: String,
}

#[derive(Debug, Serialize)]
struct TagList {
    tags: Vec<necid::Tag>,
}

#[derive(Debug, Serialize)]
struct TagChange<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Renamed<'a> {
    old_name: &'a str,
    new_name: &'a str,
}

pub async fn run(g: &GlobalArgs, cmd: TagsCmd) -> Result<(), CliError> {
    let out = g.out();
    let client = g.client()?;
    match cmd {
        TagsCmd::List => {
            let tags = TagList {
                tags: client.list_tags().await?,
            };
            out.result(&tags, || {
                if tags.tags.iter().all(|t| t.id.is_none()) {
                    let mut t = Table::new(&["TAG"]);
                    for tag in &tags.tags {
                        t.row(vec![tag.name.clone()]);
                    }
                    t.render()
                } else {
                    let mut t = Table::new(&["TAG", "ID"]);
                    for tag in &tags.tags {
                        t.row(vec![tag.name.clone(), opt(tag.id)]);
                    }
                    t.render()
                }
            })
        }
        TagsCmd::Create(a) => {
            client.create_tag(&a.name).await?;
            out.done(
                &TagChange {
                    name: &a.name,
                    created: Some(true),
                    deleted: None,
                },
                || format!("created tag {}\n", a.name),
            )
        }
        TagsCmd::Rename(a) => {
            client.rename_tag(&a.old_name, &a.new_name).await?;
            out.done(
                &Renamed {
                    old_name: &a.old_name,
                    new_name: &a.new_name,
                },
                || format!("renamed tag {} to {}\n", a.old_name, a.new_name),
            )
        }
        TagsCmd::Delete(a) => {
            client.delete_tag(&a.name).await?;
            out.done(
                &TagChange {
                    name: &a.name,
                    created: None,
                    deleted: Some(true),
                },
                || format!("deleted tag {}\n", a.name),
            )
        }
    }
}
