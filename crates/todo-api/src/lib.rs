//! todo-api: the Todo chatbot backend.
//!
//! An axum service on PostgreSQL (sqlx) with register/login (argon2id + HS256 tokens), task
//! REST routes, a chat endpoint driven by a built-in or an OpenAI-compatible agent, an MCP tool
//! server, health probes and an OpenAPI document. The contract is DESIGN §4; see README.md for
//! the configuration.

pub mod agent;
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
pub mod tools;

pub use config::{Config, ServeArgs};
pub use error::{Error, Result};
