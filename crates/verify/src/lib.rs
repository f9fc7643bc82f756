//! Proves a deployment works, from the chart to the running cluster.
//!
//! - **Static** ([`check`]): render the chart with real helm, split the documents, parse each
//!   into its k8s-openapi type, report every field the type does not know (Kubernetes drops
//!   them silently), then apply the rule [`catalog`] (Pod Security *restricted*, probes on
//!   declared ports, resources, image tags, Service selectors, references, NetworkPolicy
//!   wiring, ...). Per-rule [`ignores`] need a written reason.
//!
//! - **Local** ([`local`]): run the rendered app containers as local processes (or podman
//!   containers) with exactly the chart's command, env and ports against a real PostgreSQL,
//!   probe them as the kubelet would, run the [`smoke`] journey.
//! - **Live** ([`live`]): the release is deployed, rolled out, Ready with zero restarts, runs
//!   the images that were built, Services have endpoints; the smoke journey through
//!   `kubectl port-forward`; data survives pod deletion; `helm test` passes.
//!
//! Library only: nothing here prints or exits. Reports implement `Display` for people and
//! `Serialize` for `--json`.

pub mod catalog;
pub mod check;
mod error;
pub mod finding;
pub mod ignores;
pub mod live;
pub mod local;
pub mod manifest;
pub mod release;
pub mod render;
pub mod rules;
pub mod smoke;
pub mod step;

pub use check::{
    ChartReport, CheckReport, check_chart, check_manifests, check_profiles, default_ignores_path,
};
pub use error::{Error, Result};
pub use finding::{Finding, Severity};
pub use ignores::{Ignore, Ignores};
pub use live::{ExpectedImage, LiveOptions, LiveReport, verify_live};
pub use local::{Engine, LocalOptions, LocalReport, verify_local, verify_local_chart};
pub use release::{check_release, intended_by_the_values};
pub use render::{DEFAULT_KUBE_VERSION, DEFAULT_PROFILE, Render, read_manifests};
pub use smoke::{SmokeReport, journey};
pub use step::{Progress, ProgressEvent, Step};
