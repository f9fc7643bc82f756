//! Content tags: a hash of everything a build reads, so an unchanged tree keeps its tag (and is
//! not rebuilt) and any change to a build input gets a new one.
//!
//! The inputs are the Dockerfile's bytes, every file `.dockerignore` lets into the context
//! (path, executable bit and bytes, in sorted path order; symlinks by their target), the build
//! arguments and the target stage. Files the context leaves out cannot change the image, so
//! they do not change the tag; nor do the sources of workspace crates the image's binary does
//! not depend on (only their `Cargo.toml` counts: cargo reads every member's manifest).

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use dockerfile_check::DockerIgnore;
use sha2::{Digest, Sha256};

use crate::Error;

/// How many hex digits of the digest make the tag.
pub const TAG_LEN: usize = 12;

/// Bumped whenever the hashing scheme changes, so old and new tags never collide.
const SCHEME: &str = "todo-chatbot-images/content-tag/v2";

/// What goes into a content tag.
#[derive(Clone, Debug)]
pub struct TagInputs<'a> {
    /// The build context (the workspace root).
    pub context: &'a Path,
    /// The Dockerfile (anywhere; its bytes are hashed whether or not the context includes it).
    pub dockerfile: &'a Path,
    /// Build arguments (`--build-arg`), hashed in key order.
    pub build_args: &'a BTreeMap<String, String>,
    /// The target stage, if not the last.
    pub target: Option<&'a str>,
    /// Workspace member directories (relative to the context) the binary does not depend on:
    /// their files are left out, but for their `Cargo.toml`.
    pub unrelated: &'a [std::path::PathBuf],
}

/// The full SHA-256 (hex) of the build inputs.
pub fn content_digest(inputs: &TagInputs<'_>) -> Result<String, Error> {
    let mut hasher = Sha256::new();
    field(&mut hasher, SCHEME.as_bytes());
    let dockerfile = std::fs::read(inputs.dockerfile).map_err(|source| Error::Io {
        path: inputs.dockerfile.to_owned(),
        source,
    })?;
    field(&mut hasher, b"dockerfile");
    field(&mut hasher, &dockerfile);
    for (key, value) in inputs.build_args {
        field(&mut hasher, b"arg");
        field(&mut hasher, key.as_bytes());
        field(&mut hasher, value.as_bytes());
    }
    field(&mut hasher, b"target");
    field(&mut hasher, inputs.target.unwrap_or("").as_bytes());

    let ignore = DockerIgnore::read(inputs.context)?.unwrap_or_default();
    for rel in ignore.context_files(inputs.context)? {
        let unrelated = inputs
            .unrelated
            .iter()
            .any(|dir| rel.starts_with(dir) && rel != dir.join("Cargo.toml"));
        if unrelated {
            continue;
        }
        let path = inputs.context.join(&rel);
        let meta = std::fs::symlink_metadata(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let name = rel.to_string_lossy().replace('\\', "/");
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            field(&mut hasher, b"link");
            field(&mut hasher, name.as_bytes());
            field(&mut hasher, target.to_string_lossy().as_bytes());
            continue;
        }
        let executable = meta.permissions().mode() & 0o111 != 0;
        field(&mut hasher, if executable { b"exec" } else { b"file" });
        field(&mut hasher, name.as_bytes());
        hasher.update((meta.len()).to_le_bytes());
        let mut file = std::fs::File::open(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let mut buf = [0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The content tag: the first [`TAG_LEN`] hex digits of [`content_digest`].
pub fn content_tag(inputs: &TagInputs<'_>) -> Result<String, Error> {
    let mut digest = content_digest(inputs)?;
    digest.truncate(TAG_LEN);
    Ok(digest)
}

/// Length-prefixed so that no two different input lists hash the same bytes.
fn field(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}
