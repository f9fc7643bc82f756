//! A rolling upgrade under steady traffic from another process fails no request.

use std::time::Duration;

use crate::kit::Kit;

#[test]
fn a_rolling_upgrade_of_both_services_under_traffic_fails_no_request() {
    let kit = Kit::new("rolling");
    let two = kit.root().join("two.yaml");
    std::fs::write(
        &two,
        "backend:\n  replicaCount: 2\nfrontend:\n  replicaCount: 2\n",
    )
    .expect("values");
    let two = two.display().to_string();
    kit.deployed("dev", &["--values", &two]);

    // Through the frontend's node port, as a browser would: kube-proxy spreads requests over
    // ready endpoints, so what is measured is the rollout, not one forwarded pod.
    let service = kit
        .ns
        .json([
            "get",
            "services",
            "--selector",
            &format!(
                "app.kubernetes.io/instance={},app.kubernetes.io/component=frontend",
                kit.release
            ),
        ])
        .expect("service");
    let port = service["items"][0]["spec"]["ports"][0]["nodePort"]
        .as_u64()
        .expect("node port");
    let node = kit.cluster().json(["get", "nodes"]).expect("nodes");
    let ip = node["items"][0]["status"]["addresses"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["type"] == "InternalIP"))
        .and_then(|a| a["address"].as_str())
        .expect("node IP")
        .to_owned();
    let load = exec::Cmd::new("wrk")
        .args([
            "--threads",
            "1",
            "--connections",
            "4",
            "--duration",
            "100s",
            "--timeout",
            "5s",
        ])
        .arg(format!("http://{ip}:{port}/api/health"))
        .timeout(Duration::from_secs(160))
        .spawn()
        .expect("wrk");
    std::thread::sleep(Duration::from_secs(5));

    // Both Deployments roll: the log level is in both services' ConfigMaps.
    let upgrade = kit.root().join("upgrade.yaml");
    std::fs::write(&upgrade, "config:\n  logLevel: info\n").expect("values");
    let upgrade = upgrade.display().to_string();
    let backend = kit.pod_uids("backend");
    let frontend = kit.pod_uids("frontend");
    kit.ok(&[
        "release",
        "--profile",
        "dev",
        "--values",
        &two,
        "--values",
        &upgrade,
        "--values",
        &kit.root().join("e2e-values.yaml").display().to_string(),
    ]);
    assert!(
        kit.pod_uids("backend").iter().all(|p| !backend.contains(p)),
        "the backend did not roll"
    );
    assert!(
        kit.pod_uids("frontend")
            .iter()
            .all(|p| !frontend.contains(p)),
        "the frontend did not roll"
    );

    let out = load.wait().expect("wrk ends");
    assert!(out.success(), "{out:?}");
    let requests: u64 = out
        .stdout
        .lines()
        .find_map(|l| {
            l.trim()
                .split_once(" requests in ")
                .map(|(n, _)| n.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    assert!(requests > 100, "too little traffic to tell: {}", out.stdout);
    assert!(
        !out.stdout.contains("Socket errors") && !out.stdout.contains("Non-2xx"),
        "requests failed during the rolling upgrade:\n{}",
        out.stdout
    );
}
