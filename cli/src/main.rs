//! `necid`: the command-line tool of the necid SDK.
//!
//! Subcommands: `serve` (the local emulator), `demo` (emulator + register/search/verify
//! on sample faces). Exit codes: 0 success, 1 any failure (per-error-kind codes come with
//! the full operation set).

mod demo;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "necid",
    version,
    about = "NEC ID face biometrics from the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the local NEC ID emulator (same API, signatures verified, SQLite storage).
    ///
    /// Example: necid serve --port 0 --memory --ready-file /tmp/necid.json
    Serve(serve::ServeArgs),
    /// Start a throwaway emulator, register sample faces, search and verify, and print the results.
    ///
    /// Example: necid demo
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Demo(args) => demo::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("necid: {err:#}");
            ExitCode::FAILURE
        }
    }
}
