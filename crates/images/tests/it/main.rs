#![allow(clippy::unwrap_used, missing_docs)]

mod docker;
mod dockerfile;
mod dockerignore;
mod fakes;
mod loader;
mod minikube;
mod ops;
mod real_build;
mod rules;
mod tag;
