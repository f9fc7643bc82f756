//! Plans (`--dry-run`): the exact commands, for Helm 3 and Helm 4 and every profile, rendered
//! with the real helm (version detection and an offline `helm template` of the same inputs).

use std::time::Duration;

use cluster::{Cluster, DeployOptions, Profile, Secrets, Tools, deploy, minikube};
use exec::Runner;

use crate::fake::{Fakes, real_helm, reply, repo_root, tools};

/// A cluster with a fake kubectl (current context `current`) and the real helm `major`.
fn cluster(fakes: &mut Fakes, major: u8, current: Option<&str>) -> Cluster {
    let rules = match current {
        Some(name) => vec![
            reply("config\\ current-context", format!("{name}\n")),
            reply(
                "*get\\ statefulsets*",
                crate::fixtures::database_statefulsets("todo-chatbot-postgresql"),
            ),
        ],
        None => vec![crate::fake::fail(
            "config\\ current-context",
            "error: current-context is not set",
            1,
        )],
    };
    fakes.tool("kubectl", rules);
    let tools = Tools {
        helm: real_helm(major),
        ..tools(fakes)
    };
    Cluster::connect(
        tools,
        "todo-chatbot",
        None,
        "todo-chatbot",
        "todo-chatbot",
        true,
    )
    .unwrap()
}

/// The recorded plan with machine paths replaced by what a user would type.
fn plan_text(fakes: &Fakes, runner: &Runner) -> String {
    let root = repo_root().display().to_string();
    let fake_dir = format!("{}/", fakes.dir.path().display());
    runner
        .recorded()
        .iter()
        .map(|line| {
            line.replace(&fake_dir, "")
                .replace(&format!("{root}/.tools/bin/"), "")
                .replace(&format!("{root}/"), "")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn options(profile: Profile) -> DeployOptions {
    DeployOptions {
        backend_tag: Some("sha-1a2b3c4d5e6f".into()),
        frontend_tag: Some("sha-6f5e4d3c2b1a".into()),
        ..DeployOptions::new(repo_root().join("helm/todo-chatbot"), profile)
    }
}

fn deploy_plan(major: u8, profile: Profile) -> String {
    let mut fakes = Fakes::new();
    let cluster = cluster(&mut fakes, major, Some("todo-chatbot"));
    let runner = Runner::dry_run();
    let outcome = deploy::deploy(&runner, &cluster, &options(profile), |_| {}).unwrap();
    assert!(matches!(outcome, cluster::DeployOutcome::Planned { .. }));
    plan_text(&fakes, &runner)
}

#[test]
fn deploy_plan_helm4_dev() {
    insta::assert_snapshot!(deploy_plan(4, Profile::Dev));
}

#[test]
fn deploy_plan_helm4_default() {
    insta::assert_snapshot!(deploy_plan(4, Profile::Default));
}

#[test]
fn deploy_plan_helm4_prod() {
    insta::assert_snapshot!(deploy_plan(4, Profile::Prod));
}

#[test]
fn deploy_plan_helm3_dev() {
    insta::assert_snapshot!(deploy_plan(3, Profile::Dev));
}

#[test]
fn deploy_plan_helm3_default() {
    insta::assert_snapshot!(deploy_plan(3, Profile::Default));
}

#[test]
fn deploy_plan_helm3_prod() {
    insta::assert_snapshot!(deploy_plan(3, Profile::Prod));
}

#[test]
fn helm_flags_follow_the_major_version() {
    let four = deploy_plan(4, Profile::Dev);
    assert!(
        four.contains("--rollback-on-failure '--wait=watcher'"),
        "{four}"
    );
    assert!(!four.contains("--atomic"), "{four}");
    let three = deploy_plan(3, Profile::Dev);
    assert!(three.contains("--atomic --wait "), "{three}");
    assert!(!three.contains("--rollback-on-failure"), "{three}");
}

#[test]
fn secrets_never_reach_the_plan_only_their_keys() {
    let mut fakes = Fakes::new();
    let cluster = cluster(&mut fakes, 4, Some("todo-chatbot"));
    let secrets = Secrets::from_lookup(|k| match k {
        "JWT_SECRET" => Some("jwt-0123456789abcdef0123456789abcdef".into()),
        "OPENAI_API_KEY" => Some("sk-test-very-secret".into()),
        _ => None,
    })
    .unwrap();
    let runner = Runner::dry_run();
    let options = DeployOptions {
        secrets,
        ..options(Profile::Dev)
    };
    deploy::deploy(&runner, &cluster, &options, |_| {}).unwrap();
    let plan = plan_text(&fakes, &runner);
    assert!(!plan.contains("jwt-0123456789"), "{plan}");
    assert!(!plan.contains("sk-test"), "{plan}");
    assert!(
        plan.contains("--values '<0600 temp file: secrets.jwtSecret, secrets.openaiApiKey>'"),
        "{plan}"
    );
    assert!(!plan.contains("--set secrets"), "{plan}");
    assert!(!format!("{options:?}").contains("sk-test"));
}

#[test]
fn a_plan_that_cannot_render_fails_before_anything_is_recorded() {
    let mut fakes = Fakes::new();
    let cluster = cluster(&mut fakes, 4, Some("todo-chatbot"));
    let runner = Runner::dry_run();
    let options = DeployOptions {
        backend_tag: Some("latest".into()),
        ..options(Profile::Dev)
    };
    let err = deploy::deploy(&runner, &cluster, &options, |_| {}).unwrap_err();
    assert!(err.to_string().contains("/backend/image/tag"), "{err}");
    assert!(runner.recorded().is_empty());
}

#[test]
fn a_clean_machine_without_a_context_plans_for_the_profile_context() {
    let mut fakes = Fakes::new();
    let cluster = cluster(&mut fakes, 4, None);
    assert_eq!(cluster.target.context, "todo-chatbot");
    assert_eq!(
        cluster.target.source,
        cluster::ContextSource::AssumedForPlan
    );
}

#[test]
fn rollback_and_down_plans() {
    let mut text = String::new();
    for major in [4, 3] {
        let mut fakes = Fakes::new();
        let cluster = cluster(&mut fakes, major, Some("todo-chatbot"));
        let runner = Runner::dry_run();
        deploy::rollback(&runner, &cluster, None, Duration::from_secs(300)).unwrap();
        deploy::rollback(&runner, &cluster, Some(3), Duration::from_secs(300)).unwrap();
        deploy::down(&runner, &cluster, false, Duration::from_secs(300)).unwrap();
        deploy::down(&runner, &cluster, true, Duration::from_secs(300)).unwrap();
        text.push_str(&format!("# helm {major}\n{}\n", plan_text(&fakes, &runner)));
    }
    insta::assert_snapshot!(text);
}

#[test]
fn down_without_purge_keeps_the_database_volume() {
    let mut fakes = Fakes::new();
    let cluster = cluster(&mut fakes, 4, Some("todo-chatbot"));
    let runner = Runner::dry_run();
    deploy::down(&runner, &cluster, false, Duration::from_secs(300)).unwrap();
    let plan = plan_text(&fakes, &runner);
    assert!(!plan.contains("persistentvolumeclaims"), "{plan}");
    assert!(!plan.contains("delete namespace"), "{plan}");
    let runner = Runner::dry_run();
    deploy::down(&runner, &cluster, true, Duration::from_secs(300)).unwrap();
    let plan = plan_text(&fakes, &runner);
    assert!(
        plan.contains(
            "delete persistentvolumeclaims --selector 'app.kubernetes.io/instance=todo-chatbot'"
        ),
        "{plan}"
    );
}

#[test]
fn minikube_start_plan() {
    let runner = Runner::dry_run();
    minikube::start(
        &runner,
        "minikube",
        &minikube::MinikubeOptions::default(),
        |_| {},
    )
    .unwrap();
    insta::assert_snapshot!(runner.recorded().join("\n"));
}

/// Runs every helm command of the plans with the real helm against a kubeconfig with no
/// clusters: helm parses all flags before it connects, so each must fail only for want of a
/// cluster — an unknown or malformed flag fails the test.
#[test]
fn the_real_helm_accepts_every_planned_flag() {
    let kubeconfig = tempfile::NamedTempFile::new().unwrap();
    for major in [4, 3] {
        let mut lines = Vec::new();
        for profile in Profile::ALL {
            let mut fakes = Fakes::new();
            let cluster = cluster(&mut fakes, major, Some("todo-chatbot"));
            let runner = Runner::dry_run();
            deploy::deploy(&runner, &cluster, &options(profile), |_| {}).unwrap();
            deploy::rollback(&runner, &cluster, Some(2), Duration::from_secs(60)).unwrap();
            deploy::down(&runner, &cluster, false, Duration::from_secs(60)).unwrap();
            lines.extend(runner.recorded());
        }
        let helm_lines: Vec<&String> = lines
            .iter()
            .filter(|l| l.contains("/.tools/bin/helm"))
            .collect();
        assert_eq!(helm_lines.len(), 9, "{helm_lines:?}");
        for line in helm_lines {
            let words = shell_words::split(line).unwrap();
            let out = exec::Cmd::new(words[0].clone())
                .args(words[1..].iter().cloned())
                .env("KUBECONFIG", kubeconfig.path().display().to_string())
                .run_unchecked()
                .unwrap();
            assert!(!out.success(), "{line} succeeded without a cluster?");
            assert!(
                out.stderr.to_lowercase().contains("cluster unreachable"),
                "helm {major} rejected the planned command line:\n{line}\n{}",
                out.stderr
            );
        }
    }
}

/// The same for every kubectl command a plan records (namespace, purge, backup, restore,
/// port-forward), with the real kubectl: it parses flags before it looks for the context.
#[test]
fn the_real_kubectl_accepts_every_planned_flag() {
    let kubeconfig = tempfile::NamedTempFile::new().unwrap();
    let real_kubectl = e2e::tool("kubectl").display().to_string();
    let mut fakes = Fakes::new();
    let cluster = cluster(&mut fakes, 4, Some("todo-chatbot"));
    let runner = Runner::dry_run();
    deploy::deploy(&runner, &cluster, &options(Profile::Dev), |_| {}).unwrap();
    deploy::down(&runner, &cluster, true, Duration::from_secs(60)).unwrap();
    let dump = fakes.path("dump.sql");
    cluster::db::backup(&runner, &cluster, &dump).unwrap();
    std::fs::write(
        &dump,
        "-- PostgreSQL database dump\n-- PostgreSQL database dump complete\n",
    )
    .unwrap();
    cluster::db::restore(&runner, &cluster, &dump).unwrap();
    let mut lines = runner.recorded();
    lines.push(
        cluster
            .kubectl()
            .port_forward_cmd("svc/todo-chatbot-frontend", 3000, 3000)
            .to_string(),
    );
    let kubectl_lines: Vec<&String> = lines
        .iter()
        .filter(|l| !l.contains("/.tools/bin/helm"))
        .collect();
    assert_eq!(kubectl_lines.len(), 8, "{kubectl_lines:?}");
    for line in kubectl_lines {
        let words = shell_words::split(line).unwrap();
        assert!(words[0].ends_with("/kubectl"), "{line}");
        let out = exec::Cmd::new(real_kubectl.clone())
            .args(words[1..].iter().cloned())
            .env("KUBECONFIG", kubeconfig.path().display().to_string())
            .run_unchecked()
            .unwrap();
        assert!(!out.success(), "{line} succeeded without a cluster?");
        assert!(
            out.stderr.contains("todo-chatbot") && !out.stderr.contains("unknown flag"),
            "kubectl rejected the planned command line:\n{line}\n{}",
            out.stderr
        );
    }
}
