use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::Error;

/// The environment variable that overrides where `program` is found: upper case, `-` → `_`.
///
/// `helm` → `HELM`, `kubectl-ai` → `KUBECTL_AI`, `helm3` → `HELM3`.
pub fn env_override_name(program: &str) -> String {
    program
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// Finds the executable for `program`.
///
/// A name containing `/` is a path and is returned as is. Otherwise the environment override
/// (see [`env_override_name`]) wins when set and non-empty; its value may itself be a path or a
/// name to look up on `PATH`. Failing both, `PATH` is searched.
pub fn resolve(program: &str) -> Result<PathBuf, Error> {
    resolve_with(program, |name| env::var_os(name))
}

/// [`resolve`] with the environment given by `lookup`, for callers (and tests) that resolve on
/// behalf of another environment.
pub fn resolve_with(
    program: &str,
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Result<PathBuf, Error> {
    if program.contains('/') {
        return Ok(PathBuf::from(program));
    }
    let var = env_override_name(program);
    if let Some(value) = lookup(&var).filter(|v| !v.is_empty()) {
        let value = PathBuf::from(value);
        if value.components().count() > 1 {
            return Ok(value);
        }
        return search_path(&value, lookup("PATH")).ok_or_else(|| Error::NotFound {
            program: program.to_owned(),
            hint: format!("{var} names `{}`, which is not on PATH", value.display()),
        });
    }
    search_path(Path::new(program), lookup("PATH")).ok_or_else(|| Error::NotFound {
        program: program.to_owned(),
        hint: install_hint(program, &var),
    })
}

fn search_path(name: &Path, path: Option<OsString>) -> Option<PathBuf> {
    env::split_paths(&path?)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn install_hint(program: &str, var: &str) -> String {
    let how = match program {
        "podman" | "buildah" | "chromium" | "chromedriver" | "pg_ctlcluster" | "psql" => {
            "run `just tools` (installs it with apt)"
        }
        "docker" => "install Docker (or Podman), or run `nix develop` for the client",
        _ => "run `nix develop` or `just tools`",
    };
    format!("{how}, or set {var} to its path")
}
