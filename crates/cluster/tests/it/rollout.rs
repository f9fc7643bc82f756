use cluster::problem::FixContext;
use cluster::rollout::fatal_problem;

use crate::fixtures::{pod, waiting_pod};

const AT: FixContext<'static> = FixContext {
    namespace: "todo-chatbot",
    minikube_profile: Some("todo-chatbot"),
};

fn check(reason: &str, expect_fatal: bool, fix_mentions: &str) {
    let pods = vec![
        pod("db-0", "database", "postgresql", "postgres:17-alpine"),
        waiting_pod("todo-chatbot-backend-1", reason, "some message"),
    ];
    let found = fatal_problem(&pods, &AT);
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
    // The kubelet retries pulls: a transient registry error must not abort the deploy.
    check("ImagePullBackOff", false, "");
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
        fatal_problem(&[pod("a", "backend", "backend", "i:1")], &AT),
        None
    );
}

mod complete {
    use cluster::rollout::{deployment_complete, statefulset_complete};
    use k8s_openapi::api::apps::v1::{
        Deployment, DeploymentSpec, DeploymentStatus, StatefulSet, StatefulSetSpec,
        StatefulSetStatus,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn deployment(generation: i64, status: DeploymentStatus) -> Deployment {
        Deployment {
            metadata: ObjectMeta {
                name: Some("todo-chatbot-backend".into()),
                generation: Some(generation),
                ..Default::default()
            },
            spec: Some(DeploymentSpec {
                replicas: Some(2),
                ..Default::default()
            }),
            status: Some(status),
        }
    }

    fn check(d: Deployment, expect: Result<(), &str>) {
        assert_eq!(
            deployment_complete(&d).map_err(|e| e.split(": ").nth(1).unwrap().to_owned()),
            expect.map_err(str::to_owned)
        );
    }

    #[test]
    fn deployments() {
        let done = DeploymentStatus {
            observed_generation: Some(3),
            replicas: Some(2),
            updated_replicas: Some(2),
            available_replicas: Some(2),
            ready_replicas: Some(2),
            ..Default::default()
        };
        check(deployment(3, done.clone()), Ok(()));
        check(
            deployment(4, done.clone()),
            Err("the controller has not seen the new spec yet"),
        );
        check(
            deployment(
                3,
                DeploymentStatus {
                    updated_replicas: Some(1),
                    ..done.clone()
                },
            ),
            Err("1 of 2 replicas updated"),
        );
        check(
            deployment(
                3,
                DeploymentStatus {
                    replicas: Some(3),
                    ..done.clone()
                },
            ),
            Err("1 old replicas pending termination"),
        );
        check(
            deployment(
                3,
                DeploymentStatus {
                    available_replicas: Some(1),
                    ..done
                },
            ),
            Err("1 of 2 updated replicas available"),
        );
    }

    #[test]
    fn statefulsets() {
        let sts = |status: StatefulSetStatus| StatefulSet {
            metadata: ObjectMeta {
                name: Some("db".into()),
                generation: Some(1),
                ..Default::default()
            },
            spec: Some(StatefulSetSpec {
                replicas: Some(1),
                ..Default::default()
            }),
            status: Some(status),
        };
        let done = StatefulSetStatus {
            observed_generation: Some(1),
            replicas: 1,
            ready_replicas: Some(1),
            updated_replicas: Some(1),
            current_revision: Some("db-1".into()),
            update_revision: Some("db-1".into()),
            ..Default::default()
        };
        assert_eq!(statefulset_complete(&sts(done.clone())), Ok(()));
        let err = statefulset_complete(&sts(StatefulSetStatus {
            ready_replicas: Some(0),
            ..done.clone()
        }))
        .unwrap_err();
        assert!(err.contains("0 of 1 replicas ready"), "{err}");
        let err = statefulset_complete(&sts(StatefulSetStatus {
            update_revision: Some("db-2".into()),
            ..done
        }))
        .unwrap_err();
        assert!(err.contains("rolling update"), "{err}");
    }
}
