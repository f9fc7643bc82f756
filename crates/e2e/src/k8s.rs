//! Cluster states built from k8s-openapi types, serialized the way `kubectl get -o json`
//! prints them: the fixtures of the tests that read a release's pods.

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateWaiting, ContainerStatus, Pod, PodSpec, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// `kubectl get KIND -o json` for `items`.
pub fn list_json<T: Serialize>(items: &[T]) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": items,
        "metadata": {"resourceVersion": ""},
    }))
    .expect("a list serializes")
}

/// The label that selects a release's objects.
pub const RELEASE_LABEL: &str = "app.kubernetes.io/instance";

/// `kubectl get statefulsets` of a release whose database StatefulSet is `name`.
pub fn database_statefulsets(name: &str) -> String {
    list_json(&[serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "labels": {RELEASE_LABEL: "todo-chatbot", "app.kubernetes.io/component": "database"}},
    })])
}

/// A pod of `component` with one container `container` running `image`.
pub fn pod(name: &str, component: &str, container: &str, image: &str) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("todo-chatbot".into()),
            labels: Some(
                [
                    (RELEASE_LABEL.to_owned(), "todo-chatbot".to_owned()),
                    (
                        "app.kubernetes.io/component".to_owned(),
                        component.to_owned(),
                    ),
                ]
                .into(),
            ),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![Container {
                name: container.into(),
                image: Some(image.into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        status: Some(PodStatus {
            phase: Some("Running".into()),
            container_statuses: Some(vec![ContainerStatus {
                name: container.into(),
                image: image.into(),
                ready: true,
                ..Default::default()
            }]),
            ..Default::default()
        }),
    }
}

/// `pod` with its container waiting for `reason`.
pub fn waiting_pod(name: &str, reason: &str, message: &str) -> Pod {
    let mut pod = pod(name, "backend", "backend", "todo-chatbot-backend:abc123");
    let status = pod.status.as_mut().expect("pod() sets a status");
    status.phase = Some("Pending".into());
    let cs = &mut status
        .container_statuses
        .as_mut()
        .expect("pod() sets one container")[0];
    cs.ready = false;
    cs.state = Some(ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some(reason.into()),
            message: Some(message.into()),
        }),
        ..Default::default()
    });
    pod
}
