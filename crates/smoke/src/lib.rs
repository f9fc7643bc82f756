//! smoke: what a user does in their first minutes, run against a todo-web base URL, and the
//! timed [`Step`]s every dynamic report of the kit is made of.
//!
//! [`journey`] signs up, signs in, creates a task, asks the chatbot for another, completes and
//! deletes them and reads the conversation back, through todo-web's same-origin proxy with its
//! session cookie and CSRF token, as the browser does; every answer is read by the contract's
//! field names. [`answering_again`] and [`still_there`] are what a restart check asks after
//! pods were replaced. `verify` runs the journey against local processes and a live release.

mod journey;
mod step;

pub use journey::{Footprint, SmokeReport, answering_again, journey, journey_with, still_there};
pub use step::{Progress, ProgressEvent, Step, StepFailure, StepResult, write_steps};
