//! Structure, types and the cross-field rules Helm's schema cannot express.

use crate::model::{Agent, Component, CookieSecure, Image, Resources, ServiceType, Values};
use serde_json::Value;

use crate::path::{KeyPath, Seg};
use crate::report::{Problem, Severity};
use crate::schema::Walker;
use crate::secrets::JWT_SECRET;
use crate::{Merged, is_secret_key};

struct Sink<'a> {
    merged: &'a Merged,
    problems: Vec<Problem>,
}

impl Sink<'_> {
    fn push(&mut self, severity: Severity, rule: &str, key: &str, message: String, hint: &str) {
        let path = key_path(key);
        self.problems.push(Problem {
            severity,
            rule: rule.to_owned(),
            key: Some(key.to_owned()),
            origin: self.merged.origin(&path).cloned(),
            message,
            hint: (!hint.is_empty()).then(|| hint.to_owned()),
        });
    }

    fn error(&mut self, rule: &str, key: &str, message: String, hint: &str) {
        self.push(Severity::Error, rule, key, message, hint);
    }

    fn warn(&mut self, rule: &str, key: &str, message: String, hint: &str) {
        self.push(Severity::Warning, rule, key, message, hint);
    }
}

fn key_path(key: &str) -> KeyPath {
    KeyPath::dotted(key)
}

/// Runs every check; problems come back errors first, in a stable order.
pub(crate) fn run(merged: &Merged) -> Vec<Problem> {
    let mut sink = Sink {
        merged,
        problems: Vec::new(),
    };
    let mut value = merged.values.clone();
    for unknown in Walker::new().strip_unknown(&mut value) {
        let hint = match &unknown.suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => "remove it; `todoctl values show` lists every key the chart has".to_owned(),
        };
        let key = unknown.path.to_string();
        sink.problems.push(Problem {
            severity: Severity::Error,
            rule: "unknown-key".into(),
            key: Some(key.clone()),
            origin: merged.origin(&unknown.path).cloned(),
            message: format!("`{key}` is not a value of this chart"),
            hint: Some(hint),
        });
    }
    // Report every wrong type, not just the first: after each one, put the chart's default
    // (or nothing) in its place and try again.
    let mut seen = Vec::new();
    loop {
        match serde_path_to_error::deserialize::<_, Values>(value.clone()) {
            Ok(values) => {
                if seen.is_empty() {
                    rules(&values, &mut sink);
                }
                break;
            }
            Err(e) => {
                let key = e.path().to_string();
                if seen.contains(&key) || seen.len() >= 50 {
                    break;
                }
                let message = if is_secret_key(&key) {
                    "has the wrong type (expected a string)".to_owned()
                } else {
                    e.inner().to_string()
                };
                let hint = if message.contains("invalid type: boolean") {
                    "quote the value: Helm reads unquoted yes/no/on/off/y/n as booleans"
                } else {
                    "see the key's type in values.schema.json or helm/todo-chatbot/README.md"
                };
                sink.error("type", &key, message, hint);
                replace_with_default(&mut value, &merged.defaults, &KeyPath::dotted(&key));
                seen.push(key);
            }
        }
    }
    let mut problems = sink.problems;
    problems.sort_by_key(|p| std::cmp::Reverse(p.severity));
    problems
}

fn get<'a>(v: &'a Value, path: &KeyPath) -> Option<&'a Value> {
    path.0.iter().try_fold(v, |cur, seg| match seg {
        Seg::Key(k) => cur.get(k),
        Seg::Index(i) => cur.get(i),
    })
}

fn replace_with_default(value: &mut Value, defaults: &Value, path: &KeyPath) {
    let Some((last, parent)) = path.0.split_last() else {
        return;
    };
    let mut cur = value;
    for seg in parent {
        let next = match seg {
            Seg::Key(k) => cur.get_mut(k),
            Seg::Index(i) => cur.get_mut(*i),
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    let default = get(defaults, path).cloned();
    match (cur, last) {
        (Value::Object(m), Seg::Key(k)) => match default {
            Some(d) => {
                m.insert(k.clone(), d);
            }
            None => {
                m.remove(k);
            }
        },
        (Value::Array(a), Seg::Index(i)) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
}

fn rules(v: &Values, s: &mut Sink<'_>) {
    for (name, c) in [("backend", &v.backend), ("frontend", &v.frontend)] {
        image_tag(s, &format!("{name}.image"), &c.image);
        requests_within_limits(s, &format!("{name}.resources"), &c.resources);
        node_port(s, name, c);
        replicas(s, name, c);
    }
    image_tag(s, "postgresql.image", &v.postgresql.image);
    if v.postgresql.enabled {
        requests_within_limits(s, "postgresql.resources", &v.postgresql.resources);
    }
    if let (Some(b), Some(f)) = (v.backend.service.node_port, v.frontend.service.node_port)
        && b == f
        && v.backend.service.type_ == ServiceType::NodePort
        && v.frontend.service.type_ == ServiceType::NodePort
    {
        s.error(
            "node-port",
            "frontend.service.nodePort",
            format!("{f} is also backend.service.nodePort"),
            "give each Service its own node port",
        );
    }
    for (i, origin) in v.config.cors_origins.iter().enumerate() {
        let scheme_ok = origin.starts_with("http://") || origin.starts_with("https://");
        let rest = origin.split_once("://").map(|(_, r)| r).unwrap_or_default();
        if !scheme_ok || rest.is_empty() || rest.contains('/') {
            s.error(
                "cors-origins",
                &format!("config.corsOrigins[{i}]"),
                format!("`{origin}` is not an origin like https://app.example.com (no path, no trailing slash)"),
                "the backend refuses to start with it; normally leave corsOrigins empty (the frontend proxies /api)",
            );
        }
    }
    database(s, v);
    ingress(s, v);
    secrets(s, v);
    if !v.service_account.create && v.service_account.name.is_empty() {
        s.error(
            "service-account",
            "serviceAccount.name",
            "is empty while serviceAccount.create is false".into(),
            "name an existing ServiceAccount or set serviceAccount.create=true",
        );
    }
    if v.postgresql.enabled && v.postgresql.volume_permissions.enabled {
        s.warn(
            "pod-security",
            "postgresql.volumePermissions.enabled",
            "runs a root init container: the PostgreSQL pod drops from PSS restricted to baseline"
                .into(),
            "only needed when the StorageClass creates root-owned directories and ignores fsGroup",
        );
    }
}

fn image_tag(s: &mut Sink<'_>, key: &str, image: &Image) {
    let tag = image.tag.trim();
    let k = format!("{key}.tag");
    if tag.is_empty() {
        s.error(
            "image-tag",
            &k,
            "is empty".into(),
            "set a concrete tag: the deploy kit passes the content hash with --set-string",
        );
    } else if tag == "latest" {
        s.error(
            "image-tag",
            &k,
            "`latest` is refused: it hides which build runs and makes pull policies a trap".into(),
            "use the content-hash tag the deploy kit built (or a version)",
        );
    }
    if image.repository.contains(':') && !image.repository.contains('/') {
        s.error(
            "image-tag",
            &format!("{key}.repository"),
            format!("`{}` carries a tag; put it in {k}", image.repository),
            "",
        );
    }
}

fn requests_within_limits(s: &mut Sink<'_>, key: &str, r: &Resources) {
    for (name, req, lim) in [
        ("cpu", &r.requests.cpu, &r.limits.cpu),
        ("memory", &r.requests.memory, &r.limits.memory),
    ] {
        match (req.base_units(), lim.base_units()) {
            (Some(a), Some(b)) if a > b => s.error(
                "requests-within-limits",
                &format!("{key}.requests.{name}"),
                format!("request {req} is above the limit {lim} ({key}.limits.{name})"),
                "a request may not exceed its limit; Kubernetes rejects the pod",
            ),
            (None, _) => s.error(
                "quantity",
                &format!("{key}.requests.{name}"),
                format!("`{req}` is not a Kubernetes quantity"),
                "write e.g. 250m, 1, 64Mi or 1Gi",
            ),
            (_, None) => s.error(
                "quantity",
                &format!("{key}.limits.{name}"),
                format!("`{lim}` is not a Kubernetes quantity"),
                "write e.g. 250m, 1, 64Mi or 1Gi",
            ),
            _ => {}
        }
    }
}

fn node_port(s: &mut Sink<'_>, name: &str, c: &Component) {
    let Some(port) = c.service.node_port else {
        return;
    };
    let key = format!("{name}.service.nodePort");
    if c.service.type_ != ServiceType::NodePort {
        s.error(
            "node-port",
            &key,
            format!(
                "is {port} but {name}.service.type is {}; a node port needs type NodePort",
                c.service.type_
            ),
            &format!("set {name}.service.type=NodePort or {key}=null"),
        );
    }
    if !(30000..=32767).contains(&port) {
        s.error(
            "node-port",
            &key,
            format!("{port} is outside the node port range 30000-32767"),
            "pick a port in 30000-32767 (the dev profile uses 30000)",
        );
    }
}

fn replicas(s: &mut Sink<'_>, name: &str, c: &Component) {
    let hpa = &c.autoscaling;
    if hpa.enabled && hpa.min_replicas > hpa.max_replicas {
        s.error(
            "replicas",
            &format!("{name}.autoscaling.minReplicas"),
            format!(
                "{} is above {name}.autoscaling.maxReplicas ({})",
                hpa.min_replicas, hpa.max_replicas
            ),
            "",
        );
    }
    let (floor, floor_key) = if hpa.enabled {
        (hpa.min_replicas, format!("{name}.autoscaling.minReplicas"))
    } else {
        (c.replica_count, format!("{name}.replicaCount"))
    };
    let pdb = &c.pod_disruption_budget;
    if pdb.enabled && pdb.min_available >= floor {
        s.error(
            "replicas",
            &format!("{name}.podDisruptionBudget.minAvailable"),
            format!(
                "{} is not below {floor_key} ({floor}): no pod could ever be evicted, so node drains hang",
                pdb.min_available
            ),
            &format!("raise {floor_key} or lower minAvailable below it"),
        );
    }
    if !hpa.enabled && c.replica_count == 0 {
        s.warn(
            "replicas",
            &format!("{name}.replicaCount"),
            "is 0: the component is scaled to nothing".into(),
            "",
        );
    }
}

fn database(s: &mut Sink<'_>, v: &Values) {
    let ext = &v.external_database;
    if v.postgresql.enabled {
        if !ext.url.is_empty() || !ext.existing_secret.is_empty() {
            s.warn(
                "external-database",
                "externalDatabase",
                "is set but postgresql.enabled is true, so the embedded database is used".into(),
                "set postgresql.enabled=false to use the external database",
            );
        }
        return;
    }
    if ext.url.is_empty() && ext.existing_secret.is_empty() {
        s.error(
            "external-database",
            "externalDatabase.existingSecret",
            "postgresql.enabled is false but neither externalDatabase.existingSecret nor externalDatabase.url is set".into(),
            "name a Secret holding the postgres:// URL (key externalDatabase.existingSecretKey), or pass externalDatabase.url in a 0600 values file",
        );
    }
    if !ext.url.is_empty() && !ext.existing_secret.is_empty() {
        s.error(
            "external-database",
            "externalDatabase.url",
            "is set together with externalDatabase.existingSecret; only one may be".into(),
            "keep the URL in the Secret and clear externalDatabase.url",
        );
    }
    let scheme_ok = ext.url.starts_with("postgres://") || ext.url.starts_with("postgresql://");
    if !ext.url.is_empty() && !scheme_ok {
        s.error(
            "external-database",
            "externalDatabase.url",
            "is not a postgres:// or postgresql:// URL".into(),
            "",
        );
    }
}

fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.trim_start_matches("*.").split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

fn ingress(s: &mut Sink<'_>, v: &Values) {
    let i = &v.ingress;
    if i.enabled {
        if i.host.is_empty() {
            s.error(
                "ingress-host",
                "ingress.host",
                "is empty but ingress.enabled is true".into(),
                "set the host name the Ingress serves, e.g. todo.example.com",
            );
        } else if !valid_host(&i.host) {
            s.error(
                "ingress-host",
                "ingress.host",
                format!(
                    "`{}` is not a DNS name (lowercase labels, no scheme or port)",
                    i.host
                ),
                "",
            );
        }
    } else if i.tls.enabled {
        s.warn(
            "ingress-host",
            "ingress.tls.enabled",
            "has no effect while ingress.enabled is false".into(),
            "",
        );
    }
    if v.config.cookie_secure == CookieSecure::Always && !(i.enabled && i.tls.enabled) {
        s.warn(
            "cookie-secure",
            "config.cookieSecure",
            "is true without an Ingress with TLS: browsers drop Secure cookies on plain http (except localhost), so sign-in fails".into(),
            "set config.cookieSecure=auto (Secure exactly when the request came over TLS), or enable ingress.tls",
        );
    }
}

fn secrets(s: &mut Sink<'_>, v: &Values) {
    let sec = &v.secrets;
    if !sec.jwt_secret.is_empty() && sec.jwt_secret.len() < JWT_SECRET.min_bytes {
        s.error(
            "jwt-secret",
            JWT_SECRET.values_key,
            format!(
                "is {} bytes; the backend needs at least {}",
                sec.jwt_secret.len(),
                JWT_SECRET.min_bytes
            ),
            "leave it empty to have the chart generate one, or use a longer secret",
        );
    }
    if v.config.agent == Agent::Llm
        && sec.openai_api_key.is_empty()
        && sec.existing_secret.is_empty()
    {
        s.error(
            "agent-key",
            "config.agent",
            "is llm but no API key is configured".into(),
            "set secrets.openaiApiKey in a 0600 values file, put openai-api-key in secrets.existingSecret, or use agent builtin/auto",
        );
    }
}
