//! Drive a local Kubernetes cluster for the todo-chatbot: Minikube, Helm and kubectl.
//!
//! - [`kubectl`]: typed reads (pods, deployments, statefulsets, events, endpoints, services),
//!   logs and port-forwards — also used by the `verify` crate for its live checks;
//! - [`context`]: only the Minikube profile's context, or one named explicitly, is touched;
//! - [`minikube`]: `minikube start` with resources, Kubernetes version and addons;
//! - [`deploy`]: namespace, `helm upgrade --install` (Helm 3 or 4 flags), rollout watch,
//!   rollback, down;
//! - [`rollout`]: fail-fast detection of pods that will never become ready;
//! - [`db`]: backup and restore through `kubectl exec`;
//! - [`status`]: the release at a glance.
//!
//! Mutating operations take an [`exec::Runner`], so `--dry-run` records the exact plan
//! (secrets redacted; they only ever travel in a 0600 values file).

pub mod ai;
pub mod context;
pub mod db;
pub mod deploy;
pub mod doctor;
pub mod error;
pub mod helm;
pub mod kubectl;
pub mod minikube;
pub mod rollout;
pub mod status;
pub mod tools;

pub use context::{ContextSource, Target, resolve_target};
pub use deploy::{
    Cluster, DEFAULT_NAMESPACE, DEFAULT_RELEASE, DeployOptions, DeployOutcome, DownOutcome,
    PodSecurityLevel, Profile, Secrets,
};
pub use error::{Error, Result};
pub use helm::{Helm, HelmMajor};
pub use kubectl::{Kubectl, PortForward};
pub use minikube::MinikubeOptions;
pub use rollout::RolloutFailure;
pub use status::StatusReport;
pub use tools::Tools;
