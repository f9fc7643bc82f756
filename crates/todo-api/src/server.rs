//! Running the service: pool, background migrations, router, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::ServiceExt;
use axum::extract::Request;
use axum::response::Response;
use std::convert::Infallible;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower::{Service, ServiceBuilder};

use crate::app::{self, AppState, RouterOptions};
use crate::auth::Keys;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::{db, mcp};

/// A started service.
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    /// Cancel to shut down gracefully (in-flight requests finish).
    pub shutdown: CancellationToken,
    /// Resolves when the server has stopped.
    pub handle: JoinHandle<Result<()>>,
    /// Set once the migrations are applied.
    pub migrated: Arc<AtomicBool>,
}

/// Builds the state and the service for `config`, binds nothing.
fn build(
    config: &Config,
    cancel: CancellationToken,
) -> Result<(
    impl Service<Request, Response = Response, Error = Infallible, Future: Send>
    + Clone
    + Send
    + 'static
    + use<>,
    AppState,
)> {
    let pool = db::pool(&config.database_url, config.db_max_connections)?;
    let migrated = Arc::new(AtomicBool::new(false));
    let state = AppState {
        pool: pool.clone(),
        keys: Keys::new(config.jwt_secret.as_bytes(), config.token_ttl),
        agent: todo_agent::from_config(config.llm.as_ref())
            .map_err(|e| Error::Internal(e.to_string()))?,
        migrated: migrated.clone(),
    };
    let mcp = mcp::service(pool, migrated, config.mcp_allowed_hosts.clone(), cancel);
    let opts = RouterOptions {
        cors_origins: config.cors_origins.clone(),
        request_timeout: Some(config.request_timeout),
    };
    Ok((app::service(state.clone(), &opts, mcp), state))
}

/// Starts serving on `listener`: migrations run in the background (readiness waits for them).
/// Cancelling `shutdown` starts the drain (`config.shutdown_drain`: still serving, each
/// connection closed after its response), then in-flight requests finish before the task ends.
pub fn start(config: &Config, listener: TcpListener) -> Result<Running> {
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Internal(format!("listener address: {e}")))?;
    let shutdown = CancellationToken::new();
    let mcp_cancel = shutdown.child_token();
    let (service, state) = build(config, mcp_cancel)?;
    let migrated = state.migrated.clone();
    let migration = tokio::spawn(db::migrate_until_done(state.pool.clone(), migrated.clone()));
    let draining = shutdown.clone();
    let service = ServiceBuilder::new()
        .map_response(move |res| close_when_draining(&draining, res))
        .service(service);
    let stop = shutdown.clone();
    let drain = config.shutdown_drain;
    let pool = state.pool.clone();
    let handle = tokio::spawn(async move {
        let result = axum::serve(listener, service.into_make_service())
            .with_graceful_shutdown(async move {
                stop.cancelled().await;
                tokio::time::sleep(drain).await;
            })
            .await
            .map_err(|e| Error::Internal(format!("server: {e}")));
        migration.abort();
        pool.close().await;
        result
    });
    Ok(Running {
        addr,
        shutdown,
        handle,
        migrated,
    })
}

/// Once shutdown has begun, every response closes its connection: a keep-alive client (the
/// frontend's pool, a load balancer) reconnects and reaches a pod that stays, where closing
/// idle connections would race with a request being sent on one.
fn close_when_draining(shutdown: &CancellationToken, mut res: Response) -> Response {
    if shutdown.is_cancelled() {
        res.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    res
}

/// Binds `BIND_ADDR:PORT`, serves until `signal` resolves, then drains and returns.
pub async fn run(config: Config, signal: impl Future<Output = ()> + Send + 'static) -> Result<()> {
    let addr = SocketAddr::new(config.bind_addr, config.port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Internal(format!("cannot listen on {addr}: {e}")))?;
    let running = start(&config, listener)?;
    tracing::info!(
        %addr,
        agent = if config.llm.is_some() { "llm" } else { "builtin" },
        "todo-api listening"
    );
    let stop = running.shutdown.clone();
    tokio::spawn(async move {
        signal.await;
        tracing::info!("shutdown signal received; draining in-flight requests");
        stop.cancel();
    });
    running
        .handle
        .await
        .map_err(|e| Error::Internal(format!("server task: {e}")))??;
    tracing::info!("todo-api stopped");
    Ok(())
}
