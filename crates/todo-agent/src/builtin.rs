//! The deterministic built-in agent: understands everyday phrasing about tasks without any
//! model or API key.
//!
//! The language is todo-intent's: [`parse`] turns a message into a typed [`Intent`],
//! [`todo_intent::find`] picks the task a title names and [`Reply`] words the answer. This
//! module is the dispatch: it runs the intent through the tool layer as typed
//! [`ToolRequest`]s. Finding the task a title names is a `list_tasks` call like any other, so
//! every lookup shows in the reply's tool calls.

use futures::future::BoxFuture;
use todo_intent::{
    Candidate, Choice, Field, Filter, Found, Intent, Reply, TaskRef, asked_choices, parse,
};

use crate::agent::{Agent, AgentReply, HistoryMessage};
use crate::store::StatusFilter;
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
        let Some(ids) = asked_choices(&asked.content) else {
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
                None => return Err(Reply::PickFrom(options).to_string()),
            },
            Choice::Yes => match options.as_slice() {
                [id] => *id,
                _ => return Err(Reply::PickFrom(options).to_string()),
            },
        };
        let task = TaskRef::Id(id);
        return match original {
            Intent::Complete(_) | Intent::Statement(_) => Ok(Intent::Complete(task)),
            Intent::Delete(_) => Ok(Intent::Delete(task)),
            Intent::Update { field, value, .. } => Ok(Intent::Update { task, field, value }),
            _ => Err(Reply::NothingAsked(choice).to_string()),
        };
    }
    Err(Reply::NothingAsked(choice).to_string())
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
        outcome.map_err(|e| {
            Reply::Failed {
                message: &e.message(),
                not_found: e.is_not_found(),
            }
            .to_string()
        })
    }

    async fn task(&mut self, request: ToolRequest) -> Result<TaskSummary, Refusal> {
        match self.run(request).await? {
            ToolOutput::Task(t) => Ok(t),
            ToolOutput::List(_) => Err(Reply::Confused.to_string()),
        }
    }

    async fn list(&mut self, filter: Filter) -> Result<Vec<ListedTask>, Refusal> {
        let status = StatusFilter::from(filter);
        match self.run(ToolRequest::ListTasks { status }).await? {
            ToolOutput::List(tasks) => Ok(tasks),
            ToolOutput::Task(_) => Err(Reply::Confused.to_string()),
        }
    }

    /// The task `phrase` names among the `among` tasks, looked up with `list_tasks`.
    async fn find(
        &mut self,
        phrase: &str,
        among: Filter,
        prefer_pending: bool,
    ) -> Result<i64, Refusal> {
        let listed = self.list(among).await?;
        let tasks = candidates(&listed);
        match todo_intent::find(phrase, &tasks, prefer_pending) {
            Found::One(id) => Ok(id),
            Found::Tied(ids) => Err(Reply::WhichOne {
                phrase,
                tasks: &tasks,
                ids: &ids,
            }
            .to_string()),
            Found::Closest(ids) => Err(Reply::NoMatch {
                phrase,
                tasks: &tasks,
                closest: &ids,
                among,
            }
            .to_string()),
        }
    }

    async fn resolve(&mut self, task: &TaskRef, prefer_pending: bool) -> Result<i64, Refusal> {
        match task {
            TaskRef::Id(id) => Ok(*id),
            TaskRef::Title(phrase) => self.find(phrase, Filter::All, prefer_pending).await,
        }
    }

    async fn act(&mut self, intent: Intent, message: &str) -> String {
        self.try_act(intent, message)
            .await
            .unwrap_or_else(|refusal| refusal)
    }

    async fn try_act(&mut self, intent: Intent, message: &str) -> Result<String, Refusal> {
        let reply = match intent {
            Intent::Help => Reply::Help.to_string(),
            Intent::Unknown => Reply::NotUnderstood(message).to_string(),
            Intent::Choose(choice) => Reply::NothingAsked(choice).to_string(),
            Intent::Add { title, description } => {
                let t = self
                    .task(ToolRequest::AddTask { title, description })
                    .await?;
                Reply::Added {
                    id: t.task_id,
                    title: &t.title,
                }
                .to_string()
            }
            Intent::List(filter) => {
                let listed = self.list(filter).await?;
                Reply::Listing {
                    tasks: &candidates(&listed),
                    filter,
                }
                .to_string()
            }
            Intent::Complete(task) => {
                let task_id = self.resolve(&task, true).await?;
                completed(&self.task(ToolRequest::CompleteTask { task_id }).await?)
            }
            Intent::Statement(said) => {
                // Only a pending task can have just been done, and only a clear match counts.
                let task_id = self.find(&said, Filter::Pending, false).await?;
                completed(&self.task(ToolRequest::CompleteTask { task_id }).await?)
            }
            Intent::Delete(task) => {
                let task_id = self.resolve(&task, false).await?;
                let t = self.task(ToolRequest::DeleteTask { task_id }).await?;
                Reply::Deleted {
                    id: t.task_id,
                    title: &t.title,
                }
                .to_string()
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
                let t = self.task(request).await?;
                Reply::Updated {
                    id: t.task_id,
                    title: &t.title,
                    field,
                }
                .to_string()
            }
        };
        Ok(reply)
    }
}

fn completed(t: &TaskSummary) -> String {
    Reply::Completed {
        id: t.task_id,
        title: &t.title,
    }
    .to_string()
}

/// Listed tasks as todo-intent takes them, to match a phrase against and to word a reply.
fn candidates(listed: &[ListedTask]) -> Vec<Candidate<'_>> {
    listed
        .iter()
        .map(|t| Candidate {
            id: t.task_id,
            title: &t.title,
            completed: t.status == ListedStatus::Completed,
        })
        .collect()
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
