//! The cluster's self-test: everything the kit relies on a cluster for, shown on the cluster
//! itself before any of our code runs on it. Each test works in a namespace of its own.
//!
//! The workload is the chart's PostgreSQL image (the test cluster imports it, a user's cluster
//! pulls it): one image gives a server to reach (`postgres`), a client (`pg_isready`, `psql`)
//! and a shell with `getent` for name lookups.

use std::path::Path;
use std::time::Duration;

use e2e::{Namespace, TestCluster, eventually};

const PASSWORD: &str = "selftest-password";

fn cluster() -> TestCluster {
    TestCluster::from_env().unwrap_or_else(|e| panic!("{e}"))
}

/// The image the chart's database runs, from the chart's own values.
fn postgres_image() -> String {
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../helm/todo-chatbot");
    let merged = chart_values::merge(&chart_values::Inputs::new(chart)).expect("chart values");
    let image = &merged.values["postgresql"]["image"];
    format!(
        "{}:{}",
        image["repository"]
            .as_str()
            .expect("postgresql.image.repository"),
        image["tag"].as_str().expect("postgresql.image.tag")
    )
}

/// A PostgreSQL server pod (with its data on `claim`, when given) and a Service for it.
fn postgres(name: &str, service_type: &str, claim: Option<&str>) -> String {
    let image = postgres_image();
    let (mount, volume) = match claim {
        Some(claim) => (
            "\n        - {name: data, mountPath: /var/lib/postgresql/data}".to_owned(),
            format!("\n    - name: data\n      persistentVolumeClaim: {{claimName: {claim}}}"),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        r#"
apiVersion: v1
kind: Pod
metadata: {{name: {name}, labels: {{app: {name}}}}}
spec:
  securityContext: {{runAsUser: 70, runAsGroup: 70, runAsNonRoot: true}}
  containers:
    - name: postgres
      image: {image}
      imagePullPolicy: IfNotPresent
      env:
        - {{name: POSTGRES_PASSWORD, value: {PASSWORD}}}
        - {{name: PGDATA, value: /var/lib/postgresql/data/pgdata}}
      ports: [{{containerPort: 5432}}]
      readinessProbe:
        exec: {{command: [pg_isready, -h, 127.0.0.1]}}
        periodSeconds: 1
      volumeMounts:
        - {{name: run, mountPath: /var/run/postgresql}}{mount}
  volumes:
    - name: run
      emptyDir: {{}}{volume}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  type: {service_type}
  selector: {{app: {name}}}
  ports: [{{port: 5432, targetPort: 5432}}]
"#
    )
}

/// A pod that only sleeps, to run clients from inside the cluster.
fn client_pod(name: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: client
      image: {}
      imagePullPolicy: IfNotPresent
      command: [sleep, "3600"]
"#,
        postgres_image()
    )
}

fn wait_ready(ns: &Namespace, pod: &str) {
    ns.wait_for(
        "condition=Ready",
        &format!("pod/{pod}"),
        Duration::from_secs(120),
    )
    .unwrap_or_else(|e| panic!("pod {pod} in {} not ready: {e}", ns.name()));
}

fn exec(ns: &Namespace, pod: &str, command: &[&str]) -> exec::Output {
    ns.kubectl(["exec", pod, "--"])
        .args(command.iter().copied())
        .run_unchecked()
        .expect("kubectl exec runs")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("local address").port()
}

fn node(cluster: &TestCluster) -> serde_json::Value {
    let nodes = cluster.json(["get", "nodes"]).expect("nodes");
    let items = nodes["items"].as_array().expect("node list");
    assert_eq!(items.len(), 1, "a single-node cluster: {nodes}");
    items[0].clone()
}

fn node_ip(cluster: &TestCluster) -> String {
    let node = node(cluster);
    node["status"]["addresses"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["type"] == "InternalIP"))
        .and_then(|a| a["address"].as_str())
        .expect("node InternalIP")
        .to_owned()
}

#[test]
fn the_node_is_ready_and_runs_the_pinned_version() {
    let cluster = cluster();
    let node = node(&cluster);
    let ready = node["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
        .expect("Ready condition");
    assert_eq!(ready["status"], "True", "node not Ready: {ready}");

    let version = cluster.json(["version"]).expect("kubectl version");
    let server = version["serverVersion"]["gitVersion"]
        .as_str()
        .expect("serverVersion.gitVersion");
    if cluster.is_test_cluster() {
        let pins = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/test-cluster/versions.sh"),
        )
        .expect("versions.sh");
        let pinned = pins
            .lines()
            .find_map(|l| l.strip_prefix("KUBERNETES_VERSION="))
            .and_then(|l| l.split_whitespace().next())
            .expect("KUBERNETES_VERSION in versions.sh");
        assert_eq!(server, pinned, "the server reports another version");
    } else {
        assert!(
            server.starts_with("v1."),
            "not a Kubernetes version: {server}"
        );
    }
}

#[test]
fn pods_resolve_services_by_name_and_reach_them_by_cluster_ip_and_node_port() {
    let cluster = cluster();
    let ns = cluster.namespace("selftest-net").expect("namespace");
    ns.apply(&(postgres("db", "NodePort", None) + "---" + &client_pod("client")))
        .expect("apply");
    wait_ready(&ns, "db");
    wait_ready(&ns, "client");

    for name in [
        "kubernetes.default.svc.cluster.local".to_owned(),
        format!("db.{}.svc.cluster.local", ns.name()),
        "db".to_owned(),
    ] {
        let out = exec(&ns, "client", &["getent", "hosts", &name]);
        assert!(
            out.success() && !out.stdout.trim().is_empty(),
            "{name} does not resolve: {out:?}"
        );
    }
    let out = exec(&ns, "client", &["getent", "hosts", "no-such-service"]);
    assert!(!out.success(), "a missing Service resolved: {out:?}");

    let service = ns.json(["get", "service", "db"]).expect("service");
    let cluster_ip = service["spec"]["clusterIP"]
        .as_str()
        .expect("clusterIP")
        .to_owned();
    let node_port = service["spec"]["ports"][0]["nodePort"]
        .as_u64()
        .expect("nodePort")
        .to_string();

    let from_pod = exec(
        &ns,
        "client",
        &["pg_isready", "-h", "db", "-p", "5432", "-t", "5"],
    );
    assert!(from_pod.success(), "pod → Service by name: {from_pod:?}");
    let node_ip = node_ip(&cluster);
    let from_pod = exec(
        &ns,
        "client",
        &["pg_isready", "-h", &node_ip, "-p", &node_port, "-t", "5"],
    );
    assert!(from_pod.success(), "pod → NodePort: {from_pod:?}");

    for (host, port) in [
        (cluster_ip.as_str(), "5432"),
        (node_ip.as_str(), node_port.as_str()),
    ] {
        let out = exec::Cmd::new("pg_isready")
            .args(["-h", host, "-p", port, "-t", "5"])
            .run_unchecked()
            .expect("pg_isready on the host");
        assert!(out.success(), "host → {host}:{port}: {out:?}");
    }
}

#[test]
fn a_claim_binds_and_its_data_survives_the_pod() {
    let cluster = cluster();
    let ns = cluster.namespace("selftest-pvc").expect("namespace");
    ns.apply(
        r#"
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
"#,
    )
    .expect("claim");
    let manifest = postgres("db", "ClusterIP", Some("data"));
    ns.apply(&manifest).expect("apply");
    wait_ready(&ns, "db");
    let claim = ns.json(["get", "pvc", "data"]).expect("claim");
    assert_eq!(claim["status"]["phase"], "Bound", "{claim}");

    let psql = |sql: &str| {
        exec(
            &ns,
            "db",
            &[
                "psql",
                "-h",
                "/var/run/postgresql",
                "-U",
                "postgres",
                "-tAc",
                sql,
            ],
        )
    };
    let out = psql("CREATE TABLE kept (word text); INSERT INTO kept VALUES ('persisted');");
    assert!(out.success(), "{out:?}");

    ns.kubectl(["delete", "pod", "db", "--wait"])
        .run()
        .expect("delete pod");
    ns.apply(&manifest).expect("recreate");
    wait_ready(&ns, "db");
    let out = psql("SELECT word FROM kept");
    assert_eq!(
        out.stdout.trim(),
        "persisted",
        "data lost with the pod: {out:?}"
    );
}

#[test]
fn logs_exec_and_port_forward_reach_a_pod() {
    let cluster = cluster();
    let ns = cluster.namespace("selftest-io").expect("namespace");
    ns.apply(&postgres("db", "ClusterIP", None)).expect("apply");
    wait_ready(&ns, "db");

    let logs = ns.kubectl(["logs", "db"]).run().expect("logs");
    assert!(
        logs.stdout.contains("ready to accept connections")
            || logs.stderr.contains("ready to accept connections"),
        "{logs:?}"
    );
    let out = exec(&ns, "db", &["id", "-u"]);
    assert_eq!(
        out.stdout.trim(),
        "70",
        "exec runs as the pod's user: {out:?}"
    );

    let port = free_port();
    let forward = ns
        .kubectl([
            "port-forward",
            "--address",
            "127.0.0.1",
            "svc/db",
            &format!("{port}:5432"),
        ])
        .spawn()
        .expect("kubectl port-forward starts");
    let out = eventually(
        "pg_isready through the port-forward",
        Duration::from_secs(30),
        || {
            if let Some(exited) = forward.try_wait().map_err(|e| e.to_string())? {
                panic!("kubectl port-forward exited: {exited:?}");
            }
            let out = exec::Cmd::new("pg_isready")
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-t", "2"])
                .run_unchecked()
                .map_err(|e| e.to_string())?;
            Ok(out.success().then_some(out))
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.success(), "through the port-forward: {out:?}");
}

#[test]
fn kubectl_top_reports_the_node() {
    let cluster = cluster();
    let name = node(&cluster)["metadata"]["name"]
        .as_str()
        .expect("node name")
        .to_owned();
    // The first scrape lands within metrics-server's resolution after it starts.
    let line = eventually("kubectl top node", Duration::from_secs(90), || {
        let out = cluster
            .kubectl(["top", "node", "--no-headers"])
            .run()
            .map_err(|e| e.to_string())?;
        Ok(out
            .stdout
            .lines()
            .find(|l| l.starts_with(&name))
            .map(str::to_owned))
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert!(
        fields.len() >= 5 && fields[1].ends_with('m') && fields[2].ends_with('%'),
        "{line}"
    );
}

#[test]
fn a_restricted_namespace_admits_a_compliant_pod_and_refuses_a_privileged_one() {
    let cluster = cluster();
    let ns = cluster.namespace("selftest-pss").expect("namespace");
    ns.kubectl([
        "label",
        "namespace",
        ns.name(),
        "pod-security.kubernetes.io/enforce=restricted",
    ])
    .run()
    .expect("label");
    let pod = |name: &str, security: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers:\n    - name: c\n      image: {}\n      command: [sleep, '3600']\n      securityContext: {security}\n",
            postgres_image()
        )
    };
    let compliant = pod(
        "compliant",
        "{runAsNonRoot: true, runAsUser: 70, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}",
    );
    ns.apply(&compliant)
        .expect("a restricted-compliant pod is admitted");

    let refused = ns
        .kubectl(["apply", "-f", "-"])
        .stdin_bytes(pod("privileged", "{privileged: true}").into_bytes())
        .run_unchecked()
        .expect("kubectl apply runs");
    assert!(
        !refused.success(),
        "a privileged pod was admitted: {refused:?}"
    );
    assert!(
        refused
            .stderr
            .contains("violates PodSecurity \"restricted:"),
        "refused for another reason: {refused:?}"
    );
}
