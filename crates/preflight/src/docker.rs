//! What the Docker CLI says when BuildKit has no buildx plugin to run on, and what fixes it.
//!
//! Since Docker 23 `docker build` is `docker buildx build`; with `DOCKER_BUILDKIT=1` (what the
//! kit sets) and the plugin missing, the CLI refuses every build instead of falling back to
//! the legacy builder. Distribution packages such as Ubuntu's `docker.io` ship the plugin
//! separately, so a machine can have a working engine and no way to build.

/// The words of the Docker CLI's refusal: "ERROR: BuildKit is enabled but the buildx component
/// is missing or broken." followed by "Install the buildx component to build images with
/// BuildKit: https://docs.docker.com/go/buildx/" (exit status 1).
const BUILDX_REFUSAL: &str = "BuildKit is enabled but the buildx component is missing or broken";

/// How to get the plugin, for preflight's row and the build error.
pub const BUILDX_FIX: &str = "install Docker's buildx plugin: `sudo apt install docker-buildx` (Debian/Ubuntu `docker.io`, Arch `pacman -S docker-buildx`) or `sudo apt install docker-buildx-plugin` (Docker's own apt/dnf repositories; Docker Desktop ships it), see https://docs.docker.com/go/buildx/";

/// Whether a build's output is the Docker CLI refusing to build without buildx.
pub fn buildx_missing(output: &str) -> bool {
    output.contains(BUILDX_REFUSAL)
}
