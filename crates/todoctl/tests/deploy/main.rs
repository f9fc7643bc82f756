//! `just deploy` end to end on a real Kubernetes: the test cluster (docs/test-cluster.md), or
//! the cluster `TEST_KUBE_CONTEXT` names. Each test owns a namespace; see `kit`.

mod agreement;
mod broken;
mod data;
mod kit;
mod lifecycle;
mod live_path;
mod traffic;
