//! The harness for tests that need a real Kubernetes cluster, the pinned tools ([`tool`],
//! [`tools_path`]) every crate's tests run, and what tests of a library that drives tools
//! share: [`fake`] tools and [`k8s`] fixture states.
//!
//! Which cluster is never guessed: `TEST_KUBE_CONTEXT` names the context and `TEST_KUBECONFIG`
//! (optional) the kubeconfig holding it. `just test` sets both to the test cluster it starts
//! (`just test-cluster up`, docs/test-cluster.md) unless they are already set, so the same
//! tests run against a user's Minikube with `TEST_KUBE_CONTEXT=minikube just test`. A test that
//! asks for a cluster when none is named fails with the way to name one; it never skips.
//!
//! ```no_run
//! let cluster = e2e::TestCluster::from_env()?;
//! let ns = cluster.namespace("selftest")?; // deleted again when `ns` is dropped
//! let pods = ns.kubectl(["get", "pods", "-o", "json"]).run()?;
//! # Ok::<(), e2e::Error>(())
//! ```

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub mod fake;
pub mod k8s;
mod workspace;

pub use workspace::{copy_dir, repo_root, tool, tools_path};

/// The variable naming the context the tests use.
pub const CONTEXT_VAR: &str = "TEST_KUBE_CONTEXT";
/// The variable naming the kubeconfig that holds it (kubectl's default when unset).
pub const KUBECONFIG_VAR: &str = "TEST_KUBECONFIG";
/// The variable naming the node's containerd socket, when the tests may load images through it
/// (the test cluster); the kit gets it as `CONTAINERD_ADDRESS`.
pub const CONTAINERD_ADDRESS_VAR: &str = "TEST_CONTAINERD_ADDRESS";
/// The variable naming the crictl binary for that socket; the kit gets it as `CRICTL`.
pub const CRICTL_VAR: &str = "TEST_CRICTL";
/// The context of the cluster `just test-cluster up` starts.
pub const TEST_CLUSTER_CONTEXT: &str = "test-cluster";

/// What can go wrong while talking to the test cluster.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No cluster was named.
    #[error(
        "{CONTEXT_VAR} is not set: these tests need a real cluster. Run them through `just test` \
         (it starts the test cluster), or name one: {CONTEXT_VAR}=minikube just test"
    )]
    NoCluster,
    /// kubectl (or another tool) failed.
    #[error(transparent)]
    Exec(#[from] exec::Error),
    /// A condition did not hold in time.
    #[error("timed out after {seconds}s waiting for {what}; last seen: {last}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        seconds: u64,
        /// The last answer, for the reader.
        last: String,
    },
    /// kubectl printed something that is not the JSON asked for.
    #[error("kubectl {args} printed invalid JSON: {source}")]
    Json {
        /// The arguments.
        args: String,
        /// The parse error.
        source: serde_json::Error,
    },
}

/// The cluster the tests were given.
#[derive(Clone, Debug)]
pub struct TestCluster {
    context: String,
    kubeconfig: Option<PathBuf>,
    containerd_address: Option<String>,
    crictl: Option<String>,
}

impl TestCluster {
    /// The cluster named by `TEST_KUBE_CONTEXT` (and `TEST_KUBECONFIG`).
    pub fn from_env() -> Result<TestCluster, Error> {
        let context = std::env::var(CONTEXT_VAR)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or(Error::NoCluster)?;
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Ok(TestCluster {
            context,
            kubeconfig: var(KUBECONFIG_VAR).map(PathBuf::from),
            containerd_address: var(CONTAINERD_ADDRESS_VAR),
            crictl: var(CRICTL_VAR),
        })
    }

    /// The context every command is pinned to.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Whether this is the cluster `just test-cluster` runs (its versions are pinned).
    pub fn is_test_cluster(&self) -> bool {
        self.context == TEST_CLUSTER_CONTEXT
    }

    /// The environment a tool needs to find the cluster: `KUBECONFIG` when one was named, and
    /// for the kit also `CONTAINERD_ADDRESS` and `CRICTL` when images load through a socket.
    pub fn env(&self) -> Vec<(String, String)> {
        let kubeconfig = self.kubeconfig.iter().map(|k| k.display().to_string());
        [
            ("KUBECONFIG", kubeconfig.collect::<Vec<_>>().pop()),
            ("CONTAINERD_ADDRESS", self.containerd_address.clone()),
            ("CRICTL", self.crictl.clone()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect()
    }

    /// `kubectl --context CONTEXT ARGS…`, with the kubeconfig in its environment.
    pub fn kubectl<I, S>(&self, args: I) -> exec::Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let cmd = self
            .env()
            .into_iter()
            .fold(exec::Cmd::new("kubectl"), |cmd, (k, v)| cmd.env(k, v));
        cmd.args(["--context", &self.context])
            .args(args)
            .timeout(Duration::from_secs(120))
    }

    /// `kubectl … -o json`, parsed.
    pub fn json<I, S>(&self, args: I) -> Result<serde_json::Value, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args: Vec<String> = args.into_iter().map(Into::into).collect();
        let out = self
            .kubectl(args.iter().cloned().chain(["-o".into(), "json".into()]))
            .run()?;
        serde_json::from_str(&out.stdout).map_err(|source| Error::Json {
            args: args.join(" "),
            source,
        })
    }

    /// A new namespace named `PREFIX-<unique>`, deleted when the value is dropped.
    pub fn namespace(&self, prefix: &str) -> Result<Namespace, Error> {
        let name = unique_name(prefix);
        self.kubectl(["create", "namespace", &name]).run()?;
        Ok(Namespace {
            cluster: self.clone(),
            name,
        })
    }
}

/// A throwaway namespace; dropping it deletes it (without waiting).
#[derive(Debug)]
pub struct Namespace {
    cluster: TestCluster,
    name: String,
}

impl Namespace {
    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cluster it lives in.
    pub fn cluster(&self) -> &TestCluster {
        &self.cluster
    }

    /// `kubectl --context … --namespace NAME ARGS…`.
    pub fn kubectl<I, S>(&self, args: I) -> exec::Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.cluster.kubectl(["--namespace", &self.name]).args(args)
    }

    /// `kubectl apply -f -` with the given manifests.
    pub fn apply(&self, manifests: &str) -> Result<(), Error> {
        self.kubectl(["apply", "-f", "-"])
            .stdin_bytes(manifests.as_bytes().to_vec())
            .run()?;
        Ok(())
    }

    /// `kubectl … -o json` in this namespace, parsed.
    pub fn json<I, S>(&self, args: I) -> Result<serde_json::Value, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args = ["--namespace".to_owned(), self.name.clone()]
            .into_iter()
            .chain(args.into_iter().map(Into::into));
        self.cluster.json(args)
    }

    /// Waits for `kubectl wait --for=CONDITION TARGET`.
    pub fn wait_for(&self, condition: &str, target: &str, timeout: Duration) -> Result<(), Error> {
        self.kubectl([
            "wait",
            &format!("--for={condition}"),
            target,
            &format!("--timeout={}s", timeout.as_secs()),
        ])
        .timeout(timeout + Duration::from_secs(10))
        .run()?;
        Ok(())
    }
}

impl Namespace {
    /// `kubectl port-forward TARGET LOCAL:REMOTE` on a free local port, once it answers.
    pub fn port_forward(&self, target: &str, remote: u16) -> Result<Forward, Error> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| Error::Timeout {
                what: "a free local port".into(),
                seconds: 0,
                last: e.to_string(),
            })?;
        let child = self
            .kubectl([
                "port-forward",
                "--address",
                "127.0.0.1",
                target,
                &format!("{port}:{remote}"),
            ])
            .spawn()?;
        eventually(
            &format!("port-forward {target}"),
            Duration::from_secs(30),
            || {
                if let Some(out) = child.try_wait().map_err(|e| e.to_string())? {
                    return Err(format!(
                        "kubectl port-forward exited: {}",
                        out.stderr.trim()
                    ));
                }
                Ok(std::net::TcpStream::connect(("127.0.0.1", port))
                    .is_ok()
                    .then_some(()))
            },
        )?;
        Ok(Forward {
            port,
            _child: child,
        })
    }
}

/// A running `kubectl port-forward`; dropping it stops the forward.
#[derive(Debug)]
pub struct Forward {
    port: u16,
    _child: exec::Child,
}

impl Forward {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // Best effort: a namespace left behind is visible in `kubectl get ns` and harmless.
        let _ = self
            .cluster
            .kubectl(["delete", "namespace", &self.name, "--wait=false"])
            .run_unchecked();
    }
}

/// Retries `check` until it returns `Ok(Some(value))` or `timeout` passes. `Ok(None)` and
/// errors mean "not yet"; the last of them is reported on timeout.
pub fn eventually<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<Option<T>, String>,
) -> Result<T, Error> {
    let deadline = Instant::now() + timeout;
    let mut last = String::from("nothing yet");
    loop {
        match check() {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(e) => last = e,
        }
        if Instant::now() > deadline {
            return Err(Error::Timeout {
                what: what.to_owned(),
                seconds: timeout.as_secs(),
                last,
            });
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `PREFIX-<pid><counter><time>` in base 36: unique across the parallel test processes.
fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let n = u64::from(std::process::id()) * 1_000_003
        + u64::from(COUNTER.fetch_add(1, Ordering::Relaxed)) * 7919
        + u64::from(nanos);
    format!("{prefix}-{}", base36(n))
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}
