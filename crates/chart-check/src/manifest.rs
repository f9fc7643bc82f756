//! Multi-document manifests: split, parse into k8s-openapi types by apiVersion/kind, and find
//! every field the type does not know by comparing the raw document with the re-serialized typed
//! value (k8s-openapi, like the API server, silently drops unknown fields).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v1::HorizontalPodAutoscaler as HorizontalPodAutoscalerV1;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, EnvFromSource, EnvVarSource, LimitRange, Namespace, PersistentVolume,
    PersistentVolumeClaim, Pod, PodSpec, PodTemplateSpec, ResourceQuota, Secret, Service,
    ServiceAccount,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::Value;

use crate::catalog::RuleId;
use crate::finding::Finding;

/// A Kubernetes object parsed into its k8s-openapi type.
#[derive(Debug, Clone)]
#[allow(missing_docs, clippy::large_enum_variant)] // one variant per kind, named like the kind
pub enum Typed {
    ConfigMap(ConfigMap),
    Secret(Secret),
    Service(Service),
    ServiceAccount(ServiceAccount),
    PersistentVolumeClaim(PersistentVolumeClaim),
    Pod(Pod),
    Namespace(Namespace),
    LimitRange(LimitRange),
    ResourceQuota(ResourceQuota),
    Deployment(Deployment),
    StatefulSet(StatefulSet),
    DaemonSet(DaemonSet),
    ReplicaSet(ReplicaSet),
    Job(Job),
    CronJob(CronJob),
    PodDisruptionBudget(PodDisruptionBudget),
    HorizontalPodAutoscaler(HorizontalPodAutoscaler),
    Ingress(Ingress),
    IngressClass(IngressClass),
    NetworkPolicy(NetworkPolicy),
    Role(Role),
    RoleBinding(RoleBinding),
    ClusterRole(ClusterRole),
    ClusterRoleBinding(ClusterRoleBinding),
    Endpoints(Endpoints),
    PersistentVolume(PersistentVolume),
    EndpointSlice(EndpointSlice),
    StorageClass(StorageClass),
    PriorityClass(PriorityClass),
    HorizontalPodAutoscalerV1(HorizontalPodAutoscalerV1),
    CustomResourceDefinition(CustomResourceDefinition),
}

/// One object of a manifest stream.
#[derive(Debug, Clone)]
pub struct Object {
    /// `kind` as written.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, when set.
    pub namespace: Option<String>,
    /// The template that produced it (helm's `# Source:` comment).
    pub source: Option<String>,
    /// The document as parsed, before typing.
    pub raw: Value,
    /// The typed value.
    pub typed: Typed,
}

impl Object {
    /// `Kind/name`, the way reports name objects.
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// `metadata.labels` (empty when unset).
    pub fn labels(&self) -> std::collections::BTreeMap<String, String> {
        label_map(&self.raw, "labels")
    }

    /// `metadata.annotations` (empty when unset).
    pub fn annotations(&self) -> std::collections::BTreeMap<String, String> {
        label_map(&self.raw, "annotations")
    }

    /// The pod template (or the Pod's own spec) and the field path to its spec.
    pub fn pod(&self) -> Option<PodRef<'_>> {
        let (template, path): (Option<&PodTemplateSpec>, &str) = match &self.typed {
            Typed::Deployment(d) => (d.spec.as_ref().map(|s| &s.template), "spec.template"),
            Typed::StatefulSet(s) => (s.spec.as_ref().map(|s| &s.template), "spec.template"),
            Typed::DaemonSet(d) => (d.spec.as_ref().map(|s| &s.template), "spec.template"),
            Typed::ReplicaSet(r) => (
                r.spec.as_ref().and_then(|s| s.template.as_ref()),
                "spec.template",
            ),
            Typed::Job(j) => (j.spec.as_ref().map(|s| &s.template), "spec.template"),
            Typed::CronJob(c) => (
                c.spec
                    .as_ref()
                    .and_then(|s| s.job_template.spec.as_ref())
                    .map(|s| &s.template),
                "spec.jobTemplate.spec.template",
            ),
            Typed::Pod(p) => {
                return p.spec.as_ref().map(|spec| PodRef {
                    spec,
                    labels: p.metadata.labels.clone().unwrap_or_default(),
                    annotations: p.metadata.annotations.clone().unwrap_or_default(),
                    spec_path: "spec".to_owned(),
                    metadata_path: "metadata".to_owned(),
                    long_running: false,
                });
            }
            _ => return None,
        };
        let template = template?;
        let spec = template.spec.as_ref()?;
        let meta = template.metadata.as_ref();
        Some(PodRef {
            spec,
            labels: meta.and_then(|m| m.labels.clone()).unwrap_or_default(),
            annotations: meta.and_then(|m| m.annotations.clone()).unwrap_or_default(),
            spec_path: format!("{path}.spec"),
            metadata_path: format!("{path}.metadata"),
            long_running: matches!(
                self.typed,
                Typed::Deployment(_)
                    | Typed::StatefulSet(_)
                    | Typed::DaemonSet(_)
                    | Typed::ReplicaSet(_)
            ),
        })
    }

    /// `spec.replicas` of a Deployment, StatefulSet or ReplicaSet (`None` when unset or not
    /// scalable).
    pub fn replicas(&self) -> Option<i32> {
        match &self.typed {
            Typed::Deployment(d) => d.spec.as_ref()?.replicas,
            Typed::StatefulSet(s) => s.spec.as_ref()?.replicas,
            Typed::ReplicaSet(r) => r.spec.as_ref()?.replicas,
            _ => None,
        }
    }

    /// What a container's environment can read from a ConfigMap or Secret, by key: a
    /// ConfigMap's `data` (the kubelet reads no `binaryData` into env), a Secret's `data`
    /// (decoded as UTF-8, lossily) and `stringData`. `None` for any other kind.
    pub fn env_data(&self) -> Option<BTreeMap<String, String>> {
        match &self.typed {
            Typed::ConfigMap(c) => Some(c.data.clone().unwrap_or_default()),
            Typed::Secret(s) => Some(
                s.data
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned()))
                    .chain(s.string_data.clone().unwrap_or_default())
                    .collect(),
            ),
            _ => None,
        }
    }
}

/// A ConfigMap or Secret a container's environment reads: all of it (`envFrom`) or one key
/// (`env[].valueFrom`). The API server allows one source per entry, so an entry has at most one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvSource<'a> {
    /// `ConfigMap` or `Secret`.
    pub kind: &'static str,
    /// The object's name.
    pub name: &'a str,
    /// The key read; `None` for `envFrom`, which loads every key.
    pub key: Option<&'a str>,
    /// Marked `optional: true`: the container starts without it.
    pub optional: bool,
    /// The field under the entry that names it (`configMapRef`, `secretKeyRef`, ...).
    pub field: &'static str,
}

impl<'a> EnvSource<'a> {
    /// What an `envFrom` entry loads.
    pub fn of_env_from(from: &'a EnvFromSource) -> Option<EnvSource<'a>> {
        let whole = |kind, field, name: &'a str, optional: Option<bool>| EnvSource {
            kind,
            name,
            key: None,
            optional: optional == Some(true),
            field,
        };
        from.config_map_ref
            .as_ref()
            .map(|r| whole("ConfigMap", "configMapRef", &r.name, r.optional))
            .or_else(|| {
                from.secret_ref
                    .as_ref()
                    .map(|r| whole("Secret", "secretRef", &r.name, r.optional))
            })
    }

    /// The key an `env[].valueFrom` reads; `None` for field and resource references.
    pub fn of_value_from(from: &'a EnvVarSource) -> Option<EnvSource<'a>> {
        let keyed = |kind, field, name: &'a str, key: &'a str, optional: Option<bool>| EnvSource {
            kind,
            name,
            key: Some(key),
            optional: optional == Some(true),
            field,
        };
        from.config_map_key_ref
            .as_ref()
            .map(|r| keyed("ConfigMap", "configMapKeyRef", &r.name, &r.key, r.optional))
            .or_else(|| {
                from.secret_key_ref
                    .as_ref()
                    .map(|r| keyed("Secret", "secretKeyRef", &r.name, &r.key, r.optional))
            })
    }
}

/// A pod spec inside an object, with where it lives.
#[derive(Debug, Clone)]
pub struct PodRef<'a> {
    /// The pod spec.
    pub spec: &'a PodSpec,
    /// Pod labels.
    pub labels: std::collections::BTreeMap<String, String>,
    /// Pod annotations.
    pub annotations: std::collections::BTreeMap<String, String>,
    /// Path of the spec inside the object, e.g. `spec.template.spec`.
    pub spec_path: String,
    /// Path of the pod metadata, e.g. `spec.template.metadata`.
    pub metadata_path: String,
    /// True for controllers that keep pods running (probes apply); false for Jobs and bare Pods
    /// such as `helm test` hooks.
    pub long_running: bool,
}

fn label_map(raw: &Value, field: &str) -> std::collections::BTreeMap<String, String> {
    raw.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// One YAML document of a stream, before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDocument {
    /// 1-based position in the stream (counting empty documents too).
    pub index: usize,
    /// 1-based line of the document's first line in the stream.
    pub line: usize,
    /// helm's `# Source: chart/templates/x.yaml` comment, when present.
    pub source: Option<String>,
    /// The text.
    pub text: String,
}

/// Splits a multi-document YAML stream on `---` lines.
pub fn split_documents(text: &str) -> Vec<RawDocument> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut start_line = 1;
    let mut index = 0;
    let mut flush = |current: &mut String, start_line: usize, docs: &mut Vec<RawDocument>| {
        index += 1;
        let source = current.lines().find_map(|l| {
            l.trim()
                .strip_prefix("# Source:")
                .map(|s| s.trim().to_owned())
        });
        docs.push(RawDocument {
            index,
            line: start_line,
            source,
            text: std::mem::take(current),
        });
    };
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") || trimmed == "..." {
            if !current.trim().is_empty() || n > 0 {
                flush(&mut current, start_line, &mut docs);
            }
            start_line = n + 2;
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    flush(&mut current, start_line, &mut docs);
    docs
}

/// The objects of a manifest stream and the findings parsing produced.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Every object that parsed into its type.
    pub objects: Vec<Object>,
    /// yaml-invalid, unknown-kind, object-invalid and unknown-field findings.
    pub findings: Vec<Finding>,
    /// Documents seen (non-empty).
    pub documents: usize,
}

/// Parses a multi-document manifest stream: empty documents are skipped, `List` objects are
/// expanded, each object is typed by apiVersion/kind and compared field by field with its typed
/// form.
pub fn parse_stream(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    for doc in split_documents(text) {
        if is_blank(&doc.text) {
            continue;
        }
        let value: Value = match serde_saphyr::from_str(&doc.text) {
            Ok(v) => v,
            Err(e) => {
                parsed.documents += 1;
                let mut f = Finding::new(
                    RuleId::YamlInvalid,
                    format!("document #{}", doc.index),
                    format!(
                        "{} (document starts at line {})",
                        one_line(&e.to_string()),
                        doc.line
                    ),
                );
                f.source = doc.source.clone();
                parsed.findings.push(f);
                continue;
            }
        };
        if value.is_null() {
            continue;
        }
        parsed.documents += 1;
        let items = match value.get("kind").and_then(Value::as_str) {
            Some(k) if k.ends_with("List") && value.get("items").is_some() => value
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            _ => vec![value],
        };
        for item in items {
            parse_object(item, &doc, &mut parsed);
        }
    }
    parsed
}

fn is_blank(text: &str) -> bool {
    text.lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse_object(raw: Value, doc: &RawDocument, parsed: &mut Parsed) {
    let api_version = raw.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = raw
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let name = raw
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let id = if kind.is_empty() || name.is_empty() {
        format!(
            "{}/{}",
            if kind.is_empty() { "?" } else { &kind },
            if name.is_empty() {
                format!("document #{}", doc.index)
            } else {
                name.clone()
            }
        )
    } else {
        format!("{kind}/{name}")
    };
    let finding = |rule: RuleId, message: String| {
        let mut f = Finding::new(rule, id.clone(), message);
        f.source = doc.source.clone();
        f
    };
    let typed = match typed(api_version, &kind, &raw) {
        Some(Ok(t)) => t,
        Some(Err((path, message))) => {
            let mut f = finding(RuleId::ObjectInvalid, message);
            if !path.is_empty() && path != "." {
                f = f.at(path);
            }
            parsed.findings.push(f);
            return;
        }
        None => {
            parsed.findings.push(finding(
                RuleId::UnknownKind,
                format!(
                    "apiVersion {api_version:?} kind {kind:?} is not a Kubernetes type this checker knows"
                ),
            ));
            return;
        }
    };
    let retyped = match serialize(&typed) {
        Ok(v) => v,
        Err(e) => {
            parsed
                .findings
                .push(finding(RuleId::ObjectInvalid, e.to_string()));
            return;
        }
    };
    let mut unknown = Vec::new();
    unknown_fields(&raw, &retyped, &mut String::new(), &mut unknown);
    for path in unknown {
        let field = path.rsplit(['.', ']']).next().unwrap_or(&path).to_owned();
        parsed.findings.push(
            finding(
                RuleId::UnknownField,
                format!("{kind} has no field {field:?} here: Kubernetes would drop it silently"),
            )
            .at(path),
        );
    }
    parsed.objects.push(Object {
        namespace: raw
            .get("metadata")
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        kind,
        name,
        source: doc.source.clone(),
        raw,
        typed,
    });
}

type TypeResult = Result<Typed, (String, String)>;

fn de<T: serde::de::DeserializeOwned>(raw: &Value, wrap: fn(T) -> Typed) -> TypeResult {
    serde_path_to_error::deserialize::<_, T>(raw.clone())
        .map(wrap)
        .map_err(|e| (e.path().to_string(), e.inner().to_string()))
}

fn typed(api_version: &str, kind: &str, raw: &Value) -> Option<TypeResult> {
    Some(match (api_version, kind) {
        ("v1", "ConfigMap") => de(raw, Typed::ConfigMap),
        ("v1", "Secret") => de(raw, Typed::Secret),
        ("v1", "Service") => de(raw, Typed::Service),
        ("v1", "ServiceAccount") => de(raw, Typed::ServiceAccount),
        ("v1", "PersistentVolumeClaim") => de(raw, Typed::PersistentVolumeClaim),
        ("v1", "Pod") => de(raw, Typed::Pod),
        ("v1", "Namespace") => de(raw, Typed::Namespace),
        ("v1", "LimitRange") => de(raw, Typed::LimitRange),
        ("v1", "ResourceQuota") => de(raw, Typed::ResourceQuota),
        ("apps/v1", "Deployment") => de(raw, Typed::Deployment),
        ("apps/v1", "StatefulSet") => de(raw, Typed::StatefulSet),
        ("apps/v1", "DaemonSet") => de(raw, Typed::DaemonSet),
        ("apps/v1", "ReplicaSet") => de(raw, Typed::ReplicaSet),
        ("batch/v1", "Job") => de(raw, Typed::Job),
        ("batch/v1", "CronJob") => de(raw, Typed::CronJob),
        ("policy/v1", "PodDisruptionBudget") => de(raw, Typed::PodDisruptionBudget),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => de(raw, Typed::HorizontalPodAutoscaler),
        ("networking.k8s.io/v1", "Ingress") => de(raw, Typed::Ingress),
        ("networking.k8s.io/v1", "IngressClass") => de(raw, Typed::IngressClass),
        ("networking.k8s.io/v1", "NetworkPolicy") => de(raw, Typed::NetworkPolicy),
        ("rbac.authorization.k8s.io/v1", "Role") => de(raw, Typed::Role),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => de(raw, Typed::RoleBinding),
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => de(raw, Typed::ClusterRole),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
            de(raw, Typed::ClusterRoleBinding)
        }
        ("v1", "Endpoints") => de(raw, Typed::Endpoints),
        ("v1", "PersistentVolume") => de(raw, Typed::PersistentVolume),
        ("discovery.k8s.io/v1", "EndpointSlice") => de(raw, Typed::EndpointSlice),
        ("storage.k8s.io/v1", "StorageClass") => de(raw, Typed::StorageClass),
        ("scheduling.k8s.io/v1", "PriorityClass") => de(raw, Typed::PriorityClass),
        ("autoscaling/v1", "HorizontalPodAutoscaler") => de(raw, Typed::HorizontalPodAutoscalerV1),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => {
            de(raw, Typed::CustomResourceDefinition)
        }
        _ => return None,
    })
}

fn serialize(t: &Typed) -> serde_json::Result<Value> {
    match t {
        Typed::ConfigMap(v) => serde_json::to_value(v),
        Typed::Secret(v) => serde_json::to_value(v),
        Typed::Service(v) => serde_json::to_value(v),
        Typed::ServiceAccount(v) => serde_json::to_value(v),
        Typed::PersistentVolumeClaim(v) => serde_json::to_value(v),
        Typed::Pod(v) => serde_json::to_value(v),
        Typed::Namespace(v) => serde_json::to_value(v),
        Typed::LimitRange(v) => serde_json::to_value(v),
        Typed::ResourceQuota(v) => serde_json::to_value(v),
        Typed::Deployment(v) => serde_json::to_value(v),
        Typed::StatefulSet(v) => serde_json::to_value(v),
        Typed::DaemonSet(v) => serde_json::to_value(v),
        Typed::ReplicaSet(v) => serde_json::to_value(v),
        Typed::Job(v) => serde_json::to_value(v),
        Typed::CronJob(v) => serde_json::to_value(v),
        Typed::PodDisruptionBudget(v) => serde_json::to_value(v),
        Typed::HorizontalPodAutoscaler(v) => serde_json::to_value(v),
        Typed::Ingress(v) => serde_json::to_value(v),
        Typed::IngressClass(v) => serde_json::to_value(v),
        Typed::NetworkPolicy(v) => serde_json::to_value(v),
        Typed::Role(v) => serde_json::to_value(v),
        Typed::RoleBinding(v) => serde_json::to_value(v),
        Typed::ClusterRole(v) => serde_json::to_value(v),
        Typed::ClusterRoleBinding(v) => serde_json::to_value(v),
        Typed::Endpoints(v) => serde_json::to_value(v),
        Typed::PersistentVolume(v) => serde_json::to_value(v),
        Typed::EndpointSlice(v) => serde_json::to_value(v),
        Typed::StorageClass(v) => serde_json::to_value(v),
        Typed::PriorityClass(v) => serde_json::to_value(v),
        Typed::HorizontalPodAutoscalerV1(v) => serde_json::to_value(v),
        Typed::CustomResourceDefinition(v) => serde_json::to_value(v),
    }
}

/// Collects the path of every field present in `raw` but absent from `typed`.
///
/// Only keys matter: scalar differences (int-or-string, quantities, base64) are the type's own
/// normalisation. A raw `null` that the type drops is an absent optional, not an unknown field.
pub fn unknown_fields(raw: &Value, typed: &Value, path: &mut String, out: &mut Vec<String>) {
    match (raw, typed) {
        (Value::Object(r), Value::Object(t)) => {
            for (key, rv) in r {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                match t.get(key) {
                    Some(tv) => unknown_fields(rv, tv, path, out),
                    None if rv.is_null() => {}
                    None => out.push(path.clone()),
                }
                path.truncate(len);
            }
        }
        (Value::Array(r), Value::Array(t)) => {
            for (i, (rv, tv)) in r.iter().zip(t).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                unknown_fields(rv, tv, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}
