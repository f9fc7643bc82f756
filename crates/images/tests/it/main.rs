#![allow(clippy::unwrap_used, missing_docs)]

mod docker;
mod fakes;
mod loader;
mod minikube;
mod ops;
mod real_build;
mod tag;
