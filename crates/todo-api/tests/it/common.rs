//! Test helpers: a fresh PostgreSQL database per test, an in-process service on a free port,
//! and a small JSON client.
#![allow(dead_code)] // helpers shared by modules that each use a subset

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use todo_api::ServeArgs;
use todo_api::server::Running;
use tokio::net::TcpListener;

pub const SECRET: &str = "test-secret-0123456789abcdef0123456789";

/// The admin URL tests create databases with. Missing means the test fails loudly.
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must point at a PostgreSQL superuser, e.g. postgres://postgres:postgres@127.0.0.1:5432/postgres",
    )
}

/// Replaces the database name in a postgres URL.
pub fn with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// A database made for one test and dropped (forcibly) at the end.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let name = format!("todo_api_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&admin_url())
            .await
            .expect("connect to DATABASE_URL (is PostgreSQL running?)");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;
        let url = with_db(&admin_url(), &name);
        TestDb { name, url }
    }

    pub async fn pool(&self) -> sqlx::PgPool {
        sqlx::PgPool::connect(&self.url)
            .await
            .expect("connect test db")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime: use a separate thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(admin) = sqlx::PgPool::connect(&admin_url()).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&admin)
                    .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

pub fn args(db_url: &str) -> ServeArgs {
    ServeArgs {
        database_url: Some(db_url.to_owned()),
        jwt_secret: Some(SECRET.to_owned()),
        agent: Some("builtin".to_owned()),
        ..ServeArgs::default()
    }
}

/// A running in-process service plus a client for it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub running: Running,
}

impl TestApp {
    /// Starts the service on `db_url` and waits until `/readyz` answers 200.
    pub async fn start(db_url: &str) -> TestApp {
        Self::start_with(args(db_url)).await
    }

    pub async fn start_with(args: ServeArgs) -> TestApp {
        let app = Self::start_unready(args).await;
        app.wait_ready().await;
        app
    }

    pub async fn start_unready(args: ServeArgs) -> TestApp {
        let config = todo_api::Config::from_args(&args).expect("valid test config");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let running = todo_api::server::start(&config, listener).expect("start");
        TestApp {
            base: format!("http://{}", running.addr),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            running,
        }
    }

    pub async fn wait_ready(&self) {
        for _ in 0..300 {
            if let Ok(r) = self
                .client
                .get(format!("{}/readyz", self.base))
                .send()
                .await
                && r.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("service at {} never became ready", self.base);
    }

    pub async fn stop(self) {
        self.running.shutdown.cancel();
        let _ = self.running.handle.await;
    }

    /// Sends a request; returns the status and the JSON body (Null when empty / not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Sends raw bytes with a given content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path))
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Registers `email` and returns `(user_id, token)`.
    pub async fn register(&self, email: &str) -> (String, String) {
        let (s, v) = self
            .call(
                Method::POST,
                "/api/auth/register",
                None,
                Some(json!({"email": email, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "register {email}: {v}");
        (
            v["user_id"].as_str().expect("user_id").to_owned(),
            v["token"].as_str().expect("token").to_owned(),
        )
    }

    /// Posts a chat message as `user`.
    pub async fn chat(
        &self,
        user: &(String, String),
        conversation: Option<i64>,
        msg: &str,
    ) -> Value {
        let mut body = json!({"message": msg});
        if let Some(c) = conversation {
            body["conversation_id"] = json!(c);
        }
        let (s, v) = self
            .call(
                Method::POST,
                &format!("/api/{}/chat", user.0),
                Some(&user.1),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "chat {msg:?}: {v}");
        v
    }

    /// Creates a task over REST and returns its id.
    pub async fn add_task(&self, user: &(String, String), title: &str) -> i64 {
        let (s, v) = self
            .call(
                Method::POST,
                &format!("/api/{}/tasks", user.0),
                Some(&user.1),
                Some(json!({"title": title})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_i64().expect("id")
    }
}

/// Asserts the JSON error envelope and its code.
pub fn assert_error(v: &Value, code: &str) {
    assert_eq!(
        v["error"]["code"], code,
        "expected error code {code}, got {v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "error message missing: {v}"
    );
}
