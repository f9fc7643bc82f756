//! What the CLI tests share: the real binary in the repository root with the pinned tools,
//! and recording shims in front of the real kubectl and helm.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use e2e::{repo_root, tools_path};
use exec::Cmd;

/// todoctl in the repository root with the pinned tools first on PATH.
pub fn todoctl(args: &[&str]) -> Cmd {
    Cmd::new(env!("CARGO_BIN_EXE_todoctl"))
        .args(args.iter().copied())
        .current_dir(repo_root())
        .env("PATH", tools_path())
}

/// The real `program` as todoctl would find it with [`tools_path`].
pub fn real_tool(program: &str) -> PathBuf {
    exec::resolve_with(program, |name| match name {
        "PATH" => Some(tools_path().into()),
        _ => None,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Shims for kubectl and helm that log every call (`PID ARGS…`, one line each) and then run
/// the real tool, unless an `overrides` arm of a shell `case` on "$*" matches first.
pub struct Shims {
    pub dir: tempfile::TempDir,
}

impl Shims {
    pub fn new() -> Shims {
        Shims {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}")),
        }
    }

    /// Adds a shim for `program` in front of the real one.
    pub fn shim(&self, program: &str, overrides: &str) -> &Shims {
        let real = real_tool(program);
        let log = self.log_path();
        let path = self.dir.path().join(program);
        let script = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$$ {program} $*\" >> '{log}'\ncase \"$*\" in\n{overrides}\nesac\nexec '{real}' \"$@\"\n",
            log = log.display(),
            real = real.display()
        );
        fs::write(&path, script).unwrap_or_else(|e| panic!("{e}"));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
        self
    }

    /// The environment that makes todoctl run the shims (`KUBECTL`, `HELM`).
    pub fn env(&self, cmd: Cmd) -> Cmd {
        ["kubectl", "helm"].iter().fold(cmd, |cmd, program| {
            let path = self.dir.path().join(program);
            if path.exists() {
                cmd.env(exec::env_override_name(program), path.display().to_string())
            } else {
                cmd
            }
        })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn log_path(&self) -> PathBuf {
        self.path("calls.log")
    }

    /// Every call so far: `(pid, "tool args…")`.
    pub fn calls(&self) -> Vec<(u32, String)> {
        fs::read_to_string(self.log_path())
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let (pid, call) = line.split_once(' ')?;
                Some((pid.parse().ok()?, call.to_owned()))
            })
            .collect()
    }
}

/// The processes (`pid command`) still in process group `group`, zombies included.
pub fn group_members(group: u32) -> Vec<String> {
    let mut members = Vec::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp …`: comm may hold spaces, so split after its `)`.
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(group) {
            members.push(head.replace(" (", " "));
        }
    }
    members
}
