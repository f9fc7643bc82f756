//! Tests of todo-intent through its public surface only.
#![allow(clippy::unwrap_used, missing_docs)]

mod parse;
