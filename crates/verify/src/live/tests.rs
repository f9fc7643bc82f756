//! The live checks' logic on recorded cluster states: pods, rollouts and endpoints built from
//! k8s-openapi types, and fake `kubectl`/`helm` scripts answering from those states to pin the
//! commands verify constructs and how it reads their answers. The same checks on a real cluster
//! are todoctl's deploy tests.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use super::{
    ExpectedImage, LiveOptions, Replaced, check_images, endpoints_problem, explain, pod_problems,
    replacements_pending, rollouts_pending, verify_live,
};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStatus};
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateTerminated, ContainerStateWaiting, ContainerStatus,
    EndpointAddress, EndpointSubset, Endpoints, Event, ObjectReference, Pod, PodCondition,
    PodStatus, Service, ServicePort, ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

const BACKEND_ID: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const FRONTEND_ID: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn meta(name: &str, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        labels: Some(BTreeMap::from([
            (
                "app.kubernetes.io/instance".to_owned(),
                "todo-chatbot".to_owned(),
            ),
            (
                "app.kubernetes.io/component".to_owned(),
                component.to_owned(),
            ),
        ])),
        ..Default::default()
    }
}

/// A pod in one of the states the live checks must tell apart.
#[derive(Clone, Copy)]
enum State {
    Ready,
    Restarted(i32),
    Waiting(&'static str),
}

fn pod(name: &str, component: &str, image: &str, image_id: &str, state: State) -> Pod {
    let ready = matches!(state, State::Ready | State::Restarted(_));
    let (cstate, restarts, last) = match state {
        State::Ready => (
            ContainerState {
                running: Some(Default::default()),
                ..Default::default()
            },
            0,
            None,
        ),
        State::Restarted(n) => (
            ContainerState {
                running: Some(Default::default()),
                ..Default::default()
            },
            n,
            Some(ContainerState {
                terminated: Some(ContainerStateTerminated {
                    reason: Some("OOMKilled".into()),
                    exit_code: 137,
                    ..Default::default()
                }),
                ..Default::default()
            }),
        ),
        State::Waiting(reason) => (
            ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some(reason.into()),
                    message: Some(format!("{reason} for test")),
                }),
                ..Default::default()
            },
            if reason == "CrashLoopBackOff" { 4 } else { 0 },
            None,
        ),
    };
    Pod {
        metadata: meta(name, component),
        spec: None,
        status: Some(PodStatus {
            phase: Some(if ready { "Running" } else { "Pending" }.into()),
            conditions: Some(vec![PodCondition {
                type_: "Ready".into(),
                status: if ready { "True" } else { "False" }.into(),
                ..Default::default()
            }]),
            container_statuses: Some(vec![ContainerStatus {
                name: component.into(),
                image: image.into(),
                image_id: image_id.into(),
                ready,
                restart_count: restarts,
                state: Some(cstate),
                last_state: last,
                ..Default::default()
            }]),
            ..Default::default()
        }),
    }
}

fn healthy() -> Vec<Pod> {
    vec![
        pod(
            "backend-1",
            "backend",
            "todo-chatbot-backend:abc123",
            &format!("docker://{BACKEND_ID}"),
            State::Ready,
        ),
        pod(
            "frontend-1",
            "frontend",
            "todo-chatbot-frontend:def456",
            &format!("docker://{FRONTEND_ID}"),
            State::Ready,
        ),
    ]
}

/// `pod: what [problem]`, with `ready: ` in front of a Ready pod's restarts.
fn check_pods(pods: &[Pod], expect: &[&str]) {
    let got: Vec<String> = pod_problems(pods)
        .into_iter()
        .map(|p| {
            format!(
                "{}{}: {}{}",
                if p.ready { "ready: " } else { "" },
                p.pod,
                p.what,
                p.problem.map(|x| format!(" [{x:?}]")).unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(got, expect);
}

#[test]
fn pod_states_are_told_apart() {
    check_pods(&healthy(), &[]);
    check_pods(
        &[pod(
            "b",
            "backend",
            "x:1",
            "",
            State::Waiting("CrashLoopBackOff"),
        )],
        &["b: not Ready (CrashLoopBackOff: CrashLoopBackOff for test) [CrashLoop]"],
    );
    check_pods(
        &[pod(
            "f",
            "frontend",
            "x:1",
            "",
            State::Waiting("ImagePullBackOff"),
        )],
        &["f: not Ready (ImagePullBackOff: ImagePullBackOff for test) [ImagePullRetried]"],
    );
    check_pods(
        &[pod("b", "backend", "x:1", "", State::Restarted(2))],
        &["ready: b: 2 restart(s) (last: OOMKilled, exit 137) [OomKilled]"],
    );
    // A finished helm test pod is not part of the app.
    let mut hook = pod("t", "test", "x:1", "", State::Waiting("Completed"));
    hook.metadata.annotations = Some(BTreeMap::from([(
        "helm.sh/hook".to_owned(),
        "test".to_owned(),
    )]));
    check_pods(&[hook], &[]);
    // Waiting for a reason that passes by itself: not Ready, but no known problem.
    check_pods(
        &[pod(
            "b",
            "backend",
            "x:1",
            "",
            State::Waiting("ContainerCreating"),
        )],
        &["b: not Ready (ContainerCreating: ContainerCreating for test)"],
    );
}

#[test]
fn image_ids_must_be_the_ones_built() {
    let expected = [
        ExpectedImage {
            repository: "todo-chatbot-backend".into(),
            id: BACKEND_ID.into(),
        },
        ExpectedImage {
            repository: "todo-chatbot-frontend".into(),
            id: FRONTEND_ID[..19].into(),
        },
    ];
    assert!(check_images(&healthy(), &expected).is_ok());
    let stale = [ExpectedImage {
        repository: "todo-chatbot-backend".into(),
        id: "sha256:9999999999999999999999999999999999999999999999999999999999999999".into(),
    }];
    let err = check_images(&healthy(), &stale).unwrap_err();
    assert!(
        err.contains("backend-1") && err.contains("stale image"),
        "{err}"
    );
    let missing = [ExpectedImage {
        repository: "todo-chatbot-worker".into(),
        id: BACKEND_ID.into(),
    }];
    assert!(
        check_images(&healthy(), &missing)
            .unwrap_err()
            .contains("no running pod uses todo-chatbot-worker")
    );
    assert!(
        check_images(&healthy(), &[])
            .unwrap()
            .contains("nothing to compare")
    );
    // An old replica still draining after the rollout runs the old image: not the app's.
    let mut draining = pod(
        "backend-0",
        "backend",
        "todo-chatbot-backend:old",
        "docker://sha256:9999999999999999999999999999999999999999999999999999999999999999",
        State::Ready,
    );
    let mut pods = healthy();
    pods.push(draining.clone());
    assert!(check_images(&pods, &expected).is_err());
    draining.metadata.deletion_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            "2026-12-02T00:10:20Z".parse().unwrap(),
        ));
    let mut pods = healthy();
    pods.push(draining);
    assert!(check_images(&pods, &expected).is_ok());
}

fn service(name: &str, component: &str) -> Service {
    Service {
        metadata: meta(name, component),
        spec: Some(ServiceSpec {
            selector: Some(BTreeMap::from([(
                "app.kubernetes.io/component".to_owned(),
                component.to_owned(),
            )])),
            ports: Some(vec![ServicePort {
                port: 3000,
                name: Some("http".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        status: None,
    }
}

fn endpoints(name: &str, ready: usize, not_ready: usize) -> Endpoints {
    let addr = || EndpointAddress {
        ip: "10.0.0.1".into(),
        ..Default::default()
    };
    Endpoints {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        subsets: Some(vec![EndpointSubset {
            addresses: Some((0..ready).map(|_| addr()).collect()),
            not_ready_addresses: Some((0..not_ready).map(|_| addr()).collect()),
            ports: None,
        }]),
    }
}

#[test]
fn services_need_ready_endpoints() {
    let svc = service("todo-chatbot-frontend", "frontend");
    assert_eq!(endpoints_problem(&svc, Some(&endpoints("f", 1, 0))), None);
    let empty = endpoints_problem(&svc, Some(&endpoints("f", 0, 1))).unwrap();
    assert!(
        empty.contains("no ready endpoints (1 not ready)"),
        "{empty}"
    );
    assert!(
        endpoints_problem(&svc, None)
            .unwrap()
            .contains("no Endpoints object")
    );
    let mut headless = service("db-hl", "database");
    headless.spec.as_mut().unwrap().publish_not_ready_addresses = Some(true);
    assert_eq!(
        endpoints_problem(&headless, Some(&endpoints("h", 0, 1))),
        None
    );
}

fn deployment(name: &str, want: i32, updated: i32, available: i32) -> Deployment {
    Deployment {
        metadata: ObjectMeta {
            name: Some(name.into()),
            generation: Some(2),
            ..Default::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(want),
            ..Default::default()
        }),
        status: Some(DeploymentStatus {
            observed_generation: Some(2),
            replicas: Some(updated),
            updated_replicas: Some(updated),
            available_replicas: Some(available),
            ..Default::default()
        }),
    }
}

#[test]
fn stuck_rollouts_are_reported() {
    assert!(rollouts_pending(&[deployment("ok", 2, 2, 2)], &[]).is_empty());
    let stuck = rollouts_pending(&[deployment("todo-chatbot-backend", 2, 2, 1)], &[]);
    assert_eq!(
        stuck,
        ["deployment todo-chatbot-backend: 1 of 2 updated replicas available"]
    );
}

#[test]
fn deleted_pods_count_as_replaced_only_by_new_uids() {
    let with_uid = |name: &str, component: &str, uid: &str| {
        let mut p = pod(name, component, "i:1", BACKEND_ID, State::Ready);
        p.metadata.uid = Some(uid.into());
        p
    };
    let replaced = [
        Replaced {
            component: "backend".into(),
            uid: "b-old".into(),
        },
        Replaced {
            component: "database".into(),
            uid: "d-old".into(),
        },
    ];
    let check = |pods: &[Pod], expect: &[&str]| {
        assert_eq!(replacements_pending(pods, &replaced), expect);
    };
    // Right after the delete: the old StatefulSet pod is still listed (same name), no new one.
    check(
        &[
            with_uid("db-0", "database", "d-old"),
            with_uid("api-2", "backend", "b-new"),
        ],
        &["pod db-0 is still there", "no new database pod yet"],
    );
    // The StatefulSet pod is gone and not yet recreated: nothing Not-Ready to see, not done.
    check(
        &[with_uid("api-2", "backend", "b-new")],
        &["no new database pod yet"],
    );
    // Recreated under the same name with a new UID.
    check(
        &[
            with_uid("db-0", "database", "d-new"),
            with_uid("api-2", "backend", "b-new"),
        ],
        &[],
    );
}

fn event(pod: &str, reason: &str, message: &str) -> Event {
    Event {
        metadata: ObjectMeta {
            name: Some(format!("{pod}.1")),
            ..Default::default()
        },
        involved_object: ObjectReference {
            name: Some(pod.into()),
            kind: Some("Pod".into()),
            ..Default::default()
        },
        reason: Some(reason.into()),
        message: Some(message.into()),
        type_: Some("Warning".into()),
        count: Some(3),
        ..Default::default()
    }
}

#[test]
fn a_failure_is_explained_with_events_and_logs() {
    let pods = [pod(
        "todo-chatbot-backend-7d9",
        "backend",
        "x:1",
        "",
        State::Waiting("CrashLoopBackOff"),
    )];
    let problem = &pod_problems(&pods)[0];
    let events = [
        event(
            "todo-chatbot-backend-7d9",
            "BackOff",
            "Back-off restarting failed container",
        ),
        event("other-pod", "Pulled", "not this one"),
    ];
    let text = explain(
        problem,
        &events,
        "error: JWT_SECRET must be at least 32 bytes\n",
    );
    assert_eq!(
        text,
        "pod todo-chatbot-backend-7d9 container backend: not Ready (CrashLoopBackOff: CrashLoopBackOff for test)\n\
         event Warning BackOff: Back-off restarting failed container (x3)\n\
         last log lines (previous instance):\n\
         | error: JWT_SECRET must be at least 32 bytes"
    );
}

/// Fake kubectl and helm answering from JSON files of recorded states; every call is logged.
struct Fake {
    dir: tempfile::TempDir,
}

impl Fake {
    fn new(pods: &[Pod], endpoints_json: &Endpoints) -> Fake {
        Self::with(pods, endpoints_json, "")
    }

    /// `extra_kubectl_cases`: shell `case` arms tried before the recorded answers.
    fn with(pods: &[Pod], endpoints_json: &Endpoints, extra_kubectl_cases: &str) -> Fake {
        let dir = tempfile::tempdir().unwrap();
        let list = |items: serde_json::Value| serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
        let write = |name: &str, v: serde_json::Value| {
            std::fs::write(dir.path().join(name), v.to_string()).unwrap()
        };
        write("pods.json", list(serde_json::to_value(pods).unwrap()));
        write(
            "deployments.json",
            list(
                serde_json::to_value([
                    deployment("todo-chatbot-backend", 1, 1, 1),
                    deployment("todo-chatbot-frontend", 1, 1, 1),
                ])
                .unwrap(),
            ),
        );
        write("statefulsets.json", list(serde_json::json!([])));
        write(
            "services.json",
            list(serde_json::to_value([service("todo-chatbot-frontend", "frontend")]).unwrap()),
        );
        write(
            "endpoints.json",
            serde_json::to_value(endpoints_json).unwrap(),
        );
        write(
            "events.json",
            list(
                serde_json::to_value([event(
                    "backend-1",
                    "BackOff",
                    "Back-off restarting failed container",
                )])
                .unwrap(),
            ),
        );
        write(
            "status.json",
            serde_json::json!({"name": "todo-chatbot", "namespace": "todo-chatbot", "version": 3, "info": {"status": "deployed", "description": "Upgrade complete"}}),
        );
        let d = dir.path().display();
        let script = |name: &str, cases: &str| {
            let path = dir.path().join(name);
            std::fs::write(
                &path,
                format!("#!/bin/sh\nprintf '%s\\n' \"{name} $*\" >> '{d}/calls.log'\ncase \"$*\" in\n{cases}\nesac\n"),
            )
            .unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        script(
            "kubectl",
            &format!(
                "{extra_kubectl_cases}\n  *'get pods '*) cat '{d}/pods.json' ;;\n\
                 \x20 *'get deployments.v1.apps '*) cat '{d}/deployments.json' ;;\n\
                 \x20 *'get statefulsets.v1.apps '*) cat '{d}/statefulsets.json' ;;\n\
                 \x20 *'get services '*) cat '{d}/services.json' ;;\n\
                 \x20 *'get endpoints '*) cat '{d}/endpoints.json' ;;\n\
                 \x20 *'get events '*) cat '{d}/events.json' ;;\n\
                 \x20 *' logs '*) echo 'error: JWT_SECRET must be at least 32 bytes' ;;\n\
                 \x20 *) echo \"unexpected kubectl call: $*\" >&2; exit 1 ;;"
            ),
        );
        script(
            "helm",
            &format!(
                "  *' status '*) cat '{d}/status.json' ;;\n\
                 \x20 *' test '*) echo 'TEST SUITE:     todo-chatbot-test-round-trip'; echo 'Phase:          Succeeded' ;;\n\
                 \x20 *) echo \"unexpected helm call: $*\" >&2; exit 1 ;;"
            ),
        );
        Fake { dir }
    }

    fn options(&self) -> LiveOptions {
        let p = |n: &str| self.dir.path().join(n).display().to_string();
        let kubectl = cluster::Kubectl::new(p("kubectl"), "todo-chatbot").with_context("minikube");
        let helm = cluster::Helm::new(p("helm"), cluster::HelmMajor::V4).with_context("minikube");
        let mut o = LiveOptions::new(kubectl, helm, "todo-chatbot");
        o.smoke = false;
        o.persistence = false;
        o.timeout = Duration::from_secs(5);
        o.expected_images = vec![ExpectedImage {
            repository: "todo-chatbot-backend".into(),
            id: BACKEND_ID.into(),
        }];
        o
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("calls.log")).unwrap_or_default()
    }
}

#[test]
fn healthy_release_passes_and_the_commands_are_the_expected_ones() {
    let fake = Fake::new(&healthy(), &endpoints("todo-chatbot-frontend", 1, 0));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut o = fake.options();
    let log = seen.clone();
    o.progress = crate::Progress::new(move |e| {
        log.lock().unwrap().push(match e {
            crate::ProgressEvent::Started(name) => format!("start {name}"),
            crate::ProgressEvent::Finished(step) => format!("done {} {}", step.name, step.ok),
        });
    });
    let report = verify_live(&exec::Runner::live(), &o);
    assert!(report.passed(), "{report}\n{}", fake.calls());
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2 * report.steps.len(), "{seen:?}");
    assert_eq!(seen[0], "start helm release todo-chatbot deployed");
    assert_eq!(seen[1], "done helm release todo-chatbot deployed true");
    let calls = fake.calls();
    for want in [
        "helm --kube-context minikube status todo-chatbot --namespace todo-chatbot --output json",
        "kubectl --context minikube --namespace todo-chatbot get pods --output json --selector app.kubernetes.io/instance=todo-chatbot",
        "kubectl --context minikube --namespace todo-chatbot get deployments.v1.apps --output json --selector app.kubernetes.io/instance=todo-chatbot",
        "kubectl --context minikube --namespace todo-chatbot get endpoints todo-chatbot-frontend --ignore-not-found --output json",
        "helm --kube-context minikube test todo-chatbot --namespace todo-chatbot --timeout 5m",
    ] {
        assert!(
            calls.lines().any(|l| l == want),
            "missing call {want:?} in:\n{calls}"
        );
    }
    // Read-only unless persistence is asked for: nothing deleted.
    assert!(!calls.contains(" delete "), "{calls}");
    let text = report.to_string();
    assert!(
        text.contains("ok   helm release todo-chatbot deployed"),
        "{text}"
    );
    assert!(
        text.contains("match the build: todo-chatbot-backend@"),
        "{text}"
    );
}

#[test]
fn crash_loop_fails_fast_with_events_and_previous_logs() {
    let pods = vec![
        pod(
            "backend-1",
            "backend",
            "todo-chatbot-backend:abc",
            "",
            State::Waiting("CrashLoopBackOff"),
        ),
        healthy()[1].clone(),
    ];
    let fake = Fake::new(&pods, &endpoints("todo-chatbot-frontend", 0, 1));
    let report = verify_live(&exec::Runner::live(), &fake.options());
    assert!(!report.passed());
    let step = report
        .steps
        .iter()
        .find(|s| s.name == "rollouts complete, pods Ready")
        .unwrap();
    assert!(!step.ok);
    assert!(step.detail.contains("CrashLoopBackOff"), "{}", step.detail);
    assert!(
        step.detail.contains("event Warning BackOff"),
        "{}",
        step.detail
    );
    assert!(
        step.detail
            .contains("| error: JWT_SECRET must be at least 32 bytes"),
        "{}",
        step.detail
    );
    let calls = fake.calls();
    assert!(
        calls.contains("kubectl --context minikube --namespace todo-chatbot logs backend-1 --tail 10 --container backend --previous"),
        "{calls}"
    );
    let endpoints_step = report
        .steps
        .iter()
        .find(|s| s.name == "Services have endpoints")
        .unwrap();
    assert!(!endpoints_step.ok && endpoints_step.detail.contains("no ready endpoints"));
}

#[test]
fn release_not_installed_stops_at_the_first_step() {
    let fake = Fake::new(&healthy(), &endpoints("f", 1, 0));
    std::fs::write(
        fake.dir.path().join("helm"),
        "#!/bin/sh\necho 'Error: release: not found' >&2\nexit 1\n",
    )
    .unwrap();
    let report = verify_live(&exec::Runner::live(), &fake.options());
    assert_eq!(report.steps.len(), 1);
    assert!(report.steps[0].detail.contains("not installed"), "{report}");
    assert!(Path::new(&fake.dir.path().join("helm")).exists());
}

/// The whole live flow, smoke journey and persistence included, with the real services standing
/// in for the cluster: a real todo-api on a fresh PostgreSQL database, and a fake `kubectl
/// port-forward` that starts a real todo-web pointing at it on the requested local port.
#[test]
fn smoke_and_persistence_run_through_kubectl_port_forward() {
    let (api_bin, web_bin) = crate::test_support::binaries();
    let db = crate::local::FreshDatabase::create(&crate::test_support::admin_url()).unwrap();
    let api_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = exec::Cmd::new(api_bin.display().to_string())
        .env("PORT", api_port.to_string())
        .env("BIND_ADDR", "127.0.0.1")
        .env("AGENT", "builtin")
        .secret_env("DATABASE_URL", db.url().as_str())
        .secret_env("JWT_SECRET", "j".repeat(48))
        .spawn()
        .unwrap();
    let ready = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        reqwest::blocking::get(format!("http://127.0.0.1:{api_port}/readyz"))
            .is_ok_and(|r| r.status().is_success())
    });
    assert!(ready, "todo-api did not become ready: {:?}", api.try_wait());
    let forward = format!(
        "  *' port-forward '*) for a in \"$@\"; do last=\"$a\"; done; \
         PORT=\"${{last%%:*}}\" BIND_ADDR=127.0.0.1 BACKEND_URL=http://127.0.0.1:{api_port} exec '{}' ;;\n\
         \x20 *' delete pod '*) cp \"$(dirname \"$0\")/pods-after-delete.json\" \"$(dirname \"$0\")/pods.json\"; exit 0 ;;",
        web_bin.display()
    );
    let mut pods = healthy();
    pods.push(pod(
        "todo-chatbot-postgresql-0",
        "database",
        "postgres:17-alpine",
        "docker://sha256:33",
        State::Ready,
    ));
    // The controllers replace deleted pods with new ones: new UIDs (the StatefulSet's keeps
    // its name); verify must wait for those, not pass on the old pods' status.
    let with_uids = |pods: &[Pod], generation: &str| -> serde_json::Value {
        let pods: Vec<Pod> = pods
            .iter()
            .cloned()
            .map(|mut p| {
                p.metadata.uid = p
                    .metadata
                    .name
                    .as_ref()
                    .map(|n| format!("{n}-{generation}"));
                p
            })
            .collect();
        serde_json::json!({"apiVersion": "v1", "kind": "List", "items": pods})
    };
    let fake = Fake::with(&pods, &endpoints("todo-chatbot-frontend", 1, 0), &forward);
    std::fs::write(
        fake.dir.path().join("pods.json"),
        with_uids(&pods, "old").to_string(),
    )
    .unwrap();
    std::fs::write(
        fake.dir.path().join("pods-after-delete.json"),
        with_uids(&pods, "new").to_string(),
    )
    .unwrap();
    let mut o = fake.options();
    o.smoke = true;
    o.persistence = true;
    let report = verify_live(&exec::Runner::live(), &o);
    let calls = fake.calls();
    assert!(report.passed(), "{report}\n{calls}");
    assert!(report.smoke.as_ref().unwrap().passed());
    for want in [
        "kubectl --context minikube --namespace todo-chatbot port-forward --address 127.0.0.1 svc/todo-chatbot-frontend ",
        "kubectl --context minikube --namespace todo-chatbot delete pod --wait=false --selector app.kubernetes.io/instance=todo-chatbot,app.kubernetes.io/component in (backend,database)",
    ] {
        assert!(calls.contains(want), "missing {want:?} in:\n{calls}");
    }
    assert!(
        report
            .steps
            .iter()
            .any(|s| s.name == "the app answers through the frontend" && s.ok),
        "{report}"
    );
    let survived = report
        .steps
        .iter()
        .find(|s| s.name == "data survived the restart")
        .unwrap();
    assert!(
        survived.ok && survived.detail.contains("groceries"),
        "{report}"
    );
    api.terminate().unwrap();
}

/// Ready endpoints are not yet routed ones: the journey waits until the app answers through the
/// frontend, and a frontend that never reaches its backend is reported as that, with the
/// journey (and so persistence) not run on a half-working app.
#[test]
fn the_journey_waits_for_the_app_to_answer_through_the_frontend() {
    let (_, web_bin) = crate::test_support::binaries();
    let nobody = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let forward = format!(
        "  *' port-forward '*) for a in \"$@\"; do last=\"$a\"; done; \
         PORT=\"${{last%%:*}}\" BIND_ADDR=127.0.0.1 BACKEND_URL=http://127.0.0.1:{nobody} exec '{}' ;;",
        web_bin.display()
    );
    let fake = Fake::with(
        &healthy(),
        &endpoints("todo-chatbot-frontend", 1, 0),
        &forward,
    );
    let mut o = fake.options();
    o.smoke = true;
    o.persistence = true;
    o.timeout = Duration::from_secs(2);
    let report = verify_live(&exec::Runner::live(), &o);
    assert!(!report.passed(), "{report}");
    assert!(report.smoke.is_none(), "{report}");
    let answers = report
        .steps
        .iter()
        .find(|s| s.name == "the app answers through the frontend")
        .unwrap_or_else(|| panic!("no answering step in {report}"));
    assert!(
        !answers.ok && answers.detail.contains("did not answer within 2s"),
        "{report}"
    );
    let persistence = report.steps.iter().find(|s| s.name == "persistence");
    assert!(
        persistence.is_some_and(|s| s.detail.contains("needs a passing smoke journey")),
        "{report}"
    );
}

/// A dry run reads nothing and runs nothing: it records, in order, what the live run would
/// change (the journey's port-forward, the pod deletion, the second port-forward, helm test).
#[test]
fn a_dry_run_records_every_mutation_and_runs_nothing() {
    let fake = Fake::new(&healthy(), &endpoints("todo-chatbot-frontend", 1, 0));
    let mut o = fake.options();
    o.smoke = true;
    o.persistence = true;
    let runner = exec::Runner::dry_run();
    let report = verify_live(&runner, &o);
    assert_eq!(fake.calls(), "", "a dry run called the tools");
    let tools = format!("{}/", fake.dir.path().display());
    let recorded: Vec<String> = runner
        .recorded()
        .iter()
        .map(|line| line.replace(&tools, ""))
        .collect();
    let forward = "kubectl --context minikube --namespace todo-chatbot port-forward --address 127.0.0.1 'svc/<frontend Service of todo-chatbot>' 0:http";
    assert_eq!(
        recorded,
        [
            forward,
            "kubectl --context minikube --namespace todo-chatbot delete pod '--wait=false' --selector 'app.kubernetes.io/instance=todo-chatbot,app.kubernetes.io/component in (backend,database)'",
            forward,
            "helm --kube-context minikube test todo-chatbot --namespace todo-chatbot --timeout 5m",
        ]
    );
    assert!(report.passed(), "{report}");
    assert_eq!(report.steps.len(), 4, "{report}");

    // Without persistence nothing is deleted, and helm test stays in the plan.
    o.persistence = false;
    let runner = exec::Runner::dry_run();
    verify_live(&runner, &o);
    let plan = runner.recorded().join("\n");
    assert!(!plan.contains(" delete "), "{plan}");
    assert!(
        plan.ends_with("test todo-chatbot --namespace todo-chatbot --timeout 5m"),
        "{plan}"
    );
}
