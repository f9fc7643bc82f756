use reqwest::{Method, StatusCode};
use serde_json::json;
use todo_api::auth::Keys;

use crate::common::{TestApp, TestDb, assert_error};

#[tokio::test]
async fn register_login_and_duplicate_email() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let (s, v) = app
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"email": "Ann@Example.com", "password": "s3cret-pass", "name": "Ann"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let user_id = v["user_id"].as_str().unwrap().to_owned();
    assert!(v["token"].as_str().unwrap().len() > 20);

    // The stored hash is argon2id, never the password.
    let pool = db.pool().await;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=47104,t=1,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains("s3cret-pass"));

    // Same email in another case: 409.
    let (s, v) = app
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"email": "ann@example.COM", "password": "other-pass"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_error(&v, "conflict");

    // Login works, with the same user id; the token is usable.
    let (s, v) = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "ann@example.com", "password": "s3cret-pass"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["user_id"], user_id.as_str());
    let token = v["token"].as_str().unwrap();
    let (s, _) = app
        .call(
            Method::GET,
            &format!("/api/{user_id}/tasks"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // Wrong password and unknown email: 401 with the same message.
    for (email, pw) in [
        ("ann@example.com", "wrong-pass"),
        ("nobody@example.com", "s3cret-pass"),
    ] {
        let (s, v) = app
            .call(
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"email": email, "password": pw})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{email}: {v}");
        assert_error(&v, "unauthorized");
        assert_eq!(v["error"]["message"], "wrong email or password");
    }
    app.stop().await;
}

#[tokio::test]
async fn register_validation() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let long_email = format!("{}@example.com", "a".repeat(250));
    let cases = [
        (
            json!({"email": "not-an-email", "password": "password1"}),
            422,
            "email",
        ),
        (
            json!({"email": "a@b", "password": "password1"}),
            422,
            "email",
        ),
        (
            json!({"email": long_email, "password": "password1"}),
            422,
            "email",
        ),
        (
            json!({"email": "a@b.co", "password": "short"}),
            422,
            "password",
        ),
        (
            json!({"email": "a@b.co", "password": "x".repeat(129)}),
            422,
            "password",
        ),
        (
            json!({"email": "a@b.co", "password": "password1", "name": "n".repeat(101)}),
            422,
            "name",
        ),
        (
            json!({"email": "a@b.co", "password": "password1", "admin": true}),
            422,
            "admin",
        ),
        (json!({"email": "a@b.co"}), 422, "password"),
    ];
    for (body, status, needle) in cases {
        let (s, v) = app
            .call(Method::POST, "/api/auth/register", None, Some(body.clone()))
            .await;
        assert_eq!(s.as_u16(), status, "{body}: {v}");
        let msg = v["error"]["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains(needle),
            "{body}: message {msg:?} should name {needle}"
        );
    }
    let pool = db.pool().await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "no invalid registration may create a user");
    app.stop().await;
}

#[tokio::test]
async fn bad_tokens_are_401() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let (user_id, token) = app.register("tok@example.com").await;
    let uid = uuid::Uuid::parse_str(&user_id).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let keys = Keys::new(
        crate::common::SECRET.as_bytes(),
        std::time::Duration::from_secs(60),
    );
    let expired = keys.issue_with(uid, now - 7200, now - 3600).unwrap();
    let other_secret = Keys::new(
        b"another-secret-another-secret-0123456789",
        std::time::Duration::from_secs(60),
    )
    .issue(uid)
    .unwrap();
    // Flip a character in the payload: signature no longer matches.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload: Vec<char> = parts[1].chars().collect();
    payload[5] = if payload[5] == 'A' { 'B' } else { 'A' };
    parts[1] = payload.into_iter().collect();
    let tampered = parts.join(".");
    let path = format!("/api/{user_id}/tasks");
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing header", None),
        ("garbage", Some("Bearer not.a.token".to_owned())),
        ("expired", Some(format!("Bearer {expired}"))),
        ("other secret", Some(format!("Bearer {other_secret}"))),
        ("tampered", Some(format!("Bearer {tampered}"))),
        ("basic scheme", Some(format!("Basic {token}"))),
        ("empty bearer", Some("Bearer ".to_owned())),
    ];
    for (name, header) in cases {
        let mut req = app.client.get(format!("{}{}", app.base, path));
        if let Some(h) = &header {
            req = req.header("authorization", h);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{name}");
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_error(&v, "unauthorized");
        if name == "expired" {
            assert!(
                v["error"]["message"].as_str().unwrap().contains("expired"),
                "{v}"
            );
        }
    }
    // The genuine token still works (the rule is not "always 401").
    let (s, _) = app.call(Method::GET, &path, Some(&token), None).await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn other_users_resources_are_404_and_foreign_paths_403() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let a = app.register("a@example.com").await;
    let b = app.register("b@example.com").await;
    let task = app.add_task(&a, "A's secret task").await;
    let conv = app.chat(&a, None, "add a task to buy milk").await["conversation_id"]
        .as_i64()
        .unwrap();

    // B asks for A's task and conversation under B's own path: 404, never A's data.
    let b_paths = [
        (Method::GET, format!("/api/{}/tasks/{task}", b.0), None),
        (
            Method::PUT,
            format!("/api/{}/tasks/{task}", b.0),
            Some(json!({"title": "pwned"})),
        ),
        (Method::DELETE, format!("/api/{}/tasks/{task}", b.0), None),
        (
            Method::PATCH,
            format!("/api/{}/tasks/{task}/complete", b.0),
            None,
        ),
        (
            Method::GET,
            format!("/api/{}/conversations/{conv}/messages", b.0),
            None,
        ),
        (
            Method::POST,
            format!("/api/{}/chat", b.0),
            Some(json!({"conversation_id": conv, "message": "hello"})),
        ),
    ];
    for (m, p, body) in b_paths {
        let (s, v) = app.call(m.clone(), &p, Some(&b.1), body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{m} {p}: {v}");
        assert_error(&v, "not_found");
        assert!(!v.to_string().contains("secret"), "leaked: {v}");
    }
    // B's chat cannot complete or delete A's task by id either.
    let r = app.chat(&b, None, &format!("delete task {task}")).await;
    assert!(
        r["tool_calls"][0]["result"]["error"]
            .as_str()
            .unwrap()
            .contains("not found"),
        "{r}"
    );
    let (s, v) = app
        .call(
            Method::GET,
            &format!("/api/{}/conversations", b.0),
            Some(&b.1),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(v.as_array().unwrap().iter().all(|c| c["id"] != conv), "{v}");

    // B's token on A's path: refused (403), whatever the method.
    for (m, p) in [
        (Method::GET, format!("/api/{}/tasks", a.0)),
        (Method::GET, format!("/api/{}/tasks/{task}", a.0)),
        (Method::GET, format!("/api/{}/conversations", a.0)),
        (Method::POST, format!("/api/{}/chat", a.0)),
        (Method::GET, "/api/not-a-uuid/tasks".to_owned()),
    ] {
        let body = (m == Method::POST).then(|| json!({"message": "list tasks"}));
        let (s, v) = app.call(m.clone(), &p, Some(&b.1), body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{m} {p}: {v}");
        assert_error(&v, "forbidden");
    }

    // A's data is intact, and A still sees it.
    let (s, v) = app
        .call(
            Method::GET,
            &format!("/api/{}/tasks/{task}", a.0),
            Some(&a.1),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["title"], "A's secret task");
    assert_eq!(v["completed"], false);
    app.stop().await;
}
