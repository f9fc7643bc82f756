//! Cross-field rules: each with a failing and a passing input.

use chart_values::{Inputs, Origin, Profile, Severity};

use crate::{chart_dir, temp_files};

enum Expect {
    /// No errors and no warnings of any rule.
    Clean,
    /// An error of `rule` about `key`.
    Error(&'static str, &'static str),
    /// A warning (no error) of `rule` about `key`.
    Warning(&'static str, &'static str),
}

/// Checks `yaml` layered over the default profile.
fn check(yaml: &str, expect: Expect) {
    let dir = temp_files(&[("case.yaml", yaml)]);
    let report =
        chart_values::check(&Inputs::new(chart_dir()).file(dir.path().join("case.yaml"))).unwrap();
    match expect {
        Expect::Clean => assert!(report.problems.is_empty(), "{yaml}\n=> {report}"),
        Expect::Error(rule, key) | Expect::Warning(rule, key) => {
            let severity = if matches!(expect, Expect::Error(..)) {
                Severity::Error
            } else {
                Severity::Warning
            };
            let p = report
                .problems
                .iter()
                .find(|p| p.rule == rule && p.key.as_deref() == Some(key) && p.severity == severity)
                .unwrap_or_else(|| {
                    panic!("{yaml}\nexpected {severity:?} {rule} at {key}, got:\n{report}")
                });
            // Every finding points at a file and line (the case file, or values.yaml for defaults).
            assert!(
                matches!(p.origin, Some(Origin::File { line, .. }) if line > 0),
                "{report}"
            );
            if severity == Severity::Warning {
                assert!(report.is_ok(), "{report}");
            }
        }
    }
}

#[test]
fn requests_within_limits() {
    check(
        "backend:\n  resources:\n    requests: {cpu: '2', memory: 64Mi}\n",
        Expect::Error("requests-within-limits", "backend.resources.requests.cpu"),
    );
    check(
        "frontend:\n  resources:\n    requests: {cpu: 25m, memory: 1Gi}\n",
        Expect::Error(
            "requests-within-limits",
            "frontend.resources.requests.memory",
        ),
    );
    check(
        "postgresql:\n  resources:\n    requests: {cpu: 1.5, memory: 128Mi}\n",
        Expect::Error(
            "requests-within-limits",
            "postgresql.resources.requests.cpu",
        ),
    );
    check(
        "backend:\n  resources:\n    requests: {cpu: 500m, memory: 256Mi}\n",
        Expect::Clean,
    );
    check(
        "backend:\n  resources:\n    requests: {cpu: 0.5, memory: 268435456}\n",
        Expect::Clean,
    );
}

#[test]
fn node_port_only_with_type_node_port_and_in_range() {
    check(
        "frontend:\n  service: {nodePort: 30001}\n",
        Expect::Error("node-port", "frontend.service.nodePort"),
    );
    check(
        "frontend:\n  service: {type: NodePort, nodePort: 29999}\n",
        Expect::Error("node-port", "frontend.service.nodePort"),
    );
    check(
        "frontend:\n  service: {type: NodePort, nodePort: 32768}\n",
        Expect::Error("node-port", "frontend.service.nodePort"),
    );
    check(
        "frontend:\n  service: {type: NodePort, nodePort: 30001}\nbackend:\n  service: {type: NodePort, nodePort: 30001}\n",
        Expect::Error("node-port", "frontend.service.nodePort"),
    );
    check(
        "frontend:\n  service: {type: NodePort, nodePort: 30001}\n",
        Expect::Clean,
    );
    check("frontend:\n  service: {type: NodePort}\n", Expect::Clean);
}

#[test]
fn replicas_pdb_and_hpa_agree() {
    check(
        "backend:\n  podDisruptionBudget: {enabled: true, minAvailable: 1}\n",
        Expect::Error("replicas", "backend.podDisruptionBudget.minAvailable"),
    );
    check(
        "backend:\n  replicaCount: 2\n  podDisruptionBudget: {enabled: true, minAvailable: 1}\n",
        Expect::Clean,
    );
    check(
        "frontend:\n  autoscaling: {enabled: true, minReplicas: 2, maxReplicas: 4, targetCPUUtilizationPercentage: 70}\n  podDisruptionBudget: {enabled: true, minAvailable: 2}\n",
        Expect::Error("replicas", "frontend.podDisruptionBudget.minAvailable"),
    );
    check(
        "frontend:\n  autoscaling: {enabled: true, minReplicas: 5, maxReplicas: 4, targetCPUUtilizationPercentage: 70}\n",
        Expect::Error("replicas", "frontend.autoscaling.minReplicas"),
    );
    check(
        "frontend:\n  autoscaling: {enabled: true, minReplicas: 3, maxReplicas: 4, targetCPUUtilizationPercentage: 70}\n  podDisruptionBudget: {enabled: true, minAvailable: 2}\n",
        Expect::Clean,
    );
    check(
        "backend:\n  replicaCount: 0\n",
        Expect::Warning("replicas", "backend.replicaCount"),
    );
}

#[test]
fn external_database_needs_a_url_or_an_existing_secret() {
    check(
        "postgresql: {enabled: false}\n",
        Expect::Error("external-database", "externalDatabase.existingSecret"),
    );
    check(
        "postgresql: {enabled: false}\nexternalDatabase: {existingSecret: neon}\n",
        Expect::Clean,
    );
    check(
        "postgresql: {enabled: false}\nexternalDatabase: {url: 'postgres://u:p@db.example:5432/todo'}\n",
        Expect::Clean,
    );
    check(
        "postgresql: {enabled: false}\nexternalDatabase: {url: 'mysql://u@h/db'}\n",
        Expect::Error("external-database", "externalDatabase.url"),
    );
    check(
        "postgresql: {enabled: false}\nexternalDatabase: {url: 'postgres://h/db', existingSecret: neon}\n",
        Expect::Error("external-database", "externalDatabase.url"),
    );
    check(
        "externalDatabase: {existingSecret: neon}\n",
        Expect::Warning("external-database", "externalDatabase"),
    );
}

#[test]
fn ingress_needs_a_host() {
    check(
        "ingress: {enabled: true}\n",
        Expect::Error("ingress-host", "ingress.host"),
    );
    check(
        "ingress: {enabled: true, host: 'https://todo.example.com'}\n",
        Expect::Error("ingress-host", "ingress.host"),
    );
    check(
        "ingress: {enabled: true, host: todo.example.com}\n",
        Expect::Clean,
    );
    check(
        "ingress: {tls: {enabled: true}}\n",
        Expect::Warning("ingress-host", "ingress.tls.enabled"),
    );
}

#[test]
fn latest_and_empty_tags_are_refused() {
    check(
        "backend:\n  image: {tag: latest}\n",
        Expect::Error("image-tag", "backend.image.tag"),
    );
    check(
        "frontend:\n  image: {tag: ''}\n",
        Expect::Error("image-tag", "frontend.image.tag"),
    );
    check(
        "postgresql:\n  image: {tag: latest}\n",
        Expect::Error("image-tag", "postgresql.image.tag"),
    );
    check(
        "backend:\n  image: {repository: 'todo-chatbot-backend:abc'}\n",
        Expect::Error("image-tag", "backend.image.repository"),
    );
    check("backend:\n  image: {tag: 3f9a1c2e7b4d}\n", Expect::Clean);
}

#[test]
fn secrets_and_agent() {
    check(
        "secrets: {jwtSecret: too-short}\n",
        Expect::Error("jwt-secret", "secrets.jwtSecret"),
    );
    check(
        "secrets: {jwtSecret: 0123456789abcdef0123456789abcdef}\n",
        Expect::Clean,
    );
    check(
        "config: {agent: llm}\n",
        Expect::Error("agent-key", "config.agent"),
    );
    check(
        "config: {agent: llm}\nsecrets: {openaiApiKey: sk-test}\n",
        Expect::Clean,
    );
    check("config: {agent: auto}\n", Expect::Clean);
    check(
        "serviceAccount: {create: false}\n",
        Expect::Error("service-account", "serviceAccount.name"),
    );
    check(
        "serviceAccount: {create: false, name: existing}\n",
        Expect::Clean,
    );
}

#[test]
fn security_and_cookie_warnings() {
    check(
        "postgresql: {volumePermissions: {enabled: true}}\n",
        Expect::Warning("pod-security", "postgresql.volumePermissions.enabled"),
    );
    check(
        "config: {cookieSecure: true}\n",
        Expect::Warning("cookie-secure", "config.cookieSecure"),
    );
    check(
        "config: {cookieSecure: true}\ningress: {enabled: true, host: todo.example.com, tls: {enabled: true}}\n",
        Expect::Clean,
    );
    check("config: {cookieSecure: auto}\n", Expect::Clean);
    check("config: {cookieSecure: false}\n", Expect::Clean);
    check(
        "config: {cookieSecure: sometimes}\n",
        Expect::Error("type", "config.cookieSecure"),
    );
}

#[test]
fn cors_origins_are_origins() {
    check(
        "config:\n  corsOrigins: [https://app.example.com/]\n",
        Expect::Error("cors-origins", "config.corsOrigins[0]"),
    );
    check(
        "config:\n  corsOrigins: [https://a.example, app.example.com]\n",
        Expect::Error("cors-origins", "config.corsOrigins[1]"),
    );
    check(
        "config:\n  corsOrigins: ['https://app.example.com', 'http://localhost:8080']\n",
        Expect::Clean,
    );
}

#[test]
fn dev_check_explains_every_problem_with_file_line_and_key() {
    let overlay = "\
frontend:
  service:
    type: ClusterIP
  replicas: 2
backend:
  image:
    tag: latest
  resources:
    requests:
      memory: 1Gi
";
    let dir = temp_files(&[("broken-dev.yaml", overlay)]);
    let file = dir.path().join("broken-dev.yaml");
    let report =
        chart_values::check(&Inputs::new(chart_dir()).profile(Profile::Dev).file(&file)).unwrap();
    let text = report.to_string();
    let dev = chart_dir().join("values-dev.yaml");
    let expected = [
        // (rule, key, file, line)
        ("unknown-key", "frontend.replicas", file.clone(), 4),
        ("image-tag", "backend.image.tag", file.clone(), 7),
        (
            "requests-within-limits",
            "backend.resources.requests.memory",
            file.clone(),
            10,
        ),
        // The dev profile's node port no longer fits the ClusterIP this file asks for.
        ("node-port", "frontend.service.nodePort", dev, 29),
    ];
    for (rule, key, f, line) in &expected {
        let p = report
            .problems
            .iter()
            .find(|p| p.rule == *rule && p.key.as_deref() == Some(*key))
            .unwrap_or_else(|| panic!("missing {rule} {key} in\n{text}"));
        assert_eq!(
            p.origin,
            Some(Origin::File {
                file: f.clone(),
                line: *line,
                column: p_col(p)
            }),
            "{text}"
        );
        assert!(text.contains(&format!("{}:{line}:", f.display())), "{text}");
    }
    assert_eq!(report.errors().count(), expected.len(), "{text}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["problems"].as_array().unwrap().len(), expected.len());
    assert_eq!(json["problems"][0]["severity"], "error");
    assert!(json["problems"][0]["origin"]["line"].as_u64().is_some());
}

fn p_col(p: &chart_values::Problem) -> u64 {
    match &p.origin {
        Some(Origin::File { column, .. }) => *column,
        _ => 0,
    }
}
