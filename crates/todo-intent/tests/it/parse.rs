//! The parser from the outside: everyday phrasing to intents, and odd input that must not
//! panic it.

use todo_intent::{Field, Filter, Intent, TaskRef, parse};

/// Pure parsing: phrase → intent, including the DESIGN §4 phrases and natural variants.
#[test]
fn parser_understands_everyday_phrasing() {
    fn add(t: &str) -> Intent {
        Intent::Add {
            title: t.to_owned(),
            description: None,
        }
    }
    fn upd(id: i64, v: &str) -> Intent {
        Intent::Update {
            task: TaskRef::Id(id),
            field: Field::Title,
            value: v.to_owned(),
        }
    }
    let title = |s: &str| TaskRef::Title(s.to_owned());
    let cases: Vec<(&str, Intent)> = vec![
        ("Add a task to buy groceries", add("Buy groceries")),
        ("add buy milk", add("Buy milk")),
        ("Add 'buy milk' to my list please", add("buy milk")),
        ("remind me to call mom", add("Call mom")),
        ("Remind me to call mom tomorrow!", add("Call mom tomorrow")),
        ("I need to remember to pay bills", add("Pay bills")),
        (
            "Don't let me forget to water the plants",
            add("Water the plants"),
        ),
        ("new task: file taxes", add("File taxes")),
        (
            "Could you create a task called Renew passport?",
            add("Renew passport"),
        ),
        (
            "add walk the dog with description before 8am",
            Intent::Add {
                title: "Walk the dog".to_owned(),
                description: Some("before 8am".to_owned()),
            },
        ),
        ("What's pending?", Intent::List(Filter::Pending)),
        ("show pending tasks", Intent::List(Filter::Pending)),
        ("What do I still have to do?", Intent::List(Filter::Pending)),
        ("What have I completed?", Intent::List(Filter::Completed)),
        ("show completed tasks", Intent::List(Filter::Completed)),
        ("list my tasks", Intent::List(Filter::All)),
        ("show me everything", Intent::List(Filter::All)),
        ("tasks", Intent::List(Filter::All)),
        ("Mark task 3 as complete", Intent::Complete(TaskRef::Id(3))),
        ("mark task #3 done", Intent::Complete(TaskRef::Id(3))),
        ("finish task 2", Intent::Complete(TaskRef::Id(2))),
        ("complete task 12", Intent::Complete(TaskRef::Id(12))),
        ("I finished task 5", Intent::Complete(TaskRef::Id(5))),
        ("task 7 is done", Intent::Complete(TaskRef::Id(7))),
        ("I need to finish task 2", Intent::Complete(TaskRef::Id(2))),
        (
            "mark the groceries task as done",
            Intent::Complete(title("groceries")),
        ),
        ("Delete the meeting task", Intent::Delete(title("meeting"))),
        ("remove task 4", Intent::Delete(TaskRef::Id(4))),
        ("please delete task #4.", Intent::Delete(TaskRef::Id(4))),
        (
            "get rid of the task about the dentist",
            Intent::Delete(title("the dentist")),
        ),
        (
            "cancel 'Team meeting'",
            Intent::Delete(title("Team meeting")),
        ),
        (
            "Change task 1 to 'Call mom tonight'",
            upd(1, "Call mom tonight"),
        ),
        ("rename task 1 to Call dad", upd(1, "Call dad")),
        ("update task 2 to go to the gym", upd(2, "Go to the gym")),
        ("edit task 3: buy oat milk", upd(3, "Buy oat milk")),
        (
            "change the description of task 4 to bring the slides",
            Intent::Update {
                task: TaskRef::Id(4),
                field: Field::Description,
                value: "bring the slides".to_owned(),
            },
        ),
        (
            "update task 4 description to bring the slides",
            Intent::Update {
                task: TaskRef::Id(4),
                field: Field::Description,
                value: "bring the slides".to_owned(),
            },
        ),
        (
            "rename the meeting task to Team sync",
            Intent::Update {
                task: title("meeting"),
                field: Field::Title,
                value: "Team sync".to_owned(),
            },
        ),
        ("hello", Intent::Help),
        ("help", Intent::Help),
        ("", Intent::Help),
        ("what's the weather like in Paris", Intent::Unknown),
        ("mark task 3 as pending", Intent::Unknown),
        ("asdf qwerty", Intent::Unknown),
    ];
    let mut failures = Vec::new();
    for (phrase, want) in cases {
        let got = parse(phrase);
        if got != want {
            failures.push(format!("{phrase:?}: want {want:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "misparsed:\n{}", failures.join("\n"));
}

/// Odd input never panics the parser (byte offsets vs. Unicode case mapping, quotes, emoji).
#[test]
fn parser_survives_odd_unicode() {
    let odd = [
        "change İİİİ to x",
        "rename task 1 to İstanbul trip",
        "change the İ task to ǅemal",
        "add ẞ with description ǅ",
        "add İİ with description x",
        "delete 'unclosed",
        "add \"\"",
        "add ''",
        "mark task 99999999999999999999999 as done",
        "delete task -3",
        "\u{202e}add evil",
        "🙂🙂🙂 to 🙂",
        "update to to to to",
        "change  to ",
        "Ｄｅｌｅｔｅ task 1",
        "complete task ١٢",
    ];
    for s in odd {
        let _ = parse(s);
    }
    assert_eq!(
        parse("rename task 1 to İstanbul trip"),
        Intent::Update {
            task: TaskRef::Id(1),
            field: Field::Title,
            value: "İstanbul trip".to_owned()
        }
    );
    assert_eq!(
        parse("change İİİİ to x"),
        Intent::Update {
            task: TaskRef::Title("İİİİ".to_owned()),
            field: Field::Title,
            value: "X".to_owned()
        }
    );
}

/// Thousands of pseudo-random word salads built from command words, ids, quotes and odd
/// Unicode: the parser must never panic (a panic aborts a release build).
#[test]
fn parser_never_panics_on_word_salad() {
    let words = [
        "add",
        "task",
        "to",
        "the",
        "delete",
        "mark",
        "as",
        "done",
        "change",
        "rename",
        "update",
        "description",
        "of",
        "title",
        "remind",
        "me",
        "i",
        "need",
        "remember",
        "what's",
        "pending",
        "completed",
        "show",
        "#",
        "3",
        "0",
        "-1",
        "99999999999999999999",
        "'",
        "\"",
        "“",
        "”",
        ":",
        "with",
        "İ",
        "ǅ",
        "ẞ",
        "🙂",
        "\u{202e}",
        "\u{200b}",
        "é",
        "\u{301}",
        "into",
        "is",
        "please",
        "?",
        ".",
        " ",
        "",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..5000 {
        let n = (next() % 9) as usize;
        let phrase: Vec<&str> = (0..n)
            .map(|_| words[(next() % words.len() as u64) as usize])
            .collect();
        let sep = if next() % 3 == 0 { "" } else { " " };
        let _ = parse(&phrase.join(sep));
    }
}
