//! Fail-fast rollout watching: a pod stuck in a state that waiting cannot fix stops the
//! deploy at once, with the reason, the fix and the container's last log lines.

use std::fmt;

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

/// Waiting reasons that never resolve by themselves during a rollout.
pub const FATAL_REASONS: &[&str] = &[
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
];

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
        write!(
            f,
            "rollout failed: pod {} container {}: {}",
            self.pod, self.container, self.reason
        )?;
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
            image.split(':').next().unwrap_or(image)
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
