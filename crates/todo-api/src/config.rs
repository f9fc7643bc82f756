//! Configuration: command-line flags with environment fallback, validated into [`Config`].
//!
//! Every value is read as a string and checked here (not by clap's typed parsers) so that a bad
//! value is reported with the *environment variable* name and its rule, e.g.
//! `JWT_SECRET must be at least 32 bytes`, and secret values are never echoed.

use std::net::IpAddr;
use std::time::Duration;

use clap::Args;

use todo_agent::LlmConfig;

use crate::error::{Error, Result};

/// Raw settings as given on the command line or in the environment.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// PostgreSQL URL, e.g. postgres://user:pass@host:5432/db.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Secret that signs the auth tokens (at least 32 bytes).
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// TCP port to listen on [default: 8000].
    #[arg(long, env = "PORT")]
    pub port: Option<String>,
    /// Address to bind [default: 0.0.0.0].
    #[arg(long, env = "BIND_ADDR")]
    pub bind_addr: Option<String>,
    /// Comma-separated browser origins allowed by CORS (empty: no CORS headers).
    #[arg(long, env = "CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Log filter, e.g. `info` or `todo_api=debug,info` [default: info].
    #[arg(long, env = "LOG_LEVEL")]
    pub log_level: Option<String>,
    /// Log format: json or pretty [default: json].
    #[arg(long, env = "LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Chat agent: builtin, llm or auto (llm when OPENAI_API_KEY is set) [default: auto].
    #[arg(long, env = "AGENT")]
    pub agent: Option<String>,
    /// API key of the OpenAI-compatible endpoint (enables the LLM agent).
    #[arg(long, env = "OPENAI_API_KEY", hide_env_values = true)]
    pub openai_api_key: Option<String>,
    /// Base URL of the OpenAI-compatible endpoint [default: https://api.openai.com/v1].
    #[arg(long, env = "OPENAI_BASE_URL")]
    pub openai_base_url: Option<String>,
    /// Model name [default: gpt-4o-mini].
    #[arg(long, env = "OPENAI_MODEL")]
    pub openai_model: Option<String>,
    /// Timeout of one call to the model, seconds [default: 30].
    #[arg(long, env = "OPENAI_TIMEOUT_SECONDS")]
    pub openai_timeout_seconds: Option<String>,
    /// Lifetime of issued tokens, seconds [default: 3600].
    #[arg(long, env = "TOKEN_TTL_SECONDS")]
    pub token_ttl_seconds: Option<String>,
    /// Comma-separated extra Host names the MCP endpoint accepts (unset: any host).
    #[arg(long, env = "MCP_ALLOWED_HOSTS")]
    pub mcp_allowed_hosts: Option<String>,
    /// Whole-request timeout, seconds [default: 60].
    #[arg(long, env = "REQUEST_TIMEOUT_SECONDS")]
    pub request_timeout_seconds: Option<String>,
    /// After SIGTERM, seconds to keep serving with each connection closed after its response,
    /// before the graceful shutdown [default: 0].
    #[arg(long, env = "SHUTDOWN_DRAIN_SECONDS")]
    pub shutdown_drain_seconds: Option<String>,
    /// Maximum PostgreSQL connections in the pool [default: 10].
    #[arg(long, env = "DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<String>,
}

pub use service_runtime::LogFormat;

/// Which chat agent was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentMode {
    /// The deterministic built-in agent.
    Builtin,
    /// The OpenAI-compatible LLM agent.
    Llm,
    /// LLM when an API key is set, otherwise built-in.
    Auto,
}

/// Validated configuration of the service.
#[derive(Clone)]
pub struct Config {
    /// PostgreSQL URL (contains a password: never logged).
    pub database_url: String,
    /// Token signing secret.
    pub jwt_secret: String,
    /// Listen port.
    pub port: u16,
    /// Listen address.
    pub bind_addr: IpAddr,
    /// Allowed CORS origins; empty means no CORS layer.
    pub cors_origins: Vec<String>,
    /// Tracing filter directive.
    pub log_level: String,
    /// Log output format.
    pub log_format: LogFormat,
    /// The LLM agent settings when the LLM agent is selected; `None` means the built-in agent.
    pub llm: Option<LlmConfig>,
    /// Token lifetime.
    pub token_ttl: Duration,
    /// Host names the MCP endpoint accepts besides loopback; `None` means any host.
    pub mcp_allowed_hosts: Option<Vec<String>>,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// Pool size.
    pub db_max_connections: u32,
    /// How long to keep serving after the shutdown signal, each connection closed after its
    /// response, so clients move to other pods while this one leaves the Service.
    pub shutdown_drain: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &"***")
            .field("jwt_secret", &"***")
            .field("port", &self.port)
            .field("bind_addr", &self.bind_addr)
            .field("cors_origins", &self.cors_origins)
            .field("log_level", &self.log_level)
            .field("log_format", &self.log_format)
            .field("llm", &self.llm)
            .field("token_ttl", &self.token_ttl)
            .field("mcp_allowed_hosts", &self.mcp_allowed_hosts)
            .field("request_timeout", &self.request_timeout)
            .field("db_max_connections", &self.db_max_connections)
            .field("shutdown_drain", &self.shutdown_drain)
            .finish()
    }
}

fn cfg_err(var: &'static str, rule: impl Into<String>) -> Error {
    Error::Config {
        var,
        rule: rule.into(),
    }
}

/// Treats an empty value like an unset one (Helm and Compose often pass `""`).
fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn int_in<T>(var: &'static str, raw: &Option<String>, default: T, min: T, max: T) -> Result<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(s) = non_empty(raw) else {
        return Ok(default);
    };
    match s.parse::<T>() {
        Ok(v) if v >= min && v <= max => Ok(v),
        _ => Err(cfg_err(
            var,
            format!("must be an integer from {min} to {max} (got {s:?})"),
        )),
    }
}

fn comma_list(raw: &Option<String>) -> Vec<String> {
    non_empty(raw)
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl Config {
    /// Validates raw settings; the error names the variable and the rule it broke.
    pub fn from_args(a: &ServeArgs) -> Result<Config> {
        let database_url = non_empty(&a.database_url)
            .ok_or_else(|| {
                cfg_err(
                    "DATABASE_URL",
                    "must be set, e.g. postgres://user:password@host:5432/db",
                )
            })?
            .to_owned();
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(cfg_err(
                "DATABASE_URL",
                "must start with postgres:// or postgresql://",
            ));
        }
        let jwt_secret = a.jwt_secret.clone().unwrap_or_default();
        if jwt_secret.is_empty() {
            return Err(cfg_err(
                "JWT_SECRET",
                "must be set (at least 32 bytes, e.g. `openssl rand -hex 32`)",
            ));
        }
        if jwt_secret.len() < 32 {
            return Err(cfg_err(
                "JWT_SECRET",
                format!(
                    "must be at least 32 bytes (got {}); generate one with `openssl rand -hex 32`",
                    jwt_secret.len()
                ),
            ));
        }
        let port = int_in::<u16>("PORT", &a.port, 8000, 1, 65535)?;
        let bind_addr = match non_empty(&a.bind_addr) {
            None => IpAddr::from([0, 0, 0, 0]),
            Some(s) => s.parse().map_err(|_| {
                cfg_err(
                    "BIND_ADDR",
                    format!("must be an IP address such as 0.0.0.0 or :: (got {s:?})"),
                )
            })?,
        };
        let cors_origins = comma_list(&a.cors_origins);
        for o in &cors_origins {
            let ok = (o.starts_with("http://") || o.starts_with("https://"))
                && http::HeaderValue::from_str(o).is_ok()
                && !o.ends_with('/');
            if !ok {
                return Err(cfg_err(
                    "CORS_ORIGINS",
                    format!(
                        "must be a comma-separated list of origins like https://app.example.com (no path, no trailing slash); bad entry {o:?}"
                    ),
                ));
            }
        }
        let log_level = non_empty(&a.log_level).unwrap_or("info").to_owned();
        if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
            return Err(cfg_err(
                "LOG_LEVEL",
                format!(
                    "must be a level (error, warn, info, debug, trace) or a filter like todo_api=debug,info (got {log_level:?})"
                ),
            ));
        }
        let log_format = match non_empty(&a.log_format)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => {
                return Err(cfg_err(
                    "LOG_FORMAT",
                    format!("must be json or pretty (got {other:?})"),
                ));
            }
        };
        let mode = match non_empty(&a.agent).map(str::to_ascii_lowercase).as_deref() {
            None | Some("auto") => AgentMode::Auto,
            Some("builtin") => AgentMode::Builtin,
            Some("llm") => AgentMode::Llm,
            Some(other) => {
                return Err(cfg_err(
                    "AGENT",
                    format!("must be builtin, llm or auto (got {other:?})"),
                ));
            }
        };
        let api_key = non_empty(&a.openai_api_key).map(str::to_owned);
        let base_url = non_empty(&a.openai_base_url)
            .unwrap_or("https://api.openai.com/v1")
            .trim_end_matches('/')
            .to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(cfg_err(
                "OPENAI_BASE_URL",
                format!("must be an http:// or https:// URL (got {base_url:?})"),
            ));
        }
        let model = non_empty(&a.openai_model)
            .unwrap_or("gpt-4o-mini")
            .to_owned();
        let llm_timeout = int_in::<u64>(
            "OPENAI_TIMEOUT_SECONDS",
            &a.openai_timeout_seconds,
            30,
            1,
            600,
        )?;
        let request_timeout = int_in::<u64>(
            "REQUEST_TIMEOUT_SECONDS",
            &a.request_timeout_seconds,
            60,
            1,
            3600,
        )?;
        let request_timeout = Duration::from_secs(request_timeout);
        let budget =
            request_timeout.saturating_sub((request_timeout / 4).min(Duration::from_secs(5)));
        let llm = match (mode, api_key) {
            (AgentMode::Builtin, _) | (AgentMode::Auto, None) => None,
            (AgentMode::Llm, None) => {
                return Err(cfg_err(
                    "OPENAI_API_KEY",
                    "must be set when AGENT=llm (or use AGENT=builtin / AGENT=auto)",
                ));
            }
            (AgentMode::Llm | AgentMode::Auto, Some(api_key)) => Some(LlmConfig {
                api_key,
                base_url,
                model,
                timeout: Duration::from_secs(llm_timeout),
                budget,
            }),
        };
        let ttl = int_in::<u64>("TOKEN_TTL_SECONDS", &a.token_ttl_seconds, 3600, 60, 604_800)?;
        let mcp_allowed_hosts = non_empty(&a.mcp_allowed_hosts).map(|_| {
            let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
            hosts.extend(comma_list(&a.mcp_allowed_hosts));
            hosts
        });
        let db_max_connections =
            int_in::<u32>("DB_MAX_CONNECTIONS", &a.db_max_connections, 10, 1, 1000)?;
        let drain = int_in::<u64>(
            "SHUTDOWN_DRAIN_SECONDS",
            &a.shutdown_drain_seconds,
            0,
            0,
            300,
        )?;
        Ok(Config {
            database_url,
            jwt_secret,
            port,
            bind_addr,
            cors_origins,
            log_level,
            log_format,
            llm,
            token_ttl: Duration::from_secs(ttl),
            mcp_allowed_hosts,
            request_timeout,
            db_max_connections,
            shutdown_drain: Duration::from_secs(drain),
        })
    }
}
