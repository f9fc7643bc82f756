//! The built-in agent against the corpus of everyday phrasings: for each message, from the same
//! task list, the tool called (after at most one `list_tasks` lookup) and the task list after.

mod cases;

use serde_json::{Value, json};
use todo_agent::BuiltinAgent;
use todo_agent::StatusFilter;
use todo_agent::{Agent, AgentReply};
use todo_agent::{ToolCall, Tools};
use uuid::Uuid;

use crate::common::TestDb;
pub use cases::{CASES, Expect, FIXTURE, NEXT_ID};

/// A task row as the test compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    id: i64,
    title: String,
    description: Option<String>,
    completed: bool,
}

fn fixture() -> Vec<Row> {
    FIXTURE
        .iter()
        .map(|&(id, title, completed)| Row {
            id,
            title: title.to_owned(),
            description: None,
            completed,
        })
        .collect()
}

/// Puts the fixture back (the rows only when `after`, the list the last case left, differs).
async fn reset(pool: &sqlx::PgPool, user: Uuid, after: Option<&[Row]>) {
    if after != Some(fixture().as_slice()) {
        sqlx::query("DELETE FROM tasks WHERE user_id = $1")
            .bind(user)
            .execute(pool)
            .await
            .unwrap();
        let rows = fixture();
        sqlx::query(
            "INSERT INTO tasks (id, user_id, title, completed) \
             SELECT id, $1, title, completed FROM UNNEST($2::bigint[], $3::text[], $4::bool[]) AS f(id, title, completed)",
        )
        .bind(user)
        .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.title.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.completed).collect::<Vec<_>>())
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query("SELECT setval(pg_get_serial_sequence('tasks', 'id'), $1, false)")
        .bind(NEXT_ID)
        .execute(pool)
        .await
        .unwrap();
}

async fn rows(pool: &sqlx::PgPool, user: Uuid) -> Vec<Row> {
    sqlx::query_as::<_, (i64, String, Option<String>, bool)>(
        "SELECT id, title, description, completed FROM tasks WHERE user_id = $1 ORDER BY id",
    )
    .bind(user)
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(id, title, description, completed)| Row {
        id,
        title,
        description,
        completed,
    })
    .collect()
}

/// The tool the case must end with, its arguments, and the task list after it.
fn wanted(expect: Expect) -> Option<(&'static str, Value, Vec<Row>)> {
    let mut after = fixture();
    let row = |after: &mut Vec<Row>, id: i64| -> usize {
        after
            .iter()
            .position(|r| r.id == id)
            .unwrap_or_else(|| panic!("task {id} is not in the fixture"))
    };
    Some(match expect {
        Expect::Add(title) | Expect::AddWith(title, _) => {
            let description = match expect {
                Expect::AddWith(_, d) => Some(d.to_owned()),
                _ => None,
            };
            let mut args = json!({"title": title});
            if let Some(d) = &description {
                args["description"] = json!(d);
            }
            after.push(Row {
                id: NEXT_ID,
                title: title.to_owned(),
                description,
                completed: false,
            });
            ("add_task", args, after)
        }
        Expect::List(status) => {
            let args = match status {
                StatusFilter::All => json!({}),
                s => json!({"status": s}),
            };
            ("list_tasks", args, after)
        }
        Expect::Complete(id) => {
            let i = row(&mut after, id);
            after[i].completed = true;
            ("complete_task", json!({"task_id": id}), after)
        }
        Expect::Delete(id) => {
            let i = row(&mut after, id);
            after.remove(i);
            ("delete_task", json!({"task_id": id}), after)
        }
        Expect::Rename(id, title) => {
            let i = row(&mut after, id);
            after[i].title = title.to_owned();
            ("update_task", json!({"task_id": id, "title": title}), after)
        }
        Expect::Describe(id, description) => {
            let i = row(&mut after, id);
            after[i].description = Some(description.to_owned());
            (
                "update_task",
                json!({"task_id": id, "description": description}),
                after,
            )
        }
        Expect::Ask(_) | Expect::Closest(_) | Expect::Help | Expect::NotUnderstood => {
            return None;
        }
    })
}

/// What is wrong with the reply to `say`, if anything.
fn judge(say: &str, expect: Expect, reply: &AgentReply, after: &[Row]) -> Option<String> {
    let names: Vec<&str> = reply.tool_calls.iter().map(|c| c.name.as_str()).collect();
    let text = &reply.response;
    let lookups_only = |calls: &[ToolCall]| calls.iter().all(|c| c.name == "list_tasks");
    let unchanged = after == fixture().as_slice();
    let fail = |why: String| {
        Some(format!(
            "{say:?} ({expect:?}): {why}\n  reply: {text:?}\n  calls: {names:?}"
        ))
    };
    if let Some((tool, args, want_after)) = wanted(expect) {
        let Some((last, before)) = reply.tool_calls.split_last() else {
            return fail("no tool call".to_owned());
        };
        if last.name != tool || last.arguments != args {
            return fail(format!(
                "last call {} {} instead of {tool} {args}",
                last.name, last.arguments
            ));
        }
        if last.result.get("error").is_some() {
            return fail(format!("the tool failed: {}", last.result));
        }
        if before.len() > 1 || !lookups_only(before) {
            return fail("more than one lookup before the call".to_owned());
        }
        if after != want_after.as_slice() {
            return fail(format!("task list after: {after:?}"));
        }
        return None;
    }
    if !unchanged {
        return fail(format!("the task list changed: {after:?}"));
    }
    match expect {
        Expect::Ask(ids) | Expect::Closest(ids) => {
            if reply.tool_calls.len() != 1 || !lookups_only(&reply.tool_calls) {
                return fail("expected exactly one list_tasks lookup".to_owned());
            }
            let (needle, verb) = match expect {
                Expect::Ask(_) => ("Which one do you mean?", "ask which one"),
                _ => ("couldn't find", "say it found nothing"),
            };
            if !text.contains(needle) {
                return fail(format!("the reply does not {verb}"));
            }
            let missing: Vec<&i64> = ids
                .iter()
                .filter(|id| !text.contains(&format!("#{id} ")))
                .collect();
            if !missing.is_empty() {
                return fail(format!("the reply does not name {missing:?}"));
            }
            if matches!(expect, Expect::Ask(_)) {
                let named = text.matches("\n• #").count();
                if named != ids.len() {
                    return fail(format!("{named} candidates named, {} expected", ids.len()));
                }
            }
        }
        Expect::Help if !names.is_empty() || !text.starts_with("Hi! I can manage your tasks") => {
            return fail("expected the menu and no tool call".to_owned());
        }
        Expect::NotUnderstood if !names.is_empty() || !text.contains("didn't understand") => {
            return fail("expected examples and no tool call".to_owned());
        }
        _ => {}
    }
    None
}

/// Every corpus case against a real database, each from the fixture; every case twice, which
/// must give the same reply and calls (same input, same answer).
#[tokio::test]
async fn builtin_agent_understands_the_corpus() {
    assert!(CASES.len() >= 200, "the corpus has {} cases", CASES.len());
    let db = TestDb::new().await;
    let pool = db.pool().await;
    let service_pool = todo_api::db::pool(&db.url, 4).unwrap();
    todo_api::db::migrate(&service_pool).await.unwrap();
    let user = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO users (id, email, password_hash) VALUES ($1, 'corpus@example.com', 'x')",
    )
    .bind(user)
    .execute(&pool)
    .await
    .unwrap();
    let tools = Tools::new(todo_api::tasks::UserTasks::new(service_pool.clone(), user));
    let mut failures = Vec::new();
    let mut after: Option<Vec<Row>> = None;
    for &(say, expect) in CASES {
        let mut replies = Vec::new();
        for _ in 0..2 {
            reset(&pool, user, after.as_deref()).await;
            let reply = BuiltinAgent.respond(&tools, &[], say).await;
            let now = rows(&pool, user).await;
            if replies.is_empty()
                && let Some(why) = judge(say, expect, &reply, &now)
            {
                failures.push(why);
            }
            replies.push(reply);
            after = Some(now);
        }
        if replies[0].response != replies[1].response
            || replies[0].tool_calls != replies[1].tool_calls
        {
            failures.push(format!("{say:?}: a second run answered differently"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}
