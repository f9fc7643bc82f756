//! Driving `minikube` for images: `docker-env`, `image load`, `image ls`, `image rm`.
//!
//! `minikube image load` can exit 0 without replacing an image the node already has, so after
//! loading we read `minikube image ls --format json` and compare the image ID with the one built.

use std::time::Duration;

use exec::{Cmd, Runner};
use serde::Deserialize;

use crate::Error;
use crate::engine::{NodeRuntime, normalize_id};
use dockerfile_check::ImageRef;

/// How long a load (copying a whole image into the node) may take.
const LOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// How long a query may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(120);
/// The profile minikube itself uses when no `-p` is given (the kit always names one,
/// `preflight::minikube::DEFAULT_PROFILE`).
const UNNAMED_PROFILE: &str = "minikube";

/// The `minikube` program and profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Minikube {
    program: String,
    profile: Option<String>,
}

/// One image as the cluster lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterImage {
    /// `sha256:<hex>`.
    pub id: String,
    /// Its tags as the runtime shows them (`docker.io/library/x:tag`).
    pub tags: Vec<String>,
    /// Size in bytes, when the listing gives one.
    pub size: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListedImage {
    id: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    size: Option<serde_json::Value>,
}

/// Adds `-p PROFILE` when a profile is set.
pub fn with_profile(cmd: Cmd, profile: Option<&str>) -> Cmd {
    match profile {
        Some(profile) => cmd.arg("-p").arg(profile),
        None => cmd,
    }
}

impl Minikube {
    /// `program` is a name (resolved through `$MINIKUBE`, then `PATH`) or a path.
    pub fn new(program: &str, profile: Option<String>) -> Minikube {
        Minikube {
            program: program.to_owned(),
            profile,
        }
    }

    fn cmd<'a>(&self, args: impl IntoIterator<Item = &'a str>) -> Cmd {
        let cmd = Cmd::new(&self.program).args(args);
        with_profile(cmd, self.profile.as_deref()).timeout(QUERY_TIMEOUT)
    }

    /// Whether the profile is up, by the rule preflight reports it with: host, kubelet and API
    /// server all running (a host whose kubelet stopped still needs `minikube start`).
    pub fn is_running(&self, runner: &Runner) -> Result<bool, Error> {
        let out = runner.run_unchecked(&self.cmd(["status", "--output", "json"]))?;
        // Exit 7 (stopped) still prints the document; a profile that does not exist prints none.
        Ok(preflight::minikube::status(&out.stdout).is_ok_and(|s| s.is_running()))
    }

    /// The environment that points `docker` at Minikube's daemon
    /// (`minikube docker-env --shell none`).
    pub fn docker_env(&self, runner: &Runner) -> Result<Vec<(String, String)>, Error> {
        let cmd = self.cmd(["docker-env", "--shell", "none"]);
        let out = runner.run(&cmd)?;
        if runner.is_dry_run() {
            return Ok(Vec::new());
        }
        let env = parse_docker_env(&out.stdout);
        if !env.iter().any(|(k, _)| k == "DOCKER_HOST") {
            return Err(Error::Output {
                command: cmd.to_string(),
                message: "no DOCKER_HOST in its output; is the cluster using the docker runtime? (`minikube start --container-runtime=docker`)".into(),
            });
        }
        Ok(env)
    }

    /// The profile's container runtime, from `minikube profile list -o json`
    /// (`Config.KubernetesConfig.ContainerRuntime`; the profile is `minikube` unless named).
    pub fn container_runtime(&self, runner: &Runner) -> Result<NodeRuntime, Error> {
        let cmd = Cmd::new(&self.program)
            .args(["profile", "list", "-o", "json"])
            .timeout(QUERY_TIMEOUT);
        // With no profile at all minikube exits non-zero and prints no document.
        let out = runner.run_unchecked(&cmd)?;
        let output = |message: String| Error::Output {
            command: cmd.to_string(),
            message,
        };
        let list = if out.stdout.trim().is_empty() {
            preflight::minikube::ProfileList::default()
        } else {
            preflight::minikube::profile_list(&out.stdout).map_err(|e| output(e.to_string()))?
        };
        let name = self.profile.as_deref().unwrap_or(UNNAMED_PROFILE);
        let runtime = list
            .valid
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.config.as_ref())
            .map(|c| c.kubernetes.container_runtime.clone())
            .ok_or_else(|| {
                output(format!(
                    "no valid profile {name}: start it first (`minikube start -p {name}`)"
                ))
            })?;
        NodeRuntime::from_profile(&runtime)
    }

    /// The command that loads `source` (an image in the local Docker daemon, or an archive
    /// path) into the cluster.
    pub fn load_cmd(&self, source: &str) -> Cmd {
        let cmd = Cmd::new(&self.program).args(["image", "load"]);
        with_profile(cmd, self.profile.as_deref())
            .arg(source)
            .timeout(LOAD_TIMEOUT)
    }

    /// Loads `source` into the cluster.
    pub fn load(&self, runner: &Runner, source: &str) -> Result<(), Error> {
        runner.run(&self.load_cmd(source))?;
        Ok(())
    }

    /// The command that lists the cluster's images (`minikube image ls --format json`).
    pub fn list_cmd(&self) -> Cmd {
        self.cmd(["image", "ls", "--format", "json"])
    }

    /// Every image in the cluster (`minikube image ls --format json`).
    pub fn images(&self, runner: &Runner) -> Result<Vec<ClusterImage>, Error> {
        let cmd = self.list_cmd();
        let out = runner.run(&cmd)?;
        if runner.is_dry_run() {
            return Ok(Vec::new());
        }
        parse_image_ls(&out.stdout).map_err(|message| Error::Output {
            command: cmd.to_string(),
            message,
        })
    }

    /// The cluster's image tagged `reference`, if any.
    pub fn find(&self, runner: &Runner, reference: &str) -> Result<Option<ClusterImage>, Error> {
        Ok(tagged(self.images(runner)?, reference))
    }

    /// The tags of `repository` in the cluster.
    pub fn list_tags(&self, runner: &Runner, repository: &str) -> Result<Vec<String>, Error> {
        Ok(tags_in(self.images(runner)?, repository))
    }

    /// Removes `reference` from the cluster (`minikube image rm`).
    pub fn remove(&self, runner: &Runner, reference: &str) -> Result<(), Error> {
        runner.run(&self.cmd(["image", "rm", reference]))?;
        Ok(())
    }

    /// Checks that the cluster's `reference` has image ID `built`.
    pub fn verify(&self, runner: &Runner, reference: &str, built: &str) -> Result<(), Error> {
        if runner.is_dry_run() {
            runner.run(&self.list_cmd())?;
            return Ok(());
        }
        let found = self.find(runner, reference)?;
        check_id(reference, built, found, |stale| {
            self.mismatch_fix(reference, stale)
        })
    }

    /// What to do when the cluster has another image under `reference` (`stale`) or none.
    fn mismatch_fix(&self, reference: &str, stale: bool) -> String {
        let profile = self
            .profile
            .as_deref()
            .map(|p| format!(" -p {p}"))
            .unwrap_or_default();
        if stale {
            format!(
                "the node kept an older image under this tag: run `minikube{profile} image rm {reference}` and load again (`todoctl images load`)"
            )
        } else {
            format!(
                "`minikube image load` did not deliver it: check `minikube{profile} status` and disk space in the node (`minikube ssh -- df -h`), then load again"
            )
        }
    }
}

/// The image tagged `reference` among `images`, whatever registry prefix the node shows.
pub fn tagged(images: Vec<ClusterImage>, reference: &str) -> Option<ClusterImage> {
    let want = ImageRef::new(reference).short_name();
    images.into_iter().find(|image| {
        image
            .tags
            .iter()
            .any(|t| ImageRef::new(t).short_name() == want)
    })
}

/// The tags of `repository` among `images`.
pub fn tags_in(images: Vec<ClusterImage>, repository: &str) -> Vec<String> {
    let listing: Vec<String> = images.into_iter().flat_map(|i| i.tags).collect();
    crate::engine::tags_of(&listing.join("\n"), repository)
}

/// `Ok` when the node's image under `reference` is the one built; otherwise the mismatch,
/// with `fix(stale)` saying what to do (`stale`: another image holds the tag).
pub fn check_id(
    reference: &str,
    built: &str,
    found: Option<ClusterImage>,
    fix: impl FnOnce(bool) -> String,
) -> Result<(), Error> {
    match found {
        Some(image) if crate::engine::same_id(&image.id, built) => Ok(()),
        found => Err(Error::ClusterMismatch {
            image: reference.to_owned(),
            built: normalize_id(built),
            fix: fix(found.is_some()),
            found: found.map(|image| image.id),
        }),
    }
}

/// Parses `minikube docker-env` output in `--shell none` form (`KEY=value`) or bash form
/// (`export KEY="value"`), ignoring comments.
pub fn parse_docker_env(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                return None;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (key, value) = line.split_once('=')?;
            let key = key.trim();
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return None;
            }
            let value = value.trim().trim_matches('"').trim_matches('\'');
            Some((key.to_owned(), value.to_owned()))
        })
        .collect()
}

/// Parses `minikube image ls --format json`: `[{"id", "repoDigests", "repoTags", "size"}]`.
pub fn parse_image_ls(text: &str) -> Result<Vec<ClusterImage>, String> {
    let listed: Vec<ListedImage> = serde_json::from_str(text.trim())
        .map_err(|e| format!("not the expected JSON list of images: {e}"))?;
    Ok(listed
        .into_iter()
        .map(|image| ClusterImage {
            id: normalize_id(&image.id),
            tags: image.repo_tags.unwrap_or_default(),
            size: image.size.and_then(|size| match size {
                serde_json::Value::Number(n) => n.as_u64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }),
        })
        .collect())
}
