//! `verify live`: the deployed release works.
//!
//! Steps, each timed, each failure explained with the pod's events and last log lines:
//! release deployed → rollouts complete → every pod Ready with zero restarts → the image IDs
//! running are the ones built → every Service has endpoints → through `kubectl port-forward`
//! (not `minikube service`, which blocks on some drivers), the app answers (bounded wait: Ready
//! endpoints are routed a moment later) → the smoke journey → persistence
//! (delete the backend and PostgreSQL pods, wait for Ready, the data is still there) →
//! `helm test`.
//!
//! kubectl and helm are driven through the `cluster` crate's drivers. The decisions (is this
//! pod healthy? do these image IDs match?) are pure functions over k8s-openapi values, so they
//! are tested on recorded cluster states.
//!
//! What changes something (the journey's writes through the port-forward, the pod deletion,
//! `helm test`'s pods) goes through the caller's [`Runner`]: a dry run reads nothing (a planned
//! deploy has no release to read yet) and records those commands as the plan.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use cluster::{FixContext, Helm, Kubectl, PodProblem};
use exec::{Cmd, Runner};
use images::ImageRef;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Endpoints, Event, Pod, Service};
use serde::Serialize;

use smoke::SmokeReport;
use smoke::{Progress, Step, StepFailure, StepResult, write_steps};

/// How long the app may take to answer through the frontend once its pods are Ready, at most.
const ANSWERING_WITHIN: Duration = Duration::from_secs(60);

/// An image the deploy kit built, as the cluster should run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedImage {
    /// Repository name as in the pod spec, e.g. `todo-chatbot-backend`.
    pub repository: String,
    /// Image ID (`sha256:...`, full or a prefix of at least 12 hex digits).
    pub id: String,
}

/// Options of a live run.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// kubectl bound to the context and namespace.
    pub kubectl: Kubectl,
    /// helm bound to the same context.
    pub helm: Helm,
    /// Release name.
    pub release: String,
    /// Images built by `images` (empty: IDs are listed, not compared).
    pub expected_images: Vec<ExpectedImage>,
    /// Run the smoke journey through a port-forward to the frontend Service.
    pub smoke: bool,
    /// Delete the backend and PostgreSQL pods and check the data survives (mutates the cluster).
    pub persistence: bool,
    /// Run `helm test`.
    pub helm_test: bool,
    /// How long rollouts and readiness may take.
    pub timeout: Duration,
    /// The Minikube profile when the cluster is Minikube's (fixes load images its way);
    /// `None` for any other cluster.
    pub minikube_profile: Option<String>,
    /// Told when each step starts and ends.
    pub progress: Progress,
}

impl LiveOptions {
    /// Everything on, 5 minutes per wait.
    pub fn new(kubectl: Kubectl, helm: Helm, release: &str) -> Self {
        Self {
            kubectl,
            helm,
            release: release.to_owned(),
            expected_images: Vec::new(),
            smoke: true,
            persistence: true,
            helm_test: true,
            timeout: Duration::from_secs(300),
            minikube_profile: None,
            progress: Progress::default(),
        }
    }

    fn fix_context(&self) -> FixContext<'_> {
        FixContext {
            namespace: self.kubectl.namespace(),
            minikube_profile: self.minikube_profile.as_deref(),
        }
    }

    /// How long the app may take to answer through the frontend once its pods are Ready.
    fn answering_within(&self) -> Duration {
        ANSWERING_WITHIN.min(self.timeout)
    }

    fn selector(&self) -> String {
        format!("{}={}", cluster::INSTANCE_LABEL, self.release)
    }

    /// Deletes the pods the persistence step restarts: the backend's and the database's (not
    /// `helm test` pods, whose component is `test`). It does not wait: `kubectl delete --wait`
    /// sometimes never sees a StatefulSet pod go once its replacement, of the same name, exists
    /// (seen on the test cluster: 120 s on a pod recreated within seconds); the next step waits
    /// for the old UIDs to go and new ones to be Ready.
    fn delete_pods_cmd(&self) -> Cmd {
        self.kubectl
            .cmd()
            .args(["delete", "pod", "--wait=false", "--selector"])
            .arg(format!(
                "{},app.kubernetes.io/component in (backend,database)",
                self.selector()
            ))
            .timeout(Duration::from_secs(60))
    }

    fn helm_test_cmd(&self) -> Cmd {
        self.helm
            .cmd()
            .args(["test", &self.release, "--namespace"])
            .arg(self.kubectl.namespace())
            .args(["--timeout", "5m"])
            .timeout(Duration::from_secs(330))
    }

    /// The port-forward the journey runs through, as a plan shows it: the Service is found by
    /// its labels when the run starts, and the local port is picked then.
    fn planned_forward_cmd(&self) -> Cmd {
        self.kubectl.port_forward_cmd(
            &format!("svc/<frontend Service of {}>", self.release),
            0,
            "http",
        )
    }
}

/// The result of `verify live`.
#[derive(Debug, Clone, Serialize)]
pub struct LiveReport {
    /// Release.
    pub release: String,
    /// Namespace.
    pub namespace: String,
    /// Context, when pinned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The smoke journey, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smoke: Option<SmokeReport>,
}

impl LiveReport {
    /// Every step and the journey passed.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.ok) && self.smoke.as_ref().is_none_or(SmokeReport::passed)
    }
}

impl fmt::Display for LiveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "verify live: release {} in namespace {}",
            self.release, self.namespace
        )?;
        if let Some(c) = &self.context {
            write!(f, " (context {c})")?;
        }
        writeln!(f)?;
        write_steps(f, &self.steps)?;
        if let Some(s) = &self.smoke {
            write!(f, "{s}")?;
        }
        writeln!(f, "  {}", if self.passed() { "PASS" } else { "FAIL" })
    }
}

fn name_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

/// Pods that belong to `helm test` (hooks), have finished or are on their way out (an old
/// replica draining after a rollout still runs the old image): not part of the running app.
fn is_app_pod(p: &Pod) -> bool {
    if p.metadata.deletion_timestamp.is_some() {
        return false;
    }
    let hook = p
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key("helm.sh/hook"));
    let done = matches!(
        p.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    );
    !hook && !done
}

/// A pod deleted on purpose, which the controllers must replace with a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// Its `app.kubernetes.io/component` label.
    pub component: String,
    /// Its UID (a recreated StatefulSet pod keeps the name, never the UID).
    pub uid: String,
}

fn component_of(p: &Pod) -> Option<&str> {
    p.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(cluster::COMPONENT_LABEL))
        .map(String::as_str)
}

/// What still stands between deleted pods and their replacements: an old pod still listed, or
/// a component with no pod of a new UID yet. Right after a delete, the pod list and the
/// controllers' status can still describe the old pods; only new UIDs prove the replacement.
pub fn replacements_pending(pods: &[Pod], replaced: &[Replaced]) -> Vec<String> {
    let uid = |p: &Pod| p.metadata.uid.clone().unwrap_or_default();
    let mut pending = Vec::new();
    for old in replaced {
        if let Some(p) = pods.iter().find(|p| uid(p) == old.uid) {
            pending.push(format!("pod {} is still there", name_of(&p.metadata)));
        }
    }
    let mut components: Vec<&str> = replaced.iter().map(|r| r.component.as_str()).collect();
    components.dedup();
    for component in components {
        let new = pods.iter().any(|p| {
            component_of(p) == Some(component) && !replaced.iter().any(|r| r.uid == uid(p))
        });
        if !new {
            pending.push(format!("no new {component} pod yet"));
        }
    }
    pending
}

/// What is wrong with one pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnhealthyPod {
    /// Pod name.
    pub pod: String,
    /// The container most to blame (first not ready or restarted).
    pub container: Option<String>,
    /// Whether the pod is Ready (then it is here for its restarts).
    pub ready: bool,
    /// What the culprit's state means ([`PodProblem::of`]), when it is a known problem.
    pub problem: Option<PodProblem>,
    /// What was seen: `not Ready (CrashLoopBackOff: back-off 5m0s restarting ...)`,
    /// `2 restarts (last: OOMKilled)`.
    pub what: String,
    /// Whether it restarted (its previous instance's log is the useful one).
    pub restarted: bool,
}

/// Pods of the app that are not Ready or have restarted.
pub fn pod_problems(pods: &[Pod]) -> Vec<UnhealthyPod> {
    let mut out = Vec::new();
    for p in pods.iter().filter(|p| is_app_pod(p)) {
        let name = name_of(&p.metadata);
        let status = p.status.clone().unwrap_or_default();
        let ready = status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        let statuses: Vec<_> = status
            .init_container_statuses
            .iter()
            .flatten()
            .chain(status.container_statuses.iter().flatten())
            .collect();
        let state_of = |cs: &k8s_openapi::api::core::v1::ContainerStatus| -> Option<String> {
            let st = cs.state.as_ref()?;
            if let Some(w) = &st.waiting {
                return Some(format!(
                    "{}{}",
                    w.reason.clone().unwrap_or_else(|| "Waiting".into()),
                    w.message
                        .as_ref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ));
            }
            st.terminated.as_ref().map(|t| {
                format!(
                    "terminated {} (exit {})",
                    t.reason.clone().unwrap_or_default(),
                    t.exit_code
                )
            })
        };
        if !ready {
            let culprit = statuses
                .iter()
                .find(|cs| !cs.ready && state_of(cs).is_some());
            let why = culprit
                .and_then(|cs| state_of(cs))
                .or_else(|| status.phase.clone())
                .unwrap_or_else(|| "no status yet".into());
            out.push(UnhealthyPod {
                pod: name.clone(),
                container: culprit.map(|cs| cs.name.clone()),
                ready: false,
                problem: culprit.and_then(|cs| PodProblem::of(cs).into_iter().next()),
                what: format!("not Ready ({why})"),
                restarted: culprit.is_some_and(|cs| cs.restart_count > 0),
            });
            continue;
        }
        if let Some(cs) = statuses.iter().find(|cs| cs.restart_count > 0) {
            let last = cs
                .last_state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .map(|t| {
                    format!(
                        " (last: {}, exit {})",
                        t.reason.clone().unwrap_or_default(),
                        t.exit_code
                    )
                })
                .unwrap_or_default();
            out.push(UnhealthyPod {
                pod: name,
                container: Some(cs.name.clone()),
                ready: true,
                problem: PodProblem::of(cs).into_iter().next(),
                what: format!("{} restart(s){last}", cs.restart_count),
                restarted: true,
            });
        }
    }
    out
}

/// The pod's warning events, newest last, one line each.
pub fn pod_events(events: &[Event], pod: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(pod))
        .map(|e| {
            format!(
                "event {} {}: {}{}",
                e.type_.clone().unwrap_or_default(),
                e.reason.clone().unwrap_or_default(),
                e.message.clone().unwrap_or_default().trim(),
                e.count
                    .filter(|c| *c > 1)
                    .map(|c| format!(" (x{c})"))
                    .unwrap_or_default()
            )
        })
        .collect()
}

/// A problem explained: the pod's events and its last log lines.
pub fn explain(problem: &UnhealthyPod, events: &[Event], logs: &str) -> String {
    let mut out = format!(
        "pod {}{}: {}",
        problem.pod,
        problem
            .container
            .as_ref()
            .map(|c| format!(" container {c}"))
            .unwrap_or_default(),
        problem.what
    );
    for e in pod_events(events, &problem.pod).iter().rev().take(5).rev() {
        out.push_str(&format!("\n{e}"));
    }
    let logs = logs.trim_end();
    if !logs.is_empty() {
        out.push_str(&format!(
            "\nlast log lines{}:",
            if problem.restarted {
                " (previous instance)"
            } else {
                ""
            }
        ));
        for l in logs.lines() {
            out.push_str(&format!("\n| {l}"));
        }
    }
    out
}

/// The hex digest at the end of an image ID (`docker://sha256:ab..`, `repo@sha256:ab..`).
fn digest(id: &str) -> &str {
    id.rsplit("sha256:").next().unwrap_or(id).trim()
}

/// Compares the image IDs the pods run with the ones built. Ok lists what runs.
pub fn check_images(pods: &[Pod], expected: &[ExpectedImage]) -> Result<String, String> {
    let mut seen = Vec::new();
    let mut wrong = Vec::new();
    let mut found: BTreeMap<&str, bool> = expected
        .iter()
        .map(|e| (e.repository.as_str(), false))
        .collect();
    for p in pods.iter().filter(|p| is_app_pod(p)) {
        for cs in p
            .status
            .iter()
            .flat_map(|s| s.container_statuses.iter().flatten())
        {
            let repo = ImageRef::new(&cs.image).name();
            let running = digest(&cs.image_id);
            seen.push(format!("{repo}@{}", &running[..running.len().min(19)]));
            if let Some(e) = expected.iter().find(|e| e.repository == repo) {
                found.insert(e.repository.as_str(), true);
                let want = digest(&e.id);
                let same = !running.is_empty()
                    && want.len() >= 12
                    && (running.starts_with(want) || want.starts_with(running));
                if !same {
                    wrong.push(format!(
                        "pod {} runs {repo} with image ID {} but the build produced {} (a stale image in the cluster: reload it with `todoctl images load`)",
                        name_of(&p.metadata),
                        if running.is_empty() { "<none yet>" } else { running },
                        want
                    ));
                }
            }
        }
    }
    for (repo, hit) in found {
        if !hit {
            wrong.push(format!("no running pod uses {repo}"));
        }
    }
    seen.sort();
    seen.dedup();
    if wrong.is_empty() {
        Ok(if expected.is_empty() {
            format!("running (nothing to compare with): {}", seen.join(", "))
        } else {
            format!("match the build: {}", seen.join(", "))
        })
    } else {
        Err(wrong.join("\n"))
    }
}

/// Why a Service has no usable endpoints, or None.
pub fn endpoints_problem(svc: &Service, ep: Option<&Endpoints>) -> Option<String> {
    let name = name_of(&svc.metadata);
    let selects = svc
        .spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .is_some_and(|s| !s.is_empty());
    if !selects {
        return None;
    }
    let Some(ep) = ep else {
        return Some(format!("Service {name} has no Endpoints object"));
    };
    let ready: usize = ep
        .subsets
        .iter()
        .flatten()
        .map(|s| s.addresses.as_ref().map_or(0, Vec::len))
        .sum();
    let not_ready: usize = ep
        .subsets
        .iter()
        .flatten()
        .map(|s| s.not_ready_addresses.as_ref().map_or(0, Vec::len))
        .sum();
    let headless_ok = svc
        .spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        == Some(true)
        && not_ready > 0;
    if ready == 0 && !headless_ok {
        return Some(format!(
            "Service {name} has no ready endpoints ({not_ready} not ready): its selector matches no Ready pod"
        ));
    }
    None
}

/// Deployments and StatefulSets that have not finished rolling out, explained.
pub fn rollouts_pending(deployments: &[Deployment], statefulsets: &[StatefulSet]) -> Vec<String> {
    deployments
        .iter()
        .filter_map(|d| cluster::rollout::deployment_complete(d).err())
        .chain(
            statefulsets
                .iter()
                .filter_map(|s| cluster::rollout::statefulset_complete(s).err()),
        )
        .collect()
}

struct Live<'a> {
    o: &'a LiveOptions,
    runner: &'a Runner,
}

impl Live<'_> {
    fn k(&self) -> &Kubectl {
        &self.o.kubectl
    }

    fn explain_all(&self, problems: &[UnhealthyPod]) -> String {
        let events = self.k().events().unwrap_or_default();
        problems
            .iter()
            .map(|p| {
                let logs = self
                    .k()
                    .logs(&p.pod, p.container.as_deref(), 10, p.restarted)
                    .unwrap_or_default();
                explain(p, &events, &logs)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until rollouts are complete and every app pod is Ready; fails fast on a pod that
    /// waiting cannot fix.
    fn wait_ready(&self, replaced: &[Replaced]) -> StepResult {
        let sel = self.o.selector();
        let start = Instant::now();
        loop {
            let deps = self.k().deployments(&sel)?;
            let sts = self.k().statefulsets(&sel)?;
            let pods = self.k().pods(&sel)?;
            let mut pending = rollouts_pending(&deps, &sts);
            pending.extend(replacements_pending(&pods, replaced));
            let app_pods: Vec<Pod> = pods.iter().filter(|p| is_app_pod(p)).cloned().collect();
            let not_ready: Vec<UnhealthyPod> = pod_problems(&app_pods)
                .into_iter()
                .filter(|p| !p.ready)
                .collect();
            if pending.is_empty() && not_ready.is_empty() {
                return Ok(format!(
                    "{} Deployment(s), {} StatefulSet(s) rolled out",
                    deps.len(),
                    sts.len()
                ));
            }
            if let Some(fatal) = cluster::rollout::fatal_problem(&app_pods, &self.o.fix_context()) {
                let p = UnhealthyPod {
                    pod: fatal.pod.clone(),
                    container: Some(fatal.container.clone()),
                    ready: false,
                    problem: fatal.problem,
                    what: format!("{}: {} (fix: {})", fatal.reason, fatal.message, fatal.fix),
                    restarted: fatal.has_logs(),
                };
                return Err(self.explain_all(&[p]).into());
            }
            if start.elapsed() > self.o.timeout {
                return Err(format!(
                    "not done after {}s: {}\n{}",
                    self.o.timeout.as_secs(),
                    pending.join("; "),
                    self.explain_all(&not_ready)
                )
                .into());
            }
            std::thread::sleep(Duration::from_secs(2));
        }
    }

    fn frontend_service(&self) -> Result<(String, i32), StepFailure> {
        let services = self.k().services(&self.o.selector())?;
        let svc = services
            .iter()
            .find(|s| {
                s.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(cluster::COMPONENT_LABEL))
                    .map(String::as_str)
                    == Some("frontend")
            })
            .ok_or(
                "no frontend Service (label app.kubernetes.io/component=frontend) in the release",
            )?;
        let port = svc
            .spec
            .as_ref()
            .and_then(|s| s.ports.as_ref())
            .and_then(|p| p.first())
            .map(|p| p.port)
            .ok_or("the frontend Service has no port")?;
        Ok((name_of(&svc.metadata), port))
    }
}

/// Runs `verify live`; with a dry-run `runner`, only records what would change something.
pub fn verify_live(runner: &Runner, o: &LiveOptions) -> LiveReport {
    if runner.is_dry_run() {
        return plan_live(runner, o);
    }
    let live = Live { o, runner };
    let k = &o.kubectl;
    let ns = k.namespace().to_owned();
    let sel = o.selector();
    let mut report = LiveReport {
        release: o.release.clone(),
        namespace: ns.clone(),
        context: k.context().map(str::to_owned),
        steps: Vec::new(),
        smoke: None,
    };
    let deployed = o
        .progress
        .run(format!("helm release {} deployed", o.release), || {
            match o.helm.status(&o.release, &ns)? {
                None => Err(format!(
                    "release {} is not installed in {ns}: run `just deploy`",
                    o.release
                )
                .into()),
                Some(s) if s.info.status == "deployed" => Ok(format!("revision {}", s.version)),
                Some(s) => Err(format!(
                    "release is {} (revision {}): {}",
                    s.info.status, s.version, s.info.description
                )
                .into()),
            }
        });
    let ok = deployed.ok;
    report.steps.push(deployed);
    if !ok {
        return report;
    }
    let rolled = o
        .progress
        .run("rollouts complete, pods Ready", || live.wait_ready(&[]));
    let ok = rolled.ok;
    report.steps.push(rolled);
    report.steps.push(o.progress.run("zero restarts", || {
        let pods = k.pods(&sel)?;
        let problems = pod_problems(&pods);
        if problems.is_empty() {
            Ok(format!(
                "{} pod(s) Ready, no restarts",
                pods.iter().filter(|p| is_app_pod(p)).count()
            ))
        } else {
            Err(live.explain_all(&problems).into())
        }
    }));
    report
        .steps
        .push(o.progress.run("running images are the ones built", || {
            Ok(check_images(&k.pods(&sel)?, &o.expected_images)?)
        }));
    report
        .steps
        .push(o.progress.run("Services have endpoints", || {
            let services = k.services(&sel)?;
            let mut problems = Vec::new();
            for s in &services {
                let ep = k.endpoints(&name_of(&s.metadata))?;
                problems.extend(endpoints_problem(s, ep.as_ref()));
            }
            if problems.is_empty() {
                Ok(format!(
                    "{} Service(s) with ready endpoints",
                    services.len()
                ))
            } else {
                Err(problems.join("\n").into())
            }
        }));
    if !ok {
        return report;
    }
    let mut footprint = None;
    if o.smoke {
        match live.frontend_service() {
            Err(e) => report
                .steps
                .push(Step::not_run("smoke journey", e.into_detail())),
            Ok((svc, port)) => {
                let mut forward = None;
                report.steps.push(o.progress.run(
                    format!("kubectl port-forward svc/{svc} {port}"),
                    || {
                        let f = k.port_forward(
                            &format!("svc/{svc}"),
                            0,
                            u16::try_from(port).unwrap_or(80),
                        )?;
                        let note = f.url();
                        forward = Some(f);
                        Ok(note)
                    },
                ));
                if let Some(f) = forward {
                    // Ready endpoints are not yet routed ones: right after a rollout todo-web
                    // can answer 502 until kube-proxy programs the backend Service.
                    let answering = o.progress.run("the app answers through the frontend", || {
                        let waited = smoke::answering_again(&f.url(), o.answering_within())?;
                        Ok(format!("after {waited:.1?}"))
                    });
                    let answers = answering.ok;
                    report.steps.push(answering);
                    if answers {
                        let (s, fp) = smoke::journey_with(&f.url(), &o.progress);
                        footprint = s.passed().then_some(fp);
                        report.smoke = Some(s);
                    }
                    let _ = f.stop();
                }
            }
        }
    }
    if o.persistence {
        let Some(fp) = footprint else {
            report.steps.push(Step::not_run(
                "persistence",
                "skipped: needs a passing smoke journey first",
            ));
            return finish(&live, report);
        };
        let pods = k.pods(&sel).unwrap_or_default();
        let victim_pods: Vec<&Pod> = pods
            .iter()
            .filter(|p| is_app_pod(p))
            .filter(|p| matches!(component_of(p), Some("backend" | "database")))
            .collect();
        let victims: Vec<String> = victim_pods.iter().map(|p| name_of(&p.metadata)).collect();
        let replaced: Vec<Replaced> = victim_pods
            .iter()
            .map(|p| Replaced {
                component: component_of(p).unwrap_or_default().to_owned(),
                uid: p.metadata.uid.clone().unwrap_or_default(),
            })
            .collect();
        report.steps.push(o.progress.run(format!("delete pods {}", victims.join(", ")), || {
            if victims.is_empty() {
                return Err("no backend or database pod found (labels app.kubernetes.io/component=backend|database)".into());
            }
            live.runner.run(&o.delete_pods_cmd())?;
            Ok("deleted".to_owned())
        }));
        report.steps.push(
            o.progress
                .run("new pods Ready", || live.wait_ready(&replaced)),
        );
        report
            .steps
            .push(o.progress.run("data survived the restart", || {
                let (svc, port) = live.frontend_service()?;
                let f =
                    k.port_forward(&format!("svc/{svc}"), 0, u16::try_from(port).unwrap_or(80))?;
                let r = smoke::answering_again(&f.url(), o.answering_within()).and_then(|waited| {
                    smoke::still_there(&f.url(), &fp)
                        .map(|s| format!("answering again after {waited:.1?}; {s}"))
                });
                let _ = f.stop();
                Ok(r?)
            }));
    }
    finish(&live, report)
}

fn finish(live: &Live<'_>, mut report: LiveReport) -> LiveReport {
    let o = live.o;
    if o.helm_test {
        report.steps.push(o.progress.run("helm test", || {
            let out = live.runner.run_unchecked(&o.helm_test_cmd())?;
            if out.status == 0 {
                let phases: Vec<&str> = out
                    .stdout
                    .lines()
                    .filter(|l| l.contains("Phase:"))
                    .map(str::trim)
                    .collect();
                return Ok(if phases.is_empty() {
                    "passed".into()
                } else {
                    phases.join("; ")
                });
            }
            // The test pod's own log says what failed.
            let pods = o.kubectl.pods(&o.selector()).unwrap_or_default();
            let logs: Vec<String> =
                pods.iter()
                    .filter(|p| {
                        p.metadata.annotations.as_ref().is_some_and(|a| {
                            a.get("helm.sh/hook").map(String::as_str) == Some("test")
                        })
                    })
                    .map(|p| {
                        let name = name_of(&p.metadata);
                        format!(
                            "pod {name}:\n{}",
                            o.kubectl
                                .logs(&name, None, 10, false)
                                .unwrap_or_default()
                                .trim_end()
                        )
                    })
                    .collect();
            Err(format!(
                "{}{}\n{}",
                out.stderr.trim(),
                out.stdout.trim(),
                logs.join("\n")
            )
            .into())
        }));
    }
    report
}

/// The plan of a live run: the commands that change something, recorded in order, each also a
/// step (passed: planning cannot fail once the options are known).
fn plan_live(runner: &Runner, o: &LiveOptions) -> LiveReport {
    let mut planned: Vec<(&str, Cmd)> = Vec::new();
    if o.smoke {
        planned.push((
            "smoke journey (writes a user, tasks and a chat)",
            o.planned_forward_cmd(),
        ));
    }
    if o.smoke && o.persistence {
        planned.push(("delete the backend and database pods", o.delete_pods_cmd()));
        planned.push(("data survived the restart", o.planned_forward_cmd()));
    }
    if o.helm_test {
        planned.push(("helm test", o.helm_test_cmd()));
    }
    let steps = planned
        .into_iter()
        .map(|(name, cmd)| {
            Step::run(name, || {
                runner.run(&cmd)?;
                Ok(format!("planned: {cmd}"))
            })
        })
        .collect();
    LiveReport {
        release: o.release.clone(),
        namespace: o.kubectl.namespace().to_owned(),
        context: o.kubectl.context().map(str::to_owned),
        steps,
        smoke: None,
    }
}

#[cfg(test)]
mod tests;
