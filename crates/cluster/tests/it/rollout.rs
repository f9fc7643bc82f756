use cluster::rollout::fatal_problem;

use crate::fixtures::{pod, waiting_pod};

fn check(reason: &str, expect_fatal: bool, fix_mentions: &str) {
    let pods = vec![
        pod("db-0", "database", "postgresql", "postgres:17-alpine"),
        waiting_pod("todo-chatbot-backend-1", reason, "some message"),
    ];
    let found = fatal_problem(&pods);
    assert_eq!(found.is_some(), expect_fatal, "{reason}");
    if let Some(failure) = found {
        assert_eq!(failure.pod, "todo-chatbot-backend-1");
        assert_eq!(failure.container, "backend");
        assert_eq!(failure.reason, reason);
        assert!(
            failure.fix.contains(fix_mentions),
            "{reason}: {}",
            failure.fix
        );
        assert!(failure.to_string().contains(reason));
    }
}

#[test]
fn fails_fast_only_on_states_waiting_cannot_fix() {
    check(
        "ImagePullBackOff",
        true,
        "minikube image load todo-chatbot-backend:abc123",
    );
    check("ErrImageNeverPull", true, "just images");
    check("CrashLoopBackOff", true, "log lines");
    check("CreateContainerConfigError", true, "Secret or ConfigMap");
    check("ContainerCreating", false, "");
    check("PodInitializing", false, "");
    check("ErrImagePull", false, "");
}

#[test]
fn healthy_pods_are_not_a_problem() {
    assert_eq!(
        fatal_problem(&[pod("a", "backend", "backend", "i:1")]),
        None
    );
}
