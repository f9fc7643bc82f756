use std::path::PathBuf;

/// Why a Dockerfile or `.dockerignore` gave nothing to check; broken rules are [`Finding`]s,
/// not errors.
///
/// [`Finding`]: crate::Finding
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
    /// A Dockerfile does not parse.
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        /// The Dockerfile.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
}
