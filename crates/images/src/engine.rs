//! Build engines: Docker (BuildKit), Podman, Buildah, Minikube's own Docker daemon
//! (`minikube docker-env`) and `minikube image build`.
//!
//! Every engine is driven through the `exec` crate, so each step can be dry-run and shows the
//! exact command. Podman and Buildah share one image store; the Buildah engine uses `podman` to
//! inspect, list, save and remove images (`buildah images` reports sizes only as rounded text).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use exec::{Cmd, Runner};
use serde::Serialize;

use crate::minikube::{self, Minikube};
use crate::{Error, docker};
use dockerfile_check::ImageRef;

/// Which builder to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngineKind {
    /// `docker build` with BuildKit against the local daemon; images reach Minikube by
    /// `minikube image load`.
    Docker,
    /// `podman build`; images reach Minikube as a saved archive.
    Podman,
    /// `buildah bud`; images reach Minikube as a saved archive.
    Buildah,
    /// `docker build` against Minikube's own daemon (`minikube docker-env`): no load step.
    MinikubeDocker,
    /// `minikube image build`: builds inside the node with its runtime; no load step.
    MinikubeImage,
}

impl EngineKind {
    /// Every kind, in auto-detection order for local builders.
    pub const ALL: [EngineKind; 5] = [
        EngineKind::Docker,
        EngineKind::Podman,
        EngineKind::Buildah,
        EngineKind::MinikubeDocker,
        EngineKind::MinikubeImage,
    ];

    /// The name used on the command line (`--engine minikube-docker`, `--engine minikube-build`).
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Docker => "docker",
            EngineKind::Podman => "podman",
            EngineKind::Buildah => "buildah",
            EngineKind::MinikubeDocker => "minikube-docker",
            EngineKind::MinikubeImage => "minikube-build",
        }
    }

    /// Whether images built by this engine are already inside the cluster.
    pub fn builds_in_cluster(self) -> bool {
        matches!(self, EngineKind::MinikubeDocker | EngineKind::MinikubeImage)
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EngineKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<EngineKind, Error> {
        // `minikube` alone is accepted for `minikube image build`, the command it runs.
        let s = if s == "minikube" { "minikube-build" } else { s };
        EngineKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| Error::Invalid {
                what: "engine".into(),
                message: format!(
                    "`{s}` is not an engine; use one of: auto, {}",
                    EngineKind::ALL.map(EngineKind::name).join(", ")
                ),
            })
    }
}

/// `auto` or a fixed engine (the CLI's `--engine` flag).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EngineChoice {
    /// Pick the first engine that works here (see [`Engine::detect`]).
    #[default]
    Auto,
    /// Use this one.
    Use(EngineKind),
}

impl FromStr for EngineChoice {
    type Err = Error;

    fn from_str(s: &str) -> Result<EngineChoice, Error> {
        if s == "auto" {
            Ok(EngineChoice::Auto)
        } else {
            s.parse().map(EngineChoice::Use)
        }
    }
}

/// Program names or paths of the engines' tools (bare names resolve `$DOCKER`, `$PODMAN`, `$BUILDAH`,
/// `$MINIKUBE`, then `PATH`, through `exec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineTools {
    /// docker
    pub docker: String,
    /// podman
    pub podman: String,
    /// buildah
    pub buildah: String,
    /// minikube
    pub minikube: String,
}

impl Default for EngineTools {
    fn default() -> EngineTools {
        EngineTools {
            docker: "docker".into(),
            podman: "podman".into(),
            buildah: "buildah".into(),
            minikube: "minikube".into(),
        }
    }
}

/// How builds reach the network and base images (machine-specific, not an image input).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildSettings {
    /// `--network host` for RUN steps (needed where the default network cannot reach crates.io).
    pub network_host: bool,
    /// `--pull=never`: use local base images only (the stand-ins on machines without a registry).
    pub pull_never: bool,
    /// Buildah/Podman `--isolation` (`chroot` where user namespaces are unavailable).
    pub isolation: Option<String>,
    /// The Minikube profile (`-p`), when not the default.
    pub minikube_profile: Option<String>,
}

impl BuildSettings {
    /// The settings for machines that cannot reach a registry and build against the local
    /// stand-in base images (`standin-base-images`): host network for cargo, never pull,
    /// chroot isolation.
    pub fn offline() -> BuildSettings {
        BuildSettings {
            network_host: true,
            pull_never: true,
            isolation: Some("chroot".into()),
            minikube_profile: None,
        }
    }
}

/// One image build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildRequest {
    /// The build context (the workspace root).
    pub context: PathBuf,
    /// The Dockerfile, relative to the context.
    pub dockerfile: PathBuf,
    /// The fully qualified reference to tag (`docker.io/library/todo-chatbot-backend:<tag>`).
    pub reference: String,
    /// `--build-arg`s.
    pub build_args: BTreeMap<String, String>,
    /// `--target`, if not the last stage.
    pub target: Option<String>,
}

/// A chosen engine, ready to build and inspect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Engine {
    kind: EngineKind,
    tools: EngineTools,
    settings: BuildSettings,
    /// `minikube docker-env` for [`EngineKind::MinikubeDocker`].
    docker_env: Vec<(String, String)>,
    /// The node's container runtime for [`EngineKind::MinikubeImage`]: it decides the builder
    /// `minikube image build` runs there, and so the form its options take.
    node_runtime: Option<NodeRuntime>,
}

/// The container runtime inside the Minikube node (`minikube start --container-runtime`).
///
/// `minikube image build` hands each `--build-opt=X` to the node's builder as `--X`
/// (minikube's `pkg/minikube/cruntime`: Docker runs `docker build`, CRI-O `podman build`,
/// containerd `buildctl build`), so a build argument must be written in that builder's syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeRuntime {
    /// `docker build --build-arg=K=V --target=T`.
    Docker,
    /// `podman build --build-arg=K=V --target=T`.
    CriO,
    /// `buildctl build --opt=build-arg:K=V --opt=target=T` (buildctl has no `--build-arg`).
    Containerd,
}

impl NodeRuntime {
    /// The runtime minikube's profile names (`docker`, `containerd`, `cri-o` or `crio`).
    pub fn from_profile(name: &str) -> Result<NodeRuntime, Error> {
        match name {
            "docker" => Ok(NodeRuntime::Docker),
            "containerd" => Ok(NodeRuntime::Containerd),
            "cri-o" | "crio" => Ok(NodeRuntime::CriO),
            other => Err(Error::Invalid {
                what: "engine minikube-build".into(),
                message: format!(
                    "the Minikube node runs container runtime {other:?}, and it is not known how `minikube image build` passes build arguments to its builder: use --engine docker, podman or buildah (the images are then loaded into the node)"
                ),
            }),
        }
    }

    /// The `--build-opt` values for one build argument and an optional target.
    fn build_opts(
        self,
        build_args: &BTreeMap<String, String>,
        target: Option<&str>,
    ) -> Vec<String> {
        let mut opts: Vec<String> = build_args
            .iter()
            .map(|(key, value)| match self {
                NodeRuntime::Docker | NodeRuntime::CriO => format!("build-arg={key}={value}"),
                NodeRuntime::Containerd => format!("opt=build-arg:{key}={value}"),
            })
            .collect();
        if let Some(target) = target {
            opts.push(match self {
                NodeRuntime::Docker | NodeRuntime::CriO => format!("target={target}"),
                NodeRuntime::Containerd => format!("opt=target={target}"),
            });
        }
        opts.into_iter()
            .map(|o| format!("--build-opt={o}"))
            .collect()
    }
}

/// How long a whole image build may take before it is killed.
const BUILD_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// How long an inspection or listing may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(120);

impl Engine {
    /// An engine of `kind`; for [`EngineKind::MinikubeDocker`] this asks `minikube docker-env`
    /// (always live: it only reads).
    pub fn new(
        kind: EngineKind,
        tools: EngineTools,
        settings: BuildSettings,
    ) -> Result<Engine, Error> {
        let minikube = Minikube::new(&tools.minikube, settings.minikube_profile.clone());
        let docker_env = if kind == EngineKind::MinikubeDocker {
            minikube.docker_env(&Runner::live())?
        } else {
            Vec::new()
        };
        let node_runtime = if kind == EngineKind::MinikubeImage {
            Some(minikube.container_runtime(&Runner::live())?)
        } else {
            None
        };
        Ok(Engine {
            kind,
            tools,
            settings,
            docker_env,
            node_runtime,
        })
    }

    /// Picks the engine: the choice when fixed, otherwise the first that works here — Docker
    /// when its daemon answers, then Podman, then Buildah, then `minikube image build` when a
    /// cluster is running. Detection only reads, so it runs even for dry runs.
    pub fn detect(
        choice: EngineChoice,
        tools: EngineTools,
        settings: BuildSettings,
    ) -> Result<Engine, Error> {
        if let EngineChoice::Use(kind) = choice {
            return Engine::new(kind, tools, settings);
        }
        let mut tried = Vec::new();
        let probe = |program: &str, args: &[&str]| {
            Cmd::new(program)
                .args(args.iter().copied())
                .timeout(Duration::from_secs(20))
                .run()
        };
        match probe(&tools.docker, &["info", "--format", "{{.ServerVersion}}"]) {
            // Docker ≥ 23 refuses every BuildKit build without the buildx plugin.
            Ok(_) => match probe(&tools.docker, &["buildx", "version"]) {
                Ok(_) => return Engine::new(EngineKind::Docker, tools, settings),
                Err(e) => tried.push(format!(
                    "docker: the engine answers but the buildx plugin does not ({}); {}",
                    first_line(&e.to_string()),
                    preflight::docker::BUILDX_FIX
                )),
            },
            Err(e) => tried.push(format!("docker: {}", first_line(&e.to_string()))),
        }
        for (kind, program) in [
            (EngineKind::Podman, &tools.podman),
            (EngineKind::Buildah, &tools.buildah),
        ] {
            match probe(program, &["--version"]) {
                Ok(_) => return Engine::new(kind, tools.clone(), settings),
                Err(e) => tried.push(format!("{}: {}", kind.name(), first_line(&e.to_string()))),
            }
        }
        let mk = Minikube::new(&tools.minikube, settings.minikube_profile.clone());
        match mk.is_running(&Runner::live()) {
            Ok(true) => return Engine::new(EngineKind::MinikubeImage, tools, settings),
            Ok(false) => tried.push("minikube: no running cluster".into()),
            Err(e) => tried.push(format!("minikube: {}", first_line(&e.to_string()))),
        }
        Err(Error::NoEngine {
            reason: tried.join("; "),
            fix: "start Docker, install podman or buildah, or `minikube start`; or pick one with --engine".into(),
        })
    }

    /// The engine's kind.
    pub fn kind(&self) -> EngineKind {
        self.kind
    }

    /// The tools it drives.
    pub fn tools(&self) -> &EngineTools {
        &self.tools
    }

    /// The machine settings it builds with.
    pub fn settings(&self) -> &BuildSettings {
        &self.settings
    }

    /// The build command for `req`.
    pub fn build_cmd(&self, req: &BuildRequest) -> Cmd {
        let dockerfile = req.dockerfile.to_string_lossy().into_owned();
        let context = req.context.to_string_lossy().into_owned();
        let args = |mut cmd: Cmd, flag: &str| {
            for (key, value) in &req.build_args {
                cmd = cmd.arg(flag).arg(format!("{key}={value}"));
            }
            cmd
        };
        let cmd = match self.kind {
            EngineKind::Docker | EngineKind::MinikubeDocker => {
                let mut cmd = Cmd::new(&self.tools.docker).env("DOCKER_BUILDKIT", "1");
                for (key, value) in &self.docker_env {
                    cmd = cmd.env(key, value);
                }
                cmd = cmd
                    .args(["build", "--progress=plain", "-f"])
                    .arg(context_path(&req.context, &dockerfile));
                cmd = cmd.arg("-t").arg(&req.reference);
                if self.settings.network_host {
                    cmd = cmd.args(["--network", "host"]);
                }
                if self.settings.pull_never {
                    cmd = cmd.arg("--pull=false");
                }
                let cmd = args(cmd, "--build-arg");
                with_target(cmd, req).arg(context)
            }
            EngineKind::Podman | EngineKind::Buildah => {
                // No layer cache: buildah 1.28 reuses a cached `LABEL …${REVISION}` step when
                // only the build arg's value changed, which leaves a stale revision label. The
                // expensive part (cargo's registry and target dir) lives in cache mounts, so a
                // rebuild without layers costs a context copy and a no-op cargo run.
                let mut cmd = if self.kind == EngineKind::Podman {
                    Cmd::new(&self.tools.podman).args(["build", "--layers=false"])
                } else {
                    Cmd::new(&self.tools.buildah).args(["bud", "--layers=false"])
                };
                // A failed build must not leave its working container behind (on vfs storage
                // that is a full copy of the builder, over a gigabyte each time).
                cmd = cmd.arg("--force-rm");
                // The OCI format has no HEALTHCHECK; Docker's keeps it.
                cmd = cmd.args(["--format", "docker"]);
                if let Some(isolation) = &self.settings.isolation {
                    cmd = cmd.arg("--isolation").arg(isolation);
                }
                if self.settings.network_host {
                    cmd = cmd.args(["--network", "host"]);
                }
                if self.settings.pull_never {
                    cmd = cmd.arg("--pull=never");
                }
                cmd = cmd.arg("-f").arg(context_path(&req.context, &dockerfile));
                cmd = cmd.arg("-t").arg(&req.reference);
                let cmd = args(cmd, "--build-arg");
                with_target(cmd, req).arg(context)
            }
            EngineKind::MinikubeImage => {
                let mut cmd = Cmd::new(&self.tools.minikube).args(["image", "build"]);
                cmd = minikube::with_profile(cmd, self.settings.minikube_profile.as_deref());
                // minikube reads the Dockerfile path relative to the context it copies.
                cmd = cmd.arg("-t").arg(&req.reference).arg("-f").arg(&dockerfile);
                // `Engine::new` always sets the runtime for this kind.
                let runtime = self.node_runtime.unwrap_or(NodeRuntime::Docker);
                cmd.args(runtime.build_opts(&req.build_args, req.target.as_deref()))
                    .arg(context)
            }
        };
        cmd.timeout(BUILD_TIMEOUT)
    }

    /// Builds `req`, passing each line of build output to `on_line`.
    pub fn build(
        &self,
        runner: &Runner,
        req: &BuildRequest,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<(), Error> {
        let cmd = self.build_cmd(req);
        match runner.run_streaming(&cmd, on_line) {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(self.kind, EngineKind::Docker | EngineKind::MinikubeDocker)
                    && e.stderr().is_some_and(preflight::docker::buildx_missing) =>
            {
                Err(Error::BuildxMissing {
                    command: cmd.to_string(),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The node's container runtime, for [`EngineKind::MinikubeImage`].
    pub fn node_runtime(&self) -> Option<NodeRuntime> {
        self.node_runtime
    }

    /// The program that inspects, lists and removes images for this engine.
    fn store_cmd(&self) -> Cmd {
        match self.kind {
            EngineKind::Docker => Cmd::new(&self.tools.docker),
            EngineKind::MinikubeDocker => {
                let mut cmd = Cmd::new(&self.tools.docker);
                for (key, value) in &self.docker_env {
                    cmd = cmd.env(key, value);
                }
                cmd
            }
            EngineKind::Podman | EngineKind::Buildah => Cmd::new(&self.tools.podman),
            EngineKind::MinikubeImage => Cmd::new(&self.tools.minikube),
        }
        .timeout(QUERY_TIMEOUT)
    }

    /// The image ID (`sha256:<64 hex>`) and size in bytes of `reference`, or `None` when the
    /// engine has no such image. For `minikube image build`, the cluster's listing answers.
    pub fn inspect(&self, runner: &Runner, reference: &str) -> Result<Option<ImageInfo>, Error> {
        if self.kind == EngineKind::MinikubeImage {
            let mk = Minikube::new(&self.tools.minikube, self.settings.minikube_profile.clone());
            return Ok(mk.find(runner, reference)?.map(|image| ImageInfo {
                id: image.id,
                size: image.size,
            }));
        }
        let cmd = self
            .store_cmd()
            .args(["image", "inspect", "--format", "{{json .}}"])
            .arg(reference);
        let out = runner.run_unchecked(&cmd)?;
        if runner.is_dry_run() {
            return Ok(None);
        }
        if !out.success() {
            let stderr = out.stderr.to_ascii_lowercase();
            if stderr.contains("no such")
                || stderr.contains("not known")
                || stderr.contains("unknown")
                || stderr.contains("not found")
            {
                return Ok(None);
            }
            return Err(exec::Error::Failed {
                command: cmd.to_string(),
                status: out.status,
                stderr: out.stderr,
            }
            .into());
        }
        let inspect = docker::parse_inspect(&out.stdout).map_err(|message| Error::Output {
            command: cmd.to_string(),
            message,
        })?;
        let id = match inspect.config_digest() {
            Some(id) => id,
            None => self.saved_config_digest(runner, reference)?,
        };
        Ok(Some(ImageInfo {
            id,
            size: inspect.size,
        }))
    }

    /// The config digest of `reference` from `docker image save` (Docker's containerd store,
    /// whose `Id` is the index digest and whose inspect output has no config digest).
    fn saved_config_digest(&self, runner: &Runner, reference: &str) -> Result<String, Error> {
        let dir = tempfile::tempdir().map_err(|source| Error::Io {
            path: std::env::temp_dir(),
            source,
        })?;
        let archive = dir.path().join("image.tar");
        let save = self
            .store_cmd()
            .args(["image", "save", "-o"])
            .arg(archive.to_string_lossy())
            .arg(reference)
            .timeout(BUILD_TIMEOUT);
        runner.run(&save)?;
        let output = |message: String| Error::Output {
            command: save.to_string(),
            message,
        };
        let manifest = docker::tar_entry(&archive, "manifest.json")
            .map_err(|source| Error::Io {
                path: archive.clone(),
                source,
            })?
            .ok_or_else(|| output("the archive has no manifest.json".into()))?;
        docker::config_digest_from_manifest(&String::from_utf8_lossy(&manifest), reference)
            .map_err(output)
    }

    /// The tags of `repository` the engine holds (`todo-chatbot-backend` → `["0a1b…", …]`).
    pub fn list_tags(&self, runner: &Runner, repository: &str) -> Result<Vec<String>, Error> {
        if self.kind == EngineKind::MinikubeImage {
            let mk = Minikube::new(&self.tools.minikube, self.settings.minikube_profile.clone());
            return mk.list_tags(runner, repository);
        }
        let cmd = self
            .store_cmd()
            .args(["images", "--format", "{{.Repository}}:{{.Tag}}"]);
        let out = runner.run(&cmd)?;
        Ok(tags_of(&out.stdout, repository))
    }

    /// Removes the image `reference` from the engine's store.
    pub fn remove(&self, runner: &Runner, reference: &str) -> Result<(), Error> {
        let cmd = if self.kind == EngineKind::MinikubeImage {
            let mk = Minikube::new(&self.tools.minikube, self.settings.minikube_profile.clone());
            return mk.remove(runner, reference);
        } else {
            self.store_cmd().args(["rmi", reference])
        };
        runner.run(&cmd)?;
        Ok(())
    }

    /// The command that writes `reference` to `archive` (docker-archive), for loaders that
    /// read archives. `None` for the engines that build inside Minikube: their images are in
    /// the cluster already.
    pub fn save_cmd(&self, reference: &str, archive: &std::path::Path) -> Option<Cmd> {
        let cmd = match self.kind {
            EngineKind::Docker => Cmd::new(&self.tools.docker).args(["image", "save", "-o"]),
            EngineKind::Podman | EngineKind::Buildah => {
                Cmd::new(&self.tools.podman).args(["save", "--format", "docker-archive", "-o"])
            }
            EngineKind::MinikubeDocker | EngineKind::MinikubeImage => return None,
        };
        Some(
            cmd.arg(archive.to_string_lossy())
                .arg(reference)
                .timeout(BUILD_TIMEOUT),
        )
    }
}

/// What the engine says about one image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageInfo {
    /// `sha256:<hex>` (possibly shortened when only a short ID is known).
    pub id: String,
    /// Size in bytes, when known.
    pub size: Option<u64>,
}

/// `sha256:<hex>` whatever the tool printed (`<hex>` alone from Podman).
pub fn normalize_id(id: &str) -> String {
    let hex = id.trim().trim_start_matches("sha256:");
    format!("sha256:{}", hex.to_ascii_lowercase())
}

/// Whether two image IDs name the same image (one may be a shortened form, ≥ 12 hex digits).
pub fn same_id(a: &str, b: &str) -> bool {
    let a = normalize_id(a);
    let b = normalize_id(b);
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    short.len() >= "sha256:".len() + 12 && long.starts_with(short.as_str())
}

/// The tags of `repository` among `repo:tag` lines, whatever registry prefix the tool shows.
pub fn tags_of(listing: &str, repository: &str) -> Vec<String> {
    let mut tags: Vec<String> = listing
        .lines()
        .filter_map(|line| {
            let reference = ImageRef::new(line.trim());
            let tag = reference.tag()?;
            (ImageRef::new(reference.repository()).short_name() == repository
                && tag != "<none>"
                && !tag.is_empty())
            .then(|| tag.to_owned())
        })
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

fn with_target(cmd: Cmd, req: &BuildRequest) -> Cmd {
    match &req.target {
        Some(target) => cmd.arg("--target").arg(target),
        None => cmd,
    }
}

/// The Dockerfile path as the local tools want it: relative paths are relative to the context.
fn context_path(context: &std::path::Path, dockerfile: &str) -> String {
    let path = std::path::Path::new(dockerfile);
    if path.is_absolute() {
        dockerfile.to_owned()
    } else {
        context.join(path).to_string_lossy().into_owned()
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}
