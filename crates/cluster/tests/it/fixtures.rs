//! The shared fixture states ([`e2e::k8s`]) and the ones only these tests need.

pub use e2e::k8s::{RELEASE_LABEL, list_json, pod, waiting_pod};

/// `kubectl get statefulsets` of a release whose database StatefulSet is `name`.
pub fn database_statefulsets(name: &str) -> String {
    list_json(&[serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "labels": {RELEASE_LABEL: "todo-chatbot", "app.kubernetes.io/component": "database"}},
    })])
}
