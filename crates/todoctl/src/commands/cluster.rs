//! The cluster subcommands: minikube, release, rollback, status, down, db, port-forward,
//! doctor and ai — each a call into the `cluster` crate (doctor and ai: the `diagnose` crate).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use cluster::{Cluster, DeployOptions, DeployOutcome, MinikubeOptions, StatusReport, Tools};
use diagnose::DoctorContext;

use crate::cli::GlobalArgs;
use crate::output;

/// Where the commands go: the Minikube profile (or an explicit context), namespace, release.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// The Minikube profile; its kube context is the only one used without --context.
    #[arg(long, global = true, env = "MINIKUBE_PROFILE", default_value = cluster::minikube::DEFAULT_PROFILE)]
    pub minikube_profile: String,

    /// Use this kube context (any cluster: kind, k3d, a cloud one) instead of Minikube's.
    #[arg(long, global = true)]
    pub context: Option<String>,

    /// The namespace of the release.
    #[arg(long, global = true, default_value = cluster::DEFAULT_NAMESPACE)]
    pub namespace: String,

    /// The Helm release name.
    #[arg(long, global = true, default_value = cluster::DEFAULT_RELEASE)]
    pub release: String,
}

impl Target {
    /// Connects to the target, refusing a context that is neither Minikube's nor explicit.
    pub fn connect(&self, global: &GlobalArgs) -> anyhow::Result<Cluster> {
        let cluster = Cluster::connect(
            Tools::default(),
            &self.minikube_profile,
            self.context.as_deref(),
            &self.namespace,
            &self.release,
            global.dry_run,
        )?;
        if cluster.target.source == cluster::ContextSource::AssumedForPlan {
            output::progress(format!(
                "note: no kubeconfig here; planning for context `{}`",
                cluster.target.context
            ));
        }
        Ok(cluster)
    }

    fn doctor_context(&self) -> DoctorContext {
        DoctorContext {
            minikube: MinikubeOptions {
                profile: self.minikube_profile.clone(),
                ..MinikubeOptions::default()
            },
            namespace: self.namespace.clone(),
            release: self.release.clone(),
        }
    }
}

/// `todoctl minikube start`.
#[derive(Debug, Args)]
pub struct MinikubeArgs {
    #[command(subcommand)]
    command: MinikubeCommand,
}

#[derive(Debug, Subcommand)]
enum MinikubeCommand {
    /// Start (or re-start) the profile with the resources and addons the chart needs.
    Start {
        /// The profile name (also the kube context's).
        #[arg(long, env = "MINIKUBE_PROFILE", default_value = cluster::minikube::DEFAULT_PROFILE)]
        profile: String,
        /// The driver: docker, podman, kvm2, ...
        #[arg(long, default_value = "docker")]
        driver: String,
        /// CPUs for the node.
        #[arg(long, default_value_t = 2)]
        cpus: u32,
        /// Memory for the node, in MiB.
        #[arg(long, default_value_t = 4096)]
        memory: u32,
        /// Kubernetes version.
        #[arg(long, default_value = cluster::minikube::DEFAULT_KUBERNETES_VERSION)]
        kubernetes_version: String,
        /// Also enable the ingress addon (the prod profile's Ingress).
        #[arg(long)]
        ingress: bool,
    },
}

pub fn minikube(args: MinikubeArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let MinikubeCommand::Start {
        profile,
        driver,
        cpus,
        memory,
        kubernetes_version,
        ingress,
    } = args.command;
    let mut options = MinikubeOptions {
        profile,
        driver,
        cpus,
        memory_mib: memory,
        kubernetes_version,
        ..MinikubeOptions::default()
    };
    if ingress {
        options.addons.push("ingress".into());
    }
    let runner = crate::runner(global);
    cluster::minikube::start(&runner, &Tools::default().minikube, &options, |line| {
        output::progress(format!("  {line}"))
    })?;
    finish_plan(global, &runner)
}

/// `todoctl release`: the Helm step alone.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub chart: ChartArgs,
    /// The project root whose content tags are the default image tags.
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
}

/// What to install: chart, profile, values, image tags.
#[derive(Debug, Clone, Args)]
pub struct ChartArgs {
    /// The chart directory.
    #[arg(long, default_value = "helm/todo-chatbot")]
    pub chart: PathBuf,
    /// The values profile: dev (Minikube), default or prod.
    #[arg(long, default_value = "dev")]
    pub profile: cluster::Profile,
    /// More values files, after the profile's.
    #[arg(short = 'f', long = "values")]
    pub values: Vec<PathBuf>,
    /// The backend image tag (default: the current tree's content tag).
    #[arg(long)]
    pub backend_tag: Option<String>,
    /// The frontend image tag (default: the current tree's content tag).
    #[arg(long)]
    pub frontend_tag: Option<String>,
    /// How long Helm waits for the pods before rolling back, in seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
}

impl ChartArgs {
    /// The deploy options, with image tags defaulting to the content tags of the project at
    /// `root` (the `--root` the user gave) and secrets read from the environment (JWT_SECRET,
    /// POSTGRES_PASSWORD, OPENAI_API_KEY).
    pub fn deploy_options(&self, root: &Path) -> anyhow::Result<DeployOptions> {
        let mut options = DeployOptions::new(&self.chart, self.profile);
        options.extra_values = self.values.clone();
        options.timeout = Duration::from_secs(self.timeout);
        options.secrets = cluster::Secrets::from_lookup(|key| std::env::var(key).ok())?;
        options.backend_tag = self.backend_tag.clone();
        options.frontend_tag = self.frontend_tag.clone();
        if options.backend_tag.is_none() || options.frontend_tag.is_none() {
            let tags = images::ops::Project::new(root)?.tags()?;
            let tag_of = |image: images::Component| {
                let name = image.repository();
                tags.iter().find(|t| t.name == name).map(|t| t.tag.clone())
            };
            options.backend_tag = options
                .backend_tag
                .or_else(|| tag_of(images::Component::Backend));
            options.frontend_tag = options
                .frontend_tag
                .or_else(|| tag_of(images::Component::Frontend));
        }
        Ok(options)
    }
}

pub fn release(args: ReleaseArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let cluster = args.target.connect(global)?;
    let options = args.chart.deploy_options(&args.root)?;
    let runner = crate::runner(global);
    let outcome =
        cluster::deploy::deploy(&runner, &cluster, &options, |line| output::progress(line))?;
    match outcome {
        DeployOutcome::Planned { .. } => finish_plan(global, &runner),
        DeployOutcome::Unchanged { revision } => {
            output::progress(format!(
                "release {} unchanged (revision {revision})",
                cluster.release
            ));
            Ok(ExitCode::SUCCESS)
        }
        DeployOutcome::Deployed { revision, helm } => {
            output::progress(format!(
                "release {} deployed: revision {revision} ({helm})",
                cluster.release
            ));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `todoctl rollback [REVISION]`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    target: Target,
    /// The revision to return to (default: the previous one).
    revision: Option<u32>,
    /// How long to wait for the pods, in seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

pub fn rollback(args: RollbackArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let cluster = args.target.connect(global)?;
    let runner = crate::runner(global);
    cluster::deploy::rollback(
        &runner,
        &cluster,
        args.revision,
        Duration::from_secs(args.timeout),
    )?;
    finish_plan(global, &runner)
}

/// `todoctl status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    target: Target,
}

pub fn status(args: StatusArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let cluster = args.target.connect(global)?;
    let report = cluster::status::status(&cluster)?;
    output::report_as(global, &report, Status(&report))?;
    Ok(if report.healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

struct Status<'a>(&'a StatusReport);

impl fmt::Display for Status<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = self.0;
        writeln!(
            f,
            "context {}  namespace {}",
            report.context, report.namespace
        )?;
        match &report.release {
            Some(release) => writeln!(
                f,
                "release {}: {} (revision {})",
                release.name, release.info.status, release.version
            )?,
            None => writeln!(f, "release: not installed")?,
        }
        writeln!(
            f,
            "\n{:<48} {:<10} {:<8} {:>8}  REASON",
            "POD", "PHASE", "READY", "RESTARTS"
        )?;
        for pod in &report.pods {
            let reason = pod.reason.as_deref().unwrap_or("");
            writeln!(
                f,
                "{:<48} {:<10} {:<8} {:>8}  {reason}",
                pod.name, pod.phase, pod.ready, pod.restarts
            )?;
        }
        for (title, rows) in [("SERVICES", &report.services), ("VOLUMES", &report.volumes)] {
            writeln!(f, "\n{title}")?;
            for row in rows {
                writeln!(f, "  {row}")?;
            }
        }
        if !report.autoscalers.is_empty() {
            writeln!(
                f,
                "\n{:<40} {:<8} {:<8} {:<8} TARGETS",
                "AUTOSCALER", "REPLICAS", "DESIRED", "MIN-MAX"
            )?;
        }
        for hpa in &report.autoscalers {
            writeln!(
                f,
                "{:<40} {:<8} {:<8} {:<8} {}",
                hpa.name,
                hpa.current_replicas,
                hpa.desired_replicas,
                format!("{}-{}", hpa.min_replicas, hpa.max_replicas),
                hpa.targets.join(", ")
            )?;
            if let Some(problem) = &hpa.problem {
                writeln!(f, "  cannot scale: {problem}")?;
            }
        }
        match &report.usage {
            cluster::status::Usage::Measured { pods } => {
                writeln!(
                    f,
                    "\n{:<48} {:>10} {:>14}",
                    "USAGE", "CPU(cores)", "MEMORY(bytes)"
                )?;
                for pod in pods {
                    writeln!(
                        f,
                        "{:<48} {:>10} {:>14}",
                        pod.name,
                        format!("{}m", pod.cpu_millicores),
                        format!("{}Mi", pod.memory_mib)
                    )?;
                }
            }
            cluster::status::Usage::Unavailable { reason } => {
                writeln!(f, "\nUSAGE unavailable: {reason}")?;
            }
        }
        write!(
            f,
            "\n{}",
            if report.healthy() {
                "healthy"
            } else {
                "NOT healthy: run `todoctl doctor`"
            }
        )
    }
}

/// `todoctl down [--purge]`.
#[derive(Debug, Args)]
pub struct DownArgs {
    #[command(flatten)]
    target: Target,
    /// Also delete the database volume, the chart's Secret and the namespace (data is lost).
    #[arg(long)]
    purge: bool,
    /// How long to wait, in seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

pub fn down(args: DownArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let cluster = args.target.connect(global)?;
    let runner = crate::runner(global);
    let outcome = cluster::deploy::down(
        &runner,
        &cluster,
        args.purge,
        Duration::from_secs(args.timeout),
    )?;
    if runner.is_dry_run() {
        return finish_plan(global, &runner);
    }
    output::progress(match (outcome.uninstalled, outcome.purged) {
        (_, true) => "release, data volume, Secret and namespace removed",
        (true, false) => {
            "release removed; the database volume and Secret are kept (use --purge to delete them)"
        }
        (false, false) => "no release was installed; nothing removed",
    });
    Ok(ExitCode::SUCCESS)
}

/// `todoctl db backup|restore FILE`.
#[derive(Debug, Args)]
pub struct DbArgs {
    #[command(subcommand)]
    command: DbCommand,
    #[command(flatten)]
    target: Target,
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Dump the embedded PostgreSQL to FILE (written 0600, atomically).
    Backup {
        /// Where to write the dump.
        file: PathBuf,
    },
    /// Restore a dump made by `db backup` into the embedded PostgreSQL.
    Restore {
        /// The dump to restore.
        file: PathBuf,
    },
}

pub fn db(args: DbArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let cluster = args.target.connect(global)?;
    let runner = crate::runner(global);
    match args.command {
        DbCommand::Backup { file } => {
            let bytes = cluster::db::backup(&runner, &cluster, &file)?;
            if !runner.is_dry_run() {
                output::progress(format!("wrote {bytes} bytes to {}", file.display()));
            }
        }
        DbCommand::Restore { file } => {
            cluster::db::restore(&runner, &cluster, &file)?;
            if !runner.is_dry_run() {
                output::progress(format!("restored {}", file.display()));
            }
        }
    }
    finish_plan(global, &runner)
}

/// `todoctl port-forward [frontend|backend]`.
#[derive(Debug, Args)]
pub struct PortForwardArgs {
    #[command(flatten)]
    target: Target,
    /// Which service: frontend (the app) or backend (the API).
    #[arg(default_value = "frontend", value_parser = ["frontend", "backend"])]
    component: String,
    /// The local port (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
}

pub fn port_forward(args: PortForwardArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let cluster = args.target.connect(global)?;
    let (service, remote) = cluster::status::forward_target(&cluster, &args.component)?;
    let kubectl = cluster.kubectl();
    if global.dry_run {
        println!("{}", kubectl.port_forward_cmd(&service, args.port, remote));
        return Ok(ExitCode::SUCCESS);
    }
    let forward = kubectl.port_forward(&service, args.port, remote)?;
    output::progress(format!(
        "{service} is at {} (Ctrl-C to stop)",
        forward.url()
    ));
    forward.wait()?;
    Ok(ExitCode::SUCCESS)
}

/// `todoctl doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    target: Target,
}

pub fn doctor(args: DoctorArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let cluster = args.target.connect(global)?;
    let state = diagnose::collect(&cluster)?;
    let findings = diagnose::diagnose(&state, &args.target.doctor_context());
    output::report_as(global, &findings, diagnose::render(&findings))?;
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `todoctl ai "<question>"`.
#[derive(Debug, Args)]
pub struct AiArgs {
    #[command(flatten)]
    target: Target,
    /// The question, e.g. "why is the backend not ready?"
    question: String,
}

pub fn ai(args: AiArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let cluster = args.target.connect(global)?;
    let var = |key: &str| std::env::var(key).ok();
    let env = diagnose::AiEnv {
        var: &var,
        home: std::env::var_os("HOME").map(PathBuf::from),
    };
    let answer = diagnose::ask(
        &cluster,
        &args.question,
        &env,
        &args.target.doctor_context(),
    )?;
    if !global.json {
        if let Some(command) = &answer.command {
            output::progress(format!("asked: {command}"));
        }
        if let diagnose::AiBackend::Doctor { reason } = &answer.backend {
            output::progress(format!("doctor answers: {reason}"));
        }
    }
    output::report_as(global, &answer, answer_text(&answer))?;
    Ok(ExitCode::SUCCESS)
}

/// The answer as people read it: the answer, then the commands that show more.
fn answer_text(answer: &diagnose::AiAnswer) -> impl fmt::Display + '_ {
    fmt::from_fn(|f| {
        write!(f, "{}", answer.answer)?;
        if !answer.next_commands.is_empty() {
            write!(f, "\n\nTo look further:")?;
            for command in &answer.next_commands {
                write!(f, "\n  {command}")?;
            }
        }
        Ok(())
    })
}

/// After a mutating command: under --dry-run print the recorded plan.
fn finish_plan(global: &GlobalArgs, runner: &exec::Runner) -> anyhow::Result<ExitCode> {
    if runner.is_dry_run() {
        output::plan(global, &runner.recorded())?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_text_ends_with_the_commands_that_show_more() {
        let mut answer = diagnose::AiAnswer {
            backend: diagnose::AiBackend::Doctor {
                reason: "no agent".into(),
            },
            command: None,
            answer: "all good".into(),
            findings: Vec::new(),
            next_commands: Vec::new(),
        };
        assert_eq!(answer_text(&answer).to_string(), "all good");
        answer.next_commands = vec!["kubectl get pods".into(), "helm status r".into()];
        assert_eq!(
            answer_text(&answer).to_string(),
            "all good\n\nTo look further:\n  kubectl get pods\n  helm status r"
        );
    }
}
