//! Every rendered object parses strictly as its Kubernetes 1.33 type: a round trip through
//! k8s-openapi must give back the same document (k8s-openapi ignores unknown fields, so a
//! misspelt or misplaced field shows up as a difference).

use k8s_openapi::api::{apps, autoscaling, core, networking, policy};
use serde_json::Value;

use crate::chart_dir;
use crate::helm::{MAJORS, documents, template};

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(doc: &Value) -> Value {
    let typed: T = serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{e}: {doc}"));
    serde_json::to_value(typed).unwrap()
}

fn typed_round_trip(doc: &Value) -> Value {
    match doc["kind"].as_str().unwrap() {
        "ServiceAccount" => round_trip::<core::v1::ServiceAccount>(doc),
        "Secret" => round_trip::<core::v1::Secret>(doc),
        "ConfigMap" => round_trip::<core::v1::ConfigMap>(doc),
        "Service" => round_trip::<core::v1::Service>(doc),
        "Pod" => round_trip::<core::v1::Pod>(doc),
        "Deployment" => round_trip::<apps::v1::Deployment>(doc),
        "StatefulSet" => round_trip::<apps::v1::StatefulSet>(doc),
        "HorizontalPodAutoscaler" => round_trip::<autoscaling::v2::HorizontalPodAutoscaler>(doc),
        "PodDisruptionBudget" => round_trip::<policy::v1::PodDisruptionBudget>(doc),
        "Ingress" => round_trip::<networking::v1::Ingress>(doc),
        "NetworkPolicy" => round_trip::<networking::v1::NetworkPolicy>(doc),
        other => panic!("the chart renders an unexpected kind {other}"),
    }
}

/// Paths where `original` has something the typed round trip lost or changed.
fn diff(original: &Value, typed: &Value, path: &str, out: &mut Vec<String>) {
    match (original, typed) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    Some(w) => diff(v, w, &format!("{path}.{k}"), out),
                    None if v.is_null() => {}
                    None => out.push(format!("{path}.{k} (unknown field)")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                diff(v, w, &format!("{path}[{i}]"), out);
            }
        }
        // Quantities written as YAML numbers come back as strings.
        (Value::Number(n), Value::String(s)) if n.to_string() == *s => {}
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: {a} became {b}")),
    }
}

#[test]
fn every_rendered_object_is_a_valid_kubernetes_object() {
    let extra = [
        vec![],
        vec![
            "-f".to_owned(),
            chart_dir().join("values-dev.yaml").display().to_string(),
        ],
        vec![
            "-f".to_owned(),
            chart_dir().join("values-prod.yaml").display().to_string(),
        ],
        // Everything on at once: embedded database with network policy, volume permissions,
        // an existing claim, ingress without TLS, LoadBalancer, pull secrets, extra labels.
        [
            "networkPolicy.enabled=true",
            "postgresql.volumePermissions.enabled=true",
            "ingress.enabled=true,ingress.host=todo.local,ingress.className=nginx",
            "frontend.service.type=LoadBalancer",
            "imagePullSecrets[0].name=regcred",
            "commonLabels.team=todo",
            "backend.tolerations[0].key=dedicated,backend.tolerations[0].operator=Exists",
            "backend.nodeSelector.disk=ssd",
            "secrets.openaiApiKey=sk-test,config.agent=llm",
        ]
        .iter()
        .flat_map(|s| ["--set".to_owned(), (*s).to_owned()])
        .collect(),
        vec![
            "--set".to_owned(),
            "postgresql.persistence.existingClaim=pgdata".to_owned(),
        ],
        vec![
            "--set".to_owned(),
            "postgresql.enabled=false,externalDatabase.url=postgres://u:p@h:5432/d".to_owned(),
        ],
    ];
    for helm in MAJORS {
        for args in &extra {
            let out = template(helm, &chart_dir(), "todo-chatbot", args)
                .unwrap_or_else(|e| panic!("{helm} {args:?}: {e}"));
            let docs = documents(&out);
            assert!(docs.len() >= 8, "{helm} {args:?}");
            for doc in &docs {
                assert_eq!(
                    doc["metadata"]["namespace"], "todo-chatbot",
                    "{helm}: {} {}",
                    doc["kind"], doc["metadata"]["name"]
                );
                let mut problems = Vec::new();
                diff(doc, &typed_round_trip(doc), "", &mut problems);
                assert!(
                    problems.is_empty(),
                    "{helm} {args:?}: {} {}: {problems:?}",
                    doc["kind"],
                    doc["metadata"]["name"]
                );
            }
        }
    }
}

#[test]
fn the_round_trip_catches_misspelt_and_misplaced_fields() {
    let bad = serde_json::json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
        "spec": {"type": "ClusterIP", "ports": [{"port": 80, "targetport": "http"}], "fsGroup": 1}
    });
    let mut problems = Vec::new();
    diff(&bad, &typed_round_trip(&bad), "", &mut problems);
    problems.sort();
    assert_eq!(
        problems,
        [
            ".spec.fsGroup (unknown field)",
            ".spec.ports[0].targetport (unknown field)"
        ]
    );
}

#[test]
fn long_release_names_stay_within_kubernetes_name_limits() {
    // Helm's longest release name (53).
    let release = format!("rel-{}", "x".repeat(49));
    for helm in MAJORS {
        let args = vec!["--set".to_owned(), "networkPolicy.enabled=true".to_owned()];
        let docs = documents(&template(helm, &chart_dir(), &release, &args).unwrap());
        for doc in &docs {
            let name = doc["metadata"]["name"].as_str().unwrap();
            // Services are DNS labels (63); a StatefulSet's controller labels its pods with
            // controller-revision-hash, the name plus "-" and up to 10 characters (a label value:
            // 63), so its name is at most 52.
            let limit = match doc["kind"].as_str().unwrap() {
                "Service" => 63,
                "StatefulSet" => 52,
                _ => 253,
            };
            assert!(
                name.len() <= limit,
                "{helm}: {} {name} is {} long",
                doc["kind"],
                name.len()
            );
            for (k, v) in doc["metadata"]["labels"].as_object().unwrap() {
                assert!(v.as_str().unwrap().len() <= 63, "{helm}: label {k}={v}");
            }
        }
    }
}
