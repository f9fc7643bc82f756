//! Findings: what a check found, tied to a rule of the catalog, an object and a field path.

use std::fmt;

use serde::Serialize;

use crate::catalog::RuleId;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look; does not fail the check.
    Warning,
    /// Fails the check (non-zero exit) unless ignored with a reason.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Warning => "warning",
            Self::Error => "error",
        })
    }
}

/// One problem found in the manifests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule of the catalog, e.g. `unknown-field`.
    pub rule: RuleId,
    /// The rule's severity.
    pub severity: Severity,
    /// The object, as `Kind/name` (or `document #N` when it has no kind or name).
    pub object: String,
    /// Field path inside the object, e.g. `spec.template.spec.containers[0].livenessProb`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// What is wrong, in a sentence.
    pub message: String,
    /// What the finding is about beyond the object (a referenced `Secret/name`, a container),
    /// so an ignore can target exactly one finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The template that produced the object (from helm's `# Source:` comment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The written reason when an ignore matched: the finding no longer fails the check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
}

impl Finding {
    /// A finding of `rule` (its severity comes from the catalog) on `object`.
    pub fn new(rule: RuleId, object: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            rule,
            severity: rule.rule().severity,
            object: object.into(),
            path: None,
            message: message.into(),
            subject: None,
            source: None,
            ignored: None,
        }
    }

    /// Sets the field path.
    #[must_use]
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sets the subject (what an ignore's `subject` matches).
    #[must_use]
    pub fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// True when this finding fails the check: an error that no ignore covers.
    pub fn is_failing(&self) -> bool {
        self.severity == Severity::Error && self.ignored.is_none()
    }
}
