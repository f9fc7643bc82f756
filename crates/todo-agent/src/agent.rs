//! Chat agents behind one trait: the deterministic [`BuiltinAgent`] and the OpenAI-compatible
//! [`LlmAgent`].

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::builtin::BuiltinAgent;
use crate::llm::{HttpClientError, LlmAgent, LlmConfig};
use crate::tools::{ToolCall, Tools};

/// One earlier message of the conversation.
#[derive(Debug, Clone)]
pub struct HistoryMessage {
    /// `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

/// What the agent answers: its text and the tools it called, in order.
#[derive(Debug, Clone, Default)]
pub struct AgentReply {
    /// The text shown to the user.
    pub response: String,
    /// Tool calls made while answering.
    pub tool_calls: Vec<ToolCall>,
}

/// A chat agent. It never fails: every failure (model timeout, bad tool arguments, database
/// outage) becomes a reply that tells the user what happened.
pub trait Agent: Send + Sync {
    /// Short name for logs and `/api/health`: `builtin` or `llm`.
    fn name(&self) -> &'static str;

    /// Answers `message`, given the earlier messages, using `tools` (bound to the user).
    fn respond<'a>(
        &'a self,
        tools: &'a Tools,
        history: &'a [HistoryMessage],
        message: &'a str,
    ) -> BoxFuture<'a, AgentReply>;
}

/// The agent the configuration asks for: the LLM agent when a model is configured, else the
/// built-in one.
pub fn from_config(llm: Option<&LlmConfig>) -> Result<Arc<dyn Agent>, HttpClientError> {
    Ok(match llm {
        None => Arc::new(BuiltinAgent),
        Some(cfg) => Arc::new(LlmAgent::new(cfg.clone())?),
    })
}
