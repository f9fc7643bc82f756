//! The built-in agent's parser: one message in, one [`Intent`] out. It is a pure function of
//! the text (no I/O, no randomness), so the same message always means the same thing, and it
//! takes microseconds (BENCHMARKS.md).
//!
//! A message is first cleaned (emoji and punctuation at the edges, curly apostrophes, runs of
//! spaces), then stripped of politeness and filler ("actually", "please", "for me"), then tried
//! against each kind of request in a fixed order. Words are compared ASCII-case-insensitively
//! and text is only cut at positions found in the same string, so no Unicode case mapping can
//! move a byte offset. When nothing fits, one more try corrects slips of the fingers in the
//! command words ("delte", "tsak").

use crate::phrases::*;
use crate::words;

/// How the user named a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskRef {
    /// By id: "task 3", "#3".
    Id(i64),
    /// By words of its title: "the meeting task".
    Title(String),
}

/// Which tasks a listing asks for. The parser's own type, so this crate needs nothing of the
/// service's query types; the service maps it onto its filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Every task.
    All,
    /// Not completed.
    Pending,
    /// Completed.
    Completed,
}

/// Which field an update changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The title.
    Title,
    /// The description.
    Description,
}

/// An answer to the agent's question "which one do you mean?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// "task 3", "#3", "3".
    Id(i64),
    /// "the second one" (1-based).
    Ordinal(usize),
    /// "yes" to a question with one candidate.
    Yes,
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
    List(Filter),
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
    /// A statement that something was done ("I called the dentist"): completes the pending
    /// task it clearly describes; otherwise the agent asks.
    Statement(String),
    /// An answer to the agent's last question.
    Choose(Choice),
    /// Greeting or a request for help.
    Help,
    /// Not understood.
    Unknown,
}

/// What the user asked for, from one message.
pub fn parse(message: &str) -> Intent {
    let text = normalize(message);
    match parse_text(&text) {
        Intent::Unknown => match correct_slips(&text) {
            Some(fixed) => parse_text(&fixed),
            None => Intent::Unknown,
        },
        intent => intent,
    }
}

// ---------------------------------------------------------------------------------------------
// Cleaning.

const QUOTES: &[char] = &['\'', '"', '“', '”', '‘', '’', '`', '«', '»'];

/// Edges stripped of emoji and punctuation (quotes, `#` and brackets stay), curly apostrophes
/// inside words made straight, whitespace runs made one space, invisible spaces removed.
fn normalize(message: &str) -> String {
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::with_capacity(message.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_letters = || {
            i > 0
                && chars[i - 1].is_alphanumeric()
                && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
        };
        let c = match c {
            '\u{200b}' | '\u{2060}' | '\u{feff}' => continue,
            '’' | '‘' | 'ʼ' if between_letters() => '\'',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    let keep_start = |c: char| c.is_alphanumeric() || QUOTES.contains(&c) || c == '#' || c == '(';
    let keep_end = |c: char| c.is_alphanumeric() || QUOTES.contains(&c) || c == ')';
    let start = out.find(keep_start).unwrap_or(out.len());
    let end = out[start..]
        .char_indices()
        .rev()
        .find(|(_, c)| keep_end(*c))
        .map_or(start, |(i, c)| start + i + c.len_utf8());
    out[start..end].to_owned()
}

/// `s` without a leading `phrase` (ASCII case-insensitive) that ends at a word boundary; the
/// rest starts at the next word, after any `:`, `,` or `-` that followed the phrase.
fn strip_lead<'a>(s: &'a str, phrase: &str) -> Option<&'a str> {
    let n = phrase.len();
    if s.len() < n || !s.is_char_boundary(n) || !s[..n].eq_ignore_ascii_case(phrase) {
        return None;
    }
    let rest = &s[n..];
    let boundary = |c: char| matches!(c, ' ' | ':' | ',' | '-' | '—' | ';');
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if boundary(c) => Some(rest.trim_start_matches(boundary)),
        Some(_) => None,
    }
}

/// What follows the longest of `phrases` that starts `s`.
fn strip_lead_any<'a>(s: &'a str, phrases: &[&str]) -> Option<&'a str> {
    phrases
        .iter()
        .filter_map(|p| strip_lead(s, p).map(|rest| (p.len(), rest)))
        .max_by_key(|(n, _)| *n)
        .map(|(_, rest)| rest)
}

/// `s` without a trailing `phrase` (ASCII case-insensitive) that starts a word.
fn strip_tail<'a>(s: &'a str, phrase: &str) -> Option<&'a str> {
    let n = s.len().checked_sub(phrase.len())?;
    if !s.is_char_boundary(n) || !s[n..].eq_ignore_ascii_case(phrase) {
        return None;
    }
    let rest = &s[..n];
    (rest.is_empty() || rest.ends_with(' ')).then(|| rest.trim_end())
}

/// What precedes the longest of `phrases` that ends `s`.
fn strip_tail_any<'a>(s: &'a str, phrases: &[&str]) -> Option<&'a str> {
    phrases
        .iter()
        .filter_map(|p| strip_tail(s, p).map(|rest| (p.len(), rest)))
        .max_by_key(|(n, _)| *n)
        .map(|(_, rest)| rest)
}

/// Repeats `strip` until it no longer applies.
fn strip_all<'a>(mut s: &'a str, strip: impl Fn(&'a str) -> Option<&'a str>) -> &'a str {
    while let Some(r) = strip(s) {
        if r.len() == s.len() {
            break;
        }
        s = r;
    }
    s
}

fn trim_punct(s: &str) -> &str {
    s.trim()
        .trim_end_matches(['.', '!', '?', ',', ';', ':'])
        .trim_end()
}

/// Trailing punctuation and politeness removed.
fn trim_polite(s: &str) -> &str {
    strip_all(trim_punct(s), |s| {
        strip_tail_any(s, POLITE_TAIL).map(trim_punct)
    })
}

/// Politeness removed at both ends: "hey, could you please … for me, thanks!".
fn trim_edges(s: &str) -> &str {
    let s = trim_polite(s);
    strip_all(s, |s| strip_lead_any(s, POLITE_HEAD))
}

/// Politeness and "… to my list" removed at the end.
fn trim_list_tail(s: &str) -> &str {
    strip_all(trim_polite(s), |s| {
        strip_tail_any(s, LIST_TAIL).map(trim_polite)
    })
}

/// Removes one pair of surrounding quotes of any common style.
fn unquote(s: &str) -> &str {
    let s = s.trim();
    for (open, close) in [
        ('\'', '\''),
        ('"', '"'),
        ('“', '”'),
        ('”', '”'),
        ('‘', '’'),
        ('’', '’'),
        ('`', '`'),
        ('«', '»'),
    ] {
        if let Some(inner) = s.strip_prefix(open).and_then(|r| r.strip_suffix(close))
            && !inner.trim().is_empty()
        {
            return inner.trim();
        }
    }
    s
}

fn is_quoted(s: &str) -> bool {
    let t = trim_polite(s);
    unquote(t).len() != t.len()
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Whether the lowercase `hay` contains `needle` as whole words.
fn has_words(hay: &str, needle: &str) -> bool {
    hay.match_indices(needle).any(|(i, m)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + m.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Whether the lowercase `hay` contains any of `needles` as whole words ("n't" anywhere).
fn has_any(hay: &str, needles: &[&str]) -> bool {
    needles
        .iter()
        .any(|w| has_words(hay, w) || (*w == "n't" && hay.contains(w)))
}

/// The first word, lowercase, without the punctuation that may follow it ("task:").
fn command_verb(s: &str) -> String {
    first_word(s)
        .0
        .trim_end_matches([':', ',', '-', ';'])
        .to_ascii_lowercase()
}

fn first_word(s: &str) -> (&str, &str) {
    match s.split_once(' ') {
        Some((w, rest)) => (w, rest.trim_start()),
        None => (s, ""),
    }
}

// ---------------------------------------------------------------------------------------------
// Naming a task.

fn parse_id(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = strip_lead_any(s, NUMBER_HEAD).unwrap_or(s);
    let s = s.trim_start_matches('#').trim();
    if !s.is_empty() && s.len() <= 18 && s.bytes().all(|c| c.is_ascii_digit()) {
        s.parse().ok().filter(|v| *v > 0)
    } else {
        None
    }
}

/// "task" (or "todo", "item"), also with a slip ("tsak").
fn is_task_word(w: &str) -> bool {
    let w = w.to_ascii_lowercase();
    TASK_NOUNS.contains(&w.as_str()) || words::is_slip_of(&w, "task")
}

/// Whether `t` is only words that cannot name a task on their own.
fn names_nothing(t: &str) -> bool {
    words::split(t).all(|w| NAMES_NOTHING.contains(&w.as_str()))
}

fn title_ref(s: &str) -> Option<TaskRef> {
    let t = unquote(s).trim();
    (!t.is_empty() && !names_nothing(t)).then(|| TaskRef::Title(t.to_owned()))
}

/// Parses "task 3", "#3", "3", "the meeting task", "the dentist one", "that groceries thing",
/// "the task called X", "the one about X", "'buy milk'".
pub fn parse_ref(raw: &str) -> Option<TaskRef> {
    let s = trim_list_tail(raw.trim());
    let s = strip_all(s, |s| strip_lead_any(s, DETERMINERS));
    if let Some(id) = parse_id(s) {
        return Some(TaskRef::Id(id));
    }
    let (word, rest) = first_word(s);
    let task_word = is_task_word(word);
    if !rest.is_empty() && (task_word || word.eq_ignore_ascii_case("one")) {
        if let Some(id) = parse_id(rest) {
            return Some(TaskRef::Id(id));
        }
        let lower = rest.to_ascii_lowercase();
        if task_word && let Some(n) = NUMBER_WORDS.iter().position(|w| *w == lower) {
            return i64::try_from(n + 1).ok().map(TaskRef::Id);
        }
        return match strip_lead_any(rest, NAMED) {
            Some(name) => title_ref(name),
            None if task_word => title_ref(rest),
            None => None,
        };
    }
    title_ref(strip_tail_any(s, TASK_NOUN_TAIL).unwrap_or(s))
}

/// A leading "task 3" / "#3" and what follows it: "task 12 'dentist on friday'".
fn split_leading_id(s: &str) -> Option<(i64, &str)> {
    let (w, rest) = first_word(s);
    if let Some(id) = parse_id(w).filter(|_| w.starts_with('#')) {
        return Some((id, rest));
    }
    if is_task_word(w) {
        let (n, after) = first_word(rest);
        return parse_id(n).map(|id| (id, after));
    }
    None
}

/// Whether a command names a task as a task (by number, "#", or with "task"/"one"), which
/// tells "I need to delete the dentist task" (a command) from "I need to cancel the gym" (a
/// new task).
fn names_a_task(lower: &str) -> bool {
    lower.contains('#') || has_any(lower, MARKS_A_TASK)
}

// ---------------------------------------------------------------------------------------------
// The kinds of request, in the order they are tried.

fn parse_text(text: &str) -> Intent {
    // Before the filler goes: "ok" alone answers a question.
    if let Some(c) = parse_choice(&trim_polite(text).to_ascii_lowercase()) {
        return Intent::Choose(c);
    }
    let text = trim_edges(text);
    if text.is_empty() {
        return Intent::Help;
    }
    let lower = text.to_ascii_lowercase();
    if HELP.contains(&lower.as_str()) || strip_lead_any(&lower, HELP_HEAD).is_some() {
        return Intent::Help;
    }
    if let Some(c) = parse_choice(&lower) {
        return Intent::Choose(c);
    }
    // "check the dentist off my list" is a tick, not a look.
    if !has_words(&lower, "off") {
        let closed = strip_lead_any(&lower, QUESTION_HEAD).is_some();
        if closed || strip_lead_any(&lower, LOOK_HEAD).is_some() {
            if let Some(list) = parse_list(&lower) {
                return list;
            }
            if closed {
                return Intent::Unknown;
            }
        }
    }
    let parsers: [fn(&str) -> Option<Intent>; 6] = [
        parse_update,
        parse_complete,
        parse_delete,
        parse_add,
        parse_done_tail,
        parse_statement,
    ];
    parsers
        .iter()
        .find_map(|p| p(text))
        .or_else(|| parse_list(&lower))
        .unwrap_or(Intent::Unknown)
}

fn parse_choice(lower: &str) -> Option<Choice> {
    if YES.contains(&lower) {
        return Some(Choice::Yes);
    }
    let s = strip_lead_any(lower, CHOICE_HEAD).unwrap_or(lower);
    let s = strip_tail_any(s, &["one", "task"]).unwrap_or(s);
    if let Some(i) = ORDINALS.iter().position(|(w, n)| s == *w || s == *n) {
        return Some(Choice::Ordinal(i + 1));
    }
    if let Some(id) = parse_id(s) {
        return Some(Choice::Id(id));
    }
    match split_leading_id(s) {
        Some((id, "")) => Some(Choice::Id(id)),
        _ => None,
    }
}

fn parse_list(lower: &str) -> Option<Intent> {
    let mut l = lower.to_owned();
    for noun in LIST_NOUNS {
        l = l.replace(noun, "list");
    }
    let status = |l: &str| {
        if has_any(l, NOT_DONE_YET) {
            Filter::Pending
        } else if has_any(l, DONE_ALREADY) {
            Filter::Completed
        } else if has_any(l, COMING_UP) {
            Filter::Pending
        } else {
            Filter::All
        }
    };
    let mut filter = status(&l);
    if filter == Filter::All {
        // A slip may hide the status word: "show compelted tasks".
        if let Some(fixed) = correct_slips(&l) {
            l = fixed;
            filter = status(&l);
        }
    }
    let asked = BARE_LIST.contains(&l.as_str()) || (has_any(&l, LOOK) && has_any(&l, ABOUT_TASKS));
    asked.then_some(Intent::List(filter))
}

fn parse_update(text: &str) -> Option<Intent> {
    if let Some(i) = parse_add_note(text) {
        return Some(i);
    }
    // "task 3 should be X", "#3 should say X".
    if let Some((id, rest)) = split_leading_id(text)
        && let Some(value) = strip_lead_any(rest, SHOULD_BE)
    {
        return update_value(TaskRef::Id(id), None, value);
    }
    let verb = command_verb(text);
    let rest = strip_lead_any(text, UPDATE_VERBS)?;
    if strip_lead_any(rest, UPDATE_VERB_ADDS).is_some() {
        return None;
    }
    let (rest, mut field) = if let Some(r) = strip_lead_any(rest, DESCRIPTION_OF) {
        (r, Some(Field::Description))
    } else if let Some(r) = strip_lead_any(rest, TITLE_OF) {
        (r, Some(Field::Title))
    } else {
        (rest, None)
    };
    let lower = rest.to_ascii_lowercase();
    // The separator between the task and the new value: the first one whose left side names a
    // task by id, otherwise the last one (titles may contain "to"). At one position the
    // longest wins, so "to say" beats "to"; but "to Read …" with a capital starts the title.
    let capital_after = |i: usize, sep: &str| {
        sep.starts_with(" to ")
            && rest[i + " to ".len()..]
                .chars()
                .next()
                .is_some_and(char::is_uppercase)
    };
    let mut seps: Vec<(usize, usize, bool)> = UPDATE_SEPARATORS
        .iter()
        .map(|sep| (sep, false))
        .chain(UPDATE_VERB_SEPARATORS.iter().map(|sep| (sep, true)))
        .flat_map(|(sep, verb)| {
            lower
                .match_indices(sep)
                .filter(move |(i, _)| !(verb && capital_after(*i, sep)))
                .map(move |(i, m)| (i, m.len(), verb))
        })
        .collect();
    seps.sort_by_key(|&(i, len, _)| (i, std::cmp::Reverse(len)));
    seps.dedup_by_key(|(i, _, _)| *i);
    let by_id = seps.iter().copied().find(|&(i, _, _)| {
        matches!(
            parse_ref(strip_field_suffix(&rest[..i]).0),
            Some(TaskRef::Id(_))
        )
    });
    let last = || {
        seps.iter()
            .copied()
            .filter(|&(i, _, verb)| i > 0 && !verb)
            .max()
    };
    let Some((i, len, _)) = by_id.or_else(last) else {
        // No separator: "make task 12 'dentist on friday'", "rename task 3 Buy oat milk".
        let (id, value) = split_leading_id(rest)?;
        return update_value(TaskRef::Id(id), field, value);
    };
    let (left, suffix_field) = strip_field_suffix(&rest[..i]);
    if field.is_none() {
        field = suffix_field;
    }
    let task = parse_ref(left)?;
    // "make" changes a task only when it names one plainly: "make dinner to go" adds nothing.
    if verb == "make" && field.is_none() && !matches!(task, TaskRef::Id(_)) {
        return None;
    }
    update_value(task, field, &rest[i + len..])
}

/// The update for `raw_value`, or a completion when the value is "done".
fn update_value(task: TaskRef, field: Option<Field>, raw_value: &str) -> Option<Intent> {
    let raw_value = trim_polite(raw_value);
    let quoted = is_quoted(raw_value);
    let value = unquote(raw_value);
    if value.is_empty() {
        return None;
    }
    let field = field.unwrap_or(Field::Title);
    if field == Field::Title && !quoted {
        let lower = value.to_ascii_lowercase();
        if DONE_WORDS.contains(&lower.as_str()) {
            return Some(Intent::Complete(task));
        }
        if UNDONE_WORDS.contains(&lower.as_str()) {
            // Reopening a task is not one of the tools: say so instead of renaming it "Pending".
            return Some(Intent::Unknown);
        }
    }
    let value = if field == Field::Title && !quoted {
        capitalize(value)
    } else {
        value.to_owned()
    };
    Some(Intent::Update { task, field, value })
}

/// "task 1 description" → ("task 1", Description).
fn strip_field_suffix(left: &str) -> (&str, Option<Field>) {
    let left = left.trim();
    for (suffix, f) in [
        ("'s description", Field::Description),
        ("description", Field::Description),
        ("details", Field::Description),
        ("notes", Field::Description),
        ("'s title", Field::Title),
        ("title", Field::Title),
        ("name", Field::Title),
    ] {
        let rest = if suffix.starts_with('\'') {
            left.len()
                .checked_sub(suffix.len())
                .filter(|&n| left.is_char_boundary(n) && left[n..].eq_ignore_ascii_case(suffix))
                .map(|n| &left[..n])
        } else {
            strip_tail(left, suffix)
        };
        if let Some(r) = rest {
            return (r, Some(f));
        }
    }
    (left, None)
}

/// "add a note to task 2: bring the slides", "add a description to the dentist one saying …".
fn parse_add_note(text: &str) -> Option<Intent> {
    let rest = strip_lead_any(text, ADD_NOTE)?;
    let lower = rest.to_ascii_lowercase();
    let (i, len) = NOTE_SEPARATORS
        .iter()
        .filter_map(|sep| lower.find(sep).map(|i| (i, sep.len())))
        .min()?;
    let task = parse_ref(&rest[..i])?;
    let value = unquote(trim_polite(&rest[i + len..]));
    (!value.is_empty()).then(|| Intent::Update {
        task,
        field: Field::Description,
        value: value.to_owned(),
    })
}

fn parse_complete(text: &str) -> Option<Intent> {
    let rest = strip_lead_any(text, COMPLETE_HEAD)?;
    let verb = command_verb(text);
    // "check" and "cross" only complete with "off": "check the oil" is a task, not a tick.
    if (verb == "check" || verb == "cross") && !has_words(&text.to_ascii_lowercase(), "off") {
        return None;
    }
    let r = trim_list_tail(rest);
    let r = strip_tail_any(r, &["off"]).unwrap_or(r);
    let r = strip_tail_any(r, COMPLETE_TAIL).unwrap_or(r);
    // "mark the rent as paid" completes; "mark task 3 as pending" does not.
    if verb == "mark"
        && !is_quoted(r)
        && let Some((left, state)) = r.rsplit_once(" as ")
    {
        return is_past_verb(state)
            .then(|| parse_ref(left).map(Intent::Complete))
            .flatten();
    }
    parse_ref(r).map(Intent::Complete)
}

fn parse_delete(text: &str) -> Option<Intent> {
    let rest = strip_lead_any(text, DELETE_HEAD)?;
    let verb = command_verb(text);
    let named_as_task = || {
        names_a_task(&rest.to_ascii_lowercase())
            || is_quoted(rest)
            || matches!(parse_ref(rest), Some(TaskRef::Id(_)))
    };
    if CHORE_VERBS.contains(&verb.as_str()) && !named_as_task() {
        return None;
    }
    let r = strip_all(trim_polite(rest), |s| {
        strip_tail_any(s, DELETE_TAIL).map(trim_polite)
    });
    // "take" only deletes with "off the list": "take the bins out" is a task.
    if verb == "take" {
        return parse_ref(strip_tail_any(r, OFF_THE_LIST)?).map(Intent::Delete);
    }
    let r = strip_tail_any(r, &["off"]).unwrap_or(r);
    parse_ref(r).map(Intent::Delete)
}

fn parse_add(text: &str) -> Option<Intent> {
    if let Some(inner) = strip_lead_any(text, INTENTIONS) {
        return intention(inner);
    }
    if let Some(i) = parse_put_on_list(text) {
        return Some(i);
    }
    let rest = strip_lead_any(text, ADD_HEAD)?;
    // A task noun after the verb: "add a new task called …", "new task: …", "make a todo to …".
    let after_article = strip_lead_any(rest, ARTICLES).unwrap_or(rest);
    let rest = match strip_lead_any(after_article, ADD_NOUNS) {
        Some(r) => strip_all(r, |s| strip_lead_any(s, ADD_NAMED)),
        // "task: X" is a task; "task 12: done" and "new shoes" are not.
        None if ADD_NEEDS_NOUN.contains(&command_verb(text).as_str())
            && !text[..text.len() - rest.len()].contains(':') =>
        {
            return None;
        }
        None => rest,
    };
    add_title(rest)
}

/// The new task from what follows "add": title, optional description, list tail removed.
fn add_title(rest: &str) -> Option<Intent> {
    let rest = trim_list_tail(rest);
    let rest = strip_lead(rest, "to")
        .filter(|r| !r.is_empty())
        .unwrap_or(rest);
    let (title, description) = split_description(rest);
    let title = trim_list_tail(title);
    let quoted = is_quoted(title);
    let title = unquote(title);
    if title.is_empty() || names_nothing(title) {
        return None;
    }
    let title = if quoted {
        title.to_owned()
    } else {
        capitalize(title)
    };
    Some(Intent::Add { title, description })
}

/// "put 'send invoice' on the list", "stick milk on my list".
fn parse_put_on_list(text: &str) -> Option<Intent> {
    let rest = trim_polite(strip_lead_any(text, PUT)?);
    add_title(strip_tail_any(rest, ON_THE_LIST)?)
}

/// What "I need to …" means: a command when it plainly is one, else a new task.
fn intention(inner: &str) -> Option<Intent> {
    let inner = trim_edges(inner);
    let explicit = names_a_task(&inner.to_ascii_lowercase());
    let command = match parse_text(inner) {
        i @ (Intent::Add { .. } | Intent::List(_)) => Some(i),
        i @ (Intent::Complete(TaskRef::Id(_))
        | Intent::Delete(TaskRef::Id(_))
        | Intent::Update {
            task: TaskRef::Id(_),
            ..
        }) => Some(i),
        i @ (Intent::Complete(_) | Intent::Delete(_) | Intent::Update { .. }) if explicit => {
            Some(i)
        }
        _ => None,
    };
    command.or_else(|| add_title(inner))
}

/// "buy milk with description 2 litres" → title and description.
fn split_description(s: &str) -> (&str, Option<String>) {
    let lower = s.to_ascii_lowercase();
    for sep in DESCRIPTION_SEPARATORS {
        if let Some(i) = lower.find(sep) {
            let d = unquote(s[i + sep.len()..].trim()).to_owned();
            return (&s[..i], (!d.is_empty()).then_some(d));
        }
    }
    (s, None)
}

/// "task 7 is done", "groceries done".
fn parse_done_tail(text: &str) -> Option<Intent> {
    let left = strip_tail_any(trim_polite(text), IS_DONE)?;
    let left = left.trim_end_matches([':', '-', '—', ',']).trim_end();
    // "mrak … as done" (a slip in "mark") is not "… as" done.
    if has_words(&left.to_ascii_lowercase(), "as") {
        return None;
    }
    let first = first_word(left).0.to_ascii_lowercase();
    if NOT_A_DONE_TASK.contains(&first.as_str()) {
        return None;
    }
    parse_ref(left).map(Intent::Complete)
}

fn is_past_verb(w: &str) -> bool {
    let w = w.to_ascii_lowercase();
    if NOT_DONE_PAST.contains(&w.as_str()) {
        return false;
    }
    (words::irregular_base(&w).is_some() && !matches!(w.as_str(), "left" | "done"))
        || (w.len() >= 4 && w.ends_with("ed") && w.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// "I called the dentist", "just paid the rent", "bought milk", "the rent has been paid".
fn parse_statement(text: &str) -> Option<Intent> {
    if let Some(said) = parse_passive(text) {
        return Some(Intent::Statement(said));
    }
    let rest = strip_all(text, |s| strip_lead_any(s, SUBJECT_HEAD));
    if !is_past_verb(first_word(rest).0) {
        return None;
    }
    let said = trim_list_tail(rest);
    let said = strip_tail_any(said, WHEN_TAIL).unwrap_or(said);
    Some(Intent::Statement(said.to_owned()))
}

/// "the rent has been paid" → "paid the rent"; "the dog was walked already" → "walked the dog".
fn parse_passive(text: &str) -> Option<String> {
    let s = trim_list_tail(text);
    let s = strip_tail_any(s, WHEN_TAIL).unwrap_or(s);
    let (left, verb) = s.rsplit_once(' ')?;
    if !is_past_verb(verb) {
        return None;
    }
    let subject = strip_tail_any(left, PASSIVE)?;
    (!subject.is_empty() && parse_ref(subject).is_some()).then(|| format!("{verb} {subject}"))
}

// ---------------------------------------------------------------------------------------------
// Slips of the fingers.

/// `text` with each slip in a command word corrected ("delte" → "delete"), if it had any.
fn correct_slips(text: &str) -> Option<String> {
    let mut changed = false;
    let fixed: Vec<String> = text
        .split(' ')
        .map(|word| {
            let core = word.trim_end_matches(['?', '!', '.', ',', ':', ';']);
            let tail = &word[core.len()..];
            let lower = core.to_ascii_lowercase();
            if COMMAND_WORDS.contains(&lower.as_str()) {
                return word.to_owned();
            }
            let fix = KNOWN_SLIPS
                .iter()
                .find(|(slip, _)| *slip == lower)
                .map(|(_, w)| *w)
                .or_else(|| {
                    COMMAND_WORDS
                        .iter()
                        .copied()
                        .find(|w| words::is_slip_of(&lower, w))
                });
            match fix {
                Some(w) => {
                    changed = true;
                    format!("{w}{tail}")
                }
                None => word.to_owned(),
            }
        })
        .collect();
    changed.then(|| fixed.join(" "))
}
