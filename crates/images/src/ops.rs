//! What `todoctl images check|build|load|prune` does, as library calls.
//!
//! ```no_run
//! use images::ops::{self, Project, Progress};
//! use images::engine::{Engine, EngineChoice, EngineTools, BuildSettings};
//! let project = Project::new(".")?;
//! let report = ops::check(&project)?;           // rules; report.into_result()? fails on findings
//! let engine = Engine::detect(EngineChoice::Auto, EngineTools::default(), BuildSettings::default())?;
//! let runner = exec::Runner::live();
//! let built = ops::build(&project, &runner, &engine, false, &mut |p: Progress<'_>| eprintln!("{p:?}"))?;
//! for image in &built { println!("{} {}", image.reference, image.size_mb().unwrap_or(0.0)); }
//! ops::enforce_budgets(&built)?;
//! let cluster = images::Loader::Minikube(images::Minikube::new("minikube", None));
//! ops::load(&runner, &engine, &cluster, &built, &mut |_| {})?;
//! ops::prune(&project, &runner, &engine, Some(&cluster))?;
//! # Ok::<(), images::Error>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dockerfile_check::{DockerIgnore, Dockerfile, Finding, RuleContext};
use exec::{Cmd, Runner};
use serde::Serialize;

use crate::Error;
use crate::component::Component;
use crate::engine::{BuildRequest, Engine};
use crate::loader::{Loader, Source};
use crate::tag::{TagInputs, content_tag};
use crate::workspace;

/// One megabyte as image tools print it (10^6 bytes).
pub const MB: u64 = 1_000_000;

/// Where every image name lives once qualified (what Docker and Minikube's runtimes call them).
const REGISTRY_PREFIX: &str = "docker.io/library/";

/// One image the project builds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageSpec {
    /// Repository name (`todo-chatbot-backend`); the chart uses it with the content tag.
    pub name: String,
    /// The Dockerfile, relative to the project root.
    pub dockerfile: PathBuf,
    /// The largest acceptable size in bytes.
    pub budget: u64,
}

/// The images of a project and how they are built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    /// The workspace root, which is also the build context.
    pub root: PathBuf,
    /// The images, backend first.
    pub images: Vec<ImageSpec>,
    /// Build arguments for every image that are tag inputs (`VERSION`).
    pub build_args: BTreeMap<String, String>,
    /// Build arguments that only label the image (`REVISION`). They are not tag inputs: a
    /// commit that changes no build input keeps its tag and reuses the image, whose label then
    /// names the commit that first built that content.
    pub label_args: BTreeMap<String, String>,
}

impl Project {
    /// The todo-chatbot's two images with default budgets (backend 50 MB, frontend 40 MB),
    /// build arg `VERSION` (the workspace version) and label arg `REVISION` (`git rev-parse
    /// HEAD`, or `unknown` outside a repository).
    pub fn new(root: impl Into<PathBuf>) -> Result<Project, Error> {
        let root = root.into();
        let version = workspace_version(&root)?;
        let revision = Cmd::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(&root)
            .timeout(Duration::from_secs(30))
            .run()
            .map(|out| out.stdout.trim().to_owned())
            .ok()
            .filter(|rev| !rev.is_empty())
            .unwrap_or_else(|| "unknown".to_owned());
        let build_args = BTreeMap::from([("VERSION".to_owned(), version)]);
        let label_args = BTreeMap::from([("REVISION".to_owned(), revision)]);
        Ok(Project {
            root,
            images: vec![
                ImageSpec {
                    name: Component::Backend.repository().into(),
                    dockerfile: PathBuf::from("docker/backend.Dockerfile"),
                    budget: 50 * MB,
                },
                ImageSpec {
                    name: Component::Frontend.repository().into(),
                    dockerfile: PathBuf::from("docker/frontend.Dockerfile"),
                    budget: 40 * MB,
                },
            ],
            build_args,
            label_args,
        })
    }

    /// Sets an image's budget in MB (`--budget todo-chatbot-backend=60`).
    pub fn set_budget_mb(&mut self, image: &str, megabytes: f64) -> Result<(), Error> {
        if !(megabytes.is_finite() && megabytes > 0.0) {
            return Err(Error::Invalid {
                what: format!("budget for {image}"),
                message: format!("{megabytes} is not a positive number of MB"),
            });
        }
        let spec = self.image_mut(image)?;
        spec.budget = (megabytes * MB as f64) as u64;
        Ok(())
    }

    /// Parses and applies `NAME=MB` (the CLI's `--budget` value).
    pub fn apply_budget(&mut self, setting: &str) -> Result<(), Error> {
        let invalid = || Error::Invalid {
            what: "budget".into(),
            message: format!("`{setting}` is not NAME=MB, e.g. todo-chatbot-backend=60"),
        };
        let (name, mb) = setting.split_once('=').ok_or_else(invalid)?;
        let mb: f64 = mb.trim().parse().map_err(|_| invalid())?;
        self.set_budget_mb(name.trim(), mb)
    }

    /// Keeps only the named images (all when `names` is empty).
    pub fn select(&mut self, names: &[String]) -> Result<(), Error> {
        for name in names {
            self.image_mut(name)?;
        }
        if !names.is_empty() {
            self.images.retain(|i| names.contains(&i.name));
        }
        Ok(())
    }

    fn image_mut(&mut self, name: &str) -> Result<&mut ImageSpec, Error> {
        let known: Vec<String> = self.images.iter().map(|i| i.name.clone()).collect();
        self.images
            .iter_mut()
            .find(|i| i.name == name)
            .ok_or_else(|| Error::Invalid {
                what: "image".into(),
                message: format!(
                    "`{name}` is not one of this project's images ({})",
                    known.join(", ")
                ),
            })
    }

    /// The content tag of every image, without building anything.
    pub fn tags(&self) -> Result<Vec<TaggedImage>, Error> {
        self.images
            .iter()
            .map(|spec| {
                let dockerfile = self.root.join(&spec.dockerfile);
                let unrelated = Dockerfile::read(&dockerfile)
                    .ok()
                    .as_ref()
                    .and_then(workspace::built_package)
                    .and_then(|package| workspace::unrelated_members(&self.root, &package))
                    .unwrap_or_default();
                let tag = content_tag(&TagInputs {
                    context: &self.root,
                    dockerfile: &dockerfile,
                    build_args: &self.build_args,
                    target: None,
                    unrelated: &unrelated,
                })?;
                Ok(TaggedImage {
                    name: spec.name.clone(),
                    reference: format!("{}:{tag}", spec.name),
                    qualified: format!("{REGISTRY_PREFIX}{}:{tag}", spec.name),
                    tag,
                    dockerfile: spec.dockerfile.clone(),
                    budget: spec.budget,
                })
            })
            .collect()
    }

    /// The rule context of this project: its toolchain and `.dockerignore`.
    pub fn rule_context(&self) -> Result<RuleContext, Error> {
        Ok(RuleContext {
            toolchain: dockerfile_check::read_toolchain(&self.root),
            dockerignore: DockerIgnore::read(&self.root)?,
            dockerignore_path: self.root.join(".dockerignore"),
        })
    }
}

/// An image and its content tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaggedImage {
    /// Repository name.
    pub name: String,
    /// The content tag (12 hex digits).
    pub tag: String,
    /// `name:tag`, as the chart's values use it.
    pub reference: String,
    /// `docker.io/library/name:tag`, as the tools store it.
    pub qualified: String,
    /// The Dockerfile, relative to the project root.
    pub dockerfile: PathBuf,
    /// Budget in bytes.
    pub budget: u64,
}

/// Rule findings per Dockerfile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DockerfileReport {
    /// `(dockerfile, findings)` for each image.
    pub files: Vec<(PathBuf, Vec<Finding>)>,
}

impl DockerfileReport {
    /// Whether every rule passed.
    pub fn ok(&self) -> bool {
        self.files.iter().all(|(_, f)| f.is_empty())
    }

    /// `Ok` when every rule passed, else [`Error::Rules`] listing every finding with its fix.
    pub fn into_result(self) -> Result<(), Error> {
        let findings: Vec<Finding> = self.files.into_iter().flat_map(|(_, f)| f).collect();
        if findings.is_empty() {
            Ok(())
        } else {
            Err(Error::Rules { findings })
        }
    }
}

/// `todoctl images check`: runs every rule on every image's Dockerfile. (hadolint runs in
/// `just lint`.)
pub fn check(project: &Project) -> Result<DockerfileReport, Error> {
    let ctx = project.rule_context()?;
    let mut files = Vec::new();
    for spec in &project.images {
        let file = Dockerfile::read(&project.root.join(&spec.dockerfile))?;
        files.push((
            spec.dockerfile.clone(),
            dockerfile_check::check(&file, &ctx),
        ));
    }
    Ok(DockerfileReport { files })
}

/// What a long operation reports as it goes (for a progress bar or log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress<'a> {
    /// Building `image` under `reference` starts.
    Building {
        /// Repository name.
        image: &'a str,
        /// The reference being built.
        reference: &'a str,
    },
    /// `reference` already exists with this content tag: not rebuilt.
    UpToDate {
        /// Repository name.
        image: &'a str,
        /// The existing reference.
        reference: &'a str,
    },
    /// A line of the builder's output.
    Line {
        /// Repository name.
        image: &'a str,
        /// The line.
        line: &'a str,
    },
    /// Loading `reference` into the cluster starts.
    Loading {
        /// The reference being loaded.
        reference: &'a str,
        /// Where it goes ([`Loader::name`]).
        into: &'a str,
    },
    /// The cluster's image ID for `reference` equals the one built.
    Verified {
        /// The reference.
        reference: &'a str,
    },
}

/// A built (or already present) image and its measurements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BuiltImage {
    /// Repository name.
    pub name: String,
    /// The content tag.
    pub tag: String,
    /// `name:tag`.
    pub reference: String,
    /// `docker.io/library/name:tag`.
    pub qualified: String,
    /// The image ID (`sha256:…`); empty in a dry run.
    pub id: String,
    /// Size in bytes; `None` in a dry run or when the engine cannot tell.
    pub size: Option<u64>,
    /// The budget in bytes.
    pub budget: u64,
    /// Whether an image with this tag existed, so nothing was built.
    pub reused: bool,
}

impl BuiltImage {
    /// Size in MB (10^6 bytes).
    pub fn size_mb(&self) -> Option<f64> {
        self.size.map(|s| s as f64 / MB as f64)
    }

    /// Whether the size is known and within budget.
    pub fn within_budget(&self) -> bool {
        self.size.is_some_and(|s| s <= self.budget)
    }
}

/// `todoctl images build`: checks the rules, then builds every image whose content tag the
/// engine does not have yet (all of them with `force`), streaming the builder's output, and
/// measures each. Budgets are reported, not enforced: print the result, then call
/// [`enforce_budgets`].
pub fn build(
    project: &Project,
    runner: &Runner,
    engine: &Engine,
    force: bool,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<BuiltImage>, Error> {
    check(project)?.into_result()?;
    let mut built = Vec::new();
    for image in project.tags()? {
        let existing = if force {
            None
        } else {
            engine.inspect(runner, &image.qualified)?
        };
        let reused = existing.is_some();
        let info = match existing {
            Some(info) => {
                progress(Progress::UpToDate {
                    image: &image.name,
                    reference: &image.reference,
                });
                Some(info)
            }
            None => {
                progress(Progress::Building {
                    image: &image.name,
                    reference: &image.reference,
                });
                let request = BuildRequest {
                    context: project.root.clone(),
                    dockerfile: image.dockerfile.clone(),
                    reference: image.qualified.clone(),
                    build_args: project
                        .build_args
                        .iter()
                        .chain(&project.label_args)
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    target: None,
                };
                let name = image.name.clone();
                engine.build(runner, &request, &mut |line| {
                    progress(Progress::Line { image: &name, line })
                })?;
                if !runner.is_dry_run() {
                    ensure_unchanged(project, runner, engine, &image)?;
                }
                engine.inspect(runner, &image.qualified)?
            }
        };
        if info.is_none() && !runner.is_dry_run() {
            return Err(Error::Output {
                command: format!("{} image inspect {}", engine.kind(), image.qualified),
                message: "the build succeeded but the engine has no such image".into(),
            });
        }
        built.push(BuiltImage {
            name: image.name,
            tag: image.tag,
            reference: image.reference,
            qualified: image.qualified,
            id: info.as_ref().map(|i| i.id.clone()).unwrap_or_default(),
            size: info.and_then(|i| i.size),
            budget: image.budget,
            reused,
        });
    }
    Ok(built)
}

/// A content tag must describe what was built: when the context changed while the builder
/// was reading it, the image is removed again and the build is an error.
fn ensure_unchanged(
    project: &Project,
    runner: &Runner,
    engine: &Engine,
    image: &TaggedImage,
) -> Result<(), Error> {
    let now = project
        .tags()?
        .into_iter()
        .find(|t| t.name == image.name)
        .map(|t| t.tag)
        .unwrap_or_default();
    if now == image.tag {
        return Ok(());
    }
    // Best effort: the error below matters more than a failed removal.
    let _ = engine.remove(runner, &image.qualified);
    Err(Error::Invalid {
        what: "build context".into(),
        message: format!(
            "files changed while {} was building (the content tag is now {now}), so the image was removed rather than tagged with content it may not have: run the build again once the tree is quiet",
            image.reference
        ),
    })
}

/// [`Error::OverBudget`] for the first image larger than its budget.
pub fn enforce_budgets(built: &[BuiltImage]) -> Result<(), Error> {
    for image in built {
        if let Some(size) = image.size
            && size > image.budget
        {
            return Err(Error::OverBudget {
                image: image.reference.clone(),
                actual_mb: size as f64 / MB as f64,
                budget_mb: image.budget as f64 / MB as f64,
            });
        }
    }
    Ok(())
}

/// The images of the current tree as the engine has them (for `todoctl images load` on its
/// own): an error naming the image when one is not built yet.
pub fn built_images(
    project: &Project,
    runner: &Runner,
    engine: &Engine,
) -> Result<Vec<BuiltImage>, Error> {
    let mut out = Vec::new();
    for image in project.tags()? {
        let info = engine.inspect(runner, &image.qualified)?;
        if info.is_none() && !runner.is_dry_run() {
            return Err(Error::Invalid {
                what: "image".into(),
                message: format!(
                    "{} is not built for the current tree (engine {}): run `todoctl images build` first",
                    image.reference,
                    engine.kind()
                ),
            });
        }
        out.push(BuiltImage {
            name: image.name,
            tag: image.tag,
            reference: image.reference,
            qualified: image.qualified,
            id: info.as_ref().map(|i| i.id.clone()).unwrap_or_default(),
            size: info.and_then(|i| i.size),
            budget: image.budget,
            reused: true,
        });
    }
    Ok(out)
}

/// `todoctl images load`: puts each image into the cluster (unless the engine built it there)
/// and checks that the cluster's image ID is the one built.
pub fn load(
    runner: &Runner,
    engine: &Engine,
    loader: &Loader,
    built: &[BuiltImage],
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<(), Error> {
    if engine.kind().builds_in_cluster() && !matches!(loader, Loader::Minikube(_)) {
        return Err(Error::NoLoader {
            reason: format!(
                "the {} engine builds inside Minikube, but the images are for {}",
                engine.kind().name(),
                loader.name()
            ),
            fix: "build with --engine docker, podman or buildah for this cluster".into(),
        });
    }
    let into = loader.name();
    for image in built {
        if !engine.kind().builds_in_cluster() {
            progress(Progress::Loading {
                reference: &image.reference,
                into: &into,
            });
            let dir = tempfile::tempdir().map_err(|source| Error::Io {
                path: std::env::temp_dir(),
                source,
            })?;
            let archive = dir.path().join(format!("{}-{}.tar", image.name, image.tag));
            match engine.save_cmd(&image.qualified, &archive) {
                Some(save) if loader.needs_archive(engine.kind()) => {
                    runner.run(&save)?;
                    runner.run(&loader.load_cmd(Source::Archive(&archive)))?;
                }
                _ => {
                    runner.run(&loader.load_cmd(Source::Daemon(&image.qualified)))?;
                }
            }
        }
        loader.verify(runner, &image.qualified, &image.id)?;
        progress(Progress::Verified {
            reference: &image.reference,
        });
    }
    Ok(())
}

/// What [`prune`] removed and kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    /// References removed from the engine.
    pub removed: Vec<String>,
    /// References removed from the cluster.
    pub removed_from_cluster: Vec<String>,
    /// The current references, kept.
    pub kept: Vec<String>,
}

/// `todoctl images prune`: removes every tag of our repositories except the current tree's,
/// from the engine and (when given) from the cluster. Other repositories are never touched.
pub fn prune(
    project: &Project,
    runner: &Runner,
    engine: &Engine,
    cluster: Option<&Loader>,
) -> Result<PruneReport, Error> {
    let mut report = PruneReport::default();
    let current = project.tags()?;
    // The engine first: it is local and always reachable; the cluster may be down.
    for image in &current {
        report.kept.push(image.reference.clone());
        for tag in engine.list_tags(runner, &image.name)? {
            if tag != image.tag {
                let old = format!("{REGISTRY_PREFIX}{}:{tag}", image.name);
                engine.remove(runner, &old)?;
                report.removed.push(format!("{}:{tag}", image.name));
            }
        }
    }
    if let Some(loader) = cluster
        && !engine.kind().builds_in_cluster()
    {
        for image in &current {
            for tag in loader.list_tags(runner, &image.name)? {
                if tag != image.tag {
                    let old = format!("{REGISTRY_PREFIX}{}:{tag}", image.name);
                    loader.remove(runner, &old)?;
                    report
                        .removed_from_cluster
                        .push(format!("{}:{tag}", image.name));
                }
            }
        }
    }
    Ok(report)
}

/// `[workspace.package] version` (or `[package] version`) of the root `Cargo.toml`.
fn workspace_version(root: &Path) -> Result<String, Error> {
    let path = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned();
            continue;
        }
        if (section == "workspace.package" || section == "package")
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "version"
        {
            return Ok(value.trim().trim_matches('"').to_owned());
        }
    }
    Err(Error::Invalid {
        what: "Cargo.toml".into(),
        message: format!("{} has no [workspace.package] version", path.display()),
    })
}
