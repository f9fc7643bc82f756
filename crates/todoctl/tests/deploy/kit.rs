//! The deploy kit as a user runs it, against the real test cluster: the real `todoctl` binary
//! in a copy of this source tree, in a namespace of the test's own.
//!
//! Every test deploys from a snapshot of the committed tree (so a change made by one test, or
//! an editor, never reaches another) and builds with buildah against the local base images. The first
//! test to need the images builds them under a lock; the others find them up to date, because
//! tags are content hashes and every snapshot has the same content.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use e2e::{Namespace, TestCluster};
pub use e2e::{repo_root, tools_path};
use exec::{Cmd, Output};
use serde_json::Value;

/// A real tool as `just` finds it: `.tools/bin` first, then `PATH`.
pub fn real_tool(name: &str) -> String {
    let path = tools_path();
    exec::resolve_with(name, |var| (var == "PATH").then(|| path.clone().into()))
        .unwrap_or_else(|e| panic!("{e}: run `just tools`"))
        .display()
        .to_string()
}

/// A release of the chart in a namespace of its own, deployed from a snapshot of the tree.
pub struct Kit {
    pub ns: Namespace,
    pub release: String,
    root: tempfile::TempDir,
    values: PathBuf,
}

impl Kit {
    /// A fresh namespace `e2e-NAME-…` and a snapshot of the tree; the images are built (once
    /// for every test) before this returns.
    pub fn new(name: &str) -> Kit {
        Kit::with_release(name, "todo-chatbot")
    }

    pub fn with_release(name: &str, release: &str) -> Kit {
        let cluster = TestCluster::from_env().unwrap_or_else(|e| panic!("{e}"));
        let ns = cluster
            .namespace(&format!("e2e-{name}"))
            .expect("namespace");
        let root = snapshot();
        // Tests deploy side by side: a fixed node port would collide.
        let values = root.path().join("e2e-values.yaml");
        std::fs::write(&values, "frontend:\n  service:\n    nodePort: null\n").expect("values");
        let kit = Kit {
            ns,
            release: release.to_owned(),
            root,
            values,
        };
        kit.build_images();
        kit
    }

    /// The snapshot's root (the build context and the chart's directory).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn cluster(&self) -> &TestCluster {
        self.ns.cluster()
    }

    /// `todoctl ARGS… --context … --namespace … --release …` in the snapshot, with the
    /// cluster's environment.
    pub fn todoctl(&self, args: &[&str]) -> Cmd {
        let cmd = self
            .cluster()
            .env()
            .into_iter()
            .fold(Cmd::new(env!("CARGO_BIN_EXE_todoctl")), |cmd, (k, v)| {
                cmd.env(k, v)
            });
        cmd.current_dir(self.root())
            .env("PATH", tools_path())
            .args(args.iter().copied())
            .args(["--context", self.cluster().context()])
            .args(["--namespace", self.ns.name(), "--release", &self.release])
            .timeout(Duration::from_secs(1800))
    }

    /// `todoctl deploy --profile PROFILE --json` with the test's values and `extra` flags;
    /// the summary on success, the whole output otherwise.
    pub fn deploy(&self, profile: &str, extra: &[&str]) -> Result<Value, Output> {
        summary(self.deploy_cmd(profile, extra))
    }

    /// The command [`Kit::deploy`] runs.
    pub fn deploy_cmd(&self, profile: &str, extra: &[&str]) -> Cmd {
        let values = self.values.display().to_string();
        let mut args = vec![
            "--json",
            "deploy",
            "--profile",
            profile,
            "--values",
            &values,
        ];
        args.extend(IMAGE_FLAGS);
        args.extend(extra);
        self.todoctl(&args)
    }

    /// [`Kit::deploy`] that must succeed.
    pub fn deployed(&self, profile: &str, extra: &[&str]) -> Value {
        self.deploy(profile, extra)
            .unwrap_or_else(|out| panic!("deploy failed:\n{}\n{}", out.stdout, out.stderr))
    }

    /// Runs a todoctl command that must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.todoctl(args).run_unchecked().expect("todoctl runs");
        assert!(
            out.success(),
            "todoctl {args:?} failed:\n{}\n{}",
            out.stdout,
            out.stderr
        );
        out.stdout
    }

    /// The content tags of the snapshot's images, `(backend, frontend)`.
    pub fn tags(&self) -> (String, String) {
        let mut args = vec!["--json", "images", "build"];
        args.extend(IMAGE_FLAGS);
        let out = self.todoctl_bare(&args).run().expect("images build");
        let report: Value = serde_json::from_str(&out.stdout).expect("images build --json");
        let tag = |name: &str| {
            report["images"]
                .as_array()
                .and_then(|i| i.iter().find(|i| i["name"] == name))
                .and_then(|i| i["tag"].as_str())
                .unwrap_or_else(|| panic!("no {name} in {report}"))
                .to_owned()
        };
        (tag("todo-chatbot-backend"), tag("todo-chatbot-frontend"))
    }

    /// The helm release's revision (`helm status`).
    pub fn revision(&self) -> u64 {
        let out = self
            .helm(&["status", &self.release, "--output", "json"])
            .run()
            .expect("helm status");
        let status: Value = serde_json::from_str(&out.stdout).expect("helm status JSON");
        status["version"].as_u64().expect("version")
    }

    /// helm 4 pinned to the test cluster.
    pub fn helm(&self, args: &[&str]) -> Cmd {
        self.cluster()
            .env()
            .into_iter()
            .fold(Cmd::new(real_tool("helm")), |cmd, (k, v)| cmd.env(k, v))
            .env("PATH", tools_path())
            .args(["--kube-context", self.cluster().context()])
            .args(["--namespace", self.ns.name()])
            .args(args.iter().copied())
            .timeout(Duration::from_secs(300))
    }

    /// The release's pods of `component` as `name → uid`.
    pub fn pod_uids(&self, component: &str) -> Vec<(String, String)> {
        let pods = self
            .ns
            .json([
                "get",
                "pods",
                "--selector",
                &format!(
                    "app.kubernetes.io/instance={},app.kubernetes.io/component={component}",
                    self.release
                ),
            ])
            .expect("pods");
        let mut uids: Vec<(String, String)> = pods["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
            .map(|p| {
                (
                    p["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    p["metadata"]["uid"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        uids.sort();
        uids
    }

    /// The release's Service of `component` (`frontend`, `backend`) forwarded to this machine.
    pub fn forward(&self, component: &str) -> (e2e::Forward, String) {
        let services = self
            .ns
            .json([
                "get",
                "services",
                "--selector",
                &format!(
                    "app.kubernetes.io/instance={},app.kubernetes.io/component={component}",
                    self.release
                ),
            ])
            .expect("services");
        let service = &services["items"][0];
        let name = service["metadata"]["name"].as_str().expect("service name");
        let port = service["spec"]["ports"][0]["port"].as_u64().expect("port");
        let forward = self
            .ns
            .port_forward(&format!("svc/{name}"), u16::try_from(port).expect("port"))
            .expect("port-forward");
        let url = forward.url();
        (forward, url)
    }

    /// A key of the chart's Secret, decoded.
    pub fn secret_key(&self, key: &str) -> String {
        let secrets = self
            .ns
            .json([
                "get",
                "secrets",
                "--selector",
                &format!("app.kubernetes.io/instance={}", self.release),
            ])
            .expect("secrets");
        let value = secrets["items"][0]["data"][key]
            .as_str()
            .unwrap_or_else(|| panic!("no {key} in the chart's Secret: {secrets}"));
        let out = Cmd::new("base64")
            .arg("--decode")
            .stdin_bytes(value.as_bytes().to_vec())
            .run()
            .expect("base64");
        out.stdout
    }

    /// todoctl in the snapshot, without the cluster flags (for the commands that take none).
    fn todoctl_bare(&self, args: &[&str]) -> Cmd {
        Cmd::new(env!("CARGO_BIN_EXE_todoctl"))
            .current_dir(self.root())
            .env("PATH", tools_path())
            .args(args.iter().copied())
            .timeout(Duration::from_secs(3600))
    }

    /// Builds the images once for every test process, under a lock in the cache directory.
    fn build_images(&self) {
        let lock_path = std::env::temp_dir().join("todo-chatbot-e2e-images.lock");
        let lock = File::create(&lock_path).expect("lock file");
        lock.lock().expect("lock");
        let mut args = vec!["images", "build"];
        args.extend(IMAGE_FLAGS);
        let out = self
            .todoctl_bare(&args)
            .run_unchecked()
            .expect("todoctl images build runs");
        assert!(out.success(), "images build failed:\n{}", out.stderr);
    }
}

/// Runs a `deploy --json`: the summary on success, the whole output otherwise.
pub fn summary(cmd: Cmd) -> Result<Value, Output> {
    let out = cmd.run_unchecked().expect("todoctl runs");
    if !out.success() {
        return Err(out);
    }
    Ok(serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("deploy --json printed no summary ({e}): {out:?}")))
}

/// How the tests build: buildah, against the local base images (no registry here).
const IMAGE_FLAGS: [&str; 3] = ["--engine", "buildah", "--offline"];

/// The committed tree (`git archive HEAD`), unpacked: what CI's clean clone holds, whatever
/// is being edited in the work tree meanwhile. (So a change is tested here once committed.)
fn snapshot() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("todo-chatbot-e2e-")
        .tempdir()
        .expect("snapshot dir");
    let archive = dir.path().join("HEAD.tar");
    Cmd::new("git")
        .args(["archive", "--format=tar", "--output"])
        .arg(archive.display().to_string())
        .arg("HEAD")
        .current_dir(repo_root())
        .run()
        .expect("git archive HEAD");
    Cmd::new("tar")
        .args(["--extract", "--file"])
        .arg(archive.display().to_string())
        .current_dir(dir.path())
        .run()
        .expect("tar");
    std::fs::remove_file(&archive).expect("remove the archive");
    dir
}

/// A user of the API (through the backend Service), signed in with a token.
pub struct ApiUser {
    pub user_id: String,
    pub token: String,
}

/// `curl` against `url`: the status code and the JSON body.
pub fn http(method: &str, url: &str, token: Option<&str>, body: Option<&Value>) -> (u16, Value) {
    let mut cmd = Cmd::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--max-time",
            "20",
            "--request",
            method,
        ])
        .args(["--write-out", "\n%{http_code}"]);
    if let Some(token) = token {
        cmd = cmd
            .secret_arg("--header")
            .secret_arg(format!("Authorization: Bearer {token}"));
    }
    if let Some(body) = body {
        cmd = cmd
            .args([
                "--header",
                "Content-Type: application/json",
                "--data-binary",
                "@-",
            ])
            .stdin_bytes(body.to_string().into_bytes());
    }
    let out = cmd.arg(url).run().expect("curl");
    let (body, code) = out.stdout.rsplit_once('\n').unwrap_or(("", &out.stdout));
    let code = code.trim().parse().unwrap_or(0);
    (code, serde_json::from_str(body).unwrap_or(Value::Null))
}

impl ApiUser {
    /// Registers a new account through the backend at `api`.
    pub fn register(api: &str, email: &str) -> ApiUser {
        let (code, body) = http(
            "POST",
            &format!("{api}/api/auth/register"),
            None,
            Some(&serde_json::json!({"email": email, "password": "e2e-password-1", "name": "E2E"})),
        );
        assert_eq!(code, 201, "register: {body}");
        ApiUser {
            user_id: body["user_id"].as_str().expect("user_id").to_owned(),
            token: body["token"].as_str().expect("token").to_owned(),
        }
    }

    pub fn add_task(&self, api: &str, title: &str) {
        let (code, body) = http(
            "POST",
            &format!("{api}/api/{}/tasks", self.user_id),
            Some(&self.token),
            Some(&serde_json::json!({"title": title})),
        );
        assert_eq!(code, 201, "add task: {body}");
    }

    /// The titles of the user's tasks; the status code when the request is refused.
    pub fn titles(&self, api: &str) -> Result<Vec<String>, u16> {
        let (code, body) = http(
            "GET",
            &format!("{api}/api/{}/tasks?status=all", self.user_id),
            Some(&self.token),
            None,
        );
        if code != 200 {
            return Err(code);
        }
        let mut titles: Vec<String> = body
            .as_array()
            .expect("a list of tasks")
            .iter()
            .map(|t| t["title"].as_str().unwrap_or_default().to_owned())
            .collect();
        titles.sort();
        Ok(titles)
    }
}

/// The outcome text of the summary's step `name`.
pub fn step<'a>(summary: &'a Value, name: &str) -> &'a str {
    summary["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["name"] == name))
        .and_then(|s| s["outcome"].as_str())
        .unwrap_or_else(|| panic!("no step {name} in {summary}"))
}

/// Whether the summary says image `name` was built fresh (not reused).
pub fn built_fresh(summary: &Value, name: &str) -> bool {
    summary["images"]
        .as_array()
        .and_then(|images| images.iter().find(|i| i["name"] == name))
        .map(|i| i["reused"] == false)
        .unwrap_or_else(|| panic!("no image {name} in {summary}"))
}
