//! The crate's error type.

use std::path::PathBuf;

/// Why doctor could not read the cluster, or an agent could not be pinned to it. An agent that
/// runs and fails is not an error: doctor answers instead, with the agent's failure as reason.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A driver (kubectl, helm) failed, or printed what could not be read.
    #[error(transparent)]
    Cluster(#[from] cluster::Error),

    /// A tool could not be run or exited unsuccessfully (its stderr tail is included).
    #[error(transparent)]
    Exec(#[from] exec::Error),

    /// The kubeconfig that pins an agent to the target could not be written.
    #[error("writing the pinned kubeconfig in {}: {source}", dir.display())]
    PinnedKubeconfig {
        /// The temporary directory it was written in.
        dir: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
