use std::path::PathBuf;

/// Everything that can stop a check from producing a report.
///
/// A failed *check* is not an error: it is a report with findings. These are the cases where
/// there is nothing to report on (helm is missing or fails, a file cannot be read, the ignore
/// file or the profile is wrong).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// helm failed or could not be started.
    #[error(transparent)]
    Exec(#[from] exec::Error),

    /// A file could not be read.
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
