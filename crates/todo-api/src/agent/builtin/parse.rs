//! The deterministic built-in agent: understands everyday phrasing about tasks without any
//! model or API key. Parsing is a pure function ([`parse`]) so it can be tested on its own.

use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::{Agent, AgentReply, HistoryMessage};
use crate::tasks::{self, StatusFilter, Task};
use crate::tools::{ToolCall, Tools};

/// The built-in agent.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinAgent;

/// How the user named a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskRef {
    /// By id: "task 3", "#3".
    Id(i64),
    /// By words of its title: "the meeting task".
    Title(String),
}

/// Which field an update changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The title.
    Title,
    /// The description.
    Description,
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Create a task.
    Add {
        /// Title.
        title: String,
        /// Optional description.
        description: Option<String>,
    },
    /// List tasks.
    List(StatusFilter),
    /// Complete a task.
    Complete(TaskRef),
    /// Delete a task.
    Delete(TaskRef),
    /// Change a task's title or description.
    Update {
        /// Which task.
        task: TaskRef,
        /// Which field.
        field: Field,
        /// New value.
        value: String,
    },
    /// Greeting or a request for help.
    Help,
    /// Not understood.
    Unknown,
}

const HELP: &str = "I can manage your tasks. Try for example:\n\
• \"Add a task to buy groceries\"\n\
• \"What's pending?\" or \"What have I completed?\"\n\
• \"Mark task 3 as complete\"\n\
• \"Delete the meeting task\"\n\
• \"Change task 1 to 'Call mom tonight'\"";

/// Case-insensitive `strip_prefix` that keeps the original casing of the rest.
fn strip_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let n = prefix.len();
    if s.len() >= n && s.is_char_boundary(n) && s[..n].eq_ignore_ascii_case(prefix) {
        Some(&s[n..])
    } else {
        None
    }
}

fn strip_any<'a>(s: &'a str, prefixes: &[&str]) -> Option<&'a str> {
    prefixes.iter().find_map(|p| strip_ci(s, p))
}

fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let n = s.len().checked_sub(suffix.len())?;
    if s.is_char_boundary(n) && s[n..].eq_ignore_ascii_case(suffix) {
        Some(&s[..n])
    } else {
        None
    }
}

/// Removes one pair of surrounding quotes of any common style.
fn unquote(s: &str) -> &str {
    let s = s.trim();
    for (open, close) in [('\'', '\''), ('"', '"'), ('“', '”'), ('‘', '’'), ('`', '`')] {
        if let Some(inner) = s.strip_prefix(open).and_then(|r| r.strip_suffix(close))
            && !inner.trim().is_empty()
        {
            return inner.trim();
        }
    }
    s
}

/// Trailing punctuation, politeness and filler that is not part of what the user means.
fn trim_tail(mut s: &str) -> &str {
    loop {
        let before = s;
        s = s
            .trim()
            .trim_end_matches(['.', '!', '?', ',', ';'])
            .trim_end();
        for tail in [
            " please",
            " pls",
            " thanks",
            " thank you",
            " for me",
            " to my list",
            " to my tasks",
            " to my task list",
            " to my todo list",
            " to my to-do list",
            " to the list",
            " to the todo list",
            " on my list",
            " to the tasks",
        ] {
            if let Some(r) = strip_suffix_ci(s, tail) {
                s = r;
            }
        }
        if s == before {
            return s;
        }
    }
}

fn trim_head(mut s: &str) -> &str {
    loop {
        let before = s;
        s = s.trim_start().trim_start_matches([',', ':']).trim_start();
        if let Some(r) = strip_any(
            s,
            &[
                "please ",
                "pls ",
                "kindly ",
                "can you ",
                "could you ",
                "would you ",
                "will you ",
                "hey ",
                "hi ",
                "hello ",
                "ok ",
                "okay ",
                "so ",
                "now ",
                "i want you to ",
                "i'd like you to ",
                "go ahead and ",
                "just ",
            ],
        ) {
            s = r;
        }
        if s == before {
            return s;
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn parse_id(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = strip_any(s, &["number ", "no. ", "no ", "id ", "#"]).unwrap_or(s);
    let s = s.trim_start_matches('#').trim();
    if !s.is_empty() && s.len() <= 18 && s.chars().all(|c| c.is_ascii_digit()) {
        s.parse().ok().filter(|v| *v > 0)
    } else {
        None
    }
}

/// Parses "task 3", "#3", "3", "the meeting task", "the task called X", "'buy milk'".
pub fn parse_ref(raw: &str) -> Option<TaskRef> {
    let s = trim_tail(raw.trim());
    let s = strip_any(s, &["the ", "my ", "that ", "this "]).unwrap_or(s);
    if let Some(id) = parse_id(s) {
        return Some(TaskRef::Id(id));
    }
    if let Some(rest) = strip_any(s, &["task ", "todo ", "to-do ", "item "]) {
        if let Some(id) = parse_id(rest) {
            return Some(TaskRef::Id(id));
        }
        let rest = strip_any(
            rest,
            &[
                "about ",
                "called ",
                "named ",
                "titled ",
                "for ",
                "to ",
                "that says ",
            ],
        )
        .unwrap_or(rest);
        return title_ref(rest);
    }
    let s = strip_suffix_ci(s, " task")
        .or_else(|| strip_suffix_ci(s, " todo"))
        .or_else(|| strip_suffix_ci(s, " item"))
        .unwrap_or(s);
    title_ref(s)
}

fn title_ref(s: &str) -> Option<TaskRef> {
    let t = unquote(s).trim();
    if t.is_empty() || t.eq_ignore_ascii_case("task") || t.eq_ignore_ascii_case("it") {
        None
    } else {
        Some(TaskRef::Title(t.to_owned()))
    }
}

/// What the user asked for, from one message.
pub fn parse(message: &str) -> Intent {
    let text = trim_head(trim_tail(message.trim()));
    if text.is_empty() {
        return Intent::Help;
    }
    let lower = text.to_lowercase();
    if matches!(
        lower.as_str(),
        "help" | "hi" | "hello" | "hey" | "what can you do" | "what can you do for me" | "menu"
    ) || lower.starts_with("how do i")
        || lower.starts_with("how does")
    {
        return Intent::Help;
    }
    if let Some(i) = parse_update(text) {
        return i;
    }
    if let Some(i) = parse_complete(text) {
        return i;
    }
    if let Some(i) = parse_delete(text) {
        return i;
    }
    if let Some(i) = parse_add(text) {
        return i;
    }
    if let Some(i) = parse_list(&lower) {
        return i;
    }
    Intent::Unknown
}

fn parse_update(text: &str) -> Option<Intent> {
    let rest = strip_any(
        text,
        &[
            "change ", "rename ", "update ", "edit ", "modify ", "set ", "retitle ",
        ],
    )?;
    let (rest, mut field) = if let Some(r) = strip_any(
        rest,
        &[
            "the description of ",
            "description of ",
            "the details of ",
            "details of ",
            "the notes of ",
        ],
    ) {
        (r, Some(Field::Description))
    } else if let Some(r) = strip_any(
        rest,
        &["the title of ", "title of ", "the name of ", "name of "],
    ) {
        (r, Some(Field::Title))
    } else {
        (rest, None)
    };
    // Find the " to " that separates the task from the new value: the first one whose left
    // side names a task by id, otherwise the last one (titles may contain "to").
    let lower = rest.to_ascii_lowercase();
    let seps: Vec<(usize, usize)> = [" to ", ": ", " into ", " as ", " with "]
        .iter()
        .flat_map(|sep| lower.match_indices(sep).map(|(i, m)| (i, m.len())))
        .collect();
    let mut best: Option<(usize, usize)> = None;
    for &(i, len) in &seps {
        let left = &rest[..i];
        let left_ref = strip_field_suffix(left).0;
        if matches!(parse_ref(left_ref), Some(TaskRef::Id(_))) && best.is_none_or(|(b, _)| i < b) {
            best = Some((i, len));
        }
    }
    if best.is_none() {
        best = seps
            .iter()
            .copied()
            .filter(|&(i, _)| i > 0)
            .max_by_key(|&(i, _)| i);
    }
    let (i, len) = best?;
    let (left, f2) = strip_field_suffix(&rest[..i]);
    if field.is_none() {
        field = f2;
    }
    let task = parse_ref(left)?;
    let value = unquote(trim_tail(&rest[i + len..])).to_owned();
    if value.is_empty() {
        return None;
    }
    let field = field.unwrap_or(Field::Title);
    let value = if field == Field::Title && !is_quoted(&rest[i + len..]) {
        capitalize(&value)
    } else {
        value
    };
    Some(Intent::Update { task, field, value })
}

fn is_quoted(s: &str) -> bool {
    let t = trim_tail(s).trim();
    unquote(t).len() != t.len()
}

/// "task 1 description" → ("task 1", Description).
fn strip_field_suffix(left: &str) -> (&str, Option<Field>) {
    let left = left.trim();
    for (suffix, f) in [
        ("'s description", Field::Description),
        (" description", Field::Description),
        (" details", Field::Description),
        ("'s title", Field::Title),
        (" title", Field::Title),
        (" name", Field::Title),
    ] {
        if let Some(r) = strip_suffix_ci(left, suffix) {
            return (r, Some(f));
        }
    }
    (left, None)
}

fn parse_complete(text: &str) -> Option<Intent> {
    let lower = text.to_lowercase();
    // "task 3 is done", "the meeting task is complete"
    for tail in [
        " is done",
        " is complete",
        " is completed",
        " is finished",
        " was done",
        " was completed",
        " has been done",
        " has been completed",
        " are done",
    ] {
        if let Some(left) = strip_suffix_ci(text, tail)
            && !lower.starts_with("what")
        {
            return parse_ref(left).map(Intent::Complete);
        }
    }
    let rest = strip_any(
        text,
        &[
            "mark off ",
            "mark ",
            "complete ",
            "finish ",
            "finished ",
            "check off ",
            "tick off ",
            "cross off ",
            "close ",
            "done with ",
            "i'm done with ",
            "i am done with ",
            "i finished ",
            "i have finished ",
            "i've finished ",
            "i completed ",
            "i have completed ",
            "i've completed ",
            "i did ",
            "i've done ",
            "i have done ",
        ],
    )?;
    let mut r = trim_tail(rest);
    for tail in [
        " as done",
        " as complete",
        " as completed",
        " as finished",
        " done",
        " complete",
        " completed",
        " finished",
        " off",
        " as checked",
    ] {
        if let Some(x) = strip_suffix_ci(r, tail) {
            r = x;
            break;
        }
    }
    // "mark task 3 as pending" is not a completion.
    if strip_ci(text, "mark ").is_some() && r.to_lowercase().contains(" as ") {
        return None;
    }
    parse_ref(r).map(Intent::Complete)
}

fn parse_delete(text: &str) -> Option<Intent> {
    let rest = strip_any(
        text,
        &[
            "delete ",
            "remove ",
            "cancel ",
            "drop ",
            "erase ",
            "trash ",
            "get rid of ",
            "discard ",
            "forget ",
            "forget about ",
            "scratch ",
        ],
    )?;
    let r = trim_tail(rest);
    let r = strip_suffix_ci(r, " from my list")
        .or_else(|| strip_suffix_ci(r, " from the list"))
        .unwrap_or(r);
    parse_ref(r).map(Intent::Delete)
}

fn parse_add(text: &str) -> Option<Intent> {
    // Intentions like "I need to ..." may wrap another command: "I need to finish task 2".
    if let Some(inner) = strip_any(text, &["i need to ", "i want to ", "i have to "])
        && let Some(i) = parse_complete(inner)
            .or_else(|| parse_delete(inner))
            .or_else(|| parse_update(inner))
    {
        return Some(i);
    }
    let rest = strip_any(
        text,
        &[
            "add a new task to ",
            "add a new task called ",
            "add a new task named ",
            "add a new task: ",
            "add a new task ",
            "add new task: ",
            "add new task ",
            "add a task to ",
            "add a task called ",
            "add a task named ",
            "add a task titled ",
            "add a task for ",
            "add a task: ",
            "add a task ",
            "add task: ",
            "add task ",
            "add a todo to ",
            "add a todo: ",
            "add a todo ",
            "add todo: ",
            "add todo ",
            "add an item to ",
            "add an item: ",
            "add ",
            "create a new task to ",
            "create a new task called ",
            "create a new task: ",
            "create a new task ",
            "create a task to ",
            "create a task called ",
            "create a task named ",
            "create a task: ",
            "create a task ",
            "create task: ",
            "create task ",
            "create ",
            "new task: ",
            "new task ",
            "new todo: ",
            "todo: ",
            "task: ",
            "remind me to ",
            "remind me that i need to ",
            "remind me about ",
            "remind me ",
            "i need to remember to ",
            "i have to remember to ",
            "i must remember to ",
            "i should remember to ",
            "i need to remember ",
            "don't let me forget to ",
            "dont let me forget to ",
            "do not let me forget to ",
            "don't forget to ",
            "dont forget to ",
            "remember to ",
            "i need to ",
            "i have to ",
            "i must ",
            "i should ",
            "i've got to ",
            "i gotta ",
            "note to self: ",
            "note to self ",
        ],
    )?;
    let rest = trim_tail(rest);
    let (title, description) = split_description(rest);
    let title = unquote(trim_tail(title));
    if title.is_empty() {
        return None;
    }
    let title = if is_quoted(rest) {
        title.to_owned()
    } else {
        capitalize(title)
    };
    Some(Intent::Add { title, description })
}

/// "buy milk with description 2 litres" / "buy milk (2 litres)" → title and description.
fn split_description(s: &str) -> (&str, Option<String>) {
    let lower = s.to_ascii_lowercase();
    for sep in [
        " with description ",
        " with the description ",
        " with details ",
        " with note ",
        " - description: ",
        " description: ",
    ] {
        if let Some(i) = lower.find(sep) {
            let d = unquote(s[i + sep.len()..].trim()).to_owned();
            return (&s[..i], (!d.is_empty()).then_some(d));
        }
    }
    (s, None)
}

fn parse_list(lower: &str) -> Option<Intent> {
    let status = if [
        "not done",
        "incomplete",
        "unfinished",
        "not completed",
        "not finished",
    ]
    .iter()
    .any(|k| lower.contains(k))
    {
        StatusFilter::Pending
    } else if ["completed", "complete", "done", "finished", "accomplished"]
        .iter()
        .any(|k| lower.contains(k))
    {
        StatusFilter::Completed
    } else if [
        "pending",
        "open",
        "remaining",
        "left",
        "outstanding",
        "to do",
        "todo",
        "to-do",
        "upcoming",
        "due",
    ]
    .iter()
    .any(|k| lower.contains(k))
    {
        StatusFilter::Pending
    } else {
        StatusFilter::All
    };
    let list_words = [
        "show",
        "list",
        "what",
        "which",
        "display",
        "view",
        "see",
        "tell",
        "give",
        "get",
        "any",
        "how many",
        "do i have",
        "my tasks",
        "my list",
        "all tasks",
        "everything",
    ];
    let mentions = [
        "task",
        "todo",
        "to do",
        "to-do",
        "list",
        "pending",
        "completed",
        "done",
        "left",
        "remaining",
        "everything",
    ];
    let bare = matches!(
        lower,
        "tasks" | "pending" | "completed" | "done" | "todo" | "todos" | "list" | "all" | "my tasks"
    );
    let asks = list_words
        .iter()
        .any(|w| lower.starts_with(w) || lower.contains(&format!(" {w}")));
    let about_tasks = mentions.iter().any(|w| lower.contains(w))
        || lower.starts_with("what's pending")
        || lower.starts_with("whats pending");
    (bare || (asks && about_tasks)).then_some(Intent::List(status))
}

/// Resolves a task named by title among the user's tasks.
enum Resolved {
    One(Task),
    None(String),
    Many(Vec<Task>),
}

fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !matches!(*w, "the" | "a" | "an" | "my" | "to" | "of"))
        .map(str::to_owned)
        .collect()
}

fn resolve_title(all: Vec<Task>, phrase: &str, prefer_pending: bool) -> Resolved {
    let p = phrase.to_lowercase();
    if let Some(t) = all.iter().find(|t| t.title.to_lowercase() == p) {
        return Resolved::One(t.clone());
    }
    let want = words(phrase);
    if want.is_empty() {
        return Resolved::None(phrase.to_owned());
    }
    let mut hits: Vec<Task> = all
        .into_iter()
        .filter(|t| {
            let title = t.title.to_lowercase();
            let have = words(&t.title);
            title.contains(&p)
                || want.iter().all(|w| {
                    have.iter().any(|h| {
                        h == w
                            || (w.len() >= 4 && h.starts_with(w.as_str()))
                            || (h.len() >= 4 && w.starts_with(h.as_str()))
                    })
                })
        })
        .collect();
    if hits.len() > 1 && prefer_pending {
        let pending: Vec<Task> = hits.iter().filter(|t| !t.completed).cloned().collect();
        if !pending.is_empty() {
            hits = pending;
        }
    }
    match hits.len() {
        0 => Resolved::None(phrase.to_owned()),
        1 => Resolved::One(hits.remove(0)),
        _ => Resolved::Many(hits),
    }
}

fn outage() -> AgentReply {
    AgentReply {
        response: "I can't reach your task list right now; please try again in a moment."
            .to_owned(),
        tool_calls: vec![],
    }
}

fn describe_list(result: &Value, status: StatusFilter) -> String {
    let tasks = result["tasks"].as_array().cloned().unwrap_or_default();
    let kind = match status {
        StatusFilter::All => "",
        StatusFilter::Pending => "pending ",
        StatusFilter::Completed => "completed ",
    };
    if tasks.is_empty() {
        return match status {
            StatusFilter::All => {
                "You have no tasks yet. Try \"Add a task to buy groceries\".".to_owned()
            }
            _ => format!("You have no {kind}tasks."),
        };
    }
    let n = tasks.len();
    let mut out = format!("You have {n} {kind}task{}:", if n == 1 { "" } else { "s" });
    const SHOWN: usize = 50;
    for t in tasks.iter().take(SHOWN) {
        let mark = if t["status"] == "completed" {
            "✓"
        } else {
            "○"
        };
        out.push_str(&format!(
            "\n{mark} #{} {}",
            t["task_id"],
            t["title"].as_str().unwrap_or("")
        ));
    }
    if n > SHOWN {
        out.push_str(&format!("\n… and {} more.", n - SHOWN));
    }
    out
}

impl BuiltinAgent {
    /// Finds the task id the user means, or the reply explaining why not.
    async fn resolve(
        &self,
        tools: &Tools,
        r: &TaskRef,
        prefer_pending: bool,
    ) -> Result<i64, AgentReply> {
        match r {
            TaskRef::Id(id) => Ok(*id),
            TaskRef::Title(phrase) => {
                let all = tasks::list(tools.pool(), tools.user(), StatusFilter::All)
                    .await
                    .map_err(|_| outage())?;
                match resolve_title(all, phrase, prefer_pending) {
                    Resolved::One(t) => Ok(t.id),
                    Resolved::None(p) => Err(AgentReply {
                        response: format!(
                            "I couldn't find a task matching \"{p}\". Say \"show my tasks\" to see them with their numbers."
                        ),
                        tool_calls: vec![],
                    }),
                    Resolved::Many(ts) => {
                        let mut s = format!(
                            "More than one task matches \"{phrase}\". Which one do you mean?"
                        );
                        for t in ts.iter().take(10) {
                            s.push_str(&format!("\n• #{} {}", t.id, t.title));
                        }
                        s.push_str("\nYou can say it by number, e.g. \"task ");
                        s.push_str(&ts[0].id.to_string());
                        s.push('"');
                        Err(AgentReply {
                            response: s,
                            tool_calls: vec![],
                        })
                    }
                }
            }
        }
    }

    async fn run(&self, tools: &Tools, message: &str) -> AgentReply {
        let intent = parse(message);
        let (name, args) = match &intent {
            Intent::Help => {
                return AgentReply {
                    response: format!("Hi! {HELP}"),
                    tool_calls: vec![],
                };
            }
            Intent::Unknown => {
                return AgentReply {
                    response: format!("Sorry, I didn't understand that. {HELP}"),
                    tool_calls: vec![],
                };
            }
            Intent::Add { title, description } => {
                let mut a = json!({"title": title});
                if let Some(d) = description {
                    a["description"] = json!(d);
                }
                ("add_task", a)
            }
            Intent::List(StatusFilter::All) => ("list_tasks", json!({})),
            Intent::List(s) => ("list_tasks", json!({"status": s})),
            Intent::Complete(r) => match self.resolve(tools, r, true).await {
                Ok(id) => ("complete_task", json!({"task_id": id})),
                Err(reply) => return reply,
            },
            Intent::Delete(r) => match self.resolve(tools, r, false).await {
                Ok(id) => ("delete_task", json!({"task_id": id})),
                Err(reply) => return reply,
            },
            Intent::Update { task, field, value } => match self.resolve(tools, task, false).await {
                Ok(id) => {
                    let key = match field {
                        Field::Title => "title",
                        Field::Description => "description",
                    };
                    ("update_task", json!({"task_id": id, key: value}))
                }
                Err(reply) => return reply,
            },
        };
        let (call, ok): (ToolCall, bool) = tools.call_recorded(name, args).await;
        let r = &call.result;
        let response = if !ok {
            let err = r["error"].as_str().unwrap_or("something went wrong");
            if err.contains("not found") {
                format!(
                    "I couldn't do that: {err}. Say \"show my tasks\" to see your tasks and their numbers."
                )
            } else {
                format!("I couldn't do that: {err}.")
            }
        } else {
            let title = r["title"].as_str().unwrap_or("");
            match (name, &intent) {
                ("add_task", _) => format!("Added task #{}: {title}.", r["task_id"]),
                ("list_tasks", Intent::List(s)) => describe_list(r, *s),
                ("complete_task", _) => {
                    format!("Marked task #{} \"{title}\" as completed.", r["task_id"])
                }
                ("delete_task", _) => format!("Deleted task #{} \"{title}\".", r["task_id"]),
                (
                    "update_task",
                    Intent::Update {
                        field: Field::Description,
                        ..
                    },
                ) => {
                    format!(
                        "Updated the description of task #{} \"{title}\".",
                        r["task_id"]
                    )
                }
                _ => format!("Updated task #{}: it is now \"{title}\".", r["task_id"]),
            }
        };
        AgentReply {
            response,
            tool_calls: vec![call],
        }
    }
}

impl Agent for BuiltinAgent {
    fn name(&self) -> &'static str {
        "builtin"
    }

    fn respond<'a>(
        &'a self,
        tools: &'a Tools,
        _history: &'a [HistoryMessage],
        message: &'a str,
    ) -> BoxFuture<'a, AgentReply> {
        Box::pin(self.run(tools, message))
    }
}
