//! `todoctl status`: the release and its objects at a glance.

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Pod, Service};

use crate::deploy::Cluster;
use crate::error::{Error, Result};
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
    /// Each HorizontalPodAutoscaler of the release.
    pub autoscalers: Vec<AutoscalerSummary>,
    /// What the pods use now, from the metrics API (what `kubectl top pod` shows).
    pub usage: Usage,
}

/// One HorizontalPodAutoscaler: replicas and each metric against its target.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AutoscalerSummary {
    /// HPA name.
    pub name: String,
    /// What it scales (`Deployment/NAME`).
    pub target: String,
    /// `spec.minReplicas` (1 when unset).
    pub min_replicas: i32,
    /// `spec.maxReplicas`.
    pub max_replicas: i32,
    /// `status.currentReplicas`.
    pub current_replicas: i32,
    /// `status.desiredReplicas`.
    pub desired_replicas: i32,
    /// Each metric as `kubectl get hpa` shows it: `cpu: 45%/70%`, `cpu: <unknown>/70%`.
    pub targets: Vec<String>,
    /// Why it cannot scale, when a condition says so (`ScalingActive` false and its message).
    pub problem: Option<String>,
}

/// One pod's current use, in `kubectl top pod` units.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PodUsage {
    /// Pod name.
    pub name: String,
    /// CPU over all containers, in millicores.
    pub cpu_millicores: u64,
    /// Memory over all containers, in MiB.
    pub memory_mib: u64,
}

/// The metrics API's answer for the release's pods.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Usage {
    /// Current use of each pod the metrics API knows (a new pod appears after its first scrape).
    Measured {
        /// Per pod, by name.
        pods: Vec<PodUsage>,
    },
    /// No metrics API in the cluster, or it did not answer.
    Unavailable {
        /// What kubectl said, and how to get one.
        reason: String,
    },
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
            .get(crate::COMPONENT_LABEL)
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
    let autoscalers = kubectl
        .list::<HorizontalPodAutoscaler>(&selector)?
        .iter()
        .map(summarize_autoscaler)
        .collect();
    let usage = usage(cluster, &selector);
    Ok(StatusReport {
        context: cluster.target.context.clone(),
        namespace: cluster.namespace.clone(),
        release,
        pods,
        services,
        volumes,
        autoscalers,
        usage,
    })
}

/// Summarises one HPA the way `kubectl get hpa` does: each metric's current value against its
/// target, `<unknown>` while the metrics API has no value for it.
pub fn summarize_autoscaler(hpa: &HorizontalPodAutoscaler) -> AutoscalerSummary {
    let spec = hpa.spec.clone().unwrap_or_default();
    let status = hpa.status.clone().unwrap_or_default();
    let current = status.current_metrics.unwrap_or_default();
    let targets = spec
        .metrics
        .unwrap_or_default()
        .iter()
        .filter_map(|metric| {
            let resource = metric.resource.as_ref()?;
            let now = current
                .iter()
                .filter_map(|c| c.resource.as_ref())
                .find(|c| c.name == resource.name)
                .map(|c| &c.current);
            let (now, target) = match resource.target.average_utilization {
                Some(target) => (
                    now.and_then(|n| n.average_utilization)
                        .map(|n| format!("{n}%")),
                    format!("{target}%"),
                ),
                None => (
                    now.and_then(|n| n.average_value.as_ref())
                        .map(|q| q.0.clone()),
                    resource
                        .target
                        .average_value
                        .as_ref()
                        .map(|q| q.0.clone())
                        .unwrap_or_default(),
                ),
            };
            Some(format!(
                "{}: {}/{target}",
                resource.name,
                now.unwrap_or_else(|| "<unknown>".into())
            ))
        })
        .collect();
    let problem = status.conditions.unwrap_or_default().iter().find_map(|c| {
        (c.type_ == "ScalingActive" && c.status == "False").then(|| {
            format!(
                "{}: {}",
                c.reason.clone().unwrap_or_default(),
                c.message.clone().unwrap_or_default()
            )
        })
    });
    AutoscalerSummary {
        name: hpa.metadata.name.clone().unwrap_or_default(),
        target: format!(
            "{}/{}",
            spec.scale_target_ref.kind, spec.scale_target_ref.name
        ),
        min_replicas: spec.min_replicas.unwrap_or(1),
        max_replicas: spec.max_replicas,
        current_replicas: status.current_replicas.unwrap_or_default(),
        desired_replicas: status.desired_replicas,
        targets,
        problem,
    }
}

/// `PodMetricsList` of `metrics.k8s.io/v1beta1`: only what `kubectl top pod` reads.
#[derive(serde::Deserialize)]
struct PodMetricsList {
    items: Vec<PodMetrics>,
}

#[derive(serde::Deserialize)]
struct PodMetrics {
    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    containers: Vec<ContainerMetrics>,
}

#[derive(serde::Deserialize)]
struct ContainerMetrics {
    usage: std::collections::BTreeMap<String, String>,
}

/// Parses the metrics API's pod list (`kubectl get --raw
/// /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods`) into per-pod use, sorted by name.
/// `Err` names what did not parse.
pub fn parse_pod_metrics(json: &str) -> std::result::Result<Vec<PodUsage>, String> {
    let list: PodMetricsList = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let mut pods = list
        .items
        .iter()
        .map(|pod| {
            let name = pod.metadata.name.clone().unwrap_or_default();
            let total = |resource: &str| -> std::result::Result<f64, String> {
                pod.containers
                    .iter()
                    .filter_map(|c| c.usage.get(resource))
                    .map(|q| {
                        chart_values::model::Quantity::Text(q.clone())
                            .base_units()
                            .ok_or_else(|| {
                                format!("pod {name}: {resource} usage `{q}` is not a quantity")
                            })
                    })
                    .sum()
            };
            // kubectl top's rounding: CPU up to the next millicore, memory down to the MiB;
            // the epsilons absorb the float error of a value that is already whole.
            Ok(PodUsage {
                cpu_millicores: (total("cpu")? * 1000.0 - 1e-6).ceil().max(0.0) as u64,
                memory_mib: (total("memory")? / 1_048_576.0 + 1e-9).floor() as u64,
                name,
            })
        })
        .collect::<std::result::Result<Vec<_>, String>>()?;
    pods.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(pods)
}

fn usage(cluster: &Cluster, selector: &str) -> Usage {
    let path = format!(
        "/apis/metrics.k8s.io/v1beta1/namespaces/{}/pods?labelSelector={selector}",
        cluster.namespace
    );
    let cmd = cluster
        .kubectl()
        .global_cmd()
        .args(["get", "--raw", &path])
        .timeout(std::time::Duration::from_secs(30));
    let unavailable = |why: String| Usage::Unavailable {
        reason: format!(
            "{why} (the metrics API comes from metrics-server: `minikube addons enable metrics-server`)"
        ),
    };
    match cmd.run() {
        Ok(out) => match parse_pod_metrics(&out.stdout) {
            Ok(pods) => Usage::Measured { pods },
            Err(why) => unavailable(format!(
                "the metrics API answered something unexpected: {why}"
            )),
        },
        Err(err) => unavailable(
            err.stderr()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| err.to_string()),
        ),
    }
}

/// The port-forward target and remote port of a component's Service (`frontend`: the UI,
/// `backend`: the API), read from the Service itself: its port named `http`, else its first.
pub fn forward_target(cluster: &Cluster, component: &str) -> Result<(String, u16)> {
    let service: Service = cluster.component_object(component)?;
    let name = service.metadata.name.clone().unwrap_or_default();
    let ports = service.spec.and_then(|s| s.ports).unwrap_or_default();
    let port = ports
        .iter()
        .find(|p| p.name.as_deref() == Some("http"))
        .or_else(|| ports.first())
        .and_then(|p| u16::try_from(p.port).ok())
        .ok_or_else(|| Error::Invalid(format!("Service {name} has no port to forward")))?;
    Ok((format!("svc/{name}"), port))
}
