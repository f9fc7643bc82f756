//! The repository and its pinned tools, as tests of any crate find them.

use std::path::{Path, PathBuf};

/// The repository root (this crate lives in `crates/e2e`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// PATH with the pinned tools (`just tools`, `.tools/bin`) first, as `just` runs todoctl.
pub fn tools_path() -> String {
    format!(
        "{}:{}",
        repo_root().join(".tools/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The real `program` as todoctl run by `just` finds it: its environment override (`$HELM`
/// for `helm`) when set, else [`tools_path`]. Panics, naming the fix, when it is missing: a
/// test that needs a tool never skips.
pub fn tool(program: &str) -> PathBuf {
    let path = tools_path();
    exec::resolve_with(program, |var| {
        if var == "PATH" {
            Some(path.clone().into())
        } else {
            std::env::var_os(var)
        }
    })
    .unwrap_or_else(|e| panic!("{e}: run `just tools`"))
}

/// Copies a directory tree (a chart, a fixture) so a test can break its own copy.
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
