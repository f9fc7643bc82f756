//! The rule catalog: every rule `chart check` applies, with its id, severity, rationale and fix.
//!
//! Ids are stable (ignore files and CI logs name them). `todoctl chart rules` prints each
//! [`Rule::rationale`] and [`Rule::fix`]. Each rule is written once, below: the
//! [`RuleId`] enum, its string ids and the [`RULES`] table are generated from that one list, so
//! a finding cannot name a rule the catalog lacks.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::finding::Severity;

/// One rule of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable id, e.g. `unknown-field`.
    pub id: RuleId,
    /// Severity of its findings.
    pub severity: Severity,
    /// One-line summary.
    pub title: &'static str,
    /// Why the rule exists: what goes wrong in a cluster without it.
    pub rationale: &'static str,
    /// How to fix a finding.
    pub fix: &'static str,
}

macro_rules! catalog {
    ($($variant:ident = $id:literal, $severity:ident, $title:literal, $rationale:literal, $fix:literal;)*) => {
        /// A rule's id; [`RuleId::as_str`] is the stable spelling ignore files use.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $(#[doc = $title] $variant,)*
        }

        impl RuleId {
            /// Every rule id, in report order.
            pub const ALL: &[RuleId] = &[$(RuleId::$variant,)*];

            /// The stable id, e.g. `unknown-field`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(RuleId::$variant => $id,)*
                }
            }
        }

        /// Every rule, in report order.
        pub const RULES: &[Rule] = &[
            $(Rule { id: RuleId::$variant, severity: $severity, title: $title, rationale: $rationale, fix: $fix },)*
        ];
    };
}

impl RuleId {
    /// The catalog entry of this rule.
    pub fn rule(self) -> &'static Rule {
        &RULES[self as usize]
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        id.parse().map_err(serde::de::Error::custom)
    }
}

/// An id that names no rule of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule {0:?} (`todoctl chart rules` lists them)")]
pub struct UnknownRule(pub String);

impl FromStr for RuleId {
    type Err = UnknownRule;

    fn from_str(id: &str) -> Result<Self, UnknownRule> {
        RuleId::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == id)
            .ok_or_else(|| UnknownRule(id.to_owned()))
    }
}

use Severity::{Error, Warning};

catalog! {
    // Structure: can Kubernetes read what we send it?
    YamlInvalid = "yaml-invalid", Error,
        "Document is not valid YAML",
        "helm and kubectl reject the whole release when one document does not parse.",
        "Fix the YAML at the reported line (indentation, quoting, a template that printed an unquoted value).";
    UnknownKind = "unknown-kind", Error,
        "apiVersion/kind is not a known Kubernetes type",
        "An object whose apiVersion/kind the checker does not know cannot be validated; a typo (apps/v1beta1, Deploymnet) is rejected by the API server at install time.",
        "Use a current apiVersion/kind; for a CustomResource, ignore this rule for the object with a reason.";
    ObjectInvalid = "object-invalid", Error,
        "Object does not match its Kubernetes type",
        "A wrong type (a string where a number is expected) or a missing required field is rejected by the API server, after the release is half applied.",
        "Fix the field named in the message; `kubectl explain KIND.FIELD` shows its type.";
    UnknownField = "unknown-field", Error,
        "Field unknown to the Kubernetes type",
        "Kubernetes silently drops fields it does not know: a typo such as `livenessProb` leaves the pod without a probe and nothing complains.",
        "Correct the spelling or the indentation; `kubectl explain KIND.FIELD` lists the valid fields.";
    DuplicateObject = "duplicate-object", Error,
        "Two objects with the same kind and name",
        "The second one overwrites the first at apply time; one of them never exists.",
        "Give each object its own name (use the chart's fullname helper with a component suffix).";
    // Pod Security Standard "restricted".
    PssPrivileged = "pss-privileged", Error,
        "Privileged container (PSS restricted)",
        "A privileged container is root on the node.",
        "Remove `securityContext.privileged: true`.";
    PssHostNamespaces = "pss-host-namespaces", Error,
        "Pod shares host network, PID or IPC namespace (PSS restricted)",
        "Host namespaces let the pod see and talk to everything on the node.",
        "Remove hostNetwork, hostPID and hostIPC.";
    PssHostPath = "pss-host-path", Error,
        "hostPath volume (PSS restricted)",
        "A hostPath volume exposes the node's filesystem to the pod.",
        "Use a PersistentVolumeClaim, emptyDir, ConfigMap or Secret volume.";
    PssHostPort = "pss-host-port", Error,
        "hostPort on a container (PSS restricted)",
        "hostPort binds the node's port and limits scheduling to one pod per node.",
        "Remove hostPort and expose the container through a Service.";
    PssRunAsNonRoot = "pss-run-as-non-root", Error,
        "Container may run as root (PSS restricted)",
        "Without runAsNonRoot and a numeric non-zero runAsUser, an image whose USER is root runs as root.",
        "Set `runAsNonRoot: true` and a numeric `runAsUser` other than 0 on the pod or the container.";
    PssPrivilegeEscalation = "pss-privilege-escalation", Error,
        "Privilege escalation allowed (PSS restricted)",
        "setuid binaries can regain privileges unless allowPrivilegeEscalation is false.",
        "Set `securityContext.allowPrivilegeEscalation: false` on the container.";
    PssCapabilities = "pss-capabilities", Error,
        "Capabilities not dropped (PSS restricted)",
        "Containers keep a default set of Linux capabilities unless ALL are dropped; only NET_BIND_SERVICE may be added back.",
        "Set `securityContext.capabilities.drop: [\"ALL\"]` and add nothing but NET_BIND_SERVICE.";
    PssSeccomp = "pss-seccomp", Error,
        "No seccomp profile (PSS restricted)",
        "Without RuntimeDefault (or Localhost) seccomp every syscall is allowed.",
        "Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod or the container.";
    ReadOnlyRootFilesystem = "read-only-root-filesystem", Error,
        "Writable root filesystem",
        "A writable root filesystem lets an attacker persist tools in the container; our images need no writes outside mounted volumes.",
        "Set `securityContext.readOnlyRootFilesystem: true` and mount an emptyDir where the app writes (e.g. /tmp).";
    // Probes, resources, images.
    ProbesMissing = "probes-missing", Error,
        "Startup, liveness or readiness probe missing",
        "Without readiness a pod gets traffic before it can serve; without liveness a hung process is never restarted; without startup a slow start is killed by liveness.",
        "Add the missing probe (our services: startup and readiness on /readyz, liveness on /healthz, port `http`).";
    ProbePort = "probe-port", Error,
        "Probe points at a port the container does not declare",
        "A probe on an undeclared port (or a misspelled port name) fails forever: the pod never becomes Ready or is restarted in a loop.",
        "Point the probe at a named port from the container's `ports` list.";
    ResourcesMissing = "resources-missing", Error,
        "CPU/memory requests or limits missing",
        "Without requests the scheduler cannot place the pod sensibly and an HPA cannot compute utilization; without limits one pod can starve the node.",
        "Set resources.requests.cpu, requests.memory, limits.cpu and limits.memory.";
    ImageTag = "image-tag", Error,
        "Image without a tag or with :latest",
        "A moving tag means the cluster may run an image other than the one that was built and tested, and a node keeps a stale copy.",
        "Tag images by content (the deploy kit sets the hash) or pin a digest.";
    ImagePullPolicy = "image-pull-policy", Warning,
        "Image pull policy implicit or incoherent",
        "The implicit policy depends on the tag (Always for :latest, IfNotPresent otherwise), which hides the choice; Always on a digest-pinned image only adds registry round-trips.",
        "Set imagePullPolicy explicitly: Never for images loaded into Minikube, IfNotPresent for content-tagged images.";
    // Wiring between objects.
    ServiceSelector = "service-selector", Error,
        "Service selects no pod template",
        "A Service whose selector matches no pod has no endpoints: every connection is refused.",
        "Make the Service selector a subset of the pod template's labels.";
    ServiceTargetPort = "service-target-port", Error,
        "Service targetPort not declared by the selected pods",
        "Traffic to a targetPort the container does not declare goes nowhere (or to the wrong process).",
        "Use the container's port name as targetPort.";
    DanglingReference = "dangling-reference", Error,
        "Reference to a ConfigMap, Secret, PVC or ServiceAccount that is not in the render",
        "A missing ConfigMap or Secret leaves the pod in CreateContainerConfigError; a missing PVC or ServiceAccount keeps it from being created.",
        "Render the object with the chart, mark the reference optional, or (for objects created outside the chart) ignore the finding with a reason.";
    SecretInConfigmap = "secret-in-configmap", Error,
        "Secret-looking key or value in a ConfigMap",
        "ConfigMaps are readable by anyone who can read the namespace and end up in logs and dumps.",
        "Move the value to a Secret and reference it with secretKeyRef.";
    SecretInEnv = "secret-in-env", Error,
        "Secret-looking plain env value",
        "A literal env value is stored in the Deployment spec, visible to `kubectl get -o yaml` and in helm's release history.",
        "Reference a Secret with valueFrom.secretKeyRef (compose URLs with $(VAR) expansion).";
    DuplicateEnv = "duplicate-env", Error,
        "Same env name twice in a container",
        "Only the last value wins, silently; the other setting is dead.",
        "Keep one entry per name.";
    PdbReplicas = "pdb-replicas", Error,
        "PodDisruptionBudget inconsistent with replicas",
        "A PDB whose minAvailable is not below the replica count (or maxUnavailable 0) blocks every node drain; a PDB that selects no workload protects nothing.",
        "Keep minAvailable below the replica count (or the HPA's minReplicas) and select the workload's pod labels.";
    HpaTarget = "hpa-target", Error,
        "HorizontalPodAutoscaler targets no workload in the render",
        "An HPA whose scaleTargetRef names a missing workload does nothing.",
        "Point scaleTargetRef at the Deployment or StatefulSet by kind and name.";
    HpaFixedReplicas = "hpa-fixed-replicas", Error,
        "Workload scaled by an HPA also fixes spec.replicas",
        "Every `helm upgrade` resets the replica count the HPA chose, causing a scale-down spike.",
        "Omit spec.replicas when autoscaling is enabled.";
    NodeportRange = "nodeport-range", Error,
        "NodePort outside 30000-32767",
        "The API server rejects node ports outside the default range.",
        "Pick a node port between 30000 and 32767, or leave it unset.";
    ConfigChecksum = "config-checksum", Error,
        "Pod consumes a ConfigMap or Secret without a checksum/* annotation",
        "Without a checksum annotation on the pod template a config or secret change does not roll the pods: they keep the old values until something else restarts them.",
        "Add `checksum/config` (ConfigMaps) or `checksum/secret` (Secrets) annotations with `sha256sum` of the rendered template.";
    NetpolMissingEdge = "netpol-missing-edge", Error,
        "NetworkPolicy blocks traffic the app needs",
        "A pod that reaches a Service by URL (frontend -> backend -> database) is cut off when the target's NetworkPolicy does not admit it.",
        "Allow the calling pod's labels in the target's ingress `from` list.";
    NetpolOpen = "netpol-open", Error,
        "NetworkPolicy admits traffic nothing in the app needs",
        "Internal pods (backend, database) should admit only their callers; anything else in is lateral-movement surface.",
        "Restrict ingress to podSelectors of the pods that call the Service; only entry points (NodePort/LoadBalancer/Ingress) take outside traffic.";
    RecommendedLabels = "recommended-labels", Warning,
        "app.kubernetes.io/name or app.kubernetes.io/instance label missing",
        "Tools (kubectl, dashboards, `helm`, our verify live) find objects by these labels.",
        "Add the chart's common labels helper to the object (and the pod template).";
    WorkloadSelector = "workload-selector", Error,
        "Workload selector does not match its pod template's labels",
        "The API server rejects a Deployment, StatefulSet, DaemonSet or ReplicaSet (or a Job with manualSelector) whose spec.selector does not select its own pod template (\"`selector` does not match template `labels`\") or is empty, so the release fails half applied; a chart can render such an object without any other tool noticing.",
        "Render spec.selector.matchLabels and spec.template.metadata.labels from the same labels helper: the selector must be a subset of the template's labels.";
    StatefulsetServiceName = "statefulset-service-name", Error,
        "StatefulSet serviceName names no headless Service in the render",
        "Pods of a StatefulSet get stable DNS names only through its governing headless Service.",
        "Render a Service with clusterIP: None and use its name as serviceName.";
    StatefulsetNameLength = "statefulset-name-length", Error,
        "StatefulSet name longer than 52 characters",
        "The StatefulSet controller labels each pod with controller-revision-hash: the StatefulSet's name, a dash and a hash of up to 10 characters. Past 52 characters that label value exceeds 63, so every pod creation fails (FailedCreate: metadata.labels … must be no more than 63 bytes) while the API server accepts the StatefulSet itself, and a rollout waits for pods that never come.",
        "Shorten the name: a shorter release name, or trim the full name in the chart's helper so the StatefulSet's name stays within 52.";
    AutomountToken = "automount-token", Error,
        "ServiceAccount token mounted into pods",
        "Our pods never call the Kubernetes API; a mounted token is a credential for an attacker.",
        "Set automountServiceAccountToken: false on the ServiceAccount and the pod spec.";
    // Local end-to-end (`verify local`): chart <-> app drift.
    EnvUnread = "env-unread", Error,
        "Env var set by the chart that the app never reads",
        "A misspelled or obsolete variable is silently ignored: the setting the chart means to apply never happens.",
        "Use the name from the app's --help ([env: NAME]) or remove it.";
    DatabaseCredentials = "database-credentials", Error,
        "Backend database URL disagrees with the embedded PostgreSQL",
        "PostgreSQL creates its user, password and database from POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB; a backend URL with other values never connects.",
        "Build the backend's DATABASE_URL from the same values and Secret key as the StatefulSet's env.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_names_its_own_catalog_entry_and_reads_back() {
        for &id in RuleId::ALL {
            assert_eq!(id.rule().id, id);
            assert_eq!(id.as_str().parse(), Ok(id));
        }
        assert_eq!(RULES.len(), RuleId::ALL.len());
        assert_eq!(
            "livenessProb".parse::<RuleId>().map_err(|e| e.to_string()),
            Err("unknown rule \"livenessProb\" (`todoctl chart rules` lists them)".to_owned())
        );
    }
}
