use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::Error;

/// Everything the checks depend on, passed in explicitly so a caller (or a test) decides the
/// environment, the tools and the thresholds without touching the process environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// The chart profile being deployed.
    pub profile: chart_values::Profile,
    /// The Minikube profile (cluster and kube context name), e.g. `minikube`.
    pub minikube_profile: String,
    /// The namespace the release goes to (where pre-created Secrets must be).
    pub namespace: String,
    /// An HPA is on: the `metrics-server` addon is needed.
    pub needs_hpa: bool,
    /// An Ingress is on: the `ingress` addon is needed.
    pub needs_ingress: bool,
    /// The secrets this profile needs.
    pub secrets: Vec<Secret>,
    /// `--context`: deploy to this kube context even when it is not the Minikube profile.
    pub explicit_context: Option<String>,
    /// The caller starts the Minikube profile itself when it is missing or stopped (then that
    /// is a warning, not a blocking problem).
    pub cluster_start_planned: bool,
    /// The environment: tool overrides (`HELM`, `MINIKUBE`, …), `PATH`, secrets, AI keys.
    pub env: Env,
    /// Free-disk thresholds.
    pub disk: DiskCheck,
    /// The longest any one tool may take to answer.
    pub timeout: Duration,
}

impl Config {
    /// Defaults for `profile` on Minikube profile `minikube_profile`, with the process
    /// environment, no addons beyond the storage ones and no secrets; set the fields or use
    /// [`Config::for_chart_profile`] to derive them from the chart.
    pub fn new(profile: chart_values::Profile, minikube_profile: impl Into<String>) -> Config {
        Config {
            profile,
            minikube_profile: minikube_profile.into(),
            namespace: "todo-chatbot".to_owned(),
            needs_hpa: false,
            needs_ingress: false,
            secrets: Vec::new(),
            explicit_context: None,
            cluster_start_planned: false,
            env: Env::from_process(),
            disk: DiskCheck::default(),
            timeout: Duration::from_secs(30),
        }
    }

    /// [`Config::new`] with `needs_hpa`, `needs_ingress` and `secrets` read from the chart's
    /// `values.yaml` merged with `values-<profile>.yaml` (profile `default` uses `values.yaml`
    /// alone).
    pub fn for_chart_profile(
        profile: chart_values::Profile,
        minikube_profile: &str,
        chart_dir: &Path,
    ) -> Result<Config, Error> {
        let needs = crate::values::ProfileNeeds::read(chart_dir, profile)?;
        Ok(Config::new(profile, minikube_profile).with_needs(needs))
    }

    /// Sets `needs_hpa`, `needs_ingress` and `secrets` from `needs` (for instance
    /// [`ProfileNeeds::from_values`](crate::ProfileNeeds::from_values) over
    /// `chart_values::merge(…)?.values`, which also applies the user's `-f` files and `--set`).
    pub fn with_needs(mut self, needs: crate::values::ProfileNeeds) -> Config {
        self.needs_hpa = needs.hpa;
        self.needs_ingress = needs.ingress;
        self.secrets = needs.secrets;
        self
    }
}

/// A secret the profile needs, and where it must come from. Only its presence is ever checked
/// or reported, never its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    /// Human name, e.g. `JWT secret`.
    pub name: String,
    /// Where it comes from.
    pub source: SecretSource,
    /// What happens when it is absent.
    pub need: Need,
    /// Minimum length in bytes when present (0: any).
    pub min_len: usize,
    /// Why the profile needs it (shown in the report).
    pub why: String,
}

/// Where a secret must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable of the deploying shell (the kit writes it to a 0600 values
    /// file for helm, never to argv).
    Env {
        /// The variable, e.g. `JWT_SECRET`.
        var: String,
    },
    /// A pre-created Kubernetes Secret in [`Config::namespace`].
    Cluster {
        /// The Secret's name.
        secret: String,
        /// The key it must have.
        key: String,
        /// The command that creates it (shown as the fix).
        create: String,
    },
}

/// How much a secret matters when absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Blocking when absent.
    Required,
    /// Absent is fine: the chart generates it once and keeps it across upgrades.
    Generated,
    /// Absent only turns a feature off (shown as info).
    Optional,
}

/// Free-disk thresholds for the place images and the Minikube node live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskCheck {
    /// The directory to measure; `None`: `$MINIKUBE_HOME`, else `$HOME/.minikube`, else
    /// `$HOME`, else `/` (the first that exists).
    pub path: Option<PathBuf>,
    /// Less free space than this is a warning.
    pub warn_below: u64,
    /// Less free space than this is a blocking problem.
    pub fail_below: u64,
}

/// One gibibyte.
pub const GIB: u64 = 1024 * 1024 * 1024;

impl Default for DiskCheck {
    fn default() -> DiskCheck {
        DiskCheck {
            path: None,
            warn_below: 10 * GIB,
            fail_below: 3 * GIB,
        }
    }
}

/// A snapshot of environment variables. Its `Debug` shows the names only, so a secret's value
/// cannot leak through a debug print.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The current process environment (variables that are not UTF-8 are left out).
    pub fn from_process() -> Env {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// An environment with exactly these variables.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Sets a variable.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(key.into(), value.into());
    }

    /// Removes a variable.
    pub fn remove(&mut self, key: &str) {
        self.vars.remove(key);
    }

    /// The variable's value, when set and not empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub(crate) fn lookup(&self, key: &str) -> Option<OsString> {
        self.get(key).map(OsString::from)
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}
