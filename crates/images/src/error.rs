use std::path::PathBuf;

use dockerfile_check::Finding;

/// Everything that can go wrong in this crate; each variant names the file, image or command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A Dockerfile or `.dockerignore` could not be read or parsed.
    #[error(transparent)]
    Dockerfile(#[from] dockerfile_check::Error),
    /// Dockerfiles break rules (see [`dockerfile_check::RuleId`]).
    #[error("{} Dockerfile rule violation(s):\n{}", findings.len(), findings.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Rules {
        /// The broken rules.
        findings: Vec<Finding>,
    },
    /// An external tool failed (its stderr is inside).
    #[error(transparent)]
    Exec(#[from] exec::Error),
    /// No build engine could be found or the requested one is unusable.
    #[error("no usable image builder: {reason}\n  fix: {fix}")]
    NoEngine {
        /// What was tried.
        reason: String,
        /// What to do.
        fix: String,
    },
    /// Docker refused to build: BuildKit is on (the kit sets `DOCKER_BUILDKIT=1`) and the buildx
    /// plugin is missing, which Docker ≥ 23 does not accept.
    #[error(
        "`{command}` failed: Docker refuses BuildKit builds without the buildx plugin (\"BuildKit is enabled but the buildx component is missing or broken\")\n  fix: {}, or build with `--engine podman`",
        preflight::docker::BUILDX_FIX
    )]
    BuildxMissing {
        /// The build command (redacted).
        command: String,
    },
    /// No way to put images into the target cluster is known, or the one asked for cannot work.
    #[error("cannot load the images: {reason}\n  fix: {fix}")]
    NoLoader {
        /// Why.
        reason: String,
        /// What to do.
        fix: String,
    },
    /// A tool answered with output we cannot read.
    #[error("could not read the output of `{command}`: {message}")]
    Output {
        /// The command (redacted).
        command: String,
        /// What was wrong with it.
        message: String,
    },
    /// An image is larger than its budget.
    #[error(
        "{image} is {actual_mb:.1} MB, over its budget of {budget_mb:.1} MB\n  fix: check what the final stage copies (`podman history {image}`), or raise the budget on purpose"
    )]
    OverBudget {
        /// The image reference.
        image: String,
        /// Measured size in MB (10^6 bytes).
        actual_mb: f64,
        /// The budget in MB.
        budget_mb: f64,
    },
    /// After `minikube image load`, the cluster's image differs from the one built (or is absent).
    #[error("{image}: the cluster has {}, but the build produced {built}\n  fix: {fix}", found.as_deref().unwrap_or("no such image"))]
    ClusterMismatch {
        /// The image reference.
        image: String,
        /// The image ID the build produced.
        built: String,
        /// The image ID in the cluster, if any.
        found: Option<String>,
        /// What to do.
        fix: String,
    },
    /// A configuration value is invalid (budget, override, image name).
    #[error("invalid {what}: {message}")]
    Invalid {
        /// Which setting.
        what: String,
        /// What is wrong and what is expected.
        message: String,
    },
}
