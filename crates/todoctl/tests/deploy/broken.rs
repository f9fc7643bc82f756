//! Real broken states, and what the kit says about each: the deploy stops with the reason, and
//! `todoctl doctor` names the rule with its fix.

use std::time::Duration;

use serde_json::Value;

use crate::kit::Kit;

/// `todoctl --json doctor`: its findings.
fn doctor(kit: &Kit) -> Vec<Value> {
    let out = kit
        .todoctl(&["--json", "doctor"])
        .run_unchecked()
        .expect("doctor runs");
    serde_json::from_str::<Value>(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor --json ({e}): {out:?}"))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Waits until doctor reports `rule`; the finding.
fn finding(kit: &Kit, rule: &str) -> Value {
    e2e::eventually(
        &format!("doctor to report {rule}"),
        Duration::from_secs(240),
        || {
            let findings = doctor(kit);
            let found = findings.iter().find(|f| f["rule"] == rule).cloned();
            if found.is_none() {
                return Err(format!("{findings:?}"));
            }
            Ok(found)
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Asserts that the finding's `field` contains `text`.
fn says(finding: &Value, field: &str, text: &str) {
    let value = finding[field].as_str().unwrap_or_default();
    assert!(value.contains(text), "{field} lacks {text:?}: {finding}");
}

fn values(kit: &Kit, name: &str, yaml: &str) -> String {
    let path = kit.root().join(name);
    std::fs::write(&path, yaml).expect("values file");
    path.display().to_string()
}

/// The broken state itself, installed by plain `helm install` (no wait): a failed first
/// `just deploy` rolls its install back, which leaves nothing for doctor to look at.
fn install_broken(kit: &Kit, values_file: Option<&str>, backend_tag: Option<&str>) {
    let (backend, frontend) = kit.tags();
    let chart = kit.root().join("helm/todo-chatbot");
    let dev = chart.join("values-dev.yaml").display().to_string();
    let ours = kit.root().join("e2e-values.yaml").display().to_string();
    let backend = format!("backend.image.tag={}", backend_tag.unwrap_or(&backend));
    let frontend = format!("frontend.image.tag={frontend}");
    let chart = chart.display().to_string();
    let mut args = vec![
        "install",
        &kit.release,
        &chart,
        "--values",
        &dev,
        "--values",
        &ours,
        "--set-string",
        &backend,
        "--set-string",
        &frontend,
    ];
    if let Some(file) = values_file {
        args.extend(["--values", file]);
    }
    let out = kit.helm(&args).run_unchecked().expect("helm runs");
    assert!(out.success(), "{out:?}");
}

#[test]
fn an_image_that_was_never_loaded() {
    let kit = Kit::new("noimage");
    let out = kit
        .deploy(
            "dev",
            &["--image-loader", "none", "--backend-tag", "0000deadbeef"],
        )
        .expect_err("a missing image must stop the deploy");
    assert!(out.stderr.contains("ErrImageNeverPull"), "{}", out.stderr);
    install_broken(&kit, None, Some("0000deadbeef"));
    let f = finding(&kit, "image-not-loaded");
    says(&f, "problem", "todo-chatbot-backend:0000deadbeef");
    says(&f, "fix", "images load --context");
}

#[test]
fn a_missing_existing_secret() {
    let kit = Kit::new("nosecret");
    let file = values(
        &kit,
        "secret.yaml",
        "secrets:\n  existingSecret: never-created\n",
    );
    let out = kit
        .deploy("dev", &["--values", &file])
        .expect_err("must stop");
    assert!(
        out.stderr.contains("CreateContainerConfigError"),
        "{}",
        out.stderr
    );
    install_broken(&kit, Some(&file), None);
    let f = finding(&kit, "missing-secret-or-configmap");
    says(&f, "problem", "Secret never-created");
}

#[test]
fn requests_larger_than_the_node() {
    let kit = Kit::new("toobig");
    let file = values(
        &kit,
        "big.yaml",
        "backend:\n  resources:\n    requests: {cpu: \"64\", memory: 32Mi}\n    limits: {cpu: \"64\", memory: 128Mi}\n",
    );
    install_broken(&kit, Some(&file), None);
    let f = finding(&kit, "pending-resources");
    says(&f, "problem", "too little cpu");
}

#[test]
fn a_jwt_secret_too_short_and_a_database_that_is_down() {
    let kit = Kit::new("runtime");
    kit.deployed("dev", &[]);

    // The database goes away: the backend stays up but not ready, and doctor says why.
    kit.ns
        .kubectl([
            "scale",
            "statefulset",
            "--selector",
            &format!("app.kubernetes.io/instance={}", kit.release),
            "--replicas",
            "0",
        ])
        .run()
        .expect("scale the database down");
    let f = finding(&kit, "readiness-failing");
    says(&f, "object", "backend");
    // Within the probe's timeout the backend answers why: not a bare timeout.
    says(&f, "problem", "statuscode: 503");
    kit.ns
        .kubectl([
            "scale",
            "statefulset",
            "--selector",
            &format!("app.kubernetes.io/instance={}", kit.release),
            "--replicas",
            "1",
        ])
        .run()
        .expect("scale the database up");

    // The JWT secret is edited to 5 bytes behind the chart's back: the backend exits naming it.
    let secret = kit
        .ns
        .json([
            "get",
            "secrets",
            "--selector",
            &format!("app.kubernetes.io/instance={}", kit.release),
        ])
        .expect("secret");
    let name = secret["items"][0]["metadata"]["name"]
        .as_str()
        .expect("name")
        .to_owned();
    kit.ns
        .kubectl([
            "patch",
            "secret",
            &name,
            "--type",
            "merge",
            "--patch",
            r#"{"stringData":{"jwt-secret":"short"}}"#,
        ])
        .run()
        .expect("patch the secret");
    kit.ns
        .kubectl([
            "delete",
            "pods",
            "--selector",
            &format!(
                "app.kubernetes.io/instance={},app.kubernetes.io/component=backend",
                kit.release
            ),
        ])
        .run()
        .expect("restart the backend");
    let f = finding(&kit, "crash-config-error");
    says(&f, "problem", "JWT_SECRET");
    says(&f, "fix", "jwt-secret");
}

#[test]
fn pods_that_pod_security_admission_refuses() {
    // Installed with helm alone into a namespace enforcing `restricted`: the chown init
    // container needs `baseline`, so the StatefulSet cannot create its pod.
    let kit = Kit::new("psa");
    kit.ns
        .kubectl([
            "label",
            "namespace",
            kit.ns.name(),
            "pod-security.kubernetes.io/enforce=restricted",
        ])
        .run()
        .expect("label");
    let chart = kit.root().join("helm/todo-chatbot").display().to_string();
    let out = kit
        .helm(&[
            "install",
            &kit.release,
            &chart,
            "--set",
            "postgresql.volumePermissions.enabled=true",
            "--set",
            "backend.image.tag=unused0",
            "--set",
            "frontend.image.tag=unused0",
        ])
        .run_unchecked()
        .expect("helm runs");
    assert!(out.success(), "{out:?}");
    let f = finding(&kit, "pod-security-refused");
    assert!(
        f["object"]
            .as_str()
            .unwrap_or_default()
            .starts_with("statefulset/"),
        "{f}"
    );
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains("violates PodSecurity") && evidence.contains("volume-permissions"),
        "{f}"
    );
}

#[test]
fn a_statefulset_name_too_long_for_its_pods_labels() {
    // The chart as it was before it trimmed the StatefulSet's name: with a long release name
    // the name is 60 characters, and its pods' controller-revision-hash label 70.
    let kit = Kit::with_release(
        "sts-name",
        "e2e-a-release-name-long-enough-for-the-chart-to-trim",
    );
    let helpers = kit.root().join("helm/todo-chatbot/templates/_helpers.tpl");
    let text = std::fs::read_to_string(&helpers).expect("helpers");
    let untrimmed = text.replace(
        r#"(include "todo-chatbot.fullname" . | trunc 41 | trimSuffix "-")"#,
        r#"(include "todo-chatbot.fullname" .)"#,
    );
    assert_ne!(
        untrimmed, text,
        "the chart's StatefulSet name helper changed"
    );
    std::fs::write(&helpers, untrimmed).expect("write helpers");

    // The deploy checks the render of its own release name: refused before helm runs.
    let out = kit
        .deploy_cmd("dev", &[])
        .run_unchecked()
        .expect("todoctl runs");
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(!out.success(), "{text}");
    assert!(text.contains("statefulset-name-length"), "{text}");
    assert!(
        !kit.helm(&["status", &kit.release])
            .run_unchecked()
            .expect("helm runs")
            .success(),
        "a release was installed"
    );

    // Ignored on purpose, the deploy reaches the cluster and stops at the controller's refusal
    // rather than waiting out helm's timeout.
    let ignores = kit.root().join("helm/todo-chatbot/verify-ignores.yaml");
    let mut text = std::fs::read_to_string(&ignores).expect("ignores");
    text.push_str("  - rule: statefulset-name-length\n    reason: e2e, the deploy must stop at the refusal too\n");
    std::fs::write(&ignores, text).expect("write ignores");
    let out = kit
        .deploy_cmd("dev", &["--timeout", "900"])
        .run_unchecked()
        .expect("todoctl runs");
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(!out.success(), "{text}");
    assert!(
        text.contains("FailedCreate") && text.contains("must be no more than 63 bytes"),
        "{text}"
    );
    assert!(text.contains("fullnameOverride"), "no fix in: {text}");
    assert!(
        !text.contains("context deadline exceeded"),
        "the deploy waited for helm's timeout: {text}"
    );

    // Left installed, doctor names it.
    install_broken(&kit, None, None);
    let f = finding(&kit, "pod-invalid");
    assert!(
        f["object"]
            .as_str()
            .unwrap_or_default()
            .starts_with("statefulset/"),
        "{f}"
    );
    says(&f, "fix", "fullnameOverride");
}
