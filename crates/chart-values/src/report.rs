//! Reports for the CLI: `Display` for people, `Serialize` for `--json`.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use crate::{Merged, Origin, Profile, is_secret_key};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Works, but probably not as intended.
    Warning,
    /// Helm would reject it, or the release would not work.
    Error,
}

/// One problem found in the values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// Stable rule id (`unknown-key`, `type`, `requests-within-limits`, ...).
    pub rule: String,
    /// The key path the problem is about, as `--set` spells it.
    pub key: Option<String>,
    /// The file (line, column) or `--set` that set the key.
    pub origin: Option<Origin>,
    /// What is wrong (never contains a secret value).
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.origin {
            Some(o) => write!(f, "{o}: {sev}")?,
            None => write!(f, "{sev}")?,
        }
        if let Some(k) = &self.key {
            write!(f, ": {k}")?;
        }
        write!(f, ": {} [{}]", self.message, self.rule)?;
        if let Some(h) = &self.hint {
            write!(f, "\n    hint: {h}")?;
        }
        Ok(())
    }
}

/// Result of `todoctl values check`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValuesReport {
    /// The profile checked.
    pub profile: Profile,
    /// Sources in the order applied.
    pub sources: Vec<String>,
    /// Every problem found, errors first.
    pub problems: Vec<Problem>,
}

impl ValuesReport {
    /// No errors (warnings allowed).
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.errors().next().is_none()
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    /// Problems of one rule (handy in tests).
    pub fn by_rule<'a>(&'a self, rule: &'a str) -> impl Iterator<Item = &'a Problem> {
        self.problems.iter().filter(move |p| p.rule == rule)
    }
}

impl fmt::Display for ValuesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "{p}")?;
        }
        let errors = self.errors().count();
        let warnings = self.problems.len() - errors;
        if errors == 0 {
            write!(
                f,
                "values OK for profile {} ({} source(s), {warnings} warning(s))",
                self.profile,
                self.sources.len()
            )
        } else {
            write!(
                f,
                "{errors} error(s), {warnings} warning(s) in profile {} (sources: {})",
                self.profile,
                self.sources.join(", ")
            )
        }
    }
}

/// Result of `todoctl values show`: the merged values (secrets redacted) and their sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShowReport {
    /// The profile shown.
    pub profile: Profile,
    /// Sources in the order applied.
    pub sources: Vec<String>,
    /// The merged values, as Helm's `.Values`; secret values replaced by `***`.
    pub values: Value,
}

impl ShowReport {
    pub(crate) fn new(profile: Profile, merged: &Merged) -> Self {
        let mut values = merged.values.clone();
        redact(&mut values, "");
        Self {
            profile,
            sources: merged.sources.clone(),
            values,
        }
    }
}

fn redact(v: &mut Value, prefix: &str) {
    if let Value::Object(m) = v {
        for (k, child) in m.iter_mut() {
            let p = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if is_secret_key(&p) {
                if child.as_str().is_some_and(|s| !s.is_empty()) || !child.is_string() {
                    *child = Value::String("***".into());
                }
            } else {
                redact(child, &p);
            }
        }
    }
}

impl fmt::Display for ShowReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "# profile: {}", self.profile)?;
        for s in &self.sources {
            writeln!(f, "# source: {s}")?;
        }
        let yaml = serde_saphyr::to_string(&self.values).map_err(|_| fmt::Error)?;
        f.write_str(&yaml)
    }
}

/// Result of `todoctl values schema` (`--check` / `--write`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemaReport {
    /// The chart's `values.schema.json`.
    pub path: PathBuf,
    /// The committed schema (and README table, if any) equal the generated ones.
    pub in_sync: bool,
    /// The README's values table equals the generated one (None: no table in the chart).
    pub readme_in_sync: Option<bool>,
    /// This call rewrote the file.
    pub written: bool,
    /// The generated schema.
    pub schema: Value,
}

impl fmt::Display for SchemaReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.written {
            write!(f, "wrote {}", self.path.display())
        } else if self.in_sync {
            write!(f, "{} is up to date", self.path.display())
        } else if self.readme_in_sync == Some(false) {
            write!(
                f,
                "the values table in the chart's README.md is out of date: run `todoctl values schema --write`"
            )
        } else {
            write!(
                f,
                "{} is out of date with the chart-values types: run `todoctl values schema --write`",
                self.path.display()
            )
        }
    }
}
