//! MCP at /mcp with a real rmcp client.

use reqwest::StatusCode;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

use crate::common::{TestApp, TestDb, args, assert_error};

fn result_json(r: &CallToolResult) -> Value {
    let text = r
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone())
        .expect("text content");
    serde_json::from_str(&text).expect("tool result is JSON")
}

fn params(name: &'static str, args: Value) -> CallToolRequestParams {
    let Value::Object(o) = args else {
        panic!("object")
    };
    CallToolRequestParams::new(name).with_arguments(o)
}

#[tokio::test]
async fn mcp_lists_and_calls_tools_with_a_token() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let a = app.register("mcp-a@example.com").await;
    let b = app.register("mcp-b@example.com").await;
    let b_task = app.add_task(&b, "B's private task").await;

    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", app.base))
            .auth_header(a.1.clone()),
    );
    let client = ().serve(transport).await.expect("MCP initialize with a token");
    let tools = client.list_all_tools().await.expect("tools/list");
    let mut names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "add_task",
            "complete_task",
            "delete_task",
            "list_tasks",
            "update_task"
        ]
    );
    let add = tools.iter().find(|t| t.name == "add_task").unwrap();
    assert_eq!(add.input_schema["required"], json!(["title"]));

    let r = client
        .call_tool(params(
            "add_task",
            json!({"title": "From MCP", "description": "via rmcp"}),
        ))
        .await
        .expect("add_task");
    assert_ne!(r.is_error, Some(true), "{r:?}");
    let added = result_json(&r);
    assert_eq!(added["status"], "created");
    assert_eq!(added["title"], "From MCP");
    let row: (String, uuid::Uuid) =
        sqlx::query_as("SELECT title, user_id FROM tasks WHERE id = $1")
            .bind(added["task_id"].as_i64().unwrap())
            .fetch_one(&db.pool().await)
            .await
            .unwrap();
    assert_eq!(row.0, "From MCP");
    assert_eq!(
        row.1.to_string(),
        a.0,
        "the task belongs to the token's user"
    );

    let r = client
        .call_tool(params("list_tasks", json!({"status": "pending"})))
        .await
        .expect("list_tasks");
    let listed = result_json(&r);
    assert_eq!(listed["count"], 1, "only A's tasks: {listed}");
    assert_eq!(listed["tasks"][0]["title"], "From MCP");

    // Another user's task is not found; bad arguments are a tool error, not a crash.
    for (name, args, needle) in [
        ("complete_task", json!({"task_id": b_task}), "not found"),
        ("add_task", json!({"title": ""}), "title"),
        (
            "add_task",
            json!({"title": "x", "colour": "red"}),
            "unknown field",
        ),
    ] {
        let r = client
            .call_tool(params(name, args.clone()))
            .await
            .expect("call");
        assert_eq!(r.is_error, Some(true), "{name} {args}");
        assert!(
            result_json(&r)["error"].as_str().unwrap().contains(needle),
            "{r:?}"
        );
    }
    let done: bool = sqlx::query_scalar("SELECT completed FROM tasks WHERE id = $1")
        .bind(b_task)
        .fetch_one(&db.pool().await)
        .await
        .unwrap();
    assert!(!done, "A must not complete B's task");
    let _ = client.cancel().await;
    app.stop().await;
}

const INIT: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;

async fn raw_init(app: &TestApp, token: Option<&str>, host: Option<&str>) -> (StatusCode, String) {
    let mut req = app
        .client
        .post(format!("{}/mcp", app.base))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(INIT);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(h) = host {
        req = req.header("host", h);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

#[tokio::test]
async fn mcp_without_a_valid_token_is_refused() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let a = app.register("mcp-auth@example.com").await;

    // The rmcp client without a token cannot even initialize.
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", app.base)),
    );
    assert!(
        ().serve(transport).await.is_err(),
        "initialize without a token must fail"
    );

    for token in [None, Some("garbage"), Some("eyJhbGciOiJIUzI1NiJ9.e30.x")] {
        let (s, body) = raw_init(&app, token, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{token:?}: {body}");
        assert_error(&serde_json::from_str(&body).unwrap(), "unauthorized");
    }
    // With the token the same request succeeds, whatever the Host (default: any host).
    let (s, body) = raw_init(&app, Some(&a.1), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = raw_init(&app, Some(&a.1), Some("todo-chatbot-backend:8000")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn mcp_allowed_hosts_restricts_the_host_header() {
    let db = TestDb::new().await;
    let mut a = args(&db.url);
    a.mcp_allowed_hosts = Some("todo-chatbot-backend".to_owned());
    let app = TestApp::start_with(a).await;
    let u = app.register("mcp-host@example.com").await;
    let (s, body) = raw_init(&app, Some(&u.1), Some("todo-chatbot-backend:8000")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _) = raw_init(&app, Some(&u.1), None).await;
    assert_eq!(s, StatusCode::OK, "loopback stays allowed");
    let (s, body) = raw_init(&app, Some(&u.1), Some("evil.example.com")).await;
    assert!(
        s.is_client_error(),
        "foreign Host must be refused: {s} {body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn mcp_is_stateless_so_any_replica_answers() {
    // Initialize on one instance, call a tool on another: no sticky sessions needed.
    let db = TestDb::new().await;
    let one = TestApp::start(&db.url).await;
    let two = TestApp::start(&db.url).await;
    let u = one.register("mcp-replicas@example.com").await;
    let (s, body) = raw_init(&one, Some(&u.1), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let call = r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add_task","arguments":{"title":"Via replica two"}}}"#;
    let resp = two
        .client
        .post(format!("{}/mcp", two.base))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-03-26")
        .bearer_auth(&u.1)
        .body(call)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(
        text.contains("Via replica two") && text.contains("created"),
        "{text}"
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks WHERE title = 'Via replica two'")
        .fetch_one(&db.pool().await)
        .await
        .unwrap();
    assert_eq!(n, 1);
    one.stop().await;
    two.stop().await;
}
