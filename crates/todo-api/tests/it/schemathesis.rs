//! The OpenAPI document is exact: schemathesis (a property-based tester that reads only the
//! document) runs every check against the real service and PostgreSQL, in every phase,
//! including the stateful one that follows the document's links from a created task to reading,
//! updating, completing and deleting it. Any status the document does not list, any request the
//! document allows but the service refuses (or the reverse), and any answer that breaks its
//! documented schema fails the test.

use std::path::{Path, PathBuf};
use std::time::Duration;

use exec::Cmd;

use crate::common::{TestApp, TestDb};

/// Fixed, so a failure reproduces with the same requests.
const SEED: u64 = 20_260_518;
/// Cases per operation and phase: enough to reach every rule, few enough for two cores
/// (each sign-up or sign-in hashes a password).
const MAX_EXAMPLES: u32 = 20;

/// schemathesis' configuration: the token and user id come from the environment so that no
/// secret sits in a file or on a command line.
fn config() -> String {
    format!(
        r#"seed = {SEED}
workers = 2
request-timeout = 60
continue-on-failure = true

[checks]
enabled = true

[generation]
max-examples = {MAX_EXAMPLES}
database = "none"

[auth.openapi.bearer]
bearer = "${{TODO_API_TOKEN}}"

[parameters]
"path.user_id" = "${{TODO_API_USER_ID}}"

# MCP's message format is the MCP specification's, not this document's (see openapi::mcp_doc);
# tests/it/mcp.rs drives it with a real MCP client.
[[operations]]
include-path = "/mcp"
enabled = false

# The coverage phase makes a wrong-type `user_id` and then applies the fixed `user_id` above
# over it, yet still expects the (now valid) request to be refused. Fuzzing keeps checking that
# schema-violating requests are refused.
[phases.coverage.checks.negative_data_rejection]
enabled = false
"#
    )
}

/// A directory of its own for the run's config and reports, removed afterwards.
struct RunDir(PathBuf);

impl RunDir {
    fn new() -> RunDir {
        let dir =
            std::env::temp_dir().join(format!("todo-api-schemathesis-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("create the run directory");
        RunDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The lines of schemathesis' summary that name a phase, e.g. `✅ Stateful`.
fn phase_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("Test Phases:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn schemathesis_finds_the_document_exact() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let (user_id, token) = app.register("schemathesis@example.com").await;
    let dir = RunDir::new();
    let config_path = dir.path().join("schemathesis.toml");
    std::fs::write(&config_path, config()).expect("write schemathesis.toml");

    let cmd = Cmd::new("schemathesis")
        .arg("--config-file")
        .arg(config_path.to_string_lossy())
        .args(["--no-color", "run"])
        .arg(format!("{}/api/openapi.json", app.base))
        .env("TODO_API_USER_ID", &user_id)
        .secret_env("TODO_API_TOKEN", &token)
        .current_dir(dir.path())
        .timeout(Duration::from_secs(900));
    let out = tokio::task::spawn_blocking(move || cmd.run_unchecked())
        .await
        .expect("join the schemathesis run")
        .unwrap_or_else(|e| {
            panic!("running schemathesis (install it with scripts/install-tools.sh and put .tools/bin on PATH): {e}")
        });
    app.stop().await;

    let report = format!("{}\n{}", out.stdout, out.stderr);
    assert!(
        out.success(),
        "schemathesis found the document inexact (exit {}):\n{report}",
        out.status
    );
    let phases = phase_lines(&out.stdout);
    // No operation carries examples, so the examples phase has nothing to run.
    for phase in ["Coverage", "Fuzzing", "Stateful"] {
        assert!(
            phases
                .iter()
                .any(|l| l.ends_with(phase) && l.starts_with('✅')),
            "the {phase} phase did not run and pass: {phases:?}\n{report}"
        );
    }
}
