use std::collections::HashMap;

use cluster::ai::{self, AiBackend, AiEnv};
use cluster::doctor::DoctorContext;
use cluster::{Cluster, MinikubeOptions};

use crate::fake::{Fakes, reply};
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
    let tools = fakes.tools();
    ai::choose_backend(&tools.kubectl_ai, &tools.kagent, &env, || kagent_ready)
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
        fakes.tools(),
        "todo-chatbot",
        None,
        "todo-chatbot",
        "todo-chatbot",
        false,
    )
    .unwrap()
}

#[test]
fn kubectl_ai_gets_the_question_scoped_to_our_context_and_namespace() {
    let mut fakes = Fakes::new();
    fakes.tool(
        "kubectl",
        vec![reply("config\\ current-context", "todo-chatbot\n")],
    );
    fakes.tool(
        "kubectl-ai",
        vec![reply(
            "--quiet*",
            "The backend pod is crash looping because JWT_SECRET is too short.\n",
        )],
    );
    let vars = env_of(&[("GEMINI_API_KEY", "g-secret")]);
    let lookup = |k: &str| vars.get(k).cloned();
    let env = AiEnv {
        var: &lookup,
        home: None,
    };
    let answer = ai::ask(
        &connect(&fakes),
        "why is the backend down?",
        &env,
        &doctor_ctx(),
    )
    .unwrap();
    assert_eq!(answer.backend, kubectl_ai(&[]));
    assert!(answer.answer.contains("JWT_SECRET is too short"));
    let call = fakes
        .calls()
        .into_iter()
        .find(|c| c.starts_with("kubectl-ai"))
        .unwrap();
    assert!(
        call.starts_with("kubectl-ai --quiet why is the backend down?"),
        "{call}"
    );
    assert!(
        call.contains("context `todo-chatbot`, namespace `todo-chatbot`"),
        "{call}"
    );
    assert!(!call.contains("g-secret"));
}

#[test]
fn kagent_is_invoked_with_the_k8s_agent_and_a_task() {
    let mut fakes = Fakes::new();
    fakes.tool(
        "kubectl",
        vec![
            reply("config\\ current-context", "todo-chatbot\n"),
            reply(
                "*--namespace\\ kagent\\ get\\ agents.kagent.dev\\ k8s-agent*",
                "agent.kagent.dev/k8s-agent\n",
            ),
        ],
    );
    fakes.tool(
        "kagent",
        vec![reply("invoke*", "All pods in todo-chatbot are running.\n")],
    );
    let lookup = |_: &str| None;
    let env = AiEnv {
        var: &lookup,
        home: None,
    };
    let answer = ai::ask(
        &connect(&fakes),
        "is everything healthy?",
        &env,
        &doctor_ctx(),
    )
    .unwrap();
    assert_eq!(answer.backend, AiBackend::Kagent);
    assert_eq!(answer.answer, "All pods in todo-chatbot are running.\n");
    let call = fakes
        .calls()
        .into_iter()
        .find(|c| c.starts_with("kagent"))
        .unwrap();
    assert!(
        call.starts_with("kagent invoke --agent k8s-agent --task is everything healthy?"),
        "{call}"
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
    let answer = ai::ask(&connect(&fakes), "why is it broken?", &env, &doctor_ctx()).unwrap();
    assert!(matches!(answer.backend, AiBackend::Doctor { .. }));
    assert_eq!(answer.findings.len(), 1, "{}", answer.answer);
    assert_eq!(answer.findings[0].rule, "image-not-in-minikube");
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
