//! Malformed requests get their 4xx (never a 500) and leave the data intact.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{TestApp, TestDb};

/// (what, method, path, content type, body, status, code)
type Case<'a> = (
    &'a str,
    Method,
    String,
    Option<&'a str>,
    Vec<u8>,
    u16,
    &'a str,
);

#[tokio::test]
async fn bad_input_table() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let pool = db.pool().await;
    let u = app.register("bad@example.com").await;
    let id = app.add_task(&u, "Original").await;
    let tasks = format!("/api/{}/tasks", u.0);
    let item = format!("{tasks}/{id}");
    let chat = format!("/api/{}/chat", u.0);
    let json_ct = Some("application/json");
    let s = |v: &str| v.as_bytes().to_vec();
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let big_emoji = json!({"title": "🙂".repeat(20_000)}).to_string();
    let over_limit = json!({"title": "x", "description": "y".repeat(70_000)}).to_string();
    // (what, method, path, content type, body, status, code)
    let cases: Vec<Case> = vec![
        (
            "truncated JSON",
            Method::POST,
            tasks.clone(),
            json_ct,
            s(r#"{"title": "#),
            400,
            "bad_request",
        ),
        (
            "trailing garbage",
            Method::POST,
            tasks.clone(),
            json_ct,
            s(r#"{"title": "a"} x"#),
            400,
            "bad_request",
        ),
        (
            "not JSON at all",
            Method::POST,
            tasks.clone(),
            json_ct,
            s("title=a"),
            400,
            "bad_request",
        ),
        (
            "invalid UTF-8",
            Method::POST,
            tasks.clone(),
            json_ct,
            vec![b'{', b'"', 0xff, 0xfe, b'"', b'}'],
            400,
            "bad_request",
        ),
        (
            "lone surrogate",
            Method::POST,
            tasks.clone(),
            json_ct,
            s(r#"{"title": "\ud800"}"#),
            400,
            "bad_request",
        ),
        (
            "deep nesting",
            Method::POST,
            tasks.clone(),
            json_ct,
            s(&nested),
            400,
            "bad_request",
        ),
        (
            "text/plain",
            Method::POST,
            tasks.clone(),
            Some("text/plain"),
            s(r#"{"title": "a"}"#),
            415,
            "unsupported_media_type",
        ),
        (
            "no content type",
            Method::POST,
            tasks.clone(),
            None,
            s(r#"{"title": "a"}"#),
            415,
            "unsupported_media_type",
        ),
        (
            "form content type",
            Method::PUT,
            item.clone(),
            Some("application/x-www-form-urlencoded"),
            s("title=a"),
            415,
            "unsupported_media_type",
        ),
        (
            "oversize body",
            Method::POST,
            tasks.clone(),
            json_ct,
            s(&over_limit),
            413,
            "payload_too_large",
        ),
        (
            "huge unicode title",
            Method::POST,
            tasks.clone(),
            json_ct,
            s(&big_emoji),
            413,
            "payload_too_large",
        ),
        (
            "array body",
            Method::POST,
            tasks.clone(),
            json_ct,
            s(r#"["a"]"#),
            422,
            "validation_error",
        ),
        (
            "null body",
            Method::POST,
            tasks.clone(),
            json_ct,
            s("null"),
            422,
            "validation_error",
        ),
        (
            "unknown field",
            Method::PUT,
            item.clone(),
            json_ct,
            s(r#"{"title": "b", "owner": "me"}"#),
            422,
            "validation_error",
        ),
        (
            "wrong type",
            Method::PUT,
            item.clone(),
            json_ct,
            s(r#"{"completed": "yes"}"#),
            422,
            "validation_error",
        ),
        (
            "zero-width title",
            Method::PUT,
            item.clone(),
            json_ct,
            s(r#"{"title": "\u200b\u200b"}"#),
            422,
            "validation_error",
        ),
        (
            "bidi override title",
            Method::PUT,
            item.clone(),
            json_ct,
            s(r#"{"title": "abc\u202etxt.exe"}"#),
            422,
            "validation_error",
        ),
        (
            "NUL in title",
            Method::PUT,
            item.clone(),
            json_ct,
            s(r#"{"title": "a\u0000b"}"#),
            422,
            "validation_error",
        ),
        (
            "201 combining chars",
            Method::PUT,
            item.clone(),
            json_ct,
            s(&json!({"title": "\u{301}".repeat(201)}).to_string()),
            422,
            "validation_error",
        ),
        (
            "non-numeric id",
            Method::PUT,
            format!("{tasks}/abc"),
            json_ct,
            s(r#"{"title": "b"}"#),
            404,
            "not_found",
        ),
        (
            "overflowing id",
            Method::GET,
            format!("{tasks}/99999999999999999999999"),
            None,
            vec![],
            404,
            "not_found",
        ),
        (
            "negative id",
            Method::DELETE,
            format!("{tasks}/-1"),
            None,
            vec![],
            404,
            "not_found",
        ),
        (
            "bad status filter",
            Method::GET,
            format!("{tasks}?status=%FF"),
            None,
            vec![],
            400,
            "bad_request",
        ),
        (
            "empty chat message",
            Method::POST,
            chat.clone(),
            json_ct,
            s(r#"{"message": "   "}"#),
            422,
            "validation_error",
        ),
        (
            "long chat message",
            Method::POST,
            chat.clone(),
            json_ct,
            s(&json!({"message": "m".repeat(4001)}).to_string()),
            422,
            "validation_error",
        ),
        (
            "control chars in chat",
            Method::POST,
            chat.clone(),
            json_ct,
            s(r#"{"message": "hi\u0007"}"#),
            422,
            "validation_error",
        ),
        (
            "string conversation id",
            Method::POST,
            chat.clone(),
            json_ct,
            s(r#"{"message": "hi", "conversation_id": "x"}"#),
            422,
            "validation_error",
        ),
        (
            "unknown route",
            Method::GET,
            "/api/v2/whatever".to_owned(),
            None,
            vec![],
            404,
            "not_found",
        ),
        (
            "wrong method",
            Method::PATCH,
            tasks.clone(),
            json_ct,
            s("{}"),
            405,
            "method_not_allowed",
        ),
    ];
    for (what, method, path, ct, body, status, code) in cases {
        let (got, v) = app.raw(method, &path, Some(&u.1), ct, body).await;
        assert_eq!(got.as_u16(), status, "{what}: {v}");
        assert_eq!(v["error"]["code"], code, "{what}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}: {v}"
        );
    }
    // A non-ASCII Authorization header is a 401, not a crash.
    let resp = app
        .client
        .get(format!("{}{tasks}", app.base))
        .header(
            "authorization",
            reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Nothing changed, and nothing was half-written.
    let rows: Vec<(i64, String, Option<String>, bool)> =
        sqlx::query_as("SELECT id, title, description, completed FROM tasks")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rows, vec![(id, "Original".to_owned(), None, false)]);
    let msgs: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(msgs, 0);
    // And the service is still healthy.
    let (s, _) = app.call(Method::GET, &item, Some(&u.1), None).await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}
