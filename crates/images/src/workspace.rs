//! Which workspace crates an image's binary is built from.
//!
//! Both images build from the whole workspace (one context), but each binary depends on a few
//! of its crates. A change to a crate the binary does not depend on cannot change the image, so
//! it must not change the image's content tag: a one-line change to the backend rebuilds and
//! rolls the backend alone.

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;

use dockerfile_check::{Args, Dockerfile};
use exec::Cmd;
use serde::Deserialize;

/// The package a Dockerfile builds: the `-p`/`--package` of its `cargo build`.
pub fn built_package(dockerfile: &Dockerfile) -> Option<String> {
    let mut runs = dockerfile.stages.iter().flat_map(|stage| stage.all("RUN"));
    runs.find_map(|run| {
        let text = match &run.args {
            Args::Shell(text) => text.clone(),
            Args::Exec(words) => words.join(" "),
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        let build = words.windows(2).position(|w| w == ["cargo", "build"])?;
        words[build..]
            .windows(2)
            .find(|w| w[0] == "-p" || w[0] == "--package")
            .map(|w| w[1].to_owned())
            .or_else(|| {
                words[build..]
                    .iter()
                    .find_map(|w| w.strip_prefix("--package="))
                    .map(str::to_owned)
            })
    })
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    manifest_path: PathBuf,
    dependencies: Vec<Dependency>,
}

#[derive(Deserialize)]
struct Dependency {
    name: String,
    /// `null` (normal), `"build"` or `"dev"`.
    kind: Option<String>,
    /// Set for path dependencies: the workspace's own crates.
    path: Option<PathBuf>,
}

/// The directories (relative to `root`) of the workspace members `package` does not depend on,
/// through normal and build dependencies. `None` when cargo cannot tell (no cargo, no
/// workspace): then nothing is left out, which only costs a rebuild.
pub fn unrelated_members(root: &Path, package: &str) -> Option<Vec<PathBuf>> {
    let out = Cmd::new("cargo")
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml").display().to_string())
        .timeout(Duration::from_secs(60))
        .run()
        .ok()?;
    let metadata: Metadata = serde_json::from_str(&out.stdout).ok()?;
    let dir_of = |p: &Package| p.manifest_path.parent().map(Path::to_path_buf);
    let mut needed = BTreeSet::new();
    let mut queue = VecDeque::from([package.to_owned()]);
    while let Some(name) = queue.pop_front() {
        if !needed.insert(name.clone()) {
            continue;
        }
        let member = metadata.packages.iter().find(|p| p.name == name)?;
        for dep in &member.dependencies {
            if dep.path.is_some() && dep.kind.as_deref() != Some("dev") {
                queue.push_back(dep.name.clone());
            }
        }
    }
    let root = root.canonicalize().ok()?;
    Some(
        metadata
            .packages
            .iter()
            .filter(|p| !needed.contains(&p.name))
            .filter_map(|p| dir_of(p)?.strip_prefix(&root).ok().map(Path::to_path_buf))
            .collect(),
    )
}
