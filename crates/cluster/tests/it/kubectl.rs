use cluster::Kubectl;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Endpoints, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::fake::{Fakes, fail, reply};
use crate::fixtures::{list_json, pod};

#[test]
fn lists_pods_as_typed_values_with_context_namespace_and_selector() {
    let mut fakes = Fakes::new();
    let pods = vec![
        pod(
            "todo-chatbot-backend-1",
            "backend",
            "backend",
            "todo-chatbot-backend:abc",
        ),
        pod(
            "todo-chatbot-postgresql-0",
            "database",
            "postgresql",
            "postgres:17-alpine",
        ),
    ];
    let program = fakes.tool("kubectl", vec![reply("*get\\ pods*", list_json(&pods))]);
    let kubectl = Kubectl::new(program, "todo-chatbot").with_context("todo-chatbot");
    let got: Vec<Pod> = kubectl
        .pods("app.kubernetes.io/instance=todo-chatbot")
        .unwrap();
    assert_eq!(got, pods);
    assert_eq!(
        fakes.calls(),
        [
            "kubectl --context todo-chatbot --namespace todo-chatbot get pods --output json \
          --selector app.kubernetes.io/instance=todo-chatbot"
        ]
    );
}

#[test]
fn qualifies_grouped_resources_so_kubectl_cannot_guess_wrong() {
    assert_eq!(
        Kubectl::resource_name::<Deployment>(),
        "deployments.v1.apps"
    );
    assert_eq!(Kubectl::resource_name::<Pod>(), "pods");
}

#[test]
fn get_returns_none_for_a_missing_object_and_the_object_otherwise() {
    let mut fakes = Fakes::new();
    let endpoints = Endpoints {
        metadata: ObjectMeta {
            name: Some("todo-chatbot-backend".into()),
            ..Default::default()
        },
        subsets: None,
    };
    let program = fakes.tool(
        "kubectl",
        vec![
            reply(
                "*endpoints\\ todo-chatbot-backend\\ *",
                serde_json::to_string(&endpoints).unwrap(),
            ),
            reply("*endpoints\\ missing\\ *", ""),
        ],
    );
    let kubectl = Kubectl::new(program, "todo-chatbot");
    assert_eq!(
        kubectl.endpoints("todo-chatbot-backend").unwrap(),
        Some(endpoints)
    );
    assert_eq!(kubectl.endpoints("missing").unwrap(), None);
    assert!(fakes.calls()[1].contains("--ignore-not-found"));
}

#[test]
fn unparsable_output_names_the_command() {
    let mut fakes = Fakes::new();
    let program = fakes.tool("kubectl", vec![reply("*", "not json")]);
    let err = Kubectl::new(program, "ns").deployments("").unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("get deployments.v1.apps --output json"),
        "{message}"
    );
}

#[test]
fn a_failing_kubectl_carries_its_stderr() {
    let mut fakes = Fakes::new();
    let program = fakes.tool(
        "kubectl",
        vec![fail(
            "*",
            "The connection to the server 127.0.0.1:8443 was refused",
            1,
        )],
    );
    let err = Kubectl::new(program, "ns").events().unwrap_err();
    assert!(err.to_string().contains("was refused"), "{err}");
}

#[test]
fn logs_ask_for_the_tail_the_container_and_the_previous_instance() {
    let mut fakes = Fakes::new();
    let program = fakes.tool(
        "kubectl",
        vec![reply("*logs*", "error: JWT_SECRET is too short\n")],
    );
    let kubectl = Kubectl::new(program, "todo-chatbot");
    let logs = kubectl.logs("p-1", Some("backend"), 20, true).unwrap();
    assert_eq!(logs, "error: JWT_SECRET is too short\n");
    assert_eq!(
        fakes.calls(),
        ["kubectl --namespace todo-chatbot logs p-1 --tail 20 --container backend --previous"]
    );
}

#[test]
fn current_context_is_none_when_unset_and_the_name_otherwise() {
    let mut fakes = Fakes::new();
    let unset = fakes.tool(
        "kubectl",
        vec![fail(
            "config\\ current-context",
            "error: current-context is not set",
            1,
        )],
    );
    assert_eq!(Kubectl::new(unset, "ns").current_context().unwrap(), None);
    let mut fakes = Fakes::new();
    let set = fakes.tool(
        "kubectl",
        vec![reply("config\\ current-context", "minikube\n")],
    );
    assert_eq!(
        Kubectl::new(set, "ns")
            .current_context()
            .unwrap()
            .as_deref(),
        Some("minikube")
    );
}

#[test]
fn secret_names_never_read_secret_data() {
    let mut fakes = Fakes::new();
    let program = fakes.tool(
        "kubectl",
        vec![reply(
            "*get\\ secrets*",
            "secret/todo-chatbot\nsecret/other\n",
        )],
    );
    let names = Kubectl::new(program, "todo-chatbot")
        .secret_names()
        .unwrap();
    assert_eq!(names, ["todo-chatbot", "other"]);
    assert!(fakes.calls()[0].ends_with("get secrets --output name"));
}

#[test]
fn port_forward_waits_for_the_local_port_and_reports_a_dead_kubectl() {
    let mut fakes = Fakes::new();
    let program = fakes.tool(
        "kubectl",
        vec![fail(
            "*port-forward*",
            "error: services \"nope\" not found",
            1,
        )],
    );
    let err = Kubectl::new(program, "todo-chatbot")
        .port_forward("svc/nope", 0, 3000)
        .unwrap_err();
    assert!(
        err.to_string().contains("services \"nope\" not found"),
        "{err}"
    );
    let call = &fakes.calls()[0];
    assert!(
        call.contains("port-forward --address 127.0.0.1 svc/nope "),
        "{call}"
    );
    assert!(call.ends_with(":3000"), "{call}");
}

#[test]
fn port_forward_succeeds_when_something_listens() {
    // The fake stands in for kubectl by listening on the requested port with a real socket
    // (python3 is part of the base image; fail loudly if not).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut fakes = Fakes::new();
    let program = fakes.tool(
        "kubectl",
        vec![reply("*port-forward*", "Forwarding from 127.0.0.1\n")],
    );
    // The fake exits at once; the port already listens, so the forward is reported up as long
    // as kubectl has not exited before the first probe. Keep the fake alive with sleep.
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"kubectl $*\" >> '{}/calls.log'\nexec sleep 30\n",
            fakes.dir.path().display()
        ),
    )
    .unwrap();
    let forward = Kubectl::new(program, "todo-chatbot")
        .port_forward("svc/todo-chatbot-frontend", port, 3000)
        .unwrap();
    assert_eq!(forward.url(), format!("http://127.0.0.1:{port}"));
    forward.stop().unwrap();
    drop(listener);
}
