use std::time::Duration;

/// Why a command could not be run or did not succeed.
///
/// Every variant carries the redacted command line, so the message alone says what was run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The program is neither named by its environment override nor on `PATH`.
    #[error("{program} not found: {hint}")]
    NotFound {
        /// The program as the caller named it.
        program: String,
        /// What to do about it.
        hint: String,
    },
    /// The operating system refused to start the program.
    #[error("could not start `{command}`: {source}")]
    Spawn {
        /// The redacted command line.
        command: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The program ran and exited unsuccessfully.
    #[error("`{command}` failed with {}{}", describe_status(*status), stderr_suffix(stderr))]
    Failed {
        /// The redacted command line.
        command: String,
        /// The exit code, or -1 when a signal ended the process.
        status: i32,
        /// The last lines of the program's stderr (secrets scrubbed).
        stderr: String,
    },
    /// The program outlived its timeout and was killed.
    #[error(
        "`{command}` timed out after {after:?} and was killed{}",
        stderr_suffix(stderr)
    )]
    Timeout {
        /// The redacted command line.
        command: String,
        /// The timeout that expired.
        after: Duration,
        /// The last lines of the program's stderr before it was killed (secrets scrubbed).
        stderr: String,
    },
    /// The process is stopping (SIGINT or SIGTERM arrived), so the program was not started.
    #[error("`{command}` was not started: stopping on {signal}")]
    Interrupted {
        /// The redacted command line.
        command: String,
        /// `SIGINT` or `SIGTERM`.
        signal: &'static str,
    },
    /// Waiting for, signalling or reading from the process failed.
    #[error("`{command}`: {source}")]
    Io {
        /// The redacted command line.
        command: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// The tool's stderr tail, for callers that classify failures by what the tool said.
    pub fn stderr(&self) -> Option<&str> {
        match self {
            Error::Failed { stderr, .. } | Error::Timeout { stderr, .. } => Some(stderr),
            _ => None,
        }
    }
}

fn describe_status(status: i32) -> String {
    if status < 0 {
        "a signal".to_owned()
    } else {
        format!("exit status {status}")
    }
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.trim().is_empty() {
        String::new()
    } else {
        format!(":\n{}", stderr.trim_end())
    }
}
