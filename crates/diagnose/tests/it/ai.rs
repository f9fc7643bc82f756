use std::collections::HashMap;

use cluster::{Cluster, MinikubeOptions};
use diagnose::{AiBackend, AiEnv, DoctorContext};

use crate::fake::{Fakes, Rule, fail, reply, shell, tools};
use crate::fixtures::{list_json, waiting_pod};

fn env_of(vars: &[(&str, &str)]) -> HashMap<String, String> {
    vars.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn choose(fakes: &Fakes, vars: &[(&str, &str)], kagent_ready: bool) -> AiBackend {
    let vars = env_of(vars);
    let lookup = |k: &str| vars.get(k).cloned();
    let env = AiEnv {
        var: &lookup,
        home: Some(fakes.dir.path().join("home")),
    };
    let tools = tools(fakes);
    diagnose::choose_backend(&tools.kubectl_ai, &tools.kagent, &env, || kagent_ready)
}

fn check(fakes: &Fakes, vars: &[(&str, &str)], kagent_ready: bool, expect: AiBackend) {
    assert_eq!(choose(fakes, vars, kagent_ready), expect, "{vars:?}");
}

fn kubectl_ai(flags: &[&str]) -> AiBackend {
    AiBackend::KubectlAi {
        flags: flags.iter().map(|f| (*f).to_owned()).collect(),
    }
}

#[test]
fn kubectl_ai_is_chosen_only_with_a_provider_configured() {
    let mut fakes = Fakes::new();
    fakes.tool("kubectl-ai", vec![]);
    check(&fakes, &[("GEMINI_API_KEY", "g")], false, kubectl_ai(&[]));
    check(
        &fakes,
        &[("OPENAI_API_KEY", "o")],
        false,
        kubectl_ai(&["--llm-provider=openai", "--model=gpt-4.1"]),
    );
    check(
        &fakes,
        &[
            ("OLLAMA_HOST", "http://127.0.0.1:11434"),
            ("KUBECTL_AI_MODEL", "qwen3:8b"),
        ],
        false,
        kubectl_ai(&[
            "--llm-provider=ollama",
            "--model=qwen3:8b",
            "--enable-tool-use-shim",
        ]),
    );
    check(
        &fakes,
        &[
            ("KUBECTL_AI_PROVIDER", "grok"),
            ("KUBECTL_AI_MODEL", "grok-3-beta"),
        ],
        false,
        kubectl_ai(&["--llm-provider=grok", "--model=grok-3-beta"]),
    );
    let AiBackend::Doctor { reason } = choose(&fakes, &[], false) else {
        panic!("expected doctor")
    };
    assert!(reason.contains("no LLM provider configured"), "{reason}");
    let config = fakes.dir.path().join("home/.config/kubectl-ai");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.yaml"), "llm-provider: gemini\n").unwrap();
    check(&fakes, &[], false, kubectl_ai(&[]));
}

#[test]
fn kagent_is_chosen_when_its_agent_is_in_the_cluster() {
    let mut fakes = Fakes::new();
    fakes.tool("kagent", vec![]);
    check(&fakes, &[], true, AiBackend::Kagent);
    let AiBackend::Doctor { reason } = choose(&fakes, &[], false) else {
        panic!("expected doctor")
    };
    assert!(reason.contains("k8s-agent"), "{reason}");
}

#[test]
fn without_any_agent_doctor_answers() {
    let fakes = Fakes::new();
    let AiBackend::Doctor { reason } = choose(&fakes, &[("GEMINI_API_KEY", "g")], true) else {
        panic!("expected doctor")
    };
    assert!(
        reason.contains("neither kubectl-ai nor kagent is installed"),
        "{reason}"
    );
}

fn doctor_ctx() -> DoctorContext {
    DoctorContext {
        minikube: MinikubeOptions::default(),
        namespace: "todo-chatbot".into(),
        release: "todo-chatbot".into(),
    }
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

/// What `kubectl config view --minify --flatten` prints for the target context.
const MINIFIED: &str = "apiVersion: v1\nkind: Config\ncurrent-context: todo-chatbot\ncontexts:\n- name: todo-chatbot\n  context: {cluster: todo-chatbot, user: todo-chatbot}\n";

fn kubectl_rules(extra: Vec<crate::fake::Rule>) -> Vec<crate::fake::Rule> {
    let mut rules = vec![
        reply("config\\ current-context", "todo-chatbot\n"),
        reply(
            "--context\\ todo-chatbot\\ config\\ view\\ --minify\\ --flatten",
            MINIFIED,
        ),
    ];
    rules.extend(extra);
    rules
}

/// A fake agent that keeps what it was pinned to ($DIR/seen-*) and then prints `stdout`.
fn recording_agent(stdout: &str) -> String {
    format!(
        "cp \"$KUBECONFIG\" \"$DIR/seen-kubeconfig\"; printf '%s' \"$KUBECONFIG\" > \"$DIR/seen-env\"\ncat <<'ANSWER'\n{stdout}\nANSWER\n"
    )
}

fn no_env() -> impl Fn(&str) -> Option<String> {
    |_: &str| None
}

#[test]
fn kubectl_ai_gets_the_scoped_question_and_a_kubeconfig_pinned_to_the_target() {
    let mut fakes = Fakes::new();
    fakes.tool("kubectl", kubectl_rules(vec![]));
    // kubectl-ai's terminal UI colours its tool calls (green) before the answer.
    fakes.tool(
        "kubectl-ai",
        vec![shell(
            "--kubeconfig\\ *\\ --quiet\\ *",
            &recording_agent(
                "\u{1b}[32m  Running: kubectl get pods -n todo-chatbot\u{1b}[0m\nThe backend pod is crash looping because JWT_SECRET is too short.",
            ),
        )],
    );
    let vars = env_of(&[("GEMINI_API_KEY", "g-secret")]);
    let lookup = |k: &str| vars.get(k).cloned();
    let env = AiEnv {
        var: &lookup,
        home: None,
    };
    let answer = diagnose::ask(
        &connect(&fakes),
        "why is the backend down?",
        &env,
        &doctor_ctx(),
    )
    .unwrap();
    assert_eq!(answer.backend, kubectl_ai(&[]));
    assert_eq!(
        answer.answer,
        "Running: kubectl get pods -n todo-chatbot\nThe backend pod is crash looping because JWT_SECRET is too short.\n"
    );
    let call = fakes
        .calls()
        .into_iter()
        .find(|c| c.starts_with("kubectl-ai"))
        .unwrap();
    let seen_env = std::fs::read_to_string(fakes.path("seen-env")).unwrap();
    assert!(
        call.starts_with(&format!(
            "kubectl-ai --kubeconfig {seen_env} --quiet why is the backend down?"
        )),
        "{call}"
    );
    assert_eq!(
        std::fs::read_to_string(fakes.path("seen-kubeconfig")).unwrap(),
        MINIFIED,
        "the agent reads the target context alone"
    );
    assert!(
        !std::path::Path::new(&seen_env).exists(),
        "the pinned kubeconfig (credentials inside) outlives the run"
    );
    assert!(
        call.contains(
            "context `todo-chatbot`, namespace `todo-chatbot`, Helm release `todo-chatbot`"
        ),
        "{call}"
    );
    assert!(call.contains("Only read; do not change anything"), "{call}");
    assert!(!call.contains("--skip-permissions"), "{call}");
    assert!(!call.contains("g-secret"));
}

#[test]
fn a_failing_kubectl_ai_hands_over_to_doctor_with_its_error() {
    let mut fakes = Fakes::new();
    fakes.tool(
        "kubectl",
        kubectl_rules(vec![reply(
            "*get\\ pods*",
            list_json::<k8s_openapi::api::core::v1::Pod>(&[]),
        )]),
    );
    fakes.tool(
        "kubectl-ai",
        vec![fail(
            "*",
            "creating llm client: GEMINI_API_KEY environment variable not set\n",
            1,
        )],
    );
    let vars = env_of(&[("GEMINI_API_KEY", "g")]);
    let lookup = |k: &str| vars.get(k).cloned();
    let env = AiEnv {
        var: &lookup,
        home: None,
    };
    let answer = diagnose::ask(&connect(&fakes), "status?", &env, &doctor_ctx()).unwrap();
    let AiBackend::Doctor { reason } = &answer.backend else {
        panic!("expected doctor: {answer:?}")
    };
    assert!(reason.starts_with("kubectl-ai failed"), "{reason}");
    assert!(
        reason.contains("GEMINI_API_KEY environment variable not set"),
        "{reason}"
    );
    assert!(
        answer
            .command
            .as_deref()
            .is_some_and(|c| c.contains("kubectl-ai"))
    );
}

/// kubectl that finds kagent's agent and forwards to kagent-controller: a listener on the
/// local port it was asked for, as `kubectl port-forward` opens one.
fn kagent_kubectl(fakes: &mut Fakes) {
    fakes.tool(
        "kubectl",
        kubectl_rules(vec![
            reply(
                "*--namespace\\ kagent\\ get\\ agents.kagent.dev\\ k8s-agent*",
                "agent.kagent.dev/k8s-agent\n",
            ),
            shell(
                "--context\\ todo-chatbot\\ --namespace\\ kagent\\ port-forward\\ *svc/kagent-controller\\ *:8083",
                "for a in \"$@\"; do case $a in *:8083) port=${a%%:*};; esac; done\nexec socat TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr SYSTEM:true",
            ),
            reply(
                "*get\\ pods*",
                list_json::<k8s_openapi::api::core::v1::Pod>(&[]),
            ),
        ]),
    );
}

fn kagent_fixture(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/kagent")
            .join(name),
    )
    .unwrap()
}

#[test]
fn kagent_goes_through_our_forward_to_the_target_and_its_task_text_is_the_answer() {
    let mut fakes = Fakes::new();
    kagent_kubectl(&mut fakes);
    fakes.tool(
        "kagent",
        vec![shell(
            "invoke\\ *",
            &recording_agent(kagent_fixture("task-artifacts-a2a-v1.json").trim()),
        )],
    );
    let lookup = no_env();
    let env = AiEnv {
        var: &lookup,
        home: None,
    };
    let answer = diagnose::ask(
        &connect(&fakes),
        "is everything healthy?",
        &env,
        &doctor_ctx(),
    )
    .unwrap();
    assert_eq!(answer.backend, AiBackend::Kagent, "{answer:?}");
    assert_eq!(
        answer.answer,
        "The backend pod todo-chatbot-backend-7d9c5b6f4-x2kqz is in CrashLoopBackOff: its log says JWT_SECRET must be at least 32 bytes.\nFix: set a 32-byte JWT_SECRET and run `just deploy`.\n"
    );
    let call = fakes
        .calls()
        .into_iter()
        .find(|c| c.starts_with("kagent"))
        .unwrap();
    let forward = fakes
        .calls()
        .into_iter()
        .find(|c| c.contains("port-forward"))
        .unwrap();
    let port = forward
        .rsplit(' ')
        .next()
        .unwrap()
        .split(':')
        .next()
        .unwrap();
    assert!(
        call.starts_with(&format!(
            "kagent invoke --kagent-url http://127.0.0.1:{port} --agent k8s-agent --task is everything healthy?"
        )),
        "{call}"
    );
    assert_eq!(
        std::fs::read_to_string(fakes.path("seen-kubeconfig")).unwrap(),
        MINIFIED
    );
}

#[test]
fn kagent_failing_with_exit_0_hands_over_to_doctor_with_its_error() {
    let mut fakes = Fakes::new();
    kagent_kubectl(&mut fakes);
    let stderr = kagent_fixture("stderr-invoke-timeout.txt");
    fakes.tool(
        "kagent",
        vec![Rule {
            glob: "invoke\\ *".into(),
            stdout: String::new(),
            stderr: stderr.clone(),
            status: 0,
            shell: None,
        }],
    );
    let lookup = no_env();
    let env = AiEnv {
        var: &lookup,
        home: None,
    };
    let answer = diagnose::ask(&connect(&fakes), "status?", &env, &doctor_ctx()).unwrap();
    let AiBackend::Doctor { reason } = &answer.backend else {
        panic!("expected doctor: {answer:?}")
    };
    assert!(reason.starts_with("kagent failed"), "{reason}");
    assert!(reason.contains(stderr.trim()), "{reason}");
    assert!(
        !answer.answer.contains("Error invoking session"),
        "{}",
        answer.answer
    );
    assert!(
        answer.next_commands.iter().any(|c| c.contains("get pods")),
        "{answer:?}"
    );
}

#[test]
fn kagent_without_a_controller_to_forward_to_hands_over_to_doctor() {
    let mut fakes = Fakes::new();
    fakes.tool(
        "kubectl",
        kubectl_rules(vec![
            reply(
                "*--namespace\\ kagent\\ get\\ agents.kagent.dev\\ k8s-agent*",
                "agent.kagent.dev/k8s-agent\n",
            ),
            fail(
                "*port-forward*",
                "Error from server (NotFound): services \"kagent-controller\" not found\n",
                1,
            ),
            reply(
                "*get\\ pods*",
                list_json::<k8s_openapi::api::core::v1::Pod>(&[]),
            ),
        ]),
    );
    fakes.tool("kagent", vec![]);
    let lookup = no_env();
    let env = AiEnv {
        var: &lookup,
        home: None,
    };
    let answer = diagnose::ask(&connect(&fakes), "status?", &env, &doctor_ctx()).unwrap();
    let AiBackend::Doctor { reason } = &answer.backend else {
        panic!("expected doctor: {answer:?}")
    };
    assert!(
        reason.contains("could not reach kagent-controller"),
        "{reason}"
    );
    assert!(
        reason.contains("\"kagent-controller\" not found"),
        "{reason}"
    );
    assert!(
        !fakes.calls().iter().any(|c| c.starts_with("kagent ")),
        "kagent ran without a forward to the target"
    );
}

/// `kagent_answer(stdout, stderr)` is `Ok(answer)` or `Err(reason)`; both are matched by
/// the text they must contain.
fn check_kagent(stdout: &str, stderr: &str, expect: Result<&str, &str>) {
    let got = diagnose::kagent_answer(stdout, stderr);
    match (&got, expect) {
        (Ok(answer), Ok(want)) => assert!(answer.contains(want), "{answer:?} lacks {want:?}"),
        (Err(reason), Err(want)) => assert!(reason.contains(want), "{reason:?} lacks {want:?}"),
        _ => panic!("stdout {stdout:?} stderr {stderr:?}: got {got:?}, expected {expect:?}"),
    }
}

#[test]
fn kagent_output_is_read_as_an_answer_or_a_failure() {
    let f = kagent_fixture;
    check_kagent(
        &f("task-artifacts-a2a-v1.json"),
        "",
        Ok("CrashLoopBackOff: its log says JWT_SECRET must be at least 32 bytes.\nFix:"),
    );
    check_kagent(
        &f("task-history-trpc.json"),
        "",
        Ok("All three pods in todo-chatbot are Running and Ready"),
    );
    check_kagent(&f("message-reply.json"), "", Ok("deployed at revision 3"));
    check_kagent(
        &f("task-failed-a2a-v1.json"),
        "",
        Err("ended failed: litellm.AuthenticationError"),
    );
    check_kagent(
        &f("task-input-required.json"),
        "",
        Err("ended input-required: Which namespace do you mean?"),
    );
    check_kagent(
        "",
        &f("stderr-no-controller.txt"),
        Err(
            "kagent printed no result; its stderr: Error starting port-forward: failed to establish connection to kagent-controller",
        ),
    );
    check_kagent(
        "",
        &f("stderr-invoke-timeout.txt"),
        Err("Error invoking session"),
    );
    check_kagent("", "", Err("kagent printed no result"));
    check_kagent(
        "Usage:\n  kagent invoke [flags]\n",
        "",
        Err("not an A2A result: Usage:"),
    );
    check_kagent(
        r#"{"kind":"task","id":"t","contextId":"c","status":{"state":"working"}}"#,
        "",
        Err("still working"),
    );
    check_kagent(
        r#"{"id":"t","contextId":"c","status":{"state":"TASK_STATE_COMPLETED"},"artifacts":[{"artifactId":"a","parts":[{"data":{"k":"v"}}]}]}"#,
        "",
        Err("completed without any text"),
    );
    check_kagent(
        r#"{"jsonrpc":"2.0"}"#,
        "",
        Err("neither an A2A task nor a message"),
    );
}

#[test]
fn kubectl_ai_output_loses_its_colours_and_an_empty_or_failed_run_is_no_answer() {
    let out = |status: i32, stdout: &str, stderr: &str| exec::Output {
        status,
        stdout: stdout.into(),
        stderr: stderr.into(),
    };
    assert_eq!(
        diagnose::kubectl_ai_answer(&out(0, "\u{1b}[1;32mPods\u{1b}[0m: 3 running\n\n", "")),
        Ok("Pods: 3 running\n".to_owned())
    );
    let empty = diagnose::kubectl_ai_answer(&out(0, "\u{1b}[0m\n", "warning: tool shim\n"));
    assert!(
        empty
            .as_ref()
            .is_err_and(|e| e.contains("no answer; its stderr: warning: tool shim")),
        "{empty:?}"
    );
    let failed = diagnose::kubectl_ai_answer(&out(1, "", "running agent: 401 Unauthorized\n"));
    assert!(
        failed
            .as_ref()
            .is_err_and(|e| e.contains("status 1: running agent: 401 Unauthorized")),
        "{failed:?}"
    );
}

#[test]
fn the_fallback_answers_with_doctor_and_the_commands_to_look_further() {
    let mut fakes = Fakes::new();
    let pods = list_json(&[waiting_pod(
        "todo-chatbot-backend-9",
        "ErrImageNeverPull",
        "image not present",
    )]);
    fakes.tool(
        "kubectl",
        vec![
            reply("config\\ current-context", "todo-chatbot\n"),
            reply("*get\\ pods*", pods),
            reply(
                "*get\\ events*",
                list_json::<k8s_openapi::api::core::v1::Event>(&[]),
            ),
            reply(
                "*get\\ persistentvolumeclaims*",
                list_json::<k8s_openapi::api::core::v1::PersistentVolumeClaim>(&[]),
            ),
            reply(
                "*get\\ configmaps*",
                list_json::<k8s_openapi::api::core::v1::ConfigMap>(&[]),
            ),
        ],
    );
    fakes.tool(
        "minikube",
        vec![reply(
            "-p\\ todo-chatbot\\ image\\ ls",
            "docker.io/library/postgres:17-alpine\n",
        )],
    );
    let lookup = |_: &str| None;
    let env = AiEnv {
        var: &lookup,
        home: None,
    };
    let answer = diagnose::ask(&connect(&fakes), "why is it broken?", &env, &doctor_ctx()).unwrap();
    assert!(matches!(answer.backend, AiBackend::Doctor { .. }));
    assert_eq!(answer.findings.len(), 1, "{}", answer.answer);
    assert_eq!(answer.findings[0].rule, "image-not-loaded");
    assert!(
        answer
            .answer
            .contains("does not list todo-chatbot-backend:abc123"),
        "{}",
        answer.answer
    );
    assert!(
        answer.next_commands.contains(
            &"kubectl --context todo-chatbot -n todo-chatbot describe pod todo-chatbot-backend-9"
                .to_owned()
        )
    );
}
