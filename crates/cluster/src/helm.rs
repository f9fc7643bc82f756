//! Helm 3 and Helm 4 (`chart_values::HelmMajor`): version detection and the flags that differ
//! between them.

use std::path::Path;
use std::time::Duration;

use exec::Cmd;

use crate::error::{Error, Result};
use crate::kubectl::parse_json;

pub use chart_values::HelmMajor;

/// A helm of a known major version, pinned to a kube context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Helm {
    program: String,
    major: HelmMajor,
    context: Option<String>,
}

/// `helm status -o json`, the parts we use.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ReleaseStatus {
    /// Release name.
    pub name: String,
    /// Namespace.
    #[serde(default)]
    pub namespace: String,
    /// Revision number.
    pub version: u32,
    /// Status details.
    pub info: ReleaseInfo,
}

/// The `info` of a release.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ReleaseInfo {
    /// `deployed`, `failed`, `pending-upgrade`, ...
    pub status: String,
    /// Helm's description of the last operation.
    #[serde(default)]
    pub description: String,
}

impl Helm {
    /// Runs `helm version --short` and keeps the major version.
    pub fn detect(program: impl Into<String>) -> Result<Helm> {
        let program = program.into();
        let cmd = Cmd::new(program.clone())
            .args(["version", "--short"])
            .timeout(Duration::from_secs(30));
        let out = cmd.run()?;
        let major = HelmMajor::parse(&out.stdout).ok_or_else(|| Error::HelmVersion {
            command: cmd.to_string(),
            found: out.stdout.trim().to_owned(),
        })?;
        Ok(Helm {
            program,
            major,
            context: None,
        })
    }

    /// A helm whose major version is already known.
    pub fn new(program: impl Into<String>, major: HelmMajor) -> Helm {
        Helm {
            program: program.into(),
            major,
            context: None,
        }
    }

    /// Pins every command to `context` (`--kube-context`).
    pub fn with_context(mut self, context: impl Into<String>) -> Helm {
        self.context = Some(context.into());
        self
    }

    /// The major version.
    pub fn major(&self) -> HelmMajor {
        self.major
    }

    /// Flags that make an upgrade wait for readiness and undo itself on failure.
    pub fn wait_and_rollback_flags(&self) -> &'static [&'static str] {
        match self.major {
            HelmMajor::V3 => &["--atomic", "--wait"],
            HelmMajor::V4 => &["--rollback-on-failure", "--wait=watcher"],
        }
    }

    /// The flag that makes a rollback or uninstall wait.
    pub fn wait_flag(&self) -> &'static str {
        match self.major {
            HelmMajor::V3 => "--wait",
            HelmMajor::V4 => "--wait=watcher",
        }
    }

    /// `helm [--kube-context C]`.
    pub fn cmd(&self) -> Cmd {
        let cmd = Cmd::new(self.program.clone());
        match &self.context {
            Some(context) => cmd.arg("--kube-context").arg(context.clone()),
            None => cmd,
        }
    }

    /// The release's status, or `None` when it is not installed.
    pub fn status(&self, release: &str, namespace: &str) -> Result<Option<ReleaseStatus>> {
        let cmd = self
            .cmd()
            .args([
                "status",
                release,
                "--namespace",
                namespace,
                "--output",
                "json",
            ])
            .timeout(Duration::from_secs(60));
        let out = cmd.run_unchecked()?;
        if !out.success() {
            if out.stderr.contains("not found") {
                return Ok(None);
            }
            return Err(exec::Error::Failed {
                command: cmd.to_string(),
                status: out.status,
                stderr: out.stderr,
            }
            .into());
        }
        parse_json(&cmd, &out.stdout).map(Some)
    }

    /// The manifest of the deployed release (`helm get manifest`).
    pub fn manifest(&self, release: &str, namespace: &str) -> Result<String> {
        Ok(self
            .cmd()
            .args(["get", "manifest", release, "--namespace", namespace])
            .timeout(Duration::from_secs(60))
            .run()?
            .stdout)
    }

    /// `helm template` of `chart` with these value arguments, offline, for checking that a
    /// plan's inputs render before anything is touched.
    pub fn template(
        &self,
        release: &str,
        namespace: &str,
        chart: &Path,
        value_args: &[String],
        kube_version: &str,
    ) -> Result<String> {
        Ok(Cmd::new(self.program.clone())
            .args(["template", release])
            .arg(chart.display().to_string())
            .args(["--namespace", namespace, "--kube-version", kube_version])
            .args(value_args.iter().cloned())
            .timeout(Duration::from_secs(60))
            .run()?
            .stdout)
    }
}

/// Helm's duration syntax (`300s`).
pub fn duration_arg(d: Duration) -> String {
    format!("{}s", d.as_secs())
}
