//! Typed, read-only kubectl: `kubectl get -o json` parsed into k8s-openapi types, logs, and a
//! port-forward helper.
//!
//! Reads run directly (a dry run still needs to look at the cluster); mutations elsewhere in
//! this crate go through an [`exec::Runner`]. Every command pins `--context` when one is set,
//! so a context switch in another terminal cannot redirect us.
//!
//! ```no_run
//! use k8s_openapi::api::core::v1::Pod;
//! let kubectl = cluster::Kubectl::new("kubectl", "todo-chatbot").with_context("todo-chatbot");
//! let pods: Vec<Pod> = kubectl.list("app.kubernetes.io/instance=todo-chatbot")?;
//! let logs = kubectl.logs("todo-chatbot-backend-0", Some("backend"), 50, false)?;
//! let forward = kubectl.port_forward("svc/todo-chatbot-frontend", 0, 3000)?;
//! println!("{}", forward.url());
//! # Ok::<(), cluster::Error>(())
//! ```

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use exec::Cmd;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Event, PersistentVolumeClaim, Pod, Secret, Service,
};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// How long a single read may take before we give up on the API server.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A kubectl bound to one namespace and (optionally) one context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kubectl {
    program: String,
    context: Option<String>,
    namespace: String,
}

/// A `List` as `kubectl get -o json` prints it; only the items matter.
#[derive(serde::Deserialize)]
struct ListOf<T> {
    items: Vec<T>,
}

impl Kubectl {
    /// kubectl (`program`: a name or path, see [`exec::Cmd::new`]) in `namespace`, using the
    /// kubeconfig's current context.
    pub fn new(program: impl Into<String>, namespace: impl Into<String>) -> Kubectl {
        Kubectl {
            program: program.into(),
            context: None,
            namespace: namespace.into(),
        }
    }

    /// Pins every command to `context` (`--context`).
    pub fn with_context(mut self, context: impl Into<String>) -> Kubectl {
        self.context = Some(context.into());
        self
    }

    /// The same kubectl in another namespace.
    pub fn in_namespace(&self, namespace: impl Into<String>) -> Kubectl {
        Kubectl {
            namespace: namespace.into(),
            ..self.clone()
        }
    }

    /// The namespace commands run in.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The pinned context, if any.
    pub fn context(&self) -> Option<&str> {
        self.context.as_deref()
    }

    /// The program (name or path).
    pub fn program(&self) -> &str {
        &self.program
    }

    /// `kubectl [--context C] --namespace NS`: the start of every namespaced command, for
    /// callers that need a kubectl command this driver has no method for.
    pub fn cmd(&self) -> Cmd {
        self.global_cmd()
            .arg("--namespace")
            .arg(self.namespace.clone())
    }

    /// `kubectl [--context C]`, for cluster-scoped commands.
    pub fn global_cmd(&self) -> Cmd {
        let cmd = Cmd::new(self.program.clone());
        match &self.context {
            Some(context) => cmd.arg("--context").arg(context.clone()),
            None => cmd,
        }
    }

    /// The kubeconfig's current context, or `None` when none is set. Reads only the local
    /// kubeconfig; needs no cluster.
    pub fn current_context(&self) -> Result<Option<String>> {
        let out = Cmd::new(self.program.clone())
            .args(["config", "current-context"])
            .timeout(READ_TIMEOUT)
            .run_unchecked()?;
        let name = out.stdout.trim();
        if out.success() && !name.is_empty() {
            Ok(Some(name.to_owned()))
        } else if out.stderr.contains("current-context is not set")
            || out.stderr.contains("no configuration")
            || out.stderr.trim().is_empty()
        {
            Ok(None)
        } else {
            Err(exec::Error::Failed {
                command: "kubectl config current-context".into(),
                status: out.status,
                stderr: out.stderr,
            }
            .into())
        }
    }

    /// The resource name kubectl understands for `K` without ambiguity (`deployments.v1.apps`,
    /// `pods`).
    pub fn resource_name<K: k8s_openapi::Resource>() -> String {
        if K::GROUP.is_empty() {
            K::URL_PATH_SEGMENT.to_owned()
        } else {
            format!("{}.{}.{}", K::URL_PATH_SEGMENT, K::VERSION, K::GROUP)
        }
    }

    /// Every `K` in the namespace matching the label `selector` (empty: all), via
    /// `kubectl get RESOURCE -o json`.
    pub fn list<K>(&self, selector: &str) -> Result<Vec<K>>
    where
        K: k8s_openapi::Resource + DeserializeOwned,
    {
        let mut cmd = self
            .cmd()
            .args(["get", &Self::resource_name::<K>(), "--output", "json"]);
        if !selector.is_empty() {
            cmd = cmd.arg("--selector").arg(selector);
        }
        let out = cmd.clone().timeout(READ_TIMEOUT).run()?;
        parse_json::<ListOf<K>>(&cmd, &out.stdout).map(|list| list.items)
    }

    /// The `K` called `name`, or `None` when it does not exist.
    pub fn get<K>(&self, name: &str) -> Result<Option<K>>
    where
        K: k8s_openapi::Resource + DeserializeOwned,
    {
        let cmd = self.cmd().args([
            "get",
            &Self::resource_name::<K>(),
            name,
            "--ignore-not-found",
            "--output",
            "json",
        ]);
        let out = cmd.clone().timeout(READ_TIMEOUT).run()?;
        if out.stdout.trim().is_empty() {
            return Ok(None);
        }
        parse_json::<K>(&cmd, &out.stdout).map(Some)
    }

    /// Pods matching `selector`.
    pub fn pods(&self, selector: &str) -> Result<Vec<Pod>> {
        self.list(selector)
    }

    /// Deployments matching `selector`.
    pub fn deployments(&self, selector: &str) -> Result<Vec<Deployment>> {
        self.list(selector)
    }

    /// StatefulSets matching `selector`.
    pub fn statefulsets(&self, selector: &str) -> Result<Vec<StatefulSet>> {
        self.list(selector)
    }

    /// Services matching `selector`.
    pub fn services(&self, selector: &str) -> Result<Vec<Service>> {
        self.list(selector)
    }

    /// PersistentVolumeClaims matching `selector`.
    pub fn pvcs(&self, selector: &str) -> Result<Vec<PersistentVolumeClaim>> {
        self.list(selector)
    }

    /// Every event in the namespace (core/v1 Events), oldest first as the API returns them.
    pub fn events(&self) -> Result<Vec<Event>> {
        self.list("")
    }

    /// The Endpoints of the Service `service` (`None` when there is no such object).
    pub fn endpoints(&self, service: &str) -> Result<Option<Endpoints>> {
        self.get(service)
    }

    /// The names of the Secrets in the namespace (their data is never read).
    pub fn secret_names(&self) -> Result<Vec<String>> {
        self.names::<Secret>()
    }

    /// The names of the ConfigMaps in the namespace.
    pub fn configmap_names(&self) -> Result<Vec<String>> {
        self.names::<ConfigMap>()
    }

    /// Object names only (`-o name`), so no Secret value is ever read into memory.
    fn names<K: k8s_openapi::Resource>(&self) -> Result<Vec<String>> {
        let out = self
            .cmd()
            .args(["get", &Self::resource_name::<K>(), "--output", "name"])
            .timeout(READ_TIMEOUT)
            .run()?;
        Ok(out
            .stdout
            .lines()
            .filter_map(|l| l.trim().rsplit('/').next())
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// The last `tail` lines of a container's log (`previous`: of its last terminated
    /// instance, what a crash loop needs).
    pub fn logs(
        &self,
        pod: &str,
        container: Option<&str>,
        tail: u32,
        previous: bool,
    ) -> Result<String> {
        let mut cmd = self.cmd().args(["logs", pod, "--tail", &tail.to_string()]);
        if let Some(container) = container {
            cmd = cmd.arg("--container").arg(container);
        }
        if previous {
            cmd = cmd.arg("--previous");
        }
        Ok(cmd.timeout(READ_TIMEOUT).run()?.stdout)
    }

    /// The command [`Kubectl::port_forward`] runs, for plans and messages. `remote` is a port
    /// number or, for a Service, the name of one of its ports.
    pub fn port_forward_cmd(
        &self,
        target: &str,
        local: u16,
        remote: impl std::fmt::Display,
    ) -> Cmd {
        self.cmd().args([
            "port-forward",
            "--address",
            "127.0.0.1",
            target,
            &format!("{local}:{remote}"),
        ])
    }

    /// Forwards `127.0.0.1:local` to `remote` on `target` (`svc/NAME`, `pod/NAME`,
    /// `deploy/NAME`) in the background and waits until the local port accepts connections.
    /// `local` 0 picks a free port. The forward stops when the returned value is dropped.
    pub fn port_forward(&self, target: &str, local: u16, remote: u16) -> Result<PortForward> {
        let port = if local == 0 { free_port()? } else { local };
        let cmd = self.port_forward_cmd(target, port, remote);
        let child = cmd.spawn()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        loop {
            if let Some(out) = child.try_wait()? {
                return Err(Error::PortForward {
                    target: target.to_owned(),
                    port,
                    message: format!("kubectl exited: {}{}", out.stderr.trim(), out.stdout.trim()),
                });
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(PortForward {
                    child,
                    port,
                    target: target.to_owned(),
                });
            }
            if Instant::now() > deadline {
                return Err(Error::PortForward {
                    target: target.to_owned(),
                    port,
                    message: "nothing listening after 30s".into(),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A running `kubectl port-forward`; dropping it stops the forward.
#[derive(Debug)]
pub struct PortForward {
    child: exec::Child,
    port: u16,
    target: String,
}

impl PortForward {
    /// The local port (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What is forwarded (`svc/NAME`).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Blocks until kubectl exits (for a foreground `todoctl port-forward`).
    pub fn wait(self) -> Result<exec::Output> {
        Ok(self.child.wait()?)
    }

    /// Stops the forward now.
    pub fn stop(self) -> Result<()> {
        Ok(self.child.kill()?)
    }
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|source| Error::Io {
        action: "finding a free local port on",
        path: "127.0.0.1".into(),
        source,
    })?;
    let port = listener
        .local_addr()
        .map_err(|source| Error::Io {
            action: "finding a free local port on",
            path: "127.0.0.1".into(),
            source,
        })?
        .port();
    Ok(port)
}

/// Parses a tool's JSON output, naming the command when it does not fit.
pub(crate) fn parse_json<T: DeserializeOwned>(cmd: &Cmd, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|err| Error::Parse {
        command: cmd.to_string(),
        message: err.to_string(),
    })
}
