use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::commands::{chart, cluster, deploy, images, preflight, values, verify};

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
    /// The whole pipeline: preflight, images, load, chart check, release, verify live.
    Deploy(deploy::DeployArgs),
    /// Is this machine ready to deploy? Tools, engine, Minikube, context, disk, secrets.
    Preflight(preflight::PreflightArgs),
    /// The chart's values: show them merged, check them, keep the schema in sync.
    Values(values::ValuesArgs),
    /// The container images: rules, content-tagged builds, loading into Minikube.
    Images(images::ImagesArgs),
    /// Check the chart: real helm render, strict parse, the rule catalog.
    Chart(chart::ChartArgs),
    /// Prove it works: locally without a cluster, or on the deployed release.
    Verify(verify::VerifyArgs),
    /// Start the Minikube profile with the resources and addons the chart needs.
    Minikube(cluster::MinikubeArgs),
    /// Install or upgrade the Helm release alone (the deploy step of `just deploy`).
    Release(cluster::ReleaseArgs),
    /// Roll the release back to an earlier revision.
    Rollback(cluster::RollbackArgs),
    /// The release, its pods, Services and volumes at a glance.
    Status(cluster::StatusArgs),
    /// Uninstall the release (the database volume stays unless --purge).
    Down(cluster::DownArgs),
    /// Back up or restore the embedded PostgreSQL.
    Db(cluster::DbArgs),
    /// Forward a local port to the frontend (or backend) Service.
    PortForward(cluster::PortForwardArgs),
    /// Diagnose a broken deployment from the cluster's state, with fixes.
    Doctor(cluster::DoctorArgs),
    /// Ask kubectl-ai or kagent about the deployment (doctor answers when neither is set up).
    Ai(cluster::AiArgs),
}

impl Cli {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let global = &self.global;
        match self.command {
            Command::Deploy(args) => deploy::run(args, global),
            Command::Preflight(args) => preflight::run(args, global),
            Command::Values(args) => values::run(args, global),
            Command::Images(args) => images::run(args, global),
            Command::Chart(args) => chart::run(args, global),
            Command::Verify(args) => verify::run(args, global),
            Command::Minikube(args) => cluster::minikube(args, global),
            Command::Release(args) => cluster::release(args, global),
            Command::Rollback(args) => cluster::rollback(args, global),
            Command::Status(args) => cluster::status(args, global),
            Command::Down(args) => cluster::down(args, global),
            Command::Db(args) => cluster::db(args, global),
            Command::PortForward(args) => cluster::port_forward(args, global),
            Command::Doctor(args) => cluster::doctor(args, global),
            Command::Ai(args) => cluster::ai(args, global),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        // Catches clashing flag names across flattened option groups, which clap only
        // reports at run time.
        super::Cli::command().debug_assert();
    }
}
