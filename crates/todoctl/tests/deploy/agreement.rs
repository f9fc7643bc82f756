//! `chart check` against the real API server: whatever the server refuses, the check refuses
//! too, and what the chart renders passes both.

use std::path::Path;

use crate::kit::repo_root;

/// `kubectl apply --dry-run=server`: the server's verdict on a manifest file.
fn server_accepts(ns: &e2e::Namespace, file: &Path) -> Result<(), String> {
    let out = ns
        .kubectl(["apply", "--dry-run=server", "--filename"])
        .arg(file.display().to_string())
        .run_unchecked()
        .expect("kubectl runs");
    if out.success() {
        Ok(())
    } else {
        Err(out.stderr)
    }
}

fn check_accepts(args: &[&str]) -> Result<(), String> {
    let out = exec::Cmd::new(env!("CARGO_BIN_EXE_todoctl"))
        .args(["chart", "check"])
        .args(args.iter().copied())
        .current_dir(repo_root())
        .env("PATH", crate::kit::tools_path())
        .run_unchecked()
        .expect("todoctl runs");
    if out.success() {
        Ok(())
    } else {
        Err(out.stdout + &out.stderr)
    }
}

#[test]
fn what_the_api_server_refuses_chart_check_refuses_too() {
    let cluster = e2e::TestCluster::from_env().unwrap_or_else(|e| panic!("{e}"));
    let ns = cluster.namespace("e2e-agree").expect("namespace");
    let fixtures = repo_root().join("crates/chart-check/tests/fixtures");
    let mut refused = Vec::new();
    let mut missed = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&fixtures)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for file in &files {
        if let Err(why) = server_accepts(&ns, file) {
            let name = file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if check_accepts(&["--manifests", &file.display().to_string()]).is_ok() {
                missed.push(format!("{name}: {}", why.trim()));
            }
            refused.push(name);
        }
    }
    // The corpus has cases the server refuses (unknown fields pass, wrong types and kinds do not).
    assert!(refused.len() >= 3, "the server refused only {refused:?}");
    assert!(
        missed.is_empty(),
        "the API server refuses what chart check passes:\n{}",
        missed.join("\n")
    );

    // And the chart's own renders pass both, in every profile.
    let dir = tempfile::tempdir().expect("tempdir");
    for profile in ["default", "dev", "prod"] {
        let mut helm = exec::Cmd::new(crate::kit::real_tool("helm"))
            .args([
                "template",
                "todo-chatbot",
                "helm/todo-chatbot",
                // The test pod runs under the release's ServiceAccount, which a dry run never
                // creates; `helm test` starts it once the release exists.
                "--skip-tests",
                "--namespace",
                ns.name(),
            ])
            .current_dir(repo_root());
        if profile != "default" {
            helm = helm.args([
                "--values",
                &format!("helm/todo-chatbot/values-{profile}.yaml"),
            ]);
        }
        let rendered = helm.run().expect("helm template");
        let file = dir.path().join(format!("{profile}.yaml"));
        std::fs::write(&file, rendered.stdout).expect("write");
        server_accepts(&ns, &file)
            .unwrap_or_else(|e| panic!("the server refuses profile {profile}: {e}"));
        check_accepts(&["--profile", profile])
            .unwrap_or_else(|e| panic!("chart check refuses profile {profile}: {e}"));
    }
}
