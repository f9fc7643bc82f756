//! `chart check`: render (or read) manifests, parse strictly, apply the rules and ignores, and
//! report.

use std::fmt;

use serde::Serialize;

use crate::catalog::RuleId;
use crate::error::Result;
use crate::finding::{Finding, Severity};
use crate::ignores::{Ignore, Ignores};
use crate::manifest;
use crate::render::Render;
use crate::rules;

/// The result of checking one manifest stream (one chart profile, or one file).
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// What was checked, e.g. `helm/todo-chatbot` or `manifests.yaml`.
    pub target: String,
    /// The chart profile, when a chart was rendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The helm that rendered it (`helm version --short`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helm: Option<String>,
    /// The `--kube-version` used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
    /// Non-empty documents.
    pub documents: usize,
    /// Objects that parsed into a Kubernetes type.
    pub objects: usize,
    /// Every finding, ignored ones included (marked), errors first.
    pub findings: Vec<Finding>,
    /// Ignore entries that matched nothing (candidates for removal).
    pub unused_ignores: Vec<Ignore>,
}

/// A check's findings counted by what they do to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FindingCounts {
    /// Errors not ignored: each fails the check.
    pub errors: usize,
    /// Warnings not ignored: they fail it only under `--strict`.
    pub warnings: usize,
    /// Findings an ignore entry matched, of either severity.
    pub ignored: usize,
}

impl CheckReport {
    /// No finding fails the check.
    pub fn passed(&self) -> bool {
        !self.findings.iter().any(Finding::is_failing)
    }

    /// Passed, and under `strict` (as `helm lint --strict`) no warning is left either.
    pub fn passes(&self, strict: bool) -> bool {
        self.passed() && (!strict || self.counts().warnings == 0)
    }

    /// How many findings fail, warn and are ignored.
    pub fn counts(&self) -> FindingCounts {
        let count =
            |keep: &dyn Fn(&Finding) -> bool| self.findings.iter().filter(|f| keep(f)).count();
        FindingCounts {
            errors: count(&Finding::is_failing),
            warnings: count(&|f| f.severity == Severity::Warning && f.ignored.is_none()),
            ignored: count(&|f| f.ignored.is_some()),
        }
    }

    /// Distinct rules of the findings that are not ignored, in catalog order.
    pub fn rule_ids(&self) -> std::collections::BTreeSet<RuleId> {
        self.findings
            .iter()
            .filter(|f| f.ignored.is_none())
            .map(|f| f.rule)
            .collect()
    }
}

/// Checks a manifest stream (rendered by anything: helm, kustomize, a file): strict parse, every
/// rule, then the ignores (`profile` selects profile-scoped ignores).
pub fn check_manifests(
    text: &str,
    target: &str,
    profile: Option<&str>,
    ignores: &Ignores,
) -> CheckReport {
    let parsed = manifest::parse_stream(text);
    let mut findings = parsed.findings;
    findings.extend(rules::apply(&parsed.objects));
    // Errors first, then by object; within an object in catalog order (RuleId's order), so a
    // root cause (an unknown field) comes before its effect (the probe it failed to set).
    findings.sort_by(|a, b| {
        (b.severity, &a.object, a.rule, &a.path).cmp(&(a.severity, &b.object, b.rule, &b.path))
    });
    findings.dedup();
    let unused_ignores = ignores.apply(&mut findings, profile);
    CheckReport {
        target: target.to_owned(),
        profile: profile.map(str::to_owned),
        helm: None,
        kube_version: None,
        documents: parsed.documents,
        objects: parsed.objects.len(),
        findings,
        unused_ignores,
    }
}

/// Renders a chart profile with real helm and checks it.
pub fn check_chart(render: &Render, profile: &str, ignores: &Ignores) -> Result<CheckReport> {
    let text = render.render(profile)?;
    let mut report = check_manifests(
        &text,
        &render.chart.display().to_string(),
        Some(profile),
        ignores,
    );
    report.helm = Some(render.helm_version()?);
    report.kube_version = Some(render.kube_version.clone());
    Ok(report)
}

/// Several [`CheckReport`]s (one per profile, or per helm) printed as one.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChartReport {
    /// One report per checked profile.
    pub checks: Vec<CheckReport>,
}

impl ChartReport {
    /// Every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(CheckReport::passed)
    }

    /// Every check [passes](CheckReport::passes) under `strict`.
    pub fn passes(&self, strict: bool) -> bool {
        self.checks.iter().all(|check| check.passes(strict))
    }
}

/// Checks the given profiles (every profile of the chart when `profiles` is empty).
pub fn check_profiles(
    render: &Render,
    profiles: &[String],
    ignores: &Ignores,
) -> Result<ChartReport> {
    let all;
    let profiles = if profiles.is_empty() {
        all = render.profiles()?;
        &all
    } else {
        profiles
    };
    let mut report = ChartReport::default();
    for p in profiles {
        report.checks.push(check_chart(render, p, ignores)?);
    }
    Ok(report)
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chart check: {}", self.target)?;
        if let Some(p) = &self.profile {
            write!(f, " (profile {p}")?;
            if let Some(h) = &self.helm {
                write!(f, ", helm {h}")?;
            }
            if let Some(k) = &self.kube_version {
                write!(f, ", kube {k}")?;
            }
            write!(f, ")")?;
        }
        writeln!(
            f,
            ": {} objects in {} documents",
            self.objects, self.documents
        )?;
        for finding in &self.findings {
            let sev = match (finding.ignored.is_some(), finding.severity) {
                (true, _) => "ignored",
                (false, Severity::Error) => "ERROR",
                (false, Severity::Warning) => "warning",
            };
            write!(f, "  {sev:<8} {:<26} {}", finding.rule, finding.object)?;
            if let Some(p) = &finding.path {
                write!(f, "  {p}")?;
            }
            writeln!(f)?;
            writeln!(f, "           {}", finding.message)?;
            if let Some(reason) = &finding.ignored {
                writeln!(f, "           ignored: {reason}")?;
            } else {
                writeln!(f, "           fix: {}", finding.rule.rule().fix)?;
            }
            if let Some(src) = &finding.source {
                writeln!(f, "           in: {src}")?;
            }
        }
        for ig in &self.unused_ignores {
            writeln!(
                f,
                "  note     unused ignore for rule {}{}: it matched nothing; remove it?",
                ig.rule,
                ig.object
                    .as_deref()
                    .map(|o| format!(" on {o}"))
                    .unwrap_or_default()
            )?;
        }
        let FindingCounts {
            errors,
            warnings,
            ignored,
        } = self.counts();
        writeln!(
            f,
            "  {}: {errors} error(s), {warnings} warning(s), {ignored} ignored",
            if self.passed() { "PASS" } else { "FAIL" }
        )
    }
}

impl fmt::Display for ChartReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.checks.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(findings: Vec<Finding>) -> CheckReport {
        CheckReport {
            target: "manifests.yaml".into(),
            profile: None,
            helm: None,
            kube_version: None,
            documents: 1,
            objects: 1,
            findings,
            unused_ignores: Vec::new(),
        }
    }

    #[test]
    fn strict_fails_on_warnings_that_are_not_ignored() {
        let warning = || Finding::new(RuleId::ImagePullPolicy, "Deployment/web", "implicit");
        assert_eq!(warning().severity, Severity::Warning);
        let clean = report(Vec::new());
        let warned = report(vec![warning()]);
        let mut ignored = warning();
        ignored.ignored = Some("on purpose".into());
        let ignored = report(vec![ignored]);
        let failed = report(vec![Finding::new(
            RuleId::UnknownField,
            "Deployment/web",
            "x",
        )]);
        for (report, lax, strict) in [
            (&clean, true, true),
            (&warned, true, false),
            (&ignored, true, true),
            (&failed, false, false),
        ] {
            assert_eq!(report.passes(false), lax, "{report}");
            assert_eq!(report.passes(true), strict, "{report}");
        }
        let chart = ChartReport {
            checks: vec![clean.clone(), warned.clone()],
        };
        assert!(chart.passes(false));
        assert!(!chart.passes(true));
    }
}
