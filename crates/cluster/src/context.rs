//! Which cluster we may touch: the Minikube profile's context, or one the user named.

use crate::error::{Error, Result};
use crate::kubectl::Kubectl;

/// The context chosen for a run and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    /// The kube context every command is pinned to.
    pub context: String,
    /// Where it came from.
    pub source: ContextSource,
    /// The Minikube profile behind the context, when it is one
    /// ([`preflight::minikube::is_target`]): where images are loaded and fixes run.
    pub minikube_profile: Option<String>,
}

/// Where the target context came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ContextSource {
    /// Named by the caller (`--context`).
    Explicit,
    /// The current context, which is the Minikube profile's.
    MinikubeProfile,
    /// No current context yet (a plan on a clean machine): the profile's context is assumed,
    /// as `minikube start -p PROFILE` will create and select it.
    AssumedForPlan,
}

/// Chooses the context to act on. An `explicit` context always wins. Otherwise the current
/// context must be the Minikube profile's (minikube names it after the profile); anything
/// else is refused, so a deploy can never land on a production cluster by accident. With no
/// current context at all, a dry run assumes the profile and a live run is refused.
pub fn resolve_target(
    kubectl: &Kubectl,
    profile: &str,
    explicit: Option<&str>,
    dry_run: bool,
) -> Result<Target> {
    let on_minikube = preflight::minikube::is_target(explicit, profile);
    let target = |context: String, source| Target {
        context,
        source,
        minikube_profile: on_minikube.then(|| profile.to_owned()),
    };
    if let Some(context) = explicit {
        return Ok(target(context.to_owned(), ContextSource::Explicit));
    }
    match kubectl.current_context()? {
        Some(current) if current == profile => Ok(target(current, ContextSource::MinikubeProfile)),
        Some(current) => Err(Error::WrongContext {
            current,
            profile: profile.to_owned(),
        }),
        None if dry_run => Ok(target(profile.to_owned(), ContextSource::AssumedForPlan)),
        None => Err(Error::NoContext {
            profile: profile.to_owned(),
        }),
    }
}
