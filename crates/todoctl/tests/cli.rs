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
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let out = Cmd::new(env!("CARGO_BIN_EXE_todoctl"))
        .args(["--dry-run", "deploy", "--profile", "dev"])
        .current_dir(root)
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
        "todoctl verify live",
    ]
    .map(position);
    assert!(order.is_sorted(), "steps out of order: {order:?}\n{plan}");
    assert!(plan.contains("--set-string 'backend.image.tag="), "{plan}");
    assert!(
        !plan.contains(secret) && !out.stderr.contains(secret),
        "a secret leaked:\n{plan}"
    );
}
