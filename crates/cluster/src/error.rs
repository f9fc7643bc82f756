//! The crate's error type.

use std::path::PathBuf;

use crate::rollout::RolloutFailure;

/// Why a cluster operation failed. Messages name the command, file or object involved and,
/// where there is one, the command that fixes it. Secrets never appear in them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A tool could not be run or exited unsuccessfully (its stderr tail is included).
    #[error(transparent)]
    Exec(#[from] exec::Error),

    /// A tool printed output we could not parse.
    #[error("could not parse the output of `{command}`: {message}")]
    Parse {
        /// The redacted command line.
        command: String,
        /// What was wrong with the output.
        message: String,
    },

    /// The current kube context is not the Minikube profile and no context was named.
    #[error(
        "the current kube context is `{current}`, not the Minikube profile `{profile}`: refusing to touch it. \
         Run `minikube start -p {profile}` (or `kubectl config use-context {profile}`), \
         or pass `--context {current}` if you really mean that cluster"
    )]
    WrongContext {
        /// The context kubectl would use.
        current: String,
        /// The Minikube profile we expected.
        profile: String,
    },

    /// kubectl has no current context and none was named.
    #[error(
        "kubectl has no current context: run `minikube start -p {profile}` (it sets the context `{profile}`), \
         or pass `--context NAME`"
    )]
    NoContext {
        /// The Minikube profile we expected.
        profile: String,
    },

    /// `helm version --short` printed something that is not Helm 3 or 4.
    #[error("unsupported Helm version `{found}` (from `{command}`): install Helm 3.13+ or Helm 4")]
    HelmVersion {
        /// The redacted command line.
        command: String,
        /// What it printed.
        found: String,
    },

    /// A rollout stopped on a pod that will not recover by waiting.
    #[error("{0}")]
    Rollout(Box<RolloutFailure>),

    /// A local file could not be read or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What we were doing ("writing the backup to", ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The caller's input is unusable.
    #[error("{0}")]
    Invalid(String),

    /// No pod to act on.
    #[error(
        "no {what} pod found in namespace `{namespace}` (selector `{selector}`): is the release deployed? Try `todoctl status`"
    )]
    NoPod {
        /// The component ("database", "backend", ...).
        what: String,
        /// The namespace searched.
        namespace: String,
        /// The label selector used.
        selector: String,
    },

    /// The release has no object of this kind for the component.
    #[error(
        "the release has no {kind} for the {component} in namespace `{namespace}` (selector `{selector}`): is it deployed with this --release and --namespace? Try `todoctl status`"
    )]
    NoObject {
        /// `Service`, `StatefulSet`, ...
        kind: &'static str,
        /// The component ("database", "frontend", ...).
        component: String,
        /// The namespace searched.
        namespace: String,
        /// The label selector used.
        selector: String,
    },

    /// A port-forward did not start listening.
    #[error("port-forward to {target} did not come up on 127.0.0.1:{port}: {message}")]
    PortForward {
        /// `svc/NAME` or `pod/NAME`.
        target: String,
        /// The local port.
        port: u16,
        /// kubectl's output, or why we gave up.
        message: String,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
