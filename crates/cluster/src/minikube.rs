//! `minikube start` with everything the chart needs.

use std::time::Duration;

use exec::{Cmd, Runner};

use crate::error::{Error, Result};

/// How to start (or re-start; it is idempotent) the Minikube profile.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MinikubeOptions {
    /// Profile name; minikube names the kube context after it.
    pub profile: String,
    /// `docker`, `podman`, `kvm2`, ...
    pub driver: String,
    /// CPUs for the node.
    pub cpus: u32,
    /// Memory for the node, in MiB.
    pub memory_mib: u32,
    /// Kubernetes version (`v1.33.1`).
    pub kubernetes_version: String,
    /// Addons: the default StorageClass and its provisioner (PostgreSQL's PVC), and
    /// metrics-server (the HPA).
    pub addons: Vec<String>,
}

impl Default for MinikubeOptions {
    fn default() -> MinikubeOptions {
        MinikubeOptions {
            profile: DEFAULT_PROFILE.into(),
            driver: "docker".into(),
            cpus: 2,
            memory_mib: 4096,
            kubernetes_version: DEFAULT_KUBERNETES_VERSION.into(),
            addons: vec![
                "storage-provisioner".into(),
                "default-storageclass".into(),
                "metrics-server".into(),
            ],
        }
    }
}

pub use preflight::minikube::DEFAULT_PROFILE;

/// The Kubernetes version the kit starts, in minikube's spelling: the oldest it supports.
pub const DEFAULT_KUBERNETES_VERSION: &str = "v1.33.1";

/// [`DEFAULT_KUBERNETES_VERSION`] without the `v`, as `helm --kube-version` takes it: the
/// version charts are rendered and checked for unless a caller says otherwise. The deploy's
/// chart check uses it too rather than the server's version: the check runs before the kit
/// connects to the cluster (and a plan reads nothing), so the chart is held to the oldest API
/// it must work on. `todoctl chart check --kube-version` checks another.
pub const DEFAULT_KUBE_VERSION: &str = DEFAULT_KUBERNETES_VERSION.split_at(1).1;

/// The `minikube start` command for `options`.
pub fn start_cmd(program: &str, options: &MinikubeOptions) -> Cmd {
    let mut cmd = Cmd::new(program)
        .arg("start")
        .arg(format!("--profile={}", options.profile))
        .arg(format!("--driver={}", options.driver))
        .arg(format!("--cpus={}", options.cpus))
        .arg(format!("--memory={}", options.memory_mib))
        .arg(format!(
            "--kubernetes-version={}",
            options.kubernetes_version
        ));
    for addon in &options.addons {
        cmd = cmd.arg(format!("--addons={addon}"));
    }
    cmd.arg("--wait=all").timeout(Duration::from_secs(15 * 60))
}

/// Starts the profile (`minikube start ... --wait=all`), streaming minikube's progress lines
/// to `on_line`. A dry run records the command.
pub fn start(
    runner: &Runner,
    program: &str,
    options: &MinikubeOptions,
    on_line: impl FnMut(&str),
) -> Result<()> {
    runner.run_streaming(&start_cmd(program, options), on_line)?;
    Ok(())
}

/// The node's IP address (`minikube ip`), where NodePort Services answer.
pub fn ip(runner: &Runner, program: &str, profile: &str) -> Result<String> {
    let cmd = Cmd::new(program)
        .args(["ip", "--profile", profile])
        .timeout(Duration::from_secs(30));
    Ok(runner.run(&cmd)?.stdout.trim().to_owned())
}

/// The profile's driver (`docker`, `podman`, `kvm2`, …) from `minikube profile list -o json`.
pub fn driver(program: &str, profile: &str) -> Result<String> {
    let cmd = Cmd::new(program)
        .args(["profile", "list", "-o", "json"])
        .timeout(Duration::from_secs(30));
    let out = cmd.run()?;
    let parse = |message: String| Error::Parse {
        command: cmd.to_string(),
        message,
    };
    let list = preflight::minikube::profile_list(&out.stdout).map_err(|e| parse(e.to_string()))?;
    list.valid
        .into_iter()
        .find(|p| p.name == profile)
        .and_then(|p| p.config)
        .map(|c| c.driver)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| parse(format!("no valid profile {profile} with a driver")))
}

/// The command that gives a running profile more resources (used in doctor's advice):
/// minikube cannot resize a node in place, so the profile is deleted and started again.
pub fn resize_advice(options: &MinikubeOptions) -> String {
    format!(
        "minikube delete -p {p} && minikube start -p {p} --cpus={c} --memory={m} (or `todoctl minikube start --cpus {c} --memory {m}` after the delete)",
        p = options.profile,
        c = options.cpus.max(2) * 2,
        m = options.memory_mib.max(2048) * 2,
    )
}
