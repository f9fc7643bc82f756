//! Running the tools the checks ask, resolved through the [`Config`]'s environment.

use std::path::PathBuf;

use exec::{Cmd, Output};

use crate::config::Config;

/// Variables handed to every tool from [`Config::env`] (never a secret: those stay with us).
const PASS_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "KUBECONFIG",
    "MINIKUBE_HOME",
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "CONTAINER_HOST",
    "CONTAINER_CONNECTION",
    "CONTAINERS_CONF",
    "CONTAINERS_STORAGE_CONF",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
];

pub(crate) struct Probe<'a> {
    pub config: &'a Config,
}

impl<'a> Probe<'a> {
    pub fn new(config: &'a Config) -> Probe<'a> {
        Probe { config }
    }

    /// Where `program` is, by the config's environment (its override variable, then `PATH`).
    pub fn resolve(&self, program: &str) -> Result<PathBuf, String> {
        let path = exec::resolve_with(program, |name| self.config.env.lookup(name))
            .map_err(|e| e.to_string())?;
        // An override may name a path that is not there; that is a missing tool too.
        if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{program} not found: {} names {}, which does not exist",
                exec::env_override_name(program),
                path.display()
            ))
        }
    }

    /// A command for the tool at `path`, with the passed-through environment and the timeout.
    pub fn cmd(&self, path: &std::path::Path) -> Cmd {
        let mut cmd = Cmd::new(path.to_string_lossy().into_owned()).timeout(self.config.timeout);
        for key in PASS_ENV {
            if let Some(value) = self.config.env.get(key) {
                cmd = cmd.env(*key, value);
            }
        }
        cmd
    }

    /// Runs `program args…` whatever its exit status; `Err` with a one-line reason when it is
    /// missing, cannot start or times out.
    pub fn run(&self, program: &str, args: &[&str]) -> Result<Output, String> {
        let path = self.resolve(program)?;
        self.cmd(&path)
            .args(args.iter().copied())
            .run_unchecked()
            .map_err(|e| one_line(&e.to_string()))
    }
}

/// The first non-empty line of `text`, trimmed (tool errors are often multi-line).
pub(crate) fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_owned()
}
