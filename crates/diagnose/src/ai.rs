//! `todoctl ai "<question>"`: ask an AI agent about the deployment — kubectl-ai or kagent
//! when installed and configured, scoped to our context and namespace — or, without one,
//! answer with `doctor` and the kubectl commands that would show the rest.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cluster::Cluster;
use exec::Cmd;

use crate::doctor::{self, ClusterState, DoctorContext, Finding};
use crate::error::{Error, Result};

/// Which agent answers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "backend", rename_all = "kebab-case")]
pub enum AiBackend {
    /// `kubectl-ai --kubeconfig … --quiet`, with these provider flags.
    KubectlAi {
        /// `--llm-provider=…`, `--model=…`, `--enable-tool-use-shim` as needed.
        flags: Vec<String>,
    },
    /// `kagent invoke --kagent-url … --agent k8s-agent --task …`.
    Kagent,
    /// No agent: doctor's findings and the kubectl commands to look further.
    Doctor {
        /// Why no agent answered.
        reason: String,
    },
}

impl AiBackend {
    /// The agent's program name (`doctor` for the fallback).
    pub fn name(&self) -> &'static str {
        match self {
            AiBackend::KubectlAi { .. } => "kubectl-ai",
            AiBackend::Kagent => "kagent",
            AiBackend::Doctor { .. } => "doctor",
        }
    }
}

/// What the caller's environment says (so tests need not touch the process environment).
pub struct AiEnv<'a> {
    /// Environment lookup (`|k| std::env::var(k).ok()`).
    pub var: &'a dyn Fn(&str) -> Option<String>,
    /// The home directory (for `~/.config/kubectl-ai/config.yaml`).
    pub home: Option<PathBuf>,
}

/// The agent kagent's demo profile installs and `kagent invoke` talks to.
const KAGENT_AGENT: &str = "k8s-agent";

fn installed(program: &str, env: &AiEnv<'_>) -> bool {
    exec::resolve_with(program, |k| (env.var)(k).map(Into::into))
        .map(|p| p.exists())
        .unwrap_or(false)
}

/// kubectl-ai's provider flags from the environment, or `None` when no provider is
/// configured. `KUBECTL_AI_PROVIDER`/`KUBECTL_AI_MODEL` (this kit's variables) choose
/// explicitly; otherwise a Gemini key (kubectl-ai's default provider), an OpenAI key, an
/// Ollama host, or kubectl-ai's own config file count as configured.
fn kubectl_ai_flags(env: &AiEnv<'_>) -> Option<Vec<String>> {
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
fn scoped_question(cluster: &Cluster, question: &str) -> String {
    format!(
        "{question} (Scope: Kubernetes context `{}`, namespace `{}`, Helm release `{}` (the todo-chatbot: backend, frontend, PostgreSQL). \
         Only read; do not change anything. Answer with the cause and the command that fixes it.)",
        cluster.target.context, cluster.namespace, cluster.release
    )
}

/// A kubeconfig that holds the target context alone, as its current context, in a 0600
/// temporary file removed when the handle drops.
///
/// Neither agent can be told a context: kubectl-ai has `--kubeconfig` but no `--context`, and
/// runs every `kubectl` its model asks for with that kubeconfig's current context; kagent's CLI
/// starts `kubectl port-forward` with whatever context is current. Handing both a kubeconfig
/// in which the target is the only context pins them where `--context` pins us.
pub fn pinned_kubeconfig(cluster: &Cluster) -> Result<tempfile::NamedTempFile> {
    // The credentials are embedded (--flatten), so the copy works wherever the original's
    // certificate files live; they only ever reach the file, never argv or an error.
    let out = cluster
        .kubectl()
        .global_cmd()
        .args(["config", "view", "--minify", "--flatten"])
        .timeout(Duration::from_secs(30))
        .run()?;
    let io = |source| Error::PinnedKubeconfig {
        dir: std::env::temp_dir(),
        source,
    };
    let mut file = tempfile::Builder::new()
        .prefix("todo-chatbot-kubeconfig-")
        .suffix(".yaml")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile()
        .map_err(io)?;
    file.write_all(out.stdout.as_bytes()).map_err(io)?;
    file.flush().map_err(io)?;
    Ok(file)
}

/// Where an agent run is pinned: the kubeconfig holding only the target context and, for
/// kagent, the URL of the port-forward to the target's kagent-controller.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pin<'a> {
    /// A kubeconfig from [`pinned_kubeconfig`].
    kubeconfig: &'a Path,
    /// `http://127.0.0.1:PORT`, forwarded to `svc/kagent-controller` in the target context.
    kagent_url: Option<&'a str>,
}

/// The agent command for `backend` (`None` for doctor), pinned by `pin`. No flag that lets an
/// agent change the cluster without asking (kubectl-ai's `--skip-permissions`) is ever passed.
fn agent_cmd(cluster: &Cluster, backend: &AiBackend, question: &str, pin: &Pin<'_>) -> Option<Cmd> {
    let task = scoped_question(cluster, question);
    let kubeconfig = pin.kubeconfig.display().to_string();
    let cmd = match backend {
        AiBackend::KubectlAi { flags } => Cmd::new(cluster.tools.kubectl_ai.clone())
            .arg("--kubeconfig")
            .arg(kubeconfig.clone())
            .arg("--quiet")
            .args(flags.iter().cloned())
            .arg(task),
        AiBackend::Kagent => {
            let mut cmd = Cmd::new(cluster.tools.kagent.clone()).arg("invoke");
            if let Some(url) = pin.kagent_url {
                cmd = cmd.arg("--kagent-url").arg(url);
            }
            cmd.args(["--agent", KAGENT_AGENT, "--task"]).arg(task)
        }
        AiBackend::Doctor { .. } => return None,
    };
    // Anything the agent starts itself (kubectl-ai's kubectl, kagent's port-forward) reads it.
    Some(
        cmd.env("KUBECONFIG", kubeconfig)
            .timeout(Duration::from_secs(300)),
    )
}

/// kubectl-ai's answer from its `--quiet` run: the text with the terminal colours removed.
/// `Err` carries why there is no answer.
pub fn kubectl_ai_answer(out: &exec::Output) -> std::result::Result<String, String> {
    let stdout = exec::strip_ansi(&out.stdout);
    if !out.success() {
        return Err(format!(
            "kubectl-ai exited with status {}: {}",
            out.status,
            last_lines(&exec::strip_ansi(&out.stderr), 5)
        ));
    }
    let answer = stdout.trim();
    if answer.is_empty() {
        return Err(format!(
            "kubectl-ai printed no answer{}",
            stderr_note(&exec::strip_ansi(&out.stderr))
        ));
    }
    Ok(format!("{answer}\n"))
}

/// The answer in what `kagent invoke` printed. kagent exits 0 whatever happens: a failure is
/// only a line on stderr (`Error invoking session: …`) and nothing on stdout; a success is the
/// A2A `Task` (or `Message`) as one line of JSON. Both generations of its A2A library are read:
/// `"state": "completed"` with `{"kind": "text", "text": …}` parts, and
/// `"state": "TASK_STATE_COMPLETED"` with `{"text": …}` parts. The text is the task's artifacts
/// (where kagent puts its output since it moved to artifacts), else the status message, else
/// the agent's last message in the history (where declarative agents answered before).
/// `Err` carries why there is no answer.
pub fn kagent_answer(stdout: &str, stderr: &str) -> std::result::Result<String, String> {
    let text = stdout.trim();
    if text.is_empty() {
        return Err(format!("kagent printed no result{}", stderr_note(stderr)));
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .or_else(|_| serde_json::from_str(text.lines().last().unwrap_or_default()))
        .map_err(|_| {
            format!(
                "kagent printed something that is not an A2A result: {}{}",
                excerpt(text),
                stderr_note(stderr)
            )
        })?;
    let result = unwrap_result(&value);
    if result.get("parts").is_some() && result.get("status").is_none() {
        // A bare Message: the agent answered without creating a task.
        return non_empty(parts_text(result), || {
            "kagent's reply has no text".to_owned()
        });
    }
    let Some(status) = result.get("status") else {
        return Err(format!(
            "kagent's result is neither an A2A task nor a message: {}",
            excerpt(text)
        ));
    };
    let state = task_state(status);
    let status_text = status.get("message").map(parts_text).unwrap_or_default();
    match state.as_str() {
        "completed" => {}
        "failed" | "rejected" | "canceled" | "auth-required" | "input-required" => {
            return Err(match status_text.trim() {
                "" => format!("the agent's task ended {state}"),
                why => format!("the agent's task ended {state}: {}", excerpt(why)),
            });
        }
        other => return Err(format!("the agent's task is still {other}")),
    }
    let artifacts: Vec<String> = result
        .get("artifacts")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .map(parts_text)
        .filter(|t| !t.trim().is_empty())
        .collect();
    let answer = if !artifacts.is_empty() {
        artifacts.join("\n")
    } else if !status_text.trim().is_empty() {
        status_text
    } else {
        result
            .get("history")
            .and_then(|h| h.as_array())
            .and_then(|h| h.iter().rev().find(|m| is_agent(m)))
            .map(parts_text)
            .unwrap_or_default()
    };
    non_empty(answer, || {
        "the agent's task completed without any text".to_owned()
    })
}

/// The JSON-RPC `result`, or the Task inside a `{"task": …}` wrapper, or the value itself.
fn unwrap_result(value: &serde_json::Value) -> &serde_json::Value {
    let value = value.get("result").unwrap_or(value);
    value.get("task").unwrap_or(value)
}

/// `completed`, `failed`, … from either spelling (`TASK_STATE_FAILED`, `failed`).
fn task_state(status: &serde_json::Value) -> String {
    let raw = status
        .get("state")
        .and_then(|s| s.as_str())
        .unwrap_or("unknown")
        .to_ascii_lowercase();
    raw.strip_prefix("task_state_")
        .unwrap_or(&raw)
        .replace('_', "-")
}

fn is_agent(message: &serde_json::Value) -> bool {
    message
        .get("role")
        .and_then(|r| r.as_str())
        .is_some_and(|r| r.eq_ignore_ascii_case("agent") || r.eq_ignore_ascii_case("role_agent"))
}

/// The text parts of a message or artifact, one after the other.
fn parts_text(holder: &serde_json::Value) -> String {
    holder
        .get("parts")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .filter(|p| p.get("kind").is_none_or(|k| k == "text"))
        .filter_map(|p| p.get("text").and_then(|t| t.as_str()))
        .collect::<Vec<_>>()
        .join("")
}

fn non_empty(text: String, why: impl FnOnce() -> String) -> std::result::Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        Err(why())
    } else {
        Ok(format!("{text}\n"))
    }
}

fn stderr_note(stderr: &str) -> String {
    match last_lines(stderr, 5) {
        tail if tail.is_empty() => String::new(),
        tail => format!("; its stderr: {tail}"),
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" / ")
}

fn excerpt(text: &str) -> String {
    const MAX: usize = 300;
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// An answer to an AI-ops question.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AiAnswer {
    /// Who answered.
    pub backend: AiBackend,
    /// The agent command run (redacted), also when it failed and doctor answered instead.
    pub command: Option<String>,
    /// The agent's answer, or doctor's report.
    pub answer: String,
    /// Doctor's findings (fallback only).
    pub findings: Vec<Finding>,
    /// kubectl/helm commands that show the rest.
    pub next_commands: Vec<String>,
}

/// The read-only commands that show what doctor summarises.
fn next_commands(cluster: &Cluster, state: Option<&ClusterState>) -> Vec<String> {
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

/// Answers `question`: through the agent `choose_backend` picks, pinned to the target context
/// (see [`pinned_kubeconfig`]), or with doctor's findings and the commands to look further.
/// An agent that fails, or answers with nothing, hands over to doctor, and the reason says what
/// went wrong. `doctor_ctx` is used for the fallback.
pub fn ask(
    cluster: &Cluster,
    question: &str,
    env: &AiEnv<'_>,
    doctor_ctx: &DoctorContext,
) -> Result<AiAnswer> {
    let kagent_kubectl = cluster.kubectl().in_namespace(KAGENT_NAMESPACE);
    let backend = choose_backend(
        &cluster.tools.kubectl_ai,
        &cluster.tools.kagent,
        env,
        || {
            kagent_kubectl
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
    let (backend, command) = match run_agent(cluster, &backend, question)? {
        AgentRun::NotAnAgent => (backend, None),
        AgentRun::Answered { command, answer } => {
            return Ok(AiAnswer {
                backend,
                command: Some(command),
                answer,
                findings: Vec::new(),
                next_commands: next_commands(cluster, None),
            });
        }
        AgentRun::Failed { command, reason } => (
            AiBackend::Doctor {
                reason: format!("{} failed, so doctor answers: {reason}", backend.name()),
            },
            command,
        ),
    };
    let (answer, findings, state) = match doctor::collect(cluster) {
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
        command,
        answer,
        findings,
    })
}

/// The namespace kagent is installed in (its CLI's default, and where `k8s-agent` lives).
const KAGENT_NAMESPACE: &str = "kagent";

enum AgentRun {
    NotAnAgent,
    Answered {
        command: String,
        answer: String,
    },
    Failed {
        command: Option<String>,
        reason: String,
    },
}

fn run_agent(cluster: &Cluster, backend: &AiBackend, question: &str) -> Result<AgentRun> {
    if matches!(backend, AiBackend::Doctor { .. }) {
        return Ok(AgentRun::NotAnAgent);
    }
    let kubeconfig = pinned_kubeconfig(cluster)?;
    // kagent's CLI would forward a fixed local port (8083) with the current context, and use
    // whatever already listens there; our own forward in the target context comes first.
    let forward = match backend {
        AiBackend::Kagent => match cluster
            .kubectl()
            .in_namespace(KAGENT_NAMESPACE)
            .port_forward("svc/kagent-controller", 0, 8083)
        {
            Ok(forward) => Some(forward),
            Err(err) => {
                return Ok(AgentRun::Failed {
                    command: None,
                    reason: format!("could not reach kagent-controller: {err}"),
                });
            }
        },
        _ => None,
    };
    let url = forward.as_ref().map(|f| f.url());
    let pin = Pin {
        kubeconfig: kubeconfig.path(),
        kagent_url: url.as_deref(),
    };
    let Some(cmd) = agent_cmd(cluster, backend, question, &pin) else {
        return Ok(AgentRun::NotAnAgent);
    };
    let command = cmd.to_string();
    let result = match cmd.run_unchecked() {
        Ok(out) => match backend {
            AiBackend::Kagent => kagent_answer(&out.stdout, &out.stderr),
            _ => kubectl_ai_answer(&out),
        },
        Err(err) => Err(err.to_string()),
    };
    if let Some(forward) = forward {
        let _ = forward.stop();
    }
    Ok(match result {
        Ok(answer) => AgentRun::Answered { command, answer },
        Err(reason) => AgentRun::Failed {
            command: Some(command),
            reason,
        },
    })
}
