//! Getting built images into a cluster that cannot pull them, and proving they arrived.
//!
//! Each local cluster has its own door: `minikube image load`, `kind load`, `k3d image import`,
//! or `ctr -n k8s.io images import` into a node's containerd (k3s: `k3s ctr`; the test
//! cluster). A load can succeed without replacing an image the node already has under that
//! tag, so every loader also lists the node's images the way the kubelet sees them (CRI image
//! IDs are config digests, as the engines report them) and the ID is compared with the build.

use std::path::Path;
use std::time::Duration;

use exec::{Cmd, Runner};
use serde::Deserialize;

use crate::Error;
use crate::engine::EngineKind;
use crate::minikube::{ClusterImage, Minikube, check_id, parse_image_ls, tagged, tags_in};

/// How long a load (copying a whole image into the node) may take.
const LOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// How long a listing may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(120);
/// The containerd namespace the kubelet's CRI uses.
const CRI_NAMESPACE: &str = "k8s.io";

/// Where images go, and how the cluster's copy is listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Loader {
    /// `minikube image load` into a profile.
    Minikube(Minikube),
    /// A node's containerd, reached with `ctr` and `crictl` (the test cluster, k3s, any node
    /// whose containerd socket this machine can open).
    Containerd(Containerd),
    /// `kind load` into a kind cluster (its nodes are Docker containers).
    Kind {
        /// The kind cluster name (context `kind-NAME`).
        cluster: String,
    },
    /// `k3d image import` into a k3d cluster.
    K3d {
        /// The k3d cluster name (context `k3d-NAME`).
        cluster: String,
    },
}

/// How `ctr` and `crictl` reach one containerd: a command prefix each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Containerd {
    ctr: Vec<String>,
    crictl: Vec<String>,
    label: String,
}

impl Containerd {
    /// The containerd listening on the socket `address`.
    pub fn at(address: &str) -> Containerd {
        Containerd {
            ctr: vec!["ctr".into(), "--address".into(), address.into()],
            crictl: vec![
                "crictl".into(),
                "--runtime-endpoint".into(),
                format!("unix://{address}"),
            ],
            label: format!("containerd at {address}"),
        }
    }

    /// k3s's embedded containerd, through `k3s ctr` and `k3s crictl` (run on the k3s node).
    pub fn k3s() -> Containerd {
        Containerd {
            ctr: vec!["k3s".into(), "ctr".into()],
            crictl: vec!["k3s".into(), "crictl".into()],
            label: "k3s".into(),
        }
    }
}

/// What `--image-loader` names; `Auto` picks from the context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoaderChoice {
    /// Minikube without `--context` (or with the profile's own), kind for `kind-*` contexts, k3d for `k3d-*`, a containerd
    /// socket when one is named; anything else is refused with the way out.
    Auto,
    /// `minikube image load`.
    Minikube,
    /// `ctr images import` at `--containerd-address`.
    Containerd,
    /// `k3s ctr images import`.
    K3s,
    /// `kind load`.
    Kind,
    /// `k3d image import`.
    K3d,
    /// Load nothing: the cluster pulls the images from a registry of yours.
    None,
}

impl std::str::FromStr for LoaderChoice {
    type Err = Error;

    fn from_str(s: &str) -> Result<LoaderChoice, Error> {
        Ok(match s {
            "auto" => LoaderChoice::Auto,
            "minikube" => LoaderChoice::Minikube,
            "containerd" => LoaderChoice::Containerd,
            "k3s" => LoaderChoice::K3s,
            "kind" => LoaderChoice::Kind,
            "k3d" => LoaderChoice::K3d,
            "none" => LoaderChoice::None,
            other => {
                return Err(Error::NoLoader {
                    reason: format!("unknown image loader `{other}`"),
                    fix: LOADER_NAMES.into(),
                });
            }
        })
    }
}

const LOADER_NAMES: &str = "pass --image-loader minikube, containerd (with --containerd-address), k3s, kind, k3d, or none (the cluster pulls from your registry)";

/// Where the loader's inputs come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoaderTarget<'a> {
    /// `--context`; `None` means Minikube's.
    pub context: Option<&'a str>,
    /// The Minikube profile (used without `--context`).
    pub minikube_profile: &'a str,
    /// `--containerd-address` (or `CONTAINERD_ADDRESS`).
    pub containerd_address: Option<&'a str>,
}

/// The loader for `choice` and `target`; `Ok(None)` for [`LoaderChoice::None`].
pub fn choose(choice: LoaderChoice, target: &LoaderTarget<'_>) -> Result<Option<Loader>, Error> {
    let minikube = || {
        Loader::Minikube(Minikube::new(
            "minikube",
            Some(target.minikube_profile.to_owned()),
        ))
    };
    let suffix = |prefix: &str| target.context.and_then(|c| c.strip_prefix(prefix));
    let named = |kind: &str, prefix: &str| {
        suffix(prefix).map(str::to_owned).ok_or_else(|| Error::NoLoader {
            reason: format!(
                "--image-loader {kind} needs the cluster's name, read from a `{prefix}NAME` context; the context is {}",
                target.context.unwrap_or("Minikube's")
            ),
            fix: format!("pass --context {prefix}NAME"),
        })
    };
    let containerd = || {
        target
            .containerd_address
            .map(|a| Loader::Containerd(Containerd::at(a)))
            .ok_or_else(|| Error::NoLoader {
                reason: "--image-loader containerd needs the node's containerd socket".into(),
                fix: "pass --containerd-address /run/containerd/containerd.sock (or set CONTAINERD_ADDRESS); for the test cluster: `eval \"$(just test-cluster env)\"`".into(),
            })
    };
    Ok(Some(match choice {
        LoaderChoice::None => return Ok(None),
        LoaderChoice::Minikube => minikube(),
        LoaderChoice::Containerd => containerd()?,
        LoaderChoice::K3s => Loader::Containerd(Containerd::k3s()),
        LoaderChoice::Kind => Loader::Kind {
            cluster: named("kind", "kind-")?,
        },
        LoaderChoice::K3d => Loader::K3d {
            cluster: named("k3d", "k3d-")?,
        },
        LoaderChoice::Auto
            if preflight::minikube::is_target(target.context, target.minikube_profile) =>
        {
            minikube()
        }
        LoaderChoice::Auto if target.containerd_address.is_some() => containerd()?,
        LoaderChoice::Auto if suffix("kind-").is_some() => Loader::Kind {
            cluster: named("kind", "kind-")?,
        },
        LoaderChoice::Auto if suffix("k3d-").is_some() => Loader::K3d {
            cluster: named("k3d", "k3d-")?,
        },
        LoaderChoice::Auto => {
            return Err(Error::NoLoader {
                reason: format!(
                    "no way to put images into context `{}` is known",
                    target.context.unwrap_or_default()
                ),
                fix: LOADER_NAMES.into(),
            });
        }
    }))
}

/// What a loader reads: an archive on disk, or the local Docker daemon's image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source<'a> {
    /// A `docker-archive` tarball.
    Archive(&'a Path),
    /// An image in the Docker daemon the loader also talks to.
    Daemon(&'a str),
}

impl Loader {
    /// For messages: `minikube`, `kind cluster dev`, `containerd at /run/…`.
    pub fn name(&self) -> String {
        match self {
            Loader::Minikube(_) => "minikube".into(),
            Loader::Containerd(c) => c.label.clone(),
            Loader::Kind { cluster } => format!("kind cluster {cluster}"),
            Loader::K3d { cluster } => format!("k3d cluster {cluster}"),
        }
    }

    /// The program that loads (`minikube`, `ctr`, `k3s`, `kind`, `k3d`): whether this machine
    /// has it tells whether the cluster can be reached at all.
    pub fn tool(&self) -> String {
        self.load_cmd(Source::Daemon("")).program().to_owned()
    }

    /// Whether this loader needs an archive of an image built by `engine` (Minikube reads
    /// Docker's and Podman's stores itself, kind and k3d read Docker's).
    pub fn needs_archive(&self, engine: EngineKind) -> bool {
        match self {
            Loader::Minikube(_) => !matches!(engine, EngineKind::Docker),
            Loader::Containerd(_) => true,
            Loader::Kind { .. } | Loader::K3d { .. } => !matches!(engine, EngineKind::Docker),
        }
    }

    /// The command that puts `source` into the cluster.
    pub fn load_cmd(&self, source: Source<'_>) -> Cmd {
        let source = match source {
            Source::Archive(path) => path.to_string_lossy().into_owned(),
            Source::Daemon(reference) => reference.to_owned(),
        };
        let cmd = match self {
            Loader::Minikube(minikube) => return minikube.load_cmd(&source),
            Loader::Containerd(c) => prefixed(&c.ctr)
                .args(["--namespace", CRI_NAMESPACE, "images", "import"])
                .arg(source),
            Loader::Kind { cluster } if source.ends_with(".tar") => {
                Cmd::new("kind").args(["load", "image-archive", &source, "--name", cluster])
            }
            Loader::Kind { cluster } => {
                Cmd::new("kind").args(["load", "docker-image", &source, "--name", cluster])
            }
            Loader::K3d { cluster } => {
                Cmd::new("k3d").args(["image", "import", &source, "--cluster", cluster])
            }
        };
        cmd.timeout(LOAD_TIMEOUT)
    }

    /// The command that lists the node's images as the kubelet sees them.
    pub fn list_cmd(&self) -> Cmd {
        let cmd = match self {
            Loader::Minikube(minikube) => return minikube.list_cmd(),
            Loader::Containerd(c) => prefixed(&c.crictl).args(["images", "--output", "json"]),
            // The first node holds what `kind load` / `k3d image import` gave every node.
            Loader::Kind { cluster } => Cmd::new("docker").args([
                "exec",
                &format!("{cluster}-control-plane"),
                "crictl",
                "images",
                "--output",
                "json",
            ]),
            Loader::K3d { cluster } => Cmd::new("docker").args([
                "exec",
                &format!("k3d-{cluster}-server-0"),
                "crictl",
                "images",
                "--output",
                "json",
            ]),
        };
        cmd.timeout(QUERY_TIMEOUT)
    }

    /// Every image on the node.
    pub fn images(&self, runner: &Runner) -> Result<Vec<ClusterImage>, Error> {
        let cmd = self.list_cmd();
        let out = runner.run(&cmd)?;
        if runner.is_dry_run() {
            return Ok(Vec::new());
        }
        let parsed = match self {
            Loader::Minikube(_) => parse_image_ls(&out.stdout),
            _ => parse_crictl_images(&out.stdout),
        };
        parsed.map_err(|message| Error::Output {
            command: cmd.to_string(),
            message,
        })
    }

    /// The node's image tagged `reference`, if any.
    pub fn find(&self, runner: &Runner, reference: &str) -> Result<Option<ClusterImage>, Error> {
        Ok(tagged(self.images(runner)?, reference))
    }

    /// The tags of `repository` on the node.
    pub fn list_tags(&self, runner: &Runner, repository: &str) -> Result<Vec<String>, Error> {
        Ok(tags_in(self.images(runner)?, repository))
    }

    /// The command that removes `reference` from the node (`None`: Minikube's own).
    fn remove_cmd(&self, reference: &str) -> Option<Cmd> {
        let node_crictl =
            |node: String| Cmd::new("docker").args(["exec", &node, "crictl", "rmi", reference]);
        let cmd = match self {
            Loader::Minikube(_) => return None,
            Loader::Containerd(c) => prefixed(&c.ctr)
                .args(["--namespace", CRI_NAMESPACE, "images", "rm"])
                .arg(reference),
            Loader::Kind { cluster } => node_crictl(format!("{cluster}-control-plane")),
            Loader::K3d { cluster } => node_crictl(format!("k3d-{cluster}-server-0")),
        };
        Some(cmd.timeout(QUERY_TIMEOUT))
    }

    /// Removes `reference` from the node.
    pub fn remove(&self, runner: &Runner, reference: &str) -> Result<(), Error> {
        match (self, self.remove_cmd(reference)) {
            (Loader::Minikube(minikube), _) => minikube.remove(runner, reference),
            (_, Some(cmd)) => runner.run(&cmd).map(drop).map_err(Into::into),
            (_, None) => Ok(()),
        }
    }

    /// Checks that the node's `reference` has image ID `built`.
    pub fn verify(&self, runner: &Runner, reference: &str, built: &str) -> Result<(), Error> {
        if let Loader::Minikube(minikube) = self {
            return minikube.verify(runner, reference, built);
        }
        if runner.is_dry_run() {
            runner.run(&self.list_cmd())?;
            return Ok(());
        }
        let found = self.find(runner, reference)?;
        check_id(reference, built, found, |stale| {
            if stale {
                let remove = self
                    .remove_cmd(reference)
                    .map(|c| format!(" (`{c}`)"))
                    .unwrap_or_default();
                format!(
                    "the node kept another image under this tag: remove it{remove} and load again (`todoctl images load`)"
                )
            } else {
                format!(
                    "the load did not deliver it: check the node's disk space and `{}`, then load again (`todoctl images load`)",
                    self.list_cmd()
                )
            }
        })
    }
}

/// A command from a prefix (`["k3s", "ctr"]`, `["ctr", "--address", A]`).
fn prefixed(prefix: &[String]) -> Cmd {
    let (program, args) = prefix
        .split_first()
        .map_or(("ctr", &[][..]), |(p, a)| (p.as_str(), a));
    Cmd::new(program).args(args.iter().cloned())
}

#[derive(Deserialize)]
struct CrictlImages {
    images: Vec<serde_json::Value>,
}

/// Parses `crictl images --output json`: `{"images": [{"id", "repoTags", "repoDigests",
/// "size"}]}` — the CRI's own view, with the config digest as `id`.
pub fn parse_crictl_images(text: &str) -> Result<Vec<ClusterImage>, String> {
    let listed: CrictlImages = serde_json::from_str(text.trim())
        .map_err(|e| format!("not the JSON of `crictl images --output json`: {e}"))?;
    parse_image_ls(&serde_json::Value::Array(listed.images).to_string())
}
