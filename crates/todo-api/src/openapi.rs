//! The OpenAPI document of every route (`GET /api/openapi.json`).

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{auth, chat, error, health, tasks, tools};

/// Adds the bearer-token security scheme the task and chat routes use.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The MCP endpoint (JSON-RPC over streamable HTTP); documented here, served by rmcp.
#[utoipa::path(post, path = "/mcp", tag = "mcp",
    security(("bearer" = [])),
    request_body(content = serde_json::Value, description = "An MCP JSON-RPC message (initialize, tools/list, tools/call)"),
    responses(
        (status = 200, description = "JSON-RPC response (application/json or text/event-stream)"),
        (status = 401, description = "Missing or invalid token", body = error::ErrorBody),
    ))]
#[allow(dead_code)]
fn mcp_doc() {}

/// The document type.
#[derive(OpenApi)]
#[openapi(
    info(title = "todo-api", description = "Todo chatbot backend: auth, tasks, chat agent, MCP tools"),
    paths(
        health::healthz, health::readyz, health::api_health, openapi_json,
        auth::register, auth::login,
        tasks::list_handler, tasks::create_handler, tasks::get_handler, tasks::update_handler,
        tasks::delete_handler, tasks::complete_handler,
        chat::chat_handler, chat::conversations_handler, chat::messages_handler,
        mcp_doc,
    ),
    components(schemas(
        error::ErrorBody, error::ErrorDetail, auth::RegisterRequest, auth::LoginRequest,
        auth::AuthResponse, tasks::Task, tasks::CreateTask, tasks::UpdateTask, tasks::StatusFilter,
        chat::ChatRequest, chat::ChatResponse, chat::Conversation, chat::Message, tools::ToolCall,
        health::Probe, health::Health,
    )),
    modifiers(&BearerScheme),
)]
pub struct ApiDoc;

/// The OpenAPI document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses((status = 200, description = "This OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
