//! `todoctl doctor`: what is wrong with the deployment and how to fix it, worked out from the
//! cluster's state (pods, events, PVCs, recent logs, Helm status) by fixed rules — offline
//! and deterministic: the same state always gives the same findings, in the same order.
//!
//! [`collect`] reads a [`ClusterState`] from a live cluster; [`diagnose`] is a pure function
//! of it, so every rule is tested on fixture states. [`RULES`] is also rendered as the README
//! troubleshooting table ([`rules_markdown`]).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Container, Event, PersistentVolumeClaim, Pod};

use cluster::helm::ReleaseStatus;
use cluster::minikube::{MinikubeOptions, resize_advice};
use cluster::{Cluster, CreateRefusal, FixContext, PodProblem};
use images::ImageRef;

use crate::error::Result;

/// One diagnosis rule, as documented in the troubleshooting table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Rule {
    /// Stable identifier (`image-not-loaded`).
    pub id: &'static str,
    /// What the user sees.
    pub symptom: &'static str,
    /// What doctor looks at and concludes.
    pub cause: &'static str,
    /// The fix.
    pub fix: &'static str,
}

/// Every rule, in the order findings are reported.
pub const RULES: &[Rule] = &[
    Rule {
        id: "image-not-loaded",
        symptom: "Pod stuck in `ErrImageNeverPull`, `ImagePullBackOff` or `ErrImagePull`",
        cause: "The image (content-hash tag) was never loaded into the cluster's container runtime, or was built outside it",
        fix: "`just deploy` loads what it builds (Minikube: `minikube -p PROFILE image load IMAGE`, check `minikube -p PROFILE image ls`; other clusters: `todoctl images load --context CONTEXT`)",
    },
    Rule {
        id: "missing-secret-or-configmap",
        symptom: "Pod stuck in `CreateContainerConfigError`",
        cause: "A Secret or ConfigMap (or a key in it) the pod references does not exist, e.g. `secrets.existingSecret` or `externalDatabase.existingSecret` names one never created",
        fix: "Create it (`kubectl -n NAMESPACE create secret generic NAME --from-file=KEY=FILE`) or unset the `existingSecret` value so the chart creates its own",
    },
    Rule {
        id: "pod-security-refused",
        symptom: "No pod appears; event `FailedCreate: … violates PodSecurity`; helm waits until its timeout",
        cause: "The namespace's Pod Security level refuses the pods the chart asks for (the event names each offending field)",
        fix: "Make the pods comply, or, when the values need a weaker level on purpose (`postgresql.volumePermissions` needs `baseline`), deploy with `just deploy`, which labels the namespace with the level the values need",
    },
    Rule {
        id: "pod-invalid",
        symptom: "No pod appears; event `FailedCreate: … is invalid`; helm waits until its timeout",
        cause: "The API server refuses the pods a controller builds, for a field the controller sets itself: a StatefulSet name over 52 characters makes its pods' `controller-revision-hash` label longer than 63",
        fix: "Use a shorter release name or `fullnameOverride` (`chart check` reports it as `statefulset-name-length`), then `just deploy`",
    },
    Rule {
        id: "crash-config-error",
        symptom: "Pod in `CrashLoopBackOff`; its log names an environment variable",
        cause: "The service rejected its configuration at start and exited naming the variable (e.g. `JWT_SECRET` too short, bad `DATABASE_URL`)",
        fix: "Fix the variable's source (the chart Secret key or values key doctor names), then `just deploy`",
    },
    Rule {
        id: "crash-loop",
        symptom: "Pod in `CrashLoopBackOff` with no configuration error in its log",
        cause: "The container keeps exiting; its previous instance's last log lines say why",
        fix: "Read `kubectl -n NAMESPACE logs POD --previous`; fix the cause, then `just deploy`",
    },
    Rule {
        id: "oom-killed",
        symptom: "Container restarted with last state `OOMKilled`",
        cause: "The container used more memory than its limit",
        fix: "Raise `COMPONENT.resources.limits.memory` in the values profile (doctor shows the current limit), then `just deploy`",
    },
    Rule {
        id: "pending-resources",
        symptom: "Pod `Pending`, event `FailedScheduling: Insufficient cpu/memory`",
        cause: "The Minikube node has too little CPU or memory for the pods' requests",
        fix: "Give Minikube more (`minikube delete -p PROFILE && minikube start -p PROFILE --cpus=4 --memory=8192`) or lower the requests in `values-dev.yaml`",
    },
    Rule {
        id: "pvc-pending",
        symptom: "PersistentVolumeClaim `Pending`; the database pod `Pending`",
        cause: "No default StorageClass or provisioner: Minikube's storage addons are off",
        fix: "`minikube -p PROFILE addons enable storage-provisioner && minikube -p PROFILE addons enable default-storageclass`",
    },
    Rule {
        id: "readiness-failing",
        symptom: "Pod `Running` but not ready; event `Unhealthy: Readiness probe failed`",
        cause: "The readiness (or startup) probe keeps failing; doctor shows the last probe error (backend `/readyz` fails while the database is unreachable or migrations are not applied)",
        fix: "Check the database pod and the backend log (`kubectl -n NAMESPACE logs POD`); fix what `/readyz` reports",
    },
    Rule {
        id: "release-not-deployed",
        symptom: "`helm status` shows `failed` or `pending-*`",
        cause: "The last Helm operation failed or was interrupted",
        fix: "`todoctl rollback` (or `helm -n NAMESPACE history RELEASE`), then `just deploy`",
    },
];

/// What doctor reads from the cluster. Build it with [`collect`], or by hand in tests.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ClusterState {
    /// The release's pods.
    pub pods: Vec<Pod>,
    /// The namespace's events.
    pub events: Vec<Event>,
    /// The namespace's PVCs.
    pub pvcs: Vec<PersistentVolumeClaim>,
    /// The release's ConfigMaps: with the pods' `env`, they name the variables a container is
    /// given, which is how a crash log is read as a configuration error.
    pub config_maps: Vec<ConfigMap>,
    /// Helm's status (`None`: not installed or unknown).
    pub release: Option<ReleaseStatus>,
    /// Images present in Minikube (`minikube image ls`); `None` when not known.
    pub minikube_images: Option<Vec<String>>,
    /// Recent log lines by `POD/CONTAINER` (the previous instance for restarted containers).
    pub logs: BTreeMap<String, String>,
}

/// One problem found, with the evidence and the fix.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The [`Rule::id`].
    pub rule: &'static str,
    /// The object concerned (`pod/NAME`, `pvc/NAME`, `release/NAME`).
    pub object: String,
    /// What is wrong, specifically.
    pub problem: String,
    /// What to run or change.
    pub fix: String,
    /// The lines of state that show it (event messages, log lines).
    pub evidence: Vec<String>,
}

/// Settings doctor's advice depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoctorContext {
    /// The Minikube settings (profile for commands, current size for resize advice).
    pub minikube: MinikubeOptions,
    /// The namespace.
    pub namespace: String,
    /// The release.
    pub release: String,
}

/// Works out every finding for `state`, ordered by rule then object.
pub fn diagnose(state: &ClusterState, ctx: &DoctorContext) -> Vec<Finding> {
    let mut findings = Vec::new();
    for pod in &state.pods {
        pod_findings(pod, state, ctx, &mut findings);
    }
    for pvc in &state.pvcs {
        let pending = pvc.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending");
        if pending {
            let name = pvc.metadata.name.clone().unwrap_or_default();
            let evidence = events_for(state, "PersistentVolumeClaim", &name)
                .filter(|e| e.type_.as_deref() == Some("Warning"))
                .filter_map(|e| e.message.clone())
                .collect();
            let p = &ctx.minikube.profile;
            findings.push(Finding {
                rule: "pvc-pending",
                object: format!("pvc/{name}"),
                problem: format!(
                    "PersistentVolumeClaim {name} is Pending (storage class {}): nothing provisions a volume for it",
                    pvc.spec
                        .as_ref()
                        .and_then(|s| s.storage_class_name.clone())
                        .unwrap_or_else(|| "<cluster default>".into())
                ),
                fix: format!(
                    "minikube -p {p} addons enable storage-provisioner && minikube -p {p} addons enable default-storageclass"
                ),
                evidence,
            });
        }
    }
    for (event, refusal) in state
        .events
        .iter()
        .filter_map(|e| CreateRefusal::of(e).map(|refusal| (e, refusal)))
    {
        let problem = match refusal {
            CreateRefusal::PodSecurity => "Pod Security admission refuses the pods it creates",
            CreateRefusal::InvalidPod => "the API server refuses the pods it creates as invalid",
        };
        findings.push(Finding {
            rule: refusal.rule(),
            object: format!(
                "{}/{}",
                event
                    .involved_object
                    .kind
                    .as_deref()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                event.involved_object.name.clone().unwrap_or_default()
            ),
            problem: problem.into(),
            fix: refusal.fix().into(),
            evidence: event.message.iter().cloned().collect(),
        });
    }
    if let Some(release) = &state.release
        && release.info.status != "deployed"
    {
        findings.push(Finding {
            rule: "release-not-deployed",
            object: format!("release/{}", release.name),
            problem: format!(
                "Helm release {} revision {} is `{}`",
                release.name, release.version, release.info.status
            ),
            fix: format!(
                "todoctl rollback (see `helm -n {} history {}`), then `just deploy`",
                ctx.namespace, release.name
            ),
            evidence: vec![release.info.description.clone()]
                .into_iter()
                .filter(|d| !d.is_empty())
                .collect(),
        });
    }
    findings.sort_by_key(|f| {
        (
            RULES
                .iter()
                .position(|r| r.id == f.rule)
                .unwrap_or(usize::MAX),
            f.object.clone(),
        )
    });
    findings.dedup();
    findings
}

fn pod_findings(pod: &Pod, state: &ClusterState, ctx: &DoctorContext, out: &mut Vec<Finding>) {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let object = format!("pod/{name}");
    let status = pod.status.clone().unwrap_or_default();
    // Minikube's image list is only read when the target is Minikube's.
    let at = FixContext {
        namespace: &ctx.namespace,
        minikube_profile: state
            .minikube_images
            .as_ref()
            .map(|_| ctx.minikube.profile.as_str()),
    };

    for p in PodProblem::in_pod(pod) {
        let (reason, message, image) = (&p.reason, &p.message, &p.image);
        let container = &p.container;
        let fix = p.fix(&at);
        match p.problem {
            PodProblem::ImageNeverPull
            | PodProblem::InvalidImageName
            | PodProblem::ImagePullRetried => {
                let mut evidence = vec![format!("{reason}: {message}")];
                if let Some(images) = &state.minikube_images {
                    let wanted = ImageRef::new(image);
                    let present = images.iter().any(|i| ImageRef::new(i).same_image(&wanted));
                    evidence.push(format!(
                        "`minikube image ls` {} {image}",
                        if present { "lists" } else { "does not list" }
                    ));
                }
                let place = match &state.minikube_images {
                    Some(_) => "Minikube",
                    None => "the cluster's image store",
                };
                out.push(Finding {
                    rule: p.problem.rule(),
                    object: object.clone(),
                    problem: format!(
                        "container {container} cannot start: image {image} is not present in {place}"
                    ),
                    fix,
                    evidence,
                });
            }
            PodProblem::MissingConfig => {
                let missing = missing_reference(message);
                out.push(Finding {
                    rule: p.problem.rule(),
                    object: object.clone(),
                    problem: match &missing {
                        Some(what) => {
                            format!("container {container} references {what}, which does not exist")
                        }
                        None => format!("container {container} cannot be created: {message}"),
                    },
                    fix,
                    evidence: vec![format!("{reason}: {message}")],
                });
            }
            PodProblem::CrashLoop => {
                let logs = state
                    .logs
                    .get(&format!("{name}/{container}"))
                    .cloned()
                    .unwrap_or_default();
                let spec = pod
                    .spec
                    .iter()
                    .flat_map(|s| s.init_containers.iter().flatten().chain(&s.containers))
                    .find(|c| &c.name == container);
                match config_variable(&logs, spec, &state.config_maps) {
                    Some((variable, line, source)) => out.push(Finding {
                        rule: "crash-config-error",
                        object: object.clone(),
                        problem: format!(
                            "container {container} exits at start: configuration error in {variable}"
                        ),
                        fix: format!("fix {variable} ({source}), then `just deploy`"),
                        evidence: vec![line],
                    }),
                    None => out.push(Finding {
                        rule: p.problem.rule(),
                        object: object.clone(),
                        problem: format!(
                            "container {container} keeps exiting ({} restarts)",
                            p.restarts
                        ),
                        fix,
                        evidence: tail_lines(&logs, 10),
                    }),
                }
            }
            PodProblem::OomKilled => {
                let limit = p.memory_limit.as_deref().unwrap_or("none");
                out.push(Finding {
                    rule: p.problem.rule(),
                    object: object.clone(),
                    problem: format!(
                        "container {container} was OOMKilled: it needs more than its memory limit {limit}"
                    ),
                    fix,
                    evidence: vec![format!(
                        "lastState.terminated.reason: OOMKilled (restarts: {})",
                        p.restarts
                    )],
                });
            }
        }
    }

    let statuses = status
        .init_container_statuses
        .iter()
        .flatten()
        .chain(status.container_statuses.iter().flatten());
    for cs in statuses {
        let running = cs.state.as_ref().is_some_and(|s| s.running.is_some());
        if running && !cs.ready {
            let probe_errors: Vec<String> = events_for(state, "Pod", &name)
                .filter(|e| e.reason.as_deref() == Some("Unhealthy"))
                .filter_map(|e| e.message.clone())
                .filter(|m| {
                    m.starts_with("Readiness probe failed") || m.starts_with("Startup probe failed")
                })
                .collect();
            if let Some(last) = probe_errors.last() {
                out.push(Finding {
                    rule: "readiness-failing",
                    object: object.clone(),
                    problem: format!("container {} runs but is not ready: {last}", cs.name),
                    fix: format!(
                        "the probe's last error is above; check the database pod and `kubectl -n {} logs {name} -c {}`",
                        ctx.namespace, cs.name
                    ),
                    evidence: vec![last.clone()],
                });
            }
        }
    }

    if status.phase.as_deref() == Some("Pending") {
        let unschedulable: Vec<String> = status
            .conditions
            .iter()
            .flatten()
            .filter(|c| c.type_ == "PodScheduled" && c.status == "False")
            .filter_map(|c| c.message.clone())
            .chain(
                events_for(state, "Pod", &name)
                    .filter(|e| e.reason.as_deref() == Some("FailedScheduling"))
                    .filter_map(|e| e.message.clone()),
            )
            .collect();
        let short: Vec<&str> = ["cpu", "memory"]
            .into_iter()
            .filter(|r| {
                unschedulable
                    .iter()
                    .any(|m| m.contains(&format!("Insufficient {r}")))
            })
            .collect();
        if !short.is_empty() {
            out.push(Finding {
                rule: "pending-resources",
                object,
                problem: format!(
                    "pod cannot be scheduled: the node has too little {}",
                    short.join(" and ")
                ),
                fix: format!(
                    "{} — or lower the requests in values-dev.yaml",
                    resize_advice(&ctx.minikube)
                ),
                evidence: unschedulable.into_iter().take(1).collect(),
            });
        }
    }
}

fn events_for<'a>(
    state: &'a ClusterState,
    kind: &'a str,
    name: &'a str,
) -> impl Iterator<Item = &'a Event> + 'a {
    state.events.iter().filter(move |e| {
        e.involved_object.kind.as_deref() == Some(kind)
            && e.involved_object.name.as_deref() == Some(name)
    })
}

/// `secret "x" not found`, `configmap "x" not found`, `couldn't find key k in Secret ns/x`.
fn missing_reference(message: &str) -> Option<String> {
    for kind in ["secret", "configmap"] {
        if let Some(rest) = message.split(&format!("{kind} \"")).nth(1)
            && let Some(name) = rest.split('"').next()
            && message.contains("not found")
        {
            let kind = if kind == "secret" {
                "Secret"
            } else {
                "ConfigMap"
            };
            return Some(format!("{kind} {name}"));
        }
    }
    let rest = message.split("couldn't find key ").nth(1)?;
    let mut words = rest.split_whitespace();
    let key = words.next()?;
    let _in = words.next()?;
    let kind = words.next()?;
    let name = words.next()?.rsplit('/').next()?;
    Some(format!("key {key} in {kind} {name}"))
}

/// The first log line that reads as an error and names a variable the container is given,
/// with the variable and where its value comes from. The chart is the one list of variables:
/// what it sets is in the container's `env` and in the ConfigMaps its `envFrom` loads.
fn config_variable(
    logs: &str,
    spec: Option<&Container>,
    config_maps: &[ConfigMap],
) -> Option<(String, String, String)> {
    let looks_like_error = |l: &str| {
        let l = l.to_ascii_lowercase();
        ["error", "invalid", "must", "missing", "required", "fatal"]
            .iter()
            .any(|w| l.contains(w))
    };
    let given = given_variables(spec, config_maps);
    for line in logs.lines().filter(|l| looks_like_error(l)) {
        let words = line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
        for word in words {
            if let Some((_, source)) = given.iter().find(|(name, _)| name == word) {
                return Some((word.to_owned(), line.trim().to_owned(), source.clone()));
            }
        }
    }
    None
}

/// Every variable `spec` is given, with where its value comes from: its `env` entries, then
/// the keys of the ConfigMaps its `envFrom` loads.
fn given_variables(spec: Option<&Container>, config_maps: &[ConfigMap]) -> Vec<(String, String)> {
    let Some(spec) = spec else {
        return Vec::new();
    };
    let env = spec.env.iter().flatten().map(|e| {
        let secret = e
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref());
        let source = match (secret, &e.value) {
            (Some(secret), _) => format!("Secret {} key {}", secret.name, secret.key),
            (None, Some(_)) => "set by the chart from values".to_owned(),
            (None, None) => "the pod spec's env".to_owned(),
        };
        (e.name.clone(), source)
    });
    let loaded = spec
        .env_from
        .iter()
        .flatten()
        .filter_map(|from| from.config_map_ref.as_ref())
        .filter_map(|r| {
            config_maps
                .iter()
                .find(|c| c.metadata.name.as_ref() == Some(&r.name))
        })
        .flat_map(|c| {
            let name = c.metadata.name.clone().unwrap_or_default();
            c.data.iter().flatten().map(move |(key, _)| {
                (
                    key.clone(),
                    format!("ConfigMap {name}, from values key config.*"),
                )
            })
        });
    env.chain(loaded).collect()
}

fn tail_lines(text: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| (*l).to_owned())
        .collect()
}

/// Reads the state doctor needs from a live cluster: the release's pods, the namespace's
/// events and PVCs, Helm's status, `minikube image ls` (when `minikube` is usable) and the
/// recent logs of every container that restarted or is not ready.
pub fn collect(cluster: &Cluster) -> Result<ClusterState> {
    let kubectl = cluster.kubectl();
    let pods = kubectl.pods(&cluster.release_selector())?;
    let events = kubectl.events()?;
    let pvcs = kubectl.pvcs("")?;
    let config_maps = kubectl.list(&cluster.release_selector())?;
    let release = cluster
        .helm()
        .and_then(|h| h.status(&cluster.release, &cluster.namespace))
        .unwrap_or(None);
    let minikube_images = cluster
        .target
        .minikube_profile
        .as_deref()
        .and_then(|profile| {
            exec::Cmd::new(cluster.tools.minikube.clone())
                .args(["-p", profile, "image", "ls"])
                .timeout(std::time::Duration::from_secs(60))
                .run()
                .ok()
        })
        .map(|o| {
            o.stdout
                .lines()
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect()
        });
    let mut logs = BTreeMap::new();
    for pod in &pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        for cs in pod
            .status
            .iter()
            .flat_map(|s| s.container_statuses.iter().flatten())
        {
            if cs.ready {
                continue;
            }
            let previous = cs.restart_count > 0;
            if let Ok(text) = kubectl.logs(&name, Some(&cs.name), 30, previous) {
                logs.insert(format!("{name}/{}", cs.name), text);
            }
        }
    }
    Ok(ClusterState {
        pods,
        events,
        pvcs,
        config_maps,
        release,
        minikube_images,
        logs,
    })
}

/// The rules as a markdown table (symptom, cause, fix), for the README and
/// `docs/troubleshooting.md`.
pub fn rules_markdown() -> String {
    let mut text = String::from("| Rule | Symptom | Cause | Fix |\n|---|---|---|---|\n");
    for rule in RULES {
        text.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            rule.id,
            rule.symptom.replace('|', "\\|"),
            rule.cause.replace('|', "\\|"),
            rule.fix.replace('|', "\\|"),
        ));
    }
    text
}

/// Human text for a list of findings (the CLI may print it as is).
pub fn render(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "doctor: no problem found\n".into();
    }
    let mut text = String::new();
    for f in findings {
        text.push_str(&format!("✗ [{}] {}: {}\n", f.rule, f.object, f.problem));
        for line in &f.evidence {
            text.push_str(&format!("    | {line}\n"));
        }
        text.push_str(&format!("  fix: {}\n", f.fix));
    }
    text
}
