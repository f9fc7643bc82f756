//! Chat: every message and reply is stored, so the service is stateless and conversations
//! survive restarts.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use todo_agent::{HistoryMessage, ToolCall, Tools};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::{ApiJson, ApiPath, AppState};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::tasks::UserTasks;
use crate::text;

/// Longest chat message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Earlier messages handed to the agent.
const HISTORY_LIMIT: i64 = 20;

/// Body of the chat route.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// Continue this conversation; omit (or null) to start a new one.
    #[serde(default)]
    pub conversation_id: Option<i64>,
    /// The user's message, 1–4000 characters.
    #[schema(schema_with = message_schema)]
    pub message: String,
}

/// The agent's answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChatResponse {
    /// The conversation (new or continued).
    pub conversation_id: i64,
    /// The agent's reply.
    pub response: String,
    /// The tools the agent called, in order.
    pub tool_calls: Vec<ToolCall>,
}

/// A conversation summary.
#[derive(Debug, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct Conversation {
    /// Conversation id.
    pub id: i64,
    /// The first user message, shortened.
    pub title: Option<String>,
    /// Number of stored messages.
    pub message_count: i64,
    /// Start time.
    #[serde(serialize_with = "crate::timefmt::serialize")]
    pub created_at: DateTime<Utc>,
    /// Last message time.
    #[serde(serialize_with = "crate::timefmt::serialize")]
    pub updated_at: DateTime<Utc>,
}

/// A stored message.
#[derive(Debug, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct Message {
    /// Message id.
    pub id: i64,
    /// `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
    /// Tool calls made for this reply (assistant messages).
    #[schema(value_type = Vec<ToolCall>)]
    pub tool_calls: Value,
    /// When it was stored.
    #[serde(serialize_with = "crate::timefmt::serialize")]
    pub created_at: DateTime<Utc>,
}

fn message_schema() -> utoipa::openapi::Object {
    text::string_schema(
        "The user's message, 1–4000 characters; surrounding whitespace is trimmed, and what remains is not empty and has no control character but tab, line feed and carriage return",
        1,
        MAX_MESSAGE_CHARS,
        text::non_blank_multi_line_pattern(),
        false,
    )
}

/// Trims and checks a message; the length counts the message as sent.
fn validate_message(raw: &str) -> Result<&str> {
    let m = raw.trim();
    let n = raw.chars().count();
    if m.is_empty() || n > MAX_MESSAGE_CHARS {
        return Err(Error::Validation(format!(
            "message: must be 1 to {MAX_MESSAGE_CHARS} characters (got {n})"
        )));
    }
    if m.chars().any(|c| text::is_in(&[text::TEXT_CONTROL], c)) {
        return Err(Error::Validation(
            "message: must not contain control characters".to_owned(),
        ));
    }
    Ok(m)
}

async fn owned_conversation(pool: &Db, user: Uuid, id: i64) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let found: Result<Option<i64>, _> =
        sqlx::query_scalar("SELECT id FROM conversations WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user)
            .fetch_optional(&mut *conn)
            .await;
    conn.check(found)?
        .map(|_| ())
        .ok_or_else(|| Error::NotFound(format!("conversation {id} not found")))
}

/// The last [`HISTORY_LIMIT`] messages of one of the user's conversations, oldest first, in one
/// round trip: no row at all means the conversation is not the user's (404); a row without a
/// message, that it has none yet.
async fn history(pool: &Db, user: Uuid, id: i64) -> Result<Vec<HistoryMessage>> {
    let mut conn = pool.acquire().await?;
    let rows: Result<Vec<(Option<String>, Option<String>)>, _> = sqlx::query_as(
        "SELECT m.role, m.content FROM conversations c \
         LEFT JOIN LATERAL (SELECT id, role, content FROM messages \
           WHERE conversation_id = c.id AND user_id = $2 ORDER BY id DESC LIMIT $3) m ON true \
         WHERE c.id = $1 AND c.user_id = $2 ORDER BY m.id",
    )
    .bind(id)
    .bind(user)
    .bind(HISTORY_LIMIT)
    .fetch_all(&mut *conn)
    .await;
    let rows = conn.check(rows)?;
    if rows.is_empty() {
        return Err(Error::NotFound(format!("conversation {id} not found")));
    }
    Ok(rows
        .into_iter()
        .filter_map(|(role, content)| {
            Some(HistoryMessage {
                role: role?,
                content: content?,
            })
        })
        .collect())
}

/// Stores a turn in one statement: the conversation (created, or its `updated_at` moved on),
/// the user's message and the reply, in that order of ids. Returns the conversation's id. The
/// conversation was found by [`history`]; none of the API's routes deletes one.
async fn store_turn(
    pool: &Db,
    user: Uuid,
    conversation: Option<i64>,
    message: &str,
    reply: &str,
    calls: &Value,
) -> Result<i64> {
    let mut conn = pool.acquire().await?;
    let id = sqlx::query_scalar(
        "WITH created AS (INSERT INTO conversations (user_id) SELECT $1 WHERE $2::bigint IS NULL RETURNING id), \
         touched AS (UPDATE conversations SET updated_at = now() WHERE id = $2 AND user_id = $1 RETURNING id), \
         conv AS (SELECT id FROM created UNION ALL SELECT id FROM touched), \
         stored AS (INSERT INTO messages (user_id, conversation_id, role, content, tool_calls) VALUES \
           ($1, (SELECT id FROM conv), 'user', $3, '[]'::jsonb), \
           ($1, (SELECT id FROM conv), 'assistant', $4, $5)) \
         SELECT id FROM conv",
    )
    .bind(user)
    .bind(conversation)
    .bind(message)
    .bind(reply)
    .bind(calls)
    .fetch_one(&mut *conn)
    .await;
    Ok(conn.check(id)?)
}

/// Send a message to the agent.
#[utoipa::path(post, path = "/api/{user_id}/chat", tag = "chat", operation_id = "chat",
    params(("user_id" = Uuid, Path)),
    request_body = ChatRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The agent's reply", body = ChatResponse, links(
            ("list_messages" = (operation_id = "list_messages", parameters(("user_id" = "$request.path.user_id"), ("id" = "$response.body#/conversation_id")))),
        )),
        (status = 404, description = "No such conversation for this user", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid message", body = crate::error::ErrorBody),
    ))]
pub async fn chat_handler(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Json<ChatResponse>> {
    let message = validate_message(&req.message)?;
    state.require_ready()?;
    let pool = &state.pool;
    // Two statements and the tools' own: the history (for a conversation that goes on; a new
    // one has none), then the turn stored in one statement, so a turn is stored whole or not
    // at all and no connection is held while the agent (maybe a remote model) thinks.
    let history = match req.conversation_id {
        Some(id) => history(pool, user, id).await?,
        None => Vec::new(),
    };
    let tools = Tools::new(UserTasks::new(pool.clone(), user));
    let reply = state.agent.respond(&tools, &history, message).await;
    let calls = serde_json::to_value(&reply.tool_calls)
        .map_err(|e| Error::Internal(format!("encoding tool calls: {e}")))?;
    let conversation_id = store_turn(
        pool,
        user,
        req.conversation_id,
        message,
        &reply.response,
        &calls,
    )
    .await?;
    tracing::info!(
        conversation_id,
        agent = state.agent.name(),
        tools = reply.tool_calls.len(),
        "chat answered"
    );
    Ok(Json(ChatResponse {
        conversation_id,
        response: reply.response,
        tool_calls: reply.tool_calls,
    }))
}

/// The user's conversations, most recent first.
#[utoipa::path(get, path = "/api/{user_id}/conversations", tag = "chat", operation_id = "list_conversations",
    params(("user_id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, description = "Conversations", body = [Conversation])))]
pub async fn conversations_handler(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<Conversation>>> {
    state.require_ready()?;
    let mut conn = state.pool.acquire().await?;
    let rows = sqlx::query_as::<_, Conversation>(
        "SELECT c.id, \
           (SELECT left(m.content, 80) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user' ORDER BY m.id LIMIT 1) AS title, \
           (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count, \
           c.created_at, c.updated_at \
         FROM conversations c WHERE c.user_id = $1 ORDER BY c.updated_at DESC, c.id DESC",
    )
    .bind(user)
    .fetch_all(&mut *conn)
    .await;
    Ok(Json(conn.check(rows)?))
}

/// The messages of one conversation, oldest first.
#[utoipa::path(get, path = "/api/{user_id}/conversations/{id}/messages", tag = "chat", operation_id = "list_messages",
    params(("user_id" = Uuid, Path), ("id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Messages", body = [Message]),
        (status = 404, description = "No such conversation for this user", body = crate::error::ErrorBody),
    ))]
pub async fn messages_handler(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> Result<Json<Vec<Message>>> {
    state.require_ready()?;
    owned_conversation(&state.pool, user, id).await?;
    let mut conn = state.pool.acquire().await?;
    let rows = sqlx::query_as::<_, Message>(
        "SELECT id, role, content, tool_calls, created_at FROM messages \
         WHERE conversation_id = $1 AND user_id = $2 ORDER BY id",
    )
    .bind(id)
    .bind(user)
    .fetch_all(&mut *conn)
    .await;
    Ok(Json(conn.check(rows)?))
}
