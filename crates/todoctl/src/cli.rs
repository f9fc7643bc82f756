use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::commands::{images, preflight, values};

/// Take the todo-chatbot from source to a verified deployment on Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "todoctl", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
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

    /// More detail: -v also shows each tool's output as it runs.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Is this machine ready to deploy? Tools, engine, Minikube, context, disk, secrets.
    Preflight(preflight::PreflightArgs),
    /// The chart's values: show them merged, check them, keep the schema in sync.
    Values(values::ValuesArgs),
    /// The container images: rules, content-tagged builds, loading into Minikube.
    Images(images::ImagesArgs),
}

impl Cli {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let global = &self.global;
        match self.command {
            Command::Preflight(args) => preflight::run(args, global),
            Command::Values(args) => values::run(args, global),
            Command::Images(args) => images::run(args, global),
        }
    }
}
