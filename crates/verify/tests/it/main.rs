#![allow(clippy::unwrap_used, missing_docs)]

mod local;
mod static_checks;
