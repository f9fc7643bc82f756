//! Static checks of the todo-chatbot's Dockerfiles: nothing is built, no engine or other
//! process runs, and the only input besides the strings given is files read from disk.
//!
//! [`Dockerfile`] parses a Dockerfile into stages and instructions, [`DockerIgnore`] reads a
//! `.dockerignore` with Docker's semantics (also what decides a build context's files), and
//! [`check`] applies the image rules ([`RuleId`], `IMG001`…) with a [`RuleContext`] (the
//! toolchain's Rust version, the context's `.dockerignore`), returning [`Finding`]s that each
//! carry a fix. [`ImageRef`] splits image references the way Docker does; the rules read base
//! images with it, and the rest of the kit reads its references with the same one.
//!
//! The `images` crate runs these checks before it builds; `todoctl images check` reports them.

mod dockerfile;
mod dockerignore;
mod error;
mod reference;
mod rules;

pub use dockerfile::{Args, Dockerfile, Flag, Heredoc, Instruction, Stage};
pub use dockerignore::DockerIgnore;
pub use error::Error;
pub use reference::ImageRef;
pub use rules::{Finding, RuleContext, RuleId, check, check_rule, read_toolchain};
