/// What can go wrong while preparing the checks (the checks themselves never fail: a problem
/// they find is a [`crate::Status::Fail`] row in the report).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A tool's output did not have the shape we read.
    #[error("could not read the output of `{command}`: {reason}\noutput was:\n{output}")]
    Parse {
        /// The command line whose output this was.
        command: String,
        /// What was expected and not found.
        reason: String,
        /// The start of the output, for the reader to compare.
        output: String,
    },
    /// The chart's values files could not be read or merged.
    #[error(transparent)]
    Values(#[from] chart_values::Error),
    /// A chart values key has the wrong type.
    #[error("{path}: key `{key}` must be {expected}")]
    ValuesKey {
        /// The file.
        path: String,
        /// The dotted key.
        key: String,
        /// The type it must have.
        expected: &'static str,
    },
}

impl Error {
    pub(crate) fn parse(command: &str, reason: impl Into<String>, output: &str) -> Error {
        let mut shown: String = output.chars().take(400).collect();
        if shown.len() < output.len() {
            shown.push('…');
        }
        Error::Parse {
            command: command.to_owned(),
            reason: reason.into(),
            output: shown,
        }
    }
}
