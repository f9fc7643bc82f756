//! Integration tests of chart-values and the chart, with real Helm 3 and Helm 4.
#![allow(clippy::unwrap_used, missing_docs)]

mod helm;
mod kube;
mod load;
mod merge;
mod render;
mod rules;
mod schema;

use std::path::{Path, PathBuf};

/// The chart under test.
pub fn chart_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../helm/todo-chatbot")
}

/// Writes `files` (name, text) into a fresh temp dir.
pub fn temp_files(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// A copy of the chart in a temp dir, plus extra files (e.g. a template dumping `.Values`).
pub fn chart_copy(extra: &[(&str, &str)]) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let target = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&chart_dir(), &dir.path().join("todo-chatbot"));
    for (name, text) in extra {
        std::fs::write(dir.path().join("todo-chatbot").join(name), text).unwrap();
    }
    dir
}
