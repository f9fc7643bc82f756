//! Tools: found or missing, version against our minimum, and the fix.

use std::path::PathBuf;

use exec::Output;

use crate::probe::{Probe, one_line};
use crate::version::{self, Version};
use crate::{Check, Error, Status};

/// A tool preflight looks for.
pub(crate) struct Spec {
    pub program: &'static str,
    pub args: &'static [&'static str],
    pub parse: fn(&str) -> Result<Version, Error>,
    pub min: Version,
    /// Majors we have tested; a newer one is a warning.
    pub max_major: u64,
    pub fix: &'static str,
}

/// minikube ≥ 1.33.
pub(crate) const MINIKUBE: Spec = Spec {
    program: "minikube",
    args: &["version", "--output=json"],
    parse: version::minikube,
    min: Version::new(1, 33, 0),
    max_major: 1,
    fix: "install minikube >= 1.33: `nix develop` (pinned), or https://minikube.sigs.k8s.io/docs/start/; or set MINIKUBE to its path",
};

/// helm ≥ 3.14, 3.x or 4.x.
pub(crate) const HELM: Spec = Spec {
    program: "helm",
    args: &["version", "--short"],
    parse: version::helm,
    min: Version::new(3, 14, 0),
    max_major: 4,
    fix: "install helm 3.14+ or 4: `nix develop` or `just tools`; or set HELM to its path",
};

/// kubectl ≥ 1.30.
pub(crate) const KUBECTL: Spec = Spec {
    program: "kubectl",
    args: &["version", "--client", "-o", "json"],
    parse: version::kubectl,
    min: Version::new(1, 30, 0),
    max_major: 1,
    fix: "install kubectl >= 1.30: `nix develop` or `just tools`; or set KUBECTL to its path",
};

/// docker ≥ 24 (the client; whether its engine answers is its own check).
pub(crate) const DOCKER: Spec = Spec {
    program: "docker",
    args: &["version", "--format", "json"],
    parse: version::docker,
    min: Version::new(24, 0, 0),
    max_major: 29,
    fix: "install Docker Engine >= 24 (https://docs.docker.com/engine/install/) or Podman >= 4 (`sudo apt install podman`)",
};

/// podman ≥ 4.
pub(crate) const PODMAN: Spec = Spec {
    program: "podman",
    args: &["version", "--format", "json"],
    parse: version::podman,
    min: Version::new(4, 0, 0),
    max_major: 5,
    fix: "install Podman >= 4 (`sudo apt install podman`) or Docker Engine >= 24",
};

/// just ≥ 1.20.
pub(crate) const JUST: Spec = Spec {
    program: "just",
    args: &["--version"],
    parse: version::just,
    min: Version::new(1, 20, 0),
    max_major: 1,
    fix: "install just >= 1.20: `nix develop`, `cargo install just` or `pipx install rust-just`; or set JUST to its path",
};

/// What looking for one tool found.
pub(crate) struct Found {
    pub spec: &'static Spec,
    pub path: Option<PathBuf>,
    pub missing: Option<String>,
    pub output: Option<Output>,
    pub version: Result<Version, String>,
}

impl Found {
    pub fn is_present(&self) -> bool {
        self.path.is_some()
    }

    /// Present, ran, and new enough.
    pub fn is_usable(&self) -> bool {
        matches!(&self.version, Ok(v) if *v >= self.spec.min)
    }
}

/// Looks for `spec`'s tool and reads its version.
pub(crate) fn find(probe: &Probe<'_>, spec: &'static Spec) -> Found {
    let path = match probe.resolve(spec.program) {
        Ok(path) => path,
        Err(e) => {
            return Found {
                spec,
                path: None,
                missing: Some(e),
                output: None,
                version: Err("not found".to_owned()),
            };
        }
    };
    let (output, version) = match probe
        .cmd(&path)
        .args(spec.args.iter().copied())
        .run_unchecked()
    {
        // Docker prints its client version and exits 1 when the engine is down, so the
        // version is read from stdout whatever the exit status.
        Ok(out) => {
            let version = (spec.parse)(&out.stdout).map_err(|e| {
                if out.success() {
                    one_line(&e.to_string())
                } else {
                    format!(
                        "`{} {}` failed (exit {}): {}",
                        spec.program,
                        spec.args.join(" "),
                        out.status,
                        one_line(&out.stderr)
                    )
                }
            });
            (Some(out), version)
        }
        Err(e) => (None, Err(one_line(&e.to_string()))),
    };
    Found {
        spec,
        path: Some(path),
        missing: None,
        output,
        version,
    }
}

/// The row for a required tool.
pub(crate) fn row(found: &Found) -> Check {
    let spec = found.spec;
    let id = format!("tool.{}", spec.program);
    let Some(path) = &found.path else {
        let detail = found.missing.as_deref().unwrap_or("not found");
        return Check::new(id, spec.program, Status::Fail, detail).fix(spec.fix);
    };
    let at = path.display();
    match &found.version {
        Err(reason) => Check::new(
            id,
            spec.program,
            Status::Warn,
            format!("found at {at}, but its version could not be read: {reason}"),
        )
        .fix(format!(
            "check that `{} {}` works; {}",
            spec.program,
            spec.args.join(" "),
            spec.fix
        )),
        Ok(v) if *v < spec.min => Check::new(
            id,
            spec.program,
            Status::Fail,
            format!("{v} at {at} is older than the minimum {}", short(spec.min)),
        )
        .fix(spec.fix),
        Ok(v) if v.major > spec.max_major => Check::new(
            id,
            spec.program,
            Status::Warn,
            format!(
                "{v} at {at}: major version {} is newer than we test (up to {})",
                v.major, spec.max_major
            ),
        ),
        Ok(v) => Check::new(
            id,
            spec.program,
            Status::Ok,
            format!("{v} (>= {}) at {at}", short(spec.min)),
        ),
    }
}

/// The two engine clients: one usable is enough, so the other's absence is only info.
pub(crate) fn engine_rows(docker: &Found, podman: &Found) -> Vec<Check> {
    let either = docker.is_usable() || podman.is_usable();
    [docker, podman]
        .into_iter()
        .map(|found| {
            let mut check = row(found);
            if either && !found.is_usable() {
                check.status = Status::Info;
                let other = if found.spec.program == "docker" {
                    "podman"
                } else {
                    "docker"
                };
                let found = if found.is_present() {
                    check.detail.as_str()
                } else {
                    "not found"
                };
                check.detail = format!("{found} (not needed: {other} is usable)");
                check.fix = None;
            }
            check
        })
        .collect()
}

/// `docker buildx version`: the kit builds with `DOCKER_BUILDKIT=1`, which Docker ≥ 23 refuses
/// without the buildx plugin. Blocking unless Podman can build instead.
pub(crate) fn buildx(probe: &Probe<'_>, docker: &Found, podman: &Found) -> Check {
    let id = "tool.docker-buildx";
    let name = "docker buildx";
    let Some(path) = &docker.path else {
        return Check::new(id, name, Status::Info, "docker not found (not needed)");
    };
    let answer = probe.cmd(path).args(["buildx", "version"]).run_unchecked();
    let reason = match answer {
        Ok(out) if out.success() => {
            // `github.com/docker/buildx v0.17.1 257815a`
            let detail = match version::generic("docker buildx version", &out.stdout) {
                Ok(v) => format!("buildx {v}"),
                Err(_) => one_line(&out.stdout),
            };
            return Check::new(id, name, Status::Ok, detail);
        }
        Ok(out) => {
            let said = one_line(&format!("{}\n{}", out.stderr, out.stdout));
            if said.is_empty() {
                format!("exit status {}", out.status)
            } else {
                said
            }
        }
        Err(e) => one_line(&e.to_string()),
    };
    let detail = format!(
        "missing ({reason}): Docker >= 23 refuses every `DOCKER_BUILDKIT=1 docker build`, which is how the kit builds"
    );
    if podman.is_usable() {
        Check::new(
            id,
            name,
            Status::Warn,
            format!("{detail}; images are built with podman instead"),
        )
        .fix(format!(
            "{} (or keep building with podman: `--engine podman`)",
            crate::docker::BUILDX_FIX
        ))
    } else {
        Check::new(id, name, Status::Fail, detail).fix(crate::docker::BUILDX_FIX)
    }
}

fn short(v: Version) -> String {
    if v.patch == 0 {
        format!("{}.{}", v.major, v.minor)
    } else {
        v.to_string()
    }
}

/// An optional tool: present is ok (with its version when it prints one), absent is info.
pub(crate) fn optional(probe: &Probe<'_>, program: &str, args: &[&str], fix: &str) -> Check {
    let id = format!("tool.{program}");
    let path = match probe.resolve(program) {
        Ok(path) => path,
        Err(_) => {
            return Check::new(id, program, Status::Info, "not found (optional)").fix(fix);
        }
    };
    let shown = format!("{program} {}", args.join(" "));
    let version = probe
        .cmd(&path)
        .args(args.iter().copied())
        .run_unchecked()
        .ok()
        .filter(Output::success)
        .and_then(|out| version::generic(&shown, &out.stdout).ok());
    let detail = match version {
        Some(v) => format!("{v} at {}", path.display()),
        None => format!("found at {}", path.display()),
    };
    Check::new(id, program, Status::Ok, detail)
}

/// `docker ai` (Gordon), a Docker CLI plugin: optional.
pub(crate) fn docker_ai(probe: &Probe<'_>, docker: &Found) -> Check {
    const FIX: &str =
        "optional: Docker Desktop 4.38+ with \"Ask Gordon\" enabled provides `docker ai`";
    let id = "tool.docker-ai";
    let Some(path) = &docker.path else {
        return Check::new(id, "docker ai", Status::Info, "docker not found (optional)").fix(FIX);
    };
    match probe.cmd(path).args(["ai", "version"]).run_unchecked() {
        Ok(out) if out.success() => {
            let detail = match version::generic("docker ai version", &out.stdout) {
                Ok(v) => format!("{v}"),
                Err(_) => "available".to_owned(),
            };
            Check::new(id, "docker ai", Status::Ok, detail)
        }
        Ok(out) => Check::new(
            id,
            "docker ai",
            Status::Info,
            format!("not available (optional): {}", one_line(&out.stderr)),
        )
        .fix(FIX),
        Err(e) => Check::new(
            id,
            "docker ai",
            Status::Info,
            format!("not available (optional): {}", one_line(&e.to_string())),
        )
        .fix(FIX),
    }
}
