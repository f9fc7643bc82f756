//! The smoke journey, shared by `verify local` and `verify live`: a user's first minutes,
//! through todo-web's same-origin proxy (session cookie + CSRF token, exactly like the browser).
//!
//! register → login → create a task → chat "Add a task to buy groceries" → list shows both →
//! complete one → delete one → conversation history → `/api/health` says the database is up.

use std::fmt;
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::step::{Progress, Step, write_steps};

/// The name of todo-web's session cookie.
const SESSION_COOKIE: &str = "todo_session";

/// The result of one journey.
#[derive(Debug, Clone, Serialize)]
pub struct SmokeReport {
    /// The frontend base URL the journey ran against.
    pub base_url: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl SmokeReport {
    /// Every step passed.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.ok)
    }
}

impl fmt::Display for SmokeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "smoke journey through {}", self.base_url)?;
        write_steps(f, &self.steps)
    }
}

/// What the journey leaves behind, so a later run (after pods restart) can find it again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Footprint {
    /// The account's email.
    pub email: String,
    /// Its user id.
    pub user_id: String,
    /// Titles of the tasks that should still exist.
    pub titles: Vec<String>,
    /// The conversation id.
    pub conversation_id: Option<i64>,
    /// The throwaway account's password (never serialized).
    #[serde(skip)]
    pub password: String,
}

/// A signed-in browser-like client of todo-web.
struct Session {
    base: String,
    http: Client,
    cookie: Option<String>,
    csrf: Option<String>,
    /// The signed-in user's id.
    pub user_id: String,
}

fn client() -> Result<Client, String> {
    Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

fn body_of(resp: Response, what: &str) -> Result<Value, String> {
    let status = resp.status();
    let text = resp
        .text()
        .map_err(|e| format!("{what}: reading the answer: {e}"))?;
    if !status.is_success() {
        return Err(format!("{what}: HTTP {status}: {}", snippet(&text)));
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).map_err(|e| format!("{what}: not JSON ({e}): {}", snippet(&text)))
}

fn snippet(text: &str) -> String {
    let t: String = text.chars().take(300).collect();
    t.replace('\n', " ")
}

// The answers the journey reads, exactly as DESIGN §4 and todo-api's handlers name their fields
// (sign-in answers as todo-web rewrites them: the token moves into the cookie, a CSRF token
// joins). List routes answer bare arrays. A renamed or missing field fails the step with the
// field's name; fields the journey does not read may come and go.

/// `POST /api/auth/register|login` through todo-web.
#[derive(Debug, Deserialize)]
struct SignedIn {
    user_id: String,
    csrf_token: String,
}

/// A task (`POST/GET/PATCH .../tasks...`).
#[derive(Debug, Clone, Deserialize)]
struct Task {
    id: i64,
    title: String,
    completed: bool,
}

/// `POST /api/{user_id}/chat`.
#[derive(Debug, Deserialize)]
struct ChatAnswer {
    conversation_id: i64,
    #[allow(dead_code)] // required by the contract; the journey only checks that it is there
    response: String,
    tool_calls: Vec<ToolCall>,
}

/// One entry of `tool_calls`.
#[derive(Debug, Deserialize)]
struct ToolCall {
    name: String,
}

/// One entry of `GET /api/{user_id}/conversations`.
#[derive(Debug, Deserialize)]
struct Conversation {
    #[allow(dead_code)] // required by the contract
    id: i64,
}

/// One entry of `GET /api/{user_id}/conversations/{id}/messages`.
#[derive(Debug, Deserialize)]
struct Message {
    role: String,
    content: String,
}

/// `GET /api/health`.
#[derive(Debug, Deserialize)]
struct Health {
    status: String,
    database: String,
    version: String,
}

/// Reads an answer as the contract's type; the error names the route and the field.
fn parse<T: DeserializeOwned>(v: Value, what: &str) -> Result<T, String> {
    let shown = snippet(&v.to_string());
    serde_path_to_error::deserialize(v).map_err(|e| {
        let at = e.path().to_string();
        let place = if at == "." {
            String::new()
        } else {
            format!(" at `{at}`")
        };
        format!(
            "{what}: the answer does not match the API contract{place}: {}: {shown}",
            e.inner()
        )
    })
}

impl Session {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim_end_matches('/'))
    }

    fn remember(&mut self, resp: &Response) {
        for v in resp.headers().get_all(SET_COOKIE) {
            if let Ok(v) = v.to_str()
                && let Some(pair) = v.split(';').next()
                && pair.trim_start().starts_with(&format!("{SESSION_COOKIE}="))
            {
                self.cookie = Some(pair.trim().to_owned());
            }
        }
    }

    fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Response, String> {
        let mut req = self.http.request(method.clone(), self.url(path));
        if let Some(c) = &self.cookie {
            req = req.header(COOKIE, c);
        }
        if let Some(t) = &self.csrf {
            req = req.header("X-CSRF-Token", t);
        }
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(b.to_string());
        }
        req.send().map_err(|e| format!("{method} {path}: {e}"))
    }

    fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T, String> {
        let what = format!("{method} {path}");
        parse(body_of(self.send(method, path, body)?, &what)?, &what)
    }

    /// Registers (or, with `register: false`, signs in) through the proxy.
    fn sign_in(base: &str, email: &str, password: &str, register: bool) -> Result<Self, String> {
        let mut s = Self {
            base: base.to_owned(),
            http: client()?,
            cookie: None,
            csrf: None,
            user_id: String::new(),
        };
        let (path, body) = if register {
            (
                "/api/auth/register",
                json!({"email": email, "password": password, "name": "Smoke Test"}),
            )
        } else {
            (
                "/api/auth/login",
                json!({"email": email, "password": password}),
            )
        };
        let resp = s.send(reqwest::Method::POST, path, Some(body))?;
        s.remember(&resp);
        let what = format!("POST {path}");
        let signed_in: SignedIn = parse(body_of(resp, &what)?, &what)?;
        s.user_id = signed_in.user_id;
        s.csrf = Some(signed_in.csrf_token);
        if s.cookie.is_none() {
            return Err(format!("POST {path}: no {SESSION_COOKIE} cookie was set"));
        }
        Ok(s)
    }

    /// All tasks of the user.
    fn tasks(&self) -> Result<Vec<Task>, String> {
        self.call(
            reqwest::Method::GET,
            &format!("/api/{}/tasks?status=all", self.user_id),
            None,
        )
    }
}

fn titles(tasks: &[Task]) -> Vec<String> {
    tasks.iter().map(|t| t.title.clone()).collect()
}

/// Runs the whole journey against a todo-web base URL (e.g. `http://127.0.0.1:3000`).
/// Returns the report and what it created (for persistence checks).
pub fn journey(base_url: &str) -> (SmokeReport, Footprint) {
    journey_with(base_url, &Progress::default())
}

/// [`journey`], telling `progress` about each step.
pub fn journey_with(base_url: &str, progress: &Progress) -> (SmokeReport, Footprint) {
    let mut steps = Vec::new();
    let mut fp = Footprint::default();
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let email = format!("smoke-{nonce}@example.com");
    let password = format!("smoke-pass-{nonce}");
    fp.email.clone_from(&email);
    fp.password.clone_from(&password);

    steps.push(progress.run("register", || {
        let s = Session::sign_in(base_url, &email, &password, true)?;
        Ok(format!("user {}", s.user_id))
    }));
    let mut session = None;
    steps.push(progress.run("login", || {
        let s = Session::sign_in(base_url, &email, &password, false)?;
        let note = format!("session cookie and CSRF token for user {}", s.user_id);
        session = Some(s);
        Ok(note)
    }));
    let Some(s) = session else {
        for name in [
            "create a task",
            "chat",
            "list",
            "complete",
            "delete",
            "history",
            "health",
        ] {
            steps.push(Step::not_run(name, "skipped: not signed in"));
        }
        return (
            SmokeReport {
                base_url: base_url.to_owned(),
                steps,
            },
            fp,
        );
    };
    fp.user_id.clone_from(&s.user_id);
    let uid = s.user_id.clone();
    let manual = "Smoke test: water the plants";
    let mut manual_id = None;
    steps.push(progress.run("create a task", || {
        let task: Task = s.call(
            reqwest::Method::POST,
            &format!("/api/{uid}/tasks"),
            Some(json!({"title": manual, "description": "created by verify"})),
        )?;
        manual_id = Some(task.id);
        Ok(format!("task {}", task.id))
    }));
    let mut conversation = None;
    steps.push(progress.run("chat \"Add a task to buy groceries\"", || {
        let answer: ChatAnswer = s.call(
            reqwest::Method::POST,
            &format!("/api/{uid}/chat"),
            Some(json!({"message": "Add a task to buy groceries"})),
        )?;
        conversation = Some(answer.conversation_id);
        let tools: Vec<String> = answer.tool_calls.into_iter().map(|t| t.name).collect();
        if !tools.iter().any(|t| t == "add_task") {
            return Err(format!("the agent did not call add_task (tools: {tools:?})").into());
        }
        Ok(format!(
            "conversation {}, tools {tools:?}",
            answer.conversation_id
        ))
    }));
    fp.conversation_id = conversation;
    let mut grocery_id = None;
    steps.push(progress.run("list shows both tasks", || {
        let tasks = s.tasks()?;
        let t = titles(&tasks);
        let grocery = tasks
            .iter()
            .find(|x| x.title.to_ascii_lowercase().contains("groceries"));
        if !t.iter().any(|x| x == manual) || grocery.is_none() {
            return Err(format!("expected {manual:?} and a groceries task, got {t:?}").into());
        }
        grocery_id = grocery.map(|g| g.id);
        Ok(format!("{} tasks: {t:?}", tasks.len()))
    }));
    steps.push(progress.run("complete a task", || {
        let id = grocery_id.ok_or("no groceries task to complete")?;
        let task: Task = s.call(
            reqwest::Method::PATCH,
            &format!("/api/{uid}/tasks/{id}/complete"),
            None,
        )?;
        if !task.completed {
            return Err(format!("task {id} still not completed: {task:?}").into());
        }
        let done = s.tasks()?.into_iter().any(|t| t.id == id && t.completed);
        if done {
            Ok(format!("task {id} completed"))
        } else {
            Err(format!("task {id} is not completed in the list").into())
        }
    }));
    steps.push(progress.run("delete a task", || {
        let id = manual_id.ok_or("no task to delete")?;
        let deleted = s.send(
            reqwest::Method::DELETE,
            &format!("/api/{uid}/tasks/{id}"),
            None,
        )?;
        if !deleted.status().is_success() {
            return Err(format!("DELETE task {id}: HTTP {}", deleted.status()).into());
        }
        let left = titles(&s.tasks()?);
        if left.iter().any(|t| t == manual) {
            return Err(format!("task {id} is still listed: {left:?}").into());
        }
        Ok(format!("task {id} deleted; left: {left:?}"))
    }));
    steps.push(progress.run("conversation history", || {
        let cid = conversation.ok_or("no conversation id from the chat step")?;
        let convs: Vec<Conversation> = s.call(
            reqwest::Method::GET,
            &format!("/api/{uid}/conversations"),
            None,
        )?;
        if convs.is_empty() {
            return Err("GET conversations returned none".into());
        }
        let msgs: Vec<Message> = s.call(
            reqwest::Method::GET,
            &format!("/api/{uid}/conversations/{cid}/messages"),
            None,
        )?;
        let has_user = msgs
            .iter()
            .any(|m| m.role == "user" && m.content == "Add a task to buy groceries");
        if msgs.len() < 2 || !has_user {
            return Err(format!(
                "expected the user message and a reply, got {} message(s)",
                msgs.len()
            )
            .into());
        }
        Ok(format!(
            "{} conversation(s), {} message(s) in #{cid}",
            convs.len(),
            msgs.len()
        ))
    }));
    steps.push(progress.run("/api/health reports the database", || {
        let health: Health = s.call(reqwest::Method::GET, "/api/health", None)?;
        // todo-api says `ok`, `migrating` or `unavailable`; only `ok` means it works.
        if health.database == "ok" {
            Ok(format!(
                "status {}, database {}, version {}",
                health.status, health.database, health.version
            ))
        } else {
            Err(format!("database is {:?}: {health:?}", health.database).into())
        }
    }));
    fp.titles = grocery_id
        .map(|_| "buy groceries".to_owned())
        .into_iter()
        .collect();
    (
        SmokeReport {
            base_url: base_url.to_owned(),
            steps,
        },
        fp,
    )
}

/// Waits, up to `within`, until `GET /api/health` through todo-web says the database is `ok`;
/// how long that took. Pods that were just replaced are Ready before every node routes their
/// Service to them (kube-proxy programs the new endpoint after it appears), and meanwhile
/// todo-web answers 502: that is the app coming back, not data lost.
pub fn answering_again(base_url: &str, within: Duration) -> Result<Duration, String> {
    let http = client()?;
    let url = format!("{}/api/health", base_url.trim_end_matches('/'));
    let start = std::time::Instant::now();
    loop {
        let answer = http
            .get(&url)
            .send()
            .map_err(|e| format!("GET /api/health: {e}"))
            .and_then(|r| body_of(r, "GET /api/health"))
            .and_then(|v| parse::<Health>(v, "GET /api/health"));
        let why = match answer {
            Ok(h) if h.database == "ok" => return Ok(start.elapsed()),
            Ok(h) => format!("database is {:?}", h.database),
            Err(e) => e,
        };
        if start.elapsed() >= within {
            return Err(format!("the app did not answer within {within:?}: {why}"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// After a restart: signs in again as the journey's user and checks its data is still there.
pub fn still_there(base_url: &str, fp: &Footprint) -> Result<String, String> {
    let s = Session::sign_in(base_url, &fp.email, &fp.password, false)?;
    let t = titles(&s.tasks()?);
    let missing: Vec<&String> = fp
        .titles
        .iter()
        .filter(|want| {
            !t.iter().any(|have| {
                have.to_ascii_lowercase()
                    .contains(&want.to_ascii_lowercase())
            })
        })
        .collect();
    if !missing.is_empty() || fp.titles.is_empty() {
        return Err(format!("tasks lost: expected {:?}, found {t:?}", fp.titles));
    }
    if let Some(cid) = fp.conversation_id {
        let msgs: Vec<Message> = s.call(
            reqwest::Method::GET,
            &format!("/api/{}/conversations/{cid}/messages", s.user_id),
            None,
        )?;
        if msgs.is_empty() {
            return Err(format!("conversation {cid} lost its messages"));
        }
    }
    Ok(format!("user {} still signs in; tasks {t:?}", fp.email))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers as todo-api gives them (recorded through todo-web), then the same with one field
    /// renamed: the journey must refuse every renamed one and name the field.
    const TASK: &str = r#"{"id":4,"user_id":"a6bf0b45-3fe9-4f7c-9fa1-4aba90d41afd","title":"buy groceries","description":null,"completed":false,"created_at":"2026-12-01T20:30:48.352985Z","updated_at":"2026-12-01T20:30:48.352985Z"}"#;

    fn renamed(json: &str, from: &str, to: &str) -> Value {
        let mut v: Value = serde_json::from_str(json).unwrap_or_default();
        if let Some(map) = v.as_object_mut()
            && let Some(value) = map.remove(from)
        {
            map.insert(to.to_owned(), value);
        }
        v
    }

    fn check<T: DeserializeOwned>(answer: Value, expect: Result<(), &str>) {
        let got = parse::<T>(answer.clone(), "GET /x").map(|_| ());
        match (got, expect) {
            (Ok(()), Ok(())) => {}
            (Err(e), Err(field)) => assert!(e.contains(field), "{answer}: {e}"),
            (got, expect) => panic!("{answer}: got {got:?}, expected {expect:?}"),
        }
    }

    /// A todo-web stand-in on loopback that answers each request with the next of `answers`
    /// (status, body), repeating the last one.
    fn serve(answers: Vec<(u16, &'static str)>) -> String {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
                    line.clear();
                }
                let (status, body) = answers[n.min(answers.len() - 1)];
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        url
    }

    #[test]
    fn the_app_answering_again_is_waited_for_within_a_bound() {
        const OK: &str = r#"{"status":"ok","database":"ok","version":"0.1.0"}"#;
        const GATEWAY: &str = r#"{"error":{"code":"backend_unavailable","message":"x"}}"#;
        const MIGRATING: &str = r#"{"status":"degraded","database":"migrating","version":"0.1.0"}"#;
        let check = |answers: Vec<(u16, &'static str)>, expect: Result<(), &str>| {
            let got = answering_again(&serve(answers.clone()), Duration::from_secs(2)).map(|_| ());
            match (got, expect) {
                (Ok(()), Ok(())) => {}
                (Err(e), Err(want)) => assert!(e.contains(want), "{answers:?}: {e}"),
                (got, expect) => panic!("{answers:?}: got {got:?}, expected {expect:?}"),
            }
        };
        check(vec![(200, OK)], Ok(()));
        check(vec![(502, GATEWAY), (502, GATEWAY), (200, OK)], Ok(()));
        check(vec![(200, MIGRATING), (200, OK)], Ok(()));
        check(
            vec![(502, GATEWAY)],
            Err("did not answer within 2s: GET /api/health: HTTP 502"),
        );
        check(vec![(200, MIGRATING)], Err("database is \"migrating\""));
    }

    #[test]
    fn answers_are_read_by_the_contract_field_names() {
        let task: Value = serde_json::from_str(TASK).unwrap_or_default();
        check::<Task>(task.clone(), Ok(()));
        check::<Task>(renamed(TASK, "id", "task_id"), Err("id"));
        check::<Task>(renamed(TASK, "title", "name"), Err("title"));
        check::<Task>(renamed(TASK, "completed", "done"), Err("completed"));

        check::<Vec<Task>>(json!([task.clone()]), Ok(()));
        check::<Vec<Task>>(json!({"tasks": [task.clone()]}), Err("expected a sequence"));
        check::<Vec<Task>>(json!({"items": [task]}), Err("expected a sequence"));

        let signed_in = r#"{"user_id":"a6bf0b45-3fe9-4f7c-9fa1-4aba90d41afd","csrf_token":"c5d1"}"#;
        check::<SignedIn>(serde_json::from_str(signed_in).unwrap_or_default(), Ok(()));
        check::<SignedIn>(renamed(signed_in, "user_id", "id"), Err("user_id"));
        check::<SignedIn>(renamed(signed_in, "csrf_token", "csrf"), Err("csrf_token"));

        let chat = r#"{"conversation_id":7,"response":"Added task 4: buy groceries","tool_calls":[{"name":"add_task","arguments":{"title":"buy groceries"},"result":{"task_id":4,"status":"created","title":"buy groceries"}}]}"#;
        check::<ChatAnswer>(serde_json::from_str(chat).unwrap_or_default(), Ok(()));
        check::<ChatAnswer>(
            renamed(chat, "conversation_id", "conversation"),
            Err("conversation_id"),
        );
        check::<ChatAnswer>(renamed(chat, "tool_calls", "tools"), Err("tool_calls"));
        check::<ChatAnswer>(renamed(chat, "response", "reply"), Err("response"));
        check::<ChatAnswer>(
            json!({"conversation_id": 7, "response": "", "tool_calls": [{"tool": "add_task"}]}),
            Err("tool_calls[0]"),
        );

        check::<Vec<Conversation>>(
            json!([{"id": 7, "title": "Add a task", "message_count": 2}]),
            Ok(()),
        );
        check::<Vec<Conversation>>(
            json!({"conversations": [{"id": 7}]}),
            Err("expected a sequence"),
        );

        let message = r#"{"id":1,"role":"user","content":"Add a task to buy groceries","tool_calls":[],"created_at":"2026-12-01T20:30:48Z"}"#;
        let m: Value = serde_json::from_str(message).unwrap_or_default();
        check::<Vec<Message>>(json!([m]), Ok(()));
        check::<Vec<Message>>(json!({"messages": [m]}), Err("expected a sequence"));
        check::<Vec<Message>>(json!([renamed(message, "content", "text")]), Err("content"));

        let health = r#"{"status":"ok","database":"ok","version":"0.1.0"}"#;
        check::<Health>(serde_json::from_str(health).unwrap_or_default(), Ok(()));
        check::<Health>(renamed(health, "database", "db"), Err("database"));
    }
}
