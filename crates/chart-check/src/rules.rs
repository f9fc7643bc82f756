//! The policy rules over a set of parsed objects. Each check is a small function that pushes
//! [`Finding`]s; [`apply`] runs them all. The catalog ([`crate::catalog`]) documents each id.

use std::collections::{BTreeMap, BTreeSet};

use dockerfile_check::ImageRef;
use k8s_openapi::api::core::v1::{Container, PodSpec, Probe};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::catalog::RuleId;
use crate::finding::Finding;
use crate::manifest::{EnvSource, Object, PodRef, Typed};

/// The two labels every object should carry.
pub const RECOMMENDED_LABELS: [&str; 2] = ["app.kubernetes.io/name", "app.kubernetes.io/instance"];

/// Runs every rule of the catalog over `objects`.
pub fn apply(objects: &[Object]) -> Vec<Finding> {
    let mut cx = Cx {
        objects,
        findings: Vec::new(),
    };
    duplicates(&mut cx);
    for obj in objects {
        labels(&mut cx, obj);
        if let Some(pod) = obj.pod() {
            workload_selector(&mut cx, obj, &pod);
            pod_security(&mut cx, obj, &pod);
            containers(&mut cx, obj, &pod);
            references(&mut cx, obj, &pod);
            checksums(&mut cx, obj, &pod);
            automount(&mut cx, obj, &pod);
        }
        match &obj.typed {
            Typed::ConfigMap(cm) => {
                for (key, value) in cm.data.iter().flatten() {
                    if let Some(why) = secret_looking(key, value) {
                        cx.push(
                            obj,
                            Finding::new(
                                RuleId::SecretInConfigmap,
                                obj.id(),
                                format!("key {key:?} {why}: keep it in a Secret"),
                            )
                            .at(format!("data.{key}")),
                        );
                    }
                }
            }
            Typed::Service(_) => service(&mut cx, obj),
            Typed::ServiceAccount(sa) if sa.automount_service_account_token != Some(false) => {
                cx.push(
                    obj,
                    Finding::new(
                        RuleId::AutomountToken,
                        obj.id(),
                        "ServiceAccount does not set automountServiceAccountToken: false",
                    )
                    .at("automountServiceAccountToken"),
                );
            }
            Typed::PodDisruptionBudget(_) => pdb(&mut cx, obj),
            Typed::HorizontalPodAutoscaler(_) | Typed::HorizontalPodAutoscalerV1(_) => {
                hpa(&mut cx, obj);
            }
            Typed::StatefulSet(_) => statefulset(&mut cx, obj),
            Typed::Ingress(ing) => {
                let spec = ing.spec.as_ref();
                for (i, tls) in spec
                    .and_then(|s| s.tls.as_ref())
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if let Some(name) = &tls.secret_name {
                        cx.require("Secret", name, obj, &format!("spec.tls[{i}].secretName"));
                    }
                }
                for svc in ingress_services(obj) {
                    cx.require("Service", &svc, obj, "spec.rules");
                }
            }
            _ => {}
        }
    }
    network_policies(&mut cx);
    cx.findings
}

struct Cx<'a> {
    objects: &'a [Object],
    findings: Vec<Finding>,
}

impl Cx<'_> {
    fn push(&mut self, obj: &Object, mut f: Finding) {
        f.source.clone_from(&obj.source);
        self.findings.push(f);
    }

    fn find(&self, kind: &str, name: &str) -> Option<&Object> {
        self.objects
            .iter()
            .find(|o| o.kind == kind && o.name == name)
    }

    /// Reports a dangling reference when `kind/name` is not rendered.
    fn require(&mut self, kind: &str, name: &str, obj: &Object, path: &str) {
        if self.find(kind, name).is_none() {
            self.push(
                obj,
                Finding::new(
                    RuleId::DanglingReference,
                    obj.id(),
                    format!("references {kind} {name:?}, which is not in the render"),
                )
                .at(path)
                .about(format!("{kind}/{name}")),
            );
        }
    }

    /// Pods of the render (objects with a pod spec).
    fn pods(&self) -> impl Iterator<Item = (&Object, PodRef<'_>)> {
        self.objects.iter().filter_map(|o| o.pod().map(|p| (o, p)))
    }
}

fn duplicates(cx: &mut Cx<'_>) {
    let mut seen = BTreeSet::new();
    for obj in cx.objects {
        if !seen.insert((obj.kind.clone(), obj.namespace.clone(), obj.name.clone())) {
            cx.push(
                obj,
                Finding::new(
                    RuleId::DuplicateObject,
                    obj.id(),
                    "rendered twice: the second copy overwrites the first",
                ),
            );
        }
    }
}

fn labels(cx: &mut Cx<'_>, obj: &Object) {
    let missing = |labels: &BTreeMap<String, String>| -> Vec<&str> {
        RECOMMENDED_LABELS
            .iter()
            .copied()
            .filter(|l| labels.get(*l).is_none_or(String::is_empty))
            .collect()
    };
    let m = missing(&obj.labels());
    if !m.is_empty() {
        cx.push(
            obj,
            Finding::new(
                RuleId::RecommendedLabels,
                obj.id(),
                format!("missing label(s) {}", m.join(", ")),
            )
            .at("metadata.labels"),
        );
    }
    if let Some(pod) = obj.pod().filter(|_| obj.kind != "Pod") {
        let m = missing(&pod.labels);
        if !m.is_empty() {
            cx.push(
                obj,
                Finding::new(
                    RuleId::RecommendedLabels,
                    obj.id(),
                    format!("pod template misses label(s) {}", m.join(", ")),
                )
                .at(format!("{}.labels", pod.metadata_path)),
            );
        }
    }
}

/// Every container of a pod with its field path and whether it is an init container.
fn all_containers<'a>(pod: &PodRef<'a>) -> Vec<(String, &'a Container, bool)> {
    let spec: &'a PodSpec = pod.spec;
    let mut out = Vec::new();
    for (i, c) in spec.init_containers.iter().flatten().enumerate() {
        out.push((format!("{}.initContainers[{i}]", pod.spec_path), c, true));
    }
    for (i, c) in spec.containers.iter().enumerate() {
        out.push((format!("{}.containers[{i}]", pod.spec_path), c, false));
    }
    out
}

fn pod_security(cx: &mut Cx<'_>, obj: &Object, pod: &PodRef<'_>) {
    let spec = pod.spec;
    let sp = &pod.spec_path;
    for (field, on) in [
        ("hostNetwork", spec.host_network),
        ("hostPID", spec.host_pid),
        ("hostIPC", spec.host_ipc),
    ] {
        if on == Some(true) {
            cx.push(
                obj,
                Finding::new(
                    RuleId::PssHostNamespaces,
                    obj.id(),
                    format!("{field}: true"),
                )
                .at(format!("{sp}.{field}")),
            );
        }
    }
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        if v.host_path.is_some() {
            cx.push(
                obj,
                Finding::new(
                    RuleId::PssHostPath,
                    obj.id(),
                    format!("volume {:?} is a hostPath", v.name),
                )
                .at(format!("{sp}.volumes[{i}].hostPath"))
                .about(format!("volume {}", v.name)),
            );
        }
    }
    let psc = spec.security_context.as_ref();
    for (path, c, _) in all_containers(pod) {
        let sc = c.security_context.as_ref();
        let about = format!("container {}", c.name);
        let mut push = |rule: RuleId, msg: String, field: &str| {
            cx.push(
                obj,
                Finding::new(rule, obj.id(), format!("container {:?}: {msg}", c.name))
                    .at(format!("{path}.{field}"))
                    .about(about.clone()),
            );
        };
        if sc.and_then(|s| s.privileged) == Some(true) {
            push(
                RuleId::PssPrivileged,
                "privileged: true".into(),
                "securityContext.privileged",
            );
        }
        for (j, p) in c.ports.iter().flatten().enumerate() {
            if p.host_port.is_some_and(|h| h != 0) {
                push(
                    RuleId::PssHostPort,
                    format!("hostPort {}", p.host_port.unwrap_or_default()),
                    &format!("ports[{j}].hostPort"),
                );
            }
        }
        let non_root = sc
            .and_then(|s| s.run_as_non_root)
            .or(psc.and_then(|s| s.run_as_non_root));
        let user = sc
            .and_then(|s| s.run_as_user)
            .or(psc.and_then(|s| s.run_as_user));
        if non_root != Some(true) {
            push(
                RuleId::PssRunAsNonRoot,
                "runAsNonRoot is not true (pod or container)".into(),
                "securityContext.runAsNonRoot",
            );
        } else if user == Some(0) {
            push(
                RuleId::PssRunAsNonRoot,
                "runAsUser is 0 (root)".into(),
                "securityContext.runAsUser",
            );
        } else if user.is_none() {
            push(
                RuleId::PssRunAsNonRoot,
                "no numeric runAsUser (pod or container): the image's USER decides".into(),
                "securityContext.runAsUser",
            );
        }
        if sc.and_then(|s| s.allow_privilege_escalation) != Some(false) {
            push(
                RuleId::PssPrivilegeEscalation,
                "allowPrivilegeEscalation is not false".into(),
                "securityContext.allowPrivilegeEscalation",
            );
        }
        let caps = sc.and_then(|s| s.capabilities.as_ref());
        let drops_all = caps
            .and_then(|c| c.drop.as_ref())
            .is_some_and(|d| d.iter().any(|x| x.eq_ignore_ascii_case("ALL")));
        if !drops_all {
            push(
                RuleId::PssCapabilities,
                "capabilities.drop does not contain ALL".into(),
                "securityContext.capabilities.drop",
            );
        }
        let added: Vec<&String> = caps
            .and_then(|c| c.add.as_ref())
            .into_iter()
            .flatten()
            .filter(|a| !a.eq_ignore_ascii_case("NET_BIND_SERVICE"))
            .collect();
        if !added.is_empty() {
            push(
                RuleId::PssCapabilities,
                format!("adds capabilities {added:?} (only NET_BIND_SERVICE is allowed)"),
                "securityContext.capabilities.add",
            );
        }
        let seccomp = sc
            .and_then(|s| s.seccomp_profile.as_ref())
            .or(psc.and_then(|s| s.seccomp_profile.as_ref()))
            .map(|p| p.type_.as_str());
        if !matches!(seccomp, Some("RuntimeDefault" | "Localhost")) {
            push(
                RuleId::PssSeccomp,
                format!(
                    "seccompProfile.type is {} (needs RuntimeDefault or Localhost)",
                    seccomp.unwrap_or("unset")
                ),
                "securityContext.seccompProfile",
            );
        }
        if sc.and_then(|s| s.read_only_root_filesystem) != Some(true) {
            push(
                RuleId::ReadOnlyRootFilesystem,
                "readOnlyRootFilesystem is not true".into(),
                "securityContext.readOnlyRootFilesystem",
            );
        }
    }
}

fn port_declared(c: &Container, port: &IntOrString) -> bool {
    c.ports.iter().flatten().any(|p| match port {
        IntOrString::Int(n) => p.container_port == *n,
        IntOrString::String(s) => {
            p.name.as_deref() == Some(s.as_str()) || s.parse::<i32>().ok() == Some(p.container_port)
        }
    })
}

fn probe_port(p: &Probe) -> Option<IntOrString> {
    if let Some(h) = &p.http_get {
        return Some(h.port.clone());
    }
    if let Some(t) = &p.tcp_socket {
        return Some(t.port.clone());
    }
    p.grpc.as_ref().map(|g| IntOrString::Int(g.port))
}

fn show_port(p: &IntOrString) -> String {
    match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => format!("{s:?}"),
    }
}

fn containers(cx: &mut Cx<'_>, obj: &Object, pod: &PodRef<'_>) {
    for (path, c, init) in all_containers(pod) {
        let about = format!("container {}", c.name);
        // Probes: long-running app containers only (init containers and test hooks exit).
        if pod.long_running && !init {
            let probes = [
                ("startupProbe", &c.startup_probe),
                ("livenessProbe", &c.liveness_probe),
                ("readinessProbe", &c.readiness_probe),
            ];
            let missing: Vec<&str> = probes
                .iter()
                .filter(|(_, p)| p.is_none())
                .map(|(n, _)| *n)
                .collect();
            if !missing.is_empty() {
                cx.push(
                    obj,
                    Finding::new(
                        RuleId::ProbesMissing,
                        obj.id(),
                        format!("container {:?} has no {}", c.name, missing.join(", ")),
                    )
                    .at(path.clone())
                    .about(about.clone()),
                );
            }
            for (field, probe) in probes {
                if let Some(port) = probe.as_ref().and_then(probe_port)
                    && !port_declared(c, &port)
                {
                    cx.push(
                        obj,
                        Finding::new(
                            RuleId::ProbePort,
                            obj.id(),
                            format!(
                                "container {:?}: {field} uses port {}, which the container does not declare",
                                c.name,
                                show_port(&port)
                            ),
                        )
                        .at(format!("{path}.{field}"))
                        .about(about.clone()),
                    );
                }
            }
        }
        // Resources.
        let res = c.resources.as_ref();
        let mut missing = Vec::new();
        for (section, map) in [
            ("requests", res.and_then(|r| r.requests.as_ref())),
            ("limits", res.and_then(|r| r.limits.as_ref())),
        ] {
            for key in ["cpu", "memory"] {
                if map.and_then(|m| m.get(key)).is_none() {
                    missing.push(format!("{section}.{key}"));
                }
            }
        }
        if !missing.is_empty() {
            cx.push(
                obj,
                Finding::new(
                    RuleId::ResourcesMissing,
                    obj.id(),
                    format!("container {:?} has no {}", c.name, missing.join(", ")),
                )
                .at(format!("{path}.resources"))
                .about(about.clone()),
            );
        }
        // Image tag and pull policy.
        let image = c.image.clone().unwrap_or_default();
        let reference = ImageRef::new(&image);
        let tag = reference.tag();
        if !reference.is_pinned_by_digest() && tag.is_none_or(|t| t.is_empty() || t == "latest") {
            cx.push(
                obj,
                Finding::new(
                    RuleId::ImageTag,
                    obj.id(),
                    format!(
                        "container {:?}: image {image:?} {}",
                        c.name,
                        if tag == Some("latest") {
                            "uses :latest"
                        } else {
                            "has no tag"
                        }
                    ),
                )
                .at(format!("{path}.image"))
                .about(about.clone()),
            );
        }
        match c.image_pull_policy.as_deref() {
            None => cx.push(
                obj,
                Finding::new(
                    RuleId::ImagePullPolicy,
                    obj.id(),
                    format!(
                        "container {:?}: imagePullPolicy not set (the default depends on the tag)",
                        c.name
                    ),
                )
                .at(format!("{path}.imagePullPolicy"))
                .about(about.clone()),
            ),
            Some("Always") if reference.is_pinned_by_digest() => cx.push(
                obj,
                Finding::new(
                    RuleId::ImagePullPolicy,
                    obj.id(),
                    format!(
                        "container {:?}: Always on a digest-pinned image only adds registry calls",
                        c.name
                    ),
                )
                .at(format!("{path}.imagePullPolicy"))
                .about(about.clone()),
            ),
            _ => {}
        }
        // Env.
        let mut seen = BTreeSet::new();
        for (i, e) in c.env.iter().flatten().enumerate() {
            if !seen.insert(e.name.as_str()) {
                cx.push(
                    obj,
                    Finding::new(
                        RuleId::DuplicateEnv,
                        obj.id(),
                        format!(
                            "container {:?} sets {} twice: only the last one counts",
                            c.name, e.name
                        ),
                    )
                    .at(format!("{path}.env[{i}]"))
                    .about(about.clone()),
                );
            }
            if let Some(value) = &e.value
                && let Some(why) = secret_looking(&e.name, value)
            {
                cx.push(
                    obj,
                    Finding::new(
                        RuleId::SecretInEnv,
                        obj.id(),
                        format!(
                            "container {:?}: env {} {why}: use secretKeyRef",
                            c.name, e.name
                        ),
                    )
                    .at(format!("{path}.env[{i}].value"))
                    .about(about.clone()),
                );
            }
        }
    }
}

/// Why a key/value pair looks like a secret, or None.
pub fn secret_looking(key: &str, value: &str) -> Option<&'static str> {
    if !value.is_empty() && secret_key(key) && !value.trim_start().starts_with("$(") {
        return Some("has a secret-looking name");
    }
    if credential_value(value) {
        return Some("holds a credential-looking value");
    }
    None
}

fn secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let segs: Vec<&str> = lower
        .split(['_', '-', '.'])
        .filter(|s| !s.is_empty())
        .collect();
    let Some(last) = segs.last() else {
        return false;
    };
    if segs.iter().any(|s| matches!(*s, "password" | "passwd")) {
        return true;
    }
    if matches!(
        *last,
        "pwd" | "secret" | "token" | "credential" | "credentials" | "apikey" | "privatekey"
    ) {
        return true;
    }
    *last == "key"
        && segs.len() >= 2
        && matches!(
            segs[segs.len() - 2],
            "api" | "private" | "access" | "secret" | "signing"
        )
}

fn credential_value(value: &str) -> bool {
    let v = value.trim();
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return true;
    }
    if v.starts_with("sk-") && v.len() >= 20 && !v.contains(' ') {
        return true;
    }
    // scheme://user:password@host with a literal password ($(VAR) expansion is fine).
    if let Some((_, rest)) = v.split_once("://")
        && let Some((userinfo, _)) = rest.split_once('@')
        && !userinfo.contains('/')
        && let Some((_, password)) = userinfo.split_once(':')
    {
        return !password.is_empty() && !password.starts_with("$(");
    }
    false
}

/// An object a pod consumes by name.
struct Consumed {
    /// `ConfigMap`, `Secret` or `PersistentVolumeClaim`.
    kind: &'static str,
    name: String,
    /// Marked `optional: true`: the pod starts without it.
    optional: bool,
    /// Where the pod names it (`spec.template.spec.containers[0].envFrom[0].secretRef`).
    path: String,
}

/// Names consumed by a pod.
fn pod_refs(pod: &PodRef<'_>) -> Vec<Consumed> {
    let mut out = Vec::new();
    let mut push = |kind: &'static str, name: String, optional: bool, path: String| {
        out.push(Consumed {
            kind,
            name,
            optional,
            path,
        });
    };
    let spec = pod.spec;
    let sp = &pod.spec_path;
    for (path, c, _) in all_containers(pod) {
        for (i, ef) in c.env_from.iter().flatten().enumerate() {
            if let Some(r) = EnvSource::of_env_from(ef) {
                let at = format!("{path}.envFrom[{i}].{}", r.field);
                push(r.kind, r.name.to_owned(), r.optional, at);
            }
        }
        for (i, e) in c.env.iter().flatten().enumerate() {
            if let Some(r) = e.value_from.as_ref().and_then(EnvSource::of_value_from) {
                let at = format!("{path}.env[{i}].valueFrom.{}", r.field);
                push(r.kind, r.name.to_owned(), r.optional, at);
            }
        }
    }
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        let vp = format!("{sp}.volumes[{i}]");
        if let Some(cm) = &v.config_map {
            push(
                "ConfigMap",
                cm.name.clone(),
                cm.optional == Some(true),
                format!("{vp}.configMap"),
            );
        }
        if let Some(s) = &v.secret
            && let Some(name) = &s.secret_name
        {
            push(
                "Secret",
                name.clone(),
                s.optional == Some(true),
                format!("{vp}.secret"),
            );
        }
        if let Some(p) = &v.persistent_volume_claim {
            push(
                "PersistentVolumeClaim",
                p.claim_name.clone(),
                false,
                format!("{vp}.persistentVolumeClaim"),
            );
        }
        for (j, src) in v
            .projected
            .iter()
            .flat_map(|p| p.sources.iter().flatten())
            .enumerate()
        {
            if let Some(cm) = &src.config_map {
                push(
                    "ConfigMap",
                    cm.name.clone(),
                    cm.optional == Some(true),
                    format!("{vp}.projected.sources[{j}].configMap"),
                );
            }
            if let Some(s) = &src.secret {
                push(
                    "Secret",
                    s.name.clone(),
                    s.optional == Some(true),
                    format!("{vp}.projected.sources[{j}].secret"),
                );
            }
        }
    }
    for (i, s) in spec.image_pull_secrets.iter().flatten().enumerate() {
        push(
            "Secret",
            s.name.clone(),
            false,
            format!("{sp}.imagePullSecrets[{i}]"),
        );
    }
    out
}

fn references(cx: &mut Cx<'_>, obj: &Object, pod: &PodRef<'_>) {
    for r in pod_refs(pod) {
        if !r.optional {
            cx.require(r.kind, &r.name, obj, &r.path);
        }
    }
    // Keys of rendered ConfigMaps and Secrets: a typo in a key is as fatal as in a name.
    for (path, c, _) in all_containers(pod) {
        for (i, e) in c.env.iter().flatten().enumerate() {
            let source = e.value_from.as_ref().and_then(EnvSource::of_value_from);
            let Some(EnvSource {
                kind,
                name,
                key: Some(key),
                optional: false,
                ..
            }) = source
            else {
                continue;
            };
            let Some(data) = cx.find(kind, name).and_then(Object::env_data) else {
                continue;
            };
            if !data.contains_key(key) {
                let has: Vec<&str> = data.keys().map(String::as_str).collect();
                cx.push(
                    obj,
                    Finding::new(
                        RuleId::DanglingReference,
                        obj.id(),
                        format!(
                            "env {} reads key {key:?} of {kind} {name:?}, which has no such key (has: {})",
                            e.name,
                            has.join(", ")
                        ),
                    )
                    .at(format!("{path}.env[{i}].valueFrom"))
                    .about(format!("{kind}/{name}")),
                );
            }
        }
    }
    if let Some(sa) = pod
        .spec
        .service_account_name
        .as_ref()
        .filter(|s| !s.is_empty() && *s != "default")
    {
        cx.require(
            "ServiceAccount",
            sa,
            obj,
            &format!("{}.serviceAccountName", pod.spec_path),
        );
    }
}

fn checksums(cx: &mut Cx<'_>, obj: &Object, pod: &PodRef<'_>) {
    let sums: Vec<&String> = pod
        .annotations
        .keys()
        .filter(|k| k.starts_with("checksum/"))
        .collect();
    let mut done = BTreeSet::new();
    for Consumed { kind, name, .. } in pod_refs(pod) {
        if kind == "PersistentVolumeClaim" || cx.find(kind, &name).is_none() {
            continue;
        }
        if !done.insert((kind, name.clone())) {
            continue;
        }
        let word = if kind == "ConfigMap" {
            "config"
        } else {
            "secret"
        };
        let covered = sums
            .iter()
            .any(|k| k.contains(word) || k.contains(name.as_str()));
        // An image pull secret does not change what the pod runs.
        let pull_secret = pod
            .spec
            .image_pull_secrets
            .iter()
            .flatten()
            .any(|s| s.name == name)
            && kind == "Secret";
        if !covered && !pull_secret {
            cx.push(
                obj,
                Finding::new(
                    RuleId::ConfigChecksum,
                    obj.id(),
                    format!(
                        "the pod reads {kind} {name:?} but has no checksum/{word} annotation: a change would not roll it"
                    ),
                )
                .at(format!("{}.annotations", pod.metadata_path))
                .about(format!("{kind}/{name}")),
            );
        }
    }
}

fn automount(cx: &mut Cx<'_>, obj: &Object, pod: &PodRef<'_>) {
    let sa_value = pod
        .spec
        .service_account_name
        .as_ref()
        .and_then(|n| cx.find("ServiceAccount", n))
        .and_then(|o| match &o.typed {
            Typed::ServiceAccount(sa) => sa.automount_service_account_token,
            _ => None,
        });
    if pod.spec.automount_service_account_token.or(sa_value) != Some(false) {
        cx.push(
            obj,
            Finding::new(
                RuleId::AutomountToken,
                obj.id(),
                "pod mounts a ServiceAccount token (automountServiceAccountToken is not false)",
            )
            .at(format!("{}.automountServiceAccountToken", pod.spec_path)),
        );
    }
}

/// Whether a label selector (matchLabels and matchExpressions) selects `labels`.
pub fn selector_matches(sel: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let ml = sel
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let me = sel.match_expressions.iter().flatten().all(|req| {
        let values = req.values.clone().unwrap_or_default();
        let have = labels.get(&req.key);
        match req.operator.as_str() {
            "In" => have.is_some_and(|v| values.contains(v)),
            "NotIn" => have.is_none_or(|v| !values.contains(v)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        }
    });
    ml && me
}

/// The selector a controller owns its pods by, with its path; `None` when the API server
/// generates it (a Job or CronJob without `manualSelector: true`) or the kind has none.
fn owning_selector(obj: &Object) -> Option<(Option<&LabelSelector>, &'static str)> {
    let selector = match &obj.typed {
        Typed::Deployment(d) => Some(&d.spec.as_ref()?.selector),
        Typed::StatefulSet(s) => Some(&s.spec.as_ref()?.selector),
        Typed::DaemonSet(d) => Some(&d.spec.as_ref()?.selector),
        Typed::ReplicaSet(r) => Some(&r.spec.as_ref()?.selector),
        Typed::Job(j) => {
            let spec = j.spec.as_ref()?;
            return (spec.manual_selector == Some(true))
                .then_some((spec.selector.as_ref(), "spec.selector"));
        }
        Typed::CronJob(c) => {
            let spec = c.spec.as_ref()?.job_template.spec.as_ref()?;
            return (spec.manual_selector == Some(true))
                .then_some((spec.selector.as_ref(), "spec.jobTemplate.spec.selector"));
        }
        _ => return None,
    };
    Some((selector, "spec.selector"))
}

/// The API server refuses a controller whose selector does not select its own pod template
/// ("`selector` does not match template `labels`"), or whose selector is empty.
fn workload_selector(cx: &mut Cx<'_>, obj: &Object, pod: &PodRef<'_>) {
    let Some((selector, path)) = owning_selector(obj) else {
        return;
    };
    let message = match selector {
        None => "manualSelector is true but spec.selector is not set".to_owned(),
        Some(sel)
            if sel.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
                && sel.match_expressions.as_ref().is_none_or(Vec::is_empty) =>
        {
            "the selector is empty: the API server rejects it (it would select every pod in the namespace)".to_owned()
        }
        Some(sel) if !selector_matches(sel, &pod.labels) => format!(
            "selector {} does not match the pod template's labels {}: the API server rejects the object",
            show_selector(sel),
            show_labels(&pod.labels)
        ),
        Some(_) => return,
    };
    cx.push(
        obj,
        Finding::new(RuleId::WorkloadSelector, obj.id(), message).at(path),
    );
}

fn show_labels(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "(none)".to_owned();
    }
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", pairs.join(","))
}

fn show_selector(sel: &LabelSelector) -> String {
    let mut parts: Vec<String> = sel
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for req in sel.match_expressions.iter().flatten() {
        let values = req.values.clone().unwrap_or_default().join(",");
        parts.push(format!("{} {} ({values})", req.key, req.operator));
    }
    format!("{{{}}}", parts.join(","))
}

fn map_matches(sel: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    sel.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn service(cx: &mut Cx<'_>, obj: &Object) {
    let Typed::Service(svc) = &obj.typed else {
        return;
    };
    let Some(spec) = &svc.spec else { return };
    for (i, p) in spec.ports.iter().flatten().enumerate() {
        if let Some(np) = p.node_port
            && !(30000..=32767).contains(&np)
        {
            cx.push(
                obj,
                Finding::new(
                    RuleId::NodeportRange,
                    obj.id(),
                    format!("nodePort {np} is outside 30000-32767"),
                )
                .at(format!("spec.ports[{i}].nodePort")),
            );
        }
    }
    let Some(selector) = spec.selector.as_ref().filter(|s| !s.is_empty()) else {
        return;
    };
    let selected: Vec<(String, Vec<Container>)> = cx
        .pods()
        .filter(|(_, p)| p.long_running && map_matches(selector, &p.labels))
        .map(|(o, p)| (o.id(), p.spec.containers.clone()))
        .collect();
    if selected.is_empty() {
        let sel = selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        cx.push(
            obj,
            Finding::new(
                RuleId::ServiceSelector,
                obj.id(),
                format!("selector {sel} matches no pod template: the Service has no endpoints"),
            )
            .at("spec.selector"),
        );
        return;
    }
    for (i, p) in spec.ports.iter().flatten().enumerate() {
        let target = p.target_port.clone().unwrap_or(IntOrString::Int(p.port));
        for (owner, containers) in &selected {
            if !containers.iter().any(|c| port_declared(c, &target)) {
                cx.push(
                    obj,
                    Finding::new(
                        RuleId::ServiceTargetPort,
                        obj.id(),
                        format!(
                            "targetPort {} is not declared by any container of {owner}",
                            show_port(&target)
                        ),
                    )
                    .at(format!("spec.ports[{i}].targetPort"))
                    .about(owner.clone()),
                );
            }
        }
    }
}

/// Workloads a selector picks, with their effective minimum replica count (the HPA's
/// minReplicas when one scales them).
fn workloads_selected<'a>(
    cx: &Cx<'a>,
    matches: impl Fn(&BTreeMap<String, String>) -> bool,
) -> Vec<(&'a Object, i32)> {
    cx.objects
        .iter()
        .filter_map(|o| {
            let pod = o.pod()?;
            if !pod.long_running || !matches(&pod.labels) {
                return None;
            }
            let hpa_min = cx.objects.iter().find_map(|h| {
                hpa_target(h)
                    .and_then(|(kind, name, min)| (kind == o.kind && name == o.name).then_some(min))
            });
            Some((o, hpa_min.or(o.replicas()).unwrap_or(1)))
        })
        .collect()
}

fn pdb(cx: &mut Cx<'_>, obj: &Object) {
    let Typed::PodDisruptionBudget(pdb) = &obj.typed else {
        return;
    };
    let Some(spec) = &pdb.spec else { return };
    let sel = spec.selector.clone().unwrap_or_default();
    let selected = workloads_selected(cx, |l| selector_matches(&sel, l));
    if selected.is_empty() {
        cx.push(
            obj,
            Finding::new(
                RuleId::PdbReplicas,
                obj.id(),
                "selector matches no workload: the budget protects nothing",
            )
            .at("spec.selector"),
        );
        return;
    }
    let mut out = Vec::new();
    for (w, replicas) in selected {
        let blocked = match &spec.min_available {
            Some(IntOrString::Int(n)) => *n >= replicas,
            Some(IntOrString::String(s)) => s.trim() == "100%",
            None => false,
        };
        if blocked {
            out.push(Finding::new(
                RuleId::PdbReplicas,
                obj.id(),
                format!(
                    "minAvailable {} is not below the {replicas} replica(s) of {}: no pod may ever be evicted, node drains hang",
                    spec.min_available.as_ref().map(show_port).unwrap_or_default(),
                    w.id()
                ),
            )
            .at("spec.minAvailable")
            .about(w.id()));
        }
        if matches!(&spec.max_unavailable, Some(IntOrString::Int(0)))
            || matches!(&spec.max_unavailable, Some(IntOrString::String(s)) if s.trim() == "0%")
        {
            out.push(
                Finding::new(
                    RuleId::PdbReplicas,
                    obj.id(),
                    format!("maxUnavailable 0: no pod of {} may ever be evicted", w.id()),
                )
                .at("spec.maxUnavailable")
                .about(w.id()),
            );
        }
    }
    for f in out {
        cx.push(obj, f);
    }
}

/// (target kind, target name, minReplicas) of an HPA of either API version.
fn hpa_target(obj: &Object) -> Option<(String, String, i32)> {
    match &obj.typed {
        Typed::HorizontalPodAutoscaler(h) => h.spec.as_ref().map(|s| {
            let t = &s.scale_target_ref;
            (t.kind.clone(), t.name.clone(), s.min_replicas.unwrap_or(1))
        }),
        Typed::HorizontalPodAutoscalerV1(h) => h.spec.as_ref().map(|s| {
            let t = &s.scale_target_ref;
            (t.kind.clone(), t.name.clone(), s.min_replicas.unwrap_or(1))
        }),
        _ => None,
    }
}

fn hpa(cx: &mut Cx<'_>, obj: &Object) {
    let Some((kind, name, _)) = hpa_target(obj) else {
        return;
    };
    match cx.find(&kind, &name) {
        None => cx.push(
            obj,
            Finding::new(
                RuleId::HpaTarget,
                obj.id(),
                format!("scaleTargetRef {kind}/{name} is not in the render"),
            )
            .at("spec.scaleTargetRef")
            .about(format!("{kind}/{name}")),
        ),
        Some(w) => {
            if let Some(n) = w.replicas() {
                let id = w.id();
                let f = Finding::new(
                    RuleId::HpaFixedReplicas,
                    id.clone(),
                    format!(
                        "spec.replicas is {n} while {} scales it: every upgrade resets the scale",
                        obj.id()
                    ),
                )
                .at("spec.replicas")
                .about(obj.id());
                let w = w.clone();
                cx.push(&w, f);
            }
        }
    }
}

/// The longest StatefulSet name whose pods' controller-revision-hash label (the name, a dash and
/// up to 10 characters of hash) fits a label value's 63.
const STATEFULSET_NAME_MAX: usize = 52;

fn statefulset(cx: &mut Cx<'_>, obj: &Object) {
    let Typed::StatefulSet(sts) = &obj.typed else {
        return;
    };
    if obj.name.len() > STATEFULSET_NAME_MAX {
        cx.push(
            obj,
            Finding::new(
                RuleId::StatefulsetNameLength,
                obj.id(),
                format!(
                    "the name is {} characters; past {STATEFULSET_NAME_MAX} the controller cannot create its pods",
                    obj.name.len()
                ),
            )
            .at("metadata.name"),
        );
    }
    let name = sts
        .spec
        .as_ref()
        .and_then(|s| s.service_name.clone())
        .unwrap_or_default();
    if name.is_empty() {
        cx.push(
            obj,
            Finding::new(
                RuleId::StatefulsetServiceName,
                obj.id(),
                "serviceName is not set",
            )
            .at("spec.serviceName"),
        );
        return;
    }
    let headless = cx.find("Service", &name).map(|s| match &s.typed {
        Typed::Service(svc) => {
            svc.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None")
        }
        _ => false,
    });
    let msg = match headless {
        None => format!("serviceName {name:?} names no Service in the render"),
        Some(false) => format!("serviceName {name:?} is not headless (clusterIP: None)"),
        Some(true) => return,
    };
    cx.push(
        obj,
        Finding::new(RuleId::StatefulsetServiceName, obj.id(), msg)
            .at("spec.serviceName")
            .about(format!("Service/{name}")),
    );
}

fn ingress_services(obj: &Object) -> Vec<String> {
    let Typed::Ingress(ing) = &obj.typed else {
        return Vec::new();
    };
    let Some(spec) = &ing.spec else {
        return Vec::new();
    };
    let mut out: Vec<String> = spec
        .default_backend
        .iter()
        .filter_map(|b| b.service.as_ref().map(|s| s.name.clone()))
        .collect();
    for rule in spec.rules.iter().flatten() {
        for path in rule.http.iter().flat_map(|h| h.paths.iter()) {
            if let Some(s) = &path.backend.service {
                out.push(s.name.clone());
            }
        }
    }
    out
}

/// Strings a pod may use to reach Services: env values (including the ConfigMaps it loads),
/// command and args.
fn pod_strings(cx: &Cx<'_>, pod: &PodRef<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (_, c, _) in all_containers(pod) {
        out.extend(c.command.iter().flatten().cloned());
        out.extend(c.args.iter().flatten().cloned());
        out.extend(c.env.iter().flatten().filter_map(|e| e.value.clone()));
        for ef in c.env_from.iter().flatten() {
            if let Some(r) = &ef.config_map_ref
                && let Some(Typed::ConfigMap(cm)) = cx.find("ConfigMap", &r.name).map(|o| &o.typed)
            {
                out.extend(cm.data.iter().flat_map(|d| d.values().cloned()));
            }
        }
        for e in c.env.iter().flatten() {
            if let Some(r) = e
                .value_from
                .as_ref()
                .and_then(|v| v.config_map_key_ref.as_ref())
                && let Some(Typed::ConfigMap(cm)) = cx.find("ConfigMap", &r.name).map(|o| &o.typed)
                && let Some(v) = cm.data.as_ref().and_then(|d| d.get(&r.key))
            {
                out.push(v.clone());
            }
        }
    }
    out
}

/// Whether `text` names host `name` (as a whole DNS label run, e.g. `http://name:8000`).
pub fn mentions_host(text: &str, name: &str) -> bool {
    let is_label = |c: char| c.is_ascii_alphanumeric() || c == '-';
    let mut from = 0;
    while let Some(pos) = text[from..].find(name) {
        let start = from + pos;
        let end = start + name.len();
        let before_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !is_label(c) && c != '.');
        let after_ok = text[end..].chars().next().is_none_or(|c| !is_label(c));
        if before_ok && after_ok {
            return true;
        }
        from = end;
    }
    false
}

enum Source {
    Anywhere,
    Pods(Vec<String>),
}

fn network_policies(cx: &mut Cx<'_>) {
    let policies: Vec<&Object> = cx
        .objects
        .iter()
        .filter(|o| matches!(o.typed, Typed::NetworkPolicy(_)))
        .collect();
    if policies.is_empty() {
        return;
    }
    let pods: Vec<(&Object, PodRef<'_>)> = cx.pods().collect();
    let services: Vec<&Object> = cx.objects.iter().filter(|o| o.kind == "Service").collect();
    // Entry points take outside traffic: selected by a NodePort/LoadBalancer Service or an
    // Ingress backend.
    let ingress_backends: BTreeSet<String> = cx.objects.iter().flat_map(ingress_services).collect();
    let selects = |svc: &Object, labels: &BTreeMap<String, String>| match &svc.typed {
        Typed::Service(s) => s
            .spec
            .as_ref()
            .and_then(|sp| sp.selector.as_ref())
            .is_some_and(|sel| !sel.is_empty() && map_matches(sel, labels)),
        _ => false,
    };
    // Edges caller -> callee from the Service names a pod's config mentions.
    let mut callers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (caller, cpod) in &pods {
        let strings = pod_strings(cx, cpod);
        for svc in &services {
            if !strings.iter().any(|s| mentions_host(s, &svc.name)) {
                continue;
            }
            for (callee, p) in &pods {
                if callee.id() != caller.id() && selects(svc, &p.labels) {
                    callers.entry(callee.id()).or_default().insert(caller.id());
                }
            }
        }
    }
    let long_running: BTreeSet<String> = pods
        .iter()
        .filter(|(_, p)| p.long_running)
        .map(|(o, _)| o.id())
        .collect();
    let mut out: Vec<(String, Finding)> = Vec::new();
    for (target, tpod) in pods.iter().filter(|(_, p)| p.long_running) {
        // A pod no long-running pod of the release calls is reached from outside (a
        // port-forward, an external load balancer): an entry point like an exposed one.
        let called_inside = callers
            .get(&target.id())
            .is_some_and(|c| c.iter().any(|id| long_running.contains(id)));
        let entry = !called_inside
            || services.iter().any(|s| {
                selects(s, &tpod.labels)
                    && (ingress_backends.contains(&s.name)
                        || matches!(&s.typed, Typed::Service(svc) if matches!(svc.spec.as_ref().and_then(|sp| sp.type_.as_deref()), Some("NodePort" | "LoadBalancer"))))
            });
        let mut isolated = false;
        let mut sources: Vec<(String, Source)> = Vec::new();
        for np_obj in &policies {
            let Typed::NetworkPolicy(np) = &np_obj.typed else {
                continue;
            };
            let Some(spec) = &np.spec else { continue };
            let sel = spec.pod_selector.clone().unwrap_or_default();
            let ingress_type = spec
                .policy_types
                .as_ref()
                .is_none_or(|t| t.iter().any(|x| x == "Ingress"));
            if !ingress_type || !selector_matches(&sel, &tpod.labels) {
                continue;
            }
            isolated = true;
            for rule in spec.ingress.iter().flatten() {
                let peers = rule.from.clone().unwrap_or_default();
                if peers.is_empty() {
                    sources.push((np_obj.id(), Source::Anywhere));
                }
                for peer in peers {
                    if peer.ip_block.is_some() || peer.namespace_selector.is_some() {
                        sources.push((np_obj.id(), Source::Anywhere));
                    } else if let Some(ps) = &peer.pod_selector {
                        let matched = pods
                            .iter()
                            .filter(|(_, p)| selector_matches(ps, &p.labels))
                            .map(|(o, _)| o.id())
                            .collect();
                        sources.push((np_obj.id(), Source::Pods(matched)));
                    }
                }
            }
        }
        let needed = callers.get(&target.id()).cloned().unwrap_or_default();
        let admits = |who: &str| {
            sources.iter().any(|(_, s)| match s {
                Source::Anywhere => true,
                Source::Pods(p) => p.iter().any(|x| x == who),
            })
        };
        if isolated {
            for caller in &needed {
                if !admits(caller) {
                    out.push((
                        target.id(),
                        Finding::new(
                            RuleId::NetpolMissingEdge,
                            target.id(),
                            format!("{caller} calls it, but no NetworkPolicy admits {caller}"),
                        )
                        .about(caller.clone()),
                    ));
                }
            }
        }
        if entry {
            continue;
        }
        if !isolated {
            out.push((
                target.id(),
                Finding::new(
                    RuleId::NetpolOpen,
                    target.id(),
                    "no NetworkPolicy selects these pods: they accept traffic from anywhere",
                ),
            ));
            continue;
        }
        for (np, s) in &sources {
            match s {
                Source::Anywhere => out.push((
                    target.id(),
                    Finding::new(
                        RuleId::NetpolOpen,
                        target.id(),
                        format!(
                            "{np} admits traffic from any pod or namespace, not only its callers"
                        ),
                    )
                    .about(np.clone()),
                )),
                Source::Pods(p) => {
                    for extra in p
                        .iter()
                        .filter(|x| !needed.contains(*x) && **x != target.id())
                    {
                        out.push((
                            target.id(),
                            Finding::new(
                                RuleId::NetpolOpen,
                                target.id(),
                                format!("{np} admits {extra}, which never calls it"),
                            )
                            .about(extra.clone()),
                        ));
                    }
                }
            }
        }
    }
    for (id, f) in out {
        if let Some(obj) = cx.objects.iter().find(|o| o.id() == id) {
            cx.push(obj, f);
        }
    }
}
