//! Chat: every message and reply is stored, so the service is stateless and conversations
//! survive restarts.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::agent::HistoryMessage;
use crate::app::{ApiJson, ApiPath, AppState};
use crate::auth::CurrentUser;
use crate::error::{Error, Result};
use crate::text;
use crate::tools::{ToolCall, Tools};

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
    pub created_at: DateTime<Utc>,
    /// Last message time.
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

async fn owned_conversation(pool: &PgPool, user: Uuid, id: i64) -> Result<()> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM conversations WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user)
            .fetch_optional(pool)
            .await?;
    found
        .map(|_| ())
        .ok_or_else(|| Error::NotFound(format!("conversation {id} not found")))
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
    let conversation_id = match req.conversation_id {
        Some(id) => {
            owned_conversation(pool, user, id).await?;
            id
        }
        None => {
            sqlx::query_scalar("INSERT INTO conversations (user_id) VALUES ($1) RETURNING id")
                .bind(user)
                .fetch_one(pool)
                .await?
        }
    };
    let mut history: Vec<HistoryMessage> = sqlx::query_as::<_, (String, String)>(
        "SELECT role, content FROM messages WHERE conversation_id = $1 AND user_id = $2 \
         ORDER BY id DESC LIMIT $3",
    )
    .bind(conversation_id)
    .bind(user)
    .bind(HISTORY_LIMIT)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|(role, content)| HistoryMessage { role, content })
    .collect();
    history.reverse();
    sqlx::query(
        "INSERT INTO messages (user_id, conversation_id, role, content) VALUES ($1, $2, 'user', $3)",
    )
    .bind(user)
    .bind(conversation_id)
    .bind(message)
    .execute(pool)
    .await?;
    let tools = Tools::new(pool.clone(), user);
    let reply = state.agent.respond(&tools, &history, message).await;
    let calls = serde_json::to_value(&reply.tool_calls)
        .map_err(|e| Error::Internal(format!("encoding tool calls: {e}")))?;
    sqlx::query(
        "INSERT INTO messages (user_id, conversation_id, role, content, tool_calls) VALUES ($1, $2, 'assistant', $3, $4)",
    )
    .bind(user)
    .bind(conversation_id)
    .bind(&reply.response)
    .bind(&calls)
    .execute(pool)
    .await?;
    sqlx::query("UPDATE conversations SET updated_at = now() WHERE id = $1")
        .bind(conversation_id)
        .execute(pool)
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
    let rows = sqlx::query_as::<_, Conversation>(
        "SELECT c.id, \
           (SELECT left(m.content, 80) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user' ORDER BY m.id LIMIT 1) AS title, \
           (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count, \
           c.created_at, c.updated_at \
         FROM conversations c WHERE c.user_id = $1 ORDER BY c.updated_at DESC, c.id DESC",
    )
    .bind(user)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(rows))
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
    let rows = sqlx::query_as::<_, Message>(
        "SELECT id, role, content, tool_calls, created_at FROM messages \
         WHERE conversation_id = $1 AND user_id = $2 ORDER BY id",
    )
    .bind(id)
    .bind(user)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(rows))
}
