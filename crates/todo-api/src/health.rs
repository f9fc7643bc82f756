//! Liveness, readiness and the JSON health summary.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;

/// Readiness check budget: a probe must answer even when PostgreSQL hangs, and inside the
/// chart's probe timeout (2 s), so the kubelet records "503: database unavailable" rather than a
/// timeout that says nothing (seen on a real cluster with the database pod gone).
const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// Body of `/healthz` and `/readyz`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Probe {
    /// `ok`, `ready` or `unavailable`.
    pub status: String,
    /// Why it is not ready, if it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Body of `/api/health`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: String,
    /// `ok`, `migrating` or `unavailable`.
    pub database: String,
    /// The service version.
    pub version: String,
}

/// Liveness: the process answers. Never touches the database.
#[utoipa::path(get, path = "/healthz", tag = "health", operation_id = "healthz",
    responses((status = 200, description = "Alive", body = Probe)))]
pub async fn healthz() -> Json<Probe> {
    Json(Probe {
        status: "ok".to_owned(),
        reason: None,
    })
}

/// `ok`, `migrating` or `unavailable`.
async fn database_state(state: &AppState) -> &'static str {
    if !state.migrated.load(Ordering::Acquire) {
        return "migrating";
    }
    let check = async {
        let mut conn = state.pool.acquire().await?;
        let one = sqlx::query_scalar::<_, i32>("SELECT 1")
            .fetch_one(&mut *conn)
            .await;
        conn.check(one)
    };
    match tokio::time::timeout(DB_CHECK_TIMEOUT, check).await {
        Ok(Ok(_)) => "ok",
        _ => "unavailable",
    }
}

/// Readiness: the database answers and the migrations are applied.
#[utoipa::path(get, path = "/readyz", tag = "health", operation_id = "readyz",
    responses(
        (status = 200, description = "Ready", body = Probe),
        (status = 503, description = "Database unreachable or not migrated", body = Probe),
    ))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Probe>) {
    match database_state(&state).await {
        "ok" => (
            StatusCode::OK,
            Json(Probe {
                status: "ready".to_owned(),
                reason: None,
            }),
        ),
        other => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Probe {
                status: "unavailable".to_owned(),
                reason: Some(format!("database {other}")),
            }),
        ),
    }
}

/// Health summary for dashboards and the UI.
#[utoipa::path(get, path = "/api/health", tag = "health", operation_id = "api_health",
    responses((status = 200, description = "Health summary", body = Health)))]
pub async fn api_health(State(state): State<AppState>) -> Json<Health> {
    let database = database_state(&state).await;
    Json(Health {
        status: if database == "ok" { "ok" } else { "degraded" }.to_owned(),
        database: database.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}
