//! Per-rule ignores, each with a written reason.
//!
//! ```yaml
//! ignores:
//!   - rule: dangling-reference
//!     object: Deployment/todo-chatbot-backend   # optional, `*` wildcards
//!     subject: Secret/todo-chatbot-database     # optional, `*` wildcards
//!     profile: prod                             # optional: only in this chart profile
//!     reason: Created by the operator before install (see values-prod.yaml).
//! ```
//!
//! An ignored finding stays in the report, marked with its reason, and no longer fails the
//! check. An ignore that matches nothing is reported, so stale ignores do not pile up.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalog::RuleId;
use crate::error::{Error, Result};
use crate::finding::Finding;

/// One ignore entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ignore {
    /// The rule it silences.
    pub rule: RuleId,
    /// `Kind/name` of the object (wildcards `*`); any object when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The finding's subject (wildcards `*`); any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Chart profile the ignore applies to; all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Why this finding is acceptable. Required.
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    ignores: Vec<Ignore>,
}

/// A set of ignores.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ignores {
    /// The entries.
    pub entries: Vec<Ignore>,
}

impl Ignores {
    /// The file a chart keeps its own ignores in, read by every check of that chart.
    pub const CHART_FILE: &str = "verify-ignores.yaml";

    /// The chart's own ignores (`<chart>/verify-ignores.yaml`); none when it has no such file.
    pub fn of_chart(chart: &Path) -> Result<Self> {
        let path = chart.join(Self::CHART_FILE);
        if path.exists() {
            Self::load(&path)
        } else {
            Ok(Self::default())
        }
    }

    /// Reads and validates an ignore file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text).map_err(|message| Error::Ignores {
            path: path.to_owned(),
            message,
        })
    }

    /// Parses and validates ignore YAML; the error says which entry is wrong and why.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let file: File = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        for (i, ig) in file.ignores.iter().enumerate() {
            if ig.reason.trim().len() < 10 {
                return Err(format!(
                    "ignores[{i}] (rule {}): a written reason is required (at least a short sentence)",
                    ig.rule
                ));
            }
        }
        Ok(Self {
            entries: file.ignores,
        })
    }

    /// Adds the entries of another set (several `--ignores` files).
    pub fn extend(&mut self, other: Ignores) {
        self.entries.extend(other.entries);
    }

    /// Marks matching findings as ignored; returns the entries that matched nothing.
    pub fn apply(&self, findings: &mut [Finding], profile: Option<&str>) -> Vec<Ignore> {
        let mut unused = Vec::new();
        for ig in &self.entries {
            if ig.profile.as_deref().is_some_and(|p| Some(p) != profile) {
                continue;
            }
            let mut used = false;
            for f in findings.iter_mut() {
                if ig.matches(f) {
                    f.ignored = Some(ig.reason.clone());
                    used = true;
                }
            }
            if !used {
                unused.push(ig.clone());
            }
        }
        unused
    }
}

impl Ignore {
    /// Whether this entry covers the finding (profile aside).
    pub fn matches(&self, f: &Finding) -> bool {
        self.rule == f.rule
            && self.object.as_deref().is_none_or(|p| glob(p, &f.object))
            && self
                .subject
                .as_deref()
                .is_none_or(|p| f.subject.as_deref().is_some_and(|s| glob(p, s)))
    }
}

/// `*` matches any run of characters; everything else is literal.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(pos) = rest.find(part) else {
                return false;
            };
            rest = &rest[pos + part.len()..];
        }
    }
    true
}
