//! The smoke journey, shared by `verify local` and `verify live`: a user's first minutes,
//! through todo-web's same-origin proxy (session cookie + CSRF token, exactly like the browser).
//!
//! register → login → create a task → chat "Add a task to buy groceries" → list shows both →
//! complete one → delete one → conversation history → `/api/health` says the database is up.

use std::fmt;
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde::Serialize;
use serde_json::{Value, json};

use crate::step::{Progress, Step, write_steps};

/// The name of todo-web's session cookie.
pub const SESSION_COOKIE: &str = "todo_session";

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
pub struct Session {
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

/// Items of a list answer: a bare array or an object holding one (`tasks`, `items`, ...).
fn items(v: &Value) -> Vec<Value> {
    if let Some(a) = v.as_array() {
        return a.clone();
    }
    for key in ["tasks", "items", "messages", "conversations", "data"] {
        if let Some(a) = v.get(key).and_then(Value::as_array) {
            return a.clone();
        }
    }
    Vec::new()
}

fn id_of(v: &Value) -> Option<String> {
    ["id", "task_id"]
        .iter()
        .find_map(|k| v.get(*k))
        .map(|id| match id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
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

    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let what = format!("{method} {path}");
        body_of(self.send(method, path, body)?, &what)
    }

    /// Registers (or, with `register: false`, signs in) through the proxy.
    pub fn sign_in(
        base: &str,
        email: &str,
        password: &str,
        register: bool,
    ) -> Result<Self, String> {
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
        let v = body_of(resp, &format!("POST {path}"))?;
        s.user_id = match v.get("user_id") {
            Some(Value::String(id)) => id.clone(),
            Some(other) if !other.is_null() => other.to_string(),
            _ => return Err(format!("POST {path}: answer has no user_id: {v}")),
        };
        s.csrf = v
            .get("csrf_token")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if s.cookie.is_none() {
            return Err(format!("POST {path}: no {SESSION_COOKIE} cookie was set"));
        }
        Ok(s)
    }

    /// All tasks of the user.
    pub fn tasks(&self) -> Result<Vec<Value>, String> {
        let v = self.call(
            reqwest::Method::GET,
            &format!("/api/{}/tasks?status=all", self.user_id),
            None,
        )?;
        Ok(items(&v))
    }
}

fn titles(tasks: &[Value]) -> Vec<String> {
    tasks
        .iter()
        .filter_map(|t| t.get("title").and_then(Value::as_str).map(str::to_owned))
        .collect()
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
        Session::sign_in(base_url, &email, &password, true).map(|s| format!("user {}", s.user_id))
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
        let v = s.call(
            reqwest::Method::POST,
            &format!("/api/{uid}/tasks"),
            Some(json!({"title": manual, "description": "created by verify"})),
        )?;
        manual_id = id_of(&v);
        manual_id
            .clone()
            .map(|id| format!("task {id}"))
            .ok_or_else(|| format!("answer has no id: {v}"))
    }));
    let mut conversation = None;
    steps.push(progress.run("chat \"Add a task to buy groceries\"", || {
        let v = s.call(
            reqwest::Method::POST,
            &format!("/api/{uid}/chat"),
            Some(json!({"message": "Add a task to buy groceries"})),
        )?;
        conversation = v.get("conversation_id").and_then(Value::as_i64);
        let tools: Vec<String> = v
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect();
        if !tools.iter().any(|t| t == "add_task") {
            return Err(format!(
                "the agent did not call add_task (tools: {tools:?}): {v}"
            ));
        }
        Ok(format!(
            "conversation {}, tools {tools:?}",
            conversation.map(|c| c.to_string()).unwrap_or_default()
        ))
    }));
    fp.conversation_id = conversation;
    let mut grocery_id = None;
    steps.push(progress.run("list shows both tasks", || {
        let tasks = s.tasks()?;
        let t = titles(&tasks);
        let grocery = tasks.iter().find(|x| {
            x.get("title")
                .and_then(Value::as_str)
                .is_some_and(|t| t.to_ascii_lowercase().contains("groceries"))
        });
        if !t.iter().any(|x| x == manual) || grocery.is_none() {
            return Err(format!(
                "expected {manual:?} and a groceries task, got {t:?}"
            ));
        }
        grocery_id = grocery.and_then(id_of);
        Ok(format!("{} tasks: {t:?}", tasks.len()))
    }));
    steps.push(progress.run("complete a task", || {
        let id = grocery_id.clone().ok_or("no groceries task to complete")?;
        let v = s.call(
            reqwest::Method::PATCH,
            &format!("/api/{uid}/tasks/{id}/complete"),
            None,
        )?;
        if v.get("completed").and_then(Value::as_bool) == Some(false) {
            return Err(format!("task {id} still not completed: {v}"));
        }
        let done = s.tasks()?.into_iter().any(|t| {
            id_of(&t).as_deref() == Some(id.as_str())
                && t.get("completed").and_then(Value::as_bool) == Some(true)
        });
        if done {
            Ok(format!("task {id} completed"))
        } else {
            Err(format!("task {id} is not completed in the list"))
        }
    }));
    steps.push(progress.run("delete a task", || {
        let id = manual_id.clone().ok_or("no task to delete")?;
        s.send(
            reqwest::Method::DELETE,
            &format!("/api/{uid}/tasks/{id}"),
            None,
        )
        .and_then(|r| {
            if r.status().is_success() {
                Ok(())
            } else {
                Err(format!("DELETE task {id}: HTTP {}", r.status()))
            }
        })?;
        let left = titles(&s.tasks()?);
        if left.iter().any(|t| t == manual) {
            return Err(format!("task {id} is still listed: {left:?}"));
        }
        Ok(format!("task {id} deleted; left: {left:?}"))
    }));
    steps.push(progress.run("conversation history", || {
        let cid = conversation.ok_or("no conversation id from the chat step")?;
        let convs = items(&s.call(
            reqwest::Method::GET,
            &format!("/api/{uid}/conversations"),
            None,
        )?);
        if convs.is_empty() {
            return Err("GET conversations returned none".into());
        }
        let msgs = items(&s.call(
            reqwest::Method::GET,
            &format!("/api/{uid}/conversations/{cid}/messages"),
            None,
        )?);
        let has_user = msgs.iter().any(|m| {
            m.get("content").and_then(Value::as_str) == Some("Add a task to buy groceries")
        });
        if msgs.len() < 2 || !has_user {
            return Err(format!(
                "expected the user message and a reply, got {} message(s)",
                msgs.len()
            ));
        }
        Ok(format!(
            "{} conversation(s), {} message(s) in #{cid}",
            convs.len(),
            msgs.len()
        ))
    }));
    steps.push(progress.run("/api/health reports the database", || {
        let v = s.call(reqwest::Method::GET, "/api/health", None)?;
        let db = v
            .get("database")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if matches!(db, "ok" | "connected" | "up") {
            Ok(format!(
                "status {}, database {db}, version {}",
                v["status"], v["version"]
            ))
        } else {
            Err(format!("database is {db:?}: {v}"))
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
        let msgs = items(&s.call(
            reqwest::Method::GET,
            &format!("/api/{}/conversations/{cid}/messages", s.user_id),
            None,
        )?);
        if msgs.is_empty() {
            return Err(format!("conversation {cid} lost its messages"));
        }
    }
    Ok(format!("user {} still signs in; tasks {t:?}", fp.email))
}
