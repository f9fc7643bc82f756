//! todo-intent: the language of the todo chatbot's built-in agent.
//!
//! [`parse`] turns one message into a typed [`Intent`]; [`find`] picks the task a phrase names
//! from a list of [`Candidate`]s, or says why it cannot ([`Found`]); [`Reply`] words the
//! answer, and [`asked_choices`] reads the candidates of a question back from its text;
//! [`EXAMPLES`] and [`MENU`] are what the agent offers when it is greeted or does not
//! understand.
//!
//! Everything here is a pure function of its input: no database, no HTTP, no tool layer and no
//! randomness, so the same message always means the same thing. The service (todo-api) runs
//! the intents through its tools.

mod examples;
mod matching;
mod parse;
// Laid out by hand: see the module's comment.
#[rustfmt::skip]
mod phrases;
mod reply;
mod words;

pub use examples::{EXAMPLES, MENU};
pub use matching::{Candidate, Found, find};
pub use parse::{Choice, Field, Filter, Intent, TaskRef, parse, parse_ref};
pub use reply::{Reply, asked_choices};
