//! `todoctl ai` against the real cluster, with a kubeconfig whose current context is another
//! cluster: the answer must come from the context named with `--context`, never the current one.
//!
//! kubectl-ai and kagent cannot be built or installed here (their Go modules are refused by the
//! module proxy this machine reaches; see docs/ai-ops.md), and a stand-in for them would only
//! test itself. What runs for real: doctor's fallback answering from the target cluster, and
//! the kubeconfig the agents are given, used the way kubectl-ai's kubectl tool uses it
//! (`KUBECONFIG=… kubectl …` with no `--context`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use e2e::{Namespace, TestCluster};

pub fn cluster() -> TestCluster {
    TestCluster::from_env().unwrap_or_else(|e| panic!("{e}"))
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The todoctl binary of this checkout, built once per test process (another package's
/// binary is not handed to these tests by cargo).
pub fn todoctl_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let out = exec::Cmd::new(env!("CARGO"))
            .args([
                "build",
                "--locked",
                "-p",
                "todoctl",
                "--message-format=json-render-diagnostics",
            ])
            .current_dir(repo_root())
            .timeout(Duration::from_secs(1800))
            .run()
            .unwrap_or_else(|e| panic!("building todoctl: {e}"));
        out.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "todoctl")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo build names the todoctl executable")
    })
}

/// `todoctl ARGS` in the repository root with the pinned tools first on PATH and `kubeconfig`
/// as its only kubeconfig.
pub fn todoctl(kubeconfig: &Path, args: &[&str]) -> exec::Cmd {
    let path = format!(
        "{}:{}",
        repo_root().join(".tools/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    exec::Cmd::new(todoctl_binary().display().to_string())
        .args(args.iter().copied())
        .current_dir(repo_root())
        .env("PATH", path)
        .env("KUBECONFIG", kubeconfig.display().to_string())
        .timeout(Duration::from_secs(900))
}

/// The test cluster's kubeconfig plus a context `elsewhere` (a cluster on a closed port) that
/// is the current one: what a user has after `kubectl config use-context` to another cluster.
pub struct ElsewhereKubeconfig {
    _dir: tempfile::TempDir,
    /// The kubeconfig file.
    pub path: PathBuf,
}

pub fn elsewhere_kubeconfig(cluster: &TestCluster) -> ElsewhereKubeconfig {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config");
    let flat = cluster
        .kubectl(["config", "view", "--minify", "--flatten"])
        .run()
        .expect("kubectl config view");
    std::fs::write(&path, flat.stdout).expect("write kubeconfig");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let config = |args: &[&str]| {
        exec::Cmd::new("kubectl")
            .arg("--kubeconfig")
            .arg(path.display().to_string())
            .args(["config"])
            .args(args.iter().copied())
            .run()
            .unwrap_or_else(|e| panic!("kubectl config {args:?}: {e}"));
    };
    // Port 9 (discard) has no API server behind it: anything sent there fails at once.
    config(&["set-cluster", "elsewhere", "--server=https://127.0.0.1:9"]);
    // A credential, so kubectl connects instead of prompting for a username.
    config(&["set-credentials", "elsewhere", "--token=elsewhere"]);
    config(&[
        "set-context",
        "elsewhere",
        "--cluster=elsewhere",
        "--user=elsewhere",
        "--namespace=default",
    ]);
    config(&["use-context", "elsewhere"]);
    ElsewhereKubeconfig { _dir: dir, path }
}

/// A backend pod of release `demo` whose image was never loaded: kubectl reports
/// `ErrImageNeverPull`, which doctor explains.
fn unloaded_backend(ns: &Namespace) -> String {
    ns.apply(
        r#"
apiVersion: v1
kind: Pod
metadata:
  name: demo-todo-chatbot-backend-0
  labels: {app.kubernetes.io/instance: demo, app.kubernetes.io/component: backend}
spec:
  containers:
    - name: backend
      image: todo-chatbot-backend:never-loaded
      imagePullPolicy: Never
"#,
    )
    .expect("apply");
    e2e::eventually(
        "the pod to report ErrImageNeverPull",
        Duration::from_secs(120),
        || {
            let pod = ns
                .json(["get", "pod", "demo-todo-chatbot-backend-0"])
                .map_err(|e| e.to_string())?;
            let reason = pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            Ok((reason == "ErrImageNeverPull").then_some(()))
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    "demo-todo-chatbot-backend-0".to_owned()
}

#[test]
fn without_an_agent_todoctl_ai_answers_from_the_named_context_not_the_current_one() {
    let cluster = cluster();
    let ns = cluster.namespace("ai-doctor").expect("namespace");
    let pod = unloaded_backend(&ns);
    let kubeconfig = elsewhere_kubeconfig(&cluster);
    let ai = |args: &[&str]| {
        todoctl(&kubeconfig.path, args)
            // Whatever this machine has installed, no agent is found: doctor answers.
            .env("KUBECTL_AI", "/nonexistent/kubectl-ai")
            .env("KAGENT", "/nonexistent/kagent")
            .run_unchecked()
            .expect("todoctl runs")
    };

    let out = ai(&[
        "ai",
        "why is the backend not ready?",
        "--context",
        cluster.context(),
        "--namespace",
        ns.name(),
        "--release",
        "demo",
    ]);
    assert!(out.success(), "{out:?}");
    assert!(
        out.stderr
            .contains("doctor answers: neither kubectl-ai nor kagent is installed"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains(&format!("pod/{pod}")) && out.stdout.contains("ErrImageNeverPull"),
        "doctor did not read the target cluster's pod: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(
            "kubectl --context {} -n {} describe pod {pod}",
            cluster.context(),
            ns.name()
        )),
        "{}",
        out.stdout
    );

    let json = ai(&[
        "--json",
        "ai",
        "why is the backend not ready?",
        "--context",
        cluster.context(),
        "--namespace",
        ns.name(),
        "--release",
        "demo",
    ]);
    let answer: serde_json::Value = serde_json::from_str(&json.stdout).expect("--json");
    assert_eq!(answer["backend"]["backend"], "doctor", "{answer}");
    assert!(
        answer["backend"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("neither kubectl-ai nor kagent is installed")),
        "{answer}"
    );

    let refused = ai(&[
        "ai",
        "why is the backend not ready?",
        "--namespace",
        ns.name(),
    ]);
    assert!(!refused.success(), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("the current kube context is `elsewhere`"),
        "{refused:?}"
    );
}

#[test]
fn the_kubeconfig_handed_to_agents_reaches_the_target_whatever_context_is_current() {
    let cluster = cluster();
    let ns = cluster.namespace("ai-pin").expect("namespace");
    let pod = unloaded_backend(&ns);
    let kubeconfig = elsewhere_kubeconfig(&cluster);
    // The library reads the kubeconfig from the environment of the kubectl it runs; a wrapper
    // hands it the elsewhere copy without touching this process's environment.
    let wrapper_dir = tempfile::tempdir().expect("temp dir");
    let wrapper = wrapper_dir.path().join("kubectl");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nKUBECONFIG='{}' exec '{}' \"$@\"\n",
            kubeconfig.path.display(),
            exec::resolve("kubectl").expect("kubectl").display()
        ),
    )
    .expect("wrapper");
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let tools = cluster::Tools {
        kubectl: wrapper.display().to_string(),
        ..cluster::Tools::default()
    };
    let target = cluster::Cluster::connect(
        tools,
        "minikube",
        Some(cluster.context()),
        ns.name(),
        "demo",
        false,
    )
    .expect("connect");
    let pinned = diagnose::pinned_kubeconfig(&target).expect("pinned kubeconfig");
    let mode = std::fs::metadata(pinned.path())
        .expect("pinned kubeconfig exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "credentials inside");

    // What kubectl-ai's kubectl tool runs for a model's `kubectl get pods -n NS`.
    let as_an_agent = |kubeconfig: &Path| {
        exec::Cmd::new("kubectl")
            .env("KUBECONFIG", kubeconfig.display().to_string())
            .args(["get", "pods", "--namespace", ns.name(), "--output", "name"])
            .timeout(Duration::from_secs(60))
            .run_unchecked()
            .expect("kubectl runs")
    };
    let pinned_run = as_an_agent(pinned.path());
    assert!(pinned_run.success(), "{pinned_run:?}");
    assert_eq!(pinned_run.stdout.trim(), format!("pod/{pod}"));

    let unpinned = as_an_agent(&kubeconfig.path);
    assert!(
        !unpinned.success() && unpinned.stderr.contains("127.0.0.1:9"),
        "the current context should have been the unreachable one: {unpinned:?}"
    );
}
