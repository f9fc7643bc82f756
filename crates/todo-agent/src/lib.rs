//! todo-agent: the Todo chatbot's chat agents and the five tools they act through.
//!
//! [`Tools`] run `add_task`, `list_tasks`, `complete_task`, `delete_task` and `update_task`
//! against any [`TaskStore`] bound to one user; the same tools serve MCP. Two [`Agent`]s answer
//! a chat message with them: [`BuiltinAgent`], deterministic and offline (its language is the
//! `todo-intent` crate), and [`LlmAgent`], any OpenAI-compatible `/chat/completions` endpoint.
//! No database and no HTTP server here: the service supplies the store and the routes.

mod agent;
mod builtin;
mod llm;
mod store;
mod tools;

pub use agent::{Agent, AgentReply, HistoryMessage, from_config};
pub use builtin::BuiltinAgent;
pub use llm::{HttpClientError, LlmAgent, LlmConfig};
pub use store::{Change, StatusFilter, StoreError, StoredTask, TaskStore};
pub use tools::{
    ListedStatus, ListedTask, Outcome, TOOL_NAMES, TaskSummary, ToolCall, ToolError, ToolOutput,
    ToolRequest, ToolSpec, Tools, specs,
};
