//! The five agent tools, shared by the chat agents and the MCP server:
//! `add_task`, `list_tasks`, `complete_task`, `delete_task`, `update_task`.

use std::sync::Arc;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::store::{Change, StatusFilter, StoreError, StoredTask, TaskStore};

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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[error("unknown tool `{0}`; available: {names}", names = TOOL_NAMES.join(", "))]
    UnknownTool(String),
    /// Arguments that do not match the tool's schema.
    #[error("invalid arguments for {tool}: {reason}")]
    InvalidArguments {
        /// Tool name.
        tool: String,
        /// What is wrong.
        reason: String,
    },
    /// The store refused or failed.
    #[error("{0}")]
    Failed(#[from] StoreError),
}

impl ToolError {
    /// What to tell the user or the model: the error, except that the store's own failure is
    /// not described beyond "unavailable".
    pub fn message(&self) -> String {
        match self {
            ToolError::Failed(StoreError::Unavailable(_)) => {
                "the task store is unavailable right now; try again shortly".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// Whether the task named does not exist (for this user).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ToolError::Failed(StoreError::NotFound(_)))
    }

    /// The error message as a tool result.
    pub fn to_result(&self) -> Value {
        json!({ "error": self.message() })
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

/// A tool call with typed arguments: what a JSON call parses into, and what the built-in agent
/// builds directly, so both agents and MCP run the same code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolRequest {
    /// `add_task`.
    AddTask {
        /// Title.
        title: String,
        /// Optional description.
        description: Option<String>,
    },
    /// `list_tasks`.
    ListTasks {
        /// Which tasks.
        status: StatusFilter,
    },
    /// `complete_task`.
    CompleteTask {
        /// Which task.
        task_id: i64,
    },
    /// `delete_task`.
    DeleteTask {
        /// Which task.
        task_id: i64,
    },
    /// `update_task`.
    UpdateTask {
        /// Which task.
        task_id: i64,
        /// New title.
        title: Option<String>,
        /// New description.
        description: Option<String>,
    },
}

impl ToolRequest {
    /// Parses a call by name with JSON arguments (a null argument object means none).
    pub fn from_json(name: &str, args: &Value) -> Result<ToolRequest, ToolError> {
        Ok(match name {
            "add_task" => {
                let a: AddArgs = parse(name, args)?;
                ToolRequest::AddTask {
                    title: a.title,
                    description: a.description,
                }
            }
            "list_tasks" => {
                let a: ListArgs = parse(name, args)?;
                let status = match a.status.as_deref() {
                    None => StatusFilter::All,
                    Some(s) => {
                        StatusFilter::parse(s).ok_or_else(|| ToolError::InvalidArguments {
                            tool: name.to_owned(),
                            reason: "status must be all, pending or completed".to_owned(),
                        })?
                    }
                };
                ToolRequest::ListTasks { status }
            }
            "complete_task" => {
                let a: IdArgs = parse(name, args)?;
                ToolRequest::CompleteTask { task_id: a.task_id }
            }
            "delete_task" => {
                let a: IdArgs = parse(name, args)?;
                ToolRequest::DeleteTask { task_id: a.task_id }
            }
            "update_task" => {
                let a: UpdateArgs = parse(name, args)?;
                if a.title.is_none() && a.description.is_none() {
                    return Err(ToolError::InvalidArguments {
                        tool: name.to_owned(),
                        reason: "give a new title or description".to_owned(),
                    });
                }
                ToolRequest::UpdateTask {
                    task_id: a.task_id,
                    title: a.title,
                    description: a.description,
                }
            }
            other => return Err(ToolError::UnknownTool(other.chars().take(64).collect())),
        })
    }

    /// The tool's name.
    pub fn name(&self) -> &'static str {
        match self {
            ToolRequest::AddTask { .. } => "add_task",
            ToolRequest::ListTasks { .. } => "list_tasks",
            ToolRequest::CompleteTask { .. } => "complete_task",
            ToolRequest::DeleteTask { .. } => "delete_task",
            ToolRequest::UpdateTask { .. } => "update_task",
        }
    }

    /// The arguments as JSON, in the shape [`ToolRequest::from_json`] reads; `list_tasks` of
    /// every task has none.
    pub fn arguments(&self) -> Value {
        let mut args = serde_json::Map::new();
        let mut put = |key: &str, value: Value| {
            args.insert(key.to_owned(), value);
        };
        match self {
            ToolRequest::AddTask { title, description } => {
                put("title", json!(title));
                if let Some(d) = description {
                    put("description", json!(d));
                }
            }
            ToolRequest::ListTasks { status } => {
                if *status != StatusFilter::All {
                    put("status", json!(status));
                }
            }
            ToolRequest::CompleteTask { task_id } | ToolRequest::DeleteTask { task_id } => {
                put("task_id", json!(task_id));
            }
            ToolRequest::UpdateTask {
                task_id,
                title,
                description,
            } => {
                put("task_id", json!(task_id));
                if let Some(t) = title {
                    put("title", json!(t));
                }
                if let Some(d) = description {
                    put("description", json!(d));
                }
            }
        }
        Value::Object(args)
    }
}

/// What happened to the task a tool acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// `add_task`.
    Created,
    /// `complete_task`.
    Completed,
    /// `delete_task`.
    Deleted,
    /// `update_task`.
    Updated,
}

/// The task a tool acted on: `{task_id, status, title}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskSummary {
    /// Task id.
    pub task_id: i64,
    /// What happened to it.
    pub status: Outcome,
    /// Its title after the call.
    pub title: String,
}

/// One task of a `list_tasks` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedTask {
    /// Task id.
    pub task_id: i64,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// `pending` or `completed`.
    pub status: ListedStatus,
}

/// Whether a listed task is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ListedStatus {
    /// Not done.
    Pending,
    /// Done.
    Completed,
}

/// A tool's typed result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolOutput {
    /// The task acted on.
    Task(TaskSummary),
    /// The listed tasks, oldest first.
    List(Vec<ListedTask>),
}

impl ToolOutput {
    /// The result as JSON: a summary, or `{count, tasks}` for a list.
    pub fn to_json(&self) -> Value {
        match self {
            ToolOutput::Task(t) => json!(t),
            ToolOutput::List(tasks) => json!({"count": tasks.len(), "tasks": tasks}),
        }
    }
}

fn summary(t: StoredTask, status: Outcome) -> ToolOutput {
    ToolOutput::Task(TaskSummary {
        task_id: t.id,
        status,
        title: t.title,
    })
}

/// The tools acting on one user's tasks: they reach only what the store is bound to.
#[derive(Clone)]
pub struct Tools {
    store: Arc<dyn TaskStore>,
}

impl Tools {
    /// Tools acting on `store`.
    pub fn new(store: impl TaskStore + 'static) -> Tools {
        Tools {
            store: Arc::new(store),
        }
    }

    /// Runs a typed tool call.
    pub async fn execute(&self, request: &ToolRequest) -> Result<ToolOutput, ToolError> {
        let store = &*self.store;
        Ok(match request {
            ToolRequest::AddTask { title, description } => summary(
                store.create(title, description.as_deref()).await?,
                Outcome::Created,
            ),
            ToolRequest::ListTasks { status } => ToolOutput::List(
                store
                    .list(*status)
                    .await?
                    .into_iter()
                    .map(|t| ListedTask {
                        task_id: t.id,
                        status: if t.completed {
                            ListedStatus::Completed
                        } else {
                            ListedStatus::Pending
                        },
                        title: t.title,
                        description: t.description,
                    })
                    .collect(),
            ),
            ToolRequest::CompleteTask { task_id } => {
                let change = Change {
                    completed: Some(true),
                    ..Change::default()
                };
                summary(store.update(*task_id, change).await?, Outcome::Completed)
            }
            ToolRequest::DeleteTask { task_id } => {
                summary(store.delete(*task_id).await?, Outcome::Deleted)
            }
            ToolRequest::UpdateTask {
                task_id,
                title,
                description,
            } => {
                let change = Change {
                    title: title.clone(),
                    description: description.clone(),
                    completed: None,
                };
                summary(store.update(*task_id, change).await?, Outcome::Updated)
            }
        })
    }

    /// Runs a tool by name with JSON arguments.
    pub async fn call(&self, name: &str, args: &Value) -> Result<Value, ToolError> {
        let request = ToolRequest::from_json(name, args)?;
        Ok(self.execute(&request).await?.to_json())
    }

    /// Runs a tool by name and records the call with the arguments as given, successful or
    /// not.
    pub async fn call_recorded(&self, name: &str, args: Value) -> (ToolCall, bool) {
        let (result, ok) = match self.call(name, &args).await {
            Ok(result) => (result, true),
            Err(e) => (e.to_result(), false),
        };
        let call = ToolCall {
            name: name.to_owned(),
            arguments: args,
            result,
        };
        (call, ok)
    }

    /// Runs a typed tool call and records it; the record is what a JSON call with the same
    /// arguments would have recorded.
    pub async fn run_recorded(
        &self,
        request: &ToolRequest,
    ) -> (ToolCall, Result<ToolOutput, ToolError>) {
        let outcome = self.execute(request).await;
        let result = match &outcome {
            Ok(output) => output.to_json(),
            Err(e) => e.to_result(),
        };
        let call = ToolCall {
            name: request.name().to_owned(),
            arguments: request.arguments(),
            result,
        };
        (call, outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a JSON call and, when it parses, checks that its arguments read back the same.
    fn check(name: &str, args: Value, expect: Result<ToolRequest, &str>) {
        let got = ToolRequest::from_json(name, &args).map_err(|e| e.message());
        assert_eq!(got, expect.map_err(str::to_owned), "{name} {args}");
        if let Ok(request) = got {
            let again = ToolRequest::from_json(request.name(), &request.arguments());
            assert_eq!(again.ok(), Some(request));
        }
    }

    #[test]
    fn json_calls_parse_into_typed_requests() {
        check(
            "add_task",
            json!({"title": "Buy milk"}),
            Ok(ToolRequest::AddTask {
                title: "Buy milk".to_owned(),
                description: None,
            }),
        );
        check(
            "list_tasks",
            Value::Null,
            Ok(ToolRequest::ListTasks {
                status: StatusFilter::All,
            }),
        );
        check(
            "list_tasks",
            json!({"status": "Pending"}),
            Ok(ToolRequest::ListTasks {
                status: StatusFilter::Pending,
            }),
        );
        check(
            "complete_task",
            json!({"task_id": "#3"}),
            Ok(ToolRequest::CompleteTask { task_id: 3 }),
        );
        check(
            "update_task",
            json!({"task_id": 2, "description": ""}),
            Ok(ToolRequest::UpdateTask {
                task_id: 2,
                title: None,
                description: Some(String::new()),
            }),
        );
    }

    #[test]
    fn bad_calls_name_the_tool_and_the_rule() {
        check(
            "delete_task",
            json!({"task_id": 0}),
            Err("invalid arguments for delete_task: task_id must be a positive integer"),
        );
        check(
            "update_task",
            json!({"task_id": 2}),
            Err("invalid arguments for update_task: give a new title or description"),
        );
        check(
            "list_tasks",
            json!({"status": "done"}),
            Err("invalid arguments for list_tasks: status must be all, pending or completed"),
        );
        check(
            "add_task",
            json!({"title": "x", "due": "today"}),
            Err(
                "invalid arguments for add_task: unknown field `due`, expected `title` or `description`",
            ),
        );
        check(
            "drop_tables",
            json!({}),
            Err(
                "unknown tool `drop_tables`; available: add_task, list_tasks, complete_task, delete_task, update_task",
            ),
        );
    }

    #[test]
    fn every_advertised_tool_has_a_parser() {
        let advertised: Vec<&str> = specs().iter().map(|s| s.name).collect();
        assert_eq!(advertised, TOOL_NAMES);
        for name in TOOL_NAMES {
            let e = ToolRequest::from_json(name, &json!({"task_id": 1, "title": "t"}));
            assert!(!matches!(e, Err(ToolError::UnknownTool(_))), "{name}");
        }
    }

    #[test]
    fn the_stores_own_failure_is_not_shown() {
        let detail = "connection refused to 10.0.0.7:5432";
        let failed = ToolError::from(StoreError::Unavailable(detail.to_owned()));
        assert!(
            !failed.message().contains("10.0.0.7"),
            "{}",
            failed.message()
        );
        assert!(
            failed.to_string().contains(detail),
            "the detail stays for logs"
        );
        let refused = ToolError::from(StoreError::Rejected("title: too long".to_owned()));
        assert_eq!(refused.message(), "title: too long");
        assert!(
            ToolError::from(StoreError::NotFound("task 9 not found".to_owned())).is_not_found()
        );
        assert!(!refused.is_not_found());
    }
}
