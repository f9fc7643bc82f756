//! Readiness against a database that goes away and comes back, concurrent starts, and the
//! real binary: SIGTERM drain, healthcheck and migrate subcommands, configuration errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::common::{SECRET, TestApp, TestDb, admin_url, args, with_db};

/// `host:port` of a postgres URL.
fn authority(url: &str) -> String {
    let rest = &url[url.find("://").unwrap() + 3..];
    let rest = rest.split(['/', '?']).next().unwrap();
    let hostport = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    if hostport.contains(':') {
        hostport.to_owned()
    } else {
        format!("{hostport}:5432")
    }
}

/// The same URL with another `host:port`.
fn via(url: &str, hostport: &str) -> String {
    let start = url.find("://").unwrap() + 3;
    let rest = &url[start..];
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let auth = &rest[..end];
    let new_auth = match auth.rsplit_once('@') {
        Some((user, _)) => format!("{user}@{hostport}"),
        None => hostport.to_owned(),
    };
    format!("{}{}{}", &url[..start], new_auth, &rest[end..])
}

/// A TCP proxy in front of PostgreSQL that the test can cut and restore.
struct Proxy {
    addr: String,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    /// While set, bytes are held back: the database looks hung, connections stay open.
    frozen: Arc<AtomicBool>,
}

/// Copies one direction, holding data back while `frozen` is set.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: Arc<AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while frozen.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl Proxy {
    async fn start(target: String, up: bool) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let up = Arc::new(AtomicBool::new(up));
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let frozen = Arc::new(AtomicBool::new(false));
        let (up2, conns2, frozen2) = (up.clone(), conns.clone(), frozen.clone());
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(client); // refuse: close at once
                    continue;
                }
                let target = target.clone();
                let frozen = frozen2.clone();
                let h = tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&target).await {
                        let (cr, cw) = client.into_split();
                        let (sr, sw) = server.into_split();
                        tokio::join!(pump(cr, sw, frozen.clone()), pump(sr, cw, frozen));
                    }
                });
                conns2.lock().await.push(h);
            }
        });
        Proxy {
            addr,
            up,
            conns,
            frozen,
        }
    }

    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for h in self.conns.lock().await.drain(..) {
            h.abort();
        }
    }

    fn freeze(&self, on: bool) {
        self.frozen.store(on, Ordering::SeqCst);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

async fn status_of(app: &TestApp, path: &str) -> StatusCode {
    app.client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap()
        .status()
}

/// Polls until `path` answers `want` (bounded; not a timing assertion).
async fn eventually(app: &TestApp, path: &str, want: StatusCode) {
    let mut last = StatusCode::IM_A_TEAPOT;
    for _ in 0..300 {
        last = status_of(app, path).await;
        if last == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never answered {want}; last {last}");
}

#[tokio::test]
async fn readiness_follows_the_database_without_a_restart() {
    let db = TestDb::new().await;
    let proxy = Proxy::start(authority(&admin_url()), false).await;
    let url = via(&db.url, &proxy.addr);

    // Started while the database is unreachable: alive, not ready, API answers 503 JSON.
    let app = TestApp::start_unready(args(&url)).await;
    assert_eq!(status_of(&app, "/healthz").await, StatusCode::OK);
    assert_eq!(
        status_of(&app, "/readyz").await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let (s, v) = app
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"email": "r@example.com", "password": "password123"})),
        )
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"]["code"], "unavailable");

    // Database reachable: migrations run in the background and readiness turns green.
    proxy.restore();
    eventually(&app, "/readyz", StatusCode::OK).await;
    let u = app.register("ready@example.com").await;
    let (_, h) = app.call(Method::GET, "/api/health", None, None).await;
    assert_eq!(h["status"], "ok");
    assert_eq!(h["database"], "ok");
    assert_eq!(h["version"], env!("CARGO_PKG_VERSION"));

    // Cut: liveness stays 200, readiness 503, data routes 503 (never 500).
    proxy.cut().await;
    eventually(&app, "/readyz", StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(status_of(&app, "/healthz").await, StatusCode::OK);
    let (_, h) = app.call(Method::GET, "/api/health", None, None).await;
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["database"], "unavailable", "{h}");
    let (s, v) = app
        .call(
            Method::GET,
            &format!("/api/{}/tasks", u.0),
            Some(&u.1),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"]["code"], "database_unavailable");

    // Restore: ready again, same process.
    proxy.restore();
    eventually(&app, "/readyz", StatusCode::OK).await;
    let (s, _) = app
        .call(
            Method::GET,
            &format!("/api/{}/tasks", u.0),
            Some(&u.1),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_starts_on_an_empty_database_migrate_once() {
    let db = TestDb::new().await;
    let apps =
        futures::future::join_all((0..3).map(|_| TestApp::start_unready(args(&db.url)))).await;
    for app in &apps {
        app.wait_ready().await;
    }
    let pool = db.pool().await;
    let rows: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    let expected: Vec<(i64, bool)> = todo_api::db::MIGRATOR
        .iter()
        .map(|m| (m.version, true))
        .collect();
    assert_eq!(rows, expected);
    // Every instance serves.
    for (i, app) in apps.iter().enumerate() {
        app.register(&format!("inst{i}@example.com")).await;
    }
    for app in apps {
        app.stop().await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn bin() -> exec::Cmd {
    exec::Cmd::new(env!("CARGO_BIN_EXE_todo-api"))
}

#[tokio::test]
async fn sigterm_drains_the_in_flight_request_then_exits_zero() {
    // A slow model keeps a chat request in flight while SIGTERM arrives.
    let (got_request, got_request_rx) = tokio::sync::oneshot::channel::<()>();
    let got_request = Arc::new(std::sync::Mutex::new(Some(got_request)));
    let model = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move || {
            let tx = got_request.lock().unwrap().take();
            async move {
                if let Some(tx) = tx {
                    let _ = tx.send(());
                }
                tokio::time::sleep(Duration::from_millis(1500)).await;
                axum::Json(json!({"choices": [{"message": {"role": "assistant", "content": "finished despite SIGTERM"}}]}))
            }
        }),
    );
    let ml = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let model_url = format!("http://{}/v1", ml.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(ml, model).await });

    let db = TestDb::new().await;
    let port = free_port();
    let child = bin()
        .env("DATABASE_URL", db.url.clone())
        .secret_env("JWT_SECRET", SECRET)
        .env("PORT", port.to_string())
        .env("BIND_ADDR", "127.0.0.1")
        .env("AGENT", "llm")
        .secret_env("OPENAI_API_KEY", "sk-never-logged-42")
        .env("OPENAI_BASE_URL", model_url)
        .env("LOG_FORMAT", "json")
        .spawn()
        .expect("spawn todo-api");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == StatusCode::OK
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "binary never became ready: {:?}", child.try_wait());

    // Healthcheck subcommand against the live process: 0; against a dead port: 1.
    let ok = bin()
        .args(["healthcheck", "--url", &base])
        .run_unchecked()
        .unwrap();
    assert_eq!(ok.status, 0, "{}", ok.stderr);
    let ok = bin()
        .arg("healthcheck")
        .env("PORT", port.to_string())
        .run_unchecked()
        .unwrap();
    assert_eq!(ok.status, 0, "default URL from PORT: {}", ok.stderr);
    let dead = bin()
        .args([
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{}", free_port()),
        ])
        .run_unchecked()
        .unwrap();
    assert_eq!(dead.status, 1);
    assert!(dead.stderr.contains("unhealthy"), "{}", dead.stderr);

    let reg: Value = client
        .post(format!("{base}/api/auth/register"))
        .json(&json!({"email": "term@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (user, token) = (
        reg["user_id"].as_str().unwrap().to_owned(),
        reg["token"].as_str().unwrap().to_owned(),
    );
    let in_flight = tokio::spawn({
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        async move {
            let r = client
                .post(format!("{base}/api/{user}/chat"))
                .bearer_auth(token)
                .json(&json!({"message": "hello"}))
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    });
    got_request_rx
        .await
        .expect("the chat request reached the model");
    child.terminate().expect("SIGTERM");
    let (status, body) = in_flight.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["response"], "finished despite SIGTERM");
    let out = tokio::task::spawn_blocking(move || child.wait_timeout(Duration::from_secs(30)))
        .await
        .unwrap()
        .unwrap()
        .expect("process exited after draining");
    assert_eq!(out.status, 0, "{}", out.stderr);

    // Logs: JSON lines with request ids; no password, token, key or secret.
    let logs = out.stderr;
    assert!(logs.contains("shutdown signal received"), "{logs}");
    let line = logs
        .lines()
        .find(|l| l.contains("\"response\"") || l.contains("response"))
        .expect("a response log line");
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    assert!(v.to_string().contains("request_id"), "{line}");
    for secret in [
        token.as_str(),
        "correct horse battery",
        "sk-never-logged-42",
        SECRET,
        "postgres:postgres",
    ] {
        assert!(!logs.contains(secret), "log leaks {secret:?}");
    }
}

#[tokio::test]
async fn invalid_configuration_exits_nonzero_naming_the_variable() {
    // (env, message that must appear)
    let good_db = "postgres://u:p@127.0.0.1:1/db";
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("DATABASE_URL", "")], "DATABASE_URL must be set"),
        (
            vec![("DATABASE_URL", "mysql://x/y")],
            "DATABASE_URL must start with postgres://",
        ),
        (
            vec![("JWT_SECRET", "short-secret-value")],
            "JWT_SECRET must be at least 32 bytes",
        ),
        (vec![("JWT_SECRET", "")], "JWT_SECRET must be set"),
        (
            vec![("PORT", "http")],
            "PORT must be an integer from 1 to 65535",
        ),
        (
            vec![("PORT", "70000")],
            "PORT must be an integer from 1 to 65535",
        ),
        (
            vec![("BIND_ADDR", "everywhere")],
            "BIND_ADDR must be an IP address",
        ),
        (
            vec![("LOG_FORMAT", "xml")],
            "LOG_FORMAT must be json or pretty",
        ),
        (vec![("LOG_LEVEL", "loud=[")], "LOG_LEVEL must be"),
        (vec![("AGENT", "gpt")], "AGENT must be builtin, llm or auto"),
        (
            vec![("AGENT", "llm"), ("OPENAI_API_KEY", "")],
            "OPENAI_API_KEY must be set when AGENT=llm",
        ),
        (
            vec![("OPENAI_BASE_URL", "ftp://x"), ("OPENAI_API_KEY", "k")],
            "OPENAI_BASE_URL must be an http",
        ),
        (
            vec![("CORS_ORIGINS", "example.com")],
            "CORS_ORIGINS must be",
        ),
        (
            vec![("TOKEN_TTL_SECONDS", "5")],
            "TOKEN_TTL_SECONDS must be an integer from 60",
        ),
        (
            vec![("REQUEST_TIMEOUT_SECONDS", "0")],
            "REQUEST_TIMEOUT_SECONDS must be",
        ),
    ];
    for (env, expect) in cases {
        let port = free_port().to_string();
        let mut vars: std::collections::BTreeMap<&str, &str> = [
            ("DATABASE_URL", good_db),
            ("JWT_SECRET", SECRET),
            ("PORT", port.as_str()),
            ("BIND_ADDR", "127.0.0.1"),
            ("AGENT", "auto"),
            ("OPENAI_API_KEY", ""),
            ("LOG_LEVEL", "info"),
        ]
        .into_iter()
        .collect();
        vars.extend(env.iter().copied());
        let mut cmd = bin().timeout(Duration::from_secs(10));
        for (k, v) in &vars {
            cmd = cmd.env(*k, *v);
        }
        let out = cmd.run_unchecked().unwrap();
        assert_eq!(out.status, 2, "{env:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(expect),
            "{env:?}: {:?} should contain {expect:?}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("short-secret-value"),
            "secret echoed: {}",
            out.stderr
        );
    }
}

#[tokio::test]
async fn migrate_subcommand_applies_the_schema() {
    let db = TestDb::new().await;
    let out = bin()
        .arg("migrate")
        .env("DATABASE_URL", db.url.clone())
        .timeout(Duration::from_secs(60))
        .run_unchecked()
        .unwrap();
    assert_eq!(out.status, 0, "{}", out.stderr);
    let pool = db.pool().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('users','tasks','conversations','messages') ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(tables, ["conversations", "messages", "tasks", "users"]);
    // A second run is a no-op; an unreachable database is exit 1 with a message.
    let again = bin()
        .arg("migrate")
        .env("DATABASE_URL", db.url.clone())
        .run_unchecked()
        .unwrap();
    assert_eq!(again.status, 0, "{}", again.stderr);
    let bad = bin()
        .arg("migrate")
        .env(
            "DATABASE_URL",
            with_db(
                &via(&admin_url(), &format!("127.0.0.1:{}", free_port())),
                "nope",
            ),
        )
        .timeout(Duration::from_secs(60))
        .run_unchecked()
        .unwrap();
    assert_eq!(bad.status, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("todo-api migrate"), "{}", bad.stderr);
}

#[tokio::test]
async fn cors_only_when_configured() {
    let db = TestDb::new().await;
    let preflight = async |app: &TestApp, origin: &str| {
        app.client
            .request(Method::OPTIONS, format!("{}/api/auth/login", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap()
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    // Default: no CORS at all (the browser talks to todo-web on its own origin).
    let app = TestApp::start(&db.url).await;
    assert_eq!(preflight(&app, "https://app.example.com").await, None);
    app.stop().await;

    let mut a = args(&db.url);
    a.cors_origins = Some("https://app.example.com, http://localhost:3000".to_owned());
    let app = TestApp::start_with(a).await;
    assert_eq!(
        preflight(&app, "https://app.example.com").await.as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(
        preflight(&app, "http://localhost:3000").await.as_deref(),
        Some("http://localhost:3000")
    );
    assert_eq!(preflight(&app, "https://evil.example.com").await, None);
    app.stop().await;
}

#[tokio::test]
async fn a_hung_database_gives_a_json_timeout_not_a_hang() {
    let db = TestDb::new().await;
    let proxy = Proxy::start(authority(&admin_url()), true).await;
    let mut a = args(&via(&db.url, &proxy.addr));
    a.request_timeout_seconds = Some("1".to_owned());
    let app = TestApp::start_with(a).await;
    // Registering hashes for longer than 1 s in a debug build: make the user directly.
    let id = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO users (id, email, password_hash) VALUES ($1, 'hung@example.com', 'x')",
    )
    .bind(id)
    .execute(&db.pool().await)
    .await
    .unwrap();
    let keys = todo_api::auth::Keys::new(SECRET.as_bytes(), Duration::from_secs(600));
    let u = (id.to_string(), keys.issue(id).unwrap());
    let (s, _) = app
        .call(
            Method::GET,
            &format!("/api/{}/tasks", u.0),
            Some(&u.1),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    proxy.freeze(true);
    let (s, v) = app
        .call(
            Method::GET,
            &format!("/api/{}/tasks", u.0),
            Some(&u.1),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"]["code"], "timeout", "{v}");
    assert_eq!(
        status_of(&app, "/healthz").await,
        StatusCode::OK,
        "liveness never waits on the DB"
    );
    proxy.freeze(false);
    eventually(&app, "/readyz", StatusCode::OK).await;
    let (s, _) = app
        .call(
            Method::GET,
            &format!("/api/{}/tasks", u.0),
            Some(&u.1),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

/// One HTTP/1.1 `GET /healthz` on `conn`: the response head, lower-cased.
async fn healthz_head(conn: &mut TcpStream) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: api\r\n\r\n")
        .await
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(
            conn.read(&mut byte).await.unwrap(),
            1,
            "closed mid-response"
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no content-length: {head}"));
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).await.unwrap();
    head
}

#[tokio::test(flavor = "multi_thread")]
async fn after_the_shutdown_signal_it_keeps_serving_for_the_drain_and_closes_each_connection() {
    use tokio::io::AsyncReadExt;
    let db = TestDb::new().await;
    let app = TestApp::start_with(todo_api::ServeArgs {
        shutdown_drain_seconds: Some("2".into()),
        ..args(&db.url)
    })
    .await;
    let addr = app.running.addr;
    let mut kept = TcpStream::connect(addr).await.unwrap();
    let head = healthz_head(&mut kept).await;
    assert!(
        head.starts_with("http/1.1 200") && !head.contains("connection: close"),
        "{head}"
    );

    app.running.shutdown.cancel();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let head = healthz_head(&mut kept).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    let mut rest = Vec::new();
    kept.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "more after the last response");
    let mut late = TcpStream::connect(addr).await.unwrap();
    assert!(healthz_head(&mut late).await.contains("connection: close"));

    tokio::time::timeout(Duration::from_secs(30), app.running.handle)
        .await
        .expect("the server stops after the drain")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err());
}
