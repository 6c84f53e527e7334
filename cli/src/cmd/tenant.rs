//! `necid galleries …` and `necid applications …` (the tenant/portal API).
//!
//! `create` prints the new API key on purpose (it is the result the user asked for);
//! every other output and log keeps keys out.

use clap::{Args, Subcommand};
use necid::{Application, ApplicationUpdate, Gallery, GalleryUpdate, NewApplication, NewGallery};
use serde::Serialize;

use crate::context::GlobalArgs;
use crate::exit::CliError;
use crate::output::{Table, opt, opt_f2};

#[derive(Debug, Subcommand)]
pub enum GalleriesCmd {
    /// List galleries.
    ///
    /// Example: necid galleries list
    List(ListArgs),
    /// Show a gallery and its applications.
    ///
    /// Example: necid galleries get 12 --show-keys
    Get(GetArgs),
    /// Create a gallery (and an application; prints its API key).
    ///
    /// Example: necid galleries create --name Staff --size 10000 --min-quality 0.6
    Create(GalleryCreate),
    /// Change a gallery's name, description or size.
    ///
    /// Example: necid galleries update 12 --size 20000
    Update(GalleryUpdateArgs),
    /// Delete a gallery and its applications.
    ///
    /// Example: necid galleries delete 12
    Delete(IdArg),
}

#[derive(Debug, Subcommand)]
pub enum ApplicationsCmd {
    /// List applications.
    ///
    /// Example: necid applications list
    List(ListArgs),
    /// Show an application.
    ///
    /// Example: necid applications get 7 --show-keys -o json
    Get(GetArgs),
    /// Create an application (a new API key) for a gallery.
    ///
    /// Example: necid applications create --name Kiosk --gallery-id 12
    Create(AppCreate),
    /// Change an application's name, description or quality minimum.
    ///
    /// Example: necid applications update 7 --min-quality 0.7
    Update(AppUpdateArgs),
    /// Delete an application (its API key stops working).
    ///
    /// Example: necid applications delete 7
    Delete(IdArg),
}

#[derive(Debug, Args)]
pub struct IdArg {
    /// Id.
    pub id: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Include API keys in the output (hidden by default).
    #[arg(long)]
    pub show_keys: bool,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Id.
    pub id: String,
    /// Include API keys in the output (hidden by default).
    #[arg(long)]
    pub show_keys: bool,
}

#[derive(Debug, Args)]
pub struct GalleryCreate {
    /// Name.
    #[arg(long)]
    pub name: String,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// Capacity (number of subjects).
    #[arg(long)]
    pub size: Option<u64>,
    /// Minimum face quality accepted (0.45–1).
    #[arg(long)]
    pub min_quality: Option<f64>,
}

#[derive(Debug, Args)]
pub struct GalleryUpdateArgs {
    /// Gallery id.
    pub id: String,
    /// New name.
    #[arg(long)]
    pub name: Option<String>,
    /// New description.
    #[arg(long)]
    pub description: Option<String>,
    /// New capacity (may only grow).
    #[arg(long)]
    pub size: Option<u64>,
}

#[derive(Debug, Args)]
pub struct AppCreate {
    /// Name.
    #[arg(long)]
    pub name: String,
    /// Gallery the key gives access to.
    #[arg(long)]
    pub gallery_id: String,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// Minimum face quality accepted (0.45–1).
    #[arg(long)]
    pub min_quality: Option<f64>,
}

#[derive(Debug, Args)]
pub struct AppUpdateArgs {
    /// Application id.
    pub id: String,
    /// New name.
    #[arg(long)]
    pub name: Option<String>,
    /// New description.
    #[arg(long)]
    pub description: Option<String>,
    /// New minimum face quality.
    #[arg(long)]
    pub min_quality: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Galleries {
    galleries: Vec<Gallery>,
}

#[derive(Debug, Serialize)]
struct Applications {
    applications: Vec<Application>,
}

#[derive(Debug, Serialize)]
struct Deleted<'a> {
    id: &'a str,
    deleted: bool,
}

/// API keys are secrets: listed or fetched ones are dropped unless `--show-keys`.
fn hide_app_keys(apps: &mut [Application], show: bool) {
    if !show {
        apps.iter_mut().for_each(|a| a.api_key = None);
    }
}

fn hide_gallery_keys(gs: &mut [Gallery], show: bool) {
    if !show {
        gs.iter_mut().for_each(|g| g.api_key = None);
    }
}

fn gallery_table(gs: &[Gallery]) -> String {
    let mut t = Table::new(&["ID", "NAME", "SIZE", "COUNT", "MIN QUALITY", "DESCRIPTION"]);
    for g in gs {
        t.row(vec![
            g.id.clone(),
            g.name.clone(),
            opt(g.size),
            opt(g.count),
            opt_f2(g.face_minimum_quality_score),
            opt(g.description.as_deref()),
        ]);
    }
    t.render()
}

fn app_table(apps: &[Application]) -> String {
    let keys = apps.iter().any(|a| a.api_key.is_some());
    let mut headers = vec!["ID", "NAME", "GALLERY", "MIN QUALITY", "DESCRIPTION"];
    if keys {
        headers.push("API KEY");
    }
    let mut t = Table::new(&headers);
    for a in apps {
        let mut row = vec![
            a.id.clone(),
            a.name.clone(),
            opt(a.gallery_id.as_deref()),
            opt_f2(a.face_minimum_quality_score),
            opt(a.description.as_deref()),
        ];
        if keys {
            row.push(opt(a.api_key.as_deref()));
        }
        t.row(row);
    }
    t.render()
}

fn key_line(key: Option<&str>) -> String {
    match key {
        Some(k) => format!(
            "API key: {k}\n(shown once here; store it, e.g. `necid configure --api-key …`)\n"
        ),
        None => String::new(),
    }
}

pub async fn galleries(g: &GlobalArgs, cmd: GalleriesCmd) -> Result<(), CliError> {
    let out = g.out();
    let client = g.client()?;
    match cmd {
        GalleriesCmd::List(a) => {
            let mut v = Galleries {
                galleries: client.list_galleries().await?,
            };
            hide_gallery_keys(&mut v.galleries, a.show_keys);
            out.result(&v, || gallery_table(&v.galleries))
        }
        GalleriesCmd::Get(a) => {
            let mut d = client.get_gallery(&a.id).await?;
            hide_gallery_keys(std::slice::from_mut(&mut d.gallery), a.show_keys);
            hide_app_keys(&mut d.applications, a.show_keys);
            out.result(&d, || {
                format!(
                    "{}\napplications:\n{}",
                    gallery_table(std::slice::from_ref(&d.gallery)),
                    app_table(&d.applications)
                )
            })
        }
        GalleriesCmd::Create(a) => {
            let gal = client
                .create_gallery(NewGallery {
                    name: a.name,
                    description: a.description,
                    face_minimum_quality_score: a.min_quality,
                    size: a.size,
                })
                .await?;
            out.result(&gal, || {
                format!(
                    "created gallery\n{}{}",
                    gallery_table(std::slice::from_ref(&gal)),
                    key_line(gal.api_key.as_deref())
                )
            })
        }
        GalleriesCmd::Update(a) => {
            let gal = client
                .update_gallery(
                    &a.id,
                    GalleryUpdate {
                        name: a.name,
                        description: a.description,
                        size: a.size,
                    },
                )
                .await?;
            out.result(&gal, || gallery_table(std::slice::from_ref(&gal)))
        }
        GalleriesCmd::Delete(a) => {
            client.delete_gallery(&a.id).await?;
            out.done(
                &Deleted {
                    id: &a.id,
                    deleted: true,
                },
                || format!("deleted gallery {}\n", a.id),
            )
        }
    }
}

pub async fn applications(g: &GlobalArgs, cmd: ApplicationsCmd) -> Result<(), CliError> {
    let out = g.out();
    let client = g.client()?;
    match cmd {
        ApplicationsCmd::List(a) => {
            let mut v = Applications {
                applications: client.list_applications().await?,
            };
            hide_app_keys(&mut v.applications, a.show_keys);
            out.result(&v, || app_table(&v.applications))
        }
        ApplicationsCmd::Get(a) => {
            let mut app = client.get_application(&a.id).await?;
            hide_app_keys(std::slice::from_mut(&mut app), a.show_keys);
            out.result(&app, || app_table(std::slice::from_ref(&app)))
        }
        ApplicationsCmd::Create(a) => {
            let app = client
                .create_application(NewApplication {
                    name: a.name,
                    description: a.description,
                    face_minimum_quality_score: a.min_quality,
                    gallery_id: a.gallery_id,
                })
                .await?;
            out.result(&app, || {
                let mut shown = app.clone();
                shown.api_key = None;
                format!(
                    "created application\n{}{}",
                    app_table(std::slice::from_ref(&shown)),
                    key_line(app.api_key.as_deref())
                )
            })
        }
        ApplicationsCmd::Update(a) => {
            let app = client
                .update_application(
                    &a.id,
                    ApplicationUpdate {
                        name: a.name,
                        description: a.description,
                        face_minimum_quality_score: a.min_quality,
                    },
                )
                .await?;
            out.result(&app, || app_table(std::slice::from_ref(&app)))
        }
        ApplicationsCmd::Delete(a) => {
            client.delete_application(&a.id).await?;
            out.done(
                &Deleted {
                    id: &a.id,
                    deleted: true,
                },
                || format!("deleted application {}\n", a.id),
            )
        }
    }
}
