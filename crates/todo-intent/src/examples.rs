//! The examples the agent offers: a menu for a greeting, and for a message it did not
//! understand the few examples closest to what was typed.

use crate::words;

/// The greeting's menu: one example per kind of request.
pub const MENU: &[&str] = &[
    "Add a task to buy groceries",
    "What's pending?",
    "What have I completed?",
    "Mark task 3 as complete",
    "Delete the meeting task",
    "Change task 1 to 'Call mom tonight'",
];

/// Every example, each a message the parser understands (a test holds it to that).
pub const EXAMPLES: &[&str] = &[
    "Add a task to buy groceries",
    "Remind me to call mom tomorrow",
    "Put 'send invoice' on my list",
    "What's on my list?",
    "What's pending?",
    "What have I completed?",
    "Mark task 3 as complete",
    "I called the dentist",
    "Done with the groceries",
    "Delete the meeting task",
    "Remove task 4",
    "Change task 1 to 'Call mom tonight'",
    "Rename task 2 to Buy oat milk",
    "Add a note to task 2: bring the slides",
];

/// How many examples a reply to a message not understood offers.
const OFFERED: usize = 3;

/// Stems of every word but articles: unlike task matching, "what" and "list" count here.
fn stems(text: &str) -> Vec<String> {
    words::split(text)
        .filter(|w| !matches!(w.as_str(), "a" | "an" | "the"))
        .map(|w| words::stem(&w))
        .collect()
}

/// The examples closest to `typed`, best first: shared words (equal stems count most, then
/// prefixes, then typos), then shared character pairs; the table order breaks ties.
pub fn closest(typed: &str) -> Vec<&'static str> {
    let said = stems(typed);
    let mut ranked: Vec<(u32, u32, usize)> = EXAMPLES
        .iter()
        .enumerate()
        .map(|(i, example)| {
            let have = stems(example);
            let shared: u32 = said
                .iter()
                .map(|w| {
                    have.iter()
                        .map(|h| {
                            if h == w {
                                3
                            } else if w.len().min(h.len()) >= 3
                                && (h.starts_with(w.as_str()) || w.starts_with(h.as_str()))
                            {
                                2
                            } else if words::is_slip_of(w, h) {
                                1
                            } else {
                                0
                            }
                        })
                        .max()
                        .unwrap_or(0)
                })
                .sum();
            (shared, words::similarity(typed, example), i)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    ranked
        .into_iter()
        .take(OFFERED)
        .map(|(_, _, i)| EXAMPLES[i])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Intent, parse};

    /// The examples the agent offers are requests it understands: each parses to something it
    /// can act on.
    #[test]
    fn every_offered_example_is_understood() {
        for example in EXAMPLES.iter().chain(MENU) {
            let intent = parse(example);
            assert!(
                !matches!(intent, Intent::Unknown | Intent::Help | Intent::Choose(_)),
                "{example:?} parses to {intent:?}"
            );
        }
        assert!(
            MENU.iter().all(|m| EXAMPLES.contains(m)),
            "the menu is drawn from the examples"
        );
    }
}
