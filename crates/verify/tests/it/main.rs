#![allow(clippy::unwrap_used, missing_docs)]

mod live;
mod local;
