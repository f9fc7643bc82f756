//! The live paths, driven against fake kubectl/helm/minikube scripts that record argv and
//! answer like the real tools (no cluster can run here).

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use cluster::{Cluster, DeployOptions, DeployOutcome, Error, Profile, Secrets, db, deploy, status};
use exec::Runner;

use crate::fake::{Fakes, Rule, fail, reply, repo_root, shell, tools};
use crate::fixtures::{list_json, pod, waiting_pod};

const JWT: &str = "jwt-live-0123456789abcdef0123456789abcdef";
const OPENAI: &str = "sk-live-do-not-leak";

fn status_json(revision: u32, state: &str) -> String {
    serde_json::json!({
        "name": "todo-chatbot", "namespace": "todo-chatbot", "version": revision,
        "info": {"status": state, "description": "Upgrade complete"},
    })
    .to_string()
}

/// A fake helm 4: `status` answers "not found" until an upgrade has run.
fn helm_rules(upgrade: Rule) -> Vec<Rule> {
    vec![
        reply("version\\ --short", "v4.1.4+g05fa379\n"),
        shell(
            "*\\ status\\ *",
            &format!(
                "if [ -f \"$DIR/installed\" ]; then echo '{}'; else echo 'Error: release: not found' >&2; exit 1; fi",
                status_json(1, "deployed")
            ),
        ),
        upgrade,
    ]
}

fn connect(fakes: &Fakes) -> Cluster {
    Cluster::connect(
        tools(fakes),
        "todo-chatbot",
        None,
        "todo-chatbot",
        "todo-chatbot",
        false,
    )
    .unwrap()
}

/// What a release without a StatefulSet or events answers (the claim-template and admission
/// checks read them).
fn quiet_namespace() -> Vec<Rule> {
    let empty = list_json::<serde_json::Value>(&[]);
    vec![
        reply("*get\\ statefulsets*", &empty),
        reply("*get\\ events*", &empty),
    ]
}

fn kubectl_rules(pods: &str) -> Vec<Rule> {
    let mut rules = vec![
        reply("config\\ current-context", "todo-chatbot\n"),
        reply("*get\\ pods*", pods),
    ];
    rules.extend(quiet_namespace());
    rules
}

/// kubectl answering `get pods` with `before` until the fake helm has started the upgrade
/// (it touches `$DIR/upgrading`), then with `after`.
fn kubectl_rules_during_upgrade(before: &str, after: &str) -> Vec<Rule> {
    let mut rules = vec![
        reply("config\\ current-context", "todo-chatbot\n"),
        shell(
            "*get\\ pods*",
            &format!(
                "if [ -f \"$DIR/upgrading\" ]; then cat <<'EOF'\n{after}\nEOF\nelse cat <<'EOF'\n{before}\nEOF\nfi"
            ),
        ),
    ];
    rules.extend(quiet_namespace());
    rules
}

fn secrets() -> Secrets {
    Secrets {
        jwt_secret: Some(JWT.into()),
        openai_api_key: Some(OPENAI.into()),
        postgres_password: None,
    }
}

fn options() -> DeployOptions {
    DeployOptions {
        secrets: secrets(),
        backend_tag: Some("sha-b".into()),
        frontend_tag: Some("sha-f".into()),
        ..DeployOptions::new(repo_root().join("helm/todo-chatbot"), Profile::Dev)
    }
}

#[test]
fn deploy_passes_secrets_in_a_0600_file_and_never_in_argv() {
    let mut fakes = Fakes::new();
    let healthy = list_json(&[pod(
        "b-1",
        "backend",
        "backend",
        "todo-chatbot-backend:sha-b",
    )]);
    fakes.tool("kubectl", kubectl_rules(&healthy));
    // The fake helm copies each values file it is given, with its mode, before "installing".
    fakes.tool(
        "helm",
        helm_rules(shell(
            "*upgrade\\ --install*",
            r#"for a in "$@"; do case "$a" in *todo-chatbot-secrets-*) stat -c '%a' "$a" > "$DIR/secrets.mode"; cat "$a" > "$DIR/secrets.copy";; esac; done
touch "$DIR/installed"; echo 'Release "todo-chatbot" has been upgraded. Happy Helming!'"#,
        )),
    );
    let cluster = connect(&fakes);
    let mut lines = Vec::new();
    let outcome = deploy::deploy(&Runner::live(), &cluster, &options(), |l| {
        lines.push(l.to_owned())
    })
    .unwrap();
    assert_eq!(
        outcome,
        DeployOutcome::Deployed {
            revision: 1,
            helm: cluster::HelmMajor::V4
        }
    );
    assert_eq!(
        std::fs::read_to_string(fakes.path("secrets.mode"))
            .unwrap()
            .trim(),
        "600"
    );
    let copy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fakes.path("secrets.copy")).unwrap())
            .unwrap();
    assert_eq!(copy["secrets"]["jwtSecret"], JWT);
    assert_eq!(copy["secrets"]["openaiApiKey"], OPENAI);
    let calls = fakes.calls().join("\n");
    assert!(!calls.contains(JWT) && !calls.contains(OPENAI), "{calls}");
    assert!(!lines.join("\n").contains(JWT));
    assert!(
        calls.contains("kubectl --context todo-chatbot create namespace todo-chatbot"),
        "{calls}"
    );
    assert!(
        calls.contains("--rollback-on-failure --wait=watcher"),
        "{calls}"
    );
    // The temporary file is gone once helm is done.
    let upgrade = fakes
        .calls()
        .into_iter()
        .find(|c| c.contains("upgrade --install"))
        .unwrap();
    let file = upgrade
        .split(' ')
        .find(|a| a.contains("todo-chatbot-secrets-"))
        .unwrap()
        .to_owned();
    assert!(
        !std::path::Path::new(&file).exists(),
        "{file} was left behind"
    );
}

#[test]
fn deploy_stops_at_once_on_a_crash_loop_with_the_reason_and_the_last_log_lines() {
    let mut fakes = Fakes::new();
    let crashing = list_json(&[waiting_pod(
        "todo-chatbot-backend-7d9",
        "CrashLoopBackOff",
        "back-off 40s restarting failed container",
    )]);
    let empty = list_json::<k8s_openapi::api::core::v1::Pod>(&[]);
    let mut rules = kubectl_rules_during_upgrade(&empty, &crashing);
    rules.push(reply(
        "*logs\\ todo-chatbot-backend-7d9*--previous*",
        "starting todo-api\nerror: invalid configuration: JWT_SECRET must be at least 32 bytes\n",
    ));
    fakes.tool("kubectl", rules);
    // helm would wait for its whole timeout; it records the SIGTERM that stops it.
    fakes.tool(
        "helm",
        helm_rules(shell(
            "*upgrade\\ --install*",
            r#"trap 'echo TERM > "$DIR/helm.term"; exit 1' TERM
touch "$DIR/upgrading"
sleep 60 & wait"#,
        )),
    );
    let cluster = connect(&fakes);
    let err = deploy::deploy(&Runner::live(), &cluster, &options(), |_| {}).unwrap_err();
    let Error::Rollout(failure) = &err else {
        panic!("not a rollout failure: {err}")
    };
    assert_eq!(failure.reason, "CrashLoopBackOff");
    assert_eq!(failure.pod, "todo-chatbot-backend-7d9");
    assert!(
        failure
            .logs
            .contains("JWT_SECRET must be at least 32 bytes"),
        "{failure:?}"
    );
    let message = err.to_string();
    assert!(message.contains("last log lines"), "{message}");
    assert!(
        fakes.path("helm.term").exists(),
        "helm was not asked to stop (and roll back)"
    );
}

#[test]
fn deploy_reports_a_missing_image_without_logs() {
    let mut fakes = Fakes::new();
    let missing = list_json(&[waiting_pod(
        "b-1",
        "ErrImageNeverPull",
        "Container image \"todo-chatbot-backend:abc123\" is not present with pull policy of Never",
    )]);
    let empty = list_json::<k8s_openapi::api::core::v1::Pod>(&[]);
    fakes.tool("kubectl", kubectl_rules_during_upgrade(&empty, &missing));
    fakes.tool(
        "helm",
        helm_rules(shell(
            "*upgrade\\ --install*",
            "touch \"$DIR/upgrading\"; sleep 60 & wait",
        )),
    );
    let err = deploy::deploy(&Runner::live(), &connect(&fakes), &options(), |_| {}).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("ErrImageNeverPull"), "{message}");
    assert!(
        message.contains("minikube -p todo-chatbot image load todo-chatbot-backend:abc123"),
        "{message}"
    );
    assert!(!fakes.calls().iter().any(|c| c.contains(" logs ")));
}

#[test]
fn a_crash_loop_of_the_old_revision_does_not_stop_the_deploy_that_fixes_it() {
    let mut fakes = Fakes::new();
    let old = list_json(&[waiting_pod(
        "todo-chatbot-backend-old",
        "CrashLoopBackOff",
        "back-off",
    )]);
    fakes.tool("kubectl", kubectl_rules(&old));
    // helm takes a few polls to finish, during which the old pod still crash loops.
    fakes.tool(
        "helm",
        helm_rules(shell(
            "*upgrade\\ --install*",
            "sleep 5; touch \"$DIR/installed\"",
        )),
    );
    let outcome = deploy::deploy(&Runner::live(), &connect(&fakes), &options(), |_| {}).unwrap();
    assert!(
        matches!(outcome, DeployOutcome::Deployed { .. }),
        "{outcome:?}"
    );
}

#[test]
fn a_second_deploy_with_nothing_changed_is_a_no_op() {
    let mut fakes = Fakes::new();
    fakes.tool(
        "kubectl",
        kubectl_rules(&list_json::<k8s_openapi::api::core::v1::Pod>(&[])),
    );
    let manifest = "---\n# Source: todo-chatbot/templates/service-backend.yaml\napiVersion: v1\nkind: Service\n";
    fakes.tool(
        "helm",
        vec![
            reply("version\\ --short", "v4.1.4+g05fa379\n"),
            reply("*\\ status\\ *", status_json(4, "deployed")),
            reply("*get\\ manifest*", manifest),
            reply(
                "*upgrade\\ --install*--dry-run=server*",
                serde_json::json!({"name": "todo-chatbot", "manifest": format!("{manifest}\n")})
                    .to_string(),
            ),
            fail("*upgrade\\ --install*", "a real upgrade must not run", 1),
        ],
    );
    let outcome = deploy::deploy(&Runner::live(), &connect(&fakes), &options(), |_| {}).unwrap();
    assert_eq!(outcome, DeployOutcome::Unchanged { revision: 4 });
    let upgrades: Vec<String> = fakes
        .calls()
        .into_iter()
        .filter(|c| c.contains("upgrade"))
        .collect();
    assert_eq!(upgrades.len(), 1, "{upgrades:?}");
    assert!(upgrades[0].contains("--dry-run=server"));
}

#[test]
fn a_changed_manifest_is_upgraded() {
    assert!(deploy::same_manifest("---\na: 1\n", "a: 1"));
    assert!(!deploy::same_manifest("---\na: 1\n", "---\na: 2\n"));
}

#[test]
fn a_context_that_is_not_the_minikube_profile_is_refused_without_context() {
    let mut fakes = Fakes::new();
    fakes.tool(
        "kubectl",
        vec![reply("config\\ current-context", "gke_prod_europe-west1\n")],
    );
    for dry_run in [false, true] {
        let err = Cluster::connect(
            tools(&fakes),
            "todo-chatbot",
            None,
            "todo-chatbot",
            "todo-chatbot",
            dry_run,
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("`gke_prod_europe-west1`, not the Minikube profile `todo-chatbot`"),
            "{message}"
        );
        assert!(
            message.contains("pass `--context gke_prod_europe-west1`"),
            "{message}"
        );
    }
    let cluster = Cluster::connect(
        tools(&fakes),
        "todo-chatbot",
        Some("gke_prod_europe-west1"),
        "todo-chatbot",
        "todo-chatbot",
        false,
    )
    .unwrap();
    assert_eq!(cluster.target.source, cluster::ContextSource::Explicit);
    assert_eq!(cluster.kubectl().context(), Some("gke_prod_europe-west1"));
}

#[test]
fn the_target_is_minikube_when_its_context_is_the_profiles_however_it_was_chosen() {
    let mut fakes = Fakes::new();
    fakes.tool(
        "kubectl",
        vec![reply("config\\ current-context", "todo-chatbot\n")],
    );
    let check = |explicit: Option<&str>, expect: Option<&str>| {
        let cluster = Cluster::connect(
            tools(&fakes),
            "todo-chatbot",
            explicit,
            "todo-chatbot",
            "todo-chatbot",
            false,
        )
        .unwrap();
        assert_eq!(
            cluster.target.minikube_profile.as_deref(),
            expect,
            "{explicit:?}"
        );
        assert_eq!(
            cluster.fix_context().minikube_profile,
            expect,
            "{explicit:?}"
        );
    };
    check(None, Some("todo-chatbot"));
    check(Some("todo-chatbot"), Some("todo-chatbot"));
    check(Some("kind-dev"), None);
}

#[test]
fn a_live_run_without_any_context_is_refused() {
    let mut fakes = Fakes::new();
    fakes.tool(
        "kubectl",
        vec![fail(
            "config\\ current-context",
            "error: current-context is not set",
            1,
        )],
    );
    let err = Cluster::connect(
        tools(&fakes),
        "todo-chatbot",
        None,
        "todo-chatbot",
        "todo-chatbot",
        false,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("minikube start -p todo-chatbot"),
        "{err}"
    );
}

const DUMP: &str = "--\n-- PostgreSQL database dump\n--\nDROP TABLE IF EXISTS public.tasks;\nCREATE TABLE public.tasks (id bigint);\n--\n-- PostgreSQL database dump complete\n--\n";

fn db_cluster(fakes: &mut Fakes, dump: &str) -> Cluster {
    fakes.tool(
        "kubectl",
        vec![
            reply("config\\ current-context", "todo-chatbot\n"),
            reply(
                "*get\\ statefulsets*",
                crate::fixtures::database_statefulsets("todo-chatbot-postgresql"),
            ),
            reply("*exec\\ statefulset/todo-chatbot-postgresql*pg_dump*", dump),
        ],
    );
    connect(fakes)
}

#[test]
fn backup_streams_pg_dump_from_the_pod_into_a_0600_file() {
    let mut fakes = Fakes::new();
    let cluster = db_cluster(&mut fakes, DUMP);
    let file = fakes.path("backup.sql");
    let bytes = db::backup(&Runner::live(), &cluster, &file).unwrap();
    assert_eq!(bytes, DUMP.len() as u64);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), DUMP);
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let call = fakes.calls().pop().unwrap();
    assert!(
        call.contains(
            "exec statefulset/todo-chatbot-postgresql --container postgresql -- sh -c exec pg_dump"
        ),
        "{call}"
    );
}

#[test]
fn an_incomplete_dump_leaves_no_file() {
    let mut fakes = Fakes::new();
    let cluster = db_cluster(&mut fakes, "--\n-- PostgreSQL database dump\nCREATE TABLE");
    let file = fakes.path("backup.sql");
    let err = db::backup(&Runner::live(), &cluster, &file).unwrap_err();
    assert!(err.to_string().contains("incomplete"), "{err}");
    assert!(!file.exists());
}

#[test]
fn restore_feeds_the_dump_to_psql_on_stdin_and_rejects_other_files() {
    let mut fakes = Fakes::new();
    let cluster = db_cluster(&mut fakes, DUMP);
    let file = fakes.path("backup.sql");
    std::fs::write(&file, DUMP).unwrap();
    db::restore(&Runner::live(), &cluster, &file).unwrap();
    assert_eq!(fakes.stdin_of("kubectl"), DUMP);
    let call = fakes.calls().pop().unwrap();
    assert!(
        call.contains("exec --stdin statefulset/todo-chatbot-postgresql"),
        "{call}"
    );
    assert!(
        call.contains("ON_ERROR_STOP=1 --single-transaction"),
        "{call}"
    );

    let bad = fakes.path("notes.txt");
    std::fs::write(&bad, "hello").unwrap();
    let err = db::restore(&Runner::live(), &cluster, &bad).unwrap_err();
    assert!(err.to_string().contains("not a complete dump"), "{err}");
}

#[test]
fn db_plans_record_commands_and_touch_no_file() {
    let mut fakes = Fakes::new();
    let cluster = db_cluster(&mut fakes, DUMP);
    let runner = Runner::dry_run();
    let file = fakes.path("never.sql");
    db::backup(&runner, &cluster, &file).unwrap();
    assert!(!file.exists());
    assert_eq!(runner.recorded().len(), 1);
}

#[test]
fn status_summarises_helm_and_the_pods() {
    let mut fakes = Fakes::new();
    let pods = list_json(&[
        pod(
            "todo-chatbot-backend-1",
            "backend",
            "backend",
            "todo-chatbot-backend:sha-b",
        ),
        waiting_pod("todo-chatbot-backend-2", "CrashLoopBackOff", ""),
    ]);
    let mut rules = kubectl_rules(&pods);
    rules.push(reply(
        "*get\\ services*",
        list_json::<k8s_openapi::api::core::v1::Service>(&[]),
    ));
    rules.push(reply(
        "*get\\ persistentvolumeclaims*",
        list_json::<k8s_openapi::api::core::v1::PersistentVolumeClaim>(&[]),
    ));
    rules.push(reply(
        "*get\\ horizontalpodautoscalers.v2.autoscaling*",
        list_json::<k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler>(&[]),
    ));
    rules.push(fail(
        "*get\\ --raw\\ /apis/metrics.k8s.io/*",
        "Error from server (NotFound): the server could not find the requested resource\n",
        1,
    ));
    fakes.tool("kubectl", rules);
    fakes.tool(
        "helm",
        vec![
            reply("version\\ --short", "v3.17.2+gcc0bbbd\n"),
            reply("*\\ status\\ *", status_json(2, "deployed")),
        ],
    );
    let report = status::status(&connect(&fakes)).unwrap();
    let status::Usage::Unavailable { reason } = &report.usage else {
        panic!("no metrics API, yet usage: {:?}", report.usage)
    };
    assert!(
        reason.contains("could not find the requested resource")
            && reason.contains("metrics-server"),
        "{reason}"
    );
    assert_eq!(report.release.as_ref().unwrap().version, 2);
    assert_eq!(report.pods.len(), 2);
    assert_eq!(report.pods[1].reason.as_deref(), Some("CrashLoopBackOff"));
    assert_eq!(report.pods[1].ready, "0/1");
    assert!(!report.healthy());
}

#[test]
fn minikube_start_streams_progress_from_the_real_command_line() {
    let mut fakes = Fakes::new();
    let program = fakes.tool(
        "minikube",
        vec![reply("start*", "😄  [todo-chatbot] minikube v1.36.0\n🏄  Done! kubectl is now configured to use \"todo-chatbot\" cluster\n")],
    );
    let mut lines = Vec::new();
    cluster::minikube::start(
        &Runner::live(),
        &program,
        &cluster::MinikubeOptions::default(),
        |l| lines.push(l.to_owned()),
    )
    .unwrap();
    assert!(lines.iter().any(|l| l.contains("Done!")), "{lines:?}");
    assert!(fakes.calls()[0].contains("--wait=all"));
    let _ = Duration::ZERO;
}
