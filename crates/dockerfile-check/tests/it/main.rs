#![allow(clippy::unwrap_used, missing_docs)]

mod dockerfile;
mod dockerignore;
mod rules;
