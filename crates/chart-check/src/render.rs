//! Rendering a chart with real helm (Helm 4 as `helm`, Helm 3 as `helm3`), per profile.

use std::path::{Path, PathBuf};
use std::time::Duration;

use exec::Cmd;

use crate::error::{Error, Result};

/// The profile that uses `values.yaml` alone.
pub const DEFAULT_PROFILE: &str = "default";

/// How to render a chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Render {
    /// The chart directory (holds Chart.yaml).
    pub chart: PathBuf,
    /// Release name (resource names derive from it).
    pub release: String,
    /// Namespace.
    pub namespace: String,
    /// Kubernetes version passed as `--kube-version` (the API capabilities templates see).
    pub kube_version: String,
    /// The helm program: `helm` (Helm 4; `$HELM` overrides), `helm3`, or a path.
    pub helm: String,
    /// Extra values files, after the profile's.
    pub values: Vec<PathBuf>,
}

impl Render {
    /// Renders `chart` for Kubernetes `kube_version` (as `--kube-version` takes it, `1.33.1`);
    /// the other defaults: release and namespace `todo-chatbot`, `helm`.
    pub fn new(chart: impl Into<PathBuf>, kube_version: impl Into<String>) -> Self {
        Self {
            chart: chart.into(),
            release: "todo-chatbot".into(),
            namespace: "todo-chatbot".into(),
            kube_version: kube_version.into(),
            helm: "helm".into(),
            values: Vec::new(),
        }
    }

    /// The chart's profiles: `default` plus one per `values-<name>.yaml`.
    pub fn profiles(&self) -> Result<Vec<String>> {
        self.ensure_chart()?;
        let dir = std::fs::read_dir(&self.chart).map_err(|e| Error::io(&self.chart, e))?;
        let mut names: Vec<String> = dir
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_prefix("values-")
                    .and_then(|n| n.strip_suffix(".yaml"))
                    .map(str::to_owned)
            })
            .collect();
        names.sort();
        names.insert(0, DEFAULT_PROFILE.into());
        Ok(names)
    }

    fn ensure_chart(&self) -> Result<()> {
        if self.chart.join("Chart.yaml").is_file() {
            Ok(())
        } else {
            Err(Error::NotAChart(self.chart.clone()))
        }
    }

    /// The values file of a profile (None for `default`).
    pub fn profile_values(&self, profile: &str) -> Result<Option<PathBuf>> {
        if profile == DEFAULT_PROFILE {
            return Ok(None);
        }
        let path = self.chart.join(format!("values-{profile}.yaml"));
        if path.is_file() {
            Ok(Some(path))
        } else {
            Err(Error::UnknownProfile {
                profile: profile.into(),
                expected: path,
                found: self.profiles()?.join(", "),
            })
        }
    }

    /// The `helm template` command for a profile.
    pub fn command(&self, profile: &str) -> Result<Cmd> {
        self.ensure_chart()?;
        let mut cmd = Cmd::new(&self.helm)
            .arg("template")
            .arg(&self.release)
            .arg(self.chart.to_string_lossy())
            .args(["--namespace", &self.namespace])
            .args(["--kube-version", &self.kube_version])
            .timeout(Duration::from_secs(120));
        for v in self.profile_values(profile)?.iter().chain(&self.values) {
            cmd = cmd.arg("--values").arg(v.to_string_lossy());
        }
        Ok(cmd)
    }

    /// Renders a profile; returns the multi-document output.
    pub fn render(&self, profile: &str) -> Result<String> {
        Ok(self.command(profile)?.run()?.stdout)
    }

    /// `helm version --short` of the configured helm (e.g. `v4.1.4+g...`).
    pub fn helm_version(&self) -> Result<String> {
        let out = Cmd::new(&self.helm)
            .args(["version", "--short"])
            .timeout(Duration::from_secs(30))
            .run()?;
        Ok(out.stdout.trim().to_owned())
    }
}

/// Reads manifests from a file, or stdin for `-`.
pub fn read_manifests(path: &Path) -> Result<String> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| Error::io("<stdin>", e))?;
        return Ok(s);
    }
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}
