//! `todoctl`: the deploy kit's command line.
//!
//! Each subcommand is a thin layer over one library crate: it parses flags, calls the library
//! and presents the result (a human report, or JSON with `--json`). No deployment logic lives
//! here.

mod cli;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, GlobalArgs};

/// The runner every mutating step uses: it records instead of running under `--dry-run`.
fn runner(global: &GlobalArgs) -> exec::Runner {
    if global.dry_run {
        exec::Runner::dry_run()
    } else {
        exec::Runner::live()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.run() {
        Ok(code) => code,
        Err(err) => {
            output::error(&err);
            ExitCode::from(output::EXIT_ERROR)
        }
    }
}
