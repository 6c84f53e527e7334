//! `necid`: the command-line tool of the necid SDK.
//!
//! Every NEC ID operation as a subcommand (`subjects`, `events`, `face`, `tags`, `jobs`,
//! `health`, `galleries`, `applications`), `configure` for profiles, `completions`/`man`,
//! plus `serve` (the local emulator) and `demo`. All service calls go through the core
//! crate `necid`; this crate only parses arguments and presents results. Output formats
//! and exit codes are documented in `cli/README.md`.

mod annotate;
mod cmd;
mod context;
mod demo;
mod emulator;
mod exit;
mod font;
mod inputs;
mod output;
mod serve;

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use crate::cmd::{configure, events, face, jobs, misc, subjects, tags, tenant};
use crate::context::GlobalArgs;
use crate::exit::CliError;

const EXAMPLES: &str = "\
Examples:
  necid configure --endpoint http://127.0.0.1:8700 --access-key-id AKID… --secret-access-key … --api-key …
  necid health
  necid subjects register ./photos --tags staff        # a whole folder, with a progress bar
  necid face search probe.jpg --threshold 7500 -o json
  necid face extract group.jpg --annotate boxes.png
  necid jobs bulk-register --manifest faces.csv --wait
  cat face.jpg | necid face verify - --subject 5f1c…

Settings come from flags, then NECID_* variables, then the profile (~/.necid/config);
with --profile, that profile is used as written. Run `necid <command> --help` for examples.";

#[derive(Debug, Parser)]
#[command(
    name = "necid",
    version,
    about = "NEC ID face biometrics from the command line",
    after_help = EXAMPLES
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Subjects: people registered in the gallery.
    ///
    /// Example: necid subjects register photos/*.jpg --tags staff
    #[command(subcommand)]
    Subjects(subjects::SubjectsCmd),
    /// Events: the registered images of one subject.
    ///
    /// Example: necid events list 5f1c…
    #[command(subcommand)]
    Events(events::EventsCmd),
    /// Face operations: extract, search (1:N), verify (1:1).
    ///
    /// Example: necid face search probe.jpg --annotate match.png
    #[command(subcommand)]
    Face(face::FaceCmd),
    /// Tags that label subjects.
    ///
    /// Example: necid tags create staff
    #[command(subcommand)]
    Tags(tags::TagsCmd),
    /// Bulk registration jobs.
    ///
    /// Example: necid jobs bulk-register a.jpg b.jpg --wait
    #[command(subcommand)]
    Jobs(jobs::JobsCmd),
    /// Check that the service is up (works without credentials).
    ///
    /// Example: necid health --endpoint http://127.0.0.1:8700
    Health,
    /// Galleries (tenant API).
    ///
    /// Example: necid galleries create --name Staff --size 10000
    #[command(subcommand)]
    Galleries(tenant::GalleriesCmd),
    /// Applications: API keys for galleries (tenant API).
    ///
    /// Example: necid applications create --name Kiosk --gallery-id 12
    #[command(subcommand)]
    Applications(tenant::ApplicationsCmd),
    /// Write a profile (endpoint, credentials, API key) to ~/.necid/config (mode 0600).
    ///
    /// Example: necid configure --profile local --from-emulator /tmp/necid.json
    Configure(configure::ConfigureArgs),
    /// Print a shell completion script.
    ///
    /// Example: necid completions bash > /etc/bash_completion.d/necid
    Completions(misc::CompletionsArgs),
    /// Print the man page (roff).
    ///
    /// Example: necid man | man -l -
    Man,
    /// Run the local NEC ID emulator (same API, signatures verified, SQLite storage).
    ///
    /// Example: necid serve --port 0 --memory --ready-file /tmp/necid.json
    Serve(Box<serve::ServeArgs>),
    /// Inspect a running emulator: what your code sent (needs recording, see `serve --record`).
    ///
    /// Example: necid emulator requests --ready-file /tmp/necid.json
    #[command(subcommand)]
    Emulator(emulator::EmulatorCmd),
    /// Start a throwaway emulator, register sample faces, search and verify, and print the results.
    ///
    /// Example: necid demo
    Demo(demo::DemoArgs),
}

/// The clap command with the exit-code table in the long help.
fn cli_command() -> clap::Command {
    let mut codes = String::from("Exit codes:\n");
    for (code, what) in exit::TABLE {
        codes.push_str(&format!("  {code:>2}  {what}\n"));
    }
    Cli::command().after_long_help(format!("{EXAMPLES}\n\n{codes}"))
}

fn main() -> ExitCode {
    let matches = cli_command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_tracing(cli.global.verbose);
    match cli.command {
        Command::Serve(args) => run_lead(serve::run(*args)),
        Command::Demo(args) => run_lead(demo::run(args)),
        Command::Emulator(cmd) => run_lead(emulator::run(cmd)),
        command => {
            let out = cli.global.out();
            match run(&cli.global, command) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    report(out, &err);
                    ExitCode::from(err.exit_code())
                }
            }
        }
    }
}

/// `serve` and `demo` on their own runtime, failures as exit code 1.
fn run_lead(fut: impl Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("necid: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(fut) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("necid: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Operation commands run on the SDK's own runtime (no second runtime for them).
fn run(g: &GlobalArgs, command: Command) -> Result<(), CliError> {
    match command {
        Command::Configure(a) => return configure::run(g, a),
        Command::Completions(a) => return misc::completions(&mut cli_command(), &a),
        Command::Man => return misc::man(cli_command()),
        _ => {}
    }
    let rt = necid::runtime()?;
    rt.block_on(async move {
        match command {
            Command::Subjects(c) => subjects::run(g, c).await,
            Command::Events(c) => events::run(g, c).await,
            Command::Face(c) => face::run(g, c).await,
            Command::Tags(c) => tags::run(g, c).await,
            Command::Jobs(c) => jobs::run(g, c).await,
            Command::Health => misc::health(g).await,
            Command::Galleries(c) => tenant::galleries(g, c).await,
            Command::Applications(c) => tenant::applications(g, c).await,
            Command::Configure(_)
            | Command::Completions(_)
            | Command::Man
            | Command::Serve(_)
            | Command::Emulator(_)
            | Command::Demo(_) => Err(CliError::Internal("unreachable command".to_owned())),
        }
    })
}

/// One clear line on stderr (`necid: Kind: message (HTTP …)`), or `{"error": …}` with
/// `--output json`. Soft failures (not verified, partial) already printed their result.
fn report(out: output::Out, err: &CliError) {
    if out.is_json() {
        if err.is_soft() {
            return;
        }
        match serde_json::to_string(&err.to_json()) {
            Ok(text) => eprintln!("{text}"),
            Err(_) => eprintln!("necid: {err}"),
        }
    } else if !(err.is_soft() && out.quiet) {
        eprintln!("necid: {err}");
    }
}

/// `-v` logs one line per request, `-vv` debug, `-vvv` everything; `RUST_LOG` overrides.
/// The core never puts secrets in its spans or events.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.is_empty() => EnvFilter::new(v),
        _ => EnvFilter::new(match verbose {
            0 => "off",
            1 => "necid=info,necid_cli=info,necid_server=info",
            2 => "necid=debug,necid_cli=debug,necid_server=debug",
            _ => "trace",
        }),
    };
    // The core records each request (op, method, path, status, attempt, latency, request
    // id) on a span; printing spans as they close gives one line per request.
    let span_events = if verbose >= 1 {
        tracing_subscriber::fmt::format::FmtSpan::CLOSE
    } else {
        tracing_subscriber::fmt::format::FmtSpan::NONE
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_span_events(span_events)
        .with_target(verbose >= 2)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every runnable command's long help shows an example.
    #[test]
    fn every_command_has_an_example() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name());
            let about = cmd
                .get_long_about()
                .or(cmd.get_about())
                .map(|s| s.to_string())
                .unwrap_or_default();
            if !path.trim().eq("necid") && !about.contains("Example: necid") {
                missing.push(path.clone());
            }
            for sub in cmd.get_subcommands() {
                if sub.get_name() != "help" {
                    walk(sub, &path, missing);
                }
            }
        }
        let mut missing = Vec::new();
        walk(&cli_command(), "", &mut missing);
        assert!(missing.is_empty(), "no example in: {missing:?}");
        cli_command().debug_assert();
    }
}
