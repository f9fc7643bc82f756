pub use e2e::k8s::{list_json, pod, waiting_pod};
