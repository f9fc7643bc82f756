//! The real thing: both repository Dockerfiles built with buildah (against the stand-in base
//! images on machines without a registry), run under podman, probed through their own
//! HEALTHCHECK, checked for the numeric non-root user and measured against their budgets.
//!
//! Needs: buildah, podman, the base images (`/work/shared/tools/standin-base-images` here, a
//! registry elsewhere), crates.io for cargo inside the build, and DATABASE_URL (a PostgreSQL
//! superuser) for the backend. Missing any of them fails the test; it never skips. Slow: a
//! cold build compiles the workspace in release mode inside the builder.

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use dockerfile_check::DockerIgnore;
use exec::{Cmd, Runner};
use images::engine::{BuildSettings, Engine, EngineKind, EngineTools};
use images::ops::{self, BuiltImage, Progress, Project};
use serde_json::Value;

const BASES: [&str; 2] = [
    "docker.io/library/rust:1.95-slim-bookworm",
    "gcr.io/distroless/cc-debian12:nonroot",
];
const NON_ROOT: &str = "65532";

/// Removes the containers and the database however the test ends.
struct Cleanup {
    containers: Vec<String>,
    database: Option<(String, String)>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for name in &self.containers {
            let _ = Cmd::new("podman")
                .args(["rm", "-f", "-t", "2", name])
                .run_unchecked();
        }
        if let Some((admin, db)) = &self.database {
            let _ = Cmd::new("psql")
                .secret_arg(admin)
                .args(["-v", "ON_ERROR_STOP=1", "-c"])
                .arg(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
                .run_unchecked();
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn podman(args: &[&str]) -> String {
    Cmd::new("podman")
        .args(args.iter().copied())
        .timeout(Duration::from_secs(120))
        .run()
        .unwrap()
        .stdout
}

/// The image's config as podman reports it.
fn image_config(reference: &str) -> Value {
    let text = podman(&["image", "inspect", reference]);
    let list: Vec<Value> = serde_json::from_str(&text).unwrap();
    list.into_iter().next().unwrap()
}

/// Polls the container's own HEALTHCHECK until it passes; fails with the logs if the
/// container dies or never becomes healthy.
fn wait_healthy(name: &str) {
    let start = Instant::now();
    loop {
        let out = Cmd::new("podman")
            .args(["healthcheck", "run", name])
            .run_unchecked()
            .unwrap();
        if out.success() {
            return;
        }
        let state = podman(&["inspect", "--format", "{{.State.Status}}", name]);
        let logs = Cmd::new("podman")
            .args(["logs", name])
            .run_unchecked()
            .unwrap();
        assert!(
            state.trim() == "running" && start.elapsed() < Duration::from_secs(120),
            "{name} never became healthy (state {state}): {} {}\nlogs:\n{}{}",
            out.stdout,
            out.stderr,
            logs.stdout,
            logs.stderr
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The uid and gid lines of the container's main process, read on the host.
fn process_ids(name: &str) -> (String, String) {
    let pid = podman(&["inspect", "--format", "{{.State.Pid}}", name]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid.trim())).unwrap();
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    (field("Uid:"), field("Gid:"))
}

/// Copies what a build reads (the files `.dockerignore` lets in, the Dockerfiles, the
/// toolchain file the rules read) into a temporary directory.
fn snapshot(repo: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ignore = DockerIgnore::read(repo)
        .unwrap()
        .expect("the repository has a .dockerignore");
    let mut files = ignore.context_files(repo).unwrap();
    files.extend(
        [
            ".dockerignore",
            "rust-toolchain.toml",
            "docker/backend.Dockerfile",
            "docker/frontend.Dockerfile",
        ]
        .map(std::path::PathBuf::from),
    );
    for rel in files {
        let to = dir.path().join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo.join(&rel), &to).unwrap();
    }
    dir
}

fn check_config(image: &BuiltImage, binary: &str, project: &Project) {
    let config = image_config(&image.qualified);
    let cfg = &config["Config"];
    assert_eq!(cfg["User"], "65532:65532", "{}: {cfg}", image.name);
    let entry = format!("/usr/local/bin/{binary}");
    assert_eq!(
        cfg["Entrypoint"],
        serde_json::json!([entry]),
        "{}",
        image.name
    );
    let health = if config["Healthcheck"].is_object() {
        &config["Healthcheck"]
    } else {
        &cfg["Healthcheck"]
    };
    assert_eq!(
        health["Test"],
        serde_json::json!(["CMD", entry, "healthcheck"]),
        "{}: {config}",
        image.name
    );
    let labels = &cfg["Labels"];
    // REVISION labels but does not tag: a reused image names the commit that first built it.
    let revision = labels["org.opencontainers.image.revision"]
        .as_str()
        .unwrap_or_default();
    assert!(
        revision == "unknown"
            || (revision.len() == 40 && revision.chars().all(|c| c.is_ascii_hexdigit())),
        "revision label {revision:?} (this tree: {})",
        project.label_args["REVISION"]
    );
    assert_eq!(
        labels["org.opencontainers.image.version"],
        project.build_args["VERSION"].as_str()
    );
    assert!(
        labels["org.opencontainers.image.source"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
}

#[test]
fn real_images_build_run_healthy_as_non_root_within_budget() {
    for tool in ["buildah", "podman", "psql"] {
        if let Err(e) = exec::resolve(tool) {
            panic!("{e}: the real-build test needs it (apt-get install {tool})");
        }
    }
    for base in BASES {
        let present = Cmd::new("podman")
            .args(["image", "exists", base])
            .run_unchecked()
            .unwrap();
        assert!(
            present.success(),
            "base image {base} is missing: run /work/shared/tools/standin-base-images (or pull it where a registry is reachable)"
        );
    }
    let admin = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must point at a PostgreSQL superuser (postgres://postgres:postgres@127.0.0.1:5432/postgres)");

    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    // Build from a snapshot of the context: the working tree may change while a build runs
    // (other work in progress), and the tag must describe exactly what was built.
    let snapshot = snapshot(&repo);
    let mut project = Project::new(snapshot.path()).unwrap();
    let in_repo = Project::new(&repo).unwrap();
    project.build_args = in_repo.build_args;
    project.label_args = in_repo.label_args;
    let settings = BuildSettings::offline();
    let engine = Engine::new(EngineKind::Buildah, EngineTools::default(), settings).unwrap();
    let runner = Runner::live();
    let mut log = |p: Progress<'_>| match p {
        Progress::Line { image, line } => eprintln!("[{image}] {line}"),
        other => eprintln!("{other:?}"),
    };
    let started = Instant::now();
    let built = ops::build(&project, &runner, &engine, false, &mut log).unwrap();
    eprintln!("build took {:?}", started.elapsed());
    for image in &built {
        eprintln!(
            "MEASURED {} {} id {} size {:.2} MB (budget {:.0} MB, reused {})",
            image.name,
            image.reference,
            image.id,
            image.size_mb().unwrap(),
            image.budget as f64 / 1e6,
            image.reused
        );
        assert!(image.within_budget(), "{image:?}");
        assert_eq!(image.tag.len(), 12);
    }
    ops::enforce_budgets(&built).unwrap();

    // Same tree, same tags: the second build reuses both images.
    let again = ops::build(&project, &runner, &engine, false, &mut |_| {}).unwrap();
    for (a, b) in built.iter().zip(&again) {
        assert!(b.reused, "{} was rebuilt for an unchanged tree", b.name);
        assert_eq!((&a.reference, &a.id), (&b.reference, &b.id));
    }

    let (backend, frontend) = (&built[0], &built[1]);
    check_config(backend, "todo-api", &project);
    check_config(frontend, "todo-web", &project);

    let suffix = format!("{}-{}", std::process::id(), started.elapsed().as_nanos());
    let db = format!("images_it_{}", suffix.replace('-', "_"));
    let mut cleanup = Cleanup {
        containers: Vec::new(),
        database: None,
    };
    Cmd::new("psql")
        .secret_arg(&admin)
        .args(["-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!("CREATE DATABASE \"{db}\""))
        .run()
        .unwrap();
    cleanup.database = Some((admin.clone(), db.clone()));
    let (base, _) = admin.rsplit_once('/').unwrap();
    let database_url = format!("{base}/{db}");

    let api_port = free_port();
    let api = format!("images-it-api-{suffix}");
    cleanup.containers.push(api.clone());
    Cmd::new("podman")
        .args(["run", "-d", "--network", "host", "--name", &api])
        .args(["-e", "DATABASE_URL", "-e", "JWT_SECRET", "-e"])
        .arg(format!("PORT={api_port}"))
        .arg(&backend.qualified)
        .secret_env("DATABASE_URL", &database_url)
        .secret_env(
            "JWT_SECRET",
            "images-it-jwt-secret-0123456789abcdef0123456789",
        )
        .timeout(Duration::from_secs(120))
        .run()
        .unwrap();
    wait_healthy(&api);
    assert_eq!(
        process_ids(&api),
        (
            format!("{NON_ROOT} {NON_ROOT} {NON_ROOT} {NON_ROOT}"),
            format!("{NON_ROOT} {NON_ROOT} {NON_ROOT} {NON_ROOT}")
        )
    );
    // The probe is real: pointed at a closed port it fails.
    let bad = Cmd::new("podman")
        .args([
            "exec",
            &api,
            "/usr/local/bin/todo-api",
            "healthcheck",
            "--url",
            "http://127.0.0.1:1",
        ])
        .run_unchecked()
        .unwrap();
    assert!(!bad.success(), "healthcheck passed against a closed port");

    let web_port = free_port();
    let web = format!("images-it-web-{suffix}");
    cleanup.containers.push(web.clone());
    Cmd::new("podman")
        .args(["run", "-d", "--network", "host", "--name", &web, "-e"])
        .arg(format!("PORT={web_port}"))
        .arg("-e")
        .arg(format!("BACKEND_URL=http://127.0.0.1:{api_port}"))
        .arg(&frontend.qualified)
        .timeout(Duration::from_secs(120))
        .run()
        .unwrap();
    wait_healthy(&web);
    assert_eq!(
        process_ids(&web).0,
        format!("{NON_ROOT} {NON_ROOT} {NON_ROOT} {NON_ROOT}")
    );
    let bad = Cmd::new("podman")
        .args([
            "exec",
            &web,
            "/usr/local/bin/todo-web",
            "healthcheck",
            "--url",
            "http://127.0.0.1:1/healthz",
        ])
        .run_unchecked()
        .unwrap();
    assert!(!bad.success(), "healthcheck passed against a closed port");
    drop(cleanup);
}
