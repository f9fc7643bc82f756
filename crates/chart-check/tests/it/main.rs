#![allow(clippy::unwrap_used, missing_docs)]

mod static_checks;
