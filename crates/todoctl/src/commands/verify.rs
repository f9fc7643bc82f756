//! `todoctl verify local|live`: prove the chart and the app agree, and that a release works.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use verify::ProgressEvent;

use crate::cli::GlobalArgs;
use crate::commands::cluster::Target;
use crate::output;

/// Verify without a cluster (local) or a deployed release (live).
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(subcommand)]
    command: VerifyCommand,
}

#[derive(Debug, Subcommand)]
enum VerifyCommand {
    /// Run the rendered containers' exact command, env, ports and probes on this machine
    /// against a local PostgreSQL, then the smoke journey. No cluster needed.
    Local(LocalArgs),
    /// Check a deployed release: rollouts, readiness, image IDs, endpoints, the smoke journey
    /// through port-forward, persistence across pod deletion, and `helm test`.
    Live(LiveArgs),
}

#[derive(Debug, Args)]
struct LocalArgs {
    /// The chart directory.
    #[arg(long, default_value = "helm/todo-chatbot")]
    chart: PathBuf,
    /// The profile to render.
    #[arg(long, default_value = "dev")]
    profile: chart_values::Profile,
    /// An admin URL of a local PostgreSQL that may create databases.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// Run our binaries (built now with cargo) or our real images with podman.
    #[arg(long, default_value = "binaries", value_parser = ["binaries", "podman"])]
    engine: String,
    /// Build and run release binaries instead of debug ones.
    #[arg(long)]
    release: bool,
    /// The project root whose services are built and run.
    #[arg(long, default_value = ".")]
    root: PathBuf,
}

#[derive(Debug, Args)]
pub struct LiveArgs {
    #[command(flatten)]
    pub target: Target,
    /// Skip the persistence step (it deletes the backend and PostgreSQL pods).
    #[arg(long)]
    pub no_persistence: bool,
    /// How long each wait may take, in seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// The project root whose images the cluster must run (their IDs are compared).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
}

pub fn run(args: VerifyArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let passed = match args.command {
        VerifyCommand::Local(local) => run_local(local, global)?,
        VerifyCommand::Live(live) => {
            let runner = crate::runner(global);
            // A plan compares nothing, and needs no image engine on this machine.
            let expected = if runner.is_dry_run() {
                Vec::new()
            } else {
                expected_images(&live.root)?
            };
            let report = run_live(&live, global, &expected, &runner)?;
            if runner.is_dry_run() {
                output::plan(global, &runner.recorded())?;
            } else {
                output::report(global, &report)?;
            }
            report.passed()
        }
    };
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn run_local(args: LocalArgs, global: &GlobalArgs) -> anyhow::Result<bool> {
    if global.dry_run {
        anyhow::bail!(
            "verify local has no plan to show: it builds the services and runs them against a throwaway database, changing nothing else; run it without --dry-run"
        );
    }
    output::progress("building todo-api and todo-web");
    let built = verify::build_services(&args.root, args.release, |line| {
        if global.verbose > 0 {
            output::progress(format!("  {line}"));
        }
    })?;
    let mut options = verify::LocalOptions::todo_chatbot(&args.database_url, built.api, built.web);
    if args.engine == "podman" {
        options.engine = verify::Engine::Podman;
    }
    options.progress = step_progress();
    let render = chart_check::Render::new(&args.chart, cluster::minikube::DEFAULT_KUBE_VERSION);
    let report = verify::verify_local_chart(&render, args.profile, &options)?;
    output::report(global, &report)?;
    Ok(report.passed())
}

/// Runs the live checks; `Ok(true)` when every step passed. With a dry-run `runner` the
/// checks only record what would change something, and nothing is printed.
pub fn run_live(
    args: &LiveArgs,
    global: &GlobalArgs,
    expected: &[verify::ExpectedImage],
    runner: &exec::Runner,
) -> anyhow::Result<verify::LiveReport> {
    let cluster = args.target.connect(global)?;
    let mut options =
        verify::LiveOptions::new(cluster.kubectl(), cluster.helm()?, &cluster.release);
    options.expected_images = expected.to_vec();
    options.persistence = !args.no_persistence;
    options.timeout = Duration::from_secs(args.timeout);
    options.minikube_profile = cluster.fix_context().minikube_profile.map(str::to_owned);
    Ok(verify::verify_live(runner, &options))
}

/// The image IDs the cluster must run: the tree at `root`'s images as the local engine has
/// them.
fn expected_images(root: &Path) -> anyhow::Result<Vec<verify::ExpectedImage>> {
    let project = images::ops::Project::new(root)?;
    let engine = images::engine::Engine::detect(
        images::engine::EngineChoice::Auto,
        images::engine::EngineTools::default(),
        images::engine::BuildSettings::default(),
    )?;
    let built = images::ops::built_images(&project, &exec::Runner::live(), &engine)?;
    Ok(built
        .into_iter()
        .map(|image| verify::ExpectedImage {
            repository: image.name,
            id: image.id,
        })
        .collect())
}

/// Step announcements on stderr, so a long run shows where it is.
pub fn step_progress() -> verify::Progress {
    verify::Progress::new(|event| match event {
        ProgressEvent::Started(name) => output::progress(format!("  … {name}")),
        ProgressEvent::Finished(_) => {}
    })
}
