//! The LLM agent against a local server that speaks the chat-completions protocol.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::common::{TestApp, TestDb, args};

/// One scripted answer of the fake model.
enum Step {
    /// 200 with this assistant message.
    Message(Value),
    /// This HTTP status with an error body.
    Status(u16),
    /// Wait, then answer with the message (longer than the agent's timeout).
    Slow(Duration, Value),
}

#[derive(Clone, Default)]
struct Fake {
    script: Arc<Mutex<VecDeque<Step>>>,
    /// (Authorization header, request body) of every call.
    seen: Arc<Mutex<Vec<(String, Value)>>>,
}

async fn completions(
    State(f): State<Fake>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    f.seen.lock().unwrap().push((auth, body));
    let step = f.script.lock().unwrap().pop_front();
    let ok = |m: Value| {
        Json(json!({
            "id": "chatcmpl-test", "object": "chat.completion", "model": "fake",
            "choices": [{"index": 0, "message": m, "finish_reason": "stop"}]
        }))
        .into_response()
    };
    match step {
        Some(Step::Message(m)) => ok(m),
        Some(Step::Status(s)) => (
            StatusCode::from_u16(s).unwrap(),
            Json(json!({"error": {"message": "fake failure"}})),
        )
            .into_response(),
        Some(Step::Slow(d, m)) => {
            tokio::time::sleep(d).await;
            ok(m)
        }
        None => (StatusCode::INTERNAL_SERVER_ERROR, "script exhausted").into_response(),
    }
}

async fn fake_model(script: Vec<Step>) -> (String, Fake) {
    let fake = Fake {
        script: Arc::new(Mutex::new(script.into())),
        ..Fake::default()
    };
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/v1"), fake)
}

fn tool_call(id: &str, name: &str, arguments: &str) -> Value {
    json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments}})
}

fn calls(msg_calls: Vec<Value>) -> Step {
    Step::Message(json!({"role": "assistant", "content": null, "tool_calls": msg_calls}))
}

fn text(t: &str) -> Step {
    Step::Message(json!({"role": "assistant", "content": t}))
}

async fn llm_app(db: &TestDb, base_url: &str) -> TestApp {
    let mut a = args(&db.url);
    a.agent = Some("llm".to_owned());
    a.openai_api_key = Some("sk-test-key-123".to_owned());
    a.openai_base_url = Some(base_url.to_owned());
    a.openai_model = Some("fake-model".to_owned());
    a.openai_timeout_seconds = Some("1".to_owned());
    TestApp::start_with(a).await
}

#[tokio::test]
async fn llm_multi_step_list_then_delete() {
    let db = TestDb::new().await;
    let pool = db.pool().await;
    // The ids are known only after the app made the tasks, so the script is filled later.
    let (url, fake) = fake_model(vec![]).await;
    let app = llm_app(&db, &url).await;
    let u = app.register("llm@example.com").await;
    let milk = app.add_task(&u, "Buy milk").await;
    let meeting = app.add_task(&u, "Team meeting").await;
    fake.script.lock().unwrap().extend([
        calls(vec![tool_call("call_1", "list_tasks", "{}")]),
        calls(vec![tool_call(
            "call_2",
            "delete_task",
            &format!("{{\"task_id\": {meeting}}}"),
        )]),
        text("I deleted the Team meeting task."),
    ]);

    let r = app.chat(&u, None, "delete the meeting task").await;
    assert_eq!(r["response"], "I deleted the Team meeting task.");
    let names: Vec<&str> = r["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["list_tasks", "delete_task"]);
    assert_eq!(
        r["tool_calls"][1]["result"],
        json!({"task_id": meeting, "status": "deleted", "title": "Team meeting"})
    );
    let left: Vec<i64> = sqlx::query_scalar("SELECT id FROM tasks ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, [milk]);

    let seen = fake.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "three model round trips");
    let (auth, first) = &seen[0];
    assert_eq!(auth, "Bearer sk-test-key-123");
    assert_eq!(first["model"], "fake-model");
    let tools: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        [
            "add_task",
            "list_tasks",
            "complete_task",
            "delete_task",
            "update_task"
        ]
    );
    assert_eq!(
        first["messages"].as_array().unwrap().last().unwrap()["content"],
        "delete the meeting task"
    );
    // The second call carries the list result as a tool message tied to call_1.
    let tool_msg = seen[1].1["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(tool_msg["role"], "tool");
    assert_eq!(tool_msg["tool_call_id"], "call_1");
    assert!(
        tool_msg["content"]
            .as_str()
            .unwrap()
            .contains("Team meeting"),
        "{tool_msg}"
    );
    // The key never reaches the user.
    assert!(!r.to_string().contains("sk-test-key-123"));

    // A follow-up in the same conversation sends the history to the model.
    fake.script
        .lock()
        .unwrap()
        .push_back(text("You're welcome."));
    let conv = r["conversation_id"].as_i64();
    let r2 = app.chat(&u, conv, "thanks").await;
    assert_eq!(r2["response"], "You're welcome.");
    let last = fake.seen.lock().unwrap().last().unwrap().1.clone();
    let contents: Vec<String> = last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        contents.contains(&"delete the meeting task".to_owned()),
        "{contents:?}"
    );
    assert!(
        contents.contains(&"I deleted the Team meeting task.".to_owned()),
        "{contents:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn llm_malformed_tool_arguments_are_refused_and_reported_to_the_model() {
    let db = TestDb::new().await;
    let pool = db.pool().await;
    let (url, fake) = fake_model(vec![
        calls(vec![
            tool_call("c1", "add_task", "{\"title\": "),
            tool_call("c2", "add_task", "{\"name\": \"milk\"}"),
            tool_call("c3", "complete_task", "{\"task_id\": \"three\"}"),
            tool_call("c4", "drop_database", "{}"),
        ]),
        text("Sorry, I couldn't add that task."),
    ])
    .await;
    let app = llm_app(&db, &url).await;
    let u = app.register("bad-args@example.com").await;
    let r = app.chat(&u, None, "add milk").await;
    assert_eq!(r["response"], "Sorry, I couldn't add that task.");
    let calls = r["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 4);
    for (c, needle) in calls.iter().zip([
        "not valid JSON",
        "unknown field",
        "positive integer",
        "unknown tool",
    ]) {
        let err = c["result"]["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error: {c}"));
        assert!(err.contains(needle), "{err:?} should contain {needle:?}");
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing may be created from invalid arguments");
    // The model was told, per call, what was wrong.
    let second = fake.seen.lock().unwrap()[1].1.clone();
    let tool_msgs: Vec<&Value> = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .collect();
    assert_eq!(tool_msgs.len(), 4);
    assert!(
        tool_msgs[0]["content"]
            .as_str()
            .unwrap()
            .contains("invalid arguments for add_task")
    );
    app.stop().await;
}

#[tokio::test]
async fn llm_failures_give_clear_messages() {
    // (script, what the user must read)
    let cases: Vec<(Vec<Step>, &str)> = vec![
        (
            vec![Step::Slow(
                Duration::from_secs(3),
                json!({"role": "assistant", "content": "late"}),
            )],
            "did not answer within 1 seconds",
        ),
        (vec![Step::Status(500)], "internal error (HTTP 500)"),
        (vec![Step::Status(503)], "internal error (HTTP 503)"),
        (vec![Step::Status(401)], "OPENAI_API_KEY"),
        (vec![Step::Status(429)], "rate-limiting"),
        (vec![Step::Status(404)], "OPENAI_MODEL"),
        (vec![Step::Message(json!("not an object"))], "couldn't read"),
        (
            (0..10)
                .map(|i| calls(vec![tool_call(&format!("c{i}"), "list_tasks", "{}")]))
                .collect(),
            "stopped after 6 steps",
        ),
    ];
    let db = TestDb::new().await;
    for (script, expect) in cases {
        let (url, _fake) = fake_model(script).await;
        let app = llm_app(&db, &url).await;
        let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        let u = app.register(&email).await;
        let r = app.chat(&u, None, "what's pending?").await;
        let text = r["response"].as_str().unwrap();
        assert!(text.contains(expect), "expected {expect:?} in {text:?}");
        assert!(!text.contains("sk-test-key-123"));
        app.stop().await;
    }
}

#[tokio::test]
async fn llm_answer_fits_in_the_request_timeout() {
    // One quick tool step, then a model that hangs far past the request limit: the user gets
    // the explanation and the tool call already made, not a bare 503.
    let db = TestDb::new().await;
    let pool = db.pool().await;
    let (url, _fake) = fake_model(vec![
        calls(vec![tool_call(
            "c1",
            "add_task",
            r#"{"title": "Buy eggs"}"#,
        )]),
        Step::Slow(
            Duration::from_secs(20),
            json!({"role": "assistant", "content": "too late"}),
        ),
    ])
    .await;
    let mut a = args(&db.url);
    a.agent = Some("llm".to_owned());
    a.openai_api_key = Some("sk-test-key-123".to_owned());
    a.openai_base_url = Some(url);
    a.openai_timeout_seconds = Some("30".to_owned());
    a.request_timeout_seconds = Some("3".to_owned());
    // Sign up through a default-timeout server: argon2 under a loaded machine can take longer
    // than the 3 s this test is about. Both servers share the JWT secret, so the token carries.
    let signup = TestApp::start_with(args(&db.url)).await;
    let u = signup.register("budget@example.com").await;
    signup.stop().await;
    let app = TestApp::start_with(a).await;
    let r = app.chat(&u, None, "add eggs").await;
    assert!(
        r["response"].as_str().unwrap().contains("took longer than"),
        "{r}"
    );
    assert_eq!(r["tool_calls"][0]["result"]["status"], "created", "{r}");
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks WHERE title = 'Buy eggs'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    // The reply was stored with its tool calls.
    let conv = r["conversation_id"].as_i64().unwrap();
    let stored: Value = sqlx::query_scalar(
        "SELECT tool_calls FROM messages WHERE conversation_id = $1 AND role = 'assistant'",
    )
    .bind(conv)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored[0]["name"], "add_task");
    app.stop().await;
}
