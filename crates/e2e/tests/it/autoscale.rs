//! The chart's backend HPA on a real cluster with metrics-server: it reads the pods' CPU, adds
//! replicas under a bounded load from a second process and removes them when the load stops,
//! and `todoctl status` shows replicas, targets and per-pod usage on the way.
//!
//! The app is the real one: its images built by the kit (`todoctl images build`, skipped when
//! the content tag exists) and loaded into the cluster (`todoctl images load`), then installed
//! with `todoctl release` in a namespace of the test's own.

use std::path::Path;
use std::time::Duration;

use e2e::{Namespace, TestCluster, eventually};

use crate::ai::{cluster, elsewhere_kubeconfig, repo_root, todoctl};

const RELEASE: &str = "todo-chatbot";
const HPA: &str = "todo-chatbot-backend";
const TARGET_CPU: u32 = 50;

/// The dev profile plus an HPA that may reach 3 replicas, a short scale-down window (the
/// default 300 s would only make the test slower), and node ports chosen by Kubernetes so
/// that parallel installs never collide.
const VALUES: &str = r#"
backend:
  service:
    type: NodePort
    nodePort: null
  autoscaling:
    enabled: true
    minReplicas: 1
    maxReplicas: 3
    targetCPUUtilizationPercentage: 50
    scaleDownStabilizationWindowSeconds: 15
frontend:
  service:
    nodePort: null
"#;

/// `scripts/test-cluster/cluster.sh env` as pairs: where the test cluster's containerd and
/// crictl are, for `images load`.
fn test_cluster_env() -> Vec<(String, String)> {
    let out = exec::Cmd::new(
        repo_root()
            .join("scripts/test-cluster/cluster.sh")
            .display()
            .to_string(),
    )
    .arg("env")
    .timeout(Duration::from_secs(60))
    .run()
    .unwrap_or_else(|e| panic!("test-cluster env: {e}"));
    out.stdout
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            (
                k.to_owned(),
                v.trim_matches('\'').trim_matches('"').to_owned(),
            )
        })
        .collect()
}

/// Builds the images of this tree (a built tag is not built again) and loads them into the
/// cluster.
fn ship_images(cluster: &TestCluster, kubeconfig: &Path) {
    // The deploy tests build the same images: one build at a time (crates/todoctl/tests/deploy).
    let lock = std::fs::File::create(std::env::temp_dir().join("todo-chatbot-e2e-images.lock"))
        .expect("lock file");
    lock.lock().expect("lock");
    let mut build = vec!["images", "build"];
    let mut load = vec!["images", "load", "--context", cluster.context()];
    let mut env = Vec::new();
    if cluster.is_test_cluster() {
        // No registry and no Docker here: buildah against the stand-in base images, and the
        // node's containerd reached through its socket.
        build.extend(["--engine", "buildah", "--offline"]);
        load.extend([
            "--engine",
            "buildah",
            "--offline",
            "--image-loader",
            "containerd",
        ]);
        env = test_cluster_env();
    }
    for args in [build, load] {
        let cmd = env
            .iter()
            .fold(todoctl(kubeconfig, &args), |cmd, (k, v)| cmd.env(k, v))
            .timeout(Duration::from_secs(3600));
        let out = cmd.run_unchecked().expect("todoctl runs");
        assert!(out.success(), "todoctl {args:?} failed: {out:?}");
    }
}

fn install(cluster: &TestCluster, ns: &Namespace, kubeconfig: &Path) {
    let values = tempfile::Builder::new()
        .suffix(".yaml")
        .tempfile()
        .expect("values file");
    std::fs::write(values.path(), VALUES).expect("write values");
    let values = values.path().display().to_string();
    let out = todoctl(
        kubeconfig,
        &[
            "release",
            "--context",
            cluster.context(),
            "--namespace",
            ns.name(),
            "--release",
            RELEASE,
            "--profile",
            "dev",
            "--values",
            &values,
            "--timeout",
            "600",
        ],
    )
    .run_unchecked()
    .expect("todoctl runs");
    assert!(out.success(), "todoctl release failed: {out:?}");
}

/// `(current replicas, desired replicas, current CPU utilization)` of the backend HPA.
fn hpa(ns: &Namespace) -> Result<(u64, u64, Option<u64>), String> {
    let hpa = ns
        .json(["get", "horizontalpodautoscaler", HPA])
        .map_err(|e| e.to_string())?;
    let status = &hpa["status"];
    let utilization = status["currentMetrics"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["resource"]["name"] == "cpu")
        .and_then(|m| m["resource"]["current"]["averageUtilization"].as_u64());
    Ok((
        status["currentReplicas"].as_u64().unwrap_or_default(),
        status["desiredReplicas"].as_u64().unwrap_or_default(),
        utilization,
    ))
}

fn status_text(cluster: &TestCluster, ns: &Namespace, kubeconfig: &Path) -> String {
    let out = todoctl(
        kubeconfig,
        &[
            "status",
            "--context",
            cluster.context(),
            "--namespace",
            ns.name(),
            "--release",
            RELEASE,
        ],
    )
    .run_unchecked()
    .expect("todoctl runs");
    // Exit 1 only says a pod is not ready (new replicas start up); the text is what counts.
    assert!(out.status == 0 || out.status == 1, "{out:?}");
    out.stdout
}

/// The backend HPA's row of `todoctl status`: `NAME REPLICAS DESIRED MIN-MAX TARGETS`.
fn hpa_row(status: &str) -> Vec<String> {
    status
        .lines()
        .find(|l| l.starts_with(&format!("{HPA} ")))
        .unwrap_or_else(|| panic!("no row for {HPA} in:\n{status}"))
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The backend pods' rows of the USAGE table: `(name, millicores)`.
fn backend_usage(status: &str) -> Vec<(String, u64)> {
    status
        .lines()
        .skip_while(|l| !l.starts_with("USAGE "))
        .skip(1)
        .filter(|l| l.starts_with(&format!("{HPA}-")))
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let cpu = fields[1]
                .strip_suffix('m')
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("CPU column of {l:?}"));
            (fields[0].to_owned(), cpu)
        })
        .collect()
}

#[test]
fn the_backend_scales_up_under_load_and_back_down_and_status_shows_it() {
    let cluster = cluster();
    let ns = cluster.namespace("autoscale").expect("namespace");
    // todoctl gets a kubeconfig whose current context is another cluster: everything it does
    // here is pinned by --context.
    let kubeconfig = elsewhere_kubeconfig(&cluster);
    ship_images(&cluster, &kubeconfig.path);
    install(&cluster, &ns, &kubeconfig.path);

    let measured = eventually(
        "the HPA to read the backend's CPU utilization",
        Duration::from_secs(240),
        || Ok(hpa(&ns)?.2),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        measured < 100,
        "an idle backend at {measured}% of its request"
    );
    let idle = status_text(&cluster, &ns, &kubeconfig.path);
    let row = hpa_row(&idle);
    assert_eq!(row[3], "1-3", "{idle}");
    assert!(
        row[4] == "cpu:"
            && row[5].ends_with(&format!("%/{TARGET_CPU}%"))
            && !row[5].contains("unknown"),
        "targets of {row:?}"
    );
    assert!(
        !backend_usage(&idle).is_empty(),
        "no backend usage in:\n{idle}"
    );

    let service = ns.json(["get", "service", HPA]).expect("backend Service");
    let node_port = service["spec"]["ports"][0]["nodePort"]
        .as_u64()
        .expect("backend nodePort");
    // The load: a second process, bounded in time (it stops by itself after 300 s even if
    // this test dies), against the node port on loopback.
    let load = exec::Cmd::new("wrk")
        .args([
            "--threads",
            "2",
            "--connections",
            "16",
            "--duration",
            "300s",
            "--timeout",
            "5s",
        ])
        .arg(format!("http://127.0.0.1:{node_port}/healthz"))
        .spawn()
        .expect("wrk starts");
    let scaled = eventually(
        "the HPA to add backend replicas under load",
        Duration::from_secs(290),
        || {
            if let Some(done) = load.try_wait().map_err(|e| e.to_string())? {
                panic!("wrk ended early: {done:?}");
            }
            let (current, desired, _) = hpa(&ns)?;
            Ok((current > 1 && desired > 1).then_some(current))
        },
    );
    let busy = status_text(&cluster, &ns, &kubeconfig.path);
    let _ = load.kill();
    let scaled = scaled.unwrap_or_else(|e| panic!("{e}\n{busy}"));
    let row = hpa_row(&busy);
    assert!(
        row[1].parse::<u64>().is_ok_and(|n| n > 1),
        "status does not show the added replicas ({scaled}): {row:?}\n{busy}"
    );
    let backend_pods = busy
        .lines()
        .skip_while(|l| !l.starts_with("POD "))
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with(&format!("{HPA}-")))
        .count();
    assert!(
        backend_pods > 1,
        "status lists one backend pod only:\n{busy}"
    );
    assert!(
        backend_usage(&busy).iter().any(|(_, cpu)| *cpu > 0),
        "no backend pod uses CPU under load:\n{busy}"
    );

    eventually(
        "the HPA to remove the added replicas once the load stopped",
        Duration::from_secs(420),
        || {
            let (current, desired, _) = hpa(&ns)?;
            Ok((current == 1 && desired == 1).then_some(()))
        },
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", status_text(&cluster, &ns, &kubeconfig.path)));
    let calm = status_text(&cluster, &ns, &kubeconfig.path);
    assert_eq!(hpa_row(&calm)[1], "1", "{calm}");
}
