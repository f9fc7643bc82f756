//! Typed values of the `helm/todo-chatbot` chart.
//!
//! - [`model::Values`]: every value, typed; unknown keys rejected with a "did you mean".
//! - Loading with serde-saphyr: duplicate keys rejected, every key located (`file:line:column`).
//! - [`merge`]: Helm's semantics for `values.yaml` + profile + `-f` files + `--set`.
//! - [`check`]: structure, types and cross-field rules Helm's schema cannot express; every
//!   problem names its key path and the file (line, column) or `--set` it came from.
//! - [`schema_json`]: `values.schema.json`, generated from the types (draft-07).
//!
//! The CLI (`todoctl values show|check|schema`) calls [`show`], [`check`],
//! [`schema_status`] and [`write_schema`]; all reports implement `Display` (human) and
//! `Serialize` (`--json`).

mod merge;
pub mod model;
mod path;
mod report;
mod schema;
mod secrets;
mod validate;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

pub use path::{KeyPath, Seg};
pub use report::{Problem, SchemaReport, Severity, ShowReport, ValuesReport};
pub use schema::{schema_json, schema_value};
pub use secrets::{
    DATABASE_URL, JWT_SECRET, OPENAI_API_KEY, POSTGRES_PASSWORD, SECRET_INPUTS, SecretInput,
};
pub use yaml::LineCol;

/// File name of the committed schema inside the chart directory.
pub const SCHEMA_FILE: &str = "values.schema.json";

/// Errors that stop loading before any check can run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A values file (or the chart's values.yaml / schema) could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A `--set` argument Helm would reject.
    #[error("--set {arg}: {reason} (write key.path=value, lists as {{a,b}}, indexes as key[0])")]
    BadSet {
        /// The argument as given.
        arg: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A values file is not valid YAML (duplicate keys included).
    #[error("{file}{}: {message}", at.map(|a| format!(":{a}")).unwrap_or_default())]
    Yaml {
        /// The file.
        file: PathBuf,
        /// Where the parser stopped.
        at: Option<LineCol>,
        /// The parser's message.
        message: String,
    },
}

/// A chart profile: which `values-<profile>.yaml` is layered over `values.yaml`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// `values.yaml` alone.
    #[default]
    Default,
    /// `values-dev.yaml` (Minikube).
    Dev,
    /// `values-prod.yaml`.
    Prod,
}

impl Profile {
    /// The profile's file in the chart directory, if it has one.
    #[must_use]
    pub fn file_name(self) -> Option<&'static str> {
        match self {
            Self::Default => None,
            Self::Dev => Some("values-dev.yaml"),
            Self::Prod => Some("values-prod.yaml"),
        }
    }

    /// All profiles.
    pub const ALL: [Profile; 3] = [Self::Default, Self::Dev, Self::Prod];
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Default => "default",
            Self::Dev => "dev",
            Self::Prod => "prod",
        })
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "default" => Ok(Self::Default),
            "dev" => Ok(Self::Dev),
            "prod" => Ok(Self::Prod),
            other => Err(format!(
                "unknown profile `{other}`: use default, dev or prod"
            )),
        }
    }
}

/// What to merge: the chart, a profile, extra `-f` files and `--set` arguments, in Helm's
/// order (values.yaml < profile < files in order < sets in order).
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The chart directory (holds values.yaml and the profiles).
    pub chart_dir: PathBuf,
    /// The profile layered first.
    pub profile: Profile,
    /// Extra values files (`-f`), after the profile.
    pub files: Vec<PathBuf>,
    /// `--set` arguments, after the files.
    pub sets: Vec<String>,
    /// `--set-string` arguments, last (Helm applies them after every `--set`).
    pub set_strings: Vec<String>,
}

impl Inputs {
    /// Inputs for a chart directory with the default profile and nothing else.
    #[must_use]
    pub fn new(chart_dir: impl Into<PathBuf>) -> Self {
        Self {
            chart_dir: chart_dir.into(),
            profile: Profile::Default,
            files: Vec::new(),
            sets: Vec::new(),
            set_strings: Vec::new(),
        }
    }

    /// Sets the profile.
    #[must_use]
    pub fn profile(mut self, p: Profile) -> Self {
        self.profile = p;
        self
    }

    /// Adds a `-f` file.
    #[must_use]
    pub fn file(mut self, f: impl Into<PathBuf>) -> Self {
        self.files.push(f.into());
        self
    }

    /// Adds a `--set` argument.
    #[must_use]
    pub fn set(mut self, s: impl Into<String>) -> Self {
        self.sets.push(s.into());
        self
    }

    /// Adds a `--set-string` argument.
    #[must_use]
    pub fn set_string(mut self, s: impl Into<String>) -> Self {
        self.set_strings.push(s.into());
        self
    }

    /// The user files Helm gets with `-f`, in order (profile first).
    #[must_use]
    pub fn user_files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = self
            .profile
            .file_name()
            .map(|f| self.chart_dir.join(f))
            .into_iter()
            .collect();
        v.extend(self.files.iter().cloned());
        v
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Origin {
    /// A values file, at the key's position.
    File {
        /// The file.
        file: PathBuf,
        /// 1-based line of the key.
        line: u64,
        /// 1-based column of the key.
        column: u64,
    },
    /// A `--set` or `--set-string` argument.
    Set {
        /// `--set` or `--set-string`.
        flag: String,
        /// The argument as given, secret values replaced by `***`.
        arg: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { file, line, column } => write!(f, "{}:{line}:{column}", file.display()),
            Self::Set { flag, arg } => write!(f, "{flag} {arg}"),
        }
    }
}

/// Keys whose values are secrets: never echoed in reports.
pub(crate) fn is_secret_key(path: &str) -> bool {
    SECRET_INPUTS.iter().any(|s| {
        path == s.values_key
            || path
                .strip_prefix(s.values_key)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// `--set` text with the value of every secret key replaced by `***`.
fn redact_set(arg: &str) -> String {
    arg.split(',')
        .map(|part| match part.split_once('=') {
            Some((k, _)) if is_secret_key(k.trim()) => format!("{k}=***"),
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The merged values with the origin of every key.
#[derive(Debug, Clone)]
pub struct Merged {
    /// What Helm passes to the templates as `.Values` (before schema validation).
    pub values: Value,
    /// The sources in the order they were applied.
    pub sources: Vec<String>,
    origins: BTreeMap<KeyPath, Origin>,
    /// The chart's values.yaml, to stand in for a broken value while looking for more problems.
    defaults: Value,
}

impl Merged {
    /// Where `path` (or its nearest ancestor that was written somewhere) came from.
    #[must_use]
    pub fn origin(&self, path: &KeyPath) -> Option<&Origin> {
        let mut p = Some(path.clone());
        while let Some(cur) = p {
            if let Some(o) = self.origins.get(&cur) {
                return Some(o);
            }
            p = cur.parent();
        }
        None
    }
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

fn load(path: &Path) -> Result<yaml::Located, Error> {
    let text = read(path)?;
    yaml::parse(&text).map_err(|p| Error::Yaml {
        file: path.to_owned(),
        at: p.at,
        message: p.message,
    })
}

fn record(origins: &mut BTreeMap<KeyPath, Origin>, file: &Path, located: &yaml::Located) {
    for (path, at, is_map) in &located.locations {
        // A non-map value replaces everything an earlier source wrote below it.
        if !is_map {
            origins.retain(|p, _| !(p.starts_with(path) && p != path));
        }
        origins.insert(
            path.clone(),
            Origin::File {
                file: file.to_owned(),
                line: at.line,
                column: at.column,
            },
        );
    }
}

/// A Helm major version. The kit supports two, which differ in how they merge values (a user
/// `null` over a `null` default stays `null` in Helm 4 and disappears in Helm 3; templates see
/// nil either way) and in the flags an upgrade waits and rolls back with (`cluster::Helm`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum HelmMajor {
    /// Helm 3 (3.13+).
    V3,
    /// Helm 4 (the default).
    #[default]
    V4,
}

impl fmt::Display for HelmMajor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HelmMajor::V3 => "Helm 3",
            HelmMajor::V4 => "Helm 4",
        })
    }
}

impl HelmMajor {
    /// Reads `helm version --short` output (`v4.1.4+g05fa379`, `v3.17.2+gcc0bbbd`); `None`
    /// for a version the kit does not support.
    pub fn parse(short: &str) -> Option<HelmMajor> {
        let version = short.trim().strip_prefix('v')?;
        let mut parts = version.split(['.', '+', '-']);
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next()?.parse().ok()?;
        match (major, minor) {
            (3, m) if m >= 13 => Some(HelmMajor::V3),
            (4, _) => Some(HelmMajor::V4),
            _ => None,
        }
    }
}

/// Merges the inputs exactly as Helm 4 computes `.Values` (before its schema check).
///
/// # Errors
/// A file that cannot be read or parsed (duplicate keys included), or a bad `--set`.
pub fn merge(inputs: &Inputs) -> Result<Merged, Error> {
    merge_as(inputs, HelmMajor::V4)
}

/// Merges the inputs exactly as the given Helm major computes `.Values`.
///
/// # Errors
/// As [`merge`].
pub fn merge_as(inputs: &Inputs, major: HelmMajor) -> Result<Merged, Error> {
    let defaults_path = inputs.chart_dir.join("values.yaml");
    let defaults = load(&defaults_path)?;
    let mut origins = BTreeMap::new();
    record(&mut origins, &defaults_path, &defaults);
    let mut sources = vec![defaults_path.display().to_string()];

    let mut user = Map::new();
    for file in inputs.user_files() {
        let located = load(&file)?;
        record(&mut origins, &file, &located);
        sources.push(file.display().to_string());
        if let Value::Object(m) = located.value {
            merge::merge_maps(&mut user, m);
        }
    }
    let sets = inputs.sets.iter().map(|a| (a, false, "--set"));
    let strings = inputs.set_strings.iter().map(|a| (a, true, "--set-string"));
    for (arg, as_string, flag) in sets.chain(strings) {
        let assignments = merge::parse_set(arg, as_string).map_err(|e| Error::BadSet {
            arg: redact_set(arg),
            reason: e.0,
        })?;
        for a in &assignments {
            origins.retain(|p, _| !(p.starts_with(&a.path)));
            origins.insert(
                a.path.clone(),
                Origin::Set {
                    flag: flag.to_owned(),
                    arg: redact_set(arg),
                },
            );
            merge::assign(&mut user, a);
        }
        sources.push(format!("{flag} {}", redact_set(arg)));
    }
    if let Value::Object(d) = &defaults.value {
        merge::coalesce(&mut user, d, major == HelmMajor::V3);
    }
    Ok(Merged {
        values: Value::Object(user),
        sources,
        origins,
        defaults: defaults.value,
    })
}

/// `todoctl values show`: the merged values and where each key came from.
///
/// # Errors
/// As [`merge`].
pub fn show(inputs: &Inputs) -> Result<ShowReport, Error> {
    let merged = merge(inputs)?;
    Ok(ShowReport::new(inputs.profile, &merged))
}

/// `todoctl values check`: every problem with key path and source. Unreadable or
/// unparsable files (duplicate keys) are problems in the report too; only a bad `--set`
/// or a missing chart `values.yaml` is an error.
///
/// # Errors
/// A missing chart, or a malformed `--set`.
pub fn check(inputs: &Inputs) -> Result<ValuesReport, Error> {
    let merged = match merge(inputs) {
        Ok(m) => m,
        Err(Error::Yaml { file, at, message }) => {
            let origin = at.map(|a| Origin::File {
                file: file.clone(),
                line: a.line,
                column: a.column,
            });
            return Ok(ValuesReport {
                profile: inputs.profile,
                sources: vec![file.display().to_string()],
                problems: vec![Problem {
                    severity: Severity::Error,
                    rule: "yaml".into(),
                    key: None,
                    origin,
                    hint: Some(if message.contains("duplicate") {
                        "each key may appear once per mapping: keep one and delete the other".into()
                    } else {
                        "fix the YAML at that position (quote values that contain `: ` or ` #`)"
                            .into()
                    }),
                    message,
                }],
            });
        }
        Err(e @ Error::Io { .. }) if inputs.chart_dir.join("values.yaml").exists() => {
            return Ok(ValuesReport {
                profile: inputs.profile,
                sources: Vec::new(),
                problems: vec![Problem {
                    severity: Severity::Error,
                    rule: "io".into(),
                    key: None,
                    origin: None,
                    message: e.to_string(),
                    hint: None,
                }],
            });
        }
        Err(e) => return Err(e),
    };
    let problems = validate::run(&merged);
    Ok(ValuesReport {
        profile: inputs.profile,
        sources: merged.sources.clone(),
        problems,
    })
}

/// Parses merged values into the typed model (after [`check`] found no errors).
///
/// # Errors
/// The values do not fit the model; the message names the key path.
pub fn typed(merged: &Merged) -> Result<model::Values, String> {
    serde_path_to_error::deserialize(merged.values.clone())
        .map_err(|e| format!("{}: {}", e.path(), e.inner()))
}

/// Whether the chart's committed `values.schema.json` (and the README's values table, when
/// the README has one) equal what the types generate (`todoctl values schema --check`).
///
/// # Errors
/// The committed file cannot be read (a missing file is reported as out of sync).
pub fn schema_status(chart_dir: &Path) -> Result<SchemaReport, Error> {
    let path = chart_dir.join(SCHEMA_FILE);
    let generated = schema_json();
    let committed = match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(Error::Io { path, source }),
    };
    let readme = chart_dir.join("README.md");
    let readme_in_sync = if readme.exists() {
        readme_with_table(chart_dir)?
            .map(|updated| read(&readme).map(|current| current == updated))
            .transpose()?
    } else {
        None
    };
    Ok(SchemaReport {
        in_sync: committed.as_deref() == Some(generated.as_str()) && readme_in_sync != Some(false),
        readme_in_sync,
        path,
        written: false,
        schema: serde_json::from_str(&generated).unwrap_or(Value::Null),
    })
}

/// Markers around the generated values table in the chart's README.md.
pub const README_TABLE_MARKERS: (&str, &str) =
    ("<!-- values-table:start -->", "<!-- values-table:end -->");

/// The Markdown table of every value (key, type, default from the chart's values.yaml,
/// description from the model's docs), as committed in `helm/todo-chatbot/README.md`.
///
/// # Errors
/// The chart's values.yaml cannot be read or parsed.
pub fn values_table(chart_dir: &Path) -> Result<String, Error> {
    let defaults = load(&chart_dir.join("values.yaml"))?;
    Ok(schema::values_table(&defaults.value))
}

/// The README with its values table replaced by the generated one (None: markers missing).
///
/// # Errors
/// As [`values_table`], or the README cannot be read.
pub fn readme_with_table(chart_dir: &Path) -> Result<Option<String>, Error> {
    let path = chart_dir.join("README.md");
    let readme = read(&path)?;
    let (start, end) = README_TABLE_MARKERS;
    let (Some(a), Some(b)) = (readme.find(start), readme.find(end)) else {
        return Ok(None);
    };
    if b < a {
        return Ok(None);
    }
    let table = values_table(chart_dir)?;
    Ok(Some(format!(
        "{}{start}\n{table}{}",
        &readme[..a],
        &readme[b..]
    )))
}

/// Writes the generated schema into the chart (`todoctl values schema --write`), and the
/// values table into the chart's README.md between [`README_TABLE_MARKERS`].
///
/// # Errors
/// The file cannot be written.
pub fn write_schema(chart_dir: &Path) -> Result<SchemaReport, Error> {
    let path = chart_dir.join(SCHEMA_FILE);
    let generated = schema_json();
    let before = std::fs::read_to_string(&path).ok();
    let written = before.as_deref() != Some(generated.as_str());
    if written {
        std::fs::write(&path, &generated).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
    }
    // The README's values table is generated from the same types.
    let readme = chart_dir.join("README.md");
    if readme.exists()
        && let Some(updated) = readme_with_table(chart_dir)?
        && read(&readme)? != updated
    {
        std::fs::write(&readme, updated).map_err(|source| Error::Io {
            path: readme.clone(),
            source,
        })?;
    }
    Ok(SchemaReport {
        in_sync: true,
        readme_in_sync: Some(true).filter(|_| readme.exists()),
        path,
        written,
        schema: serde_json::from_str(&generated).unwrap_or(Value::Null),
    })
}
