//! Shared pieces of the reliability checks (see `tests/README.md`).
//!
//! The crate's binary `scenario-runner` is the Rust runner of the cross-language
//! scenarios in `tests/scenarios/*.json`; its integration tests are the signing
//! properties, the fault-injection proxy in front of the real emulator, and the load run.
//! It is a workspace member but not a default member: `scripts/suites/8*-*.sh` run it.

pub mod fuzz;
pub mod scenario;
