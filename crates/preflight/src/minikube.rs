//! The JSON minikube prints, as far as preflight reads it (shapes from minikube's
//! `pkg/minikube/config/types.go` and `cmd/minikube/cmd/config/profile_list.go`).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::Error;

/// The Minikube profile (and so kube context) the kit uses unless told otherwise.
pub const DEFAULT_PROFILE: &str = "todo-chatbot";

/// Whether a run aimed at `context` targets Minikube profile `profile`: when no context is
/// named (Minikube is the default target) or the one named is the profile's, since minikube
/// names the context after the profile. Every step that starts Minikube, loads images into it
/// or writes `minikube -p` into a fix asks this.
pub fn is_target(context: Option<&str>, profile: &str) -> bool {
    context.is_none_or(|context| context == profile)
}

/// `minikube profile list -o json`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProfileList {
    /// Profiles minikube can use.
    #[serde(default)]
    pub valid: Vec<Profile>,
    /// Profiles whose config is broken (`Config` may be null).
    #[serde(default)]
    pub invalid: Vec<Profile>,
}

/// One profile of [`ProfileList`].
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Profile {
    /// The profile (and kube context) name.
    #[serde(rename = "Name", default)]
    pub name: String,
    /// `OK`, `Running`, `Stopped`, `Paused`, `Unknown`, …
    #[serde(rename = "Status", default)]
    pub status: String,
    /// The cluster's configuration.
    #[serde(rename = "Config", default)]
    pub config: Option<ClusterConfig>,
}

/// The parts of minikube's `ClusterConfig` preflight reads.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ClusterConfig {
    /// Memory of the node, in MB.
    #[serde(rename = "Memory", default)]
    pub memory: u64,
    /// CPUs of the node.
    #[serde(rename = "CPUs", default)]
    pub cpus: u64,
    /// `docker`, `podman`, `kvm2`, …
    #[serde(rename = "Driver", default)]
    pub driver: String,
    /// Kubernetes settings.
    #[serde(rename = "KubernetesConfig", default)]
    pub kubernetes: KubernetesConfig,
}

/// The parts of minikube's `KubernetesConfig` preflight reads.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct KubernetesConfig {
    /// e.g. `v1.31.0`.
    #[serde(rename = "KubernetesVersion", default)]
    pub kubernetes_version: String,
    /// `docker`, `containerd`, `cri-o`.
    #[serde(rename = "ContainerRuntime", default)]
    pub container_runtime: String,
}

/// `minikube status -p P -o json` (exit 7 when stopped, still with this document).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ClusterStatus {
    /// The profile.
    #[serde(rename = "Name", default)]
    pub name: String,
    /// The node machine: `Running`, `Stopped`, …
    #[serde(rename = "Host", default)]
    pub host: String,
    /// `Running`, `Stopped`, …
    #[serde(rename = "Kubelet", default)]
    pub kubelet: String,
    /// `Running`, `Stopped`, `Paused`, …
    #[serde(rename = "APIServer", default)]
    pub apiserver: String,
    /// `Configured`, `Misconfigured`, …
    #[serde(rename = "Kubeconfig", default)]
    pub kubeconfig: String,
}

impl ClusterStatus {
    /// Host, kubelet and API server all running.
    pub fn is_running(&self) -> bool {
        [&self.host, &self.kubelet, &self.apiserver]
            .iter()
            .all(|s| s.as_str() == "Running")
    }
}

/// One entry of `minikube addons list -p P -o json` (`{"ingress": {"Profile", "Status"}}`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Addon {
    /// `enabled` or `disabled`.
    #[serde(rename = "Status", default)]
    pub status: String,
}

/// Parses `minikube profile list -o json`, skipping any advisory lines before the document.
pub fn profile_list(stdout: &str) -> Result<ProfileList, Error> {
    json("minikube profile list -o json", stdout)
}

/// Parses `minikube status -o json`.
pub fn status(stdout: &str) -> Result<ClusterStatus, Error> {
    json("minikube status -o json", stdout)
}

/// Parses `minikube addons list -o json` into addon → enabled.
pub fn addons(stdout: &str) -> Result<BTreeMap<String, bool>, Error> {
    let map: BTreeMap<String, Addon> = json("minikube addons list -o json", stdout)?;
    Ok(map
        .into_iter()
        .map(|(name, addon)| (name, addon.status == "enabled"))
        .collect())
}

/// Parses `minikube config view` (`- key: value` lines) into key → value.
pub fn config_view(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- "))
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// Megabytes from a minikube memory setting: `8192`, `8192mb`, `8g`, `8GiB`; `None` for
/// `max`, `no-limit` or anything unreadable.
pub fn memory_mb(text: &str) -> Option<u64> {
    let lower = text.trim().to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(digits_end);
    let number: u64 = number.parse().ok()?;
    match unit.trim() {
        "" | "m" | "mb" | "mib" => Some(number),
        "g" | "gb" | "gib" => number.checked_mul(1024),
        _ => None,
    }
}

fn json<T: serde::de::DeserializeOwned>(command: &str, stdout: &str) -> Result<T, Error> {
    let start = stdout
        .find('{')
        .ok_or_else(|| Error::parse(command, "no JSON document", stdout))?;
    serde_json::Deserializer::from_str(&stdout[start..])
        .into_iter()
        .next()
        .ok_or_else(|| Error::parse(command, "no JSON document", stdout))?
        .map_err(|e| Error::parse(command, format!("not the expected JSON: {e}"), stdout))
}
