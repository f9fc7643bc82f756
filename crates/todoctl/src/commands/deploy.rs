//! `todoctl deploy`: the whole pipeline behind `just deploy`.
//!
//! preflight → minikube start (when needed) → images build → images load → chart check →
//! helm release → verify live, then a summary. Each step is also its own subcommand; this one
//! sequences them so the summary can say what every step did and how long it took. With
//! `--dry-run` nothing changes anywhere and the output is the ordered plan.

use std::fmt;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::Args;
use cluster::access::FrontendAccess;
use cluster::{DeployOptions, DeployOutcome};
use serde::Serialize;

use crate::cli::GlobalArgs;
use crate::commands::cluster::{ChartArgs, Target};
use crate::commands::images::{ImageOptions, show as show_image_progress};
use crate::commands::verify::{LiveArgs, run_live};
use crate::output;

/// Build, ship, deploy and prove the app works.
#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    chart: ChartArgs,
    #[command(flatten)]
    images: ImageOptions,
    /// Skip the live verification (not recommended: it is what proves the deploy works).
    #[arg(long)]
    no_verify: bool,
}

/// One finished step of the pipeline.
#[derive(Debug, Serialize)]
struct StepResult {
    name: &'static str,
    seconds: f64,
    outcome: String,
}

/// What `todoctl deploy` prints at the end.
#[derive(Debug, Serialize)]
struct Summary {
    profile: String,
    context: String,
    steps: Vec<StepResult>,
    images: Vec<::images::ops::BuiltImage>,
    /// The frontend's node port as this machine reaches it (`None`: no node port, or not
    /// Minikube).
    access: Option<FrontendAccess>,
    port_forward: String,
    /// The live verification's report (`None` with `--no-verify`).
    verify: Option<::verify::LiveReport>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "deployed profile {} to context {}",
            self.profile, self.context
        )?;
        for step in &self.steps {
            writeln!(
                f,
                "  {:<14} {:>7.1}s  {}",
                step.name, step.seconds, step.outcome
            )?;
        }
        for image in &self.images {
            let size = image
                .size_mb()
                .map_or("-".to_owned(), |mb| format!("{mb:.1} MB"));
            let state = if image.reused { "unchanged" } else { "new" };
            writeln!(f, "  image {:<40} {size:>9}  {state}", image.reference)?;
        }
        match &self.access {
            Some(FrontendAccess::NodePort { url }) => writeln!(f, "\nopen {url}")?,
            Some(FrontendAccess::Tunnel { command, reason }) => writeln!(
                f,
                "\n{reason}:\nrun `{command}`, keep it running, and open the URL it prints"
            )?,
            None => {}
        }
        write!(f, "or, with any driver: {}", self.port_forward)
    }
}

pub fn run(args: DeployArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let runner = crate::runner(global);
    let plan = runner.is_dry_run();
    let on_minikube = preflight::minikube::is_target(
        args.target.context.as_deref(),
        &args.target.minikube_profile,
    );
    let mut steps = Vec::new();
    let mut timed = |name: &'static str, f: &mut dyn FnMut() -> anyhow::Result<String>| {
        output::progress(format!("==> {name}"));
        let started = Instant::now();
        let outcome = f().with_context(|| format!("step `{name}` failed"))?;
        steps.push(StepResult {
            name,
            seconds: started.elapsed().as_secs_f64(),
            outcome,
        });
        anyhow::Ok(())
    };

    timed("preflight", &mut || {
        let mut config = preflight::Config::for_chart_profile(
            args.chart.profile,
            &args.target.minikube_profile,
            &args.chart.chart,
        )?;
        config.explicit_context = args.target.context.clone();
        config.cluster_start_planned = on_minikube;
        let report = preflight::check(&config);
        let verdict = match report.exit_code() {
            preflight::EXIT_READY => "ready",
            preflight::EXIT_WARNINGS => "ready, with warnings (`todoctl preflight` shows them)",
            _ => "blocked",
        };
        if plan {
            return Ok(format!("read-only checks; this machine is {verdict} now"));
        }
        if report.exit_code() == preflight::EXIT_BLOCKED {
            eprintln!("{report}");
            bail!("preflight found blocking problems (above); fix them and run again");
        }
        Ok(verdict.to_owned())
    })?;

    if on_minikube {
        timed("minikube", &mut || {
            let minikube = ::images::minikube::Minikube::new(
                "minikube",
                Some(args.target.minikube_profile.clone()),
            );
            if !plan && minikube.is_running(&exec::Runner::live())? {
                return Ok("running".into());
            }
            let options = cluster::MinikubeOptions {
                profile: args.target.minikube_profile.clone(),
                ..cluster::MinikubeOptions::default()
            };
            cluster::minikube::start(&runner, "minikube", &options, |line| {
                output::progress(format!("  {line}"))
            })?;
            Ok("started".into())
        })?;
    }

    // A plan lists commands; the engine's "built"/"verified" notes would only mislead.
    let image_progress = |p: ::images::ops::Progress<'_>| {
        if !plan {
            show_image_progress(global, p);
        }
    };
    let project = args.images.project()?;
    let engine = args.images.engine(&args.target.minikube_profile)?;
    // Chosen before building: a cluster the images cannot reach should stop the deploy first.
    let loader = args.images.loader(
        args.target.context.as_deref(),
        &args.target.minikube_profile,
    )?;
    let mut built = Vec::new();
    let mut verified = None;
    timed("images", &mut || {
        built = ::images::ops::build(&project, &runner, &engine, false, &mut |p| {
            image_progress(p)
        })?;
        ::images::ops::enforce_budgets(&built)?;
        let fresh = built.iter().filter(|i| !i.reused).count();
        Ok(format!(
            "{fresh} built, {} unchanged ({})",
            built.len() - fresh,
            engine.kind().name()
        ))
    })?;

    if let Some(loader) = &loader {
        timed("load", &mut || {
            ::images::ops::load(&runner, &engine, loader, &built, &mut |p| image_progress(p))?;
            Ok(format!(
                "image IDs in the cluster match the build ({})",
                loader.name()
            ))
        })?;
    }

    timed("chart check", &mut || {
        // What this deploy installs: its release name, namespace and values files.
        let options = DeployOptions {
            extra_values: args.chart.values.clone(),
            ..DeployOptions::new(&args.chart.chart, args.chart.profile)
        };
        let report =
            ::verify::check_release(&options, &args.target.release, &args.target.namespace)?;
        if !report.passes(true) {
            eprintln!("{report}");
            bail!("the chart breaks the rules above; nothing was deployed");
        }
        Ok("rules pass".into())
    })?;

    let cluster = args.target.connect(global)?;
    // The images just built are the content tags of the same root.
    let options = args.chart.deploy_options(&project.root)?;
    timed("release", &mut || {
        let outcome = cluster::deploy::deploy(&runner, &cluster, &options, |line| {
            output::progress(format!("  {line}"))
        })?;
        Ok(match outcome {
            DeployOutcome::Planned { helm } => format!("planned ({helm})"),
            DeployOutcome::Unchanged { revision } => format!("unchanged (revision {revision})"),
            DeployOutcome::Deployed { revision, helm } => {
                format!("revision {revision} ({helm})")
            }
        })
    })?;

    if !args.no_verify {
        timed("verify", &mut || {
            let live = LiveArgs {
                target: args.target.clone(),
                no_persistence: false,
                timeout: args.chart.timeout,
                root: project.root.clone(),
            };
            let expected: Vec<_> = built
                .iter()
                .map(|i| ::verify::ExpectedImage {
                    repository: i.name.clone(),
                    id: i.id.clone(),
                })
                .collect();
            let report = run_live(&live, global, &expected, &runner)?;
            if plan {
                return Ok(String::new());
            }
            let passed = report.passed();
            output::step_report(global, &report, passed);
            verified = Some(report);
            if !passed {
                bail!(
                    "the release is up but does not work (report above); `todoctl doctor` explains pods"
                );
            }
            Ok("smoke journey, persistence and helm test pass".into())
        })?;
    }

    if plan {
        return print_plan(global, &runner);
    }

    // The deploy worked; a failed lookup here only costs the shortcut, not the result.
    let access = if on_minikube {
        cluster::access::frontend_access(
            &cluster,
            &args.target.minikube_profile,
            &cluster::access::Host::current(),
        )
        .unwrap_or_else(|e| {
            output::progress(format!("note: could not work out the app's URL: {e}"));
            None
        })
    } else {
        None
    };
    let summary = Summary {
        profile: args.chart.profile.to_string(),
        context: cluster.target.context.clone(),
        steps,
        images: built,
        access,
        port_forward: "just port-forward  → http://127.0.0.1:8080".into(),
        verify: verified,
    };
    output::report(global, &summary)?;
    Ok(ExitCode::SUCCESS)
}

/// The plan: every command the steps recorded, the verify step's included.
fn print_plan(global: &GlobalArgs, runner: &exec::Runner) -> anyhow::Result<ExitCode> {
    output::plan(global, &runner.recorded())?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(access: Option<FrontendAccess>) -> String {
        Summary {
            profile: "dev".into(),
            context: "todo-chatbot".into(),
            steps: Vec::new(),
            images: Vec::new(),
            access,
            port_forward: "just port-forward  → http://127.0.0.1:8080".into(),
            verify: None,
        }
        .to_string()
    }

    #[test]
    fn the_summary_prints_what_reaches_the_app_from_here() {
        let direct = summary(Some(FrontendAccess::NodePort {
            url: "http://192.168.49.2:31234".into(),
        }));
        assert!(
            direct.contains("\nopen http://192.168.49.2:31234\n"),
            "{direct}"
        );
        let tunnel = summary(Some(FrontendAccess::Tunnel {
            command: "minikube service todo-chatbot-frontend --namespace todo-chatbot --profile todo-chatbot --url".into(),
            reason: "with the docker driver on macOS the node runs inside the engine's VM".into(),
        }));
        assert!(
            tunnel.contains("run `minikube service todo-chatbot-frontend --namespace todo-chatbot --profile todo-chatbot --url`, keep it running"),
            "{tunnel}"
        );
        assert!(!tunnel.contains("open http"), "{tunnel}");
        let none = summary(None);
        assert!(!none.contains("open "), "{none}");
        for text in [direct, tunnel, none] {
            assert!(
                text.ends_with("or, with any driver: just port-forward  → http://127.0.0.1:8080"),
                "{text}"
            );
        }
    }
}
