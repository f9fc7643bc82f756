//! Integration tests of todo-web: the server alone, the proxy against a real todo-api and
//! PostgreSQL, and the whole UI in real headless Chromium.
#![allow(missing_docs, clippy::unwrap_used)]

mod browser;
mod proxy;
mod server;
mod support;
