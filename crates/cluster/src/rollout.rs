//! Fail-fast rollout watching: a pod stuck in a state that waiting cannot fix stops the
//! deploy at once, with the reason, the fix and the container's last log lines. Which states
//! those are, and their fixes, is [`crate::problem`]'s classification.

use std::fmt;

use k8s_openapi::api::core::v1::{Event, Pod};

use crate::problem::{ContainerProblem, CreateRefusal, FixContext, PodProblem};

/// A pod that will not become ready by waiting.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RolloutFailure {
    /// The pod.
    pub pod: String,
    /// The container (init containers included).
    pub container: String,
    /// The waiting reason (`CrashLoopBackOff`, ...).
    pub reason: String,
    /// What the reason means; `None` for a controller's `FailedCreate` ([`CreateRefusal`]).
    #[serde(skip)]
    pub problem: Option<PodProblem>,
    /// The kubelet's message for it.
    pub message: String,
    /// The container's last log lines (of its previous instance for a crash loop); empty
    /// when there are none.
    pub logs: String,
    /// What to do about it.
    pub fix: String,
}

impl RolloutFailure {
    /// Whether the container ran, so its last log lines are worth fetching.
    pub fn has_logs(&self) -> bool {
        self.problem.is_some_and(PodProblem::has_logs)
    }
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

/// The first pod/container with a [fatal](PodProblem::fatal) problem, without logs (the
/// caller fetches them).
pub fn fatal_problem(pods: &[Pod], at: &FixContext<'_>) -> Option<RolloutFailure> {
    pods.iter()
        .flat_map(PodProblem::in_pod)
        .find(|p| p.problem.fatal())
        .map(|p| RolloutFailure {
            fix: p.fix(at),
            pod: p.pod,
            container: p.container,
            reason: p.reason,
            problem: Some(p.problem),
            message: p.message,
            logs: String::new(),
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
            problem: None,
            message: e.message.clone().unwrap_or_default(),
            logs: String::new(),
            fix: refusal.fix().into(),
        })
}

/// Containers waiting on a pull the kubelet retries ([`PodProblem::ImagePullRetried`]).
pub fn retried_pulls(pods: &[Pod]) -> Vec<ContainerProblem> {
    pods.iter()
        .flat_map(PodProblem::in_pod)
        .filter(|p| p.problem == PodProblem::ImagePullRetried)
        .collect()
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
