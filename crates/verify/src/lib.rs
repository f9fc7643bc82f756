//! Proves a deployment works, from the chart to the running cluster.
//!
//! - **Static** ([`check`]): render the chart with real helm, split the documents, parse each
//!   into its k8s-openapi type, report every field the type does not know (Kubernetes drops
//!   them silently), then apply the rule [`catalog`] (Pod Security *restricted*, probes on
//!   declared ports, resources, image tags, Service selectors, references, NetworkPolicy
//!   wiring, ...). Per-rule [`ignores`] need a written reason.
//!
//! Library only: nothing here prints or exits. Reports implement `Display` for people and
//! `Serialize` for `--json`.

pub mod catalog;
pub mod check;
mod error;
pub mod finding;
pub mod ignores;
pub mod manifest;
pub mod render;
pub mod rules;

pub use check::{
    ChartReport, CheckReport, check_chart, check_manifests, check_profiles, default_ignores_path,
};
pub use error::{Error, Result};
pub use finding::{Finding, Severity};
pub use ignores::{Ignore, Ignores};
pub use render::{DEFAULT_PROFILE, Render, read_manifests};
