//! MCP tool server at `/mcp` (streamable HTTP): the same five tools as the chat agents,
//! authenticated with the same bearer token.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::db::Db;
use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, JsonObject,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;
use todo_agent::Tools;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::auth::{Keys, bearer_user};
use crate::tasks::UserTasks;

/// Where the MCP endpoint is mounted.
pub const MCP_PATH: &str = "/mcp";

/// The MCP service type mounted by the router.
pub type McpService = StreamableHttpService<TodoMcp, LocalSessionManager>;

/// The authenticated MCP caller, put in the request extensions by [`guarded`].
#[derive(Debug, Clone, Copy)]
pub struct McpUser(pub Uuid);

/// The MCP server handler: lists and runs the five tools for the token's user.
#[derive(Clone)]
pub struct TodoMcp {
    pool: Db,
    migrated: Arc<AtomicBool>,
}

fn tool_list() -> Vec<Tool> {
    todo_agent::specs()
        .into_iter()
        .map(|s| {
            let schema: JsonObject = match s.parameters {
                Value::Object(o) => o,
                _ => JsonObject::new(),
            };
            Tool::new(s.name, s.description, Arc::new(schema))
        })
        .collect()
}

impl ServerHandler for TodoMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tool_list()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // The guard middleware put the user into the HTTP request's extensions; rmcp hands us
        // the request parts.
        let user = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<McpUser>())
            .map(|u| u.0)
            .ok_or_else(|| ErrorData::invalid_request("not authenticated", None))?;
        if !self.migrated.load(Ordering::Acquire) {
            return Ok(CallToolResult::error(vec![ContentBlock::text(
                "the service is starting: the database is not ready yet",
            )])
            .into());
        }
        let args = request.arguments.map(Value::Object).unwrap_or(Value::Null);
        let tools = Tools::new(UserTasks::new(self.pool.clone(), user));
        let result = match tools.call(&request.name, &args).await {
            Ok(v) => CallToolResult::success(vec![ContentBlock::text(v.to_string())]),
            Err(e) => CallToolResult::error(vec![ContentBlock::text(e.to_result().to_string())]),
        };
        Ok(result.into())
    }
}

/// The MCP service. `allowed_hosts` of `None` accepts any `Host` (the service sits behind a
/// Kubernetes Service or proxy and is protected by the bearer token, not by the Host header).
pub fn service(
    pool: Db,
    migrated: Arc<AtomicBool>,
    allowed_hosts: Option<Vec<String>>,
    cancel: CancellationToken,
) -> McpService {
    // Stateless: no in-memory MCP sessions, so any replica behind the Service can answer
    // any request (the tools need no session state; the token says who the user is).
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_cancellation_token(cancel)
        .with_sse_keep_alive(None)
        .with_json_response(true)
        .with_max_request_body_bytes(crate::app::MAX_BODY_BYTES);
    config = match allowed_hosts {
        Some(hosts) => config.with_allowed_hosts(hosts),
        None => config.disable_allowed_hosts(),
    };
    StreamableHttpService::new(
        move || {
            Ok(TodoMcp {
                pool: pool.clone(),
                migrated: migrated.clone(),
            })
        },
        Arc::new(LocalSessionManager::default()),
        config,
    )
}

async fn auth_mw(State(keys): State<Keys>, mut req: Request, next: Next) -> Response {
    match bearer_user(&keys, req.headers()) {
        Ok(user) => {
            req.extensions_mut().insert(McpUser(user));
            next.run(req).await
        }
        Err(e) => {
            let mut resp = e.into_response();
            resp.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer"),
            );
            resp
        }
    }
}

/// The MCP service behind the bearer-token check (401 without a valid token).
pub fn guarded(keys: Keys, svc: McpService) -> Router {
    Router::new()
        .fallback_service(svc)
        .layer(middleware::from_fn_with_state(keys, auth_mw))
}
