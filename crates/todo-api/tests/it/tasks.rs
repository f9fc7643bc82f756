use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, TestDb, assert_error};

#[tokio::test]
async fn task_crud() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let u = app.register("crud@example.com").await;
    let base = format!("/api/{}/tasks", u.0);

    let (s, t) = app
        .call(
            Method::POST,
            &base,
            Some(&u.1),
            Some(json!({"title": "  Write report  ", "description": "Q3 numbers"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["title"], "Write report", "titles are trimmed");
    assert_eq!(t["description"], "Q3 numbers");
    assert_eq!(t["completed"], false);
    assert_eq!(t["user_id"], u.0.as_str());
    let id = t["id"].as_i64().unwrap();
    let item = format!("{base}/{id}");

    let (s, g) = app.call(Method::GET, &item, Some(&u.1), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(g["title"], "Write report");

    let (s, p) = app
        .call(
            Method::PUT,
            &item,
            Some(&u.1),
            Some(json!({"title": "Write final report"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["title"], "Write final report");
    assert_eq!(
        p["description"], "Q3 numbers",
        "PUT leaves absent fields alone"
    );

    let (s, p) = app
        .call(
            Method::PUT,
            &item,
            Some(&u.1),
            Some(json!({"description": ""})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["description"], Value::Null, "empty description clears it");

    let (s, c) = app
        .call(Method::PATCH, &format!("{item}/complete"), Some(&u.1), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["completed"], true);

    let (s, c) = app
        .call(
            Method::PUT,
            &item,
            Some(&u.1),
            Some(json!({"completed": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["completed"], false, "PUT can reopen a task");

    let (s, d) = app.call(Method::DELETE, &item, Some(&u.1), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["id"], id);
    for m in [Method::GET, Method::DELETE] {
        let (s, v) = app.call(m, &item, Some(&u.1), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_error(&v, "not_found");
    }
    let (s, v) = app
        .call(Method::PATCH, &format!("{item}/complete"), Some(&u.1), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    app.stop().await;
}

#[tokio::test]
async fn task_validation_limits() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let u = app.register("limits@example.com").await;
    let base = format!("/api/{}/tasks", u.0);
    // (body, expected status, field named in the error)
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"title": "x".repeat(200)}), 201, ""),
        (json!({"title": "é".repeat(200)}), 201, ""),
        (json!({"title": "🙂".repeat(200)}), 201, ""),
        (
            json!({"title": "x", "description": "d".repeat(1000)}),
            201,
            "",
        ),
        (json!({"title": "x".repeat(201)}), 422, "title"),
        (json!({"title": "🙂".repeat(201)}), 422, "title"),
        (json!({"title": ""}), 422, "title"),
        (json!({"title": "   "}), 422, "title"),
        (json!({"title": "two\nlines"}), 422, "title"),
        (json!({"title": "nul\u{0}byte"}), 422, "title"),
        (
            json!({"title": "x", "description": "d".repeat(1001)}),
            422,
            "description",
        ),
        (
            json!({"title": "x", "description": "bad\u{0}"}),
            422,
            "description",
        ),
        (json!({"description": "no title"}), 422, "title"),
        (json!({"title": 42}), 422, "title"),
        (json!({"title": "x", "priority": 1}), 422, "priority"),
    ];
    let mut created = 0;
    for (body, status, field) in cases {
        let (s, v) = app
            .call(Method::POST, &base, Some(&u.1), Some(body.clone()))
            .await;
        assert_eq!(
            s.as_u16(),
            status,
            "{}: {v}",
            body.to_string().chars().take(80).collect::<String>()
        );
        if status == 201 {
            created += 1;
        } else {
            let msg = v["error"]["message"].as_str().unwrap_or_default();
            assert!(msg.contains(field), "error {msg:?} should name {field}");
        }
    }
    let (_, list) = app.call(Method::GET, &base, Some(&u.1), None).await;
    assert_eq!(list.as_array().unwrap().len(), created);

    // The same limits apply to updates.
    let id = app.add_task(&u, "keep me").await;
    for body in [
        json!({"title": ""}),
        json!({"title": "x".repeat(201)}),
        json!({"description": "d".repeat(1001)}),
        json!({"done": true}),
    ] {
        let (s, v) = app
            .call(
                Method::PUT,
                &format!("{base}/{id}"),
                Some(&u.1),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
    }
    let (_, t) = app
        .call(Method::GET, &format!("{base}/{id}"), Some(&u.1), None)
        .await;
    assert_eq!(t["title"], "keep me");
    app.stop().await;
}

#[tokio::test]
async fn task_status_filters() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let u = app.register("filters@example.com").await;
    let base = format!("/api/{}/tasks", u.0);
    let a = app.add_task(&u, "one").await;
    let _b = app.add_task(&u, "two").await;
    let c = app.add_task(&u, "three").await;
    for id in [a, c] {
        let (s, _) = app
            .call(
                Method::PATCH,
                &format!("{base}/{id}/complete"),
                Some(&u.1),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let titles = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expect) in [
        ("", vec!["one", "two", "three"]),
        ("?status=all", vec!["one", "two", "three"]),
        ("?status=pending", vec!["two"]),
        ("?status=completed", vec!["one", "three"]),
    ] {
        let (s, v) = app
            .call(Method::GET, &format!("{base}{query}"), Some(&u.1), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{query}");
        assert_eq!(titles(&v), expect, "{query}");
    }
    // The OpenAPI document's enum is exact: other spellings are refused, not guessed.
    for bad in ["?status=done", "?status=", "?status=COMPLETED", "?sort=asc"] {
        let (s, v) = app
            .call(Method::GET, &format!("{base}{bad}"), Some(&u.1), None)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert_error(&v, "bad_request");
    }
    app.stop().await;
}

/// The list route writes its JSON straight from the rows; every task in it must read byte for
/// byte as the same task answered alone (which goes through `Task`), escapes and nulls
/// included.
#[tokio::test]
async fn a_listed_task_is_written_exactly_as_the_task_alone() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let u = app.register("bytes@example.com").await;
    let base = format!("/api/{}/tasks", u.0);
    let bytes = |path: String| {
        let req = app
            .client
            .get(format!("{}{path}", app.base))
            .bearer_auth(&u.1);
        async move {
            let resp = req.send().await.expect("request");
            assert_eq!(resp.status(), StatusCode::OK);
            let content_type = resp.headers()["content-type"].clone();
            (content_type, resp.bytes().await.expect("body"))
        }
    };

    let (_, empty) = bytes(base.clone()).await;
    assert_eq!(&empty[..], b"[]");

    let mut ids = Vec::new();
    for (title, description) in [
        ("plain", json!(null)),
        (
            "quote \" and backslash \\",
            json!("tab\there, <script>, \u{1F600}, é"),
        ),
        ("Ünïcödé 日本語", json!("line one\nline two")),
    ] {
        let (s, t) = app
            .call(
                Method::POST,
                &base,
                Some(&u.1),
                Some(json!({"title": title, "description": description})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        ids.push(t["id"].as_i64().unwrap());
    }
    let (s, _) = app
        .call(
            Method::PATCH,
            &format!("{base}/{}/complete", ids[1]),
            Some(&u.1),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let mut alone = Vec::new();
    for id in &ids {
        let (_, body) = bytes(format!("{base}/{id}")).await;
        alone.push(String::from_utf8(body.to_vec()).unwrap());
    }
    let (content_type, listed) = bytes(base.clone()).await;
    assert_eq!(content_type, "application/json");
    assert_eq!(
        String::from_utf8(listed.to_vec()).unwrap(),
        format!("[{}]", alone.join(","))
    );
    let (_, pending) = bytes(format!("{base}?status=pending")).await;
    assert_eq!(
        String::from_utf8(pending.to_vec()).unwrap(),
        format!("[{},{}]", alone[0], alone[2])
    );
    app.stop().await;
}
