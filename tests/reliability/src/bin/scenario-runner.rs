//! Rust runner of the cross-language scenarios.
//!
//! `scenario-runner READY_FILE FACES_DIR SCENARIO.json...` runs each scenario in a fresh
//! gallery of the emulator described by READY_FILE (`necid serve --ready-file`), prints
//! the normalised transcript on stdout, expectation failures on stderr, and exits 1 if any.

use std::path::Path;
use std::process::ExitCode;

use necid_reliability::scenario::Runner;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [ready, faces, files @ ..] = args.as_slice() else {
        eprintln!("usage: scenario-runner READY_FILE FACES_DIR SCENARIO.json...");
        return ExitCode::from(2);
    };
    let runner = match Runner::from_ready_file(Path::new(ready), Path::new(faces)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("scenario-runner: {e}");
            return ExitCode::from(2);
        }
    };
    let mut failed = false;
    for file in files {
        match runner.run(Path::new(file), "rust") {
            Ok((lines, failures)) => {
                for l in lines {
                    println!("{l}");
                }
                for f in &failures {
                    eprintln!("scenario-runner: {file}: {f}");
                }
                failed |= !failures.is_empty();
            }
            Err(e) => {
                eprintln!("scenario-runner: {file}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
