//! `todoctl values show|check|schema`: the chart's values, typed and checked.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};

use crate::cli::GlobalArgs;
use crate::output;

/// Show, check or generate the schema of the chart's values.
#[derive(Debug, Args)]
pub struct ValuesArgs {
    #[command(subcommand)]
    command: ValuesCommand,
}

#[derive(Debug, Subcommand)]
enum ValuesCommand {
    /// Print the merged values and where each key came from.
    Show(Sources),
    /// Check the merged values: unknown keys, types and cross-field rules, with file:line.
    Check(Sources),
    /// Compare the committed values.schema.json with the one generated from the types.
    Schema {
        /// The chart directory.
        #[arg(long, default_value = "helm/todo-chatbot")]
        chart: PathBuf,
        /// Rewrite the committed schema instead of comparing.
        #[arg(long)]
        write: bool,
    },
}

/// The values sources, in Helm's order.
#[derive(Debug, Args)]
struct Sources {
    /// The chart directory.
    #[arg(long, default_value = "helm/todo-chatbot")]
    chart: PathBuf,
    /// The profile layered over values.yaml: default, dev or prod.
    #[arg(long, default_value = "default")]
    profile: chart_values::Profile,
    /// Extra values files, applied after the profile, in order.
    #[arg(short = 'f', long = "values")]
    files: Vec<PathBuf>,
    /// Overrides as Helm's --set takes them (key.path=value), applied last.
    #[arg(long = "set")]
    sets: Vec<String>,
    /// Overrides kept as strings, as Helm's --set-string takes them.
    #[arg(long = "set-string")]
    set_strings: Vec<String>,
}

impl Sources {
    fn inputs(self) -> chart_values::Inputs {
        chart_values::Inputs {
            chart_dir: self.chart,
            profile: self.profile,
            files: self.files,
            sets: self.sets,
            set_strings: self.set_strings,
        }
    }
}

pub fn run(args: ValuesArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ValuesCommand::Show(sources) => {
            output::report(global, &chart_values::show(&sources.inputs())?)?;
            Ok(ExitCode::SUCCESS)
        }
        ValuesCommand::Check(sources) => {
            let report = chart_values::check(&sources.inputs())?;
            output::report(global, &report)?;
            Ok(if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        ValuesCommand::Schema { chart, write } => {
            let report = if write {
                chart_values::write_schema(&chart)?
            } else {
                chart_values::schema_status(&chart)?
            };
            output::report(global, &report)?;
            if !report.in_sync {
                bail!(
                    "{} is out of date: run `todoctl values schema --write`",
                    report.path.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
