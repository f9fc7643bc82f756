//! What the built-in agent says. The questions it asks end in a fixed sentence and name their
//! candidates as "#N", which is how the next message's "the second one" or "yes" is read back
//! ([`asked_choices`]): the conversation is stored as text, so the question itself is the state.

use std::fmt;

use crate::examples;
use crate::matching::Candidate;
use crate::parse::{Choice, Field, Filter};

/// Ends a question that asks for one of several tasks by number.
const SAY_NUMBER: &str = "Say its number, e.g.";
/// Ends a question about one task.
const SAY_YES: &str = "Say \"yes\" or";

/// Tasks shown in a list reply at most.
const SHOWN: usize = 50;
/// Candidates named in a question at most.
const NAMED: usize = 10;

/// One reply of the agent, from what its tools did or why it could not act; [`fmt::Display`]
/// words it. Tasks are given as [`Candidate`]s, the form a listing takes here.
#[derive(Debug, Clone, Copy)]
pub enum Reply<'a> {
    /// The answer to a greeting or "help": the menu.
    Help,
    /// The answer to a message not understood: the examples closest to it.
    NotUnderstood(&'a str),
    /// An answer ("yes", "the second one", "#9") when nothing was asked.
    NothingAsked(Choice),
    /// "yes" or "the fourth" when the question named other candidates: these.
    PickFrom(&'a [i64]),
    /// A task was added.
    Added {
        /// Its id.
        id: i64,
        /// Its title.
        title: &'a str,
    },
    /// A task was completed.
    Completed {
        /// Its id.
        id: i64,
        /// Its title.
        title: &'a str,
    },
    /// A task was deleted.
    Deleted {
        /// Its id.
        id: i64,
        /// Its title.
        title: &'a str,
    },
    /// A task's title or description was changed.
    Updated {
        /// Its id.
        id: i64,
        /// Its title after the change.
        title: &'a str,
        /// The field changed.
        field: Field,
    },
    /// A tool refused or failed.
    Failed {
        /// What went wrong, as the tool says it.
        message: &'a str,
        /// Whether the task named does not exist, so the reply shows how to find its number.
        not_found: bool,
    },
    /// A tool answered with a result of another kind than asked for; cannot happen.
    Confused,
    /// The tasks a listing found.
    Listing {
        /// The tasks, oldest first.
        tasks: &'a [Candidate<'a>],
        /// Which tasks were asked for.
        filter: Filter,
    },
    /// Several tasks match a phrase equally well: the question which one.
    WhichOne {
        /// The phrase.
        phrase: &'a str,
        /// The tasks looked through.
        tasks: &'a [Candidate<'a>],
        /// The tied ones.
        ids: &'a [i64],
    },
    /// No task matches the whole phrase.
    NoMatch {
        /// The phrase.
        phrase: &'a str,
        /// The tasks looked through.
        tasks: &'a [Candidate<'a>],
        /// The closest ones, best first; may be empty.
        closest: &'a [i64],
        /// Which tasks were looked through.
        among: Filter,
    },
}

impl fmt::Display for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match *self {
            Reply::Help => help(),
            Reply::NotUnderstood(message) => not_understood(message),
            Reply::NothingAsked(choice) => nothing_asked(choice),
            Reply::PickFrom(options) => pick_from(options),
            Reply::Added { id, title } => format!("Added task #{id}: {title}."),
            Reply::Completed { id, title } => {
                format!("Marked task #{id} \"{title}\" as completed.")
            }
            Reply::Deleted { id, title } => format!("Deleted task #{id} \"{title}\"."),
            Reply::Updated { id, title, field } => match field {
                Field::Title => format!("Updated task #{id}: it is now \"{title}\"."),
                Field::Description => {
                    format!("Updated the description of task #{id} \"{title}\".")
                }
            },
            Reply::Failed { message, not_found } => failed(message, not_found),
            Reply::Confused => confused(),
            Reply::Listing { tasks, filter } => listing(tasks, filter),
            Reply::WhichOne { phrase, tasks, ids } => which_one(phrase, tasks, ids),
            Reply::NoMatch {
                phrase,
                tasks,
                closest,
                among,
            } => {
                let what = match among {
                    Filter::Pending => "a pending task",
                    _ => "a task",
                };
                no_match(phrase, tasks, closest, what)
            }
        };
        f.write_str(&text)
    }
}

fn bullet(examples: &[&str]) -> String {
    examples.iter().map(|e| format!("\n• \"{e}\"")).collect()
}

fn help() -> String {
    format!(
        "Hi! I can manage your tasks. Try for example:{}",
        bullet(examples::MENU)
    )
}

fn not_understood(message: &str) -> String {
    format!(
        "Sorry, I didn't understand that. Closest to what you wrote, you could say:{}",
        bullet(&examples::closest(message))
    )
}

fn failed(message: &str, not_found: bool) -> String {
    if not_found {
        format!(
            "I couldn't do that: {message}. Say \"show my tasks\" to see your tasks and their numbers."
        )
    } else {
        format!("I couldn't do that: {message}.")
    }
}

fn confused() -> String {
    "Something went wrong on my side; please try again.".to_owned()
}

fn listing(tasks: &[Candidate<'_>], filter: Filter) -> String {
    let kind = match filter {
        Filter::All => "",
        Filter::Pending => "pending ",
        Filter::Completed => "completed ",
    };
    if tasks.is_empty() {
        return match filter {
            Filter::All => "You have no tasks yet. Try \"Add a task to buy groceries\".".to_owned(),
            _ => format!("You have no {kind}tasks."),
        };
    }
    let n = tasks.len();
    let mut out = format!("You have {n} {kind}task{}:", if n == 1 { "" } else { "s" });
    for t in tasks.iter().take(SHOWN) {
        let mark = if t.completed { "✓" } else { "○" };
        out.push_str(&format!("\n{mark} #{} {}", t.id, t.title));
    }
    if n > SHOWN {
        out.push_str(&format!("\n… and {} more.", n - SHOWN));
    }
    out
}

fn named<'t, 'a>(tasks: &'t [Candidate<'a>], ids: &[i64]) -> Vec<&'t Candidate<'a>> {
    ids.iter()
        .filter_map(|id| tasks.iter().find(|t| t.id == *id))
        .take(NAMED)
        .collect()
}

fn candidates(tasks: &[&Candidate<'_>]) -> String {
    tasks
        .iter()
        .map(|t| {
            let done = if t.completed { " (completed)" } else { "" };
            format!("\n• #{} {}{done}", t.id, t.title)
        })
        .collect()
}

fn say_number(first: &Candidate<'_>) -> String {
    format!("{SAY_NUMBER} \"task {}\".", first.id)
}

fn which_one(phrase: &str, tasks: &[Candidate<'_>], ids: &[i64]) -> String {
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

fn no_match(phrase: &str, tasks: &[Candidate<'_>], closest: &[i64], what: &str) -> String {
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
            one.id, one.title
        ),
        [first, ..] => format!(
            "I couldn't find {what} matching \"{phrase}\". The closest:{}\nDid you mean one of these? {}",
            candidates(&close),
            say_number(first)
        ),
    }
}

fn nothing_asked(choice: Choice) -> String {
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

fn pick_from(options: &[i64]) -> String {
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
