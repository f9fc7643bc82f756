//! `todoctl status`: the release and its objects at a glance.

use k8s_openapi::api::core::v1::Pod;

use crate::deploy::Cluster;
use crate::error::Result;
use crate::helm::ReleaseStatus;

/// One pod's state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PodSummary {
    /// Pod name.
    pub name: String,
    /// `app.kubernetes.io/component`.
    pub component: String,
    /// Pod phase.
    pub phase: String,
    /// Ready containers / containers.
    pub ready: String,
    /// Restarts over all containers.
    pub restarts: i32,
    /// A waiting or terminated reason, when a container has one.
    pub reason: Option<String>,
    /// The images of its containers.
    pub images: Vec<String>,
}

/// The release's state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StatusReport {
    /// The kube context read.
    pub context: String,
    /// The namespace read.
    pub namespace: String,
    /// Helm's view (`None`: not installed).
    pub release: Option<ReleaseStatus>,
    /// Every pod of the release.
    pub pods: Vec<PodSummary>,
    /// `NAME TYPE PORTS` of each Service.
    pub services: Vec<String>,
    /// `NAME PHASE` of each PVC.
    pub volumes: Vec<String>,
}

impl StatusReport {
    /// Whether the release is deployed and every pod is ready.
    pub fn healthy(&self) -> bool {
        self.release
            .as_ref()
            .is_some_and(|r| r.info.status == "deployed")
            && self.pods.iter().all(|p| {
                let mut parts = p.ready.split('/');
                parts.next() == parts.next()
            })
    }
}

/// Summarises one pod.
pub fn summarize(pod: &Pod) -> PodSummary {
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    let status = pod.status.clone().unwrap_or_default();
    let statuses = status.container_statuses.unwrap_or_default();
    let ready = statuses.iter().filter(|c| c.ready).count();
    let reason = statuses.iter().find_map(|c| {
        let state = c.state.as_ref()?;
        state
            .waiting
            .as_ref()
            .and_then(|w| w.reason.clone())
            .or_else(|| state.terminated.as_ref().and_then(|t| t.reason.clone()))
    });
    PodSummary {
        name: pod.metadata.name.clone().unwrap_or_default(),
        component: labels
            .get("app.kubernetes.io/component")
            .cloned()
            .unwrap_or_default(),
        phase: status.phase.unwrap_or_default(),
        ready: format!("{ready}/{}", statuses.len()),
        restarts: statuses.iter().map(|c| c.restart_count).sum(),
        reason,
        images: statuses.iter().map(|c| c.image.clone()).collect(),
    }
}

/// Reads helm's status and the release's pods, Services and PVCs.
pub fn status(cluster: &Cluster) -> Result<StatusReport> {
    let kubectl = cluster.kubectl();
    let selector = cluster.release_selector();
    let release = cluster
        .helm()?
        .status(&cluster.release, &cluster.namespace)?;
    let pods = kubectl.pods(&selector)?.iter().map(summarize).collect();
    let services = kubectl
        .services(&selector)?
        .iter()
        .map(|s| {
            let spec = s.spec.clone().unwrap_or_default();
            let ports: Vec<String> = spec
                .ports
                .unwrap_or_default()
                .iter()
                .map(|p| match p.node_port {
                    Some(node) => format!("{}:{node}", p.port),
                    None => p.port.to_string(),
                })
                .collect();
            format!(
                "{} {} {}",
                s.metadata.name.clone().unwrap_or_default(),
                spec.type_.unwrap_or_default(),
                ports.join(",")
            )
        })
        .collect();
    let volumes = kubectl
        .pvcs(&selector)?
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p.metadata.name.clone().unwrap_or_default(),
                p.status
                    .as_ref()
                    .and_then(|s| s.phase.clone())
                    .unwrap_or_default()
            )
        })
        .collect();
    Ok(StatusReport {
        context: cluster.target.context.clone(),
        namespace: cluster.namespace.clone(),
        release,
        pods,
        services,
        volumes,
    })
}

/// The port-forward target and remote port of a component: `frontend` (the UI, port 3000)
/// or `backend` (the API, port 8000).
pub fn forward_target(cluster: &Cluster, component: &str) -> Option<(String, u16)> {
    match component {
        "frontend" => Some((format!("svc/{}-frontend", cluster.fullname()), 3000)),
        "backend" => Some((format!("svc/{}-backend", cluster.fullname()), 8000)),
        _ => None,
    }
}
