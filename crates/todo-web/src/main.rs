//! `todo-web`: the Todo Chatbot frontend server. `todo-web` (or `todo-web serve`) runs it;
//! `todo-web healthcheck` probes a running one (Docker HEALTHCHECK).

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser};
use service_runtime::LogFormat;
use todo_web::config::OldVariable;
use todo_web::{AppState, Config};

/// `todo-web [serve] [OPTIONS]`. The first argument is dispatched by hand (see `main`) so the
/// server's flags work without a subcommand and `healthcheck` never validates them.
#[derive(Debug, Parser)]
#[command(
    name = "todo-web",
    version,
    about = "Todo Chatbot frontend: the UI plus a same-origin proxy to todo-api",
    after_help = "Subcommands:\n  serve        Run the server (the default)\n  healthcheck  Exit 0 when a running todo-web's /healthz answers 200, 1 otherwise (see `todo-web healthcheck --help`)"
)]
struct ServeCli {
    #[command(flatten)]
    args: ServeArgs,
}

/// `todo-web healthcheck [--url URL]`.
#[derive(Debug, Parser)]
#[command(
    name = "todo-web healthcheck",
    bin_name = "todo-web healthcheck",
    version,
    about = "Exit 0 when a running todo-web's /healthz answers 200, 1 otherwise"
)]
struct HealthCli {
    /// URL to probe [default: http://127.0.0.1:$PORT/healthz].
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Port of the local server, used when --url is not given.
    #[arg(long, env = "PORT", value_name = "PORT", default_value_t = 3000)]
    port: u16,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    config: Config,

    /// Log verbosity (a tracing filter such as `info` or `todo_web=debug,info`).
    #[arg(
        long,
        env = "LOG_LEVEL",
        value_name = "LOG_LEVEL",
        default_value = "info"
    )]
    log_level: String,

    /// Log line format.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_name = "LOG_FORMAT",
        value_enum,
        default_value = "pretty"
    )]
    log_format: LogFormat,
}

/// Parses the server's flags and environment like `ServeCli::parse_from`, reading an old
/// duration variable (`SHUTDOWN_DRAIN_SECS`) when only it is set; returns the old names found.
fn parse_serve(argv: Vec<OsString>) -> (ServeArgs, Vec<OldVariable>) {
    let old = OldVariable::find(|name| std::env::var_os(name).is_some());
    let mut cmd = OldVariable::read_from(ServeCli::command(), &old);
    let mut matches = cmd
        .try_get_matches_from_mut(argv)
        .unwrap_or_else(|e| e.exit());
    let cli =
        ServeCli::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| e.format(&mut cmd).exit());
    (cli.args, old)
}

async fn run_server((args, old): (ServeArgs, Vec<OldVariable>)) -> anyhow::Result<()> {
    let logs = service_runtime::logging::init(&args.log_level, args.log_format)?;
    let result = serve(args, &old).await;
    if let Err(e) = &result {
        tracing::error!(error = %format!("{e:#}"), "todo-web failed");
    }
    // Every buffered line is out before the process exits (and before the plain message).
    logs.finish();
    result
}

async fn serve(args: ServeArgs, old: &[OldVariable]) -> anyhow::Result<()> {
    for o in old {
        tracing::warn!(old = o.old, new = o.new, used = o.used, "{o}");
    }
    let config = args.config;
    let listener = todo_web::bind(&config).await?;
    let local = listener.local_addr().context("reading the bound address")?;
    tracing::info!(
        addr = %local,
        backend = %config.backend_url,
        version = env!("CARGO_PKG_VERSION"),
        backend_connect_timeout_seconds = config.backend_connect_timeout_seconds,
        backend_timeout_seconds = config.backend_timeout_seconds,
        shutdown_drain_seconds = config.shutdown_drain_seconds,
        shutdown_grace_seconds = config.shutdown_grace_seconds,
        "todo-web listening"
    );
    let state = AppState::new(config)?;
    todo_web::serve(listener, state, service_runtime::shutdown_signal()).await?;
    tracing::info!("todo-web stopped");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut argv: Vec<OsString> = std::env::args_os().collect();
    let result = match argv.get(1).and_then(|a| a.to_str()) {
        Some("healthcheck") => {
            argv.remove(1);
            let cli = HealthCli::parse_from(argv);
            let url = cli
                .url
                .unwrap_or_else(|| format!("http://127.0.0.1:{}/healthz", cli.port));
            todo_web::healthcheck(&url)
                .await
                .map_err(anyhow::Error::from)
        }
        Some("serve") => {
            argv.remove(1);
            run_server(parse_serve(argv)).await
        }
        _ => run_server(parse_serve(argv)).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Plain message, no backtrace: this is what operators read in pod logs.
            eprintln!("todo-web: {e:#}");
            ExitCode::FAILURE
        }
    }
}
