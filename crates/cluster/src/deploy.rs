//! Deploy, roll back and tear down the release.

use std::collections::HashSet;
use std::fmt;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use exec::{Cmd, Runner};
use k8s_openapi::api::core::v1::Pod;

use crate::context::{Target, resolve_target};
use crate::error::{Error, Result};
use crate::helm::{Helm, HelmMajor, duration_arg};
use crate::kubectl::{Kubectl, parse_json};
use crate::rollout::{RolloutFailure, fatal_problem, has_logs};
use crate::tools::Tools;

/// The release name and namespace the chart contract names.
pub const DEFAULT_RELEASE: &str = "todo-chatbot";
/// See [`DEFAULT_RELEASE`].
pub const DEFAULT_NAMESPACE: &str = "todo-chatbot";

/// Where the commands go: tools, the context they are pinned to, the namespace and release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// The tools to run.
    pub tools: Tools,
    /// The chosen context.
    pub target: Target,
    /// The release namespace.
    pub namespace: String,
    /// The Helm release name.
    pub release: String,
}

impl Cluster {
    /// Resolves the target context (see [`resolve_target`]: the Minikube `profile`'s context,
    /// or `explicit`; anything else is refused) for `release` in `namespace`.
    pub fn connect(
        tools: Tools,
        profile: &str,
        explicit_context: Option<&str>,
        namespace: &str,
        release: &str,
        dry_run: bool,
    ) -> Result<Cluster> {
        let probe = Kubectl::new(tools.kubectl.clone(), namespace);
        let target = resolve_target(&probe, profile, explicit_context, dry_run)?;
        Ok(Cluster {
            tools,
            target,
            namespace: namespace.to_owned(),
            release: release.to_owned(),
        })
    }

    /// kubectl pinned to the target context and namespace.
    pub fn kubectl(&self) -> Kubectl {
        Kubectl::new(self.tools.kubectl.clone(), self.namespace.clone())
            .with_context(self.target.context.clone())
    }

    /// helm (major version detected) pinned to the target context.
    pub fn helm(&self) -> Result<Helm> {
        Ok(Helm::detect(self.tools.helm.clone())?.with_context(self.target.context.clone()))
    }

    /// The label selector of every pod of the release.
    pub fn release_selector(&self) -> String {
        format!("app.kubernetes.io/instance={}", self.release)
    }

    /// The selector of one component (`backend`, `frontend`, `database`).
    pub fn component_selector(&self, component: &str) -> String {
        format!(
            "{},app.kubernetes.io/component={component}",
            self.release_selector()
        )
    }

    /// The chart's resource name prefix for this release (`todo-chatbot.fullname`).
    pub fn fullname(&self) -> String {
        fullname(&self.release)
    }
}

/// `todo-chatbot.fullname` of the chart without overrides: the release name when it contains
/// `todo-chatbot`, else `<release>-todo-chatbot`.
pub fn fullname(release: &str) -> String {
    let name = if release.contains("todo-chatbot") {
        release.to_owned()
    } else {
        format!("{release}-todo-chatbot")
    };
    name.chars()
        .take(50)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// Which values profile to deploy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Profile {
    /// `values.yaml` only.
    Default,
    /// `values-dev.yaml` on top (Minikube).
    Dev,
    /// `values-prod.yaml` on top.
    Prod,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 3] = [Profile::Dev, Profile::Default, Profile::Prod];

    /// The profile's values file inside the chart, if any.
    pub fn values_file(self) -> Option<&'static str> {
        match self {
            Profile::Default => None,
            Profile::Dev => Some("values-dev.yaml"),
            Profile::Prod => Some("values-prod.yaml"),
        }
    }

    /// `dev`, `default`, `prod`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Dev => "dev",
            Profile::Prod => "prod",
        }
    }

    /// Parses a profile name.
    pub fn parse(name: &str) -> Result<Profile> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "unknown profile `{name}`: use dev, default or prod"
                ))
            })
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The Pod Security Standard the namespace enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum PodSecurityLevel {
    /// Every pod hardened (the chart's default).
    Restricted,
    /// Needed only with `postgresql.volumePermissions.enabled` (a root chown init container).
    Baseline,
}

impl PodSecurityLevel {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            PodSecurityLevel::Restricted => "restricted",
            PodSecurityLevel::Baseline => "baseline",
        }
    }
}

/// Secrets handed to the chart. They reach helm only through a 0600 temporary values file,
/// never argv; `Debug` shows which are set, never their values. Unset ones are generated by
/// the chart once and preserved across upgrades.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// `secrets.jwtSecret` (at least 32 bytes).
    pub jwt_secret: Option<String>,
    /// `postgresql.auth.password`.
    pub postgres_password: Option<String>,
    /// `secrets.openaiApiKey`.
    pub openai_api_key: Option<String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("set", &self.keys())
            .finish()
    }
}

impl Secrets {
    /// Reads `JWT_SECRET`, `POSTGRES_PASSWORD` and `OPENAI_API_KEY` through `lookup` (pass
    /// `|k| std::env::var(k).ok()`); empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Secrets> {
        let get = |k: &str| lookup(k).filter(|v| !v.is_empty());
        let secrets = Secrets {
            jwt_secret: get("JWT_SECRET"),
            postgres_password: get("POSTGRES_PASSWORD"),
            openai_api_key: get("OPENAI_API_KEY"),
        };
        if secrets.jwt_secret.as_ref().is_some_and(|s| s.len() < 32) {
            return Err(Error::Invalid(
                "JWT_SECRET must be at least 32 bytes: generate one with `openssl rand -hex 32`, or unset it to let the chart generate and keep one".into(),
            ));
        }
        if let Some(p) = &secrets.postgres_password
            && !p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        {
            return Err(Error::Invalid(
                "POSTGRES_PASSWORD may only contain URL-safe characters (A-Z a-z 0-9 - . _ ~): it is embedded in DATABASE_URL".into(),
            ));
        }
        Ok(secrets)
    }

    /// The values keys that are set (for plans and logs).
    pub fn keys(&self) -> Vec<&'static str> {
        [
            ("secrets.jwtSecret", self.jwt_secret.is_some()),
            ("postgresql.auth.password", self.postgres_password.is_some()),
            ("secrets.openaiApiKey", self.openai_api_key.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect()
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.keys().is_empty()
    }

    /// The values document (JSON, which Helm reads as YAML).
    fn values(&self) -> serde_json::Value {
        let mut secrets = serde_json::Map::new();
        if let Some(v) = &self.jwt_secret {
            secrets.insert("jwtSecret".into(), v.clone().into());
        }
        if let Some(v) = &self.openai_api_key {
            secrets.insert("openaiApiKey".into(), v.clone().into());
        }
        let mut doc = serde_json::Map::new();
        if !secrets.is_empty() {
            doc.insert("secrets".into(), secrets.into());
        }
        if let Some(v) = &self.postgres_password {
            doc.insert(
                "postgresql".into(),
                serde_json::json!({"auth": {"password": v}}),
            );
        }
        doc.into()
    }

    /// Writes the values to a new 0600 temporary file, removed when the handle drops.
    pub fn write_values_file(&self) -> Result<tempfile::NamedTempFile> {
        let io = |source| Error::Io {
            action: "writing the secrets values file in",
            path: std::env::temp_dir(),
            source,
        };
        let mut file = tempfile::Builder::new()
            .prefix("todo-chatbot-secrets-")
            .suffix(".yaml")
            .permissions(std::fs::Permissions::from_mode(0o600))
            .tempfile()
            .map_err(io)?;
        let text =
            serde_json::to_string(&self.values()).map_err(|e| Error::Invalid(e.to_string()))?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(file)
    }
}

/// Everything a deploy needs besides the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployOptions {
    /// The chart directory (`helm/todo-chatbot`).
    pub chart: PathBuf,
    /// The values profile.
    pub profile: Profile,
    /// More values files, applied after the profile's.
    pub extra_values: Vec<PathBuf>,
    /// `backend.image.tag` (the content hash); `None` keeps the chart's.
    pub backend_tag: Option<String>,
    /// `frontend.image.tag`.
    pub frontend_tag: Option<String>,
    /// How long helm waits for readiness before rolling back.
    pub timeout: Duration,
    /// The namespace's Pod Security level.
    pub pod_security: PodSecurityLevel,
    /// The Kubernetes version the offline render check assumes (`1.33.1`).
    pub kube_version: String,
    /// Secrets for the chart.
    pub secrets: Secrets,
}

impl DeployOptions {
    /// Options for `profile` with the chart at `chart` and defaults elsewhere.
    pub fn new(chart: impl Into<PathBuf>, profile: Profile) -> DeployOptions {
        DeployOptions {
            chart: chart.into(),
            profile,
            extra_values: Vec::new(),
            backend_tag: None,
            frontend_tag: None,
            timeout: Duration::from_secs(300),
            pod_security: PodSecurityLevel::Restricted,
            kube_version: "1.33.1".into(),
            secrets: Secrets::default(),
        }
    }

    /// `--values`/`--set-string` arguments; `secrets_file` is the 0600 file's path (or a
    /// placeholder in a plan).
    fn value_args(&self, secrets_file: Option<&str>) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(file) = self.profile.values_file() {
            args.push("--values".into());
            args.push(self.chart.join(file).display().to_string());
        }
        for file in &self.extra_values {
            args.push("--values".into());
            args.push(file.display().to_string());
        }
        if let Some(file) = secrets_file {
            args.push("--values".into());
            args.push(file.into());
        }
        for (key, tag) in [
            ("backend.image.tag", &self.backend_tag),
            ("frontend.image.tag", &self.frontend_tag),
        ] {
            if let Some(tag) = tag {
                args.push("--set-string".into());
                args.push(format!("{key}={tag}"));
            }
        }
        args
    }
}

/// What a deploy did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DeployOutcome {
    /// Dry run: the commands were recorded in the runner, nothing ran.
    Planned {
        /// The Helm major the plan is for.
        helm: HelmMajor,
    },
    /// The rendered release equals the deployed one: no upgrade ran, no new revision.
    Unchanged {
        /// The deployed revision.
        revision: u32,
    },
    /// helm upgraded (or installed) the release and every pod became ready.
    Deployed {
        /// The new revision.
        revision: u32,
        /// The Helm major used.
        helm: HelmMajor,
    },
}

/// The namespace commands: create it (an existing one is fine) and label it with the Pod
/// Security Standard, so admission rejects any pod weaker than the chart promises.
pub fn namespace_cmds(cluster: &Cluster, level: PodSecurityLevel) -> [Cmd; 2] {
    let kubectl = cluster.kubectl();
    let level = level.label();
    [
        kubectl
            .global_cmd()
            .args(["create", "namespace", &cluster.namespace]),
        kubectl.global_cmd().args([
            "label",
            "namespace",
            &cluster.namespace,
            "--overwrite",
            &format!("pod-security.kubernetes.io/enforce={level}"),
            "pod-security.kubernetes.io/enforce-version=latest",
            &format!("pod-security.kubernetes.io/warn={level}"),
            &format!("pod-security.kubernetes.io/audit={level}"),
        ]),
    ]
}

/// The `helm upgrade --install` command with the flags of `helm`'s major version.
pub fn upgrade_cmd(
    helm: &Helm,
    cluster: &Cluster,
    options: &DeployOptions,
    secrets_file: Option<&str>,
) -> Cmd {
    base_upgrade_cmd(helm, cluster, options, secrets_file)
        .args(helm.major().wait_and_rollback_flags().iter().copied())
        .args([
            "--cleanup-on-fail",
            "--timeout",
            &duration_arg(options.timeout),
        ])
        .args(["--history-max", "10"])
        // helm's own timeout plus time to roll back; a hung helm is killed after that.
        .timeout(options.timeout * 2 + Duration::from_secs(60))
}

fn base_upgrade_cmd(
    helm: &Helm,
    cluster: &Cluster,
    options: &DeployOptions,
    secrets_file: Option<&str>,
) -> Cmd {
    helm.cmd()
        .args(["upgrade", "--install", &cluster.release])
        .arg(options.chart.display().to_string())
        .args(["--namespace", &cluster.namespace, "--create-namespace"])
        .args(options.value_args(secrets_file))
}

/// The placeholder a plan shows instead of the secrets file's random path.
pub fn secrets_placeholder(secrets: &Secrets) -> String {
    format!("<0600 temp file: {}>", secrets.keys().join(", "))
}

/// Deploys the release: namespace with Pod Security labels, then `helm upgrade --install`
/// that waits and rolls back on failure, while pods are watched so a pod that cannot recover
/// (image missing, crash loop, missing Secret/ConfigMap) stops the deploy at once with the
/// reason and its last log lines. A release whose server-side render equals what is deployed
/// is left alone ([`DeployOutcome::Unchanged`]).
///
/// With a dry-run `runner`, the chart is rendered offline with the same values (real helm,
/// so a plan that cannot render fails here) and the mutating commands are recorded.
/// `on_line` receives progress lines (helm's output, watch notes).
pub fn deploy(
    runner: &Runner,
    cluster: &Cluster,
    options: &DeployOptions,
    mut on_line: impl FnMut(&str),
) -> Result<DeployOutcome> {
    let helm = cluster.helm()?;
    if runner.is_dry_run() {
        // Offline render with every non-secret input: catches a bad profile, tag or chart.
        helm.template(
            &cluster.release,
            &cluster.namespace,
            &options.chart,
            &options.value_args(None),
            &options.kube_version,
        )?;
        for cmd in namespace_cmds(cluster, options.pod_security) {
            runner.run(&cmd)?;
        }
        let placeholder =
            (!options.secrets.is_empty()).then(|| secrets_placeholder(&options.secrets));
        runner.run(&upgrade_cmd(
            &helm,
            cluster,
            options,
            placeholder.as_deref(),
        ))?;
        return Ok(DeployOutcome::Planned { helm: helm.major() });
    }

    let secrets_file = if options.secrets.is_empty() {
        None
    } else {
        Some(options.secrets.write_values_file()?)
    };
    let secrets_path = secrets_file
        .as_ref()
        .map(|f| f.path().display().to_string());

    if let Some(revision) = unchanged_revision(&helm, cluster, options, secrets_path.as_deref())? {
        on_line(&format!(
            "release {} revision {revision} already matches: unchanged",
            cluster.release
        ));
        return Ok(DeployOutcome::Unchanged { revision });
    }

    for cmd in namespace_cmds(cluster, options.pod_security) {
        let out = runner.run_unchecked(&cmd)?;
        if !out.success() && !out.stderr.contains("AlreadyExists") {
            return Err(exec::Error::Failed {
                command: cmd.to_string(),
                status: out.status,
                stderr: out.stderr,
            }
            .into());
        }
    }

    let cmd = upgrade_cmd(&helm, cluster, options, secrets_path.as_deref());
    on_line(&format!("$ {cmd}"));
    watch_upgrade(cluster, &cmd, options.timeout, &mut on_line)?;
    drop(secrets_file);
    let revision = helm
        .status(&cluster.release, &cluster.namespace)?
        .map(|s| s.version)
        .unwrap_or_default();
    Ok(DeployOutcome::Deployed {
        revision,
        helm: helm.major(),
    })
}

/// The deployed revision when a server-side dry-run renders exactly the deployed manifest.
fn unchanged_revision(
    helm: &Helm,
    cluster: &Cluster,
    options: &DeployOptions,
    secrets_file: Option<&str>,
) -> Result<Option<u32>> {
    let Some(status) = helm.status(&cluster.release, &cluster.namespace)? else {
        return Ok(None);
    };
    if status.info.status != "deployed" {
        return Ok(None);
    }
    let cmd = base_upgrade_cmd(helm, cluster, options, secrets_file)
        .args(["--dry-run=server", "--output", "json"])
        .timeout(Duration::from_secs(120));
    #[derive(serde::Deserialize)]
    struct Rendered {
        #[serde(default)]
        manifest: String,
    }
    let rendered: Rendered = parse_json(&cmd, &cmd.run()?.stdout)?;
    let deployed = helm.manifest(&cluster.release, &cluster.namespace)?;
    Ok(same_manifest(&rendered.manifest, &deployed).then_some(status.version))
}

/// Whether two rendered manifests are the same release content (whitespace at the ends of
/// documents aside).
pub fn same_manifest(a: &str, b: &str) -> bool {
    fn docs(text: &str) -> Vec<String> {
        let mut docs = vec![String::new()];
        for line in text.lines() {
            if line.trim_end() == "---" {
                docs.push(String::new());
            } else if let Some(doc) = docs.last_mut() {
                doc.push_str(line.trim_end());
                doc.push('\n');
            }
        }
        docs.into_iter()
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
            .collect()
    }
    docs(a) == docs(b)
}

/// Runs helm in the background and polls the release's pods every two seconds; the first pod
/// in a fatal state stops helm with SIGTERM (it then rolls back, being `--atomic` /
/// `--rollback-on-failure`) and becomes the error.
fn watch_upgrade(
    cluster: &Cluster,
    cmd: &Cmd,
    timeout: Duration,
    on_line: &mut impl FnMut(&str),
) -> Result<()> {
    let kubectl = cluster.kubectl();
    let selector = cluster.release_selector();
    // Pods that exist before the upgrade are the old revision's: one of them crash looping is
    // what this deploy may be fixing, so only pods the upgrade creates can stop it.
    let before: HashSet<String> = kubectl
        .pods(&selector)
        .map(|pods| pods.iter().map(pod_key).collect())
        .unwrap_or_default();
    let child = cmd.spawn()?;
    loop {
        if let Some(out) = child.wait_timeout(Duration::from_secs(2))? {
            for line in out.stdout.lines() {
                on_line(&cmd.scrub(line));
            }
            if out.success() {
                return Ok(());
            }
            return Err(exec::Error::Failed {
                command: cmd.to_string(),
                status: out.status,
                stderr: cmd.scrub(&out.stderr),
            }
            .into());
        }
        // A failed read (API server busy during the rollout) is not a verdict; poll again.
        let Ok(pods) = kubectl.pods(&selector) else {
            continue;
        };
        let pods: Vec<Pod> = pods
            .into_iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none() && !before.contains(&pod_key(p)))
            .collect();
        if let Some(failure) = fatal_problem(&pods) {
            let failure = with_logs(&kubectl, failure);
            on_line(&format!(
                "{}: {} — stopping helm so it rolls back",
                failure.pod, failure.reason
            ));
            child.terminate()?;
            if child
                .wait_timeout(timeout + Duration::from_secs(60))?
                .is_none()
            {
                child.kill()?;
            }
            return Err(Error::Rollout(Box::new(failure)));
        }
    }
}

/// A pod's identity across polls: its UID (a recreated StatefulSet pod keeps its name but not
/// its UID), or its name when the UID is unknown.
fn pod_key(pod: &Pod) -> String {
    pod.metadata
        .uid
        .clone()
        .or_else(|| pod.metadata.name.clone())
        .unwrap_or_default()
}

/// Adds the container's last log lines (of the previous instance for a crash loop).
pub fn with_logs(kubectl: &Kubectl, mut failure: RolloutFailure) -> RolloutFailure {
    if has_logs(&failure.reason) {
        failure.logs = kubectl
            .logs(&failure.pod, Some(&failure.container), 20, true)
            .or_else(|_| kubectl.logs(&failure.pod, Some(&failure.container), 20, false))
            .unwrap_or_default();
    }
    failure
}

/// `helm rollback` to `revision` (the previous one when `None`), waiting for readiness.
pub fn rollback(
    runner: &Runner,
    cluster: &Cluster,
    revision: Option<u32>,
    timeout: Duration,
) -> Result<()> {
    let helm = cluster.helm()?;
    let mut cmd = helm.cmd().args(["rollback", &cluster.release]);
    if let Some(revision) = revision {
        cmd = cmd.arg(revision.to_string());
    }
    let cmd = cmd
        .args(["--namespace", &cluster.namespace])
        .arg(helm.major().wait_flag())
        .args(["--cleanup-on-fail", "--timeout", &duration_arg(timeout)])
        .timeout(timeout + Duration::from_secs(60));
    runner.run(&cmd)?;
    Ok(())
}

/// What `down` removed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DownOutcome {
    /// Whether a release was uninstalled (false when none was installed).
    pub uninstalled: bool,
    /// Whether the PVC (the database), the kept Secret and the namespace were deleted too.
    pub purged: bool,
}

/// Uninstalls the release. The database PVC and the chart's Secret (the password the data was
/// initialised with) stay unless `purge`, which also deletes them and the namespace.
pub fn down(
    runner: &Runner,
    cluster: &Cluster,
    purge: bool,
    timeout: Duration,
) -> Result<DownOutcome> {
    let helm = cluster.helm()?;
    let kubectl = cluster.kubectl();
    let uninstall = helm
        .cmd()
        .args([
            "uninstall",
            &cluster.release,
            "--namespace",
            &cluster.namespace,
        ])
        .arg(helm.major().wait_flag())
        .args(["--timeout", &duration_arg(timeout)])
        .timeout(timeout + Duration::from_secs(60));
    let out = runner.run_unchecked(&uninstall)?;
    let not_installed = out.stderr.contains("not found");
    if !out.success() && !not_installed {
        return Err(exec::Error::Failed {
            command: uninstall.to_string(),
            status: out.status,
            stderr: out.stderr,
        }
        .into());
    }
    if purge {
        let cmds = [
            kubectl.cmd().args([
                "delete",
                "persistentvolumeclaims",
                "--selector",
                &cluster.release_selector(),
                "--ignore-not-found",
                "--wait=true",
            ]),
            kubectl.cmd().args([
                "delete",
                "secret",
                &cluster.fullname(),
                "--ignore-not-found",
            ]),
            kubectl.global_cmd().args([
                "delete",
                "namespace",
                &cluster.namespace,
                "--ignore-not-found",
                "--wait=true",
            ]),
        ];
        for cmd in cmds {
            runner.run(&cmd.timeout(timeout))?;
        }
    }
    Ok(DownOutcome {
        uninstalled: !not_installed,
        purged: purge,
    })
}

/// The chart directory relative to the repository root.
pub fn default_chart(repo_root: &Path) -> PathBuf {
    repo_root.join("helm/todo-chatbot")
}
