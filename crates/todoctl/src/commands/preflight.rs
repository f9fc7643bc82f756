//! `todoctl preflight`: is this machine ready to deploy?

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;
use crate::output;

/// Check tools, container engine, Minikube, kube context, disk and secrets.
#[derive(Debug, Args)]
pub struct PreflightArgs {
    /// The chart profile to deploy: default, dev or prod.
    #[arg(long, default_value = "dev")]
    profile: chart_values::Profile,

    /// The Minikube profile (also the kube context it creates).
    #[arg(long, env = "MINIKUBE_PROFILE", default_value = cluster::minikube::DEFAULT_PROFILE)]
    minikube_profile: String,

    /// Deploy to this kube context even though it is not the Minikube profile.
    #[arg(long)]
    context: Option<String>,

    /// The cluster will be started by the deploy: a stopped or missing profile is a warning.
    #[arg(long)]
    start_planned: bool,

    /// The chart directory.
    #[arg(long, default_value = "helm/todo-chatbot")]
    chart: PathBuf,
}

pub fn run(args: PreflightArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let mut config =
        preflight::Config::for_chart_profile(args.profile, &args.minikube_profile, &args.chart)?;
    config.explicit_context = args.context;
    config.cluster_start_planned = args.start_planned;
    let report = preflight::check(&config);
    output::report(global, &report)?;
    Ok(ExitCode::from(report.exit_code()))
}
