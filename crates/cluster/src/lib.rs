//! Drive a local Kubernetes cluster for the todo-chatbot: Minikube, Helm and kubectl.
//!
//! - [`kubectl`]: typed reads (pods, deployments, statefulsets, events, endpoints, services),
//!   logs and port-forwards — also used by the `verify` crate for its live checks;
//! - [`rollout`]: fail-fast detection of pods that will never become ready.
//!
//! Mutating operations take an [`exec::Runner`], so `--dry-run` prints the exact plan.

pub mod error;
pub mod kubectl;
pub mod rollout;
pub mod tools;

pub use error::{Error, Result};
pub use kubectl::{Kubectl, PortForward};
pub use rollout::RolloutFailure;
pub use tools::Tools;
