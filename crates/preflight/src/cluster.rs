//! The Minikube profile (state, CPUs, memory, addons) and the kube context a deploy would use.

use std::collections::BTreeMap;

use crate::minikube::{self, ClusterStatus, Profile};
use crate::probe::{Probe, one_line};
use crate::{Check, Config, Status};

/// Minimum CPUs of the Minikube node.
pub const MIN_CPUS: u64 = 2;
/// Minimum memory of the Minikube node, in MB (4 GiB).
pub const MIN_MEMORY_MB: u64 = 4096;

/// What minikube said about the profile.
pub(crate) struct Cluster {
    pub profile: Result<Option<(Profile, bool)>, String>,
    pub status: Option<Result<ClusterStatus, String>>,
    pub addons: Option<Result<BTreeMap<String, bool>, String>>,
    pub config_view: BTreeMap<String, String>,
}

impl Cluster {
    pub fn driver(&self) -> Option<&str> {
        match &self.profile {
            Ok(Some((p, _))) => p
                .config
                .as_ref()
                .map(|c| c.driver.as_str())
                .filter(|d| !d.is_empty()),
            _ => self.config_view.get("driver").map(String::as_str),
        }
    }
}

pub(crate) fn ask(probe: &Probe<'_>, name: &str) -> Cluster {
    let profile = probe
        .run("minikube", &["profile", "list", "-o", "json"])
        .and_then(|out| {
            // With no profiles at all minikube exits non-zero; its JSON (or nothing) says so.
            if out.stdout.trim().is_empty() {
                return Ok(minikube::ProfileList::default());
            }
            minikube::profile_list(&out.stdout).map_err(|e| one_line(&e.to_string()))
        })
        .map(|list| {
            let valid = list.valid.into_iter().find(|p| p.name == name);
            match valid {
                Some(p) => Some((p, true)),
                None => list
                    .invalid
                    .into_iter()
                    .find(|p| p.name == name)
                    .map(|p| (p, false)),
            }
        });
    let exists = matches!(&profile, Ok(Some((_, true))));
    let status = exists.then(|| {
        probe
            .run("minikube", &["status", "-p", name, "-o", "json"])
            .and_then(|out| minikube::status(&out.stdout).map_err(|e| one_line(&e.to_string())))
    });
    let addons = exists.then(|| {
        probe
            .run("minikube", &["addons", "list", "-p", name, "-o", "json"])
            .and_then(|out| minikube::addons(&out.stdout).map_err(|e| one_line(&e.to_string())))
    });
    let config_view = if exists {
        BTreeMap::new()
    } else {
        probe
            .run("minikube", &["config", "view"])
            .map(|out| minikube::config_view(&out.stdout))
            .unwrap_or_default()
    };
    Cluster {
        profile,
        status,
        addons,
        config_view,
    }
}

/// The addons the profile needs, with the reason for each.
pub(crate) fn needed_addons(config: &Config) -> Vec<(&'static str, String)> {
    let mut addons = vec![
        (
            "storage-provisioner",
            "provisions the PostgreSQL volume".to_owned(),
        ),
        (
            "default-storageclass",
            "makes `standard` the default StorageClass".to_owned(),
        ),
    ];
    if config.needs_hpa {
        addons.push((
            "metrics-server",
            format!("profile {} turns an HPA on", config.profile),
        ));
    }
    if config.needs_ingress {
        addons.push((
            "ingress",
            format!("profile {} turns an Ingress on", config.profile),
        ));
    }
    addons
}

/// `minikube start …` with what the profile needs.
pub(crate) fn start_command(config: &Config, driver: Option<&str>) -> String {
    let mut cmd = format!(
        "minikube start -p {} --cpus={MIN_CPUS} --memory={MIN_MEMORY_MB}",
        config.minikube_profile
    );
    if let Some(driver) = driver {
        cmd.push_str(&format!(" --driver={driver}"));
    }
    for (addon, _) in needed_addons(config).iter().skip(2) {
        cmd.push_str(&format!(" --addons={addon}"));
    }
    cmd
}

pub(crate) fn rows(config: &Config, cluster: &Cluster) -> Vec<Check> {
    let p = &config.minikube_profile;
    let absent = if config.cluster_start_planned {
        Status::Warn
    } else {
        Status::Fail
    };
    let start = start_command(config, cluster.driver());
    let mut rows = Vec::new();
    let profile = match &cluster.profile {
        Err(reason) => {
            rows.push(
                Check::new(
                    "minikube.profile",
                    "minikube profile",
                    Status::Warn,
                    format!("could not list profiles: {reason}"),
                )
                .fix("run `minikube profile list` and fix what it reports"),
            );
            return rows;
        }
        Ok(None) => {
            rows.push(
                Check::new(
                    "minikube.profile",
                    "minikube profile",
                    absent,
                    format!("profile {p} does not exist"),
                )
                .fix(start),
            );
            rows.extend(planned_resources(cluster));
            return rows;
        }
        Ok(Some((_, false))) => {
            rows.push(
                Check::new(
                    "minikube.profile",
                    "minikube profile",
                    Status::Fail,
                    format!("profile {p} is invalid (its config is broken)"),
                )
                .fix(format!("minikube delete -p {p} && {start}")),
            );
            return rows;
        }
        Ok(Some((profile, true))) => profile,
    };

    let cfg = profile.config.clone().unwrap_or_default();
    let about = format!(
        "driver {}, Kubernetes {}",
        or_unknown(&cfg.driver),
        or_unknown(&cfg.kubernetes.kubernetes_version)
    );
    rows.push(match &cluster.status {
        Some(Ok(status)) if status.is_running() => Check::new(
            "minikube.profile",
            "minikube profile",
            Status::Ok,
            format!("{p} running ({about})"),
        ),
        Some(Ok(status)) => Check::new(
            "minikube.profile",
            "minikube profile",
            absent,
            format!(
                "{p} is not running: host {}, kubelet {}, apiserver {} ({about})",
                or_unknown(&status.host),
                or_unknown(&status.kubelet),
                or_unknown(&status.apiserver)
            ),
        )
        .fix(format!("minikube start -p {p}")),
        Some(Err(reason)) => Check::new(
            "minikube.profile",
            "minikube profile",
            Status::Warn,
            format!("{p}: could not read its status: {reason}"),
        )
        .fix(format!("minikube status -p {p}")),
        None => Check::new(
            "minikube.profile",
            "minikube profile",
            Status::Warn,
            format!("{p}: status not read"),
        ),
    });

    let recreate = format!(
        "minikube delete -p {p} && {start}   (CPUs and memory are fixed when a profile is created)"
    );
    rows.push(resource_row(
        "minikube.cpus",
        "minikube cpus",
        cfg.cpus,
        MIN_CPUS,
        "",
        &recreate,
    ));
    rows.push(resource_row(
        "minikube.memory",
        "minikube memory",
        cfg.memory,
        MIN_MEMORY_MB,
        " MB",
        &recreate,
    ));

    let addons = match &cluster.addons {
        Some(Ok(addons)) => addons.clone(),
        Some(Err(reason)) => {
            rows.push(
                Check::new(
                    "minikube.addons",
                    "minikube addons",
                    Status::Warn,
                    format!("could not list addons: {reason}"),
                )
                .fix(format!("minikube addons list -p {p}")),
            );
            return rows;
        }
        None => return rows,
    };
    for (addon, why) in needed_addons(config) {
        let id = format!("minikube.addon.{addon}");
        let name = format!("addon {addon}");
        rows.push(match addons.get(addon) {
            Some(true) => Check::new(id, name, Status::Ok, format!("enabled ({why})")),
            Some(false) => Check::new(id, name, Status::Fail, format!("disabled; needed: {why}"))
                .fix(format!("minikube addons enable {addon} -p {p}")),
            None => Check::new(
                id,
                name,
                Status::Fail,
                format!("this minikube has no {addon} addon; needed: {why}"),
            )
            .fix("upgrade minikube (>= 1.33)"),
        });
    }
    rows
}

fn resource_row(id: &str, name: &str, have: u64, min: u64, unit: &str, fix: &str) -> Check {
    if have == 0 {
        Check::new(id, name, Status::Warn, "not recorded in the profile")
    } else if have < min {
        Check::new(
            id,
            name,
            Status::Fail,
            format!("{have}{unit}, below the minimum {min}{unit}"),
        )
        .fix(fix)
    } else {
        Check::new(
            id,
            name,
            Status::Ok,
            format!("{have}{unit} (>= {min}{unit})"),
        )
    }
}

/// CPUs and memory a new profile would get from `minikube config` (the start fix passes
/// enough of both explicitly).
fn planned_resources(cluster: &Cluster) -> Vec<Check> {
    let mut rows = Vec::new();
    let view = &cluster.config_view;
    let cpus = view.get("cpus").and_then(|c| c.parse::<u64>().ok());
    rows.push(match cpus {
        Some(c) if c < MIN_CPUS => Check::new(
            "minikube.cpus",
            "minikube cpus",
            Status::Fail,
            format!("`minikube config` sets cpus {c}, below the minimum {MIN_CPUS}"),
        )
        .fix(format!("minikube config set cpus {MIN_CPUS}")),
        Some(c) => Check::new(
            "minikube.cpus",
            "minikube cpus",
            Status::Ok,
            format!("new profile gets {c} (`minikube config`)"),
        ),
        None => Check::new(
            "minikube.cpus",
            "minikube cpus",
            Status::Info,
            format!("new profile: start it with --cpus={MIN_CPUS} or more"),
        ),
    });
    let memory = view.get("memory");
    rows.push(match memory.map(|m| (m, minikube::memory_mb(m))) {
        Some((m, Some(mb))) if mb < MIN_MEMORY_MB => Check::new(
            "minikube.memory",
            "minikube memory",
            Status::Fail,
            format!("`minikube config` sets memory {m}, below the minimum {MIN_MEMORY_MB} MB"),
        )
        .fix(format!("minikube config set memory {MIN_MEMORY_MB}")),
        Some((m, _)) => Check::new(
            "minikube.memory",
            "minikube memory",
            Status::Ok,
            format!("new profile gets {m} (`minikube config`)"),
        ),
        None => Check::new(
            "minikube.memory",
            "minikube memory",
            Status::Info,
            format!("new profile: start it with --memory={MIN_MEMORY_MB} or more"),
        ),
    });
    rows
}

fn or_unknown(text: &str) -> &str {
    if text.is_empty() { "unknown" } else { text }
}

/// The context a deploy would use and whether that is allowed.
pub(crate) struct ContextOutcome {
    pub check: Check,
    /// The context that would be used, when known.
    pub context: Option<String>,
    /// The context is the Minikube profile's.
    pub is_minikube: bool,
    /// The context may be used (Minikube's, or named with `--context`).
    pub allowed: bool,
}

pub(crate) fn context(probe: &Probe<'_>, config: &Config, kubectl_present: bool) -> ContextOutcome {
    let p = &config.minikube_profile;
    let id = "context";
    let name = "kube context";
    if !kubectl_present {
        return ContextOutcome {
            check: Check::new(id, name, Status::Info, "skipped: kubectl not found"),
            context: config.explicit_context.clone(),
            is_minikube: config.explicit_context.as_deref().is_none_or(|c| c == p),
            allowed: false,
        };
    }
    if let Some(explicit) = &config.explicit_context {
        let listed = probe
            .run("kubectl", &["config", "get-contexts", "-o", "name"])
            .map(|out| out.stdout.lines().any(|l| l.trim() == explicit));
        let is_minikube = explicit == p;
        let check = match listed {
            Ok(true) if is_minikube => Check::new(
                id,
                name,
                Status::Ok,
                format!("{explicit} (the Minikube profile, named with --context)"),
            ),
            Ok(true) => Check::new(
                id,
                name,
                Status::Ok,
                format!("{explicit}: not Minikube, used because --context names it"),
            ),
            Ok(false) => Check::new(
                id,
                name,
                Status::Fail,
                format!("--context {explicit} is not in the kubeconfig"),
            )
            .fix("pick one from `kubectl config get-contexts`"),
            Err(reason) => Check::new(
                id,
                name,
                Status::Fail,
                format!("could not list contexts: {reason}"),
            )
            .fix("kubectl config get-contexts"),
        };
        let allowed = check.status == Status::Ok;
        return ContextOutcome {
            check,
            context: Some(explicit.clone()),
            is_minikube,
            allowed,
        };
    }
    let current = probe.run("kubectl", &["config", "current-context"]);
    let (check, context) = match current {
        Ok(out) if out.success() && !out.stdout.trim().is_empty() => {
            let current = out.stdout.trim().to_owned();
            if &current == p {
                (
                    Check::new(
                        id,
                        name,
                        Status::Ok,
                        format!("{current} (the Minikube profile)"),
                    ),
                    Some(current),
                )
            } else {
                (
                    Check::new(
                        id,
                        name,
                        Status::Fail,
                        format!(
                            "current context is {current}, not the Minikube profile {p}: refusing a non-Minikube cluster unless --context names it"
                        ),
                    )
                    .fix(format!(
                        "kubectl config use-context {p}   (or pass --context {current} to deploy there on purpose)"
                    )),
                    Some(current),
                )
            }
        }
        Ok(out) => (
            Check::new(
                id,
                name,
                Status::Fail,
                format!("no current context: {}", one_line(&out.stderr)),
            )
            .fix(format!("minikube update-context -p {p}")),
            None,
        ),
        Err(reason) => (
            Check::new(
                id,
                name,
                Status::Fail,
                format!("could not read the current context: {reason}"),
            )
            .fix("kubectl config current-context"),
            None,
        ),
    };
    let allowed = check.status == Status::Ok;
    ContextOutcome {
        check,
        context,
        // Without --context the target is Minikube: a wrong or missing current context is
        // refused above, and the profile's own checks still say what else to fix.
        is_minikube: true,
        allowed,
    }
}
