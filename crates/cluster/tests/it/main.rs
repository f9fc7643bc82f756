#![allow(clippy::unwrap_used, missing_docs)]

mod fake;
mod fixtures;
mod kubectl;
mod live;
mod plan;
mod rollout;
