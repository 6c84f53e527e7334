//! `necid health`, `necid completions`, `necid man`.

use clap::Args;
use clap_complete::Shell;

use crate::context::GlobalArgs;
use crate::exit::CliError;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to generate completions for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub async fn health(g: &GlobalArgs) -> Result<(), CliError> {
    let out = g.out();
    let client = g.client()?;
    let endpoint = client.config().endpoint().to_owned();
    let h = client.health().await?;
    out.result(&h, || format!("{} ({endpoint})\n", h.status))?;
    if h.is_ok() {
        Ok(())
    } else {
        Err(CliError::Api(necid::Error::new(
            necid::ErrorKind::Server,
            format!("the service reports status {:?}", h.status),
        )))
    }
}

pub fn completions(cmd: &mut clap::Command, a: &CompletionsArgs) -> Result<(), CliError> {
    let name = cmd.get_name().to_owned();
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, cmd, name, &mut buf);
    crate::output::stdout(&buf)
}

pub fn man(cmd: clap::Command) -> Result<(), CliError> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .map_err(|e| CliError::io("man page", e))?;
    crate::output::stdout(&buf)
}
