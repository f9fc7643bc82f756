//! todo-api: the Todo chatbot backend.
//!
//! An axum service on PostgreSQL (sqlx) with register/login (argon2id + HS256 tokens), task
//! REST routes, a chat endpoint answered by a `todo-agent` agent, an MCP server for the same
//! tools, health probes and an OpenAPI document. The contract is DESIGN §4; see README.md for
//! the configuration.

pub mod app;
pub mod auth;
pub mod chat;
pub mod config;
pub mod db;
pub mod error;
pub mod health;
pub mod healthcheck;
pub mod mcp;
pub mod openapi;
pub mod server;
pub mod tasks;
pub mod text;
pub mod timefmt;

pub use config::{Config, ServeArgs};
pub use error::{Error, Result};
