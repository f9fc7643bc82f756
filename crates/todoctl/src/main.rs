//! `todoctl`: the deploy kit's command line.
//!
//! Each subcommand is a thin layer over one library crate: it parses flags, calls the library
//! and presents the result (a human report, or JSON with `--json`). No deployment logic lives
//! here.

mod cli;
mod commands;
mod output;
mod signals;

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
    // First, so that no Ctrl-C can slip between a child starting and the handler.
    if let Err(err) = signals::install() {
        output::error(&err);
        return ExitCode::from(output::EXIT_ERROR);
    }
    let cli = Cli::parse();
    let result = cli.run();
    if let Err(err) = &result {
        output::error(err);
    }
    if let Some(code) = signals::interrupted_exit() {
        return code;
    }
    result.unwrap_or(ExitCode::from(output::EXIT_ERROR))
}
