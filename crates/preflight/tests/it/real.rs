//! The checks against the real helm 3 and 4, kubectl, podman and docker client on this machine
//! (a missing one fails the test: `just tools` installs them). Only minikube is faked: it
//! cannot run here.

use preflight::{Config, Status, check};

use crate::fake::{self, Fakes, ok, real_tool, rule};
use crate::fixture;

/// A scene with a fake minikube (profile on `driver`), the real kubectl reading `kubeconfig`,
/// the real docker client pointed at a socket nobody listens on, and the real podman, helm and
/// just.
fn real_scene(driver: &str, current_context: &str) -> (Fakes, Config) {
    let fakes = Fakes::new();
    let mut minikube = fake::minikube_running();
    minikube.insert(
        0,
        rule(
            "profile list -o json",
            ok(fixture("minikube-profile-list.json")
                .replace(r#""Driver":"docker""#, &format!(r#""Driver":"{driver}""#))),
        ),
    );
    fakes.tool("minikube", &minikube);
    for tool in ["kubectl", "docker", "podman", "helm", "just"] {
        fakes.real(tool);
    }
    let home = fakes.bin().parent().unwrap().to_owned();
    let kubeconfig = home.join("kubeconfig");
    std::fs::write(&kubeconfig, kubeconfig_yaml(current_context)).unwrap();
    let mut config = fakes.config("dev");
    config
        .env
        .set("KUBECONFIG", kubeconfig.display().to_string());
    // No engine listens here, on any machine: the real "engine not answering" answer.
    config.env.set(
        "DOCKER_HOST",
        format!("unix://{}", home.join("no-docker.sock").display()),
    );
    // Podman as the tests run it here (root, vfs storage; see DESIGN §7).
    for key in [
        "CONTAINERS_CONF",
        "CONTAINERS_STORAGE_CONF",
        "XDG_RUNTIME_DIR",
    ] {
        if let Ok(value) = std::env::var(key) {
            config.env.set(key, value);
        }
    }
    (fakes, config)
}

fn kubeconfig_yaml(current: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: minikube
  cluster:
    server: https://127.0.0.1:1
- name: prod
  cluster:
    server: https://prod.example.com
contexts:
- name: minikube
  context:
    cluster: minikube
    user: minikube
- name: prod-eks
  context:
    cluster: prod
    user: prod
current-context: {current}
users:
- name: minikube
  user: {{}}
- name: prod
  user: {{}}
"
    )
}

/// Expects each row's status and a piece of its detail (or fix).
fn expect(report: &preflight::Report, rows: &[(&str, Status, &str)]) {
    for (id, status, text) in rows {
        let row = report
            .get(id)
            .unwrap_or_else(|| panic!("no row {id} in\n{report}"));
        let all = format!("{} {}", row.detail, row.fix.clone().unwrap_or_default());
        assert_eq!(row.status, *status, "row {id}: {all}\n{report}");
        assert!(all.contains(text), "row {id}: {all:?} lacks {text:?}");
    }
}

#[test]
fn real_tool_versions() {
    let (_fakes, config) = real_scene("docker", "minikube");
    let report = check(&config);
    expect(
        &report,
        &[
            ("tool.helm", Status::Ok, "4.1.4 (>= 3.14)"),
            ("tool.kubectl", Status::Ok, "1.35.2 (>= 1.30)"),
            ("tool.podman", Status::Ok, "(>= 4.0)"),
            ("tool.docker", Status::Ok, "(>= 24.0)"),
            ("tool.just", Status::Ok, "(>= 1.20)"),
        ],
    );
}

#[test]
fn real_helm_3_through_the_override() {
    let (_fakes, mut config) = real_scene("docker", "minikube");
    config
        .env
        .set("HELM", real_tool("helm3").display().to_string());
    expect(
        &check(&config),
        &[("tool.helm", Status::Ok, "3.17.2 (>= 3.14)")],
    );
    // An override naming nothing is a missing tool, not a fallback to PATH.
    config.env.set("HELM", "/nonexistent/helm");
    let report = check(&config);
    expect(
        &report,
        &[(
            "tool.helm",
            Status::Fail,
            "HELM names /nonexistent/helm, which does not exist",
        )],
    );
}

#[test]
fn real_docker_without_an_engine_blocks_the_docker_driver() {
    let (_fakes, config) = real_scene("docker", "minikube");
    let report = check(&config);
    expect(
        &report,
        &[
            ("engine", Status::Fail, "minikube driver docker"),
            (
                "engine",
                Status::Fail,
                "docker: engine not answering: Cannot connect to the Docker daemon",
            ),
            ("engine", Status::Fail, "podman: "),
        ],
    );
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn real_podman_answers_for_the_podman_driver() {
    let (_fakes, config) = real_scene("podman", "minikube");
    expect(
        &check(&config),
        &[
            ("engine", Status::Ok, "minikube driver podman"),
            ("engine", Status::Ok, "answering"),
        ],
    );
}

#[test]
fn real_kubectl_refuses_a_non_minikube_context() {
    let (_fakes, mut config) = real_scene("podman", "prod-eks");
    let report = check(&config);
    expect(
        &report,
        &[(
            "context",
            Status::Fail,
            "current context is prod-eks, not the Minikube profile minikube",
        )],
    );
    assert_eq!(report.exit_code(), 1);

    config.explicit_context = Some("prod-eks".to_owned());
    expect(
        &check(&config),
        &[("context", Status::Ok, "used because --context names it")],
    );

    let (_fakes, config) = real_scene("podman", "minikube");
    expect(
        &check(&config),
        &[("context", Status::Ok, "minikube (the Minikube profile)")],
    );
}

#[test]
fn real_docker_client_buildx_row_agrees_with_the_client() {
    // Whatever this machine's client has, the row must say the same as the client itself.
    let (_fakes, config) = real_scene("podman", "minikube");
    let report = check(&config);
    let row = report.get("tool.docker-buildx").unwrap();
    // Plugins are also looked up under $HOME/.docker: ask with the HOME preflight used.
    let answers = exec::Cmd::new(real_tool("docker").display().to_string())
        .args(["buildx", "version"])
        .env("HOME", config.env.get("HOME").unwrap())
        .run_unchecked()
        .unwrap();
    if answers.success() {
        assert_eq!(row.status, Status::Ok, "{report}");
    } else {
        // Podman is usable here, so a missing plugin is a warning that names the fix.
        assert_eq!(row.status, Status::Warn, "{report}");
        assert!(row.detail.contains("missing (docker: "), "{report}");
        assert!(
            row.fix
                .as_deref()
                .unwrap_or_default()
                .contains("docker-buildx"),
            "{report}"
        );
    }
}
