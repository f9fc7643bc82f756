/// Everything that can stop a check from producing a report.
///
/// A failed *check* is not an error: it is a report with findings. These are the cases where
/// there is nothing to report on (a tool is missing, the chart cannot be rendered, a process
/// died).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An external tool (helm, kubectl, our binaries) failed or could not be started.
    #[error(transparent)]
    Exec(#[from] exec::Error),

    /// The deploy's values could not be read (the release check's inputs).
    #[error(transparent)]
    Cluster(#[from] cluster::Error),

    /// The chart could not be rendered or checked.
    #[error(transparent)]
    Check(#[from] chart_check::Error),

    /// The rendered manifests cannot drive a local run (for example no Deployment).
    #[error("{0}")]
    Local(String),

    /// Talking to PostgreSQL failed.
    #[error("PostgreSQL ({what}): {message}")]
    Database {
        /// What we were doing.
        what: String,
        /// The driver's message (never the password).
        message: String,
    },

    /// Output of a tool could not be understood.
    #[error("could not parse the output of `{command}`: {message}")]
    ToolOutput {
        /// The redacted command line.
        command: String,
        /// What did not parse.
        message: String,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
