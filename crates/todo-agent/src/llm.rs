//! The LLM agent: any OpenAI-compatible `/chat/completions` endpoint with tool calling
//! (OpenAI, Gemini's and Cohere's compatibility endpoints, Ollama, vLLM).
//!
//! The model may call several tools before it answers; each call's arguments are validated
//! against the tool's schema before anything touches the database, and invalid ones are sent
//! back to the model as a tool error so it can correct itself.

use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::agent::{Agent, AgentReply, HistoryMessage};
use crate::tools::{self, ToolCall, ToolError, Tools};

/// Model round trips per user message before giving up.
const MAX_STEPS: usize = 6;
/// Earlier messages sent as context.
const HISTORY_LIMIT: usize = 20;

const SYSTEM_PROMPT: &str = "You are a helpful assistant that manages the user's todo list. \
Use the tools to add, list, complete, update and delete tasks. When the user names a task by \
its title, call list_tasks first to find its task_id. Never invent task ids. After the tools \
ran, confirm briefly what changed.";

/// Settings of the LLM agent.
#[derive(Clone)]
pub struct LlmConfig {
    /// API key (never logged; `Debug` hides it).
    pub api_key: String,
    /// Base URL without the trailing `/chat/completions`.
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// Timeout of one model call.
    pub timeout: Duration,
    /// Time for a whole answer (all steps), kept below the request timeout so the user gets
    /// the agent's explanation and the tool calls so far instead of a bare 503.
    pub budget: Duration,
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("api_key", &"***")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .field("budget", &self.budget)
            .finish()
    }
}

/// The HTTP client for the model could not be built (no TLS roots, say).
#[derive(Debug, thiserror::Error)]
#[error("building the HTTP client for the AI model: {0}")]
pub struct HttpClientError(#[from] reqwest::Error);

/// The LLM agent.
pub struct LlmAgent {
    cfg: LlmConfig,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: AssistantMessage,
}

#[derive(Deserialize)]
struct AssistantMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<WireToolCall>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    id: String,
    function: WireFunction,
}

#[derive(Deserialize)]
struct WireFunction {
    name: String,
    #[serde(default)]
    arguments: Option<Value>,
}

/// Why a model call failed; the `Display` text is what the user reads.
#[derive(Debug, thiserror::Error)]
enum CallError {
    #[error(
        "The AI model did not answer within {0} seconds, so I couldn't finish your request. Please try again."
    )]
    Timeout(u64),
    #[error(
        "The AI model took longer than the {0} seconds I have per answer, so I stopped. Please try again, perhaps with a simpler request."
    )]
    OutOfTime(u64),
    #[error("I couldn't reach the AI service ({0}). Please try again shortly.")]
    Connect(String),
    #[error(
        "The AI service rejected our credentials (HTTP {0}); the operator should check OPENAI_API_KEY."
    )]
    Auth(u16),
    #[error("The AI service is rate-limiting requests (HTTP 429). Please try again in a minute.")]
    RateLimited,
    #[error("The AI service had an internal error (HTTP {0}). Please try again shortly.")]
    Server(u16),
    #[error(
        "The AI service refused the request (HTTP {0}); the operator should check OPENAI_MODEL and OPENAI_BASE_URL."
    )]
    Client(u16),
    #[error("The AI service sent a reply I couldn't read, so I stopped. Please try again.")]
    BadReply,
}

impl LlmAgent {
    /// An agent for the configured endpoint.
    pub fn new(cfg: LlmConfig) -> Result<LlmAgent, HttpClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .build()?;
        Ok(LlmAgent { cfg, http })
    }

    fn tool_defs() -> Value {
        Value::Array(
            tools::specs()
                .into_iter()
                .map(|s| {
                    json!({"type": "function", "function": {
                        "name": s.name, "description": s.description, "parameters": s.parameters}})
                })
                .collect(),
        )
    }

    async fn complete(
        &self,
        messages: &[Value],
        limit: Duration,
    ) -> Result<AssistantMessage, CallError> {
        let url = format!("{}/chat/completions", self.cfg.base_url);
        let body = json!({
            "model": self.cfg.model,
            "messages": messages,
            "tools": Self::tool_defs(),
            "tool_choice": "auto",
        });
        let resp = self
            .http
            .post(&url)
            .bearer_auth(&self.cfg.api_key)
            .timeout(limit)
            .json(&body)
            .send()
            .await
            .map_err(|e| self.classify(&e, limit))?;
        let status = resp.status().as_u16();
        match status {
            200..=299 => {}
            401 | 403 => return Err(CallError::Auth(status)),
            429 => return Err(CallError::RateLimited),
            500..=599 => return Err(CallError::Server(status)),
            _ => return Err(CallError::Client(status)),
        }
        let bytes = resp.bytes().await.map_err(|e| self.classify(&e, limit))?;
        let mut c: Completion = serde_json::from_slice(&bytes).map_err(|e| {
            tracing::warn!(error = %e, "unreadable chat-completions reply");
            CallError::BadReply
        })?;
        if c.choices.is_empty() {
            return Err(CallError::BadReply);
        }
        Ok(c.choices.swap_remove(0).message)
    }

    fn classify(&self, e: &reqwest::Error, limit: Duration) -> CallError {
        if e.is_timeout() && limit < self.cfg.timeout {
            CallError::OutOfTime(self.cfg.budget.as_secs())
        } else if e.is_timeout() {
            CallError::Timeout(self.cfg.timeout.as_secs())
        } else if e.is_decode() || e.is_body() {
            CallError::BadReply
        } else {
            // The URL has no secret in it; the key travels in a header.
            CallError::Connect(self.cfg.base_url.clone())
        }
    }

    async fn run(&self, tools: &Tools, history: &[HistoryMessage], message: &str) -> AgentReply {
        let mut messages = vec![json!({"role": "system", "content": SYSTEM_PROMPT})];
        let start = history.len().saturating_sub(HISTORY_LIMIT);
        for m in &history[start..] {
            messages.push(json!({"role": m.role, "content": m.content}));
        }
        messages.push(json!({"role": "user", "content": message}));
        let mut calls: Vec<ToolCall> = Vec::new();
        let started = Instant::now();
        for step in 0..MAX_STEPS {
            let remaining = self.cfg.budget.saturating_sub(started.elapsed());
            let reply = match remaining {
                r if r < Duration::from_millis(200) => {
                    Err(CallError::OutOfTime(self.cfg.budget.as_secs()))
                }
                r => self.complete(&messages, r.min(self.cfg.timeout)).await,
            };
            let reply = match reply {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(step, error = ?e, "LLM call failed");
                    let mut text = e.to_string();
                    if !calls.is_empty() {
                        text.push_str(&format!(
                            " (Before that I ran {} tool call(s); see the details below.)",
                            calls.len()
                        ));
                    }
                    return AgentReply {
                        response: text,
                        tool_calls: calls,
                    };
                }
            };
            if reply.tool_calls.is_empty() {
                let text = reply.content.unwrap_or_default().trim().to_owned();
                let text = if text.is_empty() {
                    "Done.".to_owned()
                } else {
                    text
                };
                return AgentReply {
                    response: text,
                    tool_calls: calls,
                };
            }
            let wire: Vec<Value> = reply
                .tool_calls
                .iter()
                .map(|c| {
                    json!({"id": c.id, "type": "function", "function": {
                    "name": c.function.name,
                    "arguments": match &c.function.arguments {
                        Some(Value::String(s)) => s.clone(),
                        Some(v) => v.to_string(),
                        None => "{}".to_owned(),
                    }}})
                })
                .collect();
            messages
                .push(json!({"role": "assistant", "content": reply.content, "tool_calls": wire}));
            for c in reply.tool_calls {
                let (args, parse_error) = decode_arguments(&c.function.name, c.function.arguments);
                let call = match parse_error {
                    Some(err) => ToolCall {
                        name: c.function.name.clone(),
                        arguments: args,
                        result: err.to_result(),
                    },
                    None => tools.call_recorded(&c.function.name, args).await.0,
                };
                messages.push(json!({
                    "role": "tool",
                    "tool_call_id": c.id,
                    "content": call.result.to_string(),
                }));
                calls.push(call);
            }
        }
        AgentReply {
            response: format!(
                "I stopped after {MAX_STEPS} steps without finishing; the AI model kept calling tools. Please rephrase your request."
            ),
            tool_calls: calls,
        }
    }
}

/// Tool arguments arrive as a JSON *string* in the protocol (some servers send an object).
fn decode_arguments(tool: &str, raw: Option<Value>) -> (Value, Option<ToolError>) {
    match raw {
        None => (json!({}), None),
        Some(Value::String(s)) if s.trim().is_empty() => (json!({}), None),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(v @ Value::Object(_)) => (v, None),
            Ok(other) => (
                other,
                Some(ToolError::InvalidArguments {
                    tool: tool.to_owned(),
                    reason: "arguments must be a JSON object".to_owned(),
                }),
            ),
            Err(e) => (
                Value::String(s.chars().take(500).collect()),
                Some(ToolError::InvalidArguments {
                    tool: tool.to_owned(),
                    reason: format!("arguments are not valid JSON ({e})"),
                }),
            ),
        },
        Some(v @ Value::Object(_)) => (v, None),
        Some(other) => (
            other,
            Some(ToolError::InvalidArguments {
                tool: tool.to_owned(),
                reason: "arguments must be a JSON object".to_owned(),
            }),
        ),
    }
}

impl Agent for LlmAgent {
    fn name(&self) -> &'static str {
        "llm"
    }

    fn respond<'a>(
        &'a self,
        tools: &'a Tools,
        history: &'a [HistoryMessage],
        message: &'a str,
    ) -> BoxFuture<'a, AgentReply> {
        Box::pin(self.run(tools, history, message))
    }
}
