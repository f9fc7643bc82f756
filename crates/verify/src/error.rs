use std::path::PathBuf;

/// Everything that can stop a check from producing a report.
///
/// A failed *check* is not an error: it is a report with findings. These are the cases where
/// there is nothing to report on (a tool is missing, a file cannot be read, a process died).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An external tool (helm, kubectl, our binaries) failed or could not be started.
    #[error(transparent)]
    Exec(#[from] exec::Error),

    /// The deploy's values could not be read (the release check's inputs).
    #[error(transparent)]
    Cluster(#[from] cluster::Error),

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },

    /// The ignore file is not valid.
    #[error("{path}: {message}")]
    Ignores {
        /// The ignore file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A chart profile was asked for that has no values file.
    #[error(
        "profile {profile:?} not found: expected {expected} (profiles are values-<name>.yaml next to values.yaml; found: {found})"
    )]
    UnknownProfile {
        /// The profile asked for.
        profile: String,
        /// The file that would define it.
        expected: PathBuf,
        /// The profiles the chart has.
        found: String,
    },

    /// The chart directory has no Chart.yaml.
    #[error(
        "{0}: not a Helm chart (no Chart.yaml); pass the chart directory, e.g. helm/todo-chatbot"
    )]
    NotAChart(PathBuf),

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

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
