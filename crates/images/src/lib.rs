//! Container images for the todo-chatbot: content-hash tags, builds through docker (BuildKit), podman, buildah or Minikube, size budgets, loading
//! into the cluster (Minikube, a node's containerd, k3s, kind, k3d) with an image-ID check, and
//! pruning of our older tags.
//!
//! The CLI (`todoctl images check|build|load|prune`) is a thin shell over [`ops`]:
//! [`ops::check`], [`ops::build`], [`ops::load`] and [`ops::prune`], all driven by a
//! [`Project`] (the two images and their budgets). The Dockerfile rules themselves are
//! `dockerfile-check`, which [`ops::check`] runs and every build runs first. Nothing here prints; long work reports
//! through a [`ops::Progress`] callback.

pub mod component;
pub mod docker;
pub mod engine;
mod error;
pub mod loader;
pub mod minikube;
pub mod ops;
pub mod tag;
pub mod workspace;

pub use component::Component;
pub use engine::{BuildSettings, Engine, EngineChoice, EngineKind, EngineTools, NodeRuntime};
pub use error::Error;
pub use loader::{Loader, LoaderChoice};
pub use minikube::Minikube;
pub use ops::{BuiltImage, DockerfileReport, ImageSpec, Progress, Project, PruneReport};
// Re-exported so the crates that read image references keep one way to name it.
pub use dockerfile_check::ImageRef;
