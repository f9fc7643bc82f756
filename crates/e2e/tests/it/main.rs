//! Tests against a real Kubernetes cluster (see the crate docs for which one).

mod ai;
mod autoscale;
mod selftest;
