//! Is this machine ready to deploy? `todoctl preflight` asks before `just deploy` does anything.
//!
//! [`check`] runs every check and returns a [`Report`]: one row per check with a status
//! (`ok`, `info`, `warn`, `FAIL`), what it found and the command that fixes it. The report
//! prints as a table ([`std::fmt::Display`]) and serializes for `--json`. Checks never stop at
//! the first problem: the user gets the whole list at once.
//!
//! # What is checked
//!
//! - **Tools**, found through their override variable (`MINIKUBE`, `HELM`, …) then `PATH`,
//!   with their version against our minimum:
//!
//!   | tool | minimum | how the version is read |
//!   |---|---|---|
//!   | minikube | 1.33 | `minikube version --output=json` |
//!   | helm | 3.14 (3.x or 4.x) | `helm version --short` |
//!   | kubectl | 1.30 | `kubectl version --client -o json` |
//!   | docker **or** podman | docker 24 / podman 4 | `docker version --format json` / `podman version --format json` |
//!   | just | 1.20 | `just --version` |
//!
//!   Optional, never blocking (absent is `info`): `kubectl-ai`, `kagent`, `docker ai` (Gordon).
//! - **docker buildx**: with a docker client, `docker buildx version` must answer: the kit
//!   builds with `DOCKER_BUILDKIT=1`, which Docker ≥ 23 refuses without the plugin (blocking
//!   unless Podman can build instead; see [`docker`]).
//! - **Container engine answering**: the one the Minikube driver uses (`docker` or `podman`),
//!   or any of them for a VM driver or a profile that does not exist yet. A docker client
//!   without an engine is reported as such.
//! - **Kube context**: the current context must be the Minikube profile. Any other context is
//!   refused unless named explicitly ([`Config::explicit_context`], `--context`), so nobody
//!   deploys to a production cluster by accident.
//! - **Minikube profile**: exists and runs; at least [`MIN_CPUS`] CPUs and [`MIN_MEMORY_MB`] MB;
//!   the addons the profile needs: `storage-provisioner` and `default-storageclass` always,
//!   `metrics-server` when an HPA is on, `ingress` when an Ingress is on.
//! - **Free disk** where the Minikube node and images live ([`DiskCheck`]).
//! - **Secrets** the profile requires ([`Secret`]): only whether each is present (and long
//!   enough); a value never appears in the report, in an argument or in a child's environment.
//!   Secrets in the cluster are checked by key name only.
//! - **AI provider**: which provider key variables are set (names only) and the host of
//!   `OPENAI_BASE_URL`.
//!
//! # Exit codes ([`Report::exit_code`])
//!
//! | code | meaning |
//! |---|---|
//! | 0 ([`EXIT_READY`]) | ready: every check `ok` (or `info`) |
//! | 1 ([`EXIT_BLOCKED`]) | at least one blocking problem (`FAIL`): deploying would fail or do harm |
//! | 2 ([`EXIT_WARNINGS`]) | no blocking problem, but warnings: deploying should work; read them |
//!
//! # Example
//!
//! ```no_run
//! let mut config = preflight::Config::for_chart_profile(
//!     chart_values::Profile::Dev,
//!     "minikube",
//!     std::path::Path::new("helm/todo-chatbot"),
//! )?;
//! config.explicit_context = None; // or Some("my-cluster".into()) from --context
//! let report = preflight::check(&config);
//! println!("{report}"); // or serde_json::to_string_pretty(&report)
//! std::process::exit(report.exit_code().into());
//! # Ok::<(), preflight::Error>(())
//! ```

mod cluster;
mod config;
mod disk;
pub mod docker;
mod engine;
mod error;
pub mod minikube;
mod probe;
mod report;
mod secrets;
mod tools;
mod values;
pub mod version;

pub use cluster::{MIN_CPUS, MIN_MEMORY_MB};
pub use config::{Config, DiskCheck, Env, GIB, Need, Secret, SecretSource};
pub use error::Error;
pub use report::{Check, EXIT_BLOCKED, EXIT_READY, EXIT_WARNINGS, Report, Status};
pub use values::ProfileNeeds;

use probe::Probe;

/// Runs every check for `config` and returns the report. Only read-only commands are run
/// (version queries, `minikube status`/`profile list`/`addons list`/`config view`,
/// `kubectl config …`, `kubectl get secret` printing key names); nothing is changed.
pub fn check(config: &Config) -> Report {
    let probe = Probe::new(config);
    let mut checks = Vec::new();

    let minikube = tools::find(&probe, &tools::MINIKUBE);
    let helm = tools::find(&probe, &tools::HELM);
    let kubectl = tools::find(&probe, &tools::KUBECTL);
    let docker = tools::find(&probe, &tools::DOCKER);
    let podman = tools::find(&probe, &tools::PODMAN);
    let just = tools::find(&probe, &tools::JUST);
    let other_cluster =
        !minikube::is_target(config.explicit_context.as_deref(), &config.minikube_profile);
    checks.push(if other_cluster && !minikube.is_present() {
        // Another cluster was named: Minikube is neither started nor loaded into.
        Check::new(
            "tool.minikube",
            "minikube",
            Status::Info,
            format!(
                "not needed: deploying to context {}",
                config.explicit_context.as_deref().unwrap_or_default()
            ),
        )
    } else {
        tools::row(&minikube)
    });
    checks.push(tools::row(&helm));
    checks.push(tools::row(&kubectl));
    checks.extend(tools::engine_rows(&docker, &podman));
    checks.push(tools::buildx(&probe, &docker, &podman));
    checks.push(tools::row(&just));
    checks.push(tools::optional(
        &probe,
        "kubectl-ai",
        &["version"],
        "optional: `nix develop` provides it (or https://github.com/GoogleCloudPlatform/kubectl-ai)",
    ));
    checks.push(tools::optional(
        &probe,
        "kagent",
        &["version"],
        "optional: `nix develop` provides it (or https://kagent.dev/docs/kagent/getting-started)",
    ));
    checks.push(tools::docker_ai(&probe, &docker));

    let cluster = minikube
        .is_present()
        .then(|| cluster::ask(&probe, &config.minikube_profile));
    let driver = cluster.as_ref().and_then(cluster::Cluster::driver);
    checks.push(engine::row(
        &probe,
        &docker,
        &podman,
        driver,
        &config.minikube_profile,
    ));

    let context = cluster::context(&probe, config, kubectl.is_present());
    checks.push(context.check.clone());

    match &cluster {
        _ if !context.is_minikube => checks.push(Check::new(
            "minikube.profile",
            "minikube profile",
            Status::Info,
            format!(
                "skipped: deploying to context {}, not Minikube",
                context.context.as_deref().unwrap_or("?")
            ),
        )),
        None => checks.push(Check::new(
            "minikube.profile",
            "minikube profile",
            Status::Info,
            "skipped: minikube not found",
        )),
        Some(cluster) => checks.extend(cluster::rows(config, cluster)),
    }

    checks.push(disk::row(config));
    checks.extend(secrets::rows(&probe, config, &context));
    checks.push(secrets::ai_row(config));

    Report::new(
        config.profile,
        config.minikube_profile.clone(),
        context.context,
        checks,
    )
}
