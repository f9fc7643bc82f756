//! How a browser on this machine reaches the app after a deploy: the frontend Service's real
//! node port on the Minikube node, or, where the node's address does not route to this
//! machine, what `minikube service --url` does there — a tunnel that lives as long as the
//! command runs.
//!
//! The rule is minikube's own (`pkg/minikube/driver`, `NeedsPortForward`): the container drivers
//! (`docker`, `podman`) put the node inside the engine's network, which only a Linux host shares;
//! on macOS, Windows and WSL (Docker Desktop's VM) or with a remote engine (`DOCKER_HOST` over
//! TCP or SSH) the node IP is unreachable. Where the rule allows the direct address, the port is
//! still tried once, since a rootless engine or Docker Desktop for Linux hides the node too.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use serde::Serialize;

use crate::deploy::Cluster;
use crate::error::Result;
use crate::minikube;

/// How long the one connection attempt to the node port may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The machine the user runs todoctl (and a browser) on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    /// `linux`, `macos`, `windows` (Rust's `std::env::consts::OS`).
    pub os: String,
    /// Running inside WSL, where the container engine is Docker Desktop's VM.
    pub wsl: bool,
    /// `DOCKER_HOST`, when set.
    pub docker_host: Option<String>,
}

impl Host {
    /// This process's machine: its OS, the variables WSL sets (`WSL_DISTRO_NAME`, `WSLENV`,
    /// `WSLPATH`, as minikube checks them) and `DOCKER_HOST`.
    pub fn current() -> Host {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        Host {
            os: std::env::consts::OS.to_owned(),
            wsl: ["WSL_DISTRO_NAME", "WSLENV", "WSLPATH"]
                .into_iter()
                .any(set),
            docker_host: std::env::var("DOCKER_HOST").ok().filter(|v| !v.is_empty()),
        }
    }
}

/// Where the frontend answers for this machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FrontendAccess {
    /// The node port answers directly: open `url`.
    NodePort {
        /// `http://<minikube ip>:<node port>`.
        url: String,
    },
    /// The node is not reachable from here: `command` opens a tunnel, prints the local URL to
    /// open and must keep running.
    Tunnel {
        /// `minikube service NAME --namespace NS --profile P --url`.
        command: String,
        /// Why the node's address does not work here.
        reason: String,
    },
}

/// Whether the driver cannot give this machine a route to the node's IP (minikube's
/// `NeedsPortForward`): a container driver on macOS, Windows or WSL, or on a remote engine.
pub fn needs_tunnel(driver: &str, host: &Host) -> Option<String> {
    if !matches!(driver, "docker" | "podman") {
        return None;
    }
    if let Some(remote) = host
        .docker_host
        .as_deref()
        .filter(|h| !(h.starts_with("unix://") || h.starts_with("npipe://")))
    {
        return Some(format!(
            "the {driver} driver runs the node on the engine at {remote}, not on this machine"
        ));
    }
    let place = match host.os.as_str() {
        "macos" => "macOS",
        "windows" => "Windows",
        _ if host.wsl => "WSL",
        _ => return None,
    };
    Some(format!(
        "with the {driver} driver on {place} the node runs inside the engine's VM, whose addresses this machine cannot reach"
    ))
}

/// The node port of a NodePort or LoadBalancer Service: the port named `http`, else the first
/// that has one.
pub fn node_port(service: &Service) -> Option<i32> {
    let spec = service.spec.as_ref()?;
    if !matches!(spec.type_.as_deref(), Some("NodePort" | "LoadBalancer")) {
        return None;
    }
    let ports = spec.ports.as_deref().unwrap_or_default();
    ports
        .iter()
        .find(|p| p.name.as_deref() == Some("http") && p.node_port.is_some())
        .or_else(|| ports.iter().find(|p| p.node_port.is_some()))
        .and_then(|p| p.node_port)
}

/// How to reach the release's frontend on the Minikube `profile` from `host`, from the
/// frontend Service as the API server has it. `None` when the Service has no node port (a
/// ClusterIP profile): then only `kubectl port-forward` reaches it.
pub fn frontend_access(
    cluster: &Cluster,
    profile: &str,
    host: &Host,
) -> Result<Option<FrontendAccess>> {
    let Ok(service) = cluster.component_object::<Service>("frontend") else {
        return Ok(None);
    };
    let name = service.metadata.name.clone().unwrap_or_default();
    let Some(port) = node_port(&service) else {
        return Ok(None);
    };
    let tunnel = |reason: String| FrontendAccess::Tunnel {
        command: format!(
            "minikube service {name} --namespace {} --profile {profile} --url",
            cluster.namespace
        ),
        reason,
    };
    let driver = minikube::driver(&cluster.tools.minikube, profile)?;
    if let Some(reason) = needs_tunnel(&driver, host) {
        return Ok(Some(tunnel(reason)));
    }
    let ip = minikube::ip(&exec::Runner::live(), &cluster.tools.minikube, profile)?;
    let address = format!("{ip}:{port}");
    Ok(Some(match answers(&address) {
        Ok(()) => FrontendAccess::NodePort {
            url: format!("http://{address}"),
        },
        Err(why) => tunnel(format!(
            "{address} (the node port) does not answer from this machine: {why}"
        )),
    }))
}

fn answers(address: &str) -> std::result::Result<(), String> {
    let addr: SocketAddr = address
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or_else(|| format!("{address} resolves to nothing"))?;
    TcpStream::connect_timeout(&addr, PROBE_TIMEOUT)
        .map(drop)
        .map_err(|e| e.to_string())
}
