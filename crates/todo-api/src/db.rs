//! Pool and embedded migrations.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use std::sync::Mutex;
use std::time::Instant;

use sqlx::Connection;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::{Error, Result};

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A lazy pool: connections are made on first use, so the service starts (and answers
/// `/healthz`) while PostgreSQL is still coming up.
pub fn pool(url: &str, max_connections: u32) -> Result<Db> {
    let opts: PgConnectOptions = url.parse().map_err(|_| Error::Config {
        var: "DATABASE_URL",
        rule: "must be a valid PostgreSQL URL, e.g. postgres://user:password@host:5432/db"
            .to_owned(),
    })?;
    Ok(Db {
        inner: Arc::new(Inner {
            opts,
            permits: Semaphore::new(max_connections.max(1) as usize),
            idle: Mutex::new(Vec::new()),
        }),
    })
}

/// How long acquiring may take, connecting included, before the caller gets a 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// A connection idle longer than this is pinged before use: that is when a PostgreSQL
/// restart leaves connections dead. Busy connections are proven by their last query.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);
/// Idle connections older than this are closed, so a quiet service holds none.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// The connection pool. sqlx's own pool pings every connection on its way back (a second
/// round trip per statement, half of what PostgreSQL was asked to do on the list route) and
/// spawns a task for it; this one puts a connection back as it is, unless the statement it ran
/// was cut off or lost the connection.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    opts: PgConnectOptions,
    /// One permit per connection, idle or in use.
    permits: Semaphore,
    /// Most recently used last.
    idle: Mutex<Vec<(PgConnection, Instant)>>,
}

/// A connection taken from [`Db`]; use it with `&mut *conn` and hand every statement's result
/// to [`Conn::check`], which tells whether the connection may go back to the pool.
pub struct Conn<'a> {
    conn: Option<PgConnection>,
    /// Until a statement's result is checked the connection is in an unknown state (a future
    /// dropped mid-statement, by the request timeout say): then it is closed, not reused.
    clean: bool,
    inner: &'a Inner,
    _permit: SemaphorePermit<'a>,
}

impl Db {
    /// A connection: an idle one (pinged if it sat idle), or a new one while under the limit.
    /// Waits at most [`ACQUIRE_TIMEOUT`]; a timeout is `PoolTimedOut` (a 503, like a database
    /// that does not answer).
    pub async fn acquire(&self) -> Result<Conn<'_>, sqlx::Error> {
        tokio::time::timeout(ACQUIRE_TIMEOUT, self.acquire_inner())
            .await
            .unwrap_or(Err(sqlx::Error::PoolTimedOut))
    }

    async fn acquire_inner(&self) -> Result<Conn<'_>, sqlx::Error> {
        let inner = &*self.inner;
        let permit = inner
            .permits
            .acquire()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        loop {
            let popped = lock(&inner.idle).pop();
            let Some((mut conn, since)) = popped else {
                break;
            };
            let idle_for = since.elapsed();
            if idle_for > IDLE_TIMEOUT {
                continue;
            }
            if idle_for > PING_AFTER_IDLE && conn.ping().await.is_err() {
                continue;
            }
            return Ok(Conn::new(conn, inner, permit));
        }
        let conn = PgConnection::connect_with(&inner.opts).await?;
        Ok(Conn::new(conn, inner, permit))
    }

    /// Closes the idle connections and refuses new acquires (`PoolClosed`).
    pub async fn close(&self) {
        self.inner.permits.close();
        let idle = std::mem::take(&mut *lock(&self.inner.idle));
        for (conn, _) in idle {
            let _ = conn.close().await;
        }
    }
}

impl<'a> Conn<'a> {
    fn new(conn: PgConnection, inner: &'a Inner, permit: SemaphorePermit<'a>) -> Conn<'a> {
        Conn {
            conn: Some(conn),
            clean: true,
            inner,
            _permit: permit,
        }
    }

    /// Passes a statement's result through, noting whether the connection survived it: a
    /// database error (a constraint, a bad value) leaves it usable, a lost or garbled
    /// connection does not.
    pub fn check<T>(&mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        self.clean = matches!(
            &result,
            Ok(_) | Err(sqlx::Error::Database(_) | sqlx::Error::RowNotFound)
        );
        result
    }
}

impl Conn<'_> {
    /// Marks the connection reusable after work not checked by [`Conn::check`] succeeded.
    pub fn keep(&mut self) {
        self.clean = true;
    }
}

impl std::ops::Deref for Conn<'_> {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        self.conn
            .as_ref()
            .expect("a Conn holds its connection until dropped")
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        // Unknown until the statement's result is checked.
        self.clean = false;
        self.conn
            .as_mut()
            .expect("a Conn holds its connection until dropped")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        // Back before the permit is released, so the next waiter finds it.
        if let Some(conn) = self.conn.take()
            && self.clean
            && !self.inner.permits.is_closed()
        {
            let mut idle = lock(&self.inner.idle);
            idle.retain(|(_, since)| since.elapsed() <= IDLE_TIMEOUT);
            idle.push((conn, Instant::now()));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Applies the migrations. sqlx's migrator holds a PostgreSQL advisory lock while it runs, so
/// replicas starting together apply each migration exactly once.
pub async fn migrate(pool: &Db) -> Result<()> {
    let mut conn = pool.acquire().await?;
    MIGRATOR.run_direct(None, &mut *conn, false).await?;
    conn.keep();
    Ok(())
}

/// Retries [`migrate`] with backoff until it succeeds, then sets `migrated`.
pub async fn migrate_until_done(pool: Db, migrated: Arc<AtomicBool>) {
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
