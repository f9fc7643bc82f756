//! The `todo-api` binary: serve (default), `migrate`, `healthcheck`.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use todo_api::config::{Config, ServeArgs};

/// Todo chatbot backend. Every flag falls back to the environment variable in its help.
#[derive(Debug, Parser)]
#[command(name = "todo-api", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply the embedded database migrations and exit (needs DATABASE_URL).
    Migrate,
    /// Probe GET /healthz; exit 0 when it answers 200 (for Docker's HEALTHCHECK).
    Healthcheck {
        /// Base URL to probe [default: http://127.0.0.1:$PORT].
        #[arg(long)]
        url: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Healthcheck { url }) => {
            let base = match url {
                Some(u) => u,
                None => {
                    let port = cli
                        .serve
                        .port
                        .as_deref()
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .unwrap_or("8000");
                    format!("http://127.0.0.1:{port}")
                }
            };
            match todo_api::healthcheck::probe(&base, Duration::from_secs(3)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("todo-api healthcheck: unhealthy: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Some(Command::Migrate) => run_migrate(&cli.serve),
        Some(Command::Serve) | None => run_serve(&cli.serve),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("todo-api: cannot start the async runtime: {e}");
            ExitCode::from(1)
        })
}

fn run_serve(args: &ServeArgs) -> ExitCode {
    let config = match Config::from_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("todo-api: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let logs = match service_runtime::logging::init(&config.log_level, config.log_format) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("todo-api: cannot start the log writer: {e}");
            return ExitCode::from(1);
        }
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result = rt.block_on(todo_api::server::run(
        config,
        service_runtime::shutdown_signal(),
    ));
    if let Err(e) = &result {
        tracing::error!(error = %e, "todo-api failed");
    }
    // Every buffered line is out before the process exits (and before the plain message below).
    logs.finish();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("todo-api: {e}");
            ExitCode::from(1)
        }
    }
}

fn run_migrate(args: &ServeArgs) -> ExitCode {
    let Some(url) = args
        .database_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    else {
        eprintln!(
            "todo-api migrate: invalid configuration: DATABASE_URL must be set, e.g. postgres://user:password@host:5432/db"
        );
        return ExitCode::from(2);
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result = rt.block_on(async {
        let pool = todo_api::db::pool(url, 2)?;
        let r = todo_api::db::migrate(&pool).await;
        pool.close().await;
        r
    });
    match result {
        Ok(()) => {
            eprintln!("todo-api migrate: migrations applied");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("todo-api migrate: {e}");
            ExitCode::from(1)
        }
    }
}
