//! The one way this project runs an external tool.
//!
//! Everything that spawns a process (helm, kubectl, minikube, buildah, our own binaries in tests)
//! goes through [`Cmd`]; clippy's `disallowed-methods` bans the alternatives elsewhere. Having a
//! single door gives every call the same guarantees:
//!
//! - **resolution**: a bare program name is looked up in an environment override first
//!   (`helm` → `$HELM`, `kubectl-ai` → `$KUBECTL_AI`), then on `PATH`; a missing tool is an
//!   error that says how to get it;
//! - **errors that explain**: a failed run names the command line, the exit status and the tail
//!   of the tool's stderr;
//! - **secrets stay secret**: arguments and environment values marked secret render as `***` in
//!   every display, error and dry-run record, and are scrubbed from captured stderr in errors;
//! - **timeouts** kill the child's whole process group;
//! - **dry runs**: a [`Runner`] either runs commands or records them, so a plan can be printed
//!   and tested without touching anything. Anything that changes state runs through a
//!   `Runner`; [`Cmd::run`] and its siblings are for reads, which a plan needs too;
//! - **interrupts**: the children's process groups are known, so a binary can pass Ctrl-C on
//!   to them and wait for them before it exits (see [`interrupt`]).
//!
//! ```no_run
//! use std::time::Duration;
//! let out = exec::Cmd::new("helm")
//!     .args(["version", "--short"])
//!     .timeout(Duration::from_secs(10))
//!     .run()?;
//! assert!(out.stdout.starts_with('v'));
//! # Ok::<(), exec::Error>(())
//! ```

mod ansi;
mod child;
mod cmd;
mod error;
pub mod interrupt;
mod resolve;
mod runner;

pub use ansi::strip_ansi;
pub use child::Child;
pub use cmd::Cmd;
pub use error::Error;
pub use resolve::{env_override_name, resolve, resolve_with};
pub use runner::{Output, Runner};
