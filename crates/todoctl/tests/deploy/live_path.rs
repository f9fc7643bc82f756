//! Defects of the live path that only a real kubelet shows.

use std::time::Duration;

use crate::kit::{Kit, step};

fn selector(kit: &Kit, component: &str) -> String {
    format!(
        "app.kubernetes.io/instance={},app.kubernetes.io/component={component}",
        kit.release
    )
}

fn pods(kit: &Kit, component: &str) -> Vec<serde_json::Value> {
    kit.ns
        .json(["get", "pods", "--selector", &selector(kit, component)])
        .expect("pods")["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn the_chown_init_container_deploys_at_baseline_and_survives_a_database_restart() {
    let kit = Kit::new("chown");
    let file = kit.root().join("chown.yaml");
    std::fs::write(
        &file,
        "postgresql:\n  volumePermissions:\n    enabled: true\n",
    )
    .expect("values");
    // verify deletes the database pod and waits for its replacement: the init container runs
    // again on a volume whose PGDATA is 0700 by then.
    let summary = kit.deployed("dev", &["--values", &file.display().to_string()]);
    assert!(step(&summary, "verify").contains("pass"), "{summary}");
    let ns = kit
        .cluster()
        .json(["get", "namespace", kit.ns.name()])
        .expect("namespace");
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"], "baseline",
        "{ns}"
    );
    let db = &pods(&kit, "database")[0];
    assert_eq!(
        db["spec"]["initContainers"][0]["name"],
        "volume-permissions"
    );
    assert_eq!(
        db["status"]["initContainerStatuses"][0]["state"]["terminated"]["exitCode"], 0,
        "{db}"
    );
}

#[test]
fn a_pull_the_kubelet_retries_does_not_abort_the_deploy() {
    let kit = Kit::new("pull");
    // A database image the node does not have yet, pulled IfNotPresent: the first attempts
    // fail (there is no registry), then the image "arrives" as from a registry that was down.
    let file = kit.root().join("pull.yaml");
    std::fs::write(&file, "postgresql:\n  image:\n    tag: 17-e2e-late\n").expect("values");
    let address =
        std::env::var(e2e::CONTAINERD_ADDRESS_VAR).expect("the test cluster's containerd");
    let ctr = |args: &[&str]| {
        exec::Cmd::new("ctr")
            .args(["--address", &address, "--namespace", "k8s.io", "images"])
            .args(args.iter().copied())
            .run_unchecked()
            .expect("ctr")
    };
    ctr(&["rm", "docker.io/library/postgres:17-e2e-late"]);
    let deploy = kit
        .deploy_cmd("dev", &["--values", &file.display().to_string()])
        .spawn()
        .expect("deploy");
    e2e::eventually("a pull to fail", Duration::from_secs(120), || {
        let waiting = pods(&kit, "database").iter().any(|p| {
            let reason = &p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"];
            reason == "ImagePullBackOff" || reason == "ErrImagePull"
        });
        Ok(waiting.then_some(()))
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let tagged = ctr(&[
        "tag",
        "docker.io/library/postgres:17-alpine",
        "docker.io/library/postgres:17-e2e-late",
    ]);
    assert!(tagged.success(), "{tagged:?}");
    let out = deploy.wait().expect("deploy ends");
    ctr(&["rm", "docker.io/library/postgres:17-e2e-late"]);
    assert!(
        out.success(),
        "the deploy gave up on a pull the kubelet retried:\n{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stderr.contains("the kubelet retries the pull"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_database_that_is_slow_to_come_does_not_crash_loop_the_backend() {
    let kit = Kit::new("slowdb");
    kit.deployed("dev", &[]);
    let scale = |replicas: &str| {
        kit.ns
            .kubectl([
                "scale",
                "statefulset",
                "--selector",
                &selector(&kit, "database"),
                "--replicas",
                replicas,
            ])
            .run()
            .expect("scale");
    };
    scale("0");
    kit.ns
        .kubectl([
            "delete",
            "pods",
            "--selector",
            &selector(&kit, "backend"),
            "--wait",
        ])
        .run()
        .expect("restart the backend");
    // Longer than the startup probe's whole budget (30 × 2s): a startup probe that waited for
    // the database would have restarted the backend by now.
    std::thread::sleep(Duration::from_secs(80));
    let backend = &pods(&kit, "backend")[0];
    let status = &backend["status"]["containerStatuses"][0];
    assert_eq!(
        status["restartCount"], 0,
        "the backend restarted without its database: {status}"
    );
    assert_eq!(status["ready"], false, "ready without a database: {status}");
    scale("1");
    let name = backend["metadata"]["name"].as_str().expect("name");
    kit.ns
        .wait_for(
            "condition=Ready",
            &format!("pod/{name}"),
            Duration::from_secs(180),
        )
        .expect("the backend becomes ready once the database is there");
    assert_eq!(
        pods(&kit, "backend")[0]["status"]["containerStatuses"][0]["restartCount"],
        0
    );
}

#[test]
fn a_long_release_name_and_a_fullname_override_are_found_by_labels() {
    // 52 characters: the chart trims its names to 49.
    let kit = Kit::with_release(
        "names",
        "e2e-a-release-name-long-enough-for-the-chart-to-trim",
    );
    kit.deployed("dev", &[]);
    let file = kit.root().join("backup.sql");
    kit.ok(&["db", "backup", &file.display().to_string()]);
    assert!(
        std::fs::read_to_string(&file)
            .expect("dump")
            .contains("PostgreSQL database dump complete")
    );
    kit.ok(&["down", "--purge"]);
    assert!(
        kit.ns.json(["get", "secrets"]).is_err()
            || kit
                .ns
                .json([
                    "get",
                    "secrets",
                    "--selector",
                    &format!("app.kubernetes.io/instance={}", kit.release)
                ])
                .expect("secrets")["items"]
                .as_array()
                .is_none_or(Vec::is_empty)
    );

    let kit = Kit::with_release("override", "e2e-override");
    let values = kit.root().join("override.yaml");
    std::fs::write(&values, "fullnameOverride: chatbot\n").expect("values");
    let values = values.display().to_string();
    kit.deployed("dev", &["--values", &values]);
    let file = kit.root().join("backup.sql");
    kit.ok(&["db", "backup", &file.display().to_string()]);
    let forward = kit
        .todoctl(&["port-forward", "backend", "--port", "0"])
        .spawn()
        .expect("todoctl port-forward");
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        forward.try_wait().expect("try_wait").is_none(),
        "port-forward exited: {:?}",
        forward.try_wait()
    );
    drop(forward);
    kit.ok(&["down", "--purge"]);
}
