//! Tasks: storage, validation and the REST handlers.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgRow;
use sqlx::{FromRow, Row};
use todo_agent::{Change, StatusFilter, StoreError, StoredTask, TaskStore};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::app::{ApiJson, ApiPath, ApiQuery, AppState};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::text;

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// A task as stored and returned.
#[derive(Debug, Clone, Deserialize, sqlx::FromRow, ToSchema)]
pub struct Task {
    /// Task id (unique across users; other users' ids answer 404).
    pub id: i64,
    /// Owner.
    pub user_id: Uuid,
    /// Title, 1–200 characters.
    pub title: String,
    /// Optional description, up to 1000 characters.
    pub description: Option<String>,
    /// Whether the task is done.
    pub completed: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A task whose texts borrow from where they are held — a [`Task`] or a row — and the one
/// place a task's JSON form is written: [`Task`] serializes through it, and the list route
/// writes rows through it without a `String` per text or a `Vec` of tasks.
#[derive(Serialize)]
struct TaskJson<'a> {
    id: i64,
    user_id: Uuid,
    title: &'a str,
    description: Option<&'a str>,
    completed: bool,
    #[serde(serialize_with = "crate::timefmt::serialize")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timefmt::serialize")]
    updated_at: DateTime<Utc>,
}

impl Serialize for Task {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        TaskJson {
            id: self.id,
            user_id: self.user_id,
            title: &self.title,
            description: self.description.as_deref(),
            completed: self.completed,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
        .serialize(s)
    }
}

/// Trims and checks a title; the error names the field and the rule. The length counts the
/// title as sent, so the document's `maxLength` is the whole rule.
pub fn validate_title(raw: &str) -> Result<String> {
    let t = raw.trim();
    let n = raw.chars().count();
    if t.is_empty() || n > MAX_TITLE_CHARS {
        return Err(Error::Validation(format!(
            "title: must be 1 to {MAX_TITLE_CHARS} characters (got {n})"
        )));
    }
    if t.chars().any(|c| text::is_in(&[text::CONTROL], c)) {
        return Err(Error::Validation(
            "title: must not contain control characters or line breaks".to_owned(),
        ));
    }
    if t.chars().any(|c| text::is_in(&[text::BIDI], c)) {
        return Err(Error::Validation(
            "title: must not contain bidirectional override characters".to_owned(),
        ));
    }
    if t.chars()
        .all(|c| text::is_in(&[text::WHITESPACE, text::INVISIBLE], c))
    {
        return Err(Error::Validation(
            "title: must contain at least one visible character".to_owned(),
        ));
    }
    Ok(t.to_owned())
}

/// Checks a description; empty means none. Like titles, the length counts the text as sent.
pub fn validate_description(raw: Option<&str>) -> Result<Option<String>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let n = raw.chars().count();
    let d = raw.trim();
    if n > MAX_DESCRIPTION_CHARS {
        return Err(Error::Validation(format!(
            "description: must be at most {MAX_DESCRIPTION_CHARS} characters (got {n})"
        )));
    }
    if d.chars().any(|c| text::is_in(&[text::TEXT_CONTROL], c)) {
        return Err(Error::Validation(
            "description: must not contain control characters".to_owned(),
        ));
    }
    Ok((!d.is_empty()).then(|| d.to_owned()))
}

fn not_found(id: i64) -> Error {
    Error::NotFound(format!("task {id} not found"))
}

impl<'r> FromRow<'r, PgRow> for TaskJson<'r> {
    /// By position, in the order every task statement selects its columns, which saves a
    /// hash lookup and a name comparison per value. (The list test compares each listed task
    /// with the same task read by name.)
    fn from_row(row: &'r PgRow) -> sqlx::Result<Self> {
        Ok(TaskJson {
            id: row.try_get(0)?,
            user_id: row.try_get(1)?,
            title: row.try_get(2)?,
            description: row.try_get(3)?,
            completed: row.try_get(4)?,
            created_at: row.try_get(5)?,
            updated_at: row.try_get(6)?,
        })
    }
}

fn list_sql(filter: StatusFilter) -> &'static str {
    match filter {
        StatusFilter::All => {
            "SELECT id, user_id, title, description, completed, created_at, updated_at FROM tasks WHERE user_id = $1 ORDER BY id"
        }
        StatusFilter::Pending => {
            "SELECT id, user_id, title, description, completed, created_at, updated_at FROM tasks WHERE user_id = $1 AND NOT completed ORDER BY id"
        }
        StatusFilter::Completed => {
            "SELECT id, user_id, title, description, completed, created_at, updated_at FROM tasks WHERE user_id = $1 AND completed ORDER BY id"
        }
    }
}

/// The user's tasks, oldest first.
pub async fn list(pool: &Db, user: Uuid, filter: StatusFilter) -> Result<Vec<Task>> {
    let mut conn = pool.acquire().await?;
    let rows = sqlx::query_as::<_, Task>(list_sql(filter))
        .bind(user)
        .fetch_all(&mut *conn)
        .await;
    Ok(conn.check(rows)?)
}

/// Room for the list route's answer up front: a task is about 210 bytes of JSON, so this
/// holds a list of about forty without growing.
const LIST_JSON_CAPACITY: usize = 8 * 1024;

/// [`list`] as the JSON array the list route answers, written straight from the rows; the
/// connection goes back to the pool before the writing starts.
pub async fn list_json(pool: &Db, user: Uuid, filter: StatusFilter) -> Result<Vec<u8>> {
    let mut conn = pool.acquire().await?;
    let rows = sqlx::query(list_sql(filter))
        .bind(user)
        .fetch_all(&mut *conn)
        .await;
    let rows = conn.check(rows)?;
    drop(conn);
    let mut out = Vec::with_capacity(LIST_JSON_CAPACITY);
    out.push(b'[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let task = TaskJson::from_row(row)?;
        serde_json::to_writer(&mut out, &task)
            .map_err(|e| Error::Internal(format!("writing a task as JSON: {e}")))?;
    }
    out.push(b']');
    Ok(out)
}

/// Creates a task after validating its fields.
pub async fn create(pool: &Db, user: Uuid, title: &str, description: Option<&str>) -> Result<Task> {
    let title = validate_title(title)?;
    let description = validate_description(description)?;
    let mut conn = pool.acquire().await?;
    let row = sqlx::query_as::<_, Task>(
        "INSERT INTO tasks (user_id, title, description) VALUES ($1, $2, $3) RETURNING id, user_id, title, description, completed, created_at, updated_at",
    )
    .bind(user)
    .bind(title)
    .bind(description)
    .fetch_one(&mut *conn)
    .await;
    Ok(conn.check(row)?)
}

/// One of the user's tasks; someone else's answers 404.
pub async fn get(pool: &Db, user: Uuid, id: i64) -> Result<Task> {
    let mut conn = pool.acquire().await?;
    let row = sqlx::query_as::<_, Task>(
        "SELECT id, user_id, title, description, completed, created_at, updated_at FROM tasks WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user)
    .fetch_optional(&mut *conn)
    .await;
    conn.check(row)?.ok_or_else(|| not_found(id))
}

/// Applies a change to one of the user's tasks.
pub async fn update(pool: &Db, user: Uuid, id: i64, change: Change) -> Result<Task> {
    let title = change.title.as_deref().map(validate_title).transpose()?;
    let (set_desc, description) = match change.description.as_deref() {
        None => (false, None),
        Some(d) => (true, validate_description(Some(d))?),
    };
    let mut conn = pool.acquire().await?;
    let row = sqlx::query_as::<_, Task>(
        "UPDATE tasks SET title = COALESCE($3, title), \
         description = CASE WHEN $4 THEN $5 ELSE description END, \
         completed = COALESCE($6, completed), updated_at = now() \
         WHERE id = $1 AND user_id = $2 \
         RETURNING id, user_id, title, description, completed, created_at, updated_at",
    )
    .bind(id)
    .bind(user)
    .bind(title)
    .bind(set_desc)
    .bind(description)
    .bind(change.completed)
    .fetch_optional(&mut *conn)
    .await;
    conn.check(row)?.ok_or_else(|| not_found(id))
}

/// Deletes one of the user's tasks, returning it.
pub async fn delete(pool: &Db, user: Uuid, id: i64) -> Result<Task> {
    let mut conn = pool.acquire().await?;
    let row = sqlx::query_as::<_, Task>(
        "DELETE FROM tasks WHERE id = $1 AND user_id = $2 RETURNING id, user_id, title, description, completed, created_at, updated_at",
    )
    .bind(id)
    .bind(user)
    .fetch_optional(&mut *conn)
    .await;
    conn.check(row)?.ok_or_else(|| not_found(id))
}

/// One user's tasks in the database, as the agent tools' store.
#[derive(Clone)]
pub struct UserTasks {
    pool: Db,
    user: Uuid,
}

impl UserTasks {
    /// The tasks of `user`.
    pub fn new(pool: Db, user: Uuid) -> UserTasks {
        UserTasks { pool, user }
    }
}

impl From<Task> for StoredTask {
    fn from(t: Task) -> StoredTask {
        StoredTask {
            id: t.id,
            title: t.title,
            description: t.description,
            completed: t.completed,
        }
    }
}

impl From<Error> for StoreError {
    fn from(e: Error) -> StoreError {
        let (status, code) = e.status_and_code();
        if status.is_server_error() {
            // The tools only say "unavailable"; this line is where the cause shows.
            tracing::warn!(error = %e, code, "a tool's task store call failed");
            StoreError::Unavailable(e.to_string())
        } else if status == StatusCode::NOT_FOUND {
            StoreError::NotFound(e.to_string())
        } else {
            StoreError::Rejected(e.to_string())
        }
    }
}

fn stored(row: Result<Task>) -> Result<StoredTask, StoreError> {
    Ok(row?.into())
}

impl TaskStore for UserTasks {
    fn create<'a>(
        &'a self,
        title: &'a str,
        description: Option<&'a str>,
    ) -> BoxFuture<'a, Result<StoredTask, StoreError>> {
        Box::pin(async move { stored(create(&self.pool, self.user, title, description).await) })
    }

    fn list(&self, status: StatusFilter) -> BoxFuture<'_, Result<Vec<StoredTask>, StoreError>> {
        Box::pin(async move {
            let rows = list(&self.pool, self.user, status).await?;
            Ok(rows.into_iter().map(StoredTask::from).collect())
        })
    }

    fn update(
        &self,
        task_id: i64,
        change: Change,
    ) -> BoxFuture<'_, Result<StoredTask, StoreError>> {
        Box::pin(async move { stored(update(&self.pool, self.user, task_id, change).await) })
    }

    fn delete(&self, task_id: i64) -> BoxFuture<'_, Result<StoredTask, StoreError>> {
        Box::pin(async move { stored(delete(&self.pool, self.user, task_id).await) })
    }
}

/// Query of the list route.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Which tasks to list (default `all`).
    pub status: Option<StatusFilter>,
}

fn title_schema() -> utoipa::openapi::Object {
    text::string_schema(
        "Title, 1–200 characters; surrounding whitespace is trimmed, and what remains has no control or bidirectional-override character and at least one visible one",
        1,
        MAX_TITLE_CHARS,
        text::one_line_pattern(),
        false,
    )
}

fn new_title_schema() -> utoipa::openapi::Object {
    let mut schema = title_schema();
    schema.schema_type = utoipa::openapi::schema::SchemaType::from_iter([
        utoipa::openapi::Type::String,
        utoipa::openapi::Type::Null,
    ]);
    schema.description = Some(format!(
        "New title (null or absent: unchanged). {}",
        schema.description.unwrap_or_default()
    ));
    schema
}

fn description_schema() -> utoipa::openapi::Object {
    text::string_schema(
        "Description, up to 1000 characters; surrounding whitespace is trimmed, an empty one means none, and no control character but tab, line feed and carriage return",
        0,
        MAX_DESCRIPTION_CHARS,
        text::multi_line_pattern(),
        true,
    )
}

/// Body of task creation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    /// Title, 1–200 characters.
    #[schema(schema_with = title_schema)]
    pub title: String,
    /// Optional description, up to 1000 characters.
    #[serde(default)]
    #[schema(schema_with = description_schema)]
    pub description: Option<String>,
}

/// Body of task update: any subset of the fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTask {
    /// New title.
    #[serde(default)]
    #[schema(schema_with = new_title_schema)]
    pub title: Option<String>,
    /// New description (empty string clears it).
    #[serde(default)]
    #[schema(schema_with = description_schema)]
    pub description: Option<String>,
    /// New completion state (null or absent: unchanged).
    #[serde(default)]
    pub completed: Option<bool>,
}

/// List the user's tasks.
#[utoipa::path(get, path = "/api/{user_id}/tasks", tag = "tasks", operation_id = "list_tasks",
    params(("user_id" = Uuid, Path, description = "The signed-in user's id"), ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Tasks, oldest first", body = [Task]),
        (status = 400, description = "Bad status filter or an unknown query parameter", body = crate::error::ErrorBody),
    ))]
pub async fn list_handler(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<impl IntoResponse> {
    state.require_ready()?;
    let json = list_json(&state.pool, user, q.status.unwrap_or_default()).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json,
    ))
}

/// Create a task.
#[utoipa::path(post, path = "/api/{user_id}/tasks", tag = "tasks", operation_id = "create_task",
    params(("user_id" = Uuid, Path, description = "The signed-in user's id")),
    request_body = CreateTask,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Task, links(
            ("get_task" = (operation_id = "get_task", parameters(("user_id" = "$request.path.user_id"), ("id" = "$response.body#/id")))),
            ("update_task" = (operation_id = "update_task", parameters(("user_id" = "$request.path.user_id"), ("id" = "$response.body#/id")))),
            ("complete_task" = (operation_id = "complete_task", parameters(("user_id" = "$request.path.user_id"), ("id" = "$response.body#/id")))),
            ("delete_task" = (operation_id = "delete_task", parameters(("user_id" = "$request.path.user_id"), ("id" = "$response.body#/id")))),
        )),
    ))]
pub async fn create_handler(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<CreateTask>,
) -> Result<(StatusCode, Json<Task>)> {
    validate_title(&body.title)?;
    validate_description(body.description.as_deref())?;
    state.require_ready()?;
    let t = create(&state.pool, user, &body.title, body.description.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Get one task.
#[utoipa::path(get, path = "/api/{user_id}/tasks/{id}", tag = "tasks", operation_id = "get_task",
    params(("user_id" = Uuid, Path), ("id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The task", body = Task),
        (status = 404, description = "No such task for this user", body = crate::error::ErrorBody),
    ))]
pub async fn get_handler(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> Result<Json<Task>> {
    state.require_ready()?;
    Ok(Json(get(&state.pool, user, id).await?))
}

/// Update a task (any subset of title, description, completed).
#[utoipa::path(put, path = "/api/{user_id}/tasks/{id}", tag = "tasks", operation_id = "update_task",
    params(("user_id" = Uuid, Path), ("id" = i64, Path)),
    request_body = UpdateTask,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = Task),
        (status = 404, description = "No such task for this user", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid field", body = crate::error::ErrorBody),
    ))]
pub async fn update_handler(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<UpdateTask>,
) -> Result<Json<Task>> {
    state.require_ready()?;
    let change = Change {
        title: body.title,
        description: body.description,
        completed: body.completed,
    };
    Ok(Json(update(&state.pool, user, id, change).await?))
}

/// Delete a task.
#[utoipa::path(delete, path = "/api/{user_id}/tasks/{id}", tag = "tasks", operation_id = "delete_task",
    params(("user_id" = Uuid, Path), ("id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted; the task as it was", body = Task),
        (status = 404, description = "No such task for this user", body = crate::error::ErrorBody),
    ))]
pub async fn delete_handler(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> Result<Json<Task>> {
    state.require_ready()?;
    Ok(Json(delete(&state.pool, user, id).await?))
}

/// Mark a task completed.
#[utoipa::path(patch, path = "/api/{user_id}/tasks/{id}/complete", tag = "tasks", operation_id = "complete_task",
    params(("user_id" = Uuid, Path), ("id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Completed", body = Task),
        (status = 404, description = "No such task for this user", body = crate::error::ErrorBody),
    ))]
pub async fn complete_handler(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> Result<Json<Task>> {
    state.require_ready()?;
    let change = Change {
        completed: Some(true),
        ..Change::default()
    };
    Ok(Json(update(&state.pool, user, id, change).await?))
}
