//! Proves a deployment works, from the chart to the running cluster. The static chart check
//! is [`chart_check`]'s; this crate runs what it checked.
//!
//! - **Release** ([`check_release`]): the deploy's own render checked as `chart check` would,
//!   with the findings its values intend (a pre-created Secret, a PSS *baseline* init
//!   container) ignored with a reason.
//! - **Local** ([`verify_local`]): run the rendered app containers as local processes (or
//!   podman containers) with exactly the chart's command, env and ports against a real
//!   PostgreSQL, probe them as the kubelet would, run the smoke journey ([`journey`]).
//! - **Live** ([`verify_live`]): the release is deployed, rolled out, Ready with zero restarts,
//!   runs the images that were built, Services have endpoints; the smoke journey through
//!   `kubectl port-forward`; data survives pod deletion; `helm test` passes.
//!
//! Library only: nothing here prints or exits. Reports implement `Display` for people and
//! `Serialize` for `--json`.

mod error;
mod live;
mod local;
mod release;
#[cfg(test)]
mod test_support;

pub use error::{Error, Result};
pub use live::{ExpectedImage, LiveOptions, LiveReport, verify_live};
pub use local::{
    Engine, LocalOptions, LocalReport, ServiceBinaries, build_services, verify_local,
    verify_local_chart,
};
pub use release::{check_release, intended_by_the_values};
pub use smoke::{Progress, ProgressEvent, SmokeReport, Step, StepFailure, StepResult, journey};
