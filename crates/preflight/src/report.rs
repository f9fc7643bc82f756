use std::fmt;

use serde::Serialize;

/// How a check came out. Ordered from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Ready.
    Ok,
    /// Worth knowing, never a problem (an optional tool that is absent, a skipped check).
    Info,
    /// Deploying works, but something is off (exit code 2 when nothing fails).
    Warn,
    /// Deploying would fail or do harm (exit code 1).
    Fail,
}

impl Status {
    /// The word shown in the human table.
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Info => "info",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

/// One row of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable identifier for scripts, e.g. `tool.helm`, `minikube.addon.ingress`.
    pub id: String,
    /// Short human name, e.g. `helm`.
    pub name: String,
    /// The outcome.
    pub status: Status,
    /// What was found (versions, states, sizes; never a secret's value).
    pub detail: String,
    /// The command or step that fixes it, when the status is not ok.
    pub fix: Option<String>,
}

impl Check {
    /// A check with no fix.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
    ) -> Check {
        Check {
            id: id.into(),
            name: name.into(),
            status,
            detail: detail.into(),
            fix: None,
        }
    }

    /// Adds the fix.
    pub fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }
}

/// Everything preflight found, in the order it checked.
///
/// [`Display`](fmt::Display) renders the human table; `serde_json::to_string(&report)` the
/// `--json` form (`{"profile", "minikube_profile", "context", "status", "exit_code", "checks":
/// [{"id", "name", "status", "detail", "fix"}]}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The chart profile checked for (`default`, `dev`, `prod`).
    pub profile: chart_values::Profile,
    /// The Minikube profile (cluster) checked.
    pub minikube_profile: String,
    /// The kube context a deploy would use, when known.
    pub context: Option<String>,
    /// The worst status of all checks.
    pub status: Status,
    /// [`Report::exit_code`], for scripts reading the JSON.
    pub exit_code: u8,
    /// The checks, in order.
    pub checks: Vec<Check>,
}

/// Exit code: every check passed (info rows allowed).
pub const EXIT_READY: u8 = 0;
/// Exit code: at least one blocking problem (a `FAIL` row).
pub const EXIT_BLOCKED: u8 = 1;
/// Exit code: no blocking problem, but at least one warning.
pub const EXIT_WARNINGS: u8 = 2;

impl Report {
    /// A report over `checks`.
    pub fn new(
        profile: chart_values::Profile,
        minikube_profile: impl Into<String>,
        context: Option<String>,
        checks: Vec<Check>,
    ) -> Report {
        let status = checks.iter().map(|c| c.status).max().unwrap_or(Status::Ok);
        Report {
            profile,
            minikube_profile: minikube_profile.into(),
            context,
            status,
            exit_code: exit_code_for(status),
            checks,
        }
    }

    /// [`EXIT_READY`] (0), [`EXIT_BLOCKED`] (1) or [`EXIT_WARNINGS`] (2).
    pub fn exit_code(&self) -> u8 {
        exit_code_for(self.status)
    }

    /// True when nothing blocks a deploy (warnings allowed).
    pub fn is_ready(&self) -> bool {
        self.status != Status::Fail
    }

    /// The check with this id.
    pub fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

fn exit_code_for(status: Status) -> u8 {
    match status {
        Status::Ok | Status::Info => EXIT_READY,
        Status::Warn => EXIT_WARNINGS,
        Status::Fail => EXIT_BLOCKED,
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "preflight: profile {}, minikube profile {}{}",
            self.profile,
            self.minikube_profile,
            self.context
                .as_deref()
                .map(|c| format!(", context {c}"))
                .unwrap_or_default()
        )?;
        let width = self
            .checks
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0)
            .max("CHECK".len());
        writeln!(f)?;
        writeln!(f, "  {:<width$}  {:<6}  DETAIL", "CHECK", "STATUS")?;
        for check in &self.checks {
            let mut lines = check.detail.lines();
            writeln!(
                f,
                "  {:<width$}  {:<6}  {}",
                check.name,
                check.status.label(),
                lines.next().unwrap_or_default()
            )?;
            let indent = " ".repeat(width + 12);
            for line in lines {
                writeln!(f, "{indent}{line}")?;
            }
            if let Some(fix) = &check.fix {
                for (i, line) in fix.lines().enumerate() {
                    let lead = if i == 0 { "fix: " } else { "     " };
                    writeln!(f, "{indent}{lead}{line}")?;
                }
            }
        }
        writeln!(f)?;
        let (fails, warns) = (self.count(Status::Fail), self.count(Status::Warn));
        let verdict = match self.status {
            Status::Fail => "not ready",
            Status::Warn => "ready, with warnings",
            Status::Ok | Status::Info => "ready",
        };
        write!(
            f,
            "{verdict}: {fails} blocking problem{}, {warns} warning{} (exit {})",
            plural(fails),
            plural(warns),
            self.exit_code()
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
