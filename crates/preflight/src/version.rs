//! Reading version numbers out of the tools' own output.
//!
//! Each tool prints its version its own way (and helm 3 and 4, or a docker client with and
//! without an engine, differ again), so each has a parser tested on the real output captured in
//! `tests/fixtures`. Every parser takes what the tool printed on stdout.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

use crate::Error;

/// A `major.minor.patch` version; pre-release and build suffixes are dropped (a `1.2.3-beta`
/// counts as `1.2.3`, good enough for a minimum-version check).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major number.
    pub major: u64,
    /// Minor number.
    pub minor: u64,
    /// Patch number (0 when the tool prints only two numbers).
    pub patch: u64,
}

impl Version {
    /// A version from its three numbers.
    pub const fn new(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parses `v1.2.3`, `1.2.3`, `1.2`, `v4.1.4+g05fa379`, `1.2.3-rc.1`; `None` otherwise.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let core = text.split(['+', '-']).next().unwrap_or_default();
        let mut numbers = core.split('.');
        let major = number(numbers.next()?)?;
        let minor = number(numbers.next()?)?;
        let patch = match numbers.next() {
            Some(n) => number(n)?,
            None => 0,
        };
        if numbers.next().is_some() {
            return None;
        }
        Some(Version::new(major, minor, patch))
    }

    /// The first whitespace-, comma- or quote-separated word of `text` that is a version.
    pub fn find_in(text: &str) -> Option<Version> {
        text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '"' | '\'' | '(' | ')'))
            .filter(|word| word.contains('.'))
            .find_map(Version::parse)
    }
}

fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `helm version --short` (`v4.1.4+g05fa379`) or `helm version`
/// (`version.BuildInfo{Version:"v3.17.2", …}`), helm 3 and 4 alike.
pub fn helm(stdout: &str) -> Result<Version, Error> {
    let text = stdout.trim();
    let token = match text.split_once("Version:\"") {
        Some((_, rest)) => rest.split('"').next().unwrap_or_default(),
        None => text.split_whitespace().next().unwrap_or_default(),
    };
    Version::parse(token).ok_or_else(|| Error::parse("helm version", "no `vX.Y.Z` version", stdout))
}

/// `kubectl version --client -o json`: `clientVersion.gitVersion`.
pub fn kubectl(stdout: &str) -> Result<Version, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Doc {
        client_version: Client,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Client {
        git_version: String,
    }
    const CMD: &str = "kubectl version --client -o json";
    let doc: Doc = serde_json::from_str(stdout)
        .map_err(|e| Error::parse(CMD, format!("not the expected JSON: {e}"), stdout))?;
    Version::parse(&doc.client_version.git_version)
        .ok_or_else(|| Error::parse(CMD, "clientVersion.gitVersion is not a version", stdout))
}

/// `minikube version --output=json` (`{"commit":…,"minikubeVersion":"v1.34.0"}`), or the plain
/// `minikube version` text (`minikube version: v1.34.0`).
pub fn minikube(stdout: &str) -> Result<Version, Error> {
    #[derive(Deserialize)]
    struct Doc {
        #[serde(rename = "minikubeVersion")]
        minikube_version: String,
    }
    const CMD: &str = "minikube version --output=json";
    let text = stdout.trim();
    if text.starts_with('{') {
        let doc: Doc = serde_json::from_str(text)
            .map_err(|e| Error::parse(CMD, format!("not the expected JSON: {e}"), stdout))?;
        return Version::parse(&doc.minikube_version)
            .ok_or_else(|| Error::parse(CMD, "minikubeVersion is not a version", stdout));
    }
    text.lines()
        .find_map(|line| line.strip_prefix("minikube version:"))
        .and_then(Version::parse)
        .ok_or_else(|| Error::parse(CMD, "no `minikube version: vX.Y.Z` line", stdout))
}

/// The client part of `docker version --format json` (`Client.Version`). Docker prints it even
/// when the engine does not answer (and then exits 1 with `"Server":null`).
pub fn docker(stdout: &str) -> Result<Version, Error> {
    client_version("docker version --format json", stdout)
}

/// `podman version --format json` (`Client.Version`) or the plain `podman version` table
/// (`Version:      4.3.1`).
pub fn podman(stdout: &str) -> Result<Version, Error> {
    let text = stdout.trim();
    if text.starts_with('{') {
        return client_version("podman version --format json", text);
    }
    text.lines()
        .find_map(|line| line.trim().strip_prefix("Version:"))
        .and_then(Version::parse)
        .ok_or_else(|| Error::parse("podman version", "no `Version:` line", stdout))
}

fn client_version(command: &str, stdout: &str) -> Result<Version, Error> {
    #[derive(Deserialize)]
    struct Doc {
        #[serde(rename = "Client")]
        client: Client,
    }
    #[derive(Deserialize)]
    struct Client {
        #[serde(rename = "Version")]
        version: String,
    }
    // A warning line may precede the document (docker prints context warnings first).
    let start = stdout.find('{').unwrap_or(0);
    let doc: Doc = serde_json::Deserializer::from_str(&stdout[start..])
        .into_iter()
        .next()
        .ok_or_else(|| Error::parse(command, "no JSON document", stdout))?
        .map_err(|e| Error::parse(command, format!("not the expected JSON: {e}"), stdout))?;
    Version::parse(&doc.client.version)
        .ok_or_else(|| Error::parse(command, "Client.Version is not a version", stdout))
}

/// `just --version` (`just 1.59.0`).
pub fn just(stdout: &str) -> Result<Version, Error> {
    stdout
        .trim()
        .strip_prefix("just ")
        .and_then(Version::parse)
        .ok_or_else(|| Error::parse("just --version", "no `just X.Y.Z`", stdout))
}

/// Any other tool: the first word that looks like a version.
pub fn generic(command: &str, stdout: &str) -> Result<Version, Error> {
    Version::find_in(stdout).ok_or_else(|| Error::parse(command, "no version number", stdout))
}
