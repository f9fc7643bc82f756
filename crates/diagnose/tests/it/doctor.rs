//! Every doctor rule on a fixture cluster state built from k8s-openapi types, plus the
//! healthy state that must give no finding.

use std::collections::BTreeMap;

use cluster::helm::{ReleaseInfo, ReleaseStatus};
use cluster::{MinikubeOptions, PodProblem};
use diagnose::{ClusterState, DoctorContext, Finding, RULES};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapEnvSource, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    EnvFromSource, EnvVar, EnvVarSource, Event, ObjectReference, PersistentVolumeClaim,
    PersistentVolumeClaimStatus, Pod, PodCondition, ResourceRequirements, SecretKeySelector,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::fixtures::{pod, waiting_pod};

fn ctx() -> DoctorContext {
    DoctorContext {
        minikube: MinikubeOptions::default(),
        namespace: "todo-chatbot".into(),
        release: "todo-chatbot".into(),
    }
}

fn healthy() -> ClusterState {
    ClusterState {
        pods: vec![
            pod(
                "todo-chatbot-backend-1",
                "backend",
                "backend",
                "todo-chatbot-backend:sha-b",
            ),
            pod(
                "todo-chatbot-frontend-1",
                "frontend",
                "frontend",
                "todo-chatbot-frontend:sha-f",
            ),
            pod(
                "todo-chatbot-postgresql-0",
                "database",
                "postgresql",
                "docker.io/library/postgres:17-alpine",
            ),
        ],
        release: Some(ReleaseStatus {
            name: "todo-chatbot".into(),
            namespace: "todo-chatbot".into(),
            version: 3,
            info: ReleaseInfo {
                status: "deployed".into(),
                description: "Upgrade complete".into(),
            },
        }),
        minikube_images: Some(vec!["docker.io/library/todo-chatbot-backend:sha-b".into()]),
        ..Default::default()
    }
}

fn event(kind: &str, name: &str, reason: &str, message: &str) -> Event {
    Event {
        metadata: ObjectMeta {
            name: Some(format!("{name}.1")),
            ..Default::default()
        },
        involved_object: ObjectReference {
            kind: Some(kind.into()),
            name: Some(name.into()),
            ..Default::default()
        },
        reason: Some(reason.into()),
        message: Some(message.into()),
        type_: Some("Warning".into()),
        ..Default::default()
    }
}

/// Diagnoses `state` and checks the single finding's rule and that the problem and fix say
/// what they must.
fn check(state: ClusterState, rule: &str, problem_says: &[&str], fix_says: &[&str]) -> Finding {
    let findings = diagnose::diagnose(&state, &ctx());
    assert_eq!(findings.len(), 1, "{}", diagnose::render(&findings));
    let f = findings.into_iter().next().unwrap();
    assert_eq!(f.rule, rule, "{f:?}");
    for s in problem_says {
        assert!(
            f.problem.contains(s) || f.evidence.iter().any(|e| e.contains(s)),
            "problem lacks {s:?}: {f:?}"
        );
    }
    for s in fix_says {
        assert!(f.fix.contains(s), "fix lacks {s:?}: {f:?}");
    }
    // Deterministic: the same state gives the same findings.
    assert_eq!(diagnose::diagnose(&state, &ctx()), vec![f.clone()]);
    f
}

fn with_pod(pod: Pod) -> ClusterState {
    let mut state = healthy();
    state.pods.push(pod);
    state
}

#[test]
fn a_healthy_release_has_no_findings() {
    assert_eq!(diagnose::diagnose(&healthy(), &ctx()), vec![]);
    assert_eq!(diagnose::render(&[]), "doctor: no problem found\n");
}

#[test]
fn image_not_in_minikube() {
    let state = with_pod(waiting_pod(
        "todo-chatbot-backend-2",
        "ErrImageNeverPull",
        "Container image \"todo-chatbot-backend:abc123\" is not present with pull policy of Never",
    ));
    check(
        state,
        "image-not-loaded",
        &[
            "todo-chatbot-backend:abc123",
            "does not list todo-chatbot-backend:abc123",
        ],
        &[
            "minikube -p todo-chatbot image load todo-chatbot-backend:abc123",
            "just images",
        ],
    );
}

#[test]
fn an_image_minikube_lists_under_another_prefix_counts_as_loaded() {
    let mut state = with_pod(waiting_pod(
        "todo-chatbot-backend-2",
        "ErrImageNeverPull",
        "Container image \"todo-chatbot-backend:abc123\" is not present with pull policy of Never",
    ));
    state.minikube_images = Some(vec![
        "docker.io/library/todo-chatbot-backend:abc123".into(),
        "docker.io/library/todo-chatbot-frontend:abc123".into(),
    ]);
    check(
        state,
        "image-not-loaded",
        &["`minikube image ls` lists todo-chatbot-backend:abc123"],
        &[],
    );
}

#[test]
fn crash_loop_from_a_config_error_names_the_variable_and_its_source() {
    let mut p = waiting_pod("todo-chatbot-backend-2", "CrashLoopBackOff", "back-off 20s");
    p.spec.as_mut().unwrap().containers[0].env = Some(vec![EnvVar {
        name: "JWT_SECRET".into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: "todo-chatbot".into(),
                key: "jwt-secret".into(),
                optional: None,
            }),
            ..Default::default()
        }),
        value: None,
    }]);
    let mut state = with_pod(p);
    state.logs = BTreeMap::from([(
        "todo-chatbot-backend-2/backend".to_owned(),
        "INFO starting todo-api 0.1.0\nError: invalid configuration: JWT_SECRET must be at least 32 bytes (got 7)\n".to_owned(),
    )]);
    let f = check(
        state,
        "crash-config-error",
        &[
            "configuration error in JWT_SECRET",
            "must be at least 32 bytes",
        ],
        &["fix JWT_SECRET", "Secret todo-chatbot key jwt-secret"],
    );
    assert!(!f.evidence.iter().any(|e| e.contains("starting")));
}

#[test]
fn a_variable_is_a_configuration_error_only_when_the_container_is_given_it() {
    // The container loads the backend ConfigMap; the chart's keys are the variables it has.
    let crashing = |log: &str| {
        let mut p = waiting_pod("todo-chatbot-backend-2", "CrashLoopBackOff", "back-off 20s");
        p.spec.as_mut().unwrap().containers[0].env_from = Some(vec![EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource {
                name: "todo-chatbot-backend".into(),
                optional: None,
            }),
            ..Default::default()
        }]);
        let mut state = with_pod(p);
        state.config_maps = vec![ConfigMap {
            metadata: ObjectMeta {
                name: Some("todo-chatbot-backend".into()),
                ..Default::default()
            },
            data: Some(BTreeMap::from([(
                "LOG_LEVEL".to_owned(),
                "loud".to_owned(),
            )])),
            ..Default::default()
        }];
        state.logs = BTreeMap::from([(
            "todo-chatbot-backend-2/backend".to_owned(),
            format!("{log}\n"),
        )]);
        state
    };
    check(
        crashing("Error: invalid LOG_LEVEL \"loud\""),
        "crash-config-error",
        &["configuration error in LOG_LEVEL"],
        &["ConfigMap todo-chatbot-backend"],
    );
    // Named, but not a variable the container is given: a plain crash loop.
    check(
        crashing("Error: invalid SOME_OTHER_SETTING"),
        "crash-loop",
        &["SOME_OTHER_SETTING"],
        &["--previous"],
    );
}

#[test]
fn crash_loop_without_a_config_error_shows_the_last_log_lines() {
    let mut state = with_pod(waiting_pod(
        "todo-chatbot-backend-2",
        "CrashLoopBackOff",
        "back-off",
    ));
    state.logs = BTreeMap::from([(
        "todo-chatbot-backend-2/backend".to_owned(),
        "thread 'main' panicked at src/main.rs:10: boom\n".to_owned(),
    )]);
    check(
        state,
        "crash-loop",
        &["panicked at src/main.rs:10"],
        &["--previous"],
    );
}

#[test]
fn pending_for_cpu_says_how_to_resize_minikube() {
    let mut p = pod("todo-chatbot-backend-2", "backend", "backend", "i:1");
    let status = p.status.as_mut().unwrap();
    status.phase = Some("Pending".into());
    status.container_statuses = None;
    status.conditions = Some(vec![PodCondition {
        type_: "PodScheduled".into(),
        status: "False".into(),
        reason: Some("Unschedulable".into()),
        message: Some("0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available".into()),
        ..Default::default()
    }]);
    check(
        with_pod(p),
        "pending-resources",
        &["too little cpu and memory"],
        &[
            "minikube delete -p todo-chatbot && minikube start -p todo-chatbot --cpus=4 --memory=8192",
        ],
    );
}

#[test]
fn pvc_pending_says_to_enable_the_storage_addons() {
    let mut state = healthy();
    state.pvcs = vec![PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some("data-todo-chatbot-postgresql-0".into()),
            ..Default::default()
        },
        status: Some(PersistentVolumeClaimStatus {
            phase: Some("Pending".into()),
            ..Default::default()
        }),
        ..Default::default()
    }];
    state.events = vec![event(
        "PersistentVolumeClaim",
        "data-todo-chatbot-postgresql-0",
        "FailedBinding",
        "no persistent volumes available for this claim and no storage class is set",
    )];
    check(
        state,
        "pvc-pending",
        &["no storage class is set"],
        &[
            "addons enable storage-provisioner",
            "addons enable default-storageclass",
        ],
    );
}

#[test]
fn readiness_failing_shows_the_last_probe_error() {
    let mut p = pod("todo-chatbot-backend-2", "backend", "backend", "i:1");
    let cs = &mut p
        .status
        .as_mut()
        .unwrap()
        .container_statuses
        .as_mut()
        .unwrap()[0];
    cs.ready = false;
    cs.state = Some(ContainerState {
        running: Some(ContainerStateRunning::default()),
        ..Default::default()
    });
    let mut state = with_pod(p);
    state.events = vec![
        event(
            "Pod",
            "todo-chatbot-backend-2",
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 500",
        ),
        event(
            "Pod",
            "todo-chatbot-backend-2",
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
        ),
        event(
            "Pod",
            "other-pod",
            "Unhealthy",
            "Readiness probe failed: connection refused",
        ),
    ];
    check(
        state,
        "readiness-failing",
        &["statuscode: 503"],
        &["logs todo-chatbot-backend-2"],
    );
}

#[test]
fn oom_killed_names_the_limit_and_the_values_key() {
    let mut p = pod("todo-chatbot-backend-2", "backend", "backend", "i:1");
    p.spec.as_mut().unwrap().containers[0].resources = Some(ResourceRequirements {
        limits: Some([("memory".to_owned(), Quantity("128Mi".into()))].into()),
        ..Default::default()
    });
    let cs = &mut p
        .status
        .as_mut()
        .unwrap()
        .container_statuses
        .as_mut()
        .unwrap()[0];
    cs.restart_count = 3;
    cs.last_state = Some(ContainerState {
        terminated: Some(ContainerStateTerminated {
            reason: Some("OOMKilled".into()),
            exit_code: 137,
            ..Default::default()
        }),
        ..Default::default()
    });
    check(
        with_pod(p),
        "oom-killed",
        &["memory limit 128Mi"],
        &["backend.resources.limits.memory", "128Mi"],
    );
}

#[test]
fn a_missing_secret_is_named() {
    check(
        with_pod(waiting_pod(
            "todo-chatbot-backend-2",
            "CreateContainerConfigError",
            "secret \"todo-chatbot-database\" not found",
        )),
        "missing-secret-or-configmap",
        &["Secret todo-chatbot-database"],
        &["create secret generic", "existingSecret"],
    );
    check(
        with_pod(waiting_pod(
            "todo-chatbot-backend-2",
            "CreateContainerConfigError",
            "couldn't find key jwt-secret in Secret todo-chatbot/mine",
        )),
        "missing-secret-or-configmap",
        &["key jwt-secret in Secret mine"],
        &["existingSecret"],
    );
    check(
        with_pod(waiting_pod(
            "todo-chatbot-frontend-2",
            "CreateContainerConfigError",
            "configmap \"todo-chatbot-frontend\" not found",
        )),
        "missing-secret-or-configmap",
        &["ConfigMap todo-chatbot-frontend"],
        &[],
    );
}

#[test]
fn pods_refused_by_pod_security_admission_are_named_by_their_controller() {
    // Recorded on the test cluster: a `baseline` pod in a namespace enforcing `restricted`.
    let refusal = "pods \"todo-chatbot-postgresql-0\" is forbidden: violates PodSecurity \"restricted:latest\": runAsNonRoot != true (pod or container \"volume-permissions\" must not set securityContext.runAsNonRoot=false)";
    let mut state = healthy();
    state.events.push(event(
        "StatefulSet",
        "todo-chatbot-postgresql",
        "FailedCreate",
        refusal,
    ));
    check(
        state,
        "pod-security-refused",
        &["violates PodSecurity", "volume-permissions"],
        &["postgresql.volumePermissions", "baseline"],
    );
    // Another FailedCreate (a quota, say) is not this rule's.
    let mut state = healthy();
    state.events.push(event(
        "ReplicaSet",
        "todo-chatbot-backend-5d9",
        "FailedCreate",
        "pods \"x\" is forbidden: exceeded quota: compute",
    ));
    assert!(diagnose::diagnose(&state, &ctx()).is_empty());
}

#[test]
fn pods_the_api_server_finds_invalid_are_named_by_their_controller() {
    // Recorded on the test cluster: a StatefulSet of 60 characters, whose revision label is 70.
    let refusal = "Create Pod e2e-a-release-name-long-enough-for-the-chart-to-t-postgresql-0 in StatefulSet e2e-a-release-name-long-enough-for-the-chart-to-t-postgresql failed error: Pod \"e2e-a-release-name-long-enough-for-the-chart-to-t-postgresql-0\" is invalid: metadata.labels: Invalid value: \"e2e-a-release-name-long-enough-for-the-chart-to-t-postgresql-7bd7759f6\": must be no more than 63 bytes";
    let mut state = healthy();
    state.events.push(event(
        "StatefulSet",
        "e2e-a-release-name-long-enough-for-the-chart-to-t-postgresql",
        "FailedCreate",
        refusal,
    ));
    check(
        state,
        "pod-invalid",
        &["must be no more than 63 bytes"],
        &["fullnameOverride", "statefulset-name-length"],
    );
    // A ServiceAccount created a moment after its StatefulSet clears up by itself.
    let mut state = healthy();
    state.events.push(event(
        "StatefulSet",
        "todo-chatbot-postgresql",
        "FailedCreate",
        "pods \"todo-chatbot-postgresql-0\" is forbidden: error looking up service account e2e/todo-chatbot: serviceaccount \"todo-chatbot\" not found",
    ));
    assert!(diagnose::diagnose(&state, &ctx()).is_empty());
}

#[test]
fn a_failed_release_says_to_roll_back() {
    let mut state = healthy();
    state.release.as_mut().unwrap().info.status = "failed".into();
    check(
        state,
        "release-not-deployed",
        &["is `failed`"],
        &["todoctl rollback"],
    );
}

#[test]
fn every_rule_has_a_fixture_here() {
    let source = include_str!("doctor.rs");
    for rule in RULES {
        assert!(
            source.contains(&format!("\"{}\"", rule.id)),
            "rule {} has no fixture test",
            rule.id
        );
    }
}

#[test]
fn each_problem_falls_under_one_doctor_rule() {
    let rules: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    for problem in [
        PodProblem::ImageNeverPull,
        PodProblem::InvalidImageName,
        PodProblem::ImagePullRetried,
        PodProblem::MissingConfig,
        PodProblem::CrashLoop,
        PodProblem::OomKilled,
    ] {
        assert!(rules.contains(&problem.rule()), "{problem:?}");
    }
}

#[test]
fn findings_come_in_rule_order() {
    let mut state = with_pod(waiting_pod("z-pod", "ErrImageNeverPull", ""));
    state.pods.push(waiting_pod(
        "a-pod",
        "CreateContainerConfigError",
        "secret \"x\" not found",
    ));
    state.release.as_mut().unwrap().info.status = "pending-upgrade".into();
    let rules: Vec<&str> = diagnose::diagnose(&state, &ctx())
        .iter()
        .map(|f| f.rule)
        .collect();
    assert_eq!(
        rules,
        [
            "image-not-loaded",
            "missing-secret-or-configmap",
            "release-not-deployed"
        ]
    );
}

#[test]
fn the_committed_troubleshooting_table_matches_the_rules() {
    let path = e2e::repo_root().join("docs/troubleshooting.md");
    let table = diagnose::rules_markdown();
    let begin = "<!-- BEGIN doctor rules (generated by diagnose::rules_markdown) -->\n";
    let end = "<!-- END doctor rules -->";
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let (head, tail) = match (text.find(begin), text.find(end)) {
            (Some(b), Some(e)) => (text[..b].to_owned(), text[e + end.len()..].to_owned()),
            _ => (text.clone(), "\n".to_owned()),
        };
        std::fs::write(&path, format!("{head}{begin}{table}{end}{tail}")).unwrap();
        return;
    }
    let start = text.find(begin).map(|i| i + begin.len());
    let stop = text.find(end);
    let committed = match (start, stop) {
        (Some(s), Some(e)) if s <= e => &text[s..e],
        _ => panic!(
            "{} has no generated rules table; run `UPDATE_DOCS=1 cargo test -p diagnose troubleshooting`",
            path.display()
        ),
    };
    assert_eq!(
        committed,
        table,
        "{} drifted from doctor's rules: run `UPDATE_DOCS=1 cargo test -p diagnose troubleshooting`",
        path.display()
    );
}
