//! Deploy, roll back and tear down the release.

use std::collections::HashSet;
use std::fmt;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chart_values::{JWT_SECRET, OPENAI_API_KEY, POSTGRES_PASSWORD, SecretInput};
use exec::{Cmd, Runner};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;

use crate::context::{Target, resolve_target};
use crate::error::{Error, Result};
use crate::helm::{Helm, HelmMajor, duration_arg};
use crate::kubectl::{Kubectl, parse_json};
use crate::problem::FixContext;
use crate::rollout::{RolloutFailure, create_refusal, event_key, fatal_problem, retried_pulls};
use crate::tools::Tools;

/// The release name and namespace the chart contract names.
pub const DEFAULT_RELEASE: &str = "todo-chatbot";
/// See [`DEFAULT_RELEASE`].
pub const DEFAULT_NAMESPACE: &str = "todo-chatbot";

/// The label the chart's helpers put on every object of a release, valued the release name.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// The label naming an object's part of the app: `backend`, `frontend`, `database`, `test`.
pub const COMPONENT_LABEL: &str = "app.kubernetes.io/component";

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

    /// Where fixes are carried out: the namespace, and the Minikube profile when the target
    /// is one.
    pub fn fix_context(&self) -> FixContext<'_> {
        FixContext {
            namespace: &self.namespace,
            minikube_profile: self.target.minikube_profile.as_deref(),
        }
    }

    /// The label selector of every pod of the release.
    pub fn release_selector(&self) -> String {
        format!("{INSTANCE_LABEL}={}", self.release)
    }

    /// The selector of one component (`backend`, `frontend`, `database`).
    pub fn component_selector(&self, component: &str) -> String {
        format!("{},{COMPONENT_LABEL}={component}", self.release_selector())
    }

    /// The release's `K` for `component`, as the API server has it: found by the chart's
    /// labels, so a long release name or `fullnameOverride` needs no guessing at names.
    pub fn component_object<K>(&self, component: &str) -> Result<K>
    where
        K: k8s_openapi::Resource + serde::de::DeserializeOwned,
    {
        let selector = self.component_selector(component);
        self.kubectl()
            .list::<K>(&selector)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NoObject {
                kind: K::KIND,
                component: component.to_owned(),
                namespace: self.namespace.clone(),
                selector,
            })
    }
}

/// Which values profile to deploy: the same profiles `chart-values` checks.
pub use chart_values::Profile;

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
    /// `secrets.jwtSecret` (at least [`JWT_SECRET`]`.min_bytes`).
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
    /// Reads each secret's variable ([`SecretInput::env`]: `JWT_SECRET`, `POSTGRES_PASSWORD`,
    /// `OPENAI_API_KEY`) through `lookup` (pass `|k| std::env::var(k).ok()`); empty values
    /// count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Secrets> {
        let get = |input: SecretInput| lookup(input.env).filter(|v| !v.is_empty());
        let secrets = Secrets {
            jwt_secret: get(JWT_SECRET),
            postgres_password: get(POSTGRES_PASSWORD),
            openai_api_key: get(OPENAI_API_KEY),
        };
        for (input, value) in secrets.inputs() {
            if value.is_some_and(|v| v.len() < input.min_bytes) {
                return Err(Error::Invalid(format!(
                    "{} must be at least {} bytes: generate one with `openssl rand -hex 32`, or unset it to let the chart generate and keep one",
                    input.env, input.min_bytes
                )));
            }
        }
        if let Some(p) = &secrets.postgres_password
            && !p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        {
            return Err(Error::Invalid(format!(
                "{} may only contain URL-safe characters (A-Z a-z 0-9 - . _ ~): it is embedded in DATABASE_URL",
                POSTGRES_PASSWORD.env
            )));
        }
        Ok(secrets)
    }

    /// Each secret beside its value, if set.
    fn inputs(&self) -> [(SecretInput, Option<&str>); 3] {
        [
            (JWT_SECRET, self.jwt_secret.as_deref()),
            (POSTGRES_PASSWORD, self.postgres_password.as_deref()),
            (OPENAI_API_KEY, self.openai_api_key.as_deref()),
        ]
    }

    /// The values keys that are set (for plans and logs).
    pub fn keys(&self) -> Vec<&'static str> {
        self.inputs()
            .into_iter()
            .filter_map(|(input, value)| value.map(|_| input.values_key))
            .collect()
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.keys().is_empty()
    }

    /// The values document (JSON, which Helm reads as YAML): each set value at its dotted key.
    fn values(&self) -> serde_json::Value {
        let mut doc = serde_json::Value::Object(serde_json::Map::new());
        for (input, value) in self.inputs() {
            let Some(value) = value else { continue };
            let mut node = &mut doc;
            for part in input.values_key.split('.') {
                node = node
                    .as_object_mut()
                    .expect("values keys nest objects only")
                    .entry(part)
                    .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            }
            *node = value.into();
        }
        doc
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
    /// The Kubernetes version the offline render and the chart check assume
    /// ([`DEFAULT_KUBE_VERSION`](crate::minikube::DEFAULT_KUBE_VERSION)).
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
            kube_version: crate::minikube::DEFAULT_KUBE_VERSION.into(),
            secrets: Secrets::default(),
        }
    }

    /// The merged values this deploy installs (profile, then the extra files), typed.
    pub fn values(&self) -> Result<chart_values::model::Values> {
        let inputs = chart_values::Inputs {
            files: self.extra_values.clone(),
            ..chart_values::Inputs::new(&self.chart).profile(self.profile)
        };
        let merged = chart_values::merge(&inputs).map_err(|e| Error::Invalid(e.to_string()))?;
        chart_values::typed(&merged).map_err(Error::Invalid)
    }

    /// The Pod Security level the release's pods need, read from the merged values: `baseline`
    /// when the database's root chown init container is on, `restricted` otherwise. The
    /// namespace is labelled with it, so admission refuses anything weaker than the chart's own
    /// pods — and does not refuse the init container the values ask for.
    pub fn pod_security(&self) -> Result<PodSecurityLevel> {
        let postgresql = self.values()?.postgresql;
        Ok(
            if postgresql.enabled && postgresql.volume_permissions.enabled {
                PodSecurityLevel::Baseline
            } else {
                PodSecurityLevel::Restricted
            },
        )
    }

    /// `--values`/`--set-string` arguments; `secrets_file` is the 0600 file's path (or a
    /// placeholder in a plan).
    fn value_args(&self, secrets_file: Option<&str>) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(file) = self.profile.file_name() {
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
        .args(helm.wait_and_rollback_flags().iter().copied())
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
        for cmd in namespace_cmds(cluster, options.pod_security()?) {
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

    refuse_claim_template_changes(&helm, cluster, options)?;

    for cmd in namespace_cmds(cluster, options.pod_security()?) {
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
    documents(a) == documents(b)
}

/// The non-empty documents of a rendered manifest stream, trimmed.
fn documents(text: &str) -> Vec<String> {
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

/// What in `rendered` would change `live`'s volume claim templates, one line per field: the API
/// server refuses any such change to a StatefulSet, so helm would fail half-way through.
pub fn claim_template_changes(live: &StatefulSet, rendered: &StatefulSet) -> Vec<String> {
    fn claims(sts: &StatefulSet) -> Vec<(String, [String; 3])> {
        let templates = sts
            .spec
            .as_ref()
            .and_then(|s| s.volume_claim_templates.clone())
            .unwrap_or_default();
        templates
            .into_iter()
            .map(|claim| {
                let spec = claim.spec.unwrap_or_default();
                let size = spec
                    .resources
                    .and_then(|r| r.requests)
                    .and_then(|r| r.get("storage").map(|q| q.0.clone()))
                    .unwrap_or_default();
                let class = spec
                    .storage_class_name
                    .unwrap_or_else(|| "<cluster default>".into());
                let modes = spec.access_modes.unwrap_or_default().join(",");
                (
                    claim.metadata.name.unwrap_or_default(),
                    [size, class, modes],
                )
            })
            .collect()
    }
    let name = live.metadata.name.clone().unwrap_or_default();
    let (before, after) = (claims(live), claims(rendered));
    let mut changes = Vec::new();
    for (claim, new) in &after {
        match before.iter().find(|(c, _)| c == claim) {
            None => changes.push(format!("{name}: a new claim template `{claim}`")),
            Some((_, old)) => {
                for (field, (old, new)) in ["size", "storage class", "access modes"]
                    .iter()
                    .zip(old.iter().zip(new))
                {
                    if old != new {
                        changes.push(format!("{name}: claim `{claim}` {field} {old} → {new}"));
                    }
                }
            }
        }
    }
    for (claim, _) in &before {
        if !after.iter().any(|(c, _)| c == claim) {
            changes.push(format!("{name}: claim template `{claim}` removed"));
        }
    }
    changes
}

/// Refuses, before helm runs, an upgrade that would change a deployed StatefulSet's volume
/// claim templates (a profile switch that resizes the database volume, say).
fn refuse_claim_template_changes(
    helm: &Helm,
    cluster: &Cluster,
    options: &DeployOptions,
) -> Result<()> {
    let live = cluster
        .kubectl()
        .statefulsets(&cluster.release_selector())?;
    if live.is_empty() {
        return Ok(());
    }
    let manifest = helm.template(
        &cluster.release,
        &cluster.namespace,
        &options.chart,
        &options.value_args(None),
        &options.kube_version,
    )?;
    let rendered: Vec<StatefulSet> = documents(&manifest)
        .iter()
        .filter(|d| d.lines().any(|l| l.trim_end() == "kind: StatefulSet"))
        .filter_map(|d| serde_saphyr::from_str(d).ok())
        .collect();
    let changes: Vec<String> = live
        .iter()
        .flat_map(|old| {
            rendered
                .iter()
                .filter(|new| new.metadata.name == old.metadata.name)
                .flat_map(|new| claim_template_changes(old, new))
        })
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "refusing to upgrade release {}: the API server forbids changing a StatefulSet's volume claim templates, and these values would:\n  {}\n\
         fix: keep the deployed values (e.g. set postgresql.persistence.size and .storageClass to what is deployed, in a values file), \
         or move the data to a new volume: `just backup`, `just down --purge`, `just deploy`, `just restore FILE`",
        cluster.release,
        changes.join("\n  ")
    )))
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
    // Events are deduplicated into one object whose count grows; what is already there is
    // an earlier rollout's.
    let seen_events: HashSet<(String, i32)> = kubectl
        .events()
        .map(|events| events.iter().map(event_key).collect())
        .unwrap_or_default();
    let child = cmd.spawn()?;
    let mut noted = HashSet::new();
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
        let refused = || {
            kubectl
                .events()
                .ok()
                .and_then(|events| create_refusal(&events, &seen_events))
        };
        if let Some(failure) = fatal_problem(&pods, &cluster.fix_context()).or_else(refused) {
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
        for pull in retried_pulls(&pods) {
            if noted.insert(pull.pod.clone()) {
                on_line(&format!(
                    "{}: {} for {} — the kubelet retries the pull; waiting up to {}",
                    pull.pod,
                    pull.reason,
                    pull.image,
                    duration_arg(timeout)
                ));
            }
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
    if failure.has_logs() {
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
        .arg(helm.wait_flag())
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
        .arg(helm.wait_flag())
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
            // The chart's own Secret carries the release's labels; an `existingSecret` of the
            // user's does not, and stays.
            kubectl.cmd().args([
                "delete",
                "secrets",
                "--selector",
                &cluster.release_selector(),
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
