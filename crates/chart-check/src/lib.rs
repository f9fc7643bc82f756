//! Checks a Helm chart's render without a cluster.
//!
//! [`check_chart`] renders the chart with real helm ([`Render`]), splits the documents, parses
//! each into its k8s-openapi type, reports every field the type does not know (Kubernetes drops
//! them silently), then applies the rule catalog ([`RULES`]: Pod Security *restricted*, probes
//! on declared ports, resources, image tags, Service selectors, references, NetworkPolicy
//! wiring, ...). Per-rule [`Ignores`] need a written reason. [`check_manifests`] does the same
//! for manifests that were rendered elsewhere.
//!
//! Pure apart from running helm and reading files: no cluster, no network, no database.
//! Reports implement `Display` for people and `Serialize` for `--json`.
//!
//! The parsed model ([`parse_stream`], [`Object`], [`Typed`]) and two matching rules
//! ([`mentions_host`], [`secret_looking`]) are public for tools that read the same render,
//! such as `verify local`.

mod catalog;
mod check;
mod error;
mod finding;
mod ignores;
mod manifest;
mod render;
mod rules;

pub use catalog::{RULES, Rule, RuleId, UnknownRule};
pub use check::{
    ChartReport, CheckReport, FindingCounts, check_chart, check_manifests, check_profiles,
};
pub use error::{Error, Result};
pub use finding::{Finding, Severity};
pub use ignores::{Ignore, Ignores};
pub use manifest::{EnvSource, Object, Parsed, PodRef, Typed, parse_stream};
pub use render::{DEFAULT_PROFILE, Render, read_manifests};
pub use rules::{mentions_host, secret_looking};
