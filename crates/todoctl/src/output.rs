//! How todoctl presents results and errors.

/// Exit code for a command that failed (see README, "Exit codes").
pub const EXIT_ERROR: u8 = 1;

/// Prints an error and its causes to stderr, one per line.
pub fn error(err: &anyhow::Error) {
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}
