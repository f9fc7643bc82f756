//! The OpenAPI document of every route (`GET /api/openapi.json`).

use axum::Json;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::{auth, chat, error, health, tasks};

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

/// The MCP endpoint (JSON-RPC over streamable HTTP); documented here, served by rmcp. Its
/// message format is the MCP specification's, which this document does not restate; its own
/// refusals are rmcp's plain-text answers. The `Accept` header must list both
/// `application/json` and `text/event-stream`.
#[utoipa::path(post, path = "/mcp", tag = "mcp", operation_id = "mcp",
    security(("bearer" = [])),
    request_body(content = serde_json::Value, description = "An MCP JSON-RPC message (initialize, tools/list, tools/call, notifications)"),
    responses(
        (status = 200, description = "JSON-RPC response", content_type = "application/json"),
        (status = 202, description = "A notification or response was accepted"),
        (status = 400, description = "Not a JSON-RPC message, or an unsupported protocol version", content_type = "text/plain"),
        (status = 401, description = "Missing, malformed, expired or invalid bearer token", body = error::ErrorBody),
        (status = 403, description = "The Host header is not an allowed host (MCP_ALLOWED_HOSTS)", content_type = "text/plain"),
        (status = 404, description = "Unknown JSON-RPC method", content_type = "application/json"),
        (status = 406, description = "The Accept header does not list both media types", content_type = "text/plain"),
        (status = 413, description = "The body is larger than the request body limit", content_type = "text/plain"),
        (status = 415, description = "The Content-Type is not application/json", content_type = "text/plain"),
    ))]
#[allow(dead_code)]
fn mcp_doc() {}

/// The error answers every route can give because of what it takes, added to each operation
/// from the operation's own shape (so a new route cannot forget them): a bearer token (401),
/// a `{user_id}` path segment (403), an `{id}` path segment (404: not a number, or not this
/// user's), a query (400), a JSON body (400, 413, 415, 422), and the database behind every
/// authenticated or body-taking route (500, 503). Statuses an operation documents itself keep
/// their own description.
struct ErrorResponses;

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// The statuses `operation` can answer with the JSON error shape, with their descriptions.
fn implied_errors(operation: &Operation) -> Vec<(&'static str, String)> {
    let params: Vec<(&str, &ParameterIn)> = operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some((p.name.as_str(), &p.parameter_in)),
            RefOr::Ref(_) => None,
        })
        .collect();
    let has_path = |name: &str| {
        params
            .iter()
            .any(|(n, at)| *n == name && matches!(at, ParameterIn::Path))
    };
    let has_query = params
        .iter()
        .any(|(_, at)| matches!(at, ParameterIn::Query));
    let has_body = operation.request_body.is_some();
    let has_token = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut errors = Vec::new();
    if has_body {
        errors.push((
            "400",
            "The body is not JSON (or a query parameter is malformed)".to_owned(),
        ));
    } else if has_query {
        errors.push((
            "400",
            "A query parameter is malformed or unknown".to_owned(),
        ));
    }
    if has_token {
        errors.push((
            "401",
            "Missing, malformed, expired or invalid bearer token".to_owned(),
        ));
    }
    if has_path("user_id") {
        errors.push((
            "403",
            "The path's user id is not the token's user".to_owned(),
        ));
    }
    if has_path("id") {
        errors.push((
            "404",
            "No such id for this user (or the id is not a number)".to_owned(),
        ));
    }
    if has_body {
        errors.push((
            "413",
            format!(
                "The body is larger than {} bytes",
                crate::app::MAX_BODY_BYTES
            ),
        ));
        errors.push(("415", "The Content-Type is not application/json".to_owned()));
        errors.push((
            "422",
            "The body is not a JSON object, or a field is missing, unknown or breaks its rule (the message names it)".to_owned(),
        ));
    }
    if has_body || has_token {
        errors.push(("500", "Internal error (details are logged)".to_owned()));
        errors.push((
            "503",
            "The database is unreachable, not migrated yet, or the request took too long"
                .to_owned(),
        ));
    }
    errors
}

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            // rmcp answers MCP's own refusals; mcp_doc lists them.
            if path == crate::mcp::MCP_PATH {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, description) in implied_errors(operation) {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error_response(&description));
                }
            }
        }
    }
}

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
        auth::AuthResponse, tasks::Task, tasks::CreateTask, tasks::UpdateTask, todo_agent::StatusFilter,
        chat::ChatRequest, chat::ChatResponse, chat::Conversation, chat::Message, todo_agent::ToolCall,
        health::Probe, health::Health,
    )),
    modifiers(&BearerScheme, &ErrorResponses),
)]
pub struct ApiDoc;

/// The OpenAPI document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta", operation_id = "openapi",
    responses((status = 200, description = "This OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
