//! Service configuration: every setting is a flag with an environment-variable fallback, and
//! the value name of each flag is the variable's name so a bad value is reported by the name
//! an operator actually set (`invalid value 'x' for '--port <PORT>'`).

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

/// When the session cookie carries the `Secure` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CookieSecure {
    /// Always `Secure` (the site is only ever served over HTTPS).
    True,
    /// Never `Secure` (plain-HTTP development, e.g. a Minikube NodePort).
    False,
    /// `Secure` when the request reached us over TLS, i.e. a TLS-terminating proxy sent
    /// `X-Forwarded-Proto: https` (or `Forwarded: proto=https`).
    Auto,
}

/// Settings of the `todo-web` server.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Base URL of todo-api; `/api/*` is proxied there.
    #[arg(long, env = "BACKEND_URL", value_name = "BACKEND_URL",
          default_value = "http://127.0.0.1:8000", value_parser = parse_backend_url)]
    pub backend_url: Url,

    /// TCP port to listen on.
    #[arg(long, env = "PORT", value_name = "PORT", default_value_t = 3000,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,

    /// Address to listen on.
    #[arg(
        long,
        env = "BIND_ADDR",
        value_name = "BIND_ADDR",
        default_value = "0.0.0.0"
    )]
    pub bind_addr: IpAddr,

    /// Whether the session cookie is marked `Secure`: true, false or auto (when the request
    /// came over TLS according to X-Forwarded-Proto).
    #[arg(
        long,
        env = "COOKIE_SECURE",
        value_name = "COOKIE_SECURE",
        value_enum,
        default_value = "auto"
    )]
    pub cookie_secure: CookieSecure,

    /// Seconds allowed to connect to the backend before answering 502.
    #[arg(long, env = "BACKEND_CONNECT_TIMEOUT_SECS", value_name = "BACKEND_CONNECT_TIMEOUT_SECS",
          default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub backend_connect_timeout_secs: u64,

    /// Seconds allowed for a whole backend exchange (request and response bodies included)
    /// before answering 504. Chat with an LLM agent can take a while, hence the generous default.
    #[arg(long, env = "BACKEND_TIMEOUT_SECS", value_name = "BACKEND_TIMEOUT_SECS",
          default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub backend_timeout_secs: u64,

    /// Seconds to keep serving after SIGTERM, closing each connection after its response, so
    /// clients move to other pods while Kubernetes takes this one out of the Service; then the
    /// grace period starts.
    #[arg(long, env = "SHUTDOWN_DRAIN_SECS", value_name = "SHUTDOWN_DRAIN_SECS",
          default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=300))]
    pub shutdown_drain_secs: u64,

    /// Seconds to let in-flight requests finish after SIGTERM before exiting anyway.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", value_name = "SHUTDOWN_GRACE_SECS",
          default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_grace_secs: u64,
}

impl Config {
    /// A configuration for `backend_url` with every other setting at its default; handy for
    /// embedding the server (tests, tools).
    pub fn new(backend_url: Url) -> Self {
        Self {
            backend_url,
            port: 3000,
            bind_addr: IpAddr::from([127, 0, 0, 1]),
            cookie_secure: CookieSecure::Auto,
            backend_connect_timeout_secs: 5,
            backend_timeout_secs: 120,
            shutdown_drain_secs: 0,
            shutdown_grace_secs: 20,
        }
    }

    /// Connect timeout towards the backend.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.backend_connect_timeout_secs)
    }

    /// Whole-exchange timeout towards the backend.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.backend_timeout_secs)
    }
}

/// Parses and checks `BACKEND_URL`: an absolute http(s) URL without query or credentials,
/// because the proxy appends the browser's `/api/...` path to it.
pub fn parse_backend_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        format!("BACKEND_URL must be an absolute URL like http://todo-api:8000 ({e})")
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!(
            "BACKEND_URL must use http or https, not {:?}",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("BACKEND_URL must name a host".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("BACKEND_URL must not contain a query or fragment".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("BACKEND_URL must not contain credentials".to_owned());
    }
    Ok(url)
}

/// Joins the backend base URL and a browser path-and-query (`/api/...?...`).
pub(crate) fn backend_target(base: &Url, path_and_query: &str) -> String {
    let base = base.as_str().trim_end_matches('/');
    format!("{base}{path_and_query}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check(input: &str, expect: Result<&str, &str>) {
        let got = parse_backend_url(input);
        match (got, expect) {
            (Ok(url), Ok(want)) => assert_eq!(url.as_str(), want, "input {input}"),
            (Err(e), Err(want)) => assert!(e.contains(want), "input {input}: error {e:?}"),
            (got, want) => panic!("input {input}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn backend_url_rules() {
        check("http://127.0.0.1:8000", Ok("http://127.0.0.1:8000/"));
        check(" http://api:8000/ ", Ok("http://api:8000/"));
        check(
            "https://api.example.com/base",
            Ok("https://api.example.com/base"),
        );
        check("127.0.0.1:8000", Err("BACKEND_URL must be an absolute URL"));
        check("not a url", Err("BACKEND_URL must be an absolute URL"));
        check("ftp://x", Err("must use http or https"));
        check("http://x/?a=b", Err("query"));
        check("http://u:p@x/", Err("credentials"));
    }

    #[test]
    fn target_joins_without_double_slash() {
        let base = Url::parse("http://api:8000/").unwrap();
        assert_eq!(
            backend_target(&base, "/api/1/tasks?status=all"),
            "http://api:8000/api/1/tasks?status=all"
        );
        let base = Url::parse("http://api:8000/prefix").unwrap();
        assert_eq!(
            backend_target(&base, "/api/x"),
            "http://api:8000/prefix/api/x"
        );
    }
}
