//! `verify local`: run the chart's app containers on this machine, exactly as the rendered
//! Deployments configure them, against a real PostgreSQL, then probe them as the kubelet would
//! and run the smoke journey. No cluster needed.
//!
//! What it catches is chart ↔ app drift: env names the app never reads (from the app's own
//! `--help`, `[env: NAME]`), probe paths that 404, ports that differ, database settings that
//! disagree between the backend and the PostgreSQL StatefulSet, references that do not resolve.
//!
//! How the pod world is mapped to one machine:
//! - each declared container port gets a free local port; an env value equal to the container
//!   port (e.g. `PORT=8000`) is rewritten to it, as are `svc[.ns[.svc[.cluster.local]]]:port`
//!   URLs of Services that select a locally run workload;
//! - every `postgres://` URL is pointed at a fresh database on the local server (the chart's
//!   user, password and host mapped to the admin URL given), query parameters kept;
//! - ConfigMap and Secret references are resolved from the render, `$(VAR)` expanded like the
//!   kubelet does.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chart_check::{EnvSource, Finding, Object, Render, RuleId, Typed, mentions_host, parse_stream};
use exec::{Child, Cmd};
use images::ImageRef;
use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use reqwest::Url;
use serde::Serialize;

use crate::error::{Error, Result};
use smoke::SmokeReport;
use smoke::{Progress, Step, write_steps};

/// How the containers are run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Our binaries (release or debug builds) as local processes.
    Binaries,
    /// Our real images with `podman run --network host`.
    Podman,
}

/// Options of a local run.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// Binaries or images.
    pub engine: Engine,
    /// Image repository name (last path segment, no tag) → local binary, for
    /// [`Engine::Binaries`].
    pub binaries: BTreeMap<String, PathBuf>,
    /// Admin URL of the local PostgreSQL (may create databases), e.g.
    /// `postgres://postgres:postgres@127.0.0.1:5432/postgres`.
    pub admin_database_url: String,
    /// Deployment to run the smoke journey through (default: the one whose pods are the
    /// `frontend` component).
    pub entry: Option<String>,
    /// Run the smoke journey after the probes.
    pub smoke: bool,
    /// Upper bound on how long one probe may keep failing before the step fails. The chart's own
    /// budget (periodSeconds × failureThreshold, 180s for our startup probes) is used when
    /// smaller; the cap keeps a broken chart from stalling a run for minutes.
    pub max_probe_wait: Duration,
    /// Told when each step starts and ends.
    pub progress: Progress,
}

impl LocalOptions {
    /// Our two services: `todo-chatbot-backend` → `api`, `todo-chatbot-frontend` → `web`.
    pub fn todo_chatbot(admin_database_url: &str, api: PathBuf, web: PathBuf) -> Self {
        Self {
            engine: Engine::Binaries,
            binaries: BTreeMap::from([
                (images::Component::Backend.repository().to_owned(), api),
                (images::Component::Frontend.repository().to_owned(), web),
            ]),
            admin_database_url: admin_database_url.to_owned(),
            entry: None,
            smoke: true,
            max_probe_wait: Duration::from_secs(60),
            progress: Progress::default(),
        }
    }
}

/// Our two services' binaries, as [`build_services`] left them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceBinaries {
    /// todo-api.
    pub api: PathBuf,
    /// todo-web.
    pub web: PathBuf,
}

/// Builds todo-api and todo-web in the workspace at `root` with cargo (`release`: the optimized
/// profile) and finds the binaries where cargo put them ([`cargo_target_dir`]), so `verify
/// local` runs exactly what this tree builds. `on_line` sees cargo's output as it comes.
pub fn build_services(
    root: &Path,
    release: bool,
    on_line: impl FnMut(&str),
) -> Result<ServiceBinaries> {
    let mut build = Cmd::new("cargo")
        .current_dir(root)
        .args(["build", "-p", "todo-api", "-p", "todo-web"]);
    if release {
        build = build.arg("--release");
    }
    build.run_streaming(on_line)?;
    let dir = cargo_target_dir(root)?.join(if release { "release" } else { "debug" });
    Ok(ServiceBinaries {
        api: dir.join("todo-api"),
        web: dir.join("todo-web"),
    })
}

/// Where cargo builds the workspace at `root` (the directory whose `debug/` or `release/`
/// holds the binaries): `cargo metadata`'s `target_directory`, so `CARGO_TARGET_DIR`,
/// `build.target-dir` in `.cargo/config.toml` and the default `<workspace>/target` count
/// exactly as they do for the `cargo build` that made the binaries.
pub fn cargo_target_dir(root: &Path) -> Result<PathBuf> {
    target_dir_of(Cmd::new("cargo").current_dir(root))
}

/// `cargo metadata`'s `target_directory`, asked through `cargo` (tests set its environment).
fn target_dir_of(cargo: Cmd) -> Result<PathBuf> {
    #[derive(serde::Deserialize)]
    struct Metadata {
        target_directory: PathBuf,
    }
    let cmd = cargo.args(["metadata", "--no-deps", "--format-version", "1"]);
    let out = cmd.run()?;
    serde_json::from_str::<Metadata>(&out.stdout)
        .map(|metadata| metadata.target_directory)
        .map_err(|e| Error::ToolOutput {
            command: cmd.to_string(),
            message: e.to_string(),
        })
}

/// One env entry of a planned process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvEntry {
    /// Variable name.
    pub name: String,
    /// Value (`***` in reports when secret).
    #[serde(serialize_with = "redact_value")]
    pub value: EnvValue,
    /// Where it came from, e.g. `ConfigMap/todo-chatbot-backend` or `env`.
    pub from: String,
}

/// An env value and whether it is secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvValue {
    /// The value.
    pub text: String,
    /// Came from a Secret (directly or through `$(VAR)`).
    pub secret: bool,
}

fn redact_value<S: serde::Serializer>(v: &EnvValue, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(if v.secret { "***" } else { &v.text })
}

/// A container port and the local port standing in for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortMap {
    /// Port name.
    pub name: Option<String>,
    /// `containerPort`.
    pub container_port: i32,
    /// Local stand-in.
    pub local_port: u16,
}

/// One app container to run.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessPlan {
    /// `Deployment/name`.
    pub workload: String,
    /// Its pods' `app.kubernetes.io/component` label, if they have one.
    pub component: Option<String>,
    /// Container name.
    pub container: String,
    /// Image as rendered.
    pub image: String,
    /// The program run (local binary, or `podman`).
    pub program: String,
    /// Its arguments (container command/args; for podman the whole `podman run`).
    pub args: Vec<String>,
    /// The environment, resolved.
    pub env: Vec<EnvEntry>,
    /// Port mapping.
    pub ports: Vec<PortMap>,
    /// Notes on the mapping (rewritten URLs, neutralised inherited variables).
    pub notes: Vec<String>,
    #[serde(skip)]
    container_spec: Container,
}

/// The result of `verify local`.
#[derive(Debug, Clone, Serialize)]
pub struct LocalReport {
    /// What was run (chart and profile, or manifest file).
    pub target: String,
    /// Engine used.
    pub engine: Engine,
    /// The database used (password redacted).
    pub database: String,
    /// What was started, how.
    pub processes: Vec<ProcessPlan>,
    /// Drift findings (env-unread, database-credentials, dangling-reference).
    pub findings: Vec<Finding>,
    /// Start, probe and teardown steps.
    pub steps: Vec<Step>,
    /// The smoke journey, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smoke: Option<SmokeReport>,
}

impl LocalReport {
    /// No failing finding, every step and the smoke journey passed.
    pub fn passed(&self) -> bool {
        !self.findings.iter().any(Finding::is_failing)
            && self.steps.iter().all(|s| s.ok)
            && self.smoke.as_ref().is_none_or(SmokeReport::passed)
    }

    /// The rules of the findings, in catalog order.
    pub fn rule_ids(&self) -> BTreeSet<RuleId> {
        self.findings.iter().map(|f| f.rule).collect()
    }
}

impl fmt::Display for LocalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "verify local: {} ({} engine, database {})",
            self.target,
            match self.engine {
                Engine::Binaries => "binaries",
                Engine::Podman => "podman",
            },
            self.database
        )?;
        for p in &self.processes {
            let ports: Vec<String> = p
                .ports
                .iter()
                .map(|m| {
                    format!(
                        "{}{} -> 127.0.0.1:{}",
                        m.name
                            .as_deref()
                            .map(|n| format!("{n}/"))
                            .unwrap_or_default(),
                        m.container_port,
                        m.local_port
                    )
                })
                .collect();
            writeln!(
                f,
                "  {} [{}] {}  ports {}",
                p.workload,
                p.container,
                p.image,
                ports.join(", ")
            )?;
            for n in &p.notes {
                writeln!(f, "      {n}")?;
            }
        }
        for finding in &self.findings {
            writeln!(
                f,
                "  ERROR    {:<20} {}  {}",
                finding.rule, finding.object, finding.message
            )?;
            writeln!(f, "           fix: {}", finding.rule.rule().fix)?;
        }
        write_steps(f, &self.steps)?;
        if let Some(s) = &self.smoke {
            write!(f, "{s}")?;
        }
        writeln!(f, "  {}", if self.passed() { "PASS" } else { "FAIL" })
    }
}

/// A fresh database on a PostgreSQL server (created with an admin URL), dropped when this
/// value is dropped. `verify local` runs the app against one; tests use it too.
#[derive(Debug)]
pub struct FreshDatabase {
    admin: String,
    name: String,
    url: Url,
}

/// Internal name kept short.
type Database = FreshDatabase;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Local(format!("cannot start an async runtime: {e}")))
}

fn db_error(what: &str, e: impl fmt::Display) -> Error {
    Error::Database {
        what: what.into(),
        message: e.to_string(),
    }
}

impl FreshDatabase {
    /// Creates `verify_local_<pid>_<nanos>` with the admin URL (which may create databases).
    pub fn create(admin: &str) -> Result<Self> {
        use sqlx::Connection;
        let mut url = Url::parse(admin).map_err(|e| db_error("admin URL", e))?;
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let name = format!("verify_local_{}_{nonce}", std::process::id());
        runtime()?.block_on(async {
            let mut conn = sqlx::PgConnection::connect(admin)
                .await
                .map_err(|e| db_error("connect with the admin URL", e))?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut conn)
                .await
                .map_err(|e| db_error("create database", e))?;
            Ok::<_, Error>(())
        })?;
        url.set_path(&format!("/{name}"));
        Ok(Self {
            admin: admin.to_owned(),
            name,
            url,
        })
    }

    /// The database's URL (admin credentials, new database name), for tests that start a
    /// service on it themselves.
    #[cfg(test)]
    pub fn url(&self) -> &Url {
        &self.url
    }

    fn drop_now(&self) {
        use sqlx::Connection;
        if let Ok(rt) = runtime() {
            let _ = rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&self.admin).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                )))
                .execute(&mut conn)
                .await
            });
        }
    }
}

/// A URL with its password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

fn free_port() -> Result<u16> {
    let l =
        TcpListener::bind("127.0.0.1:0").map_err(|e| Error::Local(format!("no free port: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::Local(format!("no free port: {e}")))
}

/// Expands `$(VAR)` from `vars` like the kubelet: unknown references stay as written, `$$`
/// escapes. Returns the text and whether a secret value went in.
pub fn expand(text: &str, vars: &BTreeMap<String, EnvValue>) -> EnvValue {
    let mut out = String::new();
    let mut secret = false;
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
        } else if let Some(inner) = after.strip_prefix('(')
            && let Some(end) = inner.find(')')
        {
            let name = &inner[..end];
            match vars.get(name) {
                Some(v) => {
                    out.push_str(&v.text);
                    secret |= v.secret;
                }
                None => out.push_str(&format!("$({name})")),
            }
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    EnvValue { text: out, secret }
}

/// `$(NAME)` references in a text.
fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find("$(") {
        let inner = &rest[pos + 2..];
        let Some(end) = inner.find(')') else { break };
        out.push(inner[..end].to_owned());
        rest = &inner[end + 1..];
    }
    out
}

fn find<'a>(objects: &'a [Object], kind: &str, name: &str) -> Option<&'a Object> {
    objects.iter().find(|o| o.kind == kind && o.name == name)
}

/// What `obj` (a ConfigMap or Secret) gives an environment, values marked secret when it is a
/// Secret; empty for other kinds.
fn data_of(obj: &Object) -> BTreeMap<String, EnvValue> {
    let secret = matches!(obj.typed, Typed::Secret(_));
    obj.env_data()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, text)| (k, EnvValue { text, secret }))
        .collect()
}

/// Resolves a container's environment from the render. Missing non-optional references are
/// errors (the kubelet would not start the container).
pub fn resolve_env(
    objects: &[Object],
    owner: &Object,
    c: &Container,
) -> std::result::Result<Vec<EnvEntry>, String> {
    let mut vars: BTreeMap<String, EnvValue> = BTreeMap::new();
    let mut order: Vec<EnvEntry> = Vec::new();
    let mut set =
        |vars: &mut BTreeMap<String, EnvValue>, name: String, value: EnvValue, from: String| {
            vars.insert(name.clone(), value.clone());
            order.retain(|e| e.name != name);
            order.push(EnvEntry { name, value, from });
        };
    for ef in c.env_from.iter().flatten() {
        let prefix = ef.prefix.clone().unwrap_or_default();
        if let Some(EnvSource {
            kind,
            name,
            optional,
            ..
        }) = EnvSource::of_env_from(ef)
        {
            match find(objects, kind, name) {
                Some(obj) => {
                    for (k, v) in data_of(obj) {
                        set(
                            &mut vars,
                            format!("{prefix}{k}"),
                            v,
                            format!("{kind}/{name}"),
                        );
                    }
                }
                None if optional => {}
                None => return Err(format!("envFrom {kind} {name:?} is not in the render")),
            }
        }
    }
    for e in c.env.iter().flatten() {
        if let Some(v) = &e.value {
            let value = expand(v, &vars);
            set(&mut vars, e.name.clone(), value, "env".into());
            continue;
        }
        let Some(vf) = &e.value_from else {
            set(
                &mut vars,
                e.name.clone(),
                EnvValue {
                    text: String::new(),
                    secret: false,
                },
                "env".into(),
            );
            continue;
        };
        if let Some(EnvSource {
            kind,
            name,
            key: Some(key),
            optional,
            ..
        }) = EnvSource::of_value_from(vf)
        {
            match find(objects, kind, name)
                .map(data_of)
                .and_then(|d| d.get(key).cloned())
            {
                Some(v) => set(&mut vars, e.name.clone(), v, format!("{kind}/{name}")),
                None if optional => {}
                None => {
                    return Err(format!(
                        "env {} reads key {key:?} of {kind} {name:?}, which the render does not provide",
                        e.name
                    ));
                }
            }
            continue;
        }
        if let Some(fr) = &vf.field_ref {
            let text = match fr.field_path.as_str() {
                "metadata.name" => format!("{}-local", owner.name),
                "metadata.namespace" => owner.namespace.clone().unwrap_or_else(|| "default".into()),
                "status.podIP" | "status.hostIP" => "127.0.0.1".into(),
                "spec.nodeName" => "localhost".into(),
                other => format!("<{other}>"),
            };
            set(
                &mut vars,
                e.name.clone(),
                EnvValue {
                    text,
                    secret: false,
                },
                "fieldRef".into(),
            );
        }
    }
    Ok(order)
}

/// Env names the app declares: every `[env: NAME]` in its `--help`.
pub fn declared_env(help: &str) -> BTreeSet<String> {
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = BTreeSet::new();
    let mut rest = flat.as_str();
    while let Some(pos) = rest.find("[env: ") {
        let after = &rest[pos + 6..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
        rest = after;
    }
    out
}

/// Replaces `host:port` with `to` when `host` is a whole host name.
fn replace_host_port(text: &str, host: &str, port: i32, to: &str) -> String {
    let needle = format!("{host}:{port}");
    let mut out = String::new();
    let mut rest = text;
    while let Some(pos) = rest.find(&needle) {
        let before_ok = out
            .chars()
            .chain(rest[..pos].chars())
            .next_back()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'));
        let end = pos + needle.len();
        let after_ok = rest[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_digit());
        out.push_str(&rest[..pos]);
        if before_ok && after_ok {
            out.push_str(to);
        } else {
            out.push_str(&needle);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn port_number(c: &Container, port: &IntOrString) -> Option<i32> {
    match port {
        IntOrString::Int(n) => Some(*n),
        IntOrString::String(s) => c
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref() == Some(s.as_str()))
            .map(|p| p.container_port)
            .or_else(|| s.parse().ok()),
    }
}

struct Planned {
    plans: Vec<ProcessPlan>,
    findings: Vec<Finding>,
    failures: Vec<Step>,
}

/// Builds the run plan: which containers, with which program, env and ports.
fn plan(objects: &[Object], opts: &LocalOptions, db: &Url) -> Result<Planned> {
    let mut out = Planned {
        plans: Vec::new(),
        findings: Vec::new(),
        failures: Vec::new(),
    };
    let deployments: Vec<&Object> = objects.iter().filter(|o| o.kind == "Deployment").collect();
    if deployments.is_empty() {
        return Err(Error::Local(
            "the manifests have no Deployment to run".into(),
        ));
    }
    // Allocate local ports for every container port first: URLs between services need them.
    let mut port_of: BTreeMap<(String, i32), u16> = BTreeMap::new();
    for d in &deployments {
        let Some(pod) = d.pod() else { continue };
        for c in &pod.spec.containers {
            for p in c.ports.iter().flatten() {
                port_of.insert((d.id(), p.container_port), free_port()?);
            }
        }
    }
    // Service host:port -> 127.0.0.1:local for Services selecting a deployment we run.
    let mut rewrites: Vec<(String, i32, String, String)> = Vec::new();
    for svc in objects.iter().filter(|o| o.kind == "Service") {
        let Typed::Service(s) = &svc.typed else {
            continue;
        };
        let Some(spec) = &s.spec else { continue };
        let Some(sel) = spec.selector.as_ref().filter(|s| !s.is_empty()) else {
            continue;
        };
        for d in &deployments {
            let Some(pod) = d.pod() else { continue };
            if !sel.iter().all(|(k, v)| pod.labels.get(k) == Some(v)) {
                continue;
            }
            for sp in spec.ports.iter().flatten() {
                let target = sp.target_port.clone().unwrap_or(IntOrString::Int(sp.port));
                let Some(cp) = pod.spec.containers.iter().find_map(|c| {
                    port_number(c, &target)
                        .filter(|n| c.ports.iter().flatten().any(|p| p.container_port == *n))
                }) else {
                    continue;
                };
                let Some(local) = port_of.get(&(d.id(), cp)) else {
                    continue;
                };
                let ns = svc.namespace.clone().or_else(|| d.namespace.clone());
                let mut hosts = vec![svc.name.clone()];
                if let Some(ns) = ns {
                    hosts.insert(0, format!("{}.{ns}", svc.name));
                    hosts.insert(0, format!("{}.{ns}.svc", svc.name));
                    hosts.insert(0, format!("{}.{ns}.svc.cluster.local", svc.name));
                }
                for h in hosts {
                    rewrites.push((h, sp.port, format!("127.0.0.1:{local}"), svc.id()));
                }
            }
        }
    }
    rewrites.sort_by_key(|(h, ..)| std::cmp::Reverse(h.len()));
    for d in &deployments {
        let Some(pod) = d.pod() else { continue };
        for c in &pod.spec.containers {
            let image = c.image.clone().unwrap_or_default();
            let repo = ImageRef::new(&image).name();
            let mut notes = Vec::new();
            let mut env = match resolve_env(objects, d, c) {
                Ok(e) => e,
                Err(why) => {
                    out.findings.push(
                        Finding::new(
                            RuleId::DanglingReference,
                            d.id(),
                            format!("container {:?}: {why}", c.name),
                        )
                        .about(format!("container {}", c.name)),
                    );
                    continue;
                }
            };
            let ports: Vec<PortMap> = c
                .ports
                .iter()
                .flatten()
                .filter_map(|p| {
                    port_of.get(&(d.id(), p.container_port)).map(|l| PortMap {
                        name: p.name.clone(),
                        container_port: p.container_port,
                        local_port: *l,
                    })
                })
                .collect();
            for e in &mut env {
                if let Some(pm) = ports
                    .iter()
                    .find(|p| e.value.text == p.container_port.to_string())
                {
                    notes.push(format!(
                        "{}={} -> {} (container port {} runs on {})",
                        e.name, e.value.text, pm.local_port, pm.container_port, pm.local_port
                    ));
                    e.value.text = pm.local_port.to_string();
                }
                for (host, port, to, svc) in &rewrites {
                    let new = replace_host_port(&e.value.text, host, *port, to);
                    if new != e.value.text {
                        notes.push(format!("{}: {host}:{port} ({svc}) -> {to}", e.name));
                        e.value.text = new;
                    }
                }
                if let Ok(u) = Url::parse(&e.value.text)
                    && matches!(u.scheme(), "postgres" | "postgresql")
                {
                    let mut local = db.clone();
                    local.set_query(u.query());
                    notes.push(format!(
                        "{}: {} -> {}",
                        e.name,
                        redact_url(&e.value.text),
                        redact_url(local.as_str())
                    ));
                    if let Some(f) = database_consistency(objects, d, &e.name, &u) {
                        out.findings.push(f);
                    }
                    e.value.text = local.to_string();
                    e.value.secret = true;
                }
            }
            let (program, mut args) = match opts.engine {
                Engine::Binaries => {
                    let Some(bin) = opts.binaries.get(repo) else {
                        out.failures.push(Step::not_run(
                            format!("start {} [{}]", d.id(), c.name),
                            format!(
                                "no local binary for image {image:?} (known: {:?})",
                                opts.binaries.keys().collect::<Vec<_>>()
                            ),
                        ));
                        continue;
                    };
                    let bin_name = bin
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    // The container's command names the binary inside the image; run ours.
                    let mut args: Vec<String> = c.command.clone().unwrap_or_default();
                    if let Some(first) = args.first()
                        && first.rsplit('/').next() == Some(bin_name.as_str())
                    {
                        args.remove(0);
                    }
                    (bin.display().to_string(), args)
                }
                Engine::Podman => ("podman".to_owned(), podman_run_args(c, &env)),
            };
            let vars: BTreeMap<String, EnvValue> = env
                .iter()
                .map(|e| (e.name.clone(), e.value.clone()))
                .collect();
            args.extend(c.args.iter().flatten().map(|a| expand(a, &vars).text));
            out.plans.push(ProcessPlan {
                workload: d.id(),
                component: d
                    .pod()
                    .and_then(|pod| pod.labels.get(cluster::COMPONENT_LABEL).cloned()),
                container: c.name.clone(),
                image,
                program,
                args,
                env,
                ports,
                notes,
                container_spec: c.clone(),
            });
        }
    }
    Ok(out)
}

/// The `podman run` arguments for a container (env values travel in podman's environment, never
/// in argv).
pub fn podman_run_args(c: &Container, env: &[EnvEntry]) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "run".into(),
        "--rm".into(),
        "--network".into(),
        "host".into(),
        "--pull".into(),
        "never".into(),
    ];
    let sc = c.security_context.as_ref();
    if sc.and_then(|s| s.read_only_root_filesystem) == Some(true) {
        a.push("--read-only".into());
    }
    if let Some(u) = sc.and_then(|s| s.run_as_user) {
        let g = sc.and_then(|s| s.run_as_group).unwrap_or(u);
        a.extend(["--user".into(), format!("{u}:{g}")]);
    }
    if sc.and_then(|s| s.allow_privilege_escalation) == Some(false) {
        a.extend(["--security-opt".into(), "no-new-privileges".into()]);
    }
    for d in sc
        .and_then(|s| s.capabilities.as_ref())
        .and_then(|c| c.drop.as_ref())
        .into_iter()
        .flatten()
    {
        a.extend(["--cap-drop".into(), d.clone()]);
    }
    for m in c.volume_mounts.iter().flatten() {
        a.extend(["--tmpfs".into(), m.mount_path.clone()]);
    }
    for e in env {
        a.extend(["--env".into(), e.name.clone()]);
    }
    if let Some(cmd) = &c.command {
        if let Some(first) = cmd.first() {
            a.extend(["--entrypoint".into(), first.clone()]);
        }
        a.push(c.image.clone().unwrap_or_default());
        a.extend(cmd.iter().skip(1).cloned());
    } else {
        a.push(c.image.clone().unwrap_or_default());
    }
    a
}

/// The backend's database URL must name the user, password and database the embedded
/// PostgreSQL StatefulSet is created with (when the URL points at it).
fn database_consistency(
    objects: &[Object],
    owner: &Object,
    var: &str,
    url: &Url,
) -> Option<Finding> {
    let host = url.host_str()?;
    for sts in objects.iter().filter(|o| o.kind == "StatefulSet") {
        let pod = sts.pod()?;
        let selected = objects.iter().any(|svc| {
            let Typed::Service(s) = &svc.typed else {
                return false;
            };
            mentions_host(host, &svc.name)
                && host.split('.').next() == Some(svc.name.as_str())
                && s.spec
                    .as_ref()
                    .and_then(|sp| sp.selector.as_ref())
                    .is_some_and(|sel| {
                        !sel.is_empty() && sel.iter().all(|(k, v)| pod.labels.get(k) == Some(v))
                    })
        });
        if !selected {
            continue;
        }
        for c in &pod.spec.containers {
            let Ok(env) = resolve_env(objects, sts, c) else {
                continue;
            };
            let get = |n: &str| {
                env.iter()
                    .find(|e| e.name == n)
                    .map(|e| e.value.text.clone())
            };
            let Some(user) = get("POSTGRES_USER") else {
                continue;
            };
            let db = get("POSTGRES_DB").unwrap_or_else(|| user.clone());
            let password = get("POSTGRES_PASSWORD");
            let mut wrong = Vec::new();
            if url.username() != user {
                wrong.push(format!(
                    "user {:?} but {} creates {user:?}",
                    url.username(),
                    sts.id()
                ));
            }
            if url.path().trim_start_matches('/') != db {
                wrong.push(format!(
                    "database {:?} but {} creates {db:?}",
                    url.path().trim_start_matches('/'),
                    sts.id()
                ));
            }
            if let Some(pw) = password
                && url.password().unwrap_or_default() != pw
            {
                wrong.push(format!(
                    "a password other than {}'s POSTGRES_PASSWORD",
                    sts.id()
                ));
            }
            if !wrong.is_empty() {
                return Some(
                    Finding::new(
                        RuleId::DatabaseCredentials,
                        owner.id(),
                        format!("{var} uses {}", wrong.join("; ")),
                    )
                    .about(sts.id()),
                );
            }
        }
    }
    None
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Runs one probe once; Ok(note) on success.
fn probe_once(p: &Probe, c: &Container, ports: &[PortMap]) -> std::result::Result<String, String> {
    let local = |port: &IntOrString| -> std::result::Result<u16, String> {
        let n = port_number(c, port)
            .ok_or_else(|| format!("port {port:?} is not declared by the container"))?;
        ports
            .iter()
            .find(|m| m.container_port == n)
            .map(|m| m.local_port)
            .ok_or_else(|| format!("port {n} is not a declared containerPort (the kubelet would probe a closed port)"))
    };
    let timeout =
        Duration::from_secs(u64::try_from(p.timeout_seconds.unwrap_or(1).max(1)).unwrap_or(1));
    if let Some(h) = &p.http_get {
        let port = local(&h.port)?;
        let scheme = h.scheme.as_deref().unwrap_or("HTTP").to_ascii_lowercase();
        let path = h.path.clone().unwrap_or_else(|| "/".into());
        let url = format!("{scheme}://127.0.0.1:{port}{path}");
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        let mut req = client.get(&url);
        for hdr in h.http_headers.iter().flatten() {
            req = req.header(&hdr.name, &hdr.value);
        }
        let resp = req.send().map_err(|e| format!("GET {path}: {e}"))?;
        let status = resp.status().as_u16();
        return if (200..400).contains(&status) {
            Ok(format!("GET {path} -> {status}"))
        } else {
            Err(format!(
                "GET {path} -> {status}: {}",
                resp.text()
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect::<String>()
            ))
        };
    }
    if let Some(t) = &p.tcp_socket {
        let port = local(&t.port)?;
        let addr = ("127.0.0.1", port)
            .to_socket_addrs()
            .map_err(|e| e.to_string())?
            .next()
            .ok_or("no address")?;
        return TcpStream::connect_timeout(&addr, timeout)
            .map(|_| format!("TCP {port} open"))
            .map_err(|e| format!("TCP connect: {e}"));
    }
    Err("only httpGet and tcpSocket probes can run outside a container (use --engine podman for exec)".into())
}

/// Why a probe never passed.
enum ProbeFailure {
    /// The process ended first; what it wrote explains why.
    Exited { status: i32, output: String },
    /// It kept failing until the budget was spent.
    Failing(String),
}

/// Polls a probe like the kubelet: initialDelaySeconds, then every periodSeconds (capped at 1s
/// here, so a local run is quick) until it succeeds or the failure budget
/// (periodSeconds × failureThreshold) is spent.
fn probe_until(
    p: &Probe,
    c: &Container,
    ports: &[PortMap],
    child: &Child,
    cap: Duration,
) -> std::result::Result<String, ProbeFailure> {
    let period = u64::try_from(p.period_seconds.unwrap_or(10).max(1)).unwrap_or(10);
    let budget = Duration::from_secs(
        u64::try_from(p.initial_delay_seconds.unwrap_or(0).max(0)).unwrap_or(0)
            + period * u64::try_from(p.failure_threshold.unwrap_or(3).max(1)).unwrap_or(3),
    )
    .min(cap);
    let start = Instant::now();
    let mut tries = 0;
    loop {
        if let Ok(Some(out)) = child.try_wait() {
            return Err(ProbeFailure::Exited {
                status: out.status,
                output: format!("{}{}", out.stdout, out.stderr),
            });
        }
        tries += 1;
        let last = match probe_once(p, c, ports) {
            Ok(note) => return Ok(format!("{note} after {tries} attempt(s)")),
            Err(e) => e,
        };
        if start.elapsed() >= budget {
            return Err(ProbeFailure::Failing(format!(
                "still failing after {tries} attempts ({}s budget): {last}",
                budget.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(250).min(Duration::from_secs(period)));
    }
}

/// Renders a chart profile with real helm and runs [`verify_local`] on it.
pub fn verify_local_chart(
    render: &Render,
    profile: chart_values::Profile,
    opts: &LocalOptions,
) -> Result<LocalReport> {
    let manifests = render.render(&profile.to_string())?;
    let target = format!("{} (profile {profile})", render.chart.display());
    verify_local(&manifests, &target, opts)
}

/// Runs `verify local` on a manifest stream (usually `helm template` of the chart).
pub fn verify_local(manifests: &str, target: &str, opts: &LocalOptions) -> Result<LocalReport> {
    let parsed = parse_stream(manifests);
    let db = Database::create(&opts.admin_database_url)?;
    run(&parsed.objects, target, opts, &db)
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        self.drop_now();
    }
}

fn run(
    objects: &[Object],
    target: &str,
    opts: &LocalOptions,
    db: &Database,
) -> Result<LocalReport> {
    let planned = plan(objects, opts, &db.url)?;
    let mut report = LocalReport {
        target: target.to_owned(),
        engine: opts.engine,
        database: redact_url(db.url.as_str()),
        processes: planned.plans,
        findings: planned.findings,
        steps: planned.failures,
        smoke: None,
    };
    // Chart <-> app drift in env names, from the app's own --help.
    for p in &mut report.processes {
        let help_cmd = match opts.engine {
            Engine::Binaries => Cmd::new(&p.program).arg("--help"),
            Engine::Podman => {
                Cmd::new("podman").args(["run", "--rm", "--pull", "never", &p.image, "--help"])
            }
        }
        .timeout(Duration::from_secs(60));
        let help = help_cmd.run()?.stdout;
        let declared = declared_env(&help);
        let referenced: BTreeSet<String> = p
            .env
            .iter()
            .flat_map(|e| references_of(&p.container_spec, &e.name))
            .collect();
        for e in &p.env {
            if !declared.contains(&e.name) && !referenced.contains(&e.name) {
                report.findings.push(
                    Finding::new(
                        RuleId::EnvUnread,
                        p.workload.clone(),
                        format!(
                            "container {:?}: {} (from {}) is set but the app never reads it (its --help declares: {})",
                            p.container,
                            e.name,
                            e.from,
                            declared.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .about(format!("container {}", p.container)),
                );
            }
        }
        // Variables the app reads that the chart does not set must not leak in from our own
        // environment (the cluster would not have them).
        let set: BTreeSet<String> = p.env.iter().map(|e| e.name.clone()).collect();
        for name in &declared {
            if !set.contains(name) && std::env::var_os(name).is_some() {
                p.notes.push(format!(
                    "{name} is set in this environment but not by the chart: passed as empty"
                ));
                p.env.push(EnvEntry {
                    name: name.clone(),
                    value: EnvValue {
                        text: String::new(),
                        secret: false,
                    },
                    from: "neutralised".into(),
                });
            }
        }
    }
    let mut children: Vec<(usize, Child)> = Vec::new();
    for (i, p) in report.processes.iter().enumerate() {
        let mut cmd = Cmd::new(&p.program).args(p.args.iter().cloned());
        for e in &p.env {
            cmd = if e.value.secret {
                cmd.secret_env(&e.name, &e.value.text)
            } else {
                cmd.env(&e.name, &e.value.text)
            };
        }
        let name = format!("start {} [{}]", p.workload, p.container);
        match cmd.spawn() {
            Ok(child) => {
                let shown = std::iter::once(p.program.clone())
                    .chain(p.args.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(" ");
                report.steps.push(
                    opts.progress
                        .run(name, || Ok(format!("pid {}: {shown}", child.pid()))),
                );
                children.push((i, child));
            }
            Err(e) => report.steps.push(Step::not_run(name, e.to_string())),
        }
    }
    // What a process that exited during its probes wrote (later waits no longer see it).
    let mut exit_output: BTreeMap<usize, String> = BTreeMap::new();
    for (i, child) in &children {
        let p = &report.processes[*i];
        let c = &p.container_spec;
        let mut started = true;
        for (kind, probe) in [
            ("startupProbe", &c.startup_probe),
            ("readinessProbe", &c.readiness_probe),
            ("livenessProbe", &c.liveness_probe),
        ] {
            let name = format!("{kind} {} [{}]", p.workload, p.container);
            let step = match probe {
                // Like the kubelet: readiness and liveness only run once startup has passed.
                Some(_) if !started => Step::not_run(
                    name,
                    "skipped: the startup probe never passed (the kubelet waits for it)",
                ),
                Some(probe) => opts.progress.run(name, || {
                    match probe_until(probe, c, &p.ports, child, opts.max_probe_wait) {
                        Ok(note) => Ok(note),
                        Err(ProbeFailure::Failing(why)) => Err(why.into()),
                        Err(ProbeFailure::Exited { status, output }) => {
                            exit_output.insert(*i, output);
                            Err(format!(
                                "the process exited with status {status} before the probe passed"
                            )
                            .into())
                        }
                    }
                }),
                None => Step::not_run(name, "the chart declares no such probe"),
            };
            if kind == "startupProbe" && !step.ok {
                started = false;
            }
            report.steps.push(step);
        }
    }
    let all_up = report.steps.iter().all(|s| s.ok) && !children.is_empty();
    if opts.smoke {
        let entry = report.processes.iter().find(|p| match &opts.entry {
            Some(e) => p.workload.ends_with(&format!("/{e}")),
            None => p.component.as_deref() == Some("frontend"),
        });
        match (entry, all_up) {
            (Some(p), true) => {
                let port = p.ports.first().map(|m| m.local_port).unwrap_or_default();
                let (smoke, _) =
                    smoke::journey_with(&format!("http://127.0.0.1:{port}"), &opts.progress);
                report.smoke = Some(smoke);
            }
            (None, _) => report.steps.push(Step::not_run(
                "smoke journey",
                "no frontend Deployment to run it through",
            )),
            (_, false) => report.steps.push(Step::not_run(
                "smoke journey",
                "skipped: the services did not come up",
            )),
        }
    }
    for (i, child) in &children {
        let p = &report.processes[*i];
        let name = format!("stop {} [{}]", p.workload, p.container);
        let mut logs = exit_output.remove(i).unwrap_or_default();
        report.steps.push(opts.progress.run(name, || {
            let _ = child.terminate();
            match child.wait_timeout(Duration::from_secs(15)) {
                Ok(Some(out)) => {
                    logs.push_str(&format!("{}{}", out.stdout, out.stderr));
                    Ok("stopped on SIGTERM".into())
                }
                _ => {
                    let _ = child.kill();
                    Err("did not stop within 15s of SIGTERM (killed)".into())
                }
            }
        }));
        // A failed probe is explained with what the app logged.
        let prefix = format!("{} [{}]", p.workload, p.container);
        let logs = tail(&exec::strip_ansi(&logs), 10);
        if !logs.trim().is_empty() {
            for s in report
                .steps
                .iter_mut()
                .filter(|s| !s.ok && s.name.ends_with(&prefix))
            {
                s.detail.push_str(&format!("\nlast log lines:\n{logs}"));
            }
        }
    }
    Ok(report)
}

/// Names referenced as `$(NAME)` by the container's env values, command or args: helper
/// variables such as `DB_PASSWORD` feed other values and are read by the kubelet, not the app.
fn references_of(c: &Container, _name: &str) -> Vec<String> {
    c.env
        .iter()
        .flatten()
        .filter_map(|e| e.value.as_deref())
        .chain(c.command.iter().flatten().map(String::as_str))
        .chain(c.args.iter().flatten().map(String::as_str))
        .flat_map(references)
        .collect()
}

#[cfg(test)]
mod tests;
