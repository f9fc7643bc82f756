//! `verify local` on the real chart and on copies broken one way each, against the real
//! services and PostgreSQL; the env resolution and the podman command line it runs them with.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use chart_check::{Render, RuleId};
use exec::Cmd;

use super::target_dir_of;
use crate::test_support::{admin_url, binaries, workspace};
use crate::{LocalOptions, verify_local};

fn options() -> LocalOptions {
    let (api, web) = binaries();
    let mut o = LocalOptions::todo_chatbot(&admin_url(), api, web);
    o.max_probe_wait = Duration::from_secs(20);
    o
}

fn render(chart: &Path, profile: &str) -> String {
    let mut r = Render::new(chart, cluster::minikube::DEFAULT_KUBE_VERSION);
    r.helm = e2e::tool("helm").display().to_string();
    r.render(profile).unwrap()
}

#[test]
fn real_chart_runs_green_locally_in_default_and_dev_profiles() {
    for profile in [chart_values::Profile::Default, chart_values::Profile::Dev] {
        let mut r = Render::new(
            workspace().join("helm/todo-chatbot"),
            cluster::minikube::DEFAULT_KUBE_VERSION,
        );
        r.helm = e2e::tool("helm").display().to_string();
        let report = crate::verify_local_chart(&r, profile, &options()).unwrap();
        println!("{report}");
        assert!(report.passed(), "{report}");
        let smoke = report.smoke.as_ref().expect("the smoke journey ran");
        assert_eq!(smoke.steps.len(), 9, "{smoke}");
        // Secrets never show in the report.
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains("\"***\""));
        assert!(
            !json.contains("postgres:postgres@"),
            "admin password leaked: {json}"
        );
    }
}

/// Breaks a test copy of the chart with `edit(template text)` on `template`, runs the dev
/// profile locally and returns the report.
fn broken(template: &str, from: &str, to: &str) -> crate::LocalReport {
    let dir = tempfile::tempdir().unwrap();
    e2e::copy_dir(&workspace().join("helm/todo-chatbot"), dir.path()).unwrap();
    let path = dir.path().join("templates").join(template);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{template} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    let manifests = render(dir.path(), "dev");
    let report = verify_local(
        &manifests,
        &format!("{template}: {from} -> {to}"),
        &options(),
    )
    .unwrap();
    println!("{report}");
    assert!(!report.passed(), "{report}");
    report
}

fn failed_steps(r: &crate::LocalReport) -> Vec<String> {
    r.steps
        .iter()
        .filter(|s| !s.ok)
        .map(|s| s.name.clone())
        .collect()
}

#[test]
fn a_probe_path_the_app_does_not_serve_is_caught() {
    let r = broken(
        "deployment-backend.yaml",
        "livenessProbe:\n            httpGet:\n              path: /healthz",
        "livenessProbe:\n            httpGet:\n              path: /health",
    );
    assert_eq!(
        failed_steps(&r),
        [
            "livenessProbe Deployment/todo-chatbot-backend [backend]",
            "smoke journey"
        ],
        "{r}"
    );
    let step = r.steps.iter().find(|s| !s.ok).unwrap();
    assert!(
        step.detail.contains("GET /health -> 404"),
        "{}",
        step.detail
    );
}

#[test]
fn an_env_name_the_app_does_not_read_is_caught() {
    let r = broken("configmap-backend.yaml", "LOG_LEVEL:", "LOG_LEVL:");
    assert_eq!(
        r.rule_ids().into_iter().collect::<Vec<_>>(),
        [RuleId::EnvUnread],
        "{r}"
    );
    assert!(r.findings[0].message.contains("LOG_LEVL"), "{r}");
}

#[test]
fn a_container_port_the_app_does_not_listen_on_is_caught() {
    let r = broken(
        "deployment-backend.yaml",
        "containerPort: 8000",
        "containerPort: 8080",
    );
    let failed = failed_steps(&r);
    assert!(
        failed.contains(&"startupProbe Deployment/todo-chatbot-backend [backend]".to_owned()),
        "{r}"
    );
}

#[test]
fn env_resolution_expands_secret_references_and_declared_env_parses_wrapped_help() {
    let help = "  --cors-origins <CORS_ORIGINS>\n      Comma-separated (empty: no CORS headers) [env:\n      CORS_ORIGINS=]\n  --port [env: PORT=]";
    let names = super::declared_env(help);
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["CORS_ORIGINS", "PORT"]
    );
    let mut vars = std::collections::BTreeMap::new();
    vars.insert(
        "DB_PASSWORD".to_owned(),
        super::EnvValue {
            text: "pw".into(),
            secret: true,
        },
    );
    let v = super::expand("postgres://u:$(DB_PASSWORD)@h/$(MISSING)$$(X)", &vars);
    assert_eq!(v.text, "postgres://u:pw@h/$(MISSING)$(X)");
    assert!(v.secret);
}

#[test]
fn a_database_name_the_postgresql_statefulset_does_not_create_is_caught() {
    let r = broken(
        "statefulset-postgresql.yaml",
        "value: {{ .Values.postgresql.auth.database | quote }}",
        "value: \"todo_db\"",
    );
    assert_eq!(
        r.rule_ids().into_iter().collect::<Vec<_>>(),
        [RuleId::DatabaseCredentials],
        "{r}"
    );
    assert!(r.findings[0].message.contains("\"todo_db\""), "{r}");
}

#[test]
fn smoke_journey_against_nothing_fails_at_register_and_skips_the_rest() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (report, _) = crate::journey(&format!("http://127.0.0.1:{port}"));
    assert!(!report.passed());
    let names: Vec<(&str, bool)> = report
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.ok))
        .collect();
    assert_eq!(names[0], ("register", false));
    assert_eq!(names.len(), 9);
    assert!(
        report.steps[0].detail.contains("POST /api/auth/register"),
        "{report}"
    );
    assert!(
        report.steps[2].detail.contains("skipped: not signed in"),
        "{report}"
    );
}

#[test]
fn podman_runs_the_real_image_with_the_pod_security_context_and_no_secret_in_argv() {
    let manifests = render(&workspace().join("helm/todo-chatbot"), "dev");
    let parsed = chart_check::parse_stream(&manifests);
    let backend = parsed
        .objects
        .iter()
        .find(|o| o.id() == "Deployment/todo-chatbot-backend")
        .unwrap();
    let pod = backend.pod().unwrap();
    let c = &pod.spec.containers[0];
    let env = super::resolve_env(&parsed.objects, backend, c).unwrap();
    let jwt = env.iter().find(|e| e.name == "JWT_SECRET").unwrap();
    assert!(jwt.value.secret && jwt.value.text.len() >= 32);
    let args = super::podman_run_args(c, &env).join(" ");
    assert_eq!(
        args,
        "run --rm --network host --pull never --read-only --user 65532:65532 \
         --security-opt no-new-privileges --cap-drop ALL --tmpfs /tmp \
         --env AGENT --env BIND_ADDR --env LOG_FORMAT --env LOG_LEVEL --env MCP_ALLOWED_HOSTS --env PORT \
         --env SHUTDOWN_DRAIN_SECONDS --env TOKEN_TTL_SECONDS --env JWT_SECRET --env DB_PASSWORD --env DATABASE_URL \
         todo-chatbot-backend:0.1.0"
    );
    assert!(!args.contains(&jwt.value.text));
}

/// A one-crate workspace in a temporary directory.
fn probe_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"probe\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )
    .expect("Cargo.toml");
    std::fs::create_dir(dir.path().join("src")).expect("src");
    std::fs::write(dir.path().join("src/main.rs"), "fn main() {}\n").expect("main.rs");
    dir
}

fn cargo_in(dir: &Path) -> Cmd {
    Cmd::new("cargo").current_dir(dir)
}

#[test]
fn the_target_dir_is_cargos_own_answer() {
    let dir = probe_workspace();
    let root = dir.path().canonicalize().expect("canonical");
    // A target dir this test process inherits wins over the config, as for cargo build.
    let inherited = ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"]
        .iter()
        .find_map(|key| std::env::var_os(key).filter(|v| !v.is_empty()));
    let expect = |fallback: PathBuf| inherited.as_ref().map_or(fallback, |d| root.join(d));
    // The default: <workspace>/target.
    assert_eq!(
        target_dir_of(cargo_in(&root)).expect("default"),
        expect(root.join("target"))
    );
    // CARGO_TARGET_DIR, relative to where cargo runs.
    assert_eq!(
        target_dir_of(cargo_in(&root).env("CARGO_TARGET_DIR", "out")).expect("env"),
        root.join("out")
    );
    // build.target-dir in .cargo/config.toml, also from a directory inside the workspace.
    std::fs::create_dir(root.join(".cargo")).expect(".cargo");
    std::fs::write(
        root.join(".cargo/config.toml"),
        "[build]\ntarget-dir = \"built\"\n",
    )
    .expect("config");
    for cwd in [root.clone(), root.join("src")] {
        assert_eq!(
            target_dir_of(cargo_in(&cwd)).expect("config"),
            expect(root.join("built")),
            "from {}",
            cwd.display()
        );
    }
}

#[test]
fn a_service_that_exits_at_start_is_explained_once_in_its_own_words() {
    let r = broken(
        "configmap-backend.yaml",
        "PORT: \"8000\"",
        "PORT: \"eighty\"",
    );
    let step = r
        .steps
        .iter()
        .find(|s| s.name == "startupProbe Deployment/todo-chatbot-backend [backend]")
        .unwrap();
    assert!(!step.ok, "{r}");
    assert!(
        step.detail
            .contains("the process exited with status 2 before the probe passed"),
        "{}",
        step.detail
    );
    assert_eq!(
        step.detail.matches("last log lines").count(),
        1,
        "{}",
        step.detail
    );
    assert!(step.detail.contains("eighty"), "{}", step.detail);
}
