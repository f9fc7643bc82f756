//! Times the built-in agent's pure parts on the corpus of `tests/it/corpus/cases.rs`: parsing
//! each message, and matching the titles they name against task lists of 16 and 500 tasks.
//! Run with `cargo bench -p todo-api --bench builtin_parse`; figures in BENCHMARKS.md.

#[allow(dead_code)] // the test's expectations; only the messages are timed here
#[path = "../tests/it/corpus/cases.rs"]
mod cases;

use std::hint::black_box;
use std::time::{Duration, Instant};

use todo_intent::{Candidate, Intent, TaskRef, parse};

/// Rounds over the whole corpus; each message's time is its median over the rounds.
const ROUNDS: usize = 201;

fn per_message(messages: &[&str], mut run: impl FnMut(&str)) -> Vec<Duration> {
    for m in messages {
        run(m);
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); messages.len()];
    for _ in 0..ROUNDS {
        for (i, m) in messages.iter().enumerate() {
            let start = Instant::now();
            run(m);
            times[i].push(start.elapsed());
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect()
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let n = times.len();
    let total: Duration = times.iter().sum();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |q: f64| times[((n - 1) as f64 * q).round() as usize];
    println!(
        "| {what} | {n} | {:.2} | {:.2} | {:.2} | {:.2} |",
        micros(total / u32::try_from(n).unwrap_or(u32::MAX)),
        micros(at(0.5)),
        micros(at(0.99)),
        micros(times[n - 1]),
    );
}

fn phrase(intent: &Intent) -> Option<&str> {
    match intent {
        Intent::Complete(TaskRef::Title(t))
        | Intent::Delete(TaskRef::Title(t))
        | Intent::Update {
            task: TaskRef::Title(t),
            ..
        } => Some(t),
        Intent::Statement(s) => Some(s),
        _ => None,
    }
}

fn main() {
    let messages: Vec<&str> = cases::CASES.iter().map(|(m, _)| *m).collect();
    let small: Vec<Candidate<'_>> = cases::FIXTURE
        .iter()
        .map(|&(id, title, completed)| Candidate {
            id,
            title,
            completed,
        })
        .collect();
    // A long list: the fixture's titles again and again with a word that tells them apart.
    let long_titles: Vec<String> = (0..500)
        .map(|i| {
            let (_, title, _) = cases::FIXTURE[i % cases::FIXTURE.len()];
            format!(
                "{title} {}",
                ["soon", "later", "weekly", "today", "maybe"][i % 5]
            )
        })
        .collect();
    let long: Vec<Candidate<'_>> = long_titles
        .iter()
        .enumerate()
        .map(|(i, title)| Candidate {
            id: i64::try_from(i).unwrap_or(0) + 1,
            title,
            completed: i % 3 == 0,
        })
        .collect();
    let named: Vec<String> = messages
        .iter()
        .filter_map(|m| phrase(&parse(m)).map(str::to_owned))
        .collect();
    let named: Vec<&str> = named.iter().map(String::as_str).collect();

    println!(
        "| Step (median of {ROUNDS} runs per message) | Messages | Mean µs | p50 µs | p99 µs | Max µs |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    report(
        "`parse`, every corpus message",
        per_message(&messages, |m| {
            black_box(parse(black_box(m)));
        }),
    );
    report(
        "`matching::find`, 16 tasks",
        per_message(&named, |p| {
            black_box(todo_intent::find(black_box(p), &small, false));
        }),
    );
    report(
        "`matching::find`, 500 tasks",
        per_message(&named, |p| {
            black_box(todo_intent::find(black_box(p), &long, false));
        }),
    );
}
