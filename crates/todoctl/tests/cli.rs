//! The CLI as a user runs it: the real binary, through exec.
#![allow(clippy::unwrap_used, missing_docs)]

use exec::Cmd;

fn todoctl(args: &[&str]) -> exec::Output {
    Cmd::new(env!("CARGO_BIN_EXE_todoctl"))
        .args(args.iter().copied())
        .run_unchecked()
        .unwrap()
}

#[test]
fn version_and_help() {
    let check = |args: &[&str], expect_status: i32, expect_fragment: &str| {
        let out = todoctl(args);
        assert_eq!(out.status, expect_status, "{args:?}: {out:?}");
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(text.contains(expect_fragment), "{args:?}: {text}");
    };
    check(
        &["--version"],
        0,
        concat!("todoctl ", env!("CARGO_PKG_VERSION")),
    );
    check(&["--help"], 0, "--dry-run");
    check(&["--help"], 0, "--json");
    check(
        &["--no-such-flag"],
        2,
        "unexpected argument '--no-such-flag'",
    );
}

/// `just deploy-plan` on a machine without a cluster: the whole ordered plan, no secret in it.
#[test]
fn deploy_plan_lists_every_step_in_order_without_secrets() {
    let secret = "plan-test-jwt-secret-that-is-long-enough-0123456789";
    let out = todoctl_in_repo_cmd(&["--dry-run", "deploy", "--profile", "dev"])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .secret_env("JWT_SECRET", secret)
        .run()
        .unwrap();
    let plan = out.stdout;
    let position = |fragment: &str| {
        plan.find(fragment)
            .unwrap_or_else(|| panic!("the plan lacks `{fragment}`:\n{plan}"))
    };
    let order = [
        "minikube start '--profile=todo-chatbot'",
        "build",
        "minikube image load -p todo-chatbot",
        "label namespace todo-chatbot",
        "upgrade --install todo-chatbot helm/todo-chatbot",
        // The verify step's own recorded plan: what it would change.
        "port-forward --address 127.0.0.1 'svc/<frontend Service of todo-chatbot>' 0:http",
        "delete pod '--wait=false' --selector 'app.kubernetes.io/instance=todo-chatbot,app.kubernetes.io/component in (backend,database)'",
        "test todo-chatbot --namespace todo-chatbot --timeout 5m",
    ]
    .map(position);
    assert!(order.is_sorted(), "steps out of order: {order:?}\n{plan}");
    assert!(plan.contains("--set-string 'backend.image.tag="), "{plan}");
    assert!(
        !plan.contains(secret) && !out.stderr.contains(secret),
        "a secret leaked:\n{plan}"
    );
}

/// A `--context` that is the Minikube profile's is still Minikube: started, loaded into; any
/// other context skips both.
#[test]
fn deploy_plan_treats_the_profiles_own_context_as_minikube() {
    let plan = |context: &str| {
        let out = todoctl_in_repo_cmd(&[
            "--dry-run",
            "deploy",
            "--profile",
            "dev",
            "--context",
            context,
            "--image-loader",
            "auto",
        ])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .run_unchecked()
        .unwrap();
        format!("{}{}", out.stdout, out.stderr)
    };
    let own = plan("todo-chatbot");
    assert!(
        own.contains("minikube start '--profile=todo-chatbot'"),
        "{own}"
    );
    assert!(own.contains("minikube image load -p todo-chatbot"), "{own}");
    let other = plan("kind-dev");
    assert!(!other.contains("minikube start"), "{other}");
    assert!(!other.contains("minikube image load"), "{other}");
}

fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// todoctl in the repository root with the pinned tools first on PATH, as `just` runs it.
fn todoctl_in_repo_cmd(args: &[&str]) -> Cmd {
    let path = format!(
        "{}:{}",
        repo_root().join(".tools/bin").display(),
        std::env::var("PATH").unwrap()
    );
    Cmd::new(env!("CARGO_BIN_EXE_todoctl"))
        .args(args.iter().copied())
        .current_dir(repo_root())
        .env("PATH", path)
}

fn todoctl_in_repo(args: &[&str]) -> exec::Output {
    todoctl_in_repo_cmd(args).run_unchecked().unwrap()
}

/// `chart check --strict`: the real chart passes every profile; every broken manifest in
/// verify's corpus fails (the three `*good*`/base/known-kinds fixtures are the passing ones).
#[test]
fn chart_check_passes_the_chart_and_fails_every_broken_fixture() {
    let all = todoctl_in_repo(&["chart", "check", "--all", "--strict"]);
    assert_eq!(all.status, 0, "{}{}", all.stdout, all.stderr);
    assert_eq!(all.stdout.matches("PASS").count(), 3, "{}", all.stdout);

    let passing = ["base.yaml", "known-extra-kinds.yaml", "netpol-good.yaml"];
    let fixtures = repo_root().join("crates/chart-check/tests/fixtures");
    let mut checked = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".yaml") {
            continue;
        }
        let out = todoctl_in_repo(&[
            "chart",
            "check",
            "--strict",
            "--manifests",
            path.to_str().unwrap(),
        ]);
        let expect = if passing.contains(&name.as_str()) {
            0
        } else {
            1
        };
        assert_eq!(out.status, expect, "{name}:\n{}{}", out.stdout, out.stderr);
        checked += 1;
    }
    assert!(
        checked > 40,
        "only {checked} fixtures found in {}",
        fixtures.display()
    );
}

/// `values check` names file:line:column, the key and a fix for each problem.
#[test]
fn values_check_explains_problems_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let check = |yaml: &str, expect: &[&str]| {
        let file = dir.path().join("values.test.yaml");
        std::fs::write(&file, yaml).unwrap();
        let out = todoctl_in_repo(&[
            "values",
            "check",
            "--profile",
            "dev",
            "-f",
            file.to_str().unwrap(),
        ]);
        assert_eq!(out.status, 1, "{yaml}: {out:?}");
        for fragment in expect {
            let fragment = fragment.replace("FILE", &file.display().to_string());
            assert!(
                out.stdout.contains(&fragment),
                "{yaml}: expected {fragment:?} in\n{}",
                out.stdout
            );
        }
    };
    check(
        "backend:\n  replicas: 1\n",
        &[
            "FILE:2:3: error: backend.replicas:",
            "did you mean `backend.replicaCount`?",
        ],
    );
    check(
        "backend:\n  image:\n    tag: latest\n",
        &["FILE:3:5: error: backend.image.tag: `latest` is refused"],
    );
    check(
        "a: 1\na: 2\n",
        &[
            "FILE:2:1: error: duplicate mapping key: a [yaml]",
            "keep one",
        ],
    );
}

/// `verify local` from the CLI: the chart's containers run on the real binaries and pass. It
/// runs from another directory, so the services it builds are the `--root` ones.
#[test]
fn verify_local_passes_on_the_real_chart() {
    std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must name a PostgreSQL server the tests may create databases on");
    let elsewhere = tempfile::tempdir().unwrap();
    let root = repo_root().canonicalize().unwrap();
    let chart = root.join("helm/todo-chatbot");
    let out = todoctl_in_repo_cmd(&[
        "verify",
        "local",
        "--profile",
        "dev",
        "--root",
        root.to_str().unwrap(),
        "--chart",
        chart.to_str().unwrap(),
    ])
    .current_dir(elsewhere.path())
    .run_unchecked()
    .unwrap();
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("smoke journey through http://127.0.0.1:"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("FAIL"), "{}", out.stdout);
}

/// `release --root`: the default image tags are the content tags of the root the user gave, not
/// of the directory todoctl happens to run in.
#[test]
fn release_tags_images_from_the_given_root() {
    let elsewhere = tempfile::tempdir().unwrap();
    let root = repo_root().canonicalize().unwrap();
    let chart = root.join("helm/todo-chatbot");
    let out = todoctl_in_repo_cmd(&[
        "--dry-run",
        "release",
        "--root",
        root.to_str().unwrap(),
        "--chart",
        chart.to_str().unwrap(),
    ])
    .current_dir(elsewhere.path())
    .env("KUBECONFIG", "/nonexistent/kubeconfig")
    .run_unchecked()
    .unwrap();
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    let tags = images::ops::Project::new(&root).unwrap().tags().unwrap();
    for (key, image) in [
        ("backend", "todo-chatbot-backend"),
        ("frontend", "todo-chatbot-frontend"),
    ] {
        let tag = &tags.iter().find(|t| t.name == image).unwrap().tag;
        let expect = format!("--set-string '{key}.image.tag={tag}'");
        assert!(out.stdout.contains(&expect), "no {expect}:\n{}", out.stdout);
    }
}
