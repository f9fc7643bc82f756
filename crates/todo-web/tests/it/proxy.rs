//! The proxy against a real todo-api and PostgreSQL.

use futures::StreamExt;
use serde_json::{Value, json};

use crate::support::{Backend, Stack, TestDb, Web, http, register, signed_from, token_of};

#[tokio::test(flavor = "multi_thread")]
async fn cookie_session_round_trip() {
    let stack = Stack::start().await;
    let web = &stack.web;
    let c = http();

    // Sign up: the cookie is HttpOnly + SameSite=Strict, not Secure over plain HTTP.
    let user = register(web, "round-trip@example.com").await;
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(
            user.set_cookie.contains(attr),
            "{attr} missing: {}",
            user.set_cookie
        );
    }
    assert!(!user.set_cookie.contains("Secure"), "{}", user.set_cookie);
    assert_eq!(user.csrf.len(), 64);

    // The page rediscovers who it is after a reload.
    let session: Value = c
        .get(web.url("/api/session"))
        .header("cookie", &user.cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        session,
        json!({"user_id": user.user_id, "csrf_token": user.csrf})
    );

    // The cookie works as the bearer token for the user's own routes.
    let created = c
        .post(web.url(&format!("/api/{}/tasks", user.user_id)))
        .header("cookie", &user.cookie)
        .header("x-csrf-token", &user.csrf)
        .json(&json!({"title": "Write the proxy tests"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let tasks: Value = c
        .get(web.url(&format!("/api/{}/tasks?status=pending", user.user_id)))
        .header("cookie", &user.cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tasks[0]["title"], "Write the proxy tests", "{tasks}");

    // Without the cookie the backend refuses.
    let anon = c
        .get(web.url(&format!("/api/{}/tasks", user.user_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);

    // Signing in again gives a new session (and a new CSRF token) for the same user.
    let login = c
        .post(web.url("/api/auth/login"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"email": "round-trip@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let again = signed_from(login).await;
    assert_eq!(again.user_id, user.user_id);
    assert_ne!(again.csrf, user.csrf);
    assert!(
        again.set_cookie.contains("; Secure"),
        "TLS-forwarded login must set Secure: {}",
        again.set_cookie
    );

    // A wrong password is the backend's own 401, and sets no cookie.
    let wrong = c
        .post(web.url("/api/auth/login"))
        .json(&json!({"email": "round-trip@example.com", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());

    // Sign out clears the cookie; a cleared cookie means signed out.
    let out = c
        .post(web.url("/api/auth/logout"))
        .header("cookie", &user.cookie)
        .header("x-csrf-token", &user.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let cleared = out.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cleared.starts_with("todo_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let none = c
        .get(web.url("/api/session"))
        .header("cookie", "todo_session=")
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_token_is_never_exposed_to_page_scripts() {
    let stack = Stack::start().await;
    let web = &stack.web;
    let c = http();
    let user = register(web, "secret@example.com").await;
    let token = token_of(&user.cookie);

    // It really is the backend's bearer token...
    let direct = c
        .get(format!("{}/api/{}/tasks", stack.backend.url, user.user_id))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        direct.status(),
        200,
        "the cookie must hold a token the backend accepts"
    );

    // ...kept in an HttpOnly cookie and in no body or other header the page can read.
    assert!(user.set_cookie.contains("HttpOnly"));
    assert!(user.body.get("token").is_none(), "{}", user.body);
    assert!(!user.body.to_string().contains(&token));
    let exchanges = [
        c.get(web.url("/api/session"))
            .header("cookie", &user.cookie),
        c.get(web.url(&format!("/api/{}/tasks", user.user_id)))
            .header("cookie", &user.cookie),
        c.post(web.url("/api/auth/login"))
            .json(&json!({"email": "secret@example.com", "password": "correct horse battery"})),
    ];
    for req in exchanges {
        let res = req.send().await.unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        let new_token = res
            .headers()
            .get("set-cookie")
            .map(|v| token_of(v.to_str().unwrap().split(';').next().unwrap()));
        for (name, value) in res.headers() {
            if name != "set-cookie" {
                assert!(
                    !value.to_str().unwrap_or("").contains(&token),
                    "{name} leaks the token"
                );
            }
        }
        let body = res.text().await.unwrap();
        assert!(!body.contains(&token), "body leaks the token: {body}");
        if let Some(t) = new_token {
            assert!(!body.contains(&t), "login body leaks its new token: {body}");
        }
    }

    // A page script cannot use a bearer token through the proxy either: only the cookie counts.
    let smuggled = c
        .get(web.url(&format!("/api/{}/tasks", user.user_id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(smuggled.status(), 401);

    // Another user's session cannot reach this user's data.
    let other = register(web, "other@example.com").await;
    let cross = c
        .get(web.url(&format!("/api/{}/tasks", user.user_id)))
        .header("cookie", &other.cookie)
        .send()
        .await
        .unwrap();
    assert!(
        matches!(cross.status().as_u16(), 403 | 404),
        "{}",
        cross.status()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn state_changes_without_the_csrf_token_are_refused() {
    let stack = Stack::start().await;
    let web = &stack.web;
    let user = register(web, "csrf@example.com").await;
    let tasks_url = web.url(&format!("/api/{}/tasks", user.user_id));
    let own_origin = web.base.clone();

    // (extra headers, expected status)
    async fn check(url: &str, cookie: &str, headers: &[(&str, &str)], expect: u16) {
        let mut req = http()
            .post(url)
            .header("cookie", cookie)
            .json(&json!({"title": "csrf probe"}));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert_eq!(status, expect, "headers {headers:?}: {body}");
        if expect == 403 {
            assert!(body.contains("csrf_failed"), "{body}");
        }
    }
    let c = user.cookie.as_str();
    check(&tasks_url, c, &[], 403).await;
    check(&tasks_url, c, &[("x-csrf-token", "")], 403).await;
    check(&tasks_url, c, &[("x-csrf-token", &"0".repeat(64))], 403).await;
    check(
        &tasks_url,
        c,
        &[
            ("x-csrf-token", &user.csrf),
            ("origin", "http://evil.example"),
        ],
        403,
    )
    .await;
    check(
        &tasks_url,
        c,
        &[
            ("x-csrf-token", &user.csrf),
            ("sec-fetch-site", "cross-site"),
        ],
        403,
    )
    .await;
    check(
        &tasks_url,
        c,
        &[("x-csrf-token", &user.csrf), ("origin", "null")],
        403,
    )
    .await;

    // Nothing above reached the backend.
    let list: Value = http()
        .get(&tasks_url)
        .header("cookie", c)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]), "a refused request created a task");

    check(&tasks_url, c, &[("x-csrf-token", &user.csrf)], 201).await;
    check(
        &tasks_url,
        c,
        &[
            ("x-csrf-token", &user.csrf),
            ("origin", &own_origin),
            ("sec-fetch-site", "same-origin"),
        ],
        201,
    )
    .await;

    // The same rule guards every method that changes state.
    let task_id = http()
        .get(&tasks_url)
        .header("cookie", c)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()[0]["id"]
        .clone();
    let del = http()
        .delete(format!("{tasks_url}/{task_id}"))
        .header("cookie", c)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 403);
    let logout = http()
        .post(web.url("/api/auth/logout"))
        .header("cookie", c)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 403, "logout without the token");

    // Sign-in has no session yet: a cross-site form (not JSON) or foreign origin is refused.
    let form = http()
        .post(web.url("/api/auth/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=csrf%40example.com&password=correct+horse+battery")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    let foreign = http()
        .post(web.url("/api/auth/login"))
        .header("origin", "https://evil.example")
        .json(&json!({"email": "csrf@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn backend_down_gives_a_friendly_page_and_json_errors() {
    let mut stack = Stack::start().await;
    let user = register(&stack.web, "outage@example.com").await;
    stack.backend.kill();
    let web = &stack.web;
    let c = http();

    let api = c
        .get(web.url(&format!("/api/{}/tasks", user.user_id)))
        .header("cookie", &user.cookie)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 502);
    assert!(
        api.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "backend_unavailable", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unavailable")
    );

    let login = c
        .post(web.url("/api/auth/login"))
        .json(&json!({"email": "outage@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 502);

    let page = c
        .get(web.url("/api/health"))
        .header("accept", "text/html,application/xhtml+xml")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 502);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.headers().contains_key("content-security-policy"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Service unavailable") && html.contains("href=\"/\""),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");

    // The frontend itself stays in service.
    for path in ["/healthz", "/readyz", "/"] {
        assert_eq!(
            c.get(web.url(path)).send().await.unwrap().status(),
            200,
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_backend_url_is_a_502_not_a_hang() {
    let web = Web::start(&format!("http://127.0.0.1:{}", crate::support::free_port())).await;
    let res = http()
        .post(web.url("/api/auth/register"))
        .json(&json!({"email": "x@example.com", "password": "whatever123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 502);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "backend_unavailable");
}

#[tokio::test(flavor = "multi_thread")]
async fn large_request_and_response_bodies_stream_through() {
    let stack = Stack::start().await;
    let web = &stack.web;
    let user = register(web, "large@example.com").await;
    let tasks_url = format!("/api/{}/tasks", user.user_id);

    // Large response: thousands of tasks with long descriptions, straight into the database.
    let mut db = stack.db.connect().await;
    let n = sqlx::query(
        "INSERT INTO tasks (user_id, title, description) \
         SELECT $1::uuid, 'bulk task ' || i, repeat(md5(i::text), 31) FROM generate_series(1, 4000) AS i",
    )
    .bind(&user.user_id)
    .execute(&mut db)
    .await
    .expect("bulk insert")
    .rows_affected();
    assert_eq!(n, 4000);
    let through = http()
        .get(web.url(&tasks_url))
        .header("cookie", &user.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(through.status(), 200);
    // Read it as a stream of chunks, as a browser would.
    let mut chunks = 0usize;
    let mut proxied = Vec::new();
    let mut stream = through.bytes_stream();
    while let Some(chunk) = stream.next().await {
        proxied.extend_from_slice(&chunk.unwrap());
        chunks += 1;
    }
    let direct = http()
        .get(format!("{}{tasks_url}", stack.backend.url))
        .bearer_auth(token_of(&user.cookie))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(proxied.len() > 4_000_000, "only {} bytes", proxied.len());
    assert!(
        chunks > 1,
        "a {}-byte body arrived in one chunk",
        proxied.len()
    );
    assert_eq!(proxied.len(), direct.len());
    assert!(
        proxied == direct.as_ref(),
        "proxied body differs from the backend's"
    );

    // Large request (chunked, no Content-Length): the body reaches the backend whole, which
    // parses it and applies its own rule (description ≤ 1000 characters).
    let description = "x".repeat(60_000);
    let payload =
        serde_json::to_vec(&json!({"title": "huge", "description": description})).unwrap();
    let pieces: Vec<Result<Vec<u8>, std::io::Error>> =
        payload.chunks(4096).map(|c| Ok(c.to_vec())).collect();
    let res = http()
        .post(web.url(&tasks_url))
        .header("cookie", &user.cookie)
        .header("x-csrf-token", &user.csrf)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(pieces)))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert!(matches!(status, 400 | 422), "{status}: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("description"),
        "{body}"
    );

    // A chunked body within the rules is created.
    let ok_payload =
        serde_json::to_vec(&json!({"title": "streamed", "description": "y".repeat(900)})).unwrap();
    let pieces: Vec<Result<Vec<u8>, std::io::Error>> =
        ok_payload.chunks(100).map(|c| Ok(c.to_vec())).collect();
    let res = http()
        .post(web.url(&tasks_url))
        .header("cookie", &user.cookie)
        .header("x-csrf-token", &user.csrf)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(pieces)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["description"].as_str().unwrap().len(), 900);

    // Bigger than the backend accepts at all (64 KiB): a 413, not a proxy failure (see
    // bodies_over_the_api_limit_get_the_proxys_413_before_being_read).
    let huge = vec![b' '; 150 * 1024];
    let res = http()
        .post(web.url(&tasks_url))
        .header("cookie", &user.cookie)
        .header("x-csrf-token", &user.csrf)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413, "{:?}", res.text().await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_slower_than_the_timeout_gives_504() {
    // The only fake: an OpenAI-compatible endpoint (a paid API) that accepts the chat request
    // and never answers, so todo-api's chat route hangs on it.
    let llm = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let llm_url = format!("http://{}/v1", llm.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = llm.accept().await {
            held.push(conn);
        }
    });

    let db = TestDb::create().await;
    let backend = Backend::start_with_env(
        &db,
        &[
            ("AGENT", "llm"),
            ("OPENAI_API_KEY", "test-key-not-secret"),
            ("OPENAI_BASE_URL", &llm_url),
            ("OPENAI_MODEL", "test-model"),
        ],
    )
    .await;
    // Sign-up goes through a frontend with the default timeout: argon2 in a debug build on a
    // loaded 2-core machine has taken over 5 s. The session cookie carries the backend's
    // token, so the short-timeout frontend accepts it.
    let user = register(&Web::start(&backend.url).await, "slow@example.com").await;
    let mut config = todo_web::Config::new(reqwest::Url::parse(&backend.url).unwrap());
    config.backend_timeout_seconds = 2;
    let web = Web::start_with(config).await;

    let res = http()
        .post(web.url(&format!("/api/{}/chat", user.user_id)))
        .header("cookie", &user.cookie)
        .header("x-csrf-token", &user.csrf)
        .json(&json!({"message": "Add a task to buy groceries"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 504);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "backend_timeout", "{body}");
    hold.abort();
}

/// Sends a request head and part of its body over a raw connection, never finishing the body,
/// and reads the answer's status line and body: only a server that answers before reading the
/// whole body answers at all.
async fn answer_to_unfinished_body(web: &Web, head: &str, body_part: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = web.base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    // The peer may answer and close while we write; what it answered is what counts.
    let _ = conn.write_all(body_part).await;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.read(&mut buf).await.unwrap_or(0);
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer);
        if n == 0 || text.contains("\r\n\r\n") && text.trim_end().ends_with('}') {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_over_the_api_limit_get_the_proxys_413_before_being_read() {
    let stack = Stack::start().await;
    let web = &stack.web;
    let user = register(web, "limit@example.com").await;
    let tasks_url = format!("/api/{}/tasks", user.user_id);
    let limit = todo_web::proxy::MAX_REQUEST_BODY_BYTES;

    // A JSON body of exactly `len` bytes whose description breaks the backend's rule, so the
    // backend's 422 proves the body reached it whole.
    let body_of_len = |len: usize| {
        let frame = json!({"title": "t", "description": ""}).to_string().len();
        let body = json!({"title": "t", "description": "d".repeat(len - frame)}).to_string();
        assert_eq!(body.len(), len);
        body
    };
    let post = |url: String, body: String| {
        http()
            .post(url)
            .header("cookie", &user.cookie)
            .header("x-csrf-token", &user.csrf)
            .header("content-type", "application/json")
            .body(body)
    };

    // The boundary, which pins the proxy's limit to the backend's: the largest body the proxy
    // passes is one the backend reads (422 for the description, not 413)...
    let res = post(web.url(&tasks_url), body_of_len(limit))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "{:?}", res.text().await);
    // ...and one byte more is one the backend refuses itself.
    let res = http()
        .post(format!("{}{tasks_url}", stack.backend.url))
        .bearer_auth(token_of(&user.cookie))
        .header("content-type", "application/json")
        .body(body_of_len(limit + 1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413, "{:?}", res.text().await);

    // Through the proxy, one byte over is the proxy's own 413 (todo-api's answers carry an
    // x-request-id; the proxy's own do not).
    let res = post(web.url(&tasks_url), body_of_len(limit + 1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(
        res.headers().get("x-request-id").is_none(),
        "{:?}",
        res.headers()
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");

    // Far over the limit, declared: answered before the body is sent at all.
    let cookie_head = format!(
        "Host: {host}\r\nCookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\nContent-Type: application/json\r\n",
        host = web.base.trim_start_matches("http://"),
        cookie = user.cookie,
        csrf = user.csrf,
    );
    for path in [tasks_url.as_str(), "/api/auth/login"] {
        let head = format!(
            "POST {path} HTTP/1.1\r\n{cookie_head}Content-Length: {}\r\n\r\n",
            50 * 1024 * 1024
        );
        let (status, body) = answer_to_unfinished_body(web, &head, b"{\"title\":").await;
        assert_eq!(status, 413, "{path}: {body}");
        let body: Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(body["error"]["code"], "payload_too_large", "{path}: {body}");
    }

    // Far over the limit, chunked (no length known): counted while streaming and answered once
    // past the limit, though the body never ends.
    let mut chunks = Vec::new();
    for _ in 0..40 {
        chunks.extend_from_slice(format!("{:x}\r\n", 4096).as_bytes());
        chunks.extend_from_slice(&[b' '; 4096]);
        chunks.extend_from_slice(b"\r\n");
    }
    for path in [tasks_url.as_str(), "/api/auth/login"] {
        let head =
            format!("POST {path} HTTP/1.1\r\n{cookie_head}Transfer-Encoding: chunked\r\n\r\n");
        let (status, body) = answer_to_unfinished_body(web, &head, &chunks).await;
        assert_eq!(status, 413, "{path}: {body}");
        let body: Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(body["error"]["code"], "payload_too_large", "{path}: {body}");
    }
}
