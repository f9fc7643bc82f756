//! What a Docker (or Podman) image store says about an image, reduced to the one identity every
//! store agrees on: the digest of the image's config blob.
//!
//! The classic Docker store and Podman report that digest as the image's `Id`, and so does every
//! runtime inside a Minikube node (Docker with minikube's overlay2 store, containerd and CRI-O
//! through the CRI). Docker's containerd image store (the default of fresh Docker 29 installs and
//! of Docker Desktop) reports the digest of the image index or manifest as `Id` instead, and marks
//! itself by adding a `Descriptor` of that index. For such an image the config digest is read
//! from the `manifest.json` that `docker image save` writes.

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;

use serde::Deserialize;

use crate::engine::normalize_id;
use dockerfile_check::ImageRef;

/// The fields of `docker image inspect --format '{{json .}}'` (and Podman's) that matter here.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Inspect {
    /// The config digest (classic store, Podman) or the index/manifest digest (containerd store).
    #[serde(rename = "Id")]
    pub id: String,
    /// Size in bytes.
    #[serde(rename = "Size", default)]
    pub size: Option<u64>,
    /// Present only on a store that keeps image indexes (Docker's containerd store).
    #[serde(rename = "Descriptor", default)]
    pub descriptor: Option<Descriptor>,
}

/// An OCI descriptor.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Descriptor {
    /// e.g. `application/vnd.oci.image.index.v1+json`.
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    /// `sha256:<hex>`.
    #[serde(default)]
    pub digest: String,
}

impl Inspect {
    /// The config digest when `Id` is one; `None` on Docker's containerd store, whose `Id` names
    /// the index or manifest (read the config digest from a saved archive then).
    pub fn config_digest(&self) -> Option<String> {
        self.descriptor.is_none().then(|| normalize_id(&self.id))
    }
}

/// Parses `image inspect --format '{{json .}}'`: one object (Docker) or a one-element list.
pub fn parse_inspect(text: &str) -> Result<Inspect, String> {
    let text = text.trim();
    let parsed = if text.starts_with('[') {
        serde_json::from_str::<Vec<Inspect>>(text).map(|list| list.into_iter().next())
    } else {
        serde_json::from_str::<Inspect>(text).map(Some)
    };
    parsed
        .map_err(|e| format!("not the expected JSON of an image: {e}"))?
        .ok_or_else(|| "an empty list instead of the image".to_owned())
}

#[derive(Deserialize)]
struct SavedImage {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
}

/// The config digest of `reference` from a saved archive's `manifest.json`:
/// `[{"Config": "blobs/sha256/<hex>", "RepoTags": [...], "Layers": [...]}]` (Docker ≥ 25, both
/// stores) or `"Config": "<hex>.json"` (older Docker).
pub fn config_digest_from_manifest(manifest: &str, reference: &str) -> Result<String, String> {
    let images: Vec<SavedImage> = serde_json::from_str(manifest.trim())
        .map_err(|e| format!("manifest.json is not the expected list of images: {e}"))?;
    let want = ImageRef::new(reference).short_name();
    let tagged: Vec<&SavedImage> = images
        .iter()
        .filter(|image| {
            image
                .repo_tags
                .iter()
                .flatten()
                .any(|tag| ImageRef::new(tag).short_name() == want)
        })
        .collect();
    let image = match (tagged.as_slice(), images.as_slice()) {
        ([one], _) => *one,
        ([], [one]) => one,
        ([], []) => return Err("manifest.json lists no image".to_owned()),
        _ => {
            return Err(format!(
                "manifest.json lists {} images for {reference}: build it for one platform only",
                images.len()
            ));
        }
    };
    let file = image.config.rsplit('/').next().unwrap_or_default();
    let hex = file.strip_suffix(".json").unwrap_or(file);
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(normalize_id(hex))
    } else {
        Err(format!(
            "manifest.json names its config {:?}, not a sha256 blob",
            image.config
        ))
    }
}

/// The contents of the file `name` in the tar archive at `path`, or `None` when it has no such
/// entry. Enough of the format for what `docker image save` writes: ustar headers, GNU long
/// names and PAX `path` records.
pub fn tar_entry(path: &Path, name: &str) -> std::io::Result<Option<Vec<u8>>> {
    let mut file = BufReader::new(File::open(path)?);
    let mut header = [0u8; 512];
    let mut next_name: Option<String> = None;
    loop {
        match file.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        if header.iter().all(|b| *b == 0) {
            return Ok(None);
        }
        let size = entry_size(&header)?;
        let padded = size.div_ceil(512) * 512;
        let kind = header[156];
        let entry_name = next_name.take().unwrap_or_else(|| header_name(&header));
        match kind {
            b'L' | b'x' => {
                let data = read_data(&mut file, size, padded)?;
                let text = String::from_utf8_lossy(&data);
                next_name = if kind == b'L' {
                    Some(text.trim_end_matches('\0').to_owned())
                } else {
                    pax_path(&text)
                };
            }
            _ if entry_name.trim_start_matches("./") == name => {
                return read_data(&mut file, size, padded).map(Some);
            }
            _ => {
                let skip = i64::try_from(padded)
                    .map_err(|_| std::io::Error::new(ErrorKind::InvalidData, "entry too large"))?;
                file.seek(SeekFrom::Current(skip))?;
            }
        }
    }
}

fn read_data(file: &mut impl Read, size: u64, padded: u64) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    file.take(padded).read_to_end(&mut data)?;
    if (data.len() as u64) < padded {
        return Err(std::io::Error::new(
            ErrorKind::UnexpectedEof,
            "archive ends inside an entry",
        ));
    }
    data.truncate(usize::try_from(size).unwrap_or(usize::MAX));
    Ok(data)
}

fn header_name(header: &[u8; 512]) -> String {
    let field = |bytes: &[u8]| {
        let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
        String::from_utf8_lossy(&bytes[..end]).into_owned()
    };
    let name = field(&header[..100]);
    let prefix = if &header[257..262] == b"ustar" {
        field(&header[345..500])
    } else {
        String::new()
    };
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    }
}

/// The size field: octal text, or base-256 when its first byte has the high bit set.
fn entry_size(header: &[u8; 512]) -> std::io::Result<u64> {
    let field = &header[124..136];
    if field[0] & 0x80 != 0 {
        return Ok(field[1..]
            .iter()
            .fold(0u64, |n, b| (n << 8) | u64::from(*b)));
    }
    let text: String = field
        .iter()
        .take_while(|b| **b != 0)
        .map(|b| char::from(*b))
        .collect();
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(text, 8).map_err(|_| {
        std::io::Error::new(
            ErrorKind::InvalidData,
            format!("tar header size {text:?} is not octal"),
        )
    })
}

/// `path` from PAX records (`<len> path=<value>\n`).
fn pax_path(records: &str) -> Option<String> {
    records.lines().find_map(|line| {
        let (_, record) = line.split_once(' ')?;
        record.strip_prefix("path=").map(str::to_owned)
    })
}
