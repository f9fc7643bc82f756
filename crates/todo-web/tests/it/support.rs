//! Test stack: a fresh PostgreSQL database, the real `todo-api` binary on a free port, and
//! todo-web served in-process on another.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use exec::{Child, Cmd};
use reqwest::Url;
use sqlx::Connection;
use todo_web::{AppState, Config};

/// The JWT secret every test backend uses (test-only, ≥ 32 bytes).
pub const JWT_SECRET: &str = "todo-web-tests-jwt-secret-0123456789abcdef";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `DATABASE_URL` of the server where tests may create databases.
pub fn admin_database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The freshly built `todo-api` binary: built once per test process (a no-op when it is up to
/// date) into the same target directory and profile as our own binary, so `--release`,
/// `--profile` and `--target-dir`/`CARGO_TARGET_DIR` runs all find it.
pub fn todo_api_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let ours = PathBuf::from(env!("CARGO_BIN_EXE_todo-web"));
        let profile_dir = ours.parent().expect("target profile directory");
        let target_dir = profile_dir.parent().expect("target directory");
        let profile = profile_dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("profile directory name");
        // Cargo names the dev and test profiles' directory `debug`.
        let profile = if profile == "debug" { "dev" } else { profile };
        Cmd::new("cargo")
            .args([
                "build",
                "-p",
                "todo-api",
                "--bin",
                "todo-api",
                "--profile",
                profile,
            ])
            .arg("--target-dir")
            .arg(target_dir.to_string_lossy())
            .current_dir(workspace_root())
            .timeout(Duration::from_secs(1800))
            .run()
            .expect("building todo-api for the proxy tests (cargo build -p todo-api)");
        let bin = profile_dir.join("todo-api");
        assert!(bin.is_file(), "todo-api binary not at {}", bin.display());
        bin
    })
    .clone()
}

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// A database of its own for one test; dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn create() -> Self {
        let admin = admin_database_url();
        let name = format!("todo_web_it_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("connect to PostgreSQL at DATABASE_URL: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let mut url = Url::parse(&admin).expect("DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        Self {
            name,
            url: url.to_string(),
        }
    }

    pub async fn connect(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.url)
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any runtime guarantee; a private thread with its own runtime keeps
        // the cleanup independent of how the test ended.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_database_url()).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}

/// A running todo-api.
pub struct Backend {
    pub child: Option<Child>,
    pub url: String,
}

impl Backend {
    pub async fn start(db: &TestDb) -> Self {
        Self::start_with_env(db, &[("AGENT", "builtin")]).await
    }

    /// Starts todo-api with `extra` environment on top of the defaults.
    pub async fn start_with_env(db: &TestDb, extra: &[(&str, &str)]) -> Self {
        let bin = todo_api_binary();
        let port = free_port();
        let mut cmd = Cmd::new(bin.to_string_lossy());
        for (k, v) in extra {
            cmd = cmd.env(*k, *v);
        }
        let child = cmd
            .env("DATABASE_URL", &db.url)
            .secret_env("JWT_SECRET", JWT_SECRET)
            .env("PORT", port.to_string())
            .env("BIND_ADDR", "127.0.0.1")
            .env("LOG_FORMAT", "json")
            .env("LOG_LEVEL", "warn")
            .spawn()
            .expect("start todo-api");
        let url = format!("http://127.0.0.1:{port}");
        let client = http();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(out) = child.try_wait().expect("poll todo-api") {
                panic!(
                    "todo-api exited early with {}:\n{}\n{}",
                    out.status, out.stdout, out.stderr
                );
            }
            if let Ok(r) = client.get(format!("{url}/readyz")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "todo-api did not become ready at {url}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self {
            child: Some(child),
            url,
        }
    }

    /// Stops the backend (SIGKILL) to simulate an outage.
    pub fn kill(&mut self) {
        if let Some(child) = self.child.take() {
            child.kill().expect("kill todo-api");
        }
    }
}

/// todo-web served in-process.
pub struct Web {
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Web {
    pub async fn start(backend_url: &str) -> Self {
        Self::start_with(Config::new(Url::parse(backend_url).expect("backend URL"))).await
    }

    pub async fn start_with(config: Config) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind todo-web");
        let addr = listener.local_addr().expect("addr");
        let state = AppState::new(config).expect("todo-web state");
        let task = tokio::spawn(async move {
            todo_web::serve(listener, state, std::future::pending())
                .await
                .expect("todo-web serve");
        });
        Self {
            base: format!("http://{addr}"),
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Web {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Database + backend + frontend.
pub struct Stack {
    pub web: Web,
    pub backend: Backend,
    pub db: TestDb,
}

impl Stack {
    pub async fn start() -> Self {
        let db = TestDb::create().await;
        let backend = Backend::start(&db).await;
        let web = Web::start(&backend.url).await;
        Self { web, backend, db }
    }
}

/// A plain HTTP client: no cookie store (tests handle cookies by hand to see them), no proxy,
/// no redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

/// A signed-up user as the page sees it.
pub struct Signed {
    pub user_id: String,
    pub csrf: String,
    /// `todo_session=...` for the Cookie header.
    pub cookie: String,
    /// The full Set-Cookie header.
    pub set_cookie: String,
    /// The JSON body the page received.
    pub body: serde_json::Value,
}

pub async fn register(web: &Web, email: &str) -> Signed {
    let res = http()
        .post(web.url("/api/auth/register"))
        .json(&serde_json::json!({"email": email, "password": "correct horse battery", "name": "Test User"}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), 201, "register answered {}", res.status());
    signed_from(res).await
}

pub async fn signed_from(res: reqwest::Response) -> Signed {
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .expect("a Set-Cookie header")
        .to_str()
        .expect("ascii")
        .to_owned();
    let cookie = set_cookie
        .split(';')
        .next()
        .expect("cookie pair")
        .to_owned();
    let body: serde_json::Value = res.json().await.expect("JSON body");
    Signed {
        user_id: body["user_id"].as_str().expect("user_id").to_owned(),
        csrf: body["csrf_token"].as_str().expect("csrf_token").to_owned(),
        cookie,
        set_cookie,
        body,
    }
}

/// The backend token inside a session cookie pair (`todo_session=v1:<uid>:<csrf>:<token>`).
pub fn token_of(cookie: &str) -> String {
    let value = cookie.split_once('=').expect("name=value").1;
    value.splitn(4, ':').nth(3).expect("token part").to_owned()
}
