//! Fake tools for what cannot run here (Minikube, a Docker engine, the AI agents) and for
//! pinning the exact commands a library sends: each fake is a shell script that records its
//! argv (one line per call, in `calls.log`) and its stdin, then answers the first rule whose
//! shell glob matches `$*`. Unmatched calls succeed silently.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// One answer: when `$*` matches `glob`, print `stdout`/`stderr` and exit with `status`.
pub struct Rule {
    /// A shell `case` pattern over the arguments.
    pub glob: String,
    /// What it prints on stdout.
    pub stdout: String,
    /// What it prints on stderr.
    pub stderr: String,
    /// Its exit status.
    pub status: i32,
    /// Shell to run instead of printing (may use $DIR, the fakes' directory).
    pub shell: Option<String>,
}

/// Prints `stdout` and succeeds when `$*` matches `glob`.
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

/// Prints `stderr` and exits with `status` when `$*` matches `glob`.
pub fn fail(glob: &str, stderr: &str, status: i32) -> Rule {
    Rule {
        stderr: stderr.into(),
        status,
        ..reply(glob, "")
    }
}

/// A directory of fake tools and the log of their calls.
pub struct Fakes {
    /// The directory (the fakes, their answers, `calls.log`).
    pub dir: tempfile::TempDir,
    count: usize,
}

impl Fakes {
    /// An empty directory of fakes.
    pub fn new() -> Fakes {
        Fakes {
            dir: tempfile::tempdir().expect("temp dir"),
            count: 0,
        }
    }

    /// A file in the fakes' directory.
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

    /// What the fake `name` was given on stdin, all calls together.
    pub fn stdin_of(&self, name: &str) -> String {
        fs::read_to_string(self.path(&format!("{name}.stdin"))).unwrap_or_default()
    }

    /// The program for tool `name`: its fake when one was written, else the real helm
    /// (`helm`, `helm3`) as `just` finds it, else `NAME-not-faked`, which fails when run.
    pub fn program(&self, name: &str) -> String {
        let fake = self.path(name);
        if fake.exists() {
            fake.display().to_string()
        } else if name.starts_with("helm") {
            crate::tool(name).display().to_string()
        } else {
            format!("{name}-not-faked")
        }
    }
}

impl Default for Fakes {
    fn default() -> Fakes {
        Fakes::new()
    }
}
