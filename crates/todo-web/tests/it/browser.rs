//! End to end in real headless Chromium (Debian's chromium + chromedriver over WebDriver):
//! a new user's whole journey through the UI against the real todo-api and PostgreSQL.
//! Screenshots land in `.artifacts/todo-web/` (gitignored) for people and CI to look at.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use exec::{Child, Cmd};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::support::{Stack, free_port, http, workspace_root};

/// Enter, as WebDriver's key code.
const ENTER: &str = "\u{E007}";
/// Escape, as WebDriver's key code.
const ESCAPE: &str = "\u{E00C}";

fn artifacts_dir() -> PathBuf {
    let dir = workspace_root().join(".artifacts/todo-web");
    std::fs::create_dir_all(&dir).expect("create .artifacts/todo-web");
    dir
}

/// chromedriver on a free port; a missing one fails here with exec's "not found" hint.
async fn start_chromedriver() -> (Child, String) {
    let port = free_port();
    let driver = Cmd::new("chromedriver")
        .arg(format!("--port={port}"))
        .spawn()
        .expect("start chromedriver (Debian package chromium-driver; or set CHROMEDRIVER)");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(out) = driver.try_wait().expect("poll chromedriver") {
            panic!("chromedriver exited: {}\n{}", out.stdout, out.stderr);
        }
        if let Ok(r) = http().get(format!("{url}/status")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not answer at {url}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (driver, url)
}

async fn start_browser(driver_url: &str, profile: &std::path::Path) -> Client {
    let chromium =
        exec::resolve("chromium").expect("chromium (Debian package chromium; or set CHROMIUM)");
    let caps = json!({
        "goog:loggingPrefs": {"browser": "ALL"},
        "goog:chromeOptions": {
            "binary": chromium.to_string_lossy(),
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
                "--hide-scrollbars",
                "--lang=en-US",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::rustls()
        .expect("rustls connector")
        .capabilities(caps)
        .connect(driver_url)
        .await
        .expect("start a Chromium session through chromedriver")
}

/// The journey's handle on the page.
struct Page {
    c: Client,
    shots: PathBuf,
    driver_url: String,
}

impl Page {
    /// The browser console so far (chromedriver's log endpoint), e.g. to spot CSP violations.
    async fn console(&self) -> Vec<String> {
        let session = self
            .c
            .session_id()
            .await
            .expect("session id")
            .expect("a session");
        let res = http()
            .post(format!("{}/session/{session}/se/log", self.driver_url))
            .json(&json!({"type": "browser"}))
            .send()
            .await
            .expect("chromedriver log endpoint");
        let body: Value = res.json().await.expect("log JSON");
        body["value"]
            .as_array()
            .unwrap_or_else(|| panic!("no log entries in {body}"))
            .iter()
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    async fn shot(&self, name: &str) -> PathBuf {
        let png = self.c.screenshot().await.expect("screenshot");
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    async fn js(&self, script: &str) -> Value {
        self.c
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `script` until it returns something truthy; on timeout keeps a screenshot and
    /// fails with what the page shows.
    async fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.js(script).await;
            let truthy =
                !matches!(&v, Value::Null | Value::Bool(false)) && v != json!("") && v != json!(0);
            if truthy {
                return v;
            }
            if Instant::now() > deadline {
                let shot = self
                    .shot(&format!("failed-{}", what.replace(' ', "-")))
                    .await;
                let text = self.js("return document.body.innerText").await;
                panic!(
                    "timed out waiting for {what}; screenshot {}; page text:\n{text}",
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs axe-core (every rule of its default set) on the page as it is and fails with each
    /// violation's rule, impact and elements; keeps a screenshot of the screen it judged.
    async fn assert_accessible(&self, screen: &str) {
        self.shot(&format!("a11y-{screen}")).await;
        let loaded = self.js("return typeof window.axe === 'object'").await;
        if loaded != json!(true) {
            self.js(&format!("{}\nreturn true;", axe_source())).await;
        }
        let result = self
            .c
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, {resultTypes: ['violations']})\
                   .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,\
                     nodes: v.nodes.map(n => n.target.join(' '))}))))\
                   .catch(e => done({error: String(e)}));",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("running axe-core on {screen}: {e}"));
        assert_eq!(
            result,
            json!([]),
            "axe-core violations on the {screen} screen"
        );
    }

    async fn type_into(&self, id: &str, text: &str) {
        let el = self
            .c
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"));
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The task list as shown: [{id, title, done}].
    async fn tasks(&self) -> Vec<(String, String, bool)> {
        let v = self
            .js("return [...document.querySelectorAll('#task-list li.task')].map(li => [li.dataset.id, (li.querySelector('.task-title') || {}).textContent || '', li.classList.contains('done')])")
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t[0].as_str().unwrap().to_owned(),
                    t[1].as_str().unwrap().to_owned(),
                    t[2].as_bool().unwrap(),
                )
            })
            .collect()
    }

    async fn wait_titles(&self, what: &str, want: &[&str]) {
        let want_js = serde_json::to_string(want).unwrap();
        self.wait_for(
            what,
            &format!(
                "const t = [...document.querySelectorAll('#task-list li.task .task-title')].map(e => e.textContent.trim().toLowerCase()).sort();\
                 const w = {want_js}.map(s => s.toLowerCase()).sort();\
                 return !document.querySelector('#task-list li.editing') && JSON.stringify(t) === JSON.stringify(w);"
            ),
        )
        .await;
    }
}

/// axe-core's built bundle, from the npm install `scripts/install-tools.sh` makes in .tools/npm.
fn axe_source() -> &'static str {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = workspace_root().join(".tools/npm/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core is not installed at {} ({e}): run scripts/install-tools.sh",
                path.display()
            )
        })
    })
}

/// A browser session; chromedriver (and its Chromium) die with `_driver`.
struct Browser {
    page: Page,
    _driver: Child,
    _profile: tempfile::TempDir,
}

async fn open_browser() -> Browser {
    let (driver, driver_url) = start_chromedriver().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let client = start_browser(&driver_url, profile.path()).await;
    Browser {
        page: Page {
            c: client,
            shots: artifacts_dir(),
            driver_url,
        },
        _driver: driver,
        _profile: profile,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_user_manages_tasks_by_form_and_chat_in_chromium() {
    let stack = Stack::start().await;
    let browser = open_browser().await;
    journey(&browser.page, &stack).await;
    browser
        .page
        .c
        .clone()
        .close()
        .await
        .expect("close the browser session");
}

#[tokio::test(flavor = "multi_thread")]
async fn error_states_are_shown_clearly_in_chromium() {
    let mut stack = Stack::start().await;
    let existing = crate::support::register(&stack.web, "taken@example.com").await;
    let browser = open_browser().await;
    let page = &browser.page;
    page.c.goto(&stack.web.base).await.expect("open the app");
    page.wait_for(
        "sign-in form",
        "return !document.getElementById('auth-view').hidden",
    )
    .await;

    // The backend's message for a taken e-mail shows next to the form.
    page.click("#tab-signup").await;
    page.type_into("auth-email", "taken@example.com").await;
    page.type_into("auth-password", &format!("another password{ENTER}"))
        .await;
    page.wait_for(
        "the e-mail-taken message",
        "const e = document.getElementById('auth-error'); return !e.hidden && e.textContent.trim().length > 0",
    )
    .await;
    page.assert_accessible("e-mail-taken").await;
    assert_eq!(
        page.js("return document.getElementById('app-view').hidden")
            .await,
        json!(true)
    );

    // A wrong password is refused; the right one signs in.
    page.click("#tab-signin").await;
    page.type_into("auth-password", &format!("wrong password{ENTER}"))
        .await;
    page.wait_for(
        "the wrong-password message",
        "const e = document.getElementById('auth-error'); return !e.hidden && document.getElementById('auth-password').getAttribute('aria-invalid') === 'true'",
    )
    .await;
    page.type_into("auth-password", &format!("correct horse battery{ENTER}"))
        .await;
    page.wait_for(
        "the workspace",
        "return !document.getElementById('app-view').hidden",
    )
    .await;

    // Client-side validation: an empty title is explained and marked invalid.
    page.click("#task-add").await;
    page.wait_for(
        "the empty-title message",
        "const e = document.getElementById('task-error'); return !e.hidden && document.getElementById('task-title').getAttribute('aria-invalid') === 'true'",
    )
    .await;
    page.shot("10-validation").await;
    page.assert_accessible("task-validation").await;

    // Session expired: the backend refuses the token, the page says so and asks to sign in.
    page.c
        .delete_cookie("todo_session")
        .await
        .expect("delete cookie");
    let forged = fantoccini::cookies::Cookie::parse(format!(
        "todo_session=v1:{}:{}:expired.token.value; Path=/; Domain=127.0.0.1; HttpOnly; SameSite=Strict",
        existing.user_id, existing.csrf
    ))
    .expect("cookie syntax");
    page.c.add_cookie(forged).await.expect("add cookie");
    page.click("button.filter[data-filter='pending']").await;
    page.wait_for(
        "the session-expired notice",
        "return !document.getElementById('auth-view').hidden && !document.getElementById('banner').hidden && document.getElementById('banner-text').textContent.includes('expired')",
    )
    .await;
    page.shot("11-session-expired").await;
    page.assert_accessible("session-expired").await;

    // Backend down: a clear banner instead of a silent failure.
    page.type_into("auth-email", "taken@example.com").await;
    page.type_into("auth-password", &format!("correct horse battery{ENTER}"))
        .await;
    page.wait_for(
        "the workspace again",
        "return !document.getElementById('app-view').hidden",
    )
    .await;
    stack.backend.kill();
    page.type_into("task-title", "This will not be saved").await;
    page.click("#task-add").await;
    page.wait_for(
        "the backend-unavailable banner",
        "return !document.getElementById('banner').hidden && document.getElementById('banner-text').textContent.includes('unavailable')",
    )
    .await;
    page.shot("12-backend-down").await;
    page.assert_accessible("backend-down").await;

    // The pages todo-web serves for navigations it cannot answer with the app.
    page.c
        .goto(&format!("{}/api/tasks", stack.web.base))
        .await
        .expect("navigate to an API URL while the backend is down");
    page.wait_for(
        "the service-unavailable page",
        "return document.body.classList.contains('error-page')",
    )
    .await;
    page.assert_accessible("service-unavailable-page").await;
    page.c
        .goto(&format!("{}/no-such-page", stack.web.base))
        .await
        .expect("navigate to an unknown page");
    page.wait_for(
        "the not-found page",
        "return document.body.classList.contains('error-page') && document.title.startsWith('Page not found')",
    )
    .await;
    page.assert_accessible("not-found-page").await;
    browser
        .page
        .c
        .clone()
        .close()
        .await
        .expect("close the browser session");
}

async fn journey(page: &Page, stack: &Stack) {
    let base = stack.web.base.clone();
    page.c.goto(&base).await.expect("open the app");

    // Signed out: the sign-in form.
    page.wait_for(
        "sign-in form",
        "return !document.getElementById('auth-view').hidden",
    )
    .await;
    page.shot("01-sign-in").await;
    page.assert_accessible("sign-in").await;

    // Sign up (the tab is a real button; the form submits with Enter).
    page.click("#tab-signup").await;
    page.wait_for(
        "sign-up mode",
        "return !document.getElementById('name-field').hidden",
    )
    .await;
    page.type_into("auth-name", "Ada Lovelace").await;
    page.type_into("auth-email", "ada@example.com").await;
    // A too-short password is refused with a visible message before anything is sent.
    page.type_into("auth-password", "short").await;
    page.click("#auth-submit").await;
    page.wait_for(
        "password validation message",
        "const e = document.getElementById('auth-error'); return !e.hidden && e.textContent.includes('8 characters')",
    )
    .await;
    page.assert_accessible("sign-up-with-error").await;
    page.type_into("auth-password", &format!("analytical engine{ENTER}"))
        .await;
    page.wait_for(
        "the signed-in workspace",
        "return !document.getElementById('app-view').hidden",
    )
    .await;
    page.wait_for(
        "empty task list",
        "return !document.getElementById('task-empty').hidden",
    )
    .await;
    page.assert_accessible("empty-tasks-and-chat-welcome").await;

    // The bearer token is not readable by scripts.
    assert_eq!(page.js("return document.cookie").await, json!(""));

    // Add a task with the form.
    page.type_into("task-title", "Write the quarterly report")
        .await;
    page.type_into("task-description", "Numbers from finance first")
        .await;
    page.click("#task-add").await;
    page.wait_titles("the form-added task", &["Write the quarterly report"])
        .await;

    // Add one through chat (keyboard: Enter sends).
    page.type_into("chat-input", &format!("Add a task to buy groceries{ENTER}"))
        .await;
    page.wait_for(
        "the assistant's tool call",
        "return [...document.querySelectorAll('#chat-log .tool-call')].some(e => e.textContent.includes('Added task'))",
    )
    .await;
    // The chat changed the tasks, so the list refreshed on its own.
    page.wait_titles(
        "both tasks",
        &["Write the quarterly report", "buy groceries"],
    )
    .await;

    // Complete the chat-added task.
    let tasks = page.tasks().await;
    let (groceries, _, done) = tasks
        .iter()
        .find(|t| t.1.to_lowercase().contains("groceries"))
        .expect("groceries task")
        .clone();
    assert!(!done);
    let (report, _, _) = tasks
        .iter()
        .find(|t| t.1.contains("report"))
        .expect("report task")
        .clone();
    page.click(&format!("li[data-id='{groceries}'] .task-check"))
        .await;
    page.wait_for(
        "the completed task",
        &format!("const li = document.querySelector(\"li[data-id='{groceries}']\"); return li && li.classList.contains('done')"),
    )
    .await;

    // Ask the assistant what is left; listing changes nothing.
    page.type_into("chat-input", &format!("What's pending?{ENTER}"))
        .await;
    page.wait_for(
        "the listing tool call",
        "return [...document.querySelectorAll('#chat-log .tool-call')].some(e => e.textContent.includes('Listed'))",
    )
    .await;
    page.shot("02-signed-in").await;
    page.assert_accessible("tasks-and-chat").await;

    // Filters.
    page.click("button.filter[data-filter='pending']").await;
    page.wait_titles("pending only", &["Write the quarterly report"])
        .await;
    page.click("button.filter[data-filter='completed']").await;
    page.wait_titles("completed only", &["buy groceries"]).await;
    page.shot("03-completed-filter").await;
    page.click("button.filter[data-filter='all']").await;
    page.wait_titles(
        "all again",
        &["Write the quarterly report", "buy groceries"],
    )
    .await;

    // Edit the report task: Escape cancels without saving, Enter saves.
    let title_id = format!("edit-{report}-title");
    let edit_button = format!("li[data-id='{report}'] .task-actions button:first-child");
    let editor_open = format!("return !!document.getElementById('{title_id}')");
    page.click(&edit_button).await;
    page.wait_for("the editor", &editor_open).await;
    page.type_into(&title_id, &format!("Not this title{ESCAPE}"))
        .await;
    page.wait_for(
        "the editor closed by Escape",
        &format!("return !document.getElementById('{title_id}')"),
    )
    .await;
    page.wait_titles(
        "the unchanged title",
        &["Write the quarterly report", "buy groceries"],
    )
    .await;
    page.click(&edit_button).await;
    page.wait_for("the editor again", &editor_open).await;
    page.type_into(&title_id, &format!("Write the annual report{ENTER}"))
        .await;
    page.wait_titles(
        "the edited title",
        &["Write the annual report", "buy groceries"],
    )
    .await;

    // Delete the groceries task.
    page.click(&format!(
        "li[data-id='{groceries}'] .task-actions button:last-child"
    ))
    .await;
    page.wait_titles("the task deleted", &["Write the annual report"])
        .await;

    // Reload: the session, the tasks and the conversation are all still there.
    page.c.refresh().await.expect("reload");
    page.wait_for(
        "the workspace after reload",
        "return !document.getElementById('app-view').hidden",
    )
    .await;
    page.wait_titles("tasks after reload", &["Write the annual report"])
        .await;
    page.wait_for(
        "chat history after reload",
        "const log = document.getElementById('chat-log').textContent; return log.includes('Add a task to buy groceries') && log.includes('Added task')",
    )
    .await;
    page.shot("04-after-reload").await;
    page.assert_accessible("chat-history").await;

    // The same page on a phone-sized screen.
    page.c.set_window_size(390, 844).await.expect("phone size");
    page.wait_for(
        "single-column layout",
        "const s = getComputedStyle(document.getElementById('app-view')).gridTemplateColumns; return s.split(' ').length === 1",
    )
    .await;
    page.shot("05-phone").await;
    page.assert_accessible("phone").await;
    page.c
        .set_window_size(1280, 900)
        .await
        .expect("desktop size");

    // The UI ran under the strict CSP without a single violation or script error.
    let console = page.console().await;
    let bad: Vec<&String> = console
        .iter()
        .filter(|m| {
            m.contains("Content Security Policy")
                || m.contains("Uncaught")
                || m.contains("TypeError")
        })
        .collect();
    assert!(bad.is_empty(), "browser console: {bad:#?}");

    // Sign out: back to the form, and the data is out of reach.
    page.click("#sign-out").await;
    page.wait_for(
        "the sign-in form after sign-out",
        "return !document.getElementById('auth-view').hidden",
    )
    .await;
    assert_eq!(
        page.js("return document.getElementById('task-list').children.length")
            .await,
        json!(0)
    );
    page.c.refresh().await.expect("reload after sign-out");
    page.wait_for(
        "the sign-in form after reload",
        "return !document.getElementById('auth-view').hidden",
    )
    .await;
    let status = page
        .js("return fetch('/api/session').then(r => r.status)")
        .await;
    assert_eq!(status, json!(401));
    let body = page.js("return document.body.innerText").await;
    assert!(!body.as_str().unwrap().contains("annual report"), "{body}");
    page.shot("06-signed-out").await;
    page.assert_accessible("signed-out").await;
}
