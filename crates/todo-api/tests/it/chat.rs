use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, TestDb};

async fn task_row(pool: &sqlx::PgPool, id: i64) -> Option<(String, Option<String>, bool)> {
    sqlx::query_as("SELECT title, description, completed FROM tasks WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .unwrap()
}

async fn id_by_title(pool: &sqlx::PgPool, title: &str) -> Option<i64> {
    sqlx::query_scalar("SELECT id FROM tasks WHERE title = $1")
        .bind(title)
        .fetch_optional(pool)
        .await
        .unwrap()
}

/// Asserts the reply made exactly one call to `tool` whose arguments contain `args`.
fn assert_call(reply: &Value, tool: &str, args: &Value) {
    let calls = reply["tool_calls"].as_array().expect("tool_calls array");
    assert_eq!(calls.len(), 1, "one tool call expected: {reply}");
    assert_tool(&calls[0], tool, args, reply);
}

/// Asserts the reply looked the task up with `list_tasks` (recorded like any call, with the
/// list it got) and then made one call to `tool` with `args`.
fn assert_call_after_lookup(reply: &Value, tool: &str, args: &Value) {
    let calls = reply["tool_calls"].as_array().expect("tool_calls array");
    assert_eq!(calls.len(), 2, "a lookup and a call expected: {reply}");
    assert_tool(&calls[0], "list_tasks", &json!({}), reply);
    assert!(
        calls[0]["result"]["count"].as_i64().unwrap() > 0,
        "the lookup records what it found: {reply}"
    );
    assert_tool(&calls[1], tool, args, reply);
}

fn assert_tool(call: &Value, tool: &str, args: &Value, reply: &Value) {
    assert_eq!(call["name"], tool, "{reply}");
    for (k, v) in args.as_object().unwrap() {
        assert_eq!(&call["arguments"][k], v, "argument {k}: {reply}");
    }
    assert!(
        call["result"].get("error").is_none(),
        "tool failed: {reply}"
    );
}

/// Asserts the reply's only tool call was a `list_tasks` lookup.
fn assert_only_lookup(reply: &Value) {
    let calls = reply["tool_calls"].as_array().expect("tool_calls array");
    assert_eq!(calls.len(), 1, "one lookup expected: {reply}");
    assert_tool(&calls[0], "list_tasks", &json!({}), reply);
}

#[tokio::test]
async fn builtin_agent_phrases_change_the_database() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let pool = db.pool().await;
    let u = app.register("chat@example.com").await;
    let dad = app.add_task(&u, "Call dad").await;
    let plants = app.add_task(&u, "Water plants").await;
    let rent = app.add_task(&u, "Pay rent").await;
    let meeting = app.add_task(&u, "Team meeting").await;
    let dentist = app.add_task(&u, "Book dentist").await;

    let mut conv = None;
    let mut say = async |msg: String| -> Value {
        let r = app.chat(&u, conv, &msg).await;
        conv = r["conversation_id"].as_i64();
        r
    };

    // Adds.
    for (phrase, title) in [
        ("Add a task to buy groceries", "Buy groceries"),
        ("add buy milk", "Buy milk"),
        ("remind me to call mom", "Call mom"),
        ("I need to remember to pay bills", "Pay bills"),
        (
            "Please add a new task called 'Renew passport'.",
            "Renew passport",
        ),
    ] {
        let r = say(phrase.to_owned()).await;
        assert_call(&r, "add_task", &json!({"title": title}));
        let id = id_by_title(&pool, title)
            .await
            .unwrap_or_else(|| panic!("{phrase}: no task {title}"));
        assert_eq!(
            r["tool_calls"][0]["result"],
            json!({"task_id": id, "status": "created", "title": title})
        );
        assert!(r["response"].as_str().unwrap().contains(title), "{r}");
    }

    // Completes, by id and by title.
    for (phrase, id) in [
        (format!("Mark task {rent} as complete"), rent),
        (format!("finish task {plants}"), plants),
    ] {
        let r = say(phrase.clone()).await;
        assert_call(&r, "complete_task", &json!({"task_id": id}));
        assert_eq!(r["tool_calls"][0]["result"]["status"], "completed");
        assert!(
            task_row(&pool, id).await.unwrap().2,
            "{phrase}: not completed"
        );
    }
    let groceries = id_by_title(&pool, "Buy groceries").await.unwrap();
    let r = say("complete the groceries task".to_owned()).await;
    assert_call_after_lookup(&r, "complete_task", &json!({"task_id": groceries}));
    assert!(task_row(&pool, groceries).await.unwrap().2);

    // Lists, with the right filter and the right content.
    let r = say("What's pending?".to_owned()).await;
    assert_call(&r, "list_tasks", &json!({"status": "pending"}));
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks WHERE NOT completed")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(r["tool_calls"][0]["result"]["count"], pending);
    assert!(r["response"].as_str().unwrap().contains("Call dad"), "{r}");
    assert!(
        !r["response"].as_str().unwrap().contains("Pay rent"),
        "completed task listed as pending: {r}"
    );
    let r = say("show pending tasks".to_owned()).await;
    assert_call(&r, "list_tasks", &json!({"status": "pending"}));
    let r = say("What have I completed?".to_owned()).await;
    assert_call(&r, "list_tasks", &json!({"status": "completed"}));
    assert_eq!(r["tool_calls"][0]["result"]["count"], 3);
    assert!(r["response"].as_str().unwrap().contains("Pay rent"), "{r}");
    let r = say("show my tasks".to_owned()).await;
    assert_call(&r, "list_tasks", &json!({}));
    assert_eq!(r["tool_calls"][0]["result"]["count"], 10);

    // Deletes, by title and by id.
    let r = say("Delete the meeting task".to_owned()).await;
    assert_call_after_lookup(&r, "delete_task", &json!({"task_id": meeting}));
    assert!(
        task_row(&pool, meeting).await.is_none(),
        "meeting task still there"
    );
    let r = say(format!("remove task {dentist}")).await;
    assert_call(&r, "delete_task", &json!({"task_id": dentist}));
    assert!(task_row(&pool, dentist).await.is_none());

    // Updates.
    let r = say(format!("Change task {dad} to 'Call mom tonight'")).await;
    assert_call(
        &r,
        "update_task",
        &json!({"task_id": dad, "title": "Call mom tonight"}),
    );
    assert_eq!(task_row(&pool, dad).await.unwrap().0, "Call mom tonight");
    let r = say(format!("rename task {dad} to Call dad tomorrow")).await;
    assert_call(
        &r,
        "update_task",
        &json!({"task_id": dad, "title": "Call dad tomorrow"}),
    );
    assert_eq!(task_row(&pool, dad).await.unwrap().0, "Call dad tomorrow");
    let r = say(format!("update task {dad} description to bring the photos")).await;
    assert_call(
        &r,
        "update_task",
        &json!({"task_id": dad, "description": "bring the photos"}),
    );
    assert_eq!(
        task_row(&pool, dad).await.unwrap().1.as_deref(),
        Some("bring the photos")
    );

    // Every message and reply is stored in the one conversation.
    let conv = conv.unwrap();
    let (s, msgs) = app
        .call(
            Method::GET,
            &format!("/api/{}/conversations/{conv}/messages", u.0),
            Some(&u.1),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let msgs = msgs.as_array().unwrap();
    assert_eq!(msgs.len(), 2 * 17);
    assert_eq!(msgs[0]["role"], "user");
    assert_eq!(msgs[0]["content"], "Add a task to buy groceries");
    assert_eq!(msgs[1]["role"], "assistant");
    assert_eq!(msgs[1]["tool_calls"][0]["name"], "add_task");
    app.stop().await;
}

#[tokio::test]
async fn builtin_agent_is_helpful_when_it_cannot_act() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let pool = db.pool().await;
    let u = app.register("help@example.com").await;
    let r1 = app.add_task(&u, "Write report").await;
    let r2 = app.add_task(&u, "Read report").await;

    // Not understood: no tool call, and the three examples closest to what was typed, so two
    // different messages get different examples.
    let mut offered = Vec::new();
    for (msg, closest) in [
        ("what's the weather like in Paris?", "What's on my list?"),
        ("rename something", "Rename task 2 to Buy oat milk"),
    ] {
        let r = app.chat(&u, None, msg).await;
        assert_eq!(r["tool_calls"], json!([]));
        let text = r["response"].as_str().unwrap();
        assert!(text.contains("didn't understand"), "{text}");
        assert_eq!(text.matches("\n• ").count(), 3, "three examples: {text}");
        assert!(
            text.contains(closest),
            "{msg:?} should be offered {closest:?}: {text}"
        );
        offered.push(text.to_owned());
    }
    assert_ne!(offered[0], offered[1], "the examples follow what was typed");

    // Ambiguous title: looks it up, asks which one naming both, changes nothing.
    let r = app.chat(&u, None, "delete the report task").await;
    assert_only_lookup(&r);
    let text = r["response"].as_str().unwrap();
    assert!(
        text.contains(&format!("#{r1}")) && text.contains(&format!("#{r2}")),
        "{text}"
    );
    assert!(text.contains("Which one do you mean?"), "{text}");
    assert!(task_row(&pool, r1).await.is_some() && task_row(&pool, r2).await.is_some());

    // No such title: says so and names the closest.
    let r = app.chat(&u, None, "complete the reprot draft task").await;
    assert_only_lookup(&r);
    let text = r["response"].as_str().unwrap();
    assert!(text.contains("couldn't find"), "{r}");
    assert!(text.contains(&format!("#{r2}")), "closest named: {text}");
    assert!(!task_row(&pool, r2).await.unwrap().2, "nothing completed");

    // No such id: the tool reports it and the reply says so.
    let r = app.chat(&u, None, "complete task 99999").await;
    assert_eq!(r["tool_calls"][0]["name"], "complete_task");
    assert!(
        r["tool_calls"][0]["result"]["error"]
            .as_str()
            .unwrap()
            .contains("not found"),
        "{r}"
    );
    assert!(r["response"].as_str().unwrap().contains("not found"), "{r}");

    // An over-long title from chat is refused by the tool, nothing stored.
    let r = app
        .chat(&u, None, &format!("add {}", "x".repeat(300)))
        .await;
    assert!(
        r["tool_calls"][0]["result"]["error"]
            .as_str()
            .unwrap()
            .contains("title"),
        "{r}"
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 2);
    app.stop().await;
}

#[tokio::test]
async fn conversation_continues_after_restart() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let u = app.register("restart@example.com").await;
    let r = app.chat(&u, None, "add a task to buy bread").await;
    let conv = r["conversation_id"].as_i64().unwrap();
    app.stop().await;

    // A new service instance on the same database: same token, same conversation.
    let app = TestApp::start(&db.url).await;
    let r = app.chat(&u, Some(conv), "what's pending?").await;
    assert_eq!(r["conversation_id"], conv);
    assert!(r["response"].as_str().unwrap().contains("Buy bread"), "{r}");
    let (s, list) = app
        .call(
            Method::GET,
            &format!("/api/{}/conversations", u.0),
            Some(&u.1),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], conv);
    assert_eq!(list[0]["message_count"], 4);
    assert_eq!(list[0]["title"], "add a task to buy bread");
    let (_, msgs) = app
        .call(
            Method::GET,
            &format!("/api/{}/conversations/{conv}/messages", u.0),
            Some(&u.1),
            None,
        )
        .await;
    let contents: Vec<&str> = msgs
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents.len(), 4);
    assert_eq!(contents[0], "add a task to buy bread");
    assert_eq!(contents[2], "what's pending?");

    // A conversation id that does not exist: 404, and no message stored for it.
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/api/{}/chat", u.0),
            Some(&u.1),
            Some(json!({"conversation_id": 424242, "message": "hi"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    app.stop().await;
}

/// The agent's questions can be answered: "the second one", a number, or "yes" to a single
/// candidate finish the request that was asked about; an answer with no question asks what to do.
#[tokio::test]
async fn builtin_agent_takes_the_answer_to_its_question() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let pool = db.pool().await;
    let u = app.register("answers@example.com").await;
    let write = app.add_task(&u, "Write report").await;
    let read = app.add_task(&u, "Read report").await;
    let dentist = app.add_task(&u, "Book dentist").await;

    let r = app.chat(&u, None, "delete the report task").await;
    let conv = r["conversation_id"].as_i64();
    assert!(r["response"].as_str().unwrap().contains("Which one"), "{r}");
    // Out of range: asked again, with the same candidates.
    let r = app.chat(&u, conv, "the fifth one").await;
    assert_eq!(r["tool_calls"], json!([]));
    let text = r["response"].as_str().unwrap();
    assert!(
        text.contains(&format!("#{write}")) && text.contains(&format!("#{read}")),
        "{text}"
    );
    let r = app.chat(&u, conv, "the second one").await;
    assert_call(&r, "delete_task", &json!({"task_id": read}));
    assert!(task_row(&pool, read).await.is_none());
    assert!(task_row(&pool, write).await.is_some());

    // A statement that matches only partly: "did you mean …?", and "yes" completes it.
    let r = app.chat(&u, conv, "I called the dentist").await;
    assert_only_lookup_of(&r, "pending");
    let text = r["response"].as_str().unwrap();
    assert!(
        text.contains(&format!("#{dentist}")) && text.contains("yes"),
        "{text}"
    );
    assert!(!task_row(&pool, dentist).await.unwrap().2);
    let r = app.chat(&u, conv, "yes").await;
    assert_call(&r, "complete_task", &json!({"task_id": dentist}));
    assert!(task_row(&pool, dentist).await.unwrap().2);

    // Nothing was asked: a number alone changes nothing and asks what to do with it.
    let r = app.chat(&u, conv, &format!("#{write}")).await;
    assert_eq!(r["tool_calls"], json!([]));
    assert!(
        r["response"]
            .as_str()
            .unwrap()
            .contains(&format!("What should I do with task #{write}")),
        "{r}"
    );
    let r = app.chat(&u, conv, "yes").await;
    assert_eq!(r["tool_calls"], json!([]));
    assert!(task_row(&pool, write).await.is_some());
    app.stop().await;
}

fn assert_only_lookup_of(reply: &Value, status: &str) {
    let calls = reply["tool_calls"].as_array().expect("tool_calls array");
    assert_eq!(calls.len(), 1, "one lookup expected: {reply}");
    assert_tool(&calls[0], "list_tasks", &json!({"status": status}), reply);
}

/// What a chat turn stores, row by row: per turn the user's message (trimmed, no tool calls)
/// then the reply with the tool calls the response showed, ids in that order, the
/// conversation's `updated_at` moved to its last turn; nothing for a conversation that is not
/// the caller's. The contract of the storage, whatever number of statements writes it.
#[tokio::test]
async fn a_turn_stores_the_message_then_the_reply_and_nothing_for_a_foreign_conversation() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let pool = db.pool().await;
    let u = app.register("stored@example.com").await;
    let other = app.register("other@example.com").await;

    let turns = [
        "  add a task to buy milk  ",
        "what's pending?",
        "the weather is nice",
    ];
    let first = app.chat(&u, None, turns[0]).await;
    let conv = first["conversation_id"].as_i64().expect("conversation id");
    let milk = first["tool_calls"][0]["result"]["task_id"]
        .as_i64()
        .expect("task id");
    let mut replies = vec![first];
    for t in &turns[1..] {
        let r = app.chat(&u, Some(conv), t).await;
        assert_eq!(r["conversation_id"], conv);
        replies.push(r);
    }
    // The second turn saw the first one's task.
    assert!(
        replies[1]["tool_calls"][0]["result"]["tasks"][0]["task_id"] == milk,
        "{}",
        replies[1]
    );

    let rows: Vec<(i64, String, String, Value, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT id, role, content, tool_calls, created_at FROM messages WHERE conversation_id = $1 ORDER BY id",
    )
    .bind(conv)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2 * turns.len());
    for (i, (turn, reply)) in turns.iter().zip(&replies).enumerate() {
        let (user_row, reply_row) = (&rows[2 * i], &rows[2 * i + 1]);
        assert_eq!(
            (user_row.1.as_str(), user_row.2.as_str(), &user_row.3),
            ("user", turn.trim(), &json!([]))
        );
        assert_eq!(
            (reply_row.1.as_str(), reply_row.2.as_str(), &reply_row.3),
            (
                "assistant",
                reply["response"].as_str().unwrap(),
                &reply["tool_calls"]
            )
        );
        assert!(user_row.0 < reply_row.0 && user_row.4 <= reply_row.4);
    }
    let (owner, created, updated): (
        uuid::Uuid,
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
    ) = sqlx::query_as("SELECT user_id, created_at, updated_at FROM conversations WHERE id = $1")
        .bind(conv)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(owner.to_string(), u.0);
    assert!(
        created <= rows[0].4,
        "the conversation starts with its first message"
    );
    assert!(
        updated >= rows[rows.len() - 1].4,
        "updated_at is the last turn's"
    );
    let conversations: i64 = sqlx::query_scalar("SELECT count(*) FROM conversations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(conversations, 1, "one conversation for three turns");

    // Someone else's conversation, and one that does not exist: 404, nothing stored.
    for id in [conv, 424_242] {
        let (s, v) = app
            .call(
                Method::POST,
                &format!("/api/{}/chat", other.0),
                Some(&other.1),
                Some(json!({"conversation_id": id, "message": "add a task to steal"})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    }
    let (messages, tasks): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM tasks)")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((messages, tasks), (6, 1), "a refused turn stores nothing");
    app.stop().await;
}
