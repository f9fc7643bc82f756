//! `todo-web`: serves the Todo Chatbot's browser UI (embedded in the binary) and proxies
//! `/api/*` to todo-api on the same origin, turning an HttpOnly session cookie into the
//! backend's bearer token.
//!
//! The binary is a thin shell around [`serve`]; tests and tools can embed the server by calling
//! [`router`] or [`serve`] with their own listener.

pub mod assets;
pub mod config;
pub mod errors;
pub mod proxy;
pub mod session;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use tokio::net::TcpListener;

pub use config::{Config, CookieSecure};
pub use errors::Error;

use crate::assets::Assets;
use crate::proxy::AuthKind;

/// The page may load scripts, styles, images and make requests only from its own origin; no
/// inline script or style anywhere (the UI is plain files), nobody may frame it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Shared state of the running server.
#[derive(Clone, Debug)]
pub struct AppState {
    config: Arc<Config>,
    client: reqwest::Client,
    assets: Arc<Assets>,
    ready: Arc<AtomicBool>,
}

impl AppState {
    /// Builds the state: hashes the assets and builds the backend HTTP client.
    pub fn new(config: Config) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout())
            .timeout(config.request_timeout())
            // The browser must see the backend's redirects, not have us follow them.
            .redirect(reqwest::redirect::Policy::none())
            // HTTP(S)_PROXY meant for outbound internet must not capture in-cluster calls.
            .no_proxy()
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(Error::Client)?;
        Ok(Self {
            config: Arc::new(config),
            client,
            assets: Arc::new(Assets::load()),
            ready: Arc::new(AtomicBool::new(true)),
        })
    }

    /// Marks the server as not ready (it is draining); `/readyz` answers 503 from then on.
    pub fn set_draining(&self) {
        self.ready.store(false, Ordering::SeqCst);
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// The whole application: UI, health probes, session routes and the proxy.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/{file}", get(asset))
        .route("/favicon.ico", get(favicon))
        .route("/api/session", get(proxy::session_info))
        .route("/api/auth/login", post(login))
        .route("/api/auth/register", post(register))
        .route("/api/auth/logout", post(proxy::logout))
        .route("/api/{*rest}", any(proxy::proxy))
        .fallback(fallback)
        .layer(middleware::map_response_with_state(
            state.clone(),
            close_when_draining,
        ))
        .layer(middleware::map_response(security_headers))
        .layer(middleware::from_fn(access_log))
        .with_state(state)
}

/// While draining, every response closes its connection: a keep-alive client reconnects, and
/// the new connection reaches a pod that stays. Closing idle connections instead races with a
/// client that is sending its next request on one.
async fn close_when_draining(State(app): State<AppState>, mut res: Response) -> Response {
    if !app.ready.load(Ordering::SeqCst) {
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

/// Our own readiness only: a backend outage shows the friendly error page instead of taking
/// the frontend out of the Service.
async fn readyz(State(app): State<AppState>) -> Response {
    if app.ready.load(Ordering::SeqCst) {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    }
}

async fn index(State(app): State<AppState>, headers: HeaderMap) -> Response {
    app.assets.index(&headers)
}

async fn asset(
    State(app): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    app.assets
        .file(&file, &headers)
        .unwrap_or_else(|| errors::not_found(&headers))
}

async fn favicon(State(app): State<AppState>, headers: HeaderMap) -> Response {
    app.assets
        .file("favicon.svg", &headers)
        .unwrap_or_else(|| errors::not_found(&headers))
}

async fn login(State(app): State<AppState>, req: Request) -> Response {
    proxy::auth(app, AuthKind::Login, req).await
}

async fn register(State(app): State<AppState>, req: Request) -> Response {
    proxy::auth(app, AuthKind::Register, req).await
}

async fn fallback(headers: HeaderMap) -> Response {
    errors::not_found(&headers)
}

/// Security headers on every answer, proxied ones included.
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// One log line per request. The query string is left out: it may carry user text.
async fn access_log(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let start = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    let elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    if path == "/healthz" || path == "/readyz" {
        tracing::debug!(%method, %path, status, elapsed_ms, "request");
    } else {
        tracing::info!(%method, %path, status, elapsed_ms, "request");
    }
    res
}

/// Serves `state` on `listener` until `shutdown` resolves; then marks itself not ready and
/// drains for `config.shutdown_drain_seconds` (still serving, each connection closed after its
/// response), then stops taking connections and lets in-flight requests finish for up to
/// `config.shutdown_grace_seconds`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let grace = Duration::from_secs(state.config.shutdown_grace_seconds);
    let drain = Duration::from_secs(state.config.shutdown_drain_seconds);
    let draining = state.clone();
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        draining.set_draining();
        if !drain.is_zero() {
            tracing::info!(
                drain_seconds = drain.as_secs(),
                "shutdown requested; serving with connections closed after each response"
            );
            tokio::time::sleep(drain).await;
        }
        tracing::info!("shutdown requested; draining in-flight requests");
        let _ = stopped_tx.send(());
    });
    let server = std::pin::pin!(server.into_future());
    let deadline = async move {
        if stopped_rx.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        res = server => res.map_err(Error::Serve),
        () = deadline => {
            tracing::warn!(grace_seconds = grace.as_secs(), "grace period over; closing remaining connections");
            Ok(())
        }
    }
}

/// Binds `BIND_ADDR:PORT` from `config`.
pub async fn bind(config: &Config) -> Result<TcpListener, Error> {
    let addr = SocketAddr::new(config.bind_addr, config.port);
    TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { addr, source })
}

/// `todo-web healthcheck`: succeeds when `url` answers 200.
pub async fn healthcheck(url: &str) -> Result<(), Error> {
    let fail = |reason: String| Error::Healthcheck {
        url: url.to_owned(),
        reason,
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .no_proxy()
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| fail(error_chain(&e)))?;
    if resp.status() == StatusCode::OK {
        Ok(())
    } else {
        Err(fail(format!("status {}", resp.status())))
    }
}

/// `error: cause: cause…`, because reqwest's top-level message ("error sending request") hides
/// the useful part ("Connection refused").
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
