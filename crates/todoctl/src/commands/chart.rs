//! `todoctl chart check`: render with real helm, parse strictly, apply the rule catalog.

use std::path::PathBuf;
use std::process::ExitCode;

use chart_check::{Ignores, Render};
use clap::{Args, Subcommand};

use crate::cli::GlobalArgs;
use crate::output;

/// Check the chart (or any rendered manifests) before a cluster sees it.
#[derive(Debug, Args)]
pub struct ChartArgs {
    #[command(subcommand)]
    command: ChartCommand,
}

#[derive(Debug, Subcommand)]
enum ChartCommand {
    /// Render each profile with helm and check every object against the rule catalog.
    Check(CheckArgs),
    /// List the rules: id, severity, what it guards against and the fix.
    Rules,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The chart directory.
    #[arg(long, default_value = "helm/todo-chatbot")]
    pub chart: PathBuf,
    /// Check this profile only (repeatable); every profile by default.
    #[arg(long, conflicts_with = "all")]
    pub profile: Vec<String>,
    /// Check every profile (the default).
    #[arg(long)]
    pub all: bool,
    /// The Kubernetes version helm renders for.
    #[arg(long, default_value = cluster::minikube::DEFAULT_KUBE_VERSION)]
    pub kube_version: String,
    /// The helm to render with (e.g. helm3).
    #[arg(long, default_value = "helm")]
    pub helm: String,
    /// Check manifests rendered elsewhere (a file, or - for stdin) instead of the chart.
    #[arg(long, conflicts_with_all = ["profile", "all"])]
    pub manifests: Option<PathBuf>,
    /// More ignore files (each entry needs a reason); the chart's verify-ignores.yaml is
    /// always read when present.
    #[arg(long)]
    pub ignores: Vec<PathBuf>,
    /// Fail on warnings too (as `helm lint --strict` does).
    #[arg(long)]
    pub strict: bool,
}

impl CheckArgs {
    /// The chart's own ignores plus the ones given.
    pub fn ignores(&self) -> anyhow::Result<Ignores> {
        let mut ignores = Ignores::of_chart(&self.chart)?;
        for path in &self.ignores {
            ignores.extend(Ignores::load(path)?);
        }
        Ok(ignores)
    }

    /// The renderer for these flags.
    pub fn render(&self) -> Render {
        let mut render = Render::new(&self.chart, &self.kube_version);
        render.helm = self.helm.clone();
        render
    }

    /// Runs the check; `Ok(true)` when it passed.
    pub fn run(&self, global: &GlobalArgs) -> anyhow::Result<bool> {
        let ignores = self.ignores()?;
        if let Some(path) = &self.manifests {
            let text = chart_check::read_manifests(path)?;
            let report =
                chart_check::check_manifests(&text, &path.display().to_string(), None, &ignores);
            output::report(global, &report)?;
            return Ok(report.passes(self.strict));
        }
        let report = chart_check::check_profiles(&self.render(), &self.profile, &ignores)?;
        output::report(global, &report)?;
        Ok(report.passes(self.strict))
    }
}

pub fn run(args: ChartArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ChartCommand::Check(check) => Ok(if check.run(global)? {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }),
        ChartCommand::Rules => {
            let text = std::fmt::from_fn(|f| {
                for (i, rule) in chart_check::RULES.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    writeln!(f, "{} ({:?}): {}", rule.id, rule.severity, rule.title)?;
                    writeln!(f, "    why: {}\n    fix: {}", rule.rationale, rule.fix)?;
                }
                Ok(())
            });
            output::report_as(global, &chart_check::RULES, text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
