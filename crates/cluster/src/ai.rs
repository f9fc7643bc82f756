//! `todoctl ai "<question>"`: ask an AI agent about the deployment — kubectl-ai or kagent
//! when installed and configured, scoped to our context and namespace — or, without one,
//! answer with `doctor` and the kubectl commands that would show the rest.

use std::path::PathBuf;
use std::time::Duration;

use exec::Cmd;

use crate::deploy::Cluster;
use crate::doctor::{self, ClusterState, DoctorContext, Finding};
use crate::error::Result;

/// Which agent answers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "backend", rename_all = "kebab-case")]
pub enum AiBackend {
    /// `kubectl-ai --quiet`, with these provider flags.
    KubectlAi {
        /// `--llm-provider=…`, `--model=…`, `--enable-tool-use-shim` as needed.
        flags: Vec<String>,
    },
    /// `kagent invoke --agent k8s-agent --task …`.
    Kagent,
    /// No agent: doctor's findings and the kubectl commands to look further.
    Doctor {
        /// Why no agent was used.
        reason: String,
    },
}

/// What the caller's environment says (so tests need not touch the process environment).
pub struct AiEnv<'a> {
    /// Environment lookup (`|k| std::env::var(k).ok()`).
    pub var: &'a dyn Fn(&str) -> Option<String>,
    /// The home directory (for `~/.config/kubectl-ai/config.yaml`).
    pub home: Option<PathBuf>,
}

/// The agent kagent's demo profile installs and `kagent invoke` talks to.
pub const KAGENT_AGENT: &str = "k8s-agent";

fn installed(program: &str, env: &AiEnv<'_>) -> bool {
    exec::resolve_with(program, |k| (env.var)(k).map(Into::into))
        .map(|p| p.exists())
        .unwrap_or(false)
}

/// kubectl-ai's provider flags from the environment, or `None` when no provider is
/// configured. `KUBECTL_AI_PROVIDER`/`KUBECTL_AI_MODEL` (this kit's variables) choose
/// explicitly; otherwise a Gemini key (kubectl-ai's default provider), an OpenAI key, an
/// Ollama host, or kubectl-ai's own config file count as configured.
pub fn kubectl_ai_flags(env: &AiEnv<'_>) -> Option<Vec<String>> {
    let get = |k: &str| (env.var)(k).filter(|v| !v.is_empty());
    let model = get("KUBECTL_AI_MODEL");
    let with_model = |mut flags: Vec<String>, default: &str| {
        flags.push(format!(
            "--model={}",
            model.clone().unwrap_or_else(|| default.to_owned())
        ));
        flags
    };
    if let Some(provider) = get("KUBECTL_AI_PROVIDER") {
        let mut flags = vec![format!("--llm-provider={provider}")];
        if let Some(model) = &model {
            flags.push(format!("--model={model}"));
        }
        if provider == "ollama" {
            flags.push("--enable-tool-use-shim".into());
        }
        return Some(flags);
    }
    if get("GEMINI_API_KEY").is_some() {
        return Some(model.iter().map(|m| format!("--model={m}")).collect());
    }
    if get("OPENAI_API_KEY").is_some() {
        return Some(with_model(vec!["--llm-provider=openai".into()], "gpt-4.1"));
    }
    if get("OLLAMA_HOST").is_some() {
        let mut flags = with_model(vec!["--llm-provider=ollama".into()], "gemma3:12b-it-qat");
        flags.push("--enable-tool-use-shim".into());
        return Some(flags);
    }
    let config = env.home.as_ref()?.join(".config/kubectl-ai/config.yaml");
    config.exists().then(Vec::new)
}

/// Chooses the backend: kubectl-ai when installed with a provider configured, else kagent
/// when installed and `kagent_ready` (its k8s-agent exists in the cluster), else doctor.
pub fn choose_backend(
    kubectl_ai: &str,
    kagent: &str,
    env: &AiEnv<'_>,
    kagent_ready: impl FnOnce() -> bool,
) -> AiBackend {
    let has_kubectl_ai = installed(kubectl_ai, env);
    if has_kubectl_ai && let Some(flags) = kubectl_ai_flags(env) {
        return AiBackend::KubectlAi { flags };
    }
    let has_kagent = installed(kagent, env);
    if has_kagent && kagent_ready() {
        return AiBackend::Kagent;
    }
    let reason = match (has_kubectl_ai, has_kagent) {
        (false, false) => "neither kubectl-ai nor kagent is installed (see docs/ai-ops.md)".to_owned(),
        (true, _) => "kubectl-ai has no LLM provider configured (set GEMINI_API_KEY, OPENAI_API_KEY or OLLAMA_HOST; see docs/ai-ops.md)".to_owned(),
        (false, true) => format!("kagent is installed but its {KAGENT_AGENT} agent is not in the cluster (`kagent install --profile demo`)"),
    };
    AiBackend::Doctor { reason }
}

/// The question with the scope the agent must keep to.
pub fn scoped_question(cluster: &Cluster, question: &str) -> String {
    format!(
        "{question} (Scope: Kubernetes context `{}`, namespace `{}`, Helm release `{}` (the todo-chatbot: backend, frontend, PostgreSQL). \
         Only read; do not change anything. Answer with the cause and the command that fixes it.)",
        cluster.target.context, cluster.namespace, cluster.release
    )
}

/// The agent command for `backend` (`None` for doctor).
pub fn agent_cmd(cluster: &Cluster, backend: &AiBackend, question: &str) -> Option<Cmd> {
    let task = scoped_question(cluster, question);
    let cmd = match backend {
        AiBackend::KubectlAi { flags } => Cmd::new(cluster.tools.kubectl_ai.clone())
            .arg("--quiet")
            .args(flags.iter().cloned())
            .arg(task),
        AiBackend::Kagent => Cmd::new(cluster.tools.kagent.clone())
            .args(["invoke", "--agent", KAGENT_AGENT, "--task"])
            .arg(task),
        AiBackend::Doctor { .. } => return None,
    };
    Some(cmd.timeout(Duration::from_secs(300)))
}

/// An answer to an AI-ops question.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AiAnswer {
    /// Who answered.
    pub backend: AiBackend,
    /// The agent command run (redacted), when an agent answered.
    pub command: Option<String>,
    /// The agent's answer, or doctor's report.
    pub answer: String,
    /// Doctor's findings (fallback only).
    pub findings: Vec<Finding>,
    /// kubectl/helm commands that show the rest.
    pub next_commands: Vec<String>,
}

/// The read-only commands that show what doctor summarises.
pub fn next_commands(cluster: &Cluster, state: Option<&ClusterState>) -> Vec<String> {
    let k = format!(
        "kubectl --context {} -n {}",
        cluster.target.context, cluster.namespace
    );
    let h = format!(
        "helm --kube-context {} -n {}",
        cluster.target.context, cluster.namespace
    );
    let mut cmds = vec![
        format!(
            "{k} get pods,svc,pvc -l {} -o wide",
            cluster.release_selector()
        ),
        format!("{k} get events --sort-by=.lastTimestamp"),
        format!("{h} status {}", cluster.release),
        format!("{h} history {}", cluster.release),
    ];
    for pod in state.map(|s| s.pods.as_slice()).unwrap_or_default() {
        let ready = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .is_some_and(|cs| !cs.is_empty() && cs.iter().all(|c| c.ready));
        if !ready && let Some(name) = &pod.metadata.name {
            cmds.push(format!("{k} describe pod {name}"));
            cmds.push(format!("{k} logs {name} --all-containers --tail=50"));
        }
    }
    cmds
}

/// Answers `question`: through the agent `choose_backend` picks, or with doctor's findings
/// and the commands to look further. `doctor_ctx` is used for the fallback.
pub fn ask(
    cluster: &Cluster,
    question: &str,
    env: &AiEnv<'_>,
    doctor_ctx: &DoctorContext,
) -> Result<AiAnswer> {
    let kubectl = cluster.kubectl().in_namespace("kagent");
    let backend = choose_backend(
        &cluster.tools.kubectl_ai,
        &cluster.tools.kagent,
        env,
        || {
            kubectl
                .cmd()
                .args([
                    "get",
                    "agents.kagent.dev",
                    KAGENT_AGENT,
                    "--ignore-not-found",
                    "--output",
                    "name",
                ])
                .timeout(Duration::from_secs(20))
                .run()
                .is_ok_and(|o| !o.stdout.trim().is_empty())
        },
    );
    if let Some(cmd) = agent_cmd(cluster, &backend, question) {
        let out = cmd.run()?;
        return Ok(AiAnswer {
            backend,
            command: Some(cmd.to_string()),
            answer: out.stdout,
            findings: Vec::new(),
            next_commands: next_commands(cluster, None),
        });
    }
    let (answer, findings, state) = match doctor::collect(cluster, &doctor_ctx.minikube.profile) {
        Ok(state) => {
            let findings = doctor::diagnose(&state, doctor_ctx);
            (doctor::render(&findings), findings, Some(state))
        }
        Err(err) => (
            format!("doctor could not read the cluster: {err}\n"),
            Vec::new(),
            None,
        ),
    };
    Ok(AiAnswer {
        next_commands: next_commands(cluster, state.as_ref()),
        backend,
        command: None,
        answer,
        findings,
    })
}
