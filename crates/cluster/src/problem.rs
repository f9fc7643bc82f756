//! The one reading of what is wrong with a pod's containers, and the one fix per problem.
//!
//! The deploy's rollout watch ([`crate::rollout`]), `todoctl doctor` (the `diagnose` crate) and
//! `verify live` all classify pods through [`PodProblem`]: which waiting reasons stop a deploy
//! at once ([`PodProblem::fatal`]), which the kubelet retries by itself, and what to do about
//! each ([`ContainerProblem::fix`]). [`CreateRefusal`] is the same for controllers whose pods
//! never appear (read from their `FailedCreate` events).

use images::ImageRef;
use k8s_openapi::api::core::v1::{ContainerStatus, Event, Pod};

/// What is wrong with one container, read from its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum PodProblem {
    /// `ErrImageNeverPull`: the image is not in the node's store and its pull policy is
    /// `Never`, so it never will be. Fatal.
    ImageNeverPull,
    /// `InvalidImageName`: the reference cannot be parsed. Fatal.
    InvalidImageName,
    /// `ImagePullBackOff` / `ErrImagePull`: a pull that failed (an `IfNotPresent` image not
    /// loaded, or a registry briefly unreachable). The kubelet retries it, so it does not stop
    /// a deploy; only helm's timeout does.
    ImagePullRetried,
    /// `CreateContainerConfigError` / `CreateContainerError`: a Secret or ConfigMap (or a key
    /// in it) the container references does not exist. Fatal.
    MissingConfig,
    /// `CrashLoopBackOff`: the container keeps exiting. Fatal.
    CrashLoop,
    /// The last instance ended `OOMKilled`. The kubelet restarts it (a repeat turns into
    /// [`PodProblem::CrashLoop`]), so by itself it does not stop a deploy.
    OomKilled,
}

impl PodProblem {
    /// The problems of one container: its waiting state's, then an `OOMKilled` last state.
    /// Empty for a healthy container, and for states that pass by themselves
    /// (`ContainerCreating`, `PodInitializing`, a config the kubelet has not read yet).
    pub fn of(cs: &ContainerStatus) -> Vec<PodProblem> {
        let waiting = cs
            .state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .filter(|w| !w.message.as_deref().is_some_and(is_cache_not_synced))
            .and_then(|w| w.reason.as_deref())
            .and_then(PodProblem::of_reason);
        let oom = cs
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .is_some_and(|t| t.reason.as_deref() == Some("OOMKilled"))
            .then_some(PodProblem::OomKilled);
        waiting.into_iter().chain(oom).collect()
    }

    /// The problem a kubelet waiting reason means, if it is one (its message aside: see
    /// [`PodProblem::of`]).
    pub fn of_reason(reason: &str) -> Option<PodProblem> {
        Some(match reason {
            "ErrImageNeverPull" => PodProblem::ImageNeverPull,
            "InvalidImageName" => PodProblem::InvalidImageName,
            "ImagePullBackOff" | "ErrImagePull" => PodProblem::ImagePullRetried,
            "CreateContainerConfigError" | "CreateContainerError" => PodProblem::MissingConfig,
            "CrashLoopBackOff" => PodProblem::CrashLoop,
            _ => return None,
        })
    }

    /// Every problem of every container of `pod` (init containers first), with what the fix
    /// needs to know.
    pub fn in_pod(pod: &Pod) -> Vec<ContainerProblem> {
        let Some(status) = &pod.status else {
            return Vec::new();
        };
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        let component = pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(crate::COMPONENT_LABEL))
            .cloned();
        let specs: Vec<_> = pod
            .spec
            .iter()
            .flat_map(|s| s.init_containers.iter().flatten().chain(&s.containers))
            .collect();
        status
            .init_container_statuses
            .iter()
            .flatten()
            .chain(status.container_statuses.iter().flatten())
            .flat_map(|cs| {
                let spec = specs.iter().find(|c| c.name == cs.name);
                let waiting = cs.state.as_ref().and_then(|s| s.waiting.as_ref());
                let image = spec
                    .and_then(|c| c.image.clone())
                    .unwrap_or_else(|| cs.image.clone());
                let memory_limit = spec
                    .and_then(|c| c.resources.as_ref())
                    .and_then(|r| r.limits.as_ref())
                    .and_then(|l| l.get("memory"))
                    .map(|q| q.0.clone());
                let pod_name = pod_name.clone();
                let component = component.clone();
                PodProblem::of(cs)
                    .into_iter()
                    .map(move |problem| ContainerProblem {
                        pod: pod_name.clone(),
                        container: cs.name.clone(),
                        component: component.clone(),
                        image: image.clone(),
                        problem,
                        reason: match problem {
                            PodProblem::OomKilled => "OOMKilled".into(),
                            _ => waiting.and_then(|w| w.reason.clone()).unwrap_or_default(),
                        },
                        message: match problem {
                            PodProblem::OomKilled => String::new(),
                            _ => waiting.and_then(|w| w.message.clone()).unwrap_or_default(),
                        },
                        restarts: cs.restart_count,
                        memory_limit: memory_limit.clone(),
                    })
            })
            .collect()
    }

    /// Whether waiting cannot fix it, so a deploy stops at once; otherwise the kubelet retries.
    pub fn fatal(self) -> bool {
        match self {
            PodProblem::ImageNeverPull
            | PodProblem::InvalidImageName
            | PodProblem::MissingConfig
            | PodProblem::CrashLoop => true,
            PodProblem::ImagePullRetried | PodProblem::OomKilled => false,
        }
    }

    /// Whether the container ran, so its previous instance's log says why.
    pub fn has_logs(self) -> bool {
        matches!(self, PodProblem::CrashLoop | PodProblem::OomKilled)
    }

    /// The doctor rule it falls under (a crash loop whose log names a configuration variable
    /// is doctor's `crash-config-error` instead).
    pub fn rule(self) -> &'static str {
        match self {
            PodProblem::ImageNeverPull
            | PodProblem::InvalidImageName
            | PodProblem::ImagePullRetried => "image-not-loaded",
            PodProblem::MissingConfig => "missing-secret-or-configmap",
            PodProblem::CrashLoop => "crash-loop",
            PodProblem::OomKilled => "oom-killed",
        }
    }
}

/// Where a fix is carried out: what changes its commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixContext<'a> {
    /// The release namespace.
    pub namespace: &'a str,
    /// The Minikube profile, when the cluster is Minikube's (images are loaded its way);
    /// `None` for any other cluster.
    pub minikube_profile: Option<&'a str>,
}

/// One problem of one container, with what its fix names.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ContainerProblem {
    /// The pod.
    pub pod: String,
    /// The container (init containers included).
    pub container: String,
    /// The pod's `app.kubernetes.io/component` label.
    pub component: Option<String>,
    /// The image the spec asks for (the status's when the spec is not known).
    pub image: String,
    /// The problem.
    pub problem: PodProblem,
    /// The kubelet's word for it (`ErrImageNeverPull`, `OOMKilled`, …).
    pub reason: String,
    /// The kubelet's message (empty for `OOMKilled`).
    pub message: String,
    /// The container's restart count.
    pub restarts: i32,
    /// The container's memory limit, if it has one.
    pub memory_limit: Option<String>,
}

impl ContainerProblem {
    /// What to do about it: the one fix text the deploy, doctor and `verify live` show.
    pub fn fix(&self, at: &FixContext<'_>) -> String {
        let ns = at.namespace;
        let image = &self.image;
        match self.problem {
            PodProblem::ImageNeverPull
            | PodProblem::InvalidImageName
            | PodProblem::ImagePullRetried => match at.minikube_profile {
                Some(profile) => format!(
                    "just images (or: minikube -p {profile} image load {image}); check with `minikube -p {profile} image ls | grep {}`",
                    ImageRef::new(image).repository()
                ),
                None => "`just deploy … --context CONTEXT` loads what it builds (or `todoctl images load --context CONTEXT`); images built elsewhere must be loaded the cluster's way (kind load, k3d image import, ctr -n k8s.io images import)".to_owned(),
            },
            PodProblem::MissingConfig => format!(
                "a Secret or ConfigMap (or a key in it) the pod references is missing: create it (`kubectl -n {ns} create secret generic NAME --from-file=KEY=FILE`) or unset the `existingSecret` value that names it, then `just deploy`"
            ),
            PodProblem::CrashLoop => format!(
                "the container exits at start: read its last log lines (`kubectl -n {ns} logs {} -c {} --previous`; a configuration error names the variable), fix the cause, then `just deploy`",
                self.pod, self.container
            ),
            PodProblem::OomKilled => {
                let component = match self.component.as_deref() {
                    Some("database") => "postgresql",
                    Some(c) => c,
                    None => "COMPONENT",
                };
                let limit = self.memory_limit.as_deref().unwrap_or("none");
                format!(
                    "raise `{component}.resources.limits.memory` (now {limit}) in the values profile, then `just deploy`"
                )
            }
        }
    }
}

/// A `CreateContainerConfigError` whose Secret or ConfigMap exists but did not reach the
/// kubelet's cache in time (`failed to sync configmap cache: timed out waiting for the
/// condition`, from a busy API server): the kubelet tries again and the container starts, so
/// it must not stop a deploy the way a missing one does.
fn is_cache_not_synced(message: &str) -> bool {
    message.starts_with("failed to sync ") && message.contains(" cache")
}

/// Why a controller can never create its pods, read from its `FailedCreate` event: no pod
/// appears, so only the event says why, and waiting does not help. Other `FailedCreate`s (a
/// quota, a ServiceAccount not created yet) can clear up and are not refusals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum CreateRefusal {
    /// Pod Security admission refuses the pods (`… violates PodSecurity …`).
    PodSecurity,
    /// The API server finds the pods invalid (`… is invalid: …`), for a field the controller
    /// sets itself: a StatefulSet name over 52 characters makes its pods' revision label too
    /// long.
    InvalidPod,
}

impl CreateRefusal {
    /// The refusal `event` reports, if it is one.
    pub fn of(event: &Event) -> Option<CreateRefusal> {
        if event.reason.as_deref() != Some("FailedCreate") {
            return None;
        }
        let message = event.message.as_deref()?;
        if message.contains("violates PodSecurity") {
            Some(CreateRefusal::PodSecurity)
        } else if message.contains(" is invalid: ") {
            Some(CreateRefusal::InvalidPod)
        } else {
            None
        }
    }

    /// The doctor rule it falls under.
    pub fn rule(self) -> &'static str {
        match self {
            CreateRefusal::PodSecurity => "pod-security-refused",
            CreateRefusal::InvalidPod => "pod-invalid",
        }
    }

    /// What to do about it, for the deploy's error and doctor's finding alike.
    pub fn fix(self) -> &'static str {
        match self {
            CreateRefusal::PodSecurity => {
                "the namespace's Pod Security level refuses these pods: make them comply (the message names each field), or, if the values ask for it on purpose (postgresql.volumePermissions needs `baseline`), deploy with `just deploy`, which labels the namespace with the level the values need"
            }
            CreateRefusal::InvalidPod => {
                "the API server refuses the pods this controller builds (the message names the field): a label over 63 characters comes from a StatefulSet name over 52 — use a shorter release name or `fullnameOverride` (`chart check` reports it as statefulset-name-length)"
            }
        }
    }
}
