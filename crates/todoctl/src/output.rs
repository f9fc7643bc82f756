//! How todoctl presents results and errors: human text on stdout, or JSON with `--json`;
//! progress and errors on stderr.

use std::fmt::Display;

use serde::Serialize;

use crate::cli::GlobalArgs;

/// Exit code for a command that failed (see README, "Exit codes").
pub const EXIT_ERROR: u8 = 1;

/// Prints a report as JSON (`--json`) or as its human rendering.
pub fn report<T: Display + Serialize>(global: &GlobalArgs, report: &T) -> anyhow::Result<()> {
    report_as(global, report, report)
}

/// Prints `json` as JSON (`--json`) or `text`: for values whose human rendering is not their
/// own `Display` (build it with `std::fmt::from_fn`).
pub fn report_as(
    global: &GlobalArgs,
    json: &impl Serialize,
    text: impl Display,
) -> anyhow::Result<()> {
    if global.json {
        println!("{}", serde_json::to_string_pretty(json)?);
    } else {
        println!("{text}");
    }
    Ok(())
}

/// Prints the report of one step of a longer command. As text it goes to stdout now; with
/// `--json` it joins the command's final document instead (stdout holds one document), so only
/// a failed step is shown now, as text on stderr, before the error that ends the command.
pub fn step_report(global: &GlobalArgs, report: impl Display, passed: bool) {
    if !global.json {
        println!("{report}");
    } else if !passed {
        eprintln!("{report}");
    }
}

/// Prints a progress note on stderr (never on stdout, which belongs to the report).
pub fn progress(message: impl Display) {
    eprintln!("{message}");
}

/// Prints the commands a dry run recorded, numbered, on stdout.
pub fn plan(global: &GlobalArgs, commands: &[String]) -> anyhow::Result<()> {
    if global.json {
        println!("{}", serde_json::to_string_pretty(commands)?);
    } else {
        for (i, command) in commands.iter().enumerate() {
            println!("{:>3}. {command}", i + 1);
        }
    }
    Ok(())
}

/// Prints an error and its causes to stderr, one per line.
pub fn error(err: &anyhow::Error) {
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}
