#![allow(clippy::unwrap_used, missing_docs)]

mod access;
mod fake;
mod fixtures;
mod inputs;
mod kubectl;
mod live;
mod plan;
mod problem;
mod rollout;
mod status;
