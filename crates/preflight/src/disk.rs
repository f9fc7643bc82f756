//! Free disk where the Minikube node and the images live.

use std::path::{Path, PathBuf};

use crate::config::GIB;
use crate::{Check, Config, Status};

pub(crate) fn row(config: &Config) -> Check {
    let path = config
        .disk
        .path
        .clone()
        .unwrap_or_else(|| default_path(config));
    let free = match free_bytes(&path) {
        Ok(free) => free,
        Err(e) => {
            return Check::new(
                "disk",
                "free disk",
                Status::Warn,
                format!("could not measure {}: {e}", path.display()),
            );
        }
    };
    let shown = format!("{} free on {}", gib(free), path.display());
    if free < config.disk.fail_below {
        Check::new(
            "disk",
            "free disk",
            Status::Fail,
            format!("{shown}, below {}", gib(config.disk.fail_below)),
        )
        .fix("free space: `minikube image prune` / `docker system prune` / `podman system prune`, or remove unused profiles with `minikube delete -p <profile>`")
    } else if free < config.disk.warn_below {
        Check::new(
            "disk",
            "free disk",
            Status::Warn,
            format!(
                "{shown}, below the comfortable {}",
                gib(config.disk.warn_below)
            ),
        )
        .fix("free space: `docker system prune` / `podman system prune`")
    } else {
        Check::new("disk", "free disk", Status::Ok, shown)
    }
}

fn default_path(config: &Config) -> PathBuf {
    let env = &config.env;
    let home = env.get("HOME").map(PathBuf::from);
    [
        env.get("MINIKUBE_HOME").map(PathBuf::from),
        home.as_ref().map(|h| h.join(".minikube")),
        home,
    ]
    .into_iter()
    .flatten()
    .find(|p| p.is_dir())
    .unwrap_or_else(|| PathBuf::from("/"))
}

// fsblkcnt_t and c_ulong are u64 on 64-bit Linux but narrower elsewhere.
#[allow(clippy::useless_conversion)]
fn free_bytes(path: &Path) -> Result<u64, nix::Error> {
    let stat = nix::sys::statvfs::statvfs(path)?;
    Ok(u64::from(stat.blocks_available()).saturating_mul(u64::from(stat.fragment_size())))
}

fn gib(bytes: u64) -> String {
    // Tenths of a GiB are precise enough to act on.
    let tenths = bytes.saturating_mul(10) / GIB;
    format!("{}.{} GiB", tenths / 10, tenths % 10)
}
