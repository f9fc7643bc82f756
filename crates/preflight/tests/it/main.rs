//! preflight's integration tests: version parsing on real tool output, the report, the
//! profile's needs from the chart, the checks against fake minikube/kubectl/docker, and the
//! checks against the real helm, kubectl, podman and docker client on this machine.
#![allow(clippy::unwrap_used, missing_docs)]

mod checks;
mod fake;
mod real;
mod report;
mod values;
mod versions;

use std::path::PathBuf;

/// A fixture's text.
pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The workspace root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
