//! The deterministic built-in agent: understands everyday phrasing about tasks without any
//! model or API key.
//!
//! The language is todo-intent's: [`parse`] turns a message into a typed [`Intent`], and
//! [`todo_intent::find`] picks the task a title names. This module is the dispatch: it runs
//! the intent through the tool layer as typed [`ToolRequest`]s. Finding the task a title
//! names is a `list_tasks` call like any other, so every lookup shows in the reply's tool
//! calls.

mod reply;

use futures::future::BoxFuture;
use todo_intent::{Candidate, Choice, Field, Filter, Found, Intent, TaskRef, parse};

use super::{Agent, AgentReply, HistoryMessage};
use crate::tasks::StatusFilter;
use crate::tools::{
    ListedStatus, ListedTask, TaskSummary, ToolCall, ToolOutput, ToolRequest, Tools,
};

/// The built-in agent.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinAgent;

impl Agent for BuiltinAgent {
    fn name(&self) -> &'static str {
        "builtin"
    }

    fn respond<'a>(
        &'a self,
        tools: &'a Tools,
        history: &'a [HistoryMessage],
        message: &'a str,
    ) -> BoxFuture<'a, AgentReply> {
        Box::pin(async move {
            let mut turn = Turn {
                tools,
                calls: Vec::new(),
            };
            let response = match parse(message) {
                Intent::Choose(choice) => match follow_up(history, choice) {
                    Ok(intent) => turn.act(intent, message).await,
                    Err(text) => text,
                },
                intent => turn.act(intent, message).await,
            };
            AgentReply {
                response,
                tool_calls: turn.calls,
            }
        })
    }
}

/// The request an answer ("the second one", "#9", "yes") completes: the conversation ends with
/// that request and our question about it (asked again, perhaps, after answers that did not fit).
fn follow_up(history: &[HistoryMessage], choice: Choice) -> Result<Intent, String> {
    let mut end = history.len();
    let mut options: Option<Vec<i64>> = None;
    while end >= 2 {
        let (said, asked) = (&history[end - 2], &history[end - 1]);
        if said.role != "user" || asked.role != "assistant" {
            break;
        }
        let Some(ids) = reply::asked_choices(&asked.content) else {
            break;
        };
        let options = options.get_or_insert(ids);
        let original = parse(&said.content);
        if matches!(original, Intent::Choose(_)) {
            end -= 2;
            continue;
        }
        let id = match choice {
            Choice::Id(id) => id,
            Choice::Ordinal(n) => match options.get(n - 1) {
                Some(id) => *id,
                None => return Err(reply::pick_from(options)),
            },
            Choice::Yes => match options.as_slice() {
                [id] => *id,
                _ => return Err(reply::pick_from(options)),
            },
        };
        let task = TaskRef::Id(id);
        return match original {
            Intent::Complete(_) | Intent::Statement(_) => Ok(Intent::Complete(task)),
            Intent::Delete(_) => Ok(Intent::Delete(task)),
            Intent::Update { field, value, .. } => Ok(Intent::Update { task, field, value }),
            _ => Err(reply::nothing_asked(choice)),
        };
    }
    Err(reply::nothing_asked(choice))
}

/// One answer in the making: the tool calls so far, in order.
struct Turn<'a> {
    tools: &'a Tools,
    calls: Vec<ToolCall>,
}

/// Why a task could not be chosen: the reply that says so.
type Refusal = String;

impl Turn<'_> {
    async fn run(&mut self, request: ToolRequest) -> Result<ToolOutput, Refusal> {
        let (call, outcome) = self.tools.run_recorded(&request).await;
        self.calls.push(call);
        outcome.map_err(|e| reply::failed(&e))
    }

    async fn task(&mut self, request: ToolRequest) -> Result<TaskSummary, Refusal> {
        match self.run(request).await? {
            ToolOutput::Task(t) => Ok(t),
            ToolOutput::List(_) => Err(reply::confused()),
        }
    }

    async fn list(&mut self, status: StatusFilter) -> Result<Vec<ListedTask>, Refusal> {
        match self.run(ToolRequest::ListTasks { status }).await? {
            ToolOutput::List(tasks) => Ok(tasks),
            ToolOutput::Task(_) => Err(reply::confused()),
        }
    }

    /// The task `phrase` names among `status` tasks, looked up with `list_tasks`.
    async fn find(
        &mut self,
        phrase: &str,
        status: StatusFilter,
        prefer_pending: bool,
    ) -> Result<i64, Refusal> {
        let tasks = self.list(status).await?;
        let candidates: Vec<Candidate<'_>> = tasks
            .iter()
            .map(|t| Candidate {
                id: t.task_id,
                title: &t.title,
                completed: t.status == ListedStatus::Completed,
            })
            .collect();
        let what = match status {
            StatusFilter::Pending => "a pending task",
            _ => "a task",
        };
        match todo_intent::find(phrase, &candidates, prefer_pending) {
            Found::One(id) => Ok(id),
            Found::Tied(ids) => Err(reply::which_one(phrase, &tasks, &ids)),
            Found::Closest(ids) => Err(reply::no_match(phrase, &tasks, &ids, what)),
        }
    }

    async fn resolve(&mut self, task: &TaskRef, prefer_pending: bool) -> Result<i64, Refusal> {
        match task {
            TaskRef::Id(id) => Ok(*id),
            TaskRef::Title(phrase) => self.find(phrase, StatusFilter::All, prefer_pending).await,
        }
    }

    async fn act(&mut self, intent: Intent, message: &str) -> String {
        self.try_act(intent, message)
            .await
            .unwrap_or_else(|refusal| refusal)
    }

    async fn try_act(&mut self, intent: Intent, message: &str) -> Result<String, Refusal> {
        Ok(match intent {
            Intent::Help => reply::help(),
            Intent::Unknown => reply::not_understood(message),
            Intent::Choose(choice) => reply::nothing_asked(choice),
            Intent::Add { title, description } => reply::added(
                &self
                    .task(ToolRequest::AddTask { title, description })
                    .await?,
            ),
            Intent::List(filter) => {
                let status = StatusFilter::from(filter);
                reply::listing(&self.list(status).await?, status)
            }
            Intent::Complete(task) => {
                let task_id = self.resolve(&task, true).await?;
                reply::completed(&self.task(ToolRequest::CompleteTask { task_id }).await?)
            }
            Intent::Statement(said) => {
                // Only a pending task can have just been done, and only a clear match counts.
                let task_id = self.find(&said, StatusFilter::Pending, false).await?;
                reply::completed(&self.task(ToolRequest::CompleteTask { task_id }).await?)
            }
            Intent::Delete(task) => {
                let task_id = self.resolve(&task, false).await?;
                reply::deleted(&self.task(ToolRequest::DeleteTask { task_id }).await?)
            }
            Intent::Update { task, field, value } => {
                let task_id = self.resolve(&task, false).await?;
                let (title, description) = match field {
                    Field::Title => (Some(value), None),
                    Field::Description => (None, Some(value)),
                };
                let request = ToolRequest::UpdateTask {
                    task_id,
                    title,
                    description,
                };
                reply::updated(&self.task(request).await?, field)
            }
        })
    }
}

impl From<Filter> for StatusFilter {
    fn from(filter: Filter) -> Self {
        match filter {
            Filter::All => StatusFilter::All,
            Filter::Pending => StatusFilter::Pending,
            Filter::Completed => StatusFilter::Completed,
        }
    }
}
