//! Integration tests of todo-api against a real PostgreSQL (DATABASE_URL, a superuser: each
//! test creates and drops its own database, so tests run in parallel).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

mod auth;
mod badinput;
mod chat;
mod corpus;
mod llm;
mod logs;
mod mcp;
mod openapi;
mod ops;
mod schemathesis;
mod tasks;
