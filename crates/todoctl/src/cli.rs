use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser};

/// Take the todo-chatbot from source to a verified deployment on Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "todoctl", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Flags every subcommand understands.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print reports as JSON on stdout instead of human text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Print the commands a mutating step would run (secrets redacted) without running them.
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// More detail: -v shows each command as it runs, -vv also its output.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl Cli {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        // No subcommands yet: show what the tool is rather than doing nothing silently.
        Cli::command().print_help()?;
        Ok(ExitCode::SUCCESS)
    }
}
