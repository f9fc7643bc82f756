//! Fake `minikube`, `kubectl` and `docker` on a temporary PATH, for the tools that cannot run
//! here (no cluster, no Docker engine). Each is a POSIX sh script that records its argv (and its
//! environment) and answers like the real tool for the argument lists it knows; anything else
//! exits 64, so an unexpected call shows up as a failed check.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use preflight::{Config, DiskCheck, Env};

use crate::fixture;

pub struct Fakes {
    dir: tempfile::TempDir,
}

/// One answer: stdout, stderr, exit code.
#[derive(Clone)]
pub struct Reply {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

pub fn ok(stdout: impl Into<String>) -> Reply {
    Reply {
        stdout: stdout.into(),
        stderr: String::new(),
        code: 0,
    }
}

pub fn fail(code: i32, stdout: impl Into<String>, stderr: impl Into<String>) -> Reply {
    Reply {
        stdout: stdout.into(),
        stderr: stderr.into(),
        code,
    }
}

/// A fake tool's answers: (argument pattern, reply). The pattern is the argv joined by spaces;
/// a trailing `*` matches any rest.
pub type Script = Vec<(String, Reply)>;

impl Fakes {
    pub fn new() -> Fakes {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("bin")).unwrap();
        fs::write(dir.path().join("calls.log"), "").unwrap();
        fs::write(dir.path().join("env.log"), "").unwrap();
        Fakes { dir }
    }

    pub fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// Writes the fake `name` answering `script`.
    pub fn tool(&self, name: &str, script: &Script) {
        let calls = self.dir.path().join("calls.log");
        let env = self.dir.path().join("env.log");
        let mut sh = format!(
            "#!/bin/sh\nprintf '%s\\n' \"{name} $*\" >> {calls}\nexport -p >> {env}\ncase \"$*\" in\n",
            calls = quote(&calls.display().to_string()),
            env = quote(&env.display().to_string()),
        );
        for (pattern, reply) in script {
            let pattern = match pattern.strip_suffix('*') {
                Some(prefix) => format!("{}*", quote(prefix)),
                None => quote(pattern),
            };
            sh.push_str(&format!(
                "  {pattern})\n    printf '%s' {}\n    printf '%s' {} >&2\n    exit {}\n    ;;\n",
                quote(&reply.stdout),
                quote(&reply.stderr),
                reply.code
            ));
        }
        sh.push_str(&format!(
            "  *)\n    printf 'fake {name}: unexpected arguments: %s\\n' \"$*\" >&2\n    exit 64\n    ;;\nesac\n"
        ));
        let path = self.bin().join(name);
        fs::write(&path, sh).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Puts the real `program` (found on this machine) on the fake PATH. Fails loudly when the
    /// machine lacks it.
    pub fn real(&self, program: &str) {
        let path = real_tool(program);
        std::os::unix::fs::symlink(&path, self.bin().join(program)).unwrap();
    }

    /// Every recorded call, `tool arg arg…`, in order.
    pub fn calls(&self) -> Vec<String> {
        fs::read_to_string(self.dir.path().join("calls.log"))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The environments the fakes were started with, concatenated.
    pub fn envs(&self) -> String {
        fs::read_to_string(self.dir.path().join("env.log")).unwrap()
    }

    /// A config whose PATH is the fake bin only, and whose disk check measures the temp dir.
    pub fn config(&self, profile: &str) -> Config {
        let mut config = Config::new(profile.parse().unwrap(), "minikube");
        config.env = Env::from_pairs([
            ("PATH", self.bin().display().to_string()),
            ("HOME", self.dir.path().display().to_string()),
        ]);
        config.disk = DiskCheck {
            path: Some(self.dir.path().to_owned()),
            warn_below: 1,
            fail_below: 1,
        };
        config
    }
}

/// The real tool: `.tools/bin` first, then `PATH` (what `nix develop` provides).
pub fn real_tool(program: &str) -> PathBuf {
    let path = format!(
        "{}:{}",
        crate::repo_root().join(".tools/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    exec::resolve_with(program, |var| (var == "PATH").then(|| path.clone().into())).unwrap_or_else(
        |_| panic!("{program} is needed by this test and is not installed: run `just tools`"),
    )
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

pub fn rule(pattern: &str, reply: Reply) -> (String, Reply) {
    (pattern.to_owned(), reply)
}

// ---- replies like the real tools' ----

pub const DOCKER_WITH_ENGINE: &str = r#"{"Client":{"Version":"27.3.1","ApiVersion":"1.47","Os":"linux","Arch":"amd64","Context":"default"},"Server":{"Platform":{"Name":"Docker Engine - Community"},"Version":"27.3.1","ApiVersion":"1.47","MinAPIVersion":"1.24","Os":"linux","Arch":"amd64"}}"#;

/// A minikube answering for a running profile `minikube` with `cpus`, `memory` MB, and the
/// addons fixture (storage ones enabled, ingress and metrics-server disabled).
pub fn minikube_running() -> Script {
    vec![
        rule(
            "version --output=json",
            ok(fixture("minikube-version.json")),
        ),
        rule(
            "profile list -o json",
            ok(fixture("minikube-profile-list.json")),
        ),
        rule(
            "status -p minikube -o json",
            ok(fixture("minikube-status-running.json")),
        ),
        rule(
            "addons list -p minikube -o json",
            ok(fixture("minikube-addons-list.json")),
        ),
        rule("config view", ok(fixture("minikube-config-view.txt"))),
    ]
}

/// kubectl whose current context is `current`, knowing contexts `minikube` and `prod-eks`.
pub fn kubectl(current: &str) -> Script {
    vec![
        rule(
            "version --client -o json",
            ok(fixture("kubectl-version-client.json")),
        ),
        rule("config current-context", ok(format!("{current}\n"))),
        rule("config get-contexts -o name", ok("minikube\nprod-eks\n")),
    ]
}

pub fn docker_with_engine() -> Script {
    vec![
        rule("version --format json", ok(DOCKER_WITH_ENGINE)),
        rule("buildx version", ok(fixture("docker-buildx-version.txt"))),
        rule(
            "ai version",
            fail(
                1,
                "",
                "docker: 'ai' is not a docker command.\nSee 'docker --help'\n",
            ),
        ),
    ]
}

pub fn docker_without_engine() -> Script {
    vec![
        rule(
            "version --format json",
            fail(
                1,
                fixture("docker-version-no-daemon.json"),
                fixture("docker-version-no-daemon.stderr"),
            ),
        ),
        rule("buildx version", ok(fixture("docker-buildx-version.txt"))),
        rule(
            "ai version",
            fail(1, "", "docker: 'ai' is not a docker command.\n"),
        ),
    ]
}

/// The usual scene: running minikube, kubectl on the Minikube context, docker with an engine,
/// and the real helm and just.
pub fn ready_scene() -> Fakes {
    let fakes = Fakes::new();
    fakes.tool("minikube", &minikube_running());
    fakes.tool("kubectl", &kubectl("minikube"));
    fakes.tool("docker", &docker_with_engine());
    fakes.real("helm");
    fakes.real("just");
    fakes
}
