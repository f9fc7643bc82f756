//! The typed model of every value in `helm/todo-chatbot/values.yaml`.
//!
//! Every struct rejects unknown keys, every field is required (values.yaml declares them
//! all), and the JSON schema Helm enforces is generated from these types, so the chart, the
//! checker and Helm agree on one definition.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Free-form string map (labels, annotations, node selectors).
pub type StringMap = BTreeMap<String, String>;

/// All values of the chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "todo-chatbot values")]
pub struct Values {
    /// Override the chart name used in resource names.
    pub name_override: String,
    /// Override the full resource name prefix.
    pub fullname_override: String,
    /// Extra labels added to every resource.
    pub common_labels: StringMap,
    /// Pull secrets for private registries.
    pub image_pull_secrets: Vec<LocalObjectReference>,
    /// The pods' ServiceAccount.
    pub service_account: ServiceAccount,
    /// Secrets (never given defaults in values.yaml).
    pub secrets: Secrets,
    /// Non-secret settings of both services.
    pub config: Config,
    /// The todo-api Deployment.
    pub backend: Component,
    /// The todo-web Deployment.
    pub frontend: Component,
    /// The embedded PostgreSQL StatefulSet.
    pub postgresql: Postgresql,
    /// An external PostgreSQL (Neon or any other) used when postgresql.enabled is false.
    pub external_database: ExternalDatabase,
    /// Ingress in front of the frontend.
    pub ingress: Ingress,
    /// NetworkPolicies isolating frontend -> backend -> database.
    pub network_policy: Toggle,
    /// The `helm test` round-trip pod.
    pub tests: Toggle,
}

/// A reference to a Secret by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LocalObjectReference {
    /// Name of the Secret.
    #[schemars(length(min = 1))]
    pub name: String,
}

/// ServiceAccount settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceAccount {
    /// Create the ServiceAccount (its token is never mounted).
    pub create: bool,
    /// Its name (default: the full name); must exist when create is false.
    pub name: String,
    /// Annotations of the ServiceAccount.
    pub annotations: StringMap,
}

impl Values {
    /// The Secrets these values say are created outside the chart, with the key naming each:
    /// the release reads them, the render does not contain them.
    pub fn external_secrets(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        if !self.secrets.existing_secret.is_empty() {
            out.push((
                "secrets.existingSecret",
                self.secrets.existing_secret.as_str(),
            ));
        }
        if !self.postgresql.enabled && !self.external_database.existing_secret.is_empty() {
            out.push((
                "externalDatabase.existingSecret",
                self.external_database.existing_secret.as_str(),
            ));
        }
        out
    }
}

/// Secret material; empty values are generated once by the chart and kept on upgrade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Secrets {
    /// A pre-created Secret used instead of the chart's.
    pub existing_secret: String,
    /// JWT signing secret, at least 32 bytes; empty: generated.
    pub jwt_secret: String,
    /// API key of the LLM agent; empty: none.
    pub openai_api_key: String,
}

/// Non-secret settings of both services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    /// Log level of both services.
    pub log_level: LogLevel,
    /// Log format of both services.
    pub log_format: LogFormat,
    /// The chat agent.
    pub agent: Agent,
    /// OpenAI-compatible base URL (empty: the backend's default).
    pub openai_base_url: String,
    /// Model of the LLM agent (empty: the backend's default).
    pub openai_model: String,
    /// Lifetime of issued tokens in seconds (the backend accepts 60 to 604800).
    #[schemars(range(min = 60, max = 604_800))]
    pub token_ttl_seconds: u32,
    /// Seconds both services keep serving after SIGTERM, closing each connection after its
    /// response, while the pod leaves its Service's endpoints (0: stop at once).
    #[schemars(range(max = 300))]
    pub shutdown_drain_seconds: u32,
    /// Extra CORS origins of the backend (`https://host[:port]`, no path).
    pub cors_origins: Vec<String>,
    /// Extra hosts allowed to reach the MCP endpoint.
    pub mcp_allowed_hosts: Vec<String>,
    /// Mark the session cookie Secure: `auto` (when the request came over TLS, per
    /// X-Forwarded-Proto), `true` (needs HTTPS) or `false`.
    pub cookie_secure: CookieSecure,
}

/// The frontend's COOKIE_SECURE: `auto`, `true` or `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieSecure {
    /// Secure when the request came over TLS (X-Forwarded-Proto).
    Auto,
    /// Always Secure (HTTPS only).
    Always,
    /// Never Secure.
    Never,
}

impl Serialize for CookieSecure {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Auto => s.serialize_str("auto"),
            Self::Always => s.serialize_bool(true),
            Self::Never => s.serialize_bool(false),
        }
    }
}

impl<'de> Deserialize<'de> for CookieSecure {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = CookieSecure;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true, false or \"auto\"")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<CookieSecure, E> {
                Ok(if v {
                    CookieSecure::Always
                } else {
                    CookieSecure::Never
                })
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<CookieSecure, E> {
                match v {
                    "auto" => Ok(CookieSecure::Auto),
                    other => Err(E::invalid_value(serde::de::Unexpected::Str(other), &self)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for CookieSecure {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CookieSecure".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "true, false or \"auto\".",
            "anyOf": [
                { "type": "boolean" },
                { "type": "string", "const": "auto" }
            ]
        })
    }
}

/// Log levels understood by both services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// Log formats understood by both services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Which chat agent the backend runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Agent {
    /// Deterministic built-in agent; needs no API key.
    Builtin,
    /// LLM agent on an OpenAI-compatible endpoint; needs an API key.
    Llm,
    /// LLM agent when a key is present, built-in otherwise.
    Auto,
}

/// One of the two app Deployments (backend or frontend).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Component {
    /// Replicas when autoscaling is off.
    #[schemars(range(min = 0, max = 100))]
    pub replica_count: u32,
    /// The container image.
    pub image: Image,
    /// The Service in front of the pods.
    pub service: Service,
    /// CPU and memory requests and limits.
    pub resources: Resources,
    /// HorizontalPodAutoscaler.
    pub autoscaling: Autoscaling,
    /// PodDisruptionBudget.
    pub pod_disruption_budget: PodDisruptionBudget,
    /// Extra pod annotations.
    pub pod_annotations: StringMap,
    /// Node selector of the pods.
    pub node_selector: StringMap,
    /// Tolerations of the pods (Kubernetes objects, passed through).
    pub tolerations: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Affinity of the pods (a Kubernetes object, passed through).
    pub affinity: serde_json::Map<String, serde_json::Value>,
}

/// A container image reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Image {
    /// Repository (without tag).
    #[schemars(length(min = 1))]
    pub repository: String,
    /// A concrete tag (content hash or version), never `latest` or empty.
    #[schemars(
        length(min = 1, max = 128),
        regex(pattern = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"),
        extend("not" = { "const": "latest" })
    )]
    pub tag: String,
    /// Image pull policy.
    pub pull_policy: PullPolicy,
}

/// Kubernetes image pull policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[allow(missing_docs)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

/// A Service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Service {
    /// Service type.
    #[serde(rename = "type")]
    pub type_: ServiceType,
    /// Service port.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// Fixed node port (30000-32767), only with type NodePort; null: Kubernetes chooses.
    #[schemars(range(min = 30000, max = 32767))]
    pub node_port: Option<u32>,
}

/// Kubernetes Service types the chart supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[allow(missing_docs)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
}

impl fmt::Display for ServiceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::ClusterIP => "ClusterIP",
            Self::NodePort => "NodePort",
            Self::LoadBalancer => "LoadBalancer",
        };
        f.write_str(s)
    }
}

/// Requests and limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// What the scheduler reserves.
    pub requests: ResourceList,
    /// The ceiling.
    pub limits: ResourceList,
}

/// CPU and memory quantities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceList {
    /// CPU, e.g. `50m` or `1`.
    pub cpu: Quantity,
    /// Memory, e.g. `64Mi`.
    pub memory: Quantity,
}

/// A Kubernetes quantity, written as a string (`250m`, `64Mi`) or a plain number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Quantity {
    /// `250m`, `1Gi`, ...
    Text(String),
    /// `1`, `0.5`
    Number(serde_json::Number),
}

impl JsonSchema for Quantity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Kubernetes quantity such as 250m, 1, 64Mi or 1Gi.",
            "anyOf": [
                { "type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$" },
                { "type": "number", "minimum": 0 }
            ]
        })
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(s) => f.write_str(s),
            Self::Number(n) => write!(f, "{n}"),
        }
    }
}

impl Quantity {
    /// The value in base units (cores or bytes), or None when it does not parse.
    #[must_use]
    pub fn base_units(&self) -> Option<f64> {
        match self {
            Self::Number(n) => n.as_f64(),
            Self::Text(s) => parse_quantity(s),
        }
    }
}

fn parse_quantity(s: &str) -> Option<f64> {
    const SUFFIXES: [(&str, f64); 15] = [
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("m", 0.001),
        ("u", 1e-6),
        ("n", 1e-9),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    for (suffix, factor) in SUFFIXES {
        if let Some(num) = s.strip_suffix(suffix) {
            return num.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    s.parse::<f64>().ok()
}

/// HorizontalPodAutoscaler settings (always with a CPU metric).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Autoscaling {
    /// Create the HPA (needs metrics-server).
    pub enabled: bool,
    /// Lowest replica count.
    #[schemars(range(min = 1, max = 100))]
    pub min_replicas: u32,
    /// Highest replica count.
    #[schemars(range(min = 1, max = 100))]
    pub max_replicas: u32,
    /// Target average CPU utilization, percent of requests.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    #[schemars(range(min = 1, max = 100))]
    pub target_cpu_utilization_percentage: u32,
    /// Seconds the load must stay low before replicas are removed; null: Kubernetes' 300.
    #[schemars(range(min = 0, max = 3600))]
    pub scale_down_stabilization_window_seconds: Option<u32>,
}

/// PodDisruptionBudget settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodDisruptionBudget {
    /// Create the PDB.
    pub enabled: bool,
    /// Pods that must stay up during voluntary disruptions.
    #[schemars(range(min = 0, max = 100))]
    pub min_available: u32,
}

/// The embedded PostgreSQL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Postgresql {
    /// Run the StatefulSet; false: use externalDatabase.
    pub enabled: bool,
    /// The PostgreSQL image, pinned by tag.
    pub image: Image,
    /// Numeric uid/gid of the image's postgres user (70 alpine, 999 bookworm).
    #[schemars(range(min = 1, max = 2_147_483_647))]
    pub run_as_user: u32,
    /// Database credentials.
    pub auth: PostgresqlAuth,
    /// The PersistentVolumeClaim.
    pub persistence: Persistence,
    /// Root init container that chowns the data directory (PSS baseline).
    pub volume_permissions: Toggle,
    /// The Service.
    pub service: PortOnly,
    /// CPU and memory requests and limits.
    pub resources: Resources,
}

/// Database credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PostgresqlAuth {
    /// Database owner.
    #[schemars(length(min = 1, max = 63), regex(pattern = r"^[a-z_][a-z0-9_]*$"))]
    pub username: String,
    /// Database name.
    #[schemars(length(min = 1, max = 63), regex(pattern = r"^[a-z_][a-z0-9_]*$"))]
    pub database: String,
    /// Password (URL-safe characters); empty: generated.
    #[schemars(regex(pattern = r"^[A-Za-z0-9._~-]*$"))]
    pub password: String,
}

/// PersistentVolumeClaim settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Persistence {
    /// Claim size.
    pub size: Quantity,
    /// StorageClass (empty: the cluster default).
    pub storage_class: String,
    /// Use this existing PVC.
    pub existing_claim: String,
}

/// A Service with just a port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PortOnly {
    /// Service port.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
}

/// External PostgreSQL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalDatabase {
    /// Full postgres:// URL (stored in the chart's Secret).
    pub url: String,
    /// Secret that holds the URL.
    pub existing_secret: String,
    /// Key of the URL in existingSecret.
    #[schemars(length(min = 1))]
    pub existing_secret_key: String,
}

/// Ingress settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Ingress {
    /// Create the Ingress.
    pub enabled: bool,
    /// IngressClass (empty: the cluster default).
    pub class_name: String,
    /// Annotations of the Ingress.
    pub annotations: StringMap,
    /// Host name served.
    pub host: String,
    /// TLS termination.
    pub tls: IngressTls,
}

/// TLS of the Ingress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IngressTls {
    /// Terminate TLS.
    pub enabled: bool,
    /// Certificate Secret (default: <fullname>-tls).
    pub secret_name: String,
}

/// A feature switch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Toggle {
    /// Turn the feature on.
    pub enabled: bool,
}
