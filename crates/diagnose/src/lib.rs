//! What is wrong with the todo-chatbot's deployment, and how to fix it.
//!
//! - doctor: [`collect`] reads a [`ClusterState`] (pods, events, PVCs, recent logs, Helm status)
//!   through the `cluster` crate's drivers; [`diagnose`] is a pure function of it over fixed
//!   [`RULES`], offline and deterministic, whose [`rules_markdown`] is the troubleshooting table;
//! - ai: [`ask`] puts the question to kubectl-ai or kagent, pinned to the target context and
//!   scoped to the release, and falls back to doctor when neither is set up or one fails.
//!
//! Pods are read as `cluster`'s [`cluster::PodProblem`] reads them, so doctor's findings and the
//! deploy's rollout watch name the same problem with the same fix.
//!
//! # The CLI's calls
//!
//! | Subcommand | Call |
//! |---|---|
//! | `doctor` | [`collect`]`(&cluster, profile)` then [`diagnose`]`(&state, &DoctorContext)`; [`render`] for text |
//! | `ai "<question>"` | [`ask`]`(&cluster, question, &AiEnv, &DoctorContext)` → [`AiAnswer`] |

mod ai;
mod doctor;
mod error;

pub use ai::{
    AiAnswer, AiBackend, AiEnv, ask, choose_backend, kagent_answer, kubectl_ai_answer,
    pinned_kubeconfig,
};
pub use doctor::{
    ClusterState, DoctorContext, Finding, RULES, Rule, collect, diagnose, render, rules_markdown,
};
pub use error::{Error, Result};
