//! Where the tools live.

/// Where to find each tool this crate drives.
///
/// Each field is a program for [`exec::Cmd::new`]: a bare name (resolved through its
/// environment override such as `$KUBECTL`, then `PATH`) or a path. Tests give paths to fake
/// scripts here instead of mutating the process environment, so they can run in parallel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tools {
    /// kubectl.
    pub kubectl: String,
    /// helm (3 or 4; the major version is detected).
    pub helm: String,
    /// minikube.
    pub minikube: String,
    /// The docker client (only used by AI ops: `docker ai`).
    pub docker: String,
    /// kubectl-ai.
    pub kubectl_ai: String,
    /// kagent.
    pub kagent: String,
}

impl Tools {
    /// Each tool where `program` says its name (`kubectl`, `helm`, `minikube`, `docker`,
    /// `kubectl-ai`, `kagent`) lives.
    pub fn located(program: impl Fn(&str) -> String) -> Tools {
        Tools {
            kubectl: program("kubectl"),
            helm: program("helm"),
            minikube: program("minikube"),
            docker: program("docker"),
            kubectl_ai: program("kubectl-ai"),
            kagent: program("kagent"),
        }
    }
}

impl Default for Tools {
    /// Every tool by its bare name.
    fn default() -> Tools {
        Tools::located(str::to_owned)
    }
}
