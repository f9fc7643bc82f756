//! Shared state, JSON-error extractors, and the router with its middleware.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::db::Db;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use tower::{Service, ServiceBuilder};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use todo_agent::Agent;

use crate::auth::Keys;
use crate::error::Error;
use crate::{auth, chat, health, mcp, openapi, tasks};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// State shared by every handler (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    /// Database pool (lazy: the service starts even while PostgreSQL is down).
    pub pool: Db,
    /// Token keys.
    pub keys: Keys,
    /// The chat agent.
    pub agent: Arc<dyn Agent>,
    /// Set once the embedded migrations are applied.
    pub migrated: Arc<AtomicBool>,
}

impl AppState {
    /// 503 until the migrations are applied, so no request sees a half-made schema.
    pub fn require_ready(&self) -> Result<(), Error> {
        if self.migrated.load(Ordering::Acquire) {
            Ok(())
        } else {
            Err(Error::Unavailable(
                "the service is starting: the database is not reachable or not migrated yet"
                    .to_owned(),
            ))
        }
    }
}

/// A JSON *object* body whose rejections are our JSON errors (415, 400, 413, 422). Parsing
/// goes through `serde_json::Value` first so that an array is not silently accepted as a
/// struct (serde allows that) and every message names the offending field.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        if !value.is_object() {
            return Err(Error::Validation(
                "the request body must be a JSON object".to_owned(),
            ));
        }
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|e| {
                let path = e.path().to_string();
                if path == "." {
                    Error::Validation(format!("invalid body: {}", e.inner()))
                } else {
                    Error::Validation(format!("{path}: {}", e.inner()))
                }
            })
    }
}

/// `axum::extract::Path` with JSON errors.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct ApiPath<T>(pub T);

/// `axum::extract::Query` with JSON errors.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct ApiQuery<T>(pub T);

/// Every route the router serves: `(method, path, handler)`. The OpenAPI test compares this
/// table with the document, so neither can drift from the router.
pub fn route_table() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/healthz", get(health::healthz)),
        (Method::GET, "/readyz", get(health::readyz)),
        (Method::GET, "/api/health", get(health::api_health)),
        (Method::GET, "/api/openapi.json", get(openapi::openapi_json)),
        (Method::POST, "/api/auth/register", post(auth::register)),
        (Method::POST, "/api/auth/login", post(auth::login)),
        (
            Method::GET,
            "/api/{user_id}/tasks",
            get(tasks::list_handler),
        ),
        (
            Method::POST,
            "/api/{user_id}/tasks",
            post(tasks::create_handler),
        ),
        (
            Method::GET,
            "/api/{user_id}/tasks/{id}",
            get(tasks::get_handler),
        ),
        (
            Method::PUT,
            "/api/{user_id}/tasks/{id}",
            put(tasks::update_handler),
        ),
        (
            Method::DELETE,
            "/api/{user_id}/tasks/{id}",
            delete(tasks::delete_handler),
        ),
        (
            Method::PATCH,
            "/api/{user_id}/tasks/{id}/complete",
            patch(tasks::complete_handler),
        ),
        (
            Method::POST,
            "/api/{user_id}/chat",
            post(chat::chat_handler),
        ),
        (
            Method::GET,
            "/api/{user_id}/conversations",
            get(chat::conversations_handler),
        ),
        (
            Method::GET,
            "/api/{user_id}/conversations/{id}/messages",
            get(chat::messages_handler),
        ),
    ]
}

/// The `(method, path)` pairs of [`route_table`], plus the MCP endpoint.
pub fn routes() -> Vec<(Method, &'static str)> {
    let mut r: Vec<_> = route_table().into_iter().map(|(m, p, _)| (m, p)).collect();
    r.push((Method::POST, mcp::MCP_PATH));
    r
}

/// Router options that come from the configuration.
#[derive(Debug, Clone, Default)]
pub struct RouterOptions {
    /// CORS origins; empty disables CORS.
    pub cors_origins: Vec<String>,
    /// Whole-request timeout (None: none).
    pub request_timeout: Option<Duration>,
}

async fn not_found() -> Error {
    Error::NotFound("no such route; see /api/openapi.json".to_owned())
}

async fn method_not_allowed() -> Error {
    Error::MethodNotAllowed
}

/// Request ids in UUID v4 form without a system call each: a random UUID drawn once per
/// process, whose last 48 bits (the node field: version and variant stay intact) are replaced
/// by a counter. Unique within a process for 2⁴⁸ requests and, with 74 random bits, across
/// processes — all a log search needs; drawing 16 random bytes from the kernel per request was
/// a `getrandom` call on the hot path.
#[derive(Clone, Copy)]
struct RequestIds;

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        static BASE: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        const NODE: u128 = (1 << 48) - 1;
        let base = *BASE.get_or_init(|| uuid::Uuid::new_v4().as_u128());
        let n = u128::from(NEXT.fetch_add(1, Ordering::Relaxed)) & NODE;
        let id = uuid::Uuid::from_u128((base & !NODE) | (base.wrapping_add(n) & NODE));
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        HeaderValue::from_str(id.hyphenated().encode_lower(&mut text))
            .ok()
            .map(RequestId::new)
    }
}

/// The service hyper calls: the routes (the MCP endpoint included) inside the HTTP layers —
/// request id, access log, CORS, whole-request timeout, body limit. The layers wrap the router
/// as one service instead of going through `Router::layer`, which wraps each route in boxed
/// copies of every layer and clones them all on each request: about forty of the ~180
/// allocations a task list cost.
pub fn service(
    state: AppState,
    opts: &RouterOptions,
    mcp: mcp::McpService,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static
+ use<> {
    let mut api: Router<AppState> = Router::new();
    for (_, path, handler) in route_table() {
        api = api.route(path, handler);
    }
    let routes = api
        .nest_service(mcp::MCP_PATH, mcp::guarded(state.keys.clone(), mcp))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    let timeout = opts.request_timeout;
    let request_id = HeaderName::from_static("x-request-id");
    ServiceBuilder::new()
        .map_response(IntoResponse::into_response)
        .layer(SetRequestIdLayer::new(request_id.clone(), RequestIds))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    // Only method, path and request id: never headers (tokens) or bodies.
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_request(())
                .on_response(
                    |resp: &Response, latency: Duration, _span: &tracing::Span| {
                        tracing::info!(
                            status = resp.status().as_u16(),
                            latency_ms = latency.as_secs_f64() * 1000.0,
                            "response"
                        );
                    },
                ),
        )
        .option_layer(cors(&opts.cors_origins))
        // A request running past the limit is answered 503 with a JSON error.
        .map_future(move |answer| async move {
            match timeout {
                None => answer.await,
                Some(limit) => tokio::time::timeout(limit, answer)
                    .await
                    .unwrap_or_else(|_| Ok(Error::Timeout.into_response())),
            }
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .service(routes)
}

/// CORS for the configured origins; none configured, no CORS layer.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([http::header::AUTHORIZATION, http::header::CONTENT_TYPE])
            .max_age(Duration::from_secs(600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_version_4_uuids() {
        let req = Request::new(axum::body::Body::empty());
        let mut ids = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let id = RequestIds.make_request_id(&req).expect("an id");
            let text = id.header_value().to_str().expect("ASCII").to_owned();
            let parsed = uuid::Uuid::parse_str(&text).expect("a UUID");
            assert_eq!(parsed.get_version_num(), 4, "{text}");
            assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122, "{text}");
            assert!(ids.insert(text), "a repeated id");
        }
    }
}
