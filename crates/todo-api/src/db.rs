//! Pool and embedded migrations.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::error::{Error, Result};

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A lazy pool: connections are made on first use, so the service starts (and answers
/// `/healthz`) while PostgreSQL is still coming up.
pub fn pool(url: &str, max_connections: u32) -> Result<PgPool> {
    let opts: PgConnectOptions = url.parse().map_err(|_| Error::Config {
        var: "DATABASE_URL",
        rule: "must be a valid PostgreSQL URL, e.g. postgres://user:password@host:5432/db"
            .to_owned(),
    })?;
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(3))
        // sqlx's default pings on *every* acquire: a round trip per request. Ping only
        // connections that sat idle, which is when a PostgreSQL restart leaves them dead;
        // busy connections are proven by their last query.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > Duration::from_secs(1) {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .idle_timeout(Duration::from_secs(300))
        .connect_lazy_with(opts))
}

/// Applies the migrations. sqlx's migrator holds a PostgreSQL advisory lock while it runs, so
/// replicas starting together apply each migration exactly once.
pub async fn migrate(pool: &PgPool) -> Result<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Retries [`migrate`] with backoff until it succeeds, then sets `migrated`.
pub async fn migrate_until_done(pool: PgPool, migrated: Arc<AtomicBool>) {
    let mut delay = Duration::from_millis(100);
    loop {
        match migrate(&pool).await {
            Ok(()) => {
                migrated.store(true, Ordering::Release);
                tracing::info!("database migrations applied");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "database not ready; retrying migrations");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}
