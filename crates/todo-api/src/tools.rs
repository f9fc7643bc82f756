//! The five agent tools, shared by the chat agents and the MCP server:
//! `add_task`, `list_tasks`, `complete_task`, `delete_task`, `update_task`.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::Error;
use crate::tasks::{self, Change, StatusFilter, Task};

/// The tool names, in the order they are advertised.
pub const TOOL_NAMES: [&str; 5] = [
    "add_task",
    "list_tasks",
    "complete_task",
    "delete_task",
    "update_task",
];

/// One tool's advertised contract.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    /// Name.
    pub name: &'static str,
    /// What it does, for the model.
    pub description: &'static str,
    /// JSON Schema of its arguments.
    pub parameters: Value,
}

/// The five tools with their argument schemas.
pub fn specs() -> Vec<ToolSpec> {
    let task_id = json!({"type": "integer", "description": "The task's id, as shown by list_tasks", "minimum": 1});
    vec![
        ToolSpec {
            name: "add_task",
            description: "Create a new task for the user.",
            parameters: json!({
                "type": "object",
                "properties": {
                    "title": {"type": "string", "description": "Short title, 1-200 characters", "minLength": 1, "maxLength": 200},
                    "description": {"type": "string", "description": "Optional details, up to 1000 characters", "maxLength": 1000}
                },
                "required": ["title"],
                "additionalProperties": false
            }),
        },
        ToolSpec {
            name: "list_tasks",
            description: "List the user's tasks, optionally only pending or only completed ones.",
            parameters: json!({
                "type": "object",
                "properties": {
                    "status": {"type": "string", "enum": ["all", "pending", "completed"], "description": "Which tasks to list (default all)"}
                },
                "additionalProperties": false
            }),
        },
        ToolSpec {
            name: "complete_task",
            description: "Mark one of the user's tasks as completed.",
            parameters: json!({
                "type": "object",
                "properties": {"task_id": task_id},
                "required": ["task_id"],
                "additionalProperties": false
            }),
        },
        ToolSpec {
            name: "delete_task",
            description: "Delete one of the user's tasks.",
            parameters: json!({
                "type": "object",
                "properties": {"task_id": task_id},
                "required": ["task_id"],
                "additionalProperties": false
            }),
        },
        ToolSpec {
            name: "update_task",
            description: "Change the title and/or description of one of the user's tasks.",
            parameters: json!({
                "type": "object",
                "properties": {
                    "task_id": task_id,
                    "title": {"type": "string", "description": "New title, 1-200 characters", "minLength": 1, "maxLength": 200},
                    "description": {"type": "string", "description": "New description, up to 1000 characters", "maxLength": 1000}
                },
                "required": ["task_id"],
                "additionalProperties": false
            }),
        },
    ]
}

/// A tool invocation as reported in the chat response and stored with the message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ToolCall {
    /// Tool name.
    pub name: String,
    /// Arguments as given.
    pub arguments: Value,
    /// The tool's result, or `{"error": "..."}`.
    pub result: Value,
}

/// Why a tool call failed; the message is safe to show to the user or the model.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// Unknown tool name.
    #[error(
        "unknown tool `{0}`; available: add_task, list_tasks, complete_task, delete_task, update_task"
    )]
    UnknownTool(String),
    /// Arguments that do not match the tool's schema.
    #[error("invalid arguments for {tool}: {reason}")]
    InvalidArguments {
        /// Tool name.
        tool: String,
        /// What is wrong.
        reason: String,
    },
    /// Validation, not found, database trouble.
    #[error("{0}")]
    Failed(#[from] Error),
}

impl ToolError {
    /// The error message as a tool result.
    pub fn to_result(&self) -> Value {
        let message = match self {
            ToolError::Failed(e) => {
                let (status, _) = e.status_and_code();
                if status.is_server_error() {
                    "the task store is unavailable right now; try again shortly".to_owned()
                } else {
                    e.to_string()
                }
            }
            other => other.to_string(),
        };
        json!({ "error": message })
    }
}

fn task_id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    // Models sometimes quote numbers; accept "3" as well as 3, nothing else.
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_i64()
            .filter(|v| *v > 0)
            .ok_or_else(|| de::Error::custom("task_id must be a positive integer")),
        Value::String(s) => s
            .trim()
            .trim_start_matches('#')
            .parse::<i64>()
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| de::Error::custom("task_id must be a positive integer")),
        _ => Err(de::Error::custom("task_id must be a positive integer")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddArgs {
    title: String,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListArgs {
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdArgs {
    #[serde(deserialize_with = "task_id")]
    task_id: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateArgs {
    #[serde(deserialize_with = "task_id")]
    task_id: i64,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

fn parse<T: serde::de::DeserializeOwned>(tool: &str, args: &Value) -> Result<T, ToolError> {
    // A missing argument object means "no arguments".
    let args = if args.is_null() {
        json!({})
    } else {
        args.clone()
    };
    serde_json::from_value(args).map_err(|e| ToolError::InvalidArguments {
        tool: tool.to_owned(),
        reason: e.to_string(),
    })
}

fn summary(t: &Task, status: &str) -> Value {
    json!({"task_id": t.id, "status": status, "title": t.title})
}

/// The tools bound to one user: every call is scoped to that user's rows.
#[derive(Clone)]
pub struct Tools {
    pool: PgPool,
    user: Uuid,
}

impl Tools {
    /// Tools acting for `user`.
    pub fn new(pool: PgPool, user: Uuid) -> Tools {
        Tools { pool, user }
    }

    /// The pool (agents read tasks directly to resolve "the meeting task").
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The user the tools act for.
    pub fn user(&self) -> Uuid {
        self.user
    }

    /// Runs a tool by name with JSON arguments.
    pub async fn call(&self, name: &str, args: &Value) -> Result<Value, ToolError> {
        match name {
            "add_task" => {
                let a: AddArgs = parse(name, args)?;
                let t = tasks::create(&self.pool, self.user, &a.title, a.description.as_deref())
                    .await?;
                Ok(summary(&t, "created"))
            }
            "list_tasks" => {
                let a: ListArgs = parse(name, args)?;
                let filter = match a.status.as_deref() {
                    None => StatusFilter::All,
                    Some(s) => {
                        StatusFilter::parse(s).ok_or_else(|| ToolError::InvalidArguments {
                            tool: name.to_owned(),
                            reason: "status must be all, pending or completed".to_owned(),
                        })?
                    }
                };
                let list = tasks::list(&self.pool, self.user, filter).await?;
                let items: Vec<Value> = list
                    .iter()
                    .map(|t| {
                        json!({
                            "task_id": t.id,
                            "title": t.title,
                            "description": t.description,
                            "status": if t.completed { "completed" } else { "pending" },
                        })
                    })
                    .collect();
                Ok(json!({"count": items.len(), "tasks": items}))
            }
            "complete_task" => {
                let a: IdArgs = parse(name, args)?;
                let change = Change {
                    completed: Some(true),
                    ..Change::default()
                };
                let t = tasks::update(&self.pool, self.user, a.task_id, change).await?;
                Ok(summary(&t, "completed"))
            }
            "delete_task" => {
                let a: IdArgs = parse(name, args)?;
                let t = tasks::delete(&self.pool, self.user, a.task_id).await?;
                Ok(summary(&t, "deleted"))
            }
            "update_task" => {
                let a: UpdateArgs = parse(name, args)?;
                if a.title.is_none() && a.description.is_none() {
                    return Err(ToolError::InvalidArguments {
                        tool: name.to_owned(),
                        reason: "give a new title or description".to_owned(),
                    });
                }
                let change = Change {
                    title: a.title,
                    description: a.description,
                    completed: None,
                };
                let t = tasks::update(&self.pool, self.user, a.task_id, change).await?;
                Ok(summary(&t, "updated"))
            }
            other => Err(ToolError::UnknownTool(other.chars().take(64).collect())),
        }
    }

    /// Runs a tool and records the call, successful or not.
    pub async fn call_recorded(&self, name: &str, args: Value) -> (ToolCall, bool) {
        match self.call(name, &args).await {
            Ok(result) => (
                ToolCall {
                    name: name.to_owned(),
                    arguments: args,
                    result,
                },
                true,
            ),
            Err(e) => (
                ToolCall {
                    name: name.to_owned(),
                    arguments: args,
                    result: e.to_result(),
                },
                false,
            ),
        }
    }
}
