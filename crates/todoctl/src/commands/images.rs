//! `todoctl images check|build|load|prune`: the container images, tagged by content.

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use images::engine::{BuildSettings, Engine, EngineChoice, EngineTools};
use images::loader::{self, Loader, LoaderTarget};
use images::ops::{self, BuiltImage, Progress, Project};
use serde::Serialize;

use crate::cli::GlobalArgs;
use crate::output;

/// Check, build, load into Minikube, or prune the images.
#[derive(Debug, Args)]
pub struct ImagesArgs {
    #[command(subcommand)]
    command: ImagesCommand,

    #[command(flatten)]
    options: ImageOptions,

    /// The Minikube profile to load into.
    #[arg(long, global = true, env = "MINIKUBE_PROFILE", default_value = cluster::minikube::DEFAULT_PROFILE)]
    minikube_profile: String,

    /// The kube context whose cluster gets the images (default: Minikube's); picks the
    /// loader with --image-loader auto.
    #[arg(long, global = true)]
    context: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ImagesCommand {
    /// Check the Dockerfiles against the image rules.
    Check,
    /// Build every image whose content tag is not built yet, and report tags and sizes.
    Build {
        /// Rebuild even when the content tag exists.
        #[arg(long)]
        force: bool,
    },
    /// Load the built images into the cluster and check it has the same image IDs.
    Load,
    /// Remove our images' older tags from the engine and from the cluster.
    Prune,
}

/// Options every images subcommand shares.
#[derive(Debug, Args)]
pub struct ImageOptions {
    /// The build engine: auto, docker, podman, buildah, minikube-docker or minikube-build.
    #[arg(long, global = true, default_value = "auto", env = "TODO_IMAGE_ENGINE")]
    engine: String,

    /// Build against local base images only, on the host network (machines without a
    /// registry; see scripts/standin-images.sh).
    #[arg(long, global = true)]
    offline: bool,

    /// A size budget, NAME=MB (repeatable), e.g. todo-chatbot-backend=60.
    #[arg(long, global = true)]
    budget: Vec<String>,

    /// Only these images (repeatable); all by default.
    #[arg(long = "image", global = true)]
    only: Vec<String>,

    /// The project root (the build context).
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,

    /// How images reach the cluster: auto, minikube, containerd, k3s, kind, k3d, or none (the
    /// cluster pulls them from your registry). auto: Minikube without --context, kind for a
    /// kind-* context, k3d for k3d-*, containerd when --containerd-address is set.
    #[arg(long, global = true, default_value = "auto", env = "TODO_IMAGE_LOADER")]
    image_loader: String,

    /// The node's containerd socket (`ctr --address`), for --image-loader containerd; the
    /// image-ID check reads the same socket with crictl ($CRICTL or PATH).
    #[arg(long, global = true, env = "CONTAINERD_ADDRESS")]
    containerd_address: Option<String>,
}

impl ImageOptions {
    /// The project with budgets and selection applied.
    pub fn project(&self) -> anyhow::Result<Project> {
        let mut project = Project::new(&self.root)?;
        for budget in &self.budget {
            project.apply_budget(budget)?;
        }
        project.select(&self.only)?;
        Ok(project)
    }

    /// The engine chosen by `--engine` (auto-detected by default).
    pub fn engine(&self, minikube_profile: &str) -> anyhow::Result<Engine> {
        let mut settings = if self.offline {
            BuildSettings::offline()
        } else {
            BuildSettings::default()
        };
        settings.minikube_profile = Some(minikube_profile.to_owned());
        let choice: EngineChoice = self.engine.parse()?;
        Ok(Engine::detect(choice, EngineTools::default(), settings)?)
    }

    /// Where the images go for `context` (`None`: Minikube's); `None` when nothing is loaded.
    pub fn loader(
        &self,
        context: Option<&str>,
        minikube_profile: &str,
    ) -> anyhow::Result<Option<Loader>> {
        let target = LoaderTarget {
            context,
            minikube_profile,
            containerd_address: self.containerd_address.as_deref(),
        };
        Ok(loader::choose(self.image_loader.parse()?, &target)?)
    }
}

/// The images as built: what `todoctl images build` prints.
#[derive(Debug, Serialize)]
pub struct BuildReport {
    /// The engine that built them.
    pub engine: String,
    /// One row per image.
    pub images: Vec<BuiltImage>,
}

impl fmt::Display for BuildReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<40} {:>9} {:>9}  STATUS", "IMAGE", "SIZE", "BUDGET")?;
        for image in &self.images {
            let size = image
                .size_mb()
                .map_or("-".to_owned(), |mb| format!("{mb:.1} MB"));
            let budget = format!("{:.0} MB", image.budget as f64 / ops::MB as f64);
            let status = match (image.reused, image.size.is_some(), image.within_budget()) {
                (_, true, false) => "OVER BUDGET",
                (true, _, _) => "up to date",
                (false, _, _) => "built",
            };
            writeln!(f, "{:<40} {size:>9} {budget:>9}  {status}", image.reference)?;
        }
        write!(f, "engine: {}", self.engine)
    }
}

pub fn run(args: ImagesArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let options = &args.options;
    let project = options.project()?;
    let runner = crate::runner(global);
    match args.command {
        ImagesCommand::Check => {
            ops::check(&project)?.into_result()?;
            output::progress(format!(
                "{} Dockerfile(s) pass every image rule",
                project.images.len()
            ));
            Ok(ExitCode::SUCCESS)
        }
        ImagesCommand::Build { force } => {
            let engine = options.engine(&args.minikube_profile)?;
            let built = ops::build(&project, &runner, &engine, force, &mut |p| show(global, p))?;
            if runner.is_dry_run() {
                return output::plan(global, &runner.recorded()).map(|()| ExitCode::SUCCESS);
            }
            output::report(
                global,
                &BuildReport {
                    engine: engine.kind().name().into(),
                    images: built.clone(),
                },
            )?;
            ops::enforce_budgets(&built)?;
            Ok(ExitCode::SUCCESS)
        }
        ImagesCommand::Load => {
            let engine = options.engine(&args.minikube_profile)?;
            let Some(loader) = options.loader(args.context.as_deref(), &args.minikube_profile)?
            else {
                output::progress("--image-loader none: nothing to load");
                return Ok(ExitCode::SUCCESS);
            };
            let built = ops::built_images(&project, &runner, &engine)?;
            ops::load(&runner, &engine, &loader, &built, &mut |p| show(global, p))?;
            if runner.is_dry_run() {
                output::plan(global, &runner.recorded())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ImagesCommand::Prune => {
            let engine = options.engine(&args.minikube_profile)?;
            // Without the cluster's tool there is no cluster to prune; the engine's tags still go.
            let cluster = options
                .loader(args.context.as_deref(), &args.minikube_profile)?
                .filter(|loader| exec::resolve(&loader.tool()).is_ok());
            let report = ops::prune(&project, &runner, &engine, cluster.as_ref())?;
            if runner.is_dry_run() {
                output::plan(global, &runner.recorded())?;
            } else {
                let text = fmt::from_fn(|f| {
                    write!(
                        f,
                        "kept: {}\nremoved: {}",
                        report.kept.join(", "),
                        report.removed.len() + report.removed_from_cluster.len()
                    )
                });
                output::report_as(global, &report, text)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Progress on stderr: one line per step; the builder's own lines with -v.
pub fn show(global: &GlobalArgs, progress: Progress<'_>) {
    match progress {
        Progress::Building { reference, .. } => output::progress(format!("building {reference}")),
        Progress::UpToDate { reference, .. } => {
            output::progress(format!("{reference} is up to date"))
        }
        Progress::Line { line, .. } if global.verbose > 0 => output::progress(format!("  {line}")),
        Progress::Line { .. } => {}
        Progress::Loading { reference, into } => {
            output::progress(format!("loading {reference} into {into}"))
        }
        Progress::Verified { reference } => output::progress(format!(
            "{reference}: the cluster runs the image ID that was built"
        )),
    }
}
