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
    #[arg(long, alias = "backend-connect-timeout-secs",
          env = "BACKEND_CONNECT_TIMEOUT_SECONDS", value_name = "BACKEND_CONNECT_TIMEOUT_SECONDS",
          default_value_t = 5, value_parser = seconds::<1, 300>)]
    pub backend_connect_timeout_seconds: u64,

    /// Seconds allowed for a whole backend exchange (request and response bodies included)
    /// before answering 504. Chat with an LLM agent can take a while, hence the generous default.
    #[arg(long, alias = "backend-timeout-secs",
          env = "BACKEND_TIMEOUT_SECONDS", value_name = "BACKEND_TIMEOUT_SECONDS",
          default_value_t = 120, value_parser = seconds::<1, 3600>)]
    pub backend_timeout_seconds: u64,

    /// Seconds to keep serving after SIGTERM, closing each connection after its response, so
    /// clients move to other pods while Kubernetes takes this one out of the Service; then the
    /// grace period starts.
    #[arg(long, alias = "shutdown-drain-secs",
          env = "SHUTDOWN_DRAIN_SECONDS", value_name = "SHUTDOWN_DRAIN_SECONDS",
          default_value_t = 0, value_parser = seconds::<0, 300>)]
    pub shutdown_drain_seconds: u64,

    /// Seconds to let in-flight requests finish after SIGTERM before exiting anyway.
    #[arg(long, alias = "shutdown-grace-secs",
          env = "SHUTDOWN_GRACE_SECONDS", value_name = "SHUTDOWN_GRACE_SECONDS",
          default_value_t = 20, value_parser = seconds::<0, 3600>)]
    pub shutdown_grace_seconds: u64,
}

/// Parses a duration variable: whole seconds from `MIN` to `MAX`. Clap puts the message after
/// the variable's name (`invalid value 'x' for '--… <SHUTDOWN_DRAIN_SECONDS>': …`).
fn seconds<const MIN: u64, const MAX: u64>(raw: &str) -> Result<u64, String> {
    match raw.trim().parse::<u64>() {
        Ok(n) if (MIN..=MAX).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a whole number of seconds from {MIN} to {MAX} (a plain number, no unit)"
        )),
    }
}

/// The duration variables renamed when `_SECONDS` (todo-api's suffix) became the one suffix:
/// `(old, new)`. The old names are still read, with a deprecation line in the log.
pub const RENAMED_VARIABLES: [(&str, &str); 4] = [
    (
        "BACKEND_CONNECT_TIMEOUT_SECS",
        "BACKEND_CONNECT_TIMEOUT_SECONDS",
    ),
    ("BACKEND_TIMEOUT_SECS", "BACKEND_TIMEOUT_SECONDS"),
    ("SHUTDOWN_DRAIN_SECS", "SHUTDOWN_DRAIN_SECONDS"),
    ("SHUTDOWN_GRACE_SECS", "SHUTDOWN_GRACE_SECONDS"),
];

/// An old (deprecated) variable name found set at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OldVariable {
    /// The name that was set, e.g. `SHUTDOWN_DRAIN_SECS`.
    pub old: &'static str,
    /// Its replacement, e.g. `SHUTDOWN_DRAIN_SECONDS`.
    pub new: &'static str,
    /// Whether its value is taken: only when the new name is not set too.
    pub used: bool,
}

impl OldVariable {
    /// The old names set in an environment (`is_set` says whether a variable is), in the order
    /// of [`RENAMED_VARIABLES`].
    pub fn find(is_set: impl Fn(&str) -> bool) -> Vec<Self> {
        RENAMED_VARIABLES
            .iter()
            .filter(|(old, _)| is_set(old))
            .map(|&(old, new)| Self {
                old,
                new,
                used: !is_set(new),
            })
            .collect()
    }

    /// Points `cmd` (a command with [`Config`]'s arguments) at each old variable whose value is
    /// taken: it reads that variable instead of the new one and shows it as the value name, so
    /// a bad value is reported by the name the operator actually set.
    pub fn read_from(cmd: clap::Command, old: &[Self]) -> clap::Command {
        cmd.mut_args(|arg| {
            match old
                .iter()
                .find(|o| o.used && arg.get_env().is_some_and(|env| env == o.new))
            {
                Some(o) => arg.env(o.old).value_name(o.old),
                None => arg,
            }
        })
    }
}

/// The deprecation line for the log.
impl std::fmt::Display for OldVariable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self { old, new, used } = *self;
        if used {
            write!(
                f,
                "{old} is deprecated and will stop working: its value is used for now; \
                 rename it to {new}"
            )
        } else {
            write!(
                f,
                "{old} is deprecated and was ignored because {new} is set too: remove {old}"
            )
        }
    }
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
            backend_connect_timeout_seconds: 5,
            backend_timeout_seconds: 120,
            shutdown_drain_seconds: 0,
            shutdown_grace_seconds: 20,
        }
    }

    /// Connect timeout towards the backend.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.backend_connect_timeout_seconds)
    }

    /// Whole-exchange timeout towards the backend.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.backend_timeout_seconds)
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
    fn durations_are_whole_seconds_in_range() {
        // (input, accepted value)
        let cases: [(&str, Option<u64>); 7] = [
            ("0", Some(0)),
            ("300", Some(300)),
            (" 5 ", Some(5)),
            ("301", None),
            ("-1", None),
            ("5s", None),
            ("", None),
        ];
        for (input, want) in cases {
            match (seconds::<0, 300>(input), want) {
                (Ok(got), Some(want)) => assert_eq!(got, want, "input {input:?}"),
                (Err(e), None) => assert!(
                    e.contains("whole number of seconds from 0 to 300"),
                    "input {input:?}: {e}"
                ),
                (got, want) => panic!("input {input:?}: got {got:?}, want {want:?}"),
            }
        }
        assert!(seconds::<1, 3600>("0").is_err());
    }

    #[test]
    fn duration_flags_say_seconds_and_the_old_secs_flags_still_parse() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            config: Config,
        }
        let parse = |args: &[&str]| {
            <Cli as clap::Parser>::try_parse_from(
                std::iter::once("todo-web").chain(args.iter().copied()),
            )
            .map(|cli| cli.config.shutdown_drain_seconds)
            .map_err(|e| e.kind())
        };
        assert_eq!(parse(&["--shutdown-drain-seconds", "7"]), Ok(7));
        assert_eq!(parse(&["--shutdown-drain-secs", "7"]), Ok(7));
        assert_eq!(
            parse(&["--shutdown-drain-minutes", "7"]),
            Err(clap::error::ErrorKind::UnknownArgument)
        );
    }

    #[test]
    fn old_variable_names_are_found_and_the_new_name_wins() {
        /// (variables set, expected (old name, its value used))
        type Case = (&'static [&'static str], &'static [(&'static str, bool)]);
        let cases: [Case; 5] = [
            (&[], &[]),
            (&["SHUTDOWN_DRAIN_SECONDS"], &[]),
            (&["SHUTDOWN_DRAIN_SECS"], &[("SHUTDOWN_DRAIN_SECS", true)]),
            (
                &["SHUTDOWN_DRAIN_SECS", "SHUTDOWN_DRAIN_SECONDS"],
                &[("SHUTDOWN_DRAIN_SECS", false)],
            ),
            (
                &[
                    "SHUTDOWN_GRACE_SECS",
                    "BACKEND_TIMEOUT_SECS",
                    "BACKEND_TIMEOUT_SECONDS",
                    "BACKEND_CONNECT_TIMEOUT_SECS",
                ],
                &[
                    ("BACKEND_CONNECT_TIMEOUT_SECS", true),
                    ("BACKEND_TIMEOUT_SECS", false),
                    ("SHUTDOWN_GRACE_SECS", true),
                ],
            ),
        ];
        for (set, want) in cases {
            let got: Vec<(&str, bool)> = OldVariable::find(|name| set.contains(&name))
                .iter()
                .map(|o| (o.old, o.used))
                .collect();
            assert_eq!(got, want, "set {set:?}");
        }
    }

    #[test]
    fn the_deprecation_line_names_both_variables_and_what_happened() {
        // (value used, what the line must say)
        for (used, says) in [
            (
                true,
                "its value is used for now; rename it to SHUTDOWN_DRAIN_SECONDS",
            ),
            (
                false,
                "was ignored because SHUTDOWN_DRAIN_SECONDS is set too",
            ),
        ] {
            let line = OldVariable {
                old: "SHUTDOWN_DRAIN_SECS",
                new: "SHUTDOWN_DRAIN_SECONDS",
                used,
            }
            .to_string();
            assert!(
                line.starts_with("SHUTDOWN_DRAIN_SECS is deprecated"),
                "{line}"
            );
            assert!(line.contains(says), "{line}");
            assert!(!line.contains('\n'), "one line: {line}");
        }
    }

    #[test]
    fn an_old_variable_in_use_is_read_and_named_in_errors() {
        use clap::Args;
        let renamed = |cmd: &clap::Command| -> Vec<(String, String)> {
            cmd.get_arguments()
                .filter_map(|a| {
                    let env = a.get_env()?.to_str()?.to_owned();
                    let shown = a.get_value_names()?.first()?.to_string();
                    env.ends_with("_SECS").then_some((env, shown))
                })
                .collect()
        };
        let cmd = Config::augment_args(clap::Command::new("t"));
        // Every renamed variable is one of Config's, under its new name.
        for (old, new) in RENAMED_VARIABLES {
            assert!(
                cmd.get_arguments()
                    .any(|a| a.get_env().is_some_and(|e| e == new)),
                "{new} is not read"
            );
            assert!(old.ends_with("_SECS") && new.ends_with("_SECONDS"));
        }
        assert!(renamed(&cmd).is_empty());

        let old = OldVariable::find(|name| {
            [
                "SHUTDOWN_DRAIN_SECS",
                "BACKEND_TIMEOUT_SECS",
                "BACKEND_TIMEOUT_SECONDS",
            ]
            .contains(&name)
        });
        let cmd = OldVariable::read_from(cmd, &old);
        // The drain reads the old name; the timeout keeps the new one, which is set too.
        assert_eq!(
            renamed(&cmd),
            [(
                "SHUTDOWN_DRAIN_SECS".to_owned(),
                "SHUTDOWN_DRAIN_SECS".to_owned()
            )]
        );
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
