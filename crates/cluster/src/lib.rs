//! Drive a local Kubernetes cluster for the todo-chatbot: Minikube, Helm and kubectl.
//!
//! - [`kubectl`]: typed reads (pods, deployments, statefulsets, events, endpoints, services),
//!   logs and port-forwards — also used by the `verify` crate for its live checks;
//! - [`context`]: only the Minikube profile's context, or one named explicitly, is touched;
//! - [`minikube`]: `minikube start` with resources, Kubernetes version and addons;
//! - [`deploy`]: namespace, `helm upgrade --install` (Helm 3 or 4 flags), rollout watch,
//!   rollback, down;
//! - [`problem`]: the one classification of pod problems ([`PodProblem`]) and their fixes;
//! - [`rollout`]: fail-fast detection of pods that will never become ready;
//! - [`db`]: backup and restore through `kubectl exec`;
//! - [`status`]: the release at a glance;
//! - [`access`]: the URL (or the `minikube service --url` tunnel) the frontend answers on.
//!
//! Doctor and AI ops read the cluster through these drivers from the `diagnose` crate.
//!
//! Mutating operations take an [`exec::Runner`], so `--dry-run` records the exact plan
//! (secrets redacted; they only ever travel in a 0600 values file).
//!
//! # The CLI's calls
//!
//! Every subcommand but `minikube start` first builds a [`Cluster`] with
//! [`Cluster::connect`] (tools, Minikube profile, `--context`, namespace, release, dry-run),
//! which refuses a current context that is not the profile's unless `--context` names one.
//!
//! | Subcommand | Call |
//! |---|---|
//! | `minikube start` | [`minikube::start`]`(runner, &tools.minikube, &MinikubeOptions, on_line)` |
//! | `deploy` / `deploy --dry-run` | [`deploy::deploy`]`(runner, &cluster, &DeployOptions, on_line)` → [`DeployOutcome`] (`Planned`, `Unchanged`, `Deployed`); plan = `runner.recorded()` |
//! | `rollback [REVISION]` | [`deploy::rollback`]`(runner, &cluster, revision, timeout)` |
//! | `status` | [`status::status`]`(&cluster)` → [`StatusReport`] |
//! | `down [--purge]` | [`deploy::down`]`(runner, &cluster, purge, timeout)` → [`DownOutcome`] |
//! | `db backup FILE` | [`db::backup`]`(runner, &cluster, file)` → bytes written |
//! | `db restore FILE` | [`db::restore`]`(runner, &cluster, file)` |
//! | `port-forward [frontend\|backend]` | [`status::forward_target`] then [`Kubectl::port_forward`] and [`PortForward::wait`] (dry run: [`Kubectl::port_forward_cmd`]) |

pub mod access;
pub mod context;
pub mod db;
pub mod deploy;
pub mod error;
pub mod helm;
pub mod kubectl;
pub mod minikube;
pub mod problem;
pub mod rollout;
pub mod status;
pub mod tools;

pub use context::{ContextSource, Target, resolve_target};
pub use deploy::{
    COMPONENT_LABEL, Cluster, DEFAULT_NAMESPACE, DEFAULT_RELEASE, DeployOptions, DeployOutcome,
    DownOutcome, INSTANCE_LABEL, PodSecurityLevel, Profile, Secrets,
};
pub use error::{Error, Result};
pub use helm::{Helm, HelmMajor};
pub use kubectl::{Kubectl, PortForward};
pub use minikube::MinikubeOptions;
pub use problem::{ContainerProblem, CreateRefusal, FixContext, PodProblem};
pub use rollout::RolloutFailure;
pub use status::StatusReport;
pub use tools::Tools;
