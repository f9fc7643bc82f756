#![allow(dead_code)] // helpers shared by modules; not every module uses each

//! Fake `kubectl`, `kubectl-ai` and `kagent` scripts, for the agents and the cluster that
//! cannot run here. Each script records its argv (one line per call, in `calls.log`) and its
//! stdin, then answers the first rule whose shell glob matches `$*`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use cluster::Tools;

/// One answer: when `$*` matches `glob`, print `stdout`/`stderr` and exit with `status`.
pub struct Rule {
    pub glob: String,
    pub stdout: String,
    pub stderr: String,
    pub status: i32,
    /// Shell to run instead of printing (may use $DIR, the fakes' directory).
    pub shell: Option<String>,
}

pub fn reply(glob: &str, stdout: impl Into<String>) -> Rule {
    Rule {
        glob: glob.into(),
        stdout: stdout.into(),
        stderr: String::new(),
        status: 0,
        shell: None,
    }
}

/// Runs `body` (POSIX sh; `$DIR` is the fakes' directory) when `$*` matches `glob`.
pub fn shell(glob: &str, body: &str) -> Rule {
    Rule {
        shell: Some(body.into()),
        ..reply(glob, "")
    }
}

pub fn fail(glob: &str, stderr: &str, status: i32) -> Rule {
    Rule {
        stderr: stderr.into(),
        status,
        ..reply(glob, "")
    }
}

pub struct Fakes {
    pub dir: tempfile::TempDir,
    count: usize,
}

impl Fakes {
    pub fn new() -> Fakes {
        Fakes {
            dir: tempfile::tempdir().expect("temp dir"),
            count: 0,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes the fake `name` answering with `rules` (unmatched calls succeed silently).
    pub fn tool(&mut self, name: &str, rules: Vec<Rule>) -> String {
        let dir = self.dir.path().display().to_string();
        let mut script = format!(
            "#!/bin/sh\nDIR='{dir}'\nprintf '%s\\n' \"{name} $*\" >> '{dir}/calls.log'\n\
             if [ ! -t 0 ]; then cat >> '{dir}/{name}.stdin'; fi\ncase \"$*\" in\n"
        );
        for rule in rules {
            self.count += 1;
            if let Some(body) = &rule.shell {
                script.push_str(&format!("  {})\n{body}\n  ;;\n", rule.glob));
                continue;
            }
            let out = self.write(&format!("r{}.out", self.count), &rule.stdout);
            let err = self.write(&format!("r{}.err", self.count), &rule.stderr);
            script.push_str(&format!(
                "  {}) cat '{}'; cat '{}' >&2; exit {};;\n",
                rule.glob,
                out.display(),
                err.display(),
                rule.status
            ));
        }
        script.push_str("  *) exit 0;;\nesac\n");
        let path = self.path(name);
        fs::write(&path, script).expect("write fake");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        path.display().to_string()
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, text).expect("write reply");
        path
    }

    /// Every recorded call, one per line, `tool arg arg ...`.
    pub fn calls(&self) -> Vec<String> {
        fs::read_to_string(self.path("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Tools pointing at these fakes (those not faked keep the real helm, as `just` finds it).
    pub fn tools(&self) -> Tools {
        let fake_or = |name: &str, real: String| {
            let p = self.path(name);
            if p.exists() {
                p.display().to_string()
            } else {
                real
            }
        };
        Tools {
            kubectl: fake_or("kubectl", "kubectl-not-faked".into()),
            helm: fake_or("helm", e2e::tool("helm").display().to_string()),
            minikube: fake_or("minikube", "minikube-not-faked".into()),
            docker: fake_or("docker", "docker-not-faked".into()),
            kubectl_ai: fake_or("kubectl-ai", "kubectl-ai-not-installed".into()),
            kagent: fake_or("kagent", "kagent-not-installed".into()),
        }
    }
}
