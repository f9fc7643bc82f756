//! The deploy's chart check: the chart rendered as the release step installs it, checked
//! before helm runs.

use cluster::{DeployOptions, PodSecurityLevel};

use chart_check::{ChartReport, Ignore, Ignores, Render, RuleId, check_profiles};

use crate::error::Result;

/// Checks what a deploy installs: `options`' profile of its chart, rendered with the release
/// name, namespace, values files and Kubernetes version the release step uses (so a name the
/// release makes too long, or a value the user sets, is checked too) with `helm`. The ignores
/// are the chart's own `verify-ignores.yaml` plus what the values ask for on purpose
/// ([`intended_by_the_values`]). The deploy requires [`ChartReport::passes`]`(true)`: no error
/// and no warning.
pub fn check_release(
    options: &DeployOptions,
    release: &str,
    namespace: &str,
) -> Result<ChartReport> {
    let mut render = Render::new(&options.chart, &options.kube_version);
    render.release = release.to_owned();
    render.namespace = namespace.to_owned();
    render.values = options.extra_values.clone();
    let mut ignores = Ignores::of_chart(&options.chart)?;
    ignores.entries.extend(intended_by_the_values(options)?);
    Ok(check_profiles(
        &render,
        &[options.profile.to_string()],
        &ignores,
    )?)
}

/// Findings the deploy's values ask for on purpose, as ignores for its chart check: a Secret
/// they name is created outside the chart (if it is missing from the cluster too, the release
/// step says so), and the database's chown init container runs as root with CHOWN in a
/// namespace the release step labels Pod Security `baseline`.
pub fn intended_by_the_values(options: &DeployOptions) -> Result<Vec<Ignore>> {
    let ignore =
        |rule: RuleId, object: Option<&str>, subject: Option<String>, reason: String| Ignore {
            rule,
            object: object.map(str::to_owned),
            subject,
            profile: None,
            reason,
        };
    let mut out: Vec<Ignore> = options
        .values()?
        .external_secrets()
        .into_iter()
        .map(|(key, name)| {
            ignore(
                RuleId::DanglingReference,
                None,
                Some(format!("Secret/{name}")),
                format!("named by {key}: created outside the chart"),
            )
        })
        .collect();
    if options.pod_security()? == PodSecurityLevel::Baseline {
        for rule in [RuleId::PssRunAsNonRoot, RuleId::PssCapabilities] {
            out.push(ignore(
                rule,
                Some("StatefulSet/*"),
                None,
                "postgresql.volumePermissions: the chown init container needs Pod Security baseline, which the release step labels the namespace with".into(),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_lets_through_what_the_values_ask_for_on_purpose() {
        let check = |values: &str, expect: &[(RuleId, Option<&str>)]| {
            let dir = tempfile::tempdir().expect("temp dir");
            let file = dir.path().join("values.yaml");
            std::fs::write(&file, values).expect("values file");
            let chart =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../helm/todo-chatbot");
            let options = DeployOptions {
                extra_values: vec![file],
                ..DeployOptions::new(&chart, cluster::Profile::Dev)
            };
            let ignores = intended_by_the_values(&options).expect("values");
            let got: Vec<(RuleId, Option<&str>)> = ignores
                .iter()
                .map(|i| (i.rule, i.subject.as_deref()))
                .collect();
            assert_eq!(got, expect, "{values}");
        };
        check("{}", &[]);
        check(
            "secrets:\n  existingSecret: app-keys\n",
            &[(RuleId::DanglingReference, Some("Secret/app-keys"))],
        );
        check(
            "postgresql:\n  volumePermissions:\n    enabled: true\n",
            &[
                (RuleId::PssRunAsNonRoot, None),
                (RuleId::PssCapabilities, None),
            ],
        );
    }

    /// The release's name, namespace, values files and Kubernetes version reach the render.
    #[test]
    fn the_release_check_renders_what_the_release_installs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("values.yaml");
        std::fs::write(&file, "secrets:\n  existingSecret: app-keys\n").expect("values file");
        let chart =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../helm/todo-chatbot");
        let options = DeployOptions {
            extra_values: vec![file],
            kube_version: "1.34.2".into(),
            ..DeployOptions::new(&chart, cluster::Profile::Dev)
        };
        let report = check_release(&options, "shop", "shop-ns").expect("check");
        assert_eq!(report.checks.len(), 1);
        let check = &report.checks[0];
        assert_eq!(check.profile.as_deref(), Some("dev"));
        assert_eq!(check.kube_version.as_deref(), Some("1.34.2"));
        assert!(report.passes(true), "{report}");
        // The user's Secret is let through, not missing.
        assert!(
            check
                .findings
                .iter()
                .any(|f| f.rule == RuleId::DanglingReference && f.ignored.is_some()),
            "{report}"
        );
    }
}
