//! What the tools need from the place tasks live: four operations on one user's tasks.

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// One user's tasks. The tools hold a store already bound to the user they act for, so
/// nothing the tools do can reach another user's rows.
pub trait TaskStore: Send + Sync {
    /// Creates a task; the store validates the fields.
    fn create<'a>(
        &'a self,
        title: &'a str,
        description: Option<&'a str>,
    ) -> BoxFuture<'a, Result<StoredTask, StoreError>>;

    /// The tasks `status` selects, oldest first.
    fn list(&self, status: StatusFilter) -> BoxFuture<'_, Result<Vec<StoredTask>, StoreError>>;

    /// Applies `change` to one task.
    fn update(&self, task_id: i64, change: Change)
    -> BoxFuture<'_, Result<StoredTask, StoreError>>;

    /// Deletes one task and returns it as it was.
    fn delete(&self, task_id: i64) -> BoxFuture<'_, Result<StoredTask, StoreError>>;
}

/// A task as the tools see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTask {
    /// Task id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Whether the task is done.
    pub completed: bool,
}

/// A partial change; `None` leaves the field as is. An empty description clears it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Change {
    /// New title.
    pub title: Option<String>,
    /// New description (`Some("")` clears it).
    pub description: Option<String>,
    /// New completion state.
    pub completed: Option<bool>,
}

/// Which tasks to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    /// Every task.
    #[default]
    All,
    /// Not completed.
    Pending,
    /// Completed.
    Completed,
}

impl StatusFilter {
    /// Parses `all|pending|completed`.
    pub fn parse(s: &str) -> Option<StatusFilter> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" | "" => Some(StatusFilter::All),
            "pending" => Some(StatusFilter::Pending),
            "completed" => Some(StatusFilter::Completed),
            _ => None,
        }
    }
}

/// Why the store refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A field breaks a rule; the message names the field and is safe to show.
    #[error("{0}")]
    Rejected(String),
    /// No such task for this user; the message is safe to show.
    #[error("{0}")]
    NotFound(String),
    /// The store itself failed (database down, a bug). The detail is for logs: the user and
    /// the model are only told the store is unavailable.
    #[error("{0}")]
    Unavailable(String),
}
