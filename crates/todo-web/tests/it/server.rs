//! The server on its own: assets, caching, compression, security headers, probes, and the
//! binary's configuration errors, health check and graceful shutdown.

use std::time::{Duration, Instant};

use exec::Cmd;

use crate::support::{Web, free_port, http};

/// A todo-web whose backend is nowhere: everything here must work without one.
async fn lone_web() -> Web {
    Web::start(&format!("http://127.0.0.1:{}", free_port())).await
}

#[tokio::test(flavor = "multi_thread")]
async fn page_and_assets_are_cached_and_compressed() {
    let web = lone_web().await;
    let c = http();

    let page = c.get(web.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let etag = page.headers()["etag"].to_str().unwrap().to_owned();
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "inline script/style breaks the CSP"
    );

    // Revalidation: same ETag → 304 without a body; another ETag → 200.
    let again = c
        .get(web.url("/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
    let stale = c
        .get(web.url("/"))
        .header("if-none-match", "\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);

    // The page references content-hashed names, which are immutable.
    let js = html
        .split('"')
        .find(|s| s.starts_with("/assets/app.") && s.ends_with(".js"))
        .expect("hashed app.js in the page")
        .to_owned();
    assert_ne!(js, "/assets/app.js");
    let hashed = c.get(web.url(&js)).send().await.unwrap();
    assert_eq!(hashed.status(), 200);
    assert_eq!(
        hashed.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        hashed.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let plain_js = hashed.bytes().await.unwrap();

    // gzip when asked for, with its own ETag; identity otherwise.
    let gz = c
        .get(web.url(&js))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.headers()["vary"], "Accept-Encoding");
    let gz_etag = gz.headers()["etag"].to_str().unwrap().to_owned();
    let gz_bytes = gz.bytes().await.unwrap();
    assert!(gz_bytes.len() < plain_js.len());
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gz_bytes[..]),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, plain_js);
    let identity = c.get(web.url(&js)).send().await.unwrap();
    assert!(identity.headers().get("content-encoding").is_none());
    assert_ne!(identity.headers()["etag"].to_str().unwrap(), gz_etag);

    // Unhashed names still work but must be revalidated.
    let css = c.get(web.url("/assets/app.css")).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["cache-control"], "no-cache");

    let missing = c
        .get(web.url("/assets/nope.js"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_carries_the_security_headers() {
    let web = lone_web().await;
    let c = http();
    for path in [
        "/",
        "/assets/app.css",
        "/healthz",
        "/nope",
        "/api/session",
        "/api/anything",
    ] {
        let res = c.get(web.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn probes_answer_without_a_backend() {
    let web = lone_web().await;
    for path in ["/healthz", "/readyz"] {
        let res = http().get(web.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
}

fn bin() -> String {
    env!("CARGO_BIN_EXE_todo-web").to_owned()
}

#[test]
fn invalid_config_exits_naming_the_variable() {
    // (variable, bad value)
    let check = |var: &str, value: &str| {
        let out = Cmd::new(bin())
            .env(var, value)
            .env(
                "PORT",
                if var == "PORT" {
                    value.to_owned()
                } else {
                    free_port().to_string()
                },
            )
            .timeout(Duration::from_secs(30))
            .run_unchecked()
            .expect("run todo-web");
        assert_ne!(out.status, 0, "{var}={value} was accepted");
        assert!(
            out.stderr.contains(var),
            "{var}={value}: stderr does not name it:\n{}",
            out.stderr
        );
    };
    check("BACKEND_URL", "ftp://api:8000");
    check("BACKEND_URL", "api:8000");
    check("PORT", "eighty");
    check("PORT", "70000");
    check("BIND_ADDR", "localhost:3000");
    check("COOKIE_SECURE", "sometimes");
    check("LOG_FORMAT", "xml");
    check("LOG_LEVEL", "[[[");
    check("BACKEND_TIMEOUT_SECONDS", "0");
}

/// Environment variables a case sets.
type Env = &'static [(&'static str, &'static str)];

/// Runs todo-web with `env` until it listens, stops it, and returns its JSON log lines.
fn serve_once(env: Env) -> Vec<serde_json::Value> {
    let port = free_port();
    let mut cmd = Cmd::new(bin())
        .env("PORT", port.to_string())
        .env("BIND_ADDR", "127.0.0.1")
        .env("LOG_FORMAT", "json");
    for (k, v) in env {
        cmd = cmd.env(*k, *v);
    }
    let server = cmd.spawn().unwrap();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let probe = Cmd::new(bin())
            .args(["healthcheck", "--url", &url])
            .timeout(Duration::from_secs(30))
            .run_unchecked()
            .unwrap();
        if probe.status == 0 {
            break;
        }
        if let Some(out) = server.try_wait().unwrap() {
            panic!("todo-web {env:?} exited: {}", out.stderr);
        }
        assert!(Instant::now() < deadline, "todo-web {env:?} never listened");
        std::thread::sleep(Duration::from_millis(100));
    }
    server.terminate().unwrap();
    let out = server
        .wait_timeout(Duration::from_secs(30))
        .unwrap()
        .expect("stopped");
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn duration_variables_take_the_seconds_suffix_and_the_old_names_still_work() {
    // (environment, logged setting, its value, the one warning line expected)
    let cases: [(Env, &str, u64, Option<&str>); 5] = [
        (&[], "shutdown_grace_seconds", 20, None),
        (
            &[("SHUTDOWN_GRACE_SECONDS", "7")],
            "shutdown_grace_seconds",
            7,
            None,
        ),
        (
            &[("SHUTDOWN_GRACE_SECS", "8")],
            "shutdown_grace_seconds",
            8,
            Some(
                "SHUTDOWN_GRACE_SECS is deprecated and will stop working: its value is used \
                 for now; rename it to SHUTDOWN_GRACE_SECONDS",
            ),
        ),
        // The chart's old name, as an old release's ConfigMap still sets it.
        (
            &[("SHUTDOWN_DRAIN_SECS", "1")],
            "shutdown_drain_seconds",
            1,
            Some("rename it to SHUTDOWN_DRAIN_SECONDS"),
        ),
        (
            &[
                ("BACKEND_TIMEOUT_SECS", "9"),
                ("BACKEND_TIMEOUT_SECONDS", "10"),
            ],
            "backend_timeout_seconds",
            10,
            Some(
                "BACKEND_TIMEOUT_SECS is deprecated and was ignored because \
                 BACKEND_TIMEOUT_SECONDS is set too: remove BACKEND_TIMEOUT_SECS",
            ),
        ),
    ];
    for (env, field, value, warning) in cases {
        let lines = serve_once(env);
        let listening = lines
            .iter()
            .find(|l| l["message"] == "todo-web listening")
            .unwrap_or_else(|| panic!("{env:?}: no listening line in {lines:?}"));
        assert_eq!(listening[field], value, "{env:?}: {listening}");
        let warnings: Vec<&str> = lines
            .iter()
            .filter(|l| l["level"] == "WARN")
            .filter_map(|l| l["message"].as_str())
            .collect();
        match warning {
            None => assert!(warnings.is_empty(), "{env:?}: {warnings:?}"),
            Some(want) => {
                assert_eq!(warnings.len(), 1, "{env:?}: {warnings:?}");
                assert!(warnings[0].contains(want), "{env:?}: {warnings:?}");
            }
        }
    }
}

#[test]
fn a_bad_duration_is_reported_by_the_variable_that_was_set() {
    // (environment, the variable the error names, the one it must not name)
    let cases: [(Env, &str, &str); 4] = [
        (
            &[("SHUTDOWN_DRAIN_SECONDS", "5s")],
            "SHUTDOWN_DRAIN_SECONDS",
            "SHUTDOWN_DRAIN_SECS",
        ),
        (
            &[("SHUTDOWN_DRAIN_SECS", "5s")],
            "SHUTDOWN_DRAIN_SECS",
            "SHUTDOWN_DRAIN_SECONDS",
        ),
        (
            &[("BACKEND_CONNECT_TIMEOUT_SECS", "301")],
            "BACKEND_CONNECT_TIMEOUT_SECS",
            "BACKEND_CONNECT_TIMEOUT_SECONDS",
        ),
        // The new name wins, so it is the one whose value is checked.
        (
            &[
                ("BACKEND_TIMEOUT_SECS", "120"),
                ("BACKEND_TIMEOUT_SECONDS", "0"),
            ],
            "BACKEND_TIMEOUT_SECONDS",
            "BACKEND_TIMEOUT_SECS",
        ),
    ];
    for (env, named, not_named) in cases {
        let mut cmd = Cmd::new(bin())
            .env("PORT", free_port().to_string())
            .timeout(Duration::from_secs(30));
        for (k, v) in env {
            cmd = cmd.env(*k, *v);
        }
        let out = cmd.run_unchecked().expect("run todo-web");
        assert_ne!(out.status, 0, "{env:?} was accepted");
        assert!(
            out.stderr.contains(&format!("<{named}>"))
                && !out.stderr.contains(&format!("<{not_named}>")),
            "{env:?}: the error must name {named}:\n{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains("expected a whole number of seconds from"),
            "{env:?}: the error must say what to set:\n{}",
            out.stderr
        );
    }
}

#[test]
fn healthcheck_and_graceful_shutdown() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/healthz");

    // Nothing listening yet: the health check fails.
    let down = Cmd::new(bin())
        .args(["healthcheck", "--url", &url])
        .timeout(Duration::from_secs(30))
        .run_unchecked()
        .unwrap();
    assert_ne!(down.status, 0);
    assert!(down.stderr.contains(&url), "{}", down.stderr);

    let server = Cmd::new(bin())
        .env("PORT", port.to_string())
        .env("BIND_ADDR", "127.0.0.1")
        .env("LOG_FORMAT", "json")
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let probe = Cmd::new(bin())
            .arg("healthcheck")
            .env("PORT", port.to_string())
            .timeout(Duration::from_secs(30))
            .run_unchecked()
            .unwrap();
        if probe.status == 0 {
            break;
        }
        if let Some(out) = server.try_wait().unwrap() {
            panic!("todo-web exited: {}", out.stderr);
        }
        assert!(
            Instant::now() < deadline,
            "todo-web never became healthy: {}",
            probe.stderr
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let ok = Cmd::new(bin())
        .args(["healthcheck", "--url", &url])
        .timeout(Duration::from_secs(30))
        .run()
        .expect("healthcheck of a running server");
    assert_eq!(ok.status, 0);

    // SIGTERM: the server drains and exits 0 on its own.
    server.terminate().unwrap();
    let out = server
        .wait_timeout(Duration::from_secs(30))
        .unwrap()
        .expect("todo-web did not stop after SIGTERM");
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stderr.contains("todo-web stopped"), "{}", out.stderr);
}

#[test]
fn flags_take_precedence_over_the_environment() {
    let flag_port = free_port();
    let env_port = free_port();
    // (arguments before the flags)
    let check = |prefix: &[&str]| {
        let mut cmd = Cmd::new(bin()).args(prefix.iter().copied());
        cmd = cmd
            .args(["--port", &flag_port.to_string(), "--bind-addr", "127.0.0.1"])
            .env("PORT", env_port.to_string())
            .env("BIND_ADDR", "0.0.0.0");
        let server = cmd.spawn().unwrap();
        let url = format!("http://127.0.0.1:{flag_port}/healthz");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let probe = Cmd::new(bin())
                .args(["healthcheck", "--url", &url])
                .timeout(Duration::from_secs(30))
                .run_unchecked()
                .unwrap();
            if probe.status == 0 {
                break;
            }
            if let Some(out) = server.try_wait().unwrap() {
                panic!("todo-web {prefix:?} exited: {}", out.stderr);
            }
            assert!(
                Instant::now() < deadline,
                "todo-web {prefix:?} never listened on --port {flag_port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server.terminate().unwrap();
        let out = server
            .wait_timeout(Duration::from_secs(30))
            .unwrap()
            .expect("stopped");
        assert!(
            out.stderr.contains(&format!("127.0.0.1:{flag_port}")),
            "{}",
            out.stderr
        );
    };
    check(&[]);
    check(&["serve"]);
}

/// One HTTP/1.1 request on `conn`: the response head, lower-cased, up to its blank line.
async fn request_head(conn: &mut tokio::net::TcpStream, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: web\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(
            conn.read(&mut byte).await.unwrap(),
            1,
            "connection closed mid-response"
        );
        head.push(byte[0]);
    }
    // The body of /healthz: "ok\n".
    let mut body = [0u8; 3];
    conn.read_exact(&mut body).await.unwrap();
    String::from_utf8(head).unwrap().to_ascii_lowercase()
}

#[tokio::test(flavor = "multi_thread")]
async fn after_sigterm_it_keeps_serving_for_the_drain_and_closes_each_connection() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = todo_web::Config::new(reqwest::Url::parse("http://127.0.0.1:9").unwrap());
    config.shutdown_drain_seconds = 2;
    let state = todo_web::AppState::new(config).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(todo_web::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let mut kept = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = request_head(&mut kept, "/healthz").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(!head.contains("connection: close"), "{head}");

    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A request on a kept-alive connection is answered, and the connection closed after it.
    let head = request_head(&mut kept, "/healthz").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    let mut rest = Vec::new();
    kept.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "more after the last response: {rest:?}");
    // A new connection (a stale route to this pod) is still served, and told to go.
    let mut late = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = request_head(&mut late, "/readyz").await;
    assert!(
        head.starts_with("http/1.1 503"),
        "not ready while draining: {head}"
    );
    assert!(head.contains("connection: close"), "{head}");

    // Then it stops.
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("the server stops after the drain")
        .unwrap()
        .unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
