#![allow(clippy::unwrap_used, missing_docs)]

mod ai;
mod doctor;
mod fake;
mod fixtures;
