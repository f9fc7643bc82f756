//! Fail-fast rollout watching: a pod stuck in a state that waiting cannot fix stops the
//! deploy at once, with the reason, the fix and the container's last log lines.

use std::fmt;

use images::ImageRef;
use k8s_openapi::api::core::v1::{ContainerStatus, Event, Pod};

/// Waiting reasons that never resolve by themselves during a rollout.
pub const FATAL_REASONS: &[&str] = &[
    "ErrImageNeverPull",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
];

/// Waiting reasons the kubelet retries by itself: a registry that is briefly unreachable must
/// not abort a deploy, so these are reported while waiting, and only helm's timeout ends it.
/// (An image that must never be pulled fails with `ErrImageNeverPull`, which is fatal.)
pub const RETRIED_REASONS: &[&str] = &["ImagePullBackOff", "ErrImagePull"];

/// A pod that will not become ready by waiting.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RolloutFailure {
    /// The pod.
    pub pod: String,
    /// The container (init containers included).
    pub container: String,
    /// The waiting reason (`CrashLoopBackOff`, ...).
    pub reason: String,
    /// The kubelet's message for it.
    pub message: String,
    /// The container's last log lines (of its previous instance for a crash loop); empty
    /// when there are none.
    pub logs: String,
    /// What to do about it.
    pub fix: String,
}

impl fmt::Display for RolloutFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.container.is_empty() {
            write!(f, "rollout failed: {}: {}", self.pod, self.reason)?;
        } else {
            write!(
                f,
                "rollout failed: pod {} container {}: {}",
                self.pod, self.container, self.reason
            )?;
        }
        if !self.message.is_empty() {
            write!(f, " ({})", self.message)?;
        }
        write!(f, "\nfix: {}", self.fix)?;
        if !self.logs.trim().is_empty() {
            write!(f, "\nlast log lines:\n{}", self.logs.trim_end())?;
        }
        Ok(())
    }
}

/// The first pod/container in a fatal waiting state, without logs (the caller fetches them).
pub fn fatal_problem(pods: &[Pod]) -> Option<RolloutFailure> {
    pods.iter().find_map(|pod| {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let status = pod.status.as_ref()?;
        let statuses = status
            .init_container_statuses
            .iter()
            .flatten()
            .chain(status.container_statuses.iter().flatten());
        statuses
            .filter_map(|cs| waiting(cs).map(|(reason, message)| (cs, reason, message)))
            .find(|(_, reason, _)| FATAL_REASONS.contains(&reason.as_str()))
            .map(|(cs, reason, message)| RolloutFailure {
                pod: name.clone(),
                container: cs.name.clone(),
                fix: fix_for(&reason, &cs.image),
                reason,
                message,
                logs: String::new(),
            })
    })
}

/// An event's identity and how often it has happened: a recurring event is one object whose
/// count grows.
pub fn event_key(event: &Event) -> (String, i32) {
    (
        event.metadata.uid.clone().unwrap_or_default(),
        event.count.unwrap_or(1),
    )
}

/// Why a controller can never create its pods, read from its `FailedCreate` event: no pod
/// appears, so only the event says why, and waiting does not help. Other `FailedCreate`s (a
/// quota, a ServiceAccount not created yet) can clear up and are not refusals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// The first controller, among `events`, that can never create its pods ([`CreateRefusal`]).
/// Events in `seen` (by [`event_key`]) happened before this rollout and are ignored.
pub fn create_refusal(
    events: &[Event],
    seen: &std::collections::HashSet<(String, i32)>,
) -> Option<RolloutFailure> {
    events
        .iter()
        .filter(|e| !seen.contains(&event_key(e)))
        .find_map(|e| CreateRefusal::of(e).map(|refusal| (e, refusal)))
        .map(|(e, refusal)| RolloutFailure {
            pod: format!(
                "{}/{}",
                e.involved_object.kind.clone().unwrap_or_default(),
                e.involved_object.name.clone().unwrap_or_default()
            ),
            container: String::new(),
            reason: "FailedCreate".into(),
            message: e.message.clone().unwrap_or_default(),
            logs: String::new(),
            fix: refusal.fix().into(),
        })
}

/// Pods waiting on a pull the kubelet retries, as `(pod, reason, image)`.
pub fn retried_pulls(pods: &[Pod]) -> Vec<(String, String, String)> {
    pods.iter()
        .flat_map(|pod| {
            let name = pod.metadata.name.clone().unwrap_or_default();
            let status = pod.status.clone().unwrap_or_default();
            status
                .init_container_statuses
                .into_iter()
                .flatten()
                .chain(status.container_statuses.into_iter().flatten())
                .filter_map(move |cs| {
                    let (reason, _) = waiting(&cs)?;
                    RETRIED_REASONS
                        .contains(&reason.as_str())
                        .then(|| (name.clone(), reason, cs.image.clone()))
                })
        })
        .collect()
}

fn waiting(cs: &ContainerStatus) -> Option<(String, String)> {
    let waiting = cs.state.as_ref()?.waiting.as_ref()?;
    Some((
        waiting.reason.clone().unwrap_or_default(),
        waiting.message.clone().unwrap_or_default(),
    ))
}

/// Whether the reason's logs are worth fetching (the container ran at least once).
pub fn has_logs(reason: &str) -> bool {
    reason == "CrashLoopBackOff"
}

fn fix_for(reason: &str, image: &str) -> String {
    match reason {
        "ImagePullBackOff" | "ErrImageNeverPull" | "InvalidImageName" => format!(
            "the image {image} is not in Minikube: build and load it with `just images` \
             (`minikube image load {image}`), then check `minikube image ls | grep {}`",
            ImageRef::new(image).repository()
        ),
        "CrashLoopBackOff" => {
            "the container exits at start: read the log lines below (a configuration error names \
             the variable), fix the value, then `just deploy` again"
                .into()
        }
        "CreateContainerConfigError" | "CreateContainerError" => {
            "a Secret or ConfigMap (or a key in it) the pod references is missing: \
             `kubectl get secret,configmap -n todo-chatbot`, create it or unset `existingSecret`"
                .into()
        }
        _ => "see `todoctl doctor`".into(),
    }
}

/// Whether a Deployment's rollout is complete, by the rules `kubectl rollout status` uses;
/// `Err` says what it is still waiting for.
pub fn deployment_complete(
    deployment: &k8s_openapi::api::apps::v1::Deployment,
) -> Result<(), String> {
    let name = deployment.metadata.name.clone().unwrap_or_default();
    let want = deployment
        .spec
        .as_ref()
        .and_then(|s| s.replicas)
        .unwrap_or(1);
    let generation = deployment.metadata.generation.unwrap_or(0);
    let status = deployment.status.clone().unwrap_or_default();
    if status.observed_generation.unwrap_or(0) < generation {
        return Err(format!(
            "deployment {name}: the controller has not seen the new spec yet"
        ));
    }
    let updated = status.updated_replicas.unwrap_or(0);
    let total = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if updated < want {
        return Err(format!(
            "deployment {name}: {updated} of {want} replicas updated"
        ));
    }
    if total > updated {
        return Err(format!(
            "deployment {name}: {} old replicas pending termination",
            total - updated
        ));
    }
    if available < updated {
        return Err(format!(
            "deployment {name}: {available} of {updated} updated replicas available"
        ));
    }
    Ok(())
}

/// Whether a StatefulSet's rolling update is complete and every replica is ready.
pub fn statefulset_complete(
    statefulset: &k8s_openapi::api::apps::v1::StatefulSet,
) -> Result<(), String> {
    let name = statefulset.metadata.name.clone().unwrap_or_default();
    let want = statefulset
        .spec
        .as_ref()
        .and_then(|s| s.replicas)
        .unwrap_or(1);
    let generation = statefulset.metadata.generation.unwrap_or(0);
    let status = statefulset.status.clone().unwrap_or_default();
    if status.observed_generation.unwrap_or(0) < generation {
        return Err(format!(
            "statefulset {name}: the controller has not seen the new spec yet"
        ));
    }
    let ready = status.ready_replicas.unwrap_or(0);
    if ready < want {
        return Err(format!(
            "statefulset {name}: {ready} of {want} replicas ready"
        ));
    }
    let updated = status.updated_replicas.unwrap_or(0);
    if updated < want {
        return Err(format!(
            "statefulset {name}: {updated} of {want} replicas updated"
        ));
    }
    if status.update_revision.is_some() && status.update_revision != status.current_revision {
        return Err(format!(
            "statefulset {name}: rolling update to the new revision in progress"
        ));
    }
    Ok(())
}
