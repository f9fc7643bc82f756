//! Running the two Helm majors through `exec` (a missing helm fails the test loudly).

use std::path::Path;
use std::time::Duration;

use exec::Cmd;

/// The Helm majors every chart test runs with: `helm` (4.x) and `helm3` (3.x).
pub const MAJORS: [&str; 2] = ["helm", "helm3"];

/// `helm template` with `--kube-version 1.33`; Ok(stdout) or Err(stderr).
pub fn template(
    helm: &str,
    chart: &Path,
    release: &str,
    args: &[String],
) -> Result<String, String> {
    let out = Cmd::new(helm)
        .args(["template", release])
        .arg(chart.display().to_string())
        .args(["--namespace", "todo-chatbot", "--kube-version", "1.33"])
        .args(args.iter().cloned())
        .timeout(Duration::from_secs(120))
        .run_unchecked()
        .unwrap_or_else(|e| panic!("{helm} must be installed (just tools): {e}"));
    if out.status == 0 {
        Ok(out.stdout)
    } else {
        Err(out.stderr)
    }
}

/// `helm lint --strict`; Ok(stdout) or Err(stdout+stderr).
pub fn lint(helm: &str, chart: &Path, args: &[String]) -> Result<String, String> {
    let out = Cmd::new(helm)
        .args(["lint", "--strict"])
        .arg(chart.display().to_string())
        .args(args.iter().cloned())
        .timeout(Duration::from_secs(120))
        .run_unchecked()
        .unwrap_or_else(|e| panic!("{helm} must be installed (just tools): {e}"));
    if out.status == 0 {
        Ok(out.stdout)
    } else {
        Err(format!("{}{}", out.stdout, out.stderr))
    }
}

/// `helm install --dry-run=client` output (NOTES included).
pub fn install_dry_run(helm: &str, chart: &Path, release: &str, args: &[String]) -> String {
    Cmd::new(helm)
        .args(["install", release])
        .arg(chart.display().to_string())
        .args(["--namespace", "todo-chatbot", "--dry-run=client"])
        .args(args.iter().cloned())
        .timeout(Duration::from_secs(120))
        .run()
        .unwrap_or_else(|e| panic!("{helm} install --dry-run=client failed: {e}"))
        .stdout
}

/// The documents of a rendered manifest stream, parsed.
pub fn documents(rendered: &str) -> Vec<serde_json::Value> {
    rendered
        .split("\n---")
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .map(|d| {
            serde_saphyr::from_str::<serde_json::Value>(d).unwrap_or_else(|e| panic!("{e}\n{d}"))
        })
        .filter(|v| !v.is_null())
        .collect()
}

/// The one document of `kind` named `name`.
pub fn find<'a>(
    docs: &'a [serde_json::Value],
    kind: &str,
    name: &str,
) -> Option<&'a serde_json::Value> {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
}
