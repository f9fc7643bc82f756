//! The pod-problem classification on recorded pod states (as `kubectl get pod -o json` prints
//! them): one case per [`PodProblem`], states that pass by themselves, and healthy pods.

use cluster::problem::{FixContext, PodProblem};
use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};

const MINIKUBE: FixContext<'static> = FixContext {
    namespace: "todo-chatbot",
    minikube_profile: Some("todo-chatbot"),
};
const OTHER: FixContext<'static> = FixContext {
    namespace: "todo-chatbot",
    minikube_profile: None,
};

/// A backend pod (init container `migrate`, container `backend` with a 256Mi limit) whose
/// container statuses are `init` and `main`.
fn pod(init: Value, main: Value) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "todo-chatbot-backend-7d9c5b6f4-x2kqz",
            "namespace": "todo-chatbot",
            "labels": {"app.kubernetes.io/component": "backend"},
        },
        "spec": {
            "initContainers": [{"name": "migrate", "image": "todo-chatbot-backend:abc123"}],
            "containers": [{
                "name": "backend",
                "image": "todo-chatbot-backend:abc123",
                "imagePullPolicy": "Never",
                "resources": {"limits": {"memory": "256Mi"}},
            }],
        },
        "status": {
            "phase": "Pending",
            "initContainerStatuses": [init],
            "containerStatuses": [main],
        },
    }))
    .unwrap()
}

fn waiting(name: &str, reason: &str, message: &str, restarts: i32) -> Value {
    json!({
        "name": name,
        "image": "docker.io/library/todo-chatbot-backend:abc123",
        "imageID": "",
        "ready": false,
        "restartCount": restarts,
        "state": {"waiting": {"reason": reason, "message": message}},
    })
}

fn running(name: &str) -> Value {
    json!({
        "name": name,
        "image": "docker.io/library/todo-chatbot-backend:abc123",
        "imageID": "docker-pullable://todo-chatbot-backend@sha256:1111",
        "ready": true,
        "restartCount": 0,
        "state": {"running": {"startedAt": "2026-11-30T10:00:00Z"}},
    })
}

fn init_done() -> Value {
    json!({
        "name": "migrate",
        "image": "docker.io/library/todo-chatbot-backend:abc123",
        "imageID": "docker-pullable://todo-chatbot-backend@sha256:1111",
        "ready": true,
        "restartCount": 0,
        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
    })
}

/// One expected problem: container, problem, the kubelet's word, fatal, what the fix (at
/// Minikube) says.
type Expect<'a> = (&'a str, PodProblem, &'a str, bool, &'a [&'a str]);

fn check(pod: Pod, expect: &[Expect<'_>]) {
    let found = PodProblem::in_pod(&pod);
    let got: Vec<(&str, PodProblem, &str, bool)> = found
        .iter()
        .map(|p| {
            (
                p.container.as_str(),
                p.problem,
                p.reason.as_str(),
                p.problem.fatal(),
            )
        })
        .collect();
    let want: Vec<(&str, PodProblem, &str, bool)> = expect
        .iter()
        .map(|(c, p, r, fatal, _)| (*c, *p, *r, *fatal))
        .collect();
    assert_eq!(got, want);
    for (p, (_, _, _, _, fix_says)) in found.iter().zip(expect) {
        assert_eq!(p.pod, "todo-chatbot-backend-7d9c5b6f4-x2kqz");
        // The spec's image, not the runtime's spelling of it.
        assert_eq!(p.image, "todo-chatbot-backend:abc123");
        let fix = p.fix(&MINIKUBE);
        for s in *fix_says {
            assert!(fix.contains(s), "{:?}: fix lacks {s:?}: {fix}", p.problem);
        }
    }
}

#[test]
fn every_problem_is_read_from_the_container_status() {
    let image_fix: &[&str] = &[
        "just images",
        "minikube -p todo-chatbot image load todo-chatbot-backend:abc123",
        "image ls | grep todo-chatbot-backend",
    ];
    check(
        pod(
            init_done(),
            waiting(
                "backend",
                "ErrImageNeverPull",
                "Container image \"todo-chatbot-backend:abc123\" is not present with pull policy of Never",
                0,
            ),
        ),
        &[(
            "backend",
            PodProblem::ImageNeverPull,
            "ErrImageNeverPull",
            true,
            image_fix,
        )],
    );
    check(
        pod(
            init_done(),
            waiting(
                "backend",
                "InvalidImageName",
                "couldn't parse image name \"todo-chatbot-backend:\"",
                0,
            ),
        ),
        &[(
            "backend",
            PodProblem::InvalidImageName,
            "InvalidImageName",
            true,
            image_fix,
        )],
    );
    // IfNotPresent images the kubelet may still pull: retried, never fatal.
    for reason in ["ImagePullBackOff", "ErrImagePull"] {
        check(
            pod(
                init_done(),
                waiting(
                    "backend",
                    reason,
                    "Back-off pulling image \"todo-chatbot-backend:abc123\"",
                    0,
                ),
            ),
            &[(
                "backend",
                PodProblem::ImagePullRetried,
                reason,
                false,
                image_fix,
            )],
        );
    }
    for reason in ["CreateContainerConfigError", "CreateContainerError"] {
        check(
            pod(
                init_done(),
                waiting(
                    "backend",
                    reason,
                    "secret \"todo-chatbot-database\" not found",
                    0,
                ),
            ),
            &[(
                "backend",
                PodProblem::MissingConfig,
                reason,
                true,
                &[
                    "Secret or ConfigMap",
                    "kubectl -n todo-chatbot create secret generic",
                    "existingSecret",
                ],
            )],
        );
    }
    // An init container's problem is the pod's.
    check(
        pod(
            waiting(
                "migrate",
                "CrashLoopBackOff",
                "back-off 40s restarting failed container=migrate",
                3,
            ),
            waiting("backend", "PodInitializing", "", 0),
        ),
        &[(
            "migrate",
            PodProblem::CrashLoop,
            "CrashLoopBackOff",
            true,
            &[
                "log lines",
                "kubectl -n todo-chatbot logs todo-chatbot-backend-7d9c5b6f4-x2kqz -c migrate --previous",
            ],
        )],
    );
    // Restarted after OOMKilled and now running: the kubelet's restart, not fatal.
    let mut oom = running("backend");
    oom["restartCount"] = json!(2);
    oom["lastState"] = json!({"terminated": {"exitCode": 137, "reason": "OOMKilled"}});
    check(
        pod(init_done(), oom.clone()),
        &[(
            "backend",
            PodProblem::OomKilled,
            "OOMKilled",
            false,
            &["backend.resources.limits.memory", "(now 256Mi)"],
        )],
    );
    // A crash loop of OOMKills is both.
    let mut looping = waiting("backend", "CrashLoopBackOff", "back-off 5m0s", 5);
    looping["lastState"] = oom["lastState"].clone();
    check(
        pod(init_done(), looping),
        &[
            (
                "backend",
                PodProblem::CrashLoop,
                "CrashLoopBackOff",
                true,
                &["--previous"],
            ),
            (
                "backend",
                PodProblem::OomKilled,
                "OOMKilled",
                false,
                &["raise `backend.resources.limits.memory`"],
            ),
        ],
    );
}

#[test]
fn states_that_pass_by_themselves_are_not_problems() {
    check(pod(init_done(), running("backend")), &[]);
    check(
        pod(
            running("migrate"),
            waiting("backend", "PodInitializing", "", 0),
        ),
        &[],
    );
    check(
        pod(init_done(), waiting("backend", "ContainerCreating", "", 0)),
        &[],
    );
    // The Secret exists; the kubelet's cache of it timed out on a busy API server and retries.
    for kind in ["configmap", "secret"] {
        check(
            pod(
                init_done(),
                waiting(
                    "backend",
                    "CreateContainerConfigError",
                    &format!("failed to sync {kind} cache: timed out waiting for the condition"),
                    0,
                ),
            ),
            &[],
        );
    }
    // A pod the kubelet has not reported on yet.
    let mut fresh = pod(init_done(), running("backend"));
    fresh.status = None;
    assert_eq!(PodProblem::in_pod(&fresh), vec![]);
}

#[test]
fn image_fixes_follow_the_cluster() {
    let p = &PodProblem::in_pod(&pod(
        init_done(),
        waiting("backend", "ErrImageNeverPull", "", 0),
    ))[0];
    assert!(
        p.fix(&MINIKUBE)
            .contains("minikube -p todo-chatbot image load")
    );
    let other = p.fix(&OTHER);
    assert!(!other.contains("minikube"), "{other}");
    assert!(
        other.contains("todoctl images load --context CONTEXT"),
        "{other}"
    );
}

#[test]
fn only_problems_of_a_container_that_ran_have_logs() {
    for problem in [
        PodProblem::ImageNeverPull,
        PodProblem::InvalidImageName,
        PodProblem::ImagePullRetried,
        PodProblem::MissingConfig,
        PodProblem::CrashLoop,
        PodProblem::OomKilled,
    ] {
        assert_eq!(
            problem.has_logs(),
            matches!(problem, PodProblem::CrashLoop | PodProblem::OomKilled),
            "{problem:?}"
        );
    }
}
