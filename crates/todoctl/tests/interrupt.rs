//! Ctrl-C and SIGTERM reach the tools todoctl runs: the real binary, real kubectl against the
//! real test cluster, and `sleep` standing in for a helm upgrade that takes its time.
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::Duration;

use e2e::{TestCluster, eventually};
use exec::Cmd;
use support::{Shims, group_members, todoctl};

fn cluster() -> TestCluster {
    TestCluster::from_env().unwrap_or_else(|e| panic!("{e}"))
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The pid of the first logged call whose arguments contain `fragment` (the shims `exec`, so
/// it is the tool's own pid and process group).
fn pid_of(shims: &Shims, fragment: &str) -> Option<u32> {
    shims
        .calls()
        .into_iter()
        .find(|(_, call)| call.contains(fragment))
        .map(|(pid, _)| pid)
}

/// A PostgreSQL pod (the chart's image, which the test cluster has) behind a Service with the
/// frontend's name and port, so `todoctl port-forward` has something real to forward to.
const FORWARD_TARGET: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: db, labels: {app: db}}
spec:
  securityContext: {runAsUser: 70, runAsGroup: 70, runAsNonRoot: true}
  containers:
    - name: postgres
      image: docker.io/library/postgres:17-alpine
      imagePullPolicy: IfNotPresent
      env:
        - {name: POSTGRES_PASSWORD, value: forward-test}
        - {name: PGDATA, value: /var/lib/postgresql/data/pgdata}
      readinessProbe:
        exec: {command: [pg_isready, -h, 127.0.0.1]}
        periodSeconds: 1
      volumeMounts:
        - {name: run, mountPath: /var/run/postgresql}
        - {name: data, mountPath: /var/lib/postgresql/data}
  volumes:
    - {name: run, emptyDir: {}}
    - {name: data, emptyDir: {}}
---
apiVersion: v1
kind: Service
metadata:
  name: todo-chatbot-frontend
  labels: {app.kubernetes.io/instance: todo-chatbot, app.kubernetes.io/component: frontend}
spec:
  selector: {app: db}
  ports: [{port: 3000, targetPort: 5432}]
"#;

#[test]
fn ctrl_c_on_port_forward_stops_kubectl_and_frees_the_port() {
    let cluster = cluster();
    let ns = cluster.namespace("interrupt-pf").unwrap();
    ns.apply(FORWARD_TARGET).unwrap();
    ns.wait_for("condition=Ready", "pod/db", Duration::from_secs(180))
        .unwrap();
    let shims = Shims::new();
    shims.shim("kubectl", "");
    let port = free_port();
    let cmd = todoctl(&[
        "port-forward",
        "--context",
        cluster.context(),
        "--namespace",
        ns.name(),
        "--port",
        &port.to_string(),
    ]);
    let cmd = cluster
        .env()
        .into_iter()
        .fold(shims.env(cmd), |cmd, (k, v)| cmd.env(k, v));
    let todoctl = cmd.spawn().unwrap();
    eventually(
        "the forwarded port to accept",
        Duration::from_secs(60),
        || {
            if let Some(out) = todoctl.try_wait().map_err(|e| e.to_string())? {
                panic!("todoctl port-forward exited early: {out:?}");
            }
            Ok(TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                .is_ok()
                .then_some(()))
        },
    )
    .unwrap();
    let kubectl = pid_of(&shims, "port-forward").unwrap();
    assert!(!group_members(kubectl).is_empty());

    // What the terminal does on Ctrl-C: SIGINT to todoctl, never to kubectl's own group.
    Cmd::new("kill")
        .args(["-INT", &todoctl.pid().to_string()])
        .run()
        .unwrap();
    let out = todoctl.wait().unwrap();
    assert_eq!(out.status, 130, "{out:?}");
    assert!(
        out.stderr.contains("SIGINT: waiting for kubectl to stop"),
        "{}",
        out.stderr
    );
    assert_eq!(
        group_members(kubectl),
        Vec::<String>::new(),
        "kubectl port-forward outlived todoctl"
    );
    TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .unwrap_or_else(|e| panic!("port {port} still held after Ctrl-C: {e}"));
}

#[test]
fn sigterm_during_a_release_stops_helm_and_removes_the_secrets_file() {
    let cluster = cluster();
    let ns = cluster.namespace("interrupt-release").unwrap();
    let shims = Shims::new();
    shims
        .shim("kubectl", "")
        .shim("helm", "  *' upgrade '*) exec sleep 1000 ;;");
    let tmp = shims.path("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let secrets_files = || -> Vec<String> {
        std::fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("todo-chatbot-secrets-"))
            .collect()
    };
    let cmd = todoctl(&[
        "release",
        "--context",
        cluster.context(),
        "--namespace",
        ns.name(),
        "--backend-tag",
        "interrupt-test",
        "--frontend-tag",
        "interrupt-test",
        "--timeout",
        "60",
    ])
    .env("TMPDIR", tmp.display().to_string())
    .secret_env(
        "JWT_SECRET",
        "interrupt-test-jwt-secret-long-enough-0123456789",
    );
    let cmd = cluster
        .env()
        .into_iter()
        .fold(shims.env(cmd), |cmd, (k, v)| cmd.env(k, v));
    let todoctl = cmd.spawn().unwrap();
    let helm = eventually("helm upgrade to start", Duration::from_secs(120), || {
        if let Some(out) = todoctl.try_wait().map_err(|e| e.to_string())? {
            panic!("todoctl release exited early: {out:?}");
        }
        Ok(pid_of(&shims, " upgrade "))
    })
    .unwrap();
    assert_eq!(secrets_files().len(), 1, "helm gets its secrets in a file");

    todoctl.terminate().unwrap();
    let out = todoctl.wait().unwrap();
    assert_eq!(out.status, 143, "{out:?}");
    assert!(
        out.stderr.contains("SIGTERM: waiting for helm to stop"),
        "{}",
        out.stderr
    );
    assert_eq!(
        group_members(helm),
        Vec::<String>::new(),
        "helm outlived todoctl"
    );
    assert_eq!(
        secrets_files(),
        Vec::<String>::new(),
        "the secrets values file was left behind"
    );
}
