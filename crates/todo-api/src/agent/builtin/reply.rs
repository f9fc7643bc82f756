//! What the built-in agent says. The questions it asks end in a fixed sentence and name their
//! candidates as "#N", which is how the next message's "the second one" or "yes" is read back
//! ([`asked_choices`]): the conversation is stored as text, so the question itself is the state.

use todo_intent::{Choice, Field, MENU, closest};

use crate::tasks::StatusFilter;
use crate::tools::{ListedStatus, ListedTask, TaskSummary, ToolError};

/// Ends a question that asks for one of several tasks by number.
const SAY_NUMBER: &str = "Say its number, e.g.";
/// Ends a question about one task.
const SAY_YES: &str = "Say \"yes\" or";

/// Tasks shown in a list reply at most.
const SHOWN: usize = 50;
/// Candidates named in a question at most.
const NAMED: usize = 10;

fn bullet(examples: &[&str]) -> String {
    examples.iter().map(|e| format!("\n• \"{e}\"")).collect()
}

/// The answer to a greeting or "help".
pub fn help() -> String {
    format!(
        "Hi! I can manage your tasks. Try for example:{}",
        bullet(MENU)
    )
}

/// The answer to a message not understood: the examples closest to it.
pub fn not_understood(message: &str) -> String {
    format!(
        "Sorry, I didn't understand that. Closest to what you wrote, you could say:{}",
        bullet(&closest(message))
    )
}

pub fn added(t: &TaskSummary) -> String {
    format!("Added task #{}: {}.", t.task_id, t.title)
}

pub fn completed(t: &TaskSummary) -> String {
    format!("Marked task #{} \"{}\" as completed.", t.task_id, t.title)
}

pub fn deleted(t: &TaskSummary) -> String {
    format!("Deleted task #{} \"{}\".", t.task_id, t.title)
}

pub fn updated(t: &TaskSummary, field: Field) -> String {
    match field {
        Field::Title => format!("Updated task #{}: it is now \"{}\".", t.task_id, t.title),
        Field::Description => format!(
            "Updated the description of task #{} \"{}\".",
            t.task_id, t.title
        ),
    }
}

pub fn failed(e: &ToolError) -> String {
    if e.is_not_found() {
        format!(
            "I couldn't do that: {}. Say \"show my tasks\" to see your tasks and their numbers.",
            e.message()
        )
    } else {
        format!("I couldn't do that: {}.", e.message())
    }
}

/// A tool answered with a result of another kind than asked for; cannot happen.
pub fn confused() -> String {
    "Something went wrong on my side; please try again.".to_owned()
}

pub fn listing(tasks: &[ListedTask], status: StatusFilter) -> String {
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
    for t in tasks.iter().take(SHOWN) {
        let mark = match t.status {
            ListedStatus::Completed => "✓",
            ListedStatus::Pending => "○",
        };
        out.push_str(&format!("\n{mark} #{} {}", t.task_id, t.title));
    }
    if n > SHOWN {
        out.push_str(&format!("\n… and {} more.", n - SHOWN));
    }
    out
}

fn named<'a>(tasks: &'a [ListedTask], ids: &[i64]) -> Vec<&'a ListedTask> {
    ids.iter()
        .filter_map(|id| tasks.iter().find(|t| t.task_id == *id))
        .take(NAMED)
        .collect()
}

fn candidates(tasks: &[&ListedTask]) -> String {
    tasks
        .iter()
        .map(|t| {
            let done = if t.status == ListedStatus::Completed {
                " (completed)"
            } else {
                ""
            };
            format!("\n• #{} {}{done}", t.task_id, t.title)
        })
        .collect()
}

fn say_number(first: &ListedTask) -> String {
    format!("{SAY_NUMBER} \"task {}\".", first.task_id)
}

/// Several tasks match equally well.
pub fn which_one(phrase: &str, tasks: &[ListedTask], ids: &[i64]) -> String {
    let tied = named(tasks, ids);
    let Some(first) = tied.first() else {
        return confused();
    };
    format!(
        "{} tasks match \"{phrase}\" equally well:{}\nWhich one do you mean? {}",
        tied.len(),
        candidates(&tied),
        say_number(first)
    )
}

/// No task matches the whole phrase; `closest` may be empty.
pub fn no_match(phrase: &str, tasks: &[ListedTask], closest: &[i64], what: &str) -> String {
    let close = named(tasks, closest);
    match close.as_slice() {
        [] if tasks.is_empty() => {
            format!("I couldn't find {what} matching \"{phrase}\": you have none yet.")
        }
        [] => format!(
            "I couldn't find {what} matching \"{phrase}\". Say \"show my tasks\" to see them with their numbers."
        ),
        [one] => format!(
            "I couldn't find {what} matching \"{phrase}\". The closest is #{} \"{}\". Did you mean it? {SAY_YES} another task's number.",
            one.task_id, one.title
        ),
        [first, ..] => format!(
            "I couldn't find {what} matching \"{phrase}\". The closest:{}\nDid you mean one of these? {}",
            candidates(&close),
            say_number(first)
        ),
    }
}

/// An answer ("yes", "the second one") when nothing was asked, or that does not fit.
pub fn nothing_asked(choice: Choice) -> String {
    match choice {
        Choice::Id(id) => format!(
            "What should I do with task #{id}? For example \"complete task {id}\", \"delete task {id}\" or \"rename task {id} to …\"."
        ),
        Choice::Ordinal(_) | Choice::Yes => format!(
            "I'm not sure what you are answering. {}",
            help().trim_start_matches("Hi! ")
        ),
    }
}

/// "yes" or "the fourth" when the question named other candidates.
pub fn pick_from(options: &[i64]) -> String {
    let list: Vec<String> = options.iter().map(|id| format!("#{id}")).collect();
    let first = options.first().copied().unwrap_or(1);
    format!(
        "Which one do you mean: {}? {SAY_NUMBER} \"task {first}\".",
        list.join(", ")
    )
}

/// The task numbers a question of ours offered, in order; `None` when `text` asked nothing.
pub fn asked_choices(text: &str) -> Option<Vec<i64>> {
    if !text.contains(SAY_NUMBER) && !text.contains(SAY_YES) {
        return None;
    }
    let mut ids: Vec<i64> = Vec::new();
    // Only where our replies put candidates: "• #3", "is #3", ": #3, #4"; a "#5" inside a
    // task's title is none.
    let ours = |i: usize| {
        [" • ", "• ", "is ", ": ", ", "]
            .iter()
            .any(|p| text[..i].ends_with(p))
    };
    for (i, _) in text.match_indices('#').filter(|(i, _)| ours(*i)) {
        let digits: String = text[i + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(id) = digits.parse::<i64>()
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    (!ids.is_empty()).then_some(ids)
}
