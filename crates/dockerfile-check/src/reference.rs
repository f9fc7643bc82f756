//! Image references (`[registry[:port]/]path[:tag][@digest]`), split where Docker splits them.

use std::fmt;

/// A container image reference, read with the rules of Docker's reference grammar that decide
/// where its parts are: the first `/`-separated segment is a registry only when it contains `.`
/// or `:` or is `localhost`; a `:` after the last `/` starts the tag (so `localhost:5000/app`
/// has none); an `@` starts the digest.
///
/// Every string gives a reference, garbage and the empty string included: the strings come from
/// Dockerfiles (with unexpanded variables), rendered manifests and tools' listings, and each
/// caller reports what is wrong with them — no tag, `latest`, a variable — in its own words. A
/// parse error would only be caught and mapped back to those words, so nothing here validates
/// characters or lengths; it only finds the separators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ImageRef<'a> {
    text: &'a str,
    registry: Option<&'a str>,
    repository: &'a str,
    path: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// Splits `text` into its parts (see the type's documentation for why this cannot fail).
    pub fn new(text: &'a str) -> Self {
        let (named, digest) = match text.split_once('@') {
            Some((named, digest)) => (named, Some(digest)),
            None => (text, None),
        };
        let last_segment_start = named.rfind('/').map_or(0, |slash| slash + 1);
        let (repository, tag) = match named[last_segment_start..].find(':') {
            Some(colon) => {
                let colon = last_segment_start + colon;
                (&named[..colon], Some(&named[colon + 1..]))
            }
            None => (named, None),
        };
        let (registry, path) = match repository.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
                (Some(first), rest)
            }
            _ => (None, repository),
        };
        Self {
            text,
            registry,
            repository,
            path,
            tag,
            digest,
        }
    }

    /// The reference as it was written.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// The registry host (and port), when the reference names one (`localhost:5000`).
    pub fn registry(&self) -> Option<&'a str> {
        self.registry
    }

    /// Registry and path, without tag or digest (`localhost:5000/team/app`).
    pub fn repository(&self) -> &'a str {
        self.repository
    }

    /// The path without the registry (`team/app`, `library/rust`).
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The last segment of the path (`app`, `rust`): how our images and the rules know them
    /// whichever registry prefix a tool shows.
    pub fn name(&self) -> &'a str {
        self.path
            .rsplit_once('/')
            .map_or(self.path, |(_, name)| name)
    }

    /// The tag, `None` when there is none; `Some("")` for a trailing `:` (an empty variable).
    pub fn tag(&self) -> Option<&'a str> {
        self.tag
    }

    /// What follows the `@` (`sha256:…`), `None` without one.
    pub fn digest(&self) -> Option<&'a str> {
        self.digest
    }

    /// Whether the reference carries a digest, which fixes the image whatever the tag says.
    pub fn is_pinned_by_digest(&self) -> bool {
        self.digest.is_some()
    }

    /// The reference without the prefixes tools add to a local image's name — Docker's
    /// `docker.io/library/`, podman's and buildah's `localhost/` — so that
    /// `localhost/todo-chatbot-backend:abc` and `docker.io/library/todo-chatbot-backend:abc`
    /// both read `todo-chatbot-backend:abc`. Every other registry stays: `quay.io/app` is not
    /// `app`.
    pub fn short_name(&self) -> &'a str {
        let text = self.text.trim();
        ["docker.io/library/", "docker.io/", "localhost/", "library/"]
            .iter()
            .find_map(|prefix| text.strip_prefix(prefix))
            .unwrap_or(text)
    }

    /// Whether two references name the same image once those prefixes are dropped.
    pub fn same_image(&self, other: &ImageRef<'_>) -> bool {
        self.short_name() == other.short_name()
    }
}

impl fmt::Display for ImageRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::ImageRef;

    /// `expect` lists every part, so one line shows how a reference was read.
    fn check(input: &str, expect: &str) {
        let reference = ImageRef::new(input);
        let shown =
            |part: Option<&str>| part.map_or_else(|| "none".to_owned(), |p| format!("{p:?}"));
        let parts = format!(
            "registry={} repository={:?} path={:?} name={:?} tag={} digest={} pinned={}",
            shown(reference.registry()),
            reference.repository(),
            reference.path(),
            reference.name(),
            shown(reference.tag()),
            shown(reference.digest()),
            reference.is_pinned_by_digest(),
        );
        assert_eq!(parts, expect, "{input:?}");
        assert_eq!(reference.to_string(), input);
    }

    #[test]
    fn parts_of_references() {
        check(
            "rust",
            r#"registry=none repository="rust" path="rust" name="rust" tag=none digest=none pinned=false"#,
        );
        check(
            "rust:1.95-slim-bookworm",
            r#"registry=none repository="rust" path="rust" name="rust" tag="1.95-slim-bookworm" digest=none pinned=false"#,
        );
        check(
            "todo-chatbot-backend:abc123",
            r#"registry=none repository="todo-chatbot-backend" path="todo-chatbot-backend" name="todo-chatbot-backend" tag="abc123" digest=none pinned=false"#,
        );
        check(
            "registry.local:5000/team/app:1.0",
            r#"registry="registry.local:5000" repository="registry.local:5000/team/app" path="team/app" name="app" tag="1.0" digest=none pinned=false"#,
        );
        check(
            "registry.local:5000/app",
            r#"registry="registry.local:5000" repository="registry.local:5000/app" path="app" name="app" tag=none digest=none pinned=false"#,
        );
        check(
            "localhost:5000/app",
            r#"registry="localhost:5000" repository="localhost:5000/app" path="app" name="app" tag=none digest=none pinned=false"#,
        );
        check(
            "localhost/todo-chatbot-frontend:abc",
            r#"registry="localhost" repository="localhost/todo-chatbot-frontend" path="todo-chatbot-frontend" name="todo-chatbot-frontend" tag="abc" digest=none pinned=false"#,
        );
        check(
            "app@sha256:0123",
            r#"registry=none repository="app" path="app" name="app" tag=none digest="sha256:0123" pinned=true"#,
        );
        check(
            "rust:1.95@sha256:0123",
            r#"registry=none repository="rust" path="rust" name="rust" tag="1.95" digest="sha256:0123" pinned=true"#,
        );
        check(
            "docker.io/library/postgres:17",
            r#"registry="docker.io" repository="docker.io/library/postgres" path="library/postgres" name="postgres" tag="17" digest=none pinned=false"#,
        );
        // Without '.', ':' or `localhost` the first segment is a Docker Hub namespace.
        check(
            "bitnami/postgresql:17",
            r#"registry=none repository="bitnami/postgresql" path="bitnami/postgresql" name="postgresql" tag="17" digest=none pinned=false"#,
        );
        check(
            "app:latest",
            r#"registry=none repository="app" path="app" name="app" tag="latest" digest=none pinned=false"#,
        );
    }

    #[test]
    fn short_names_drop_only_the_local_prefixes() {
        let short = |text| ImageRef::new(text).short_name();
        assert_eq!(short("docker.io/library/postgres:17"), "postgres:17");
        assert_eq!(
            short("docker.io/bitnami/postgresql:17"),
            "bitnami/postgresql:17"
        );
        assert_eq!(short("library/rust"), "rust");
        assert_eq!(
            short("localhost/todo-chatbot-web:abc"),
            "todo-chatbot-web:abc"
        );
        assert_eq!(short(" todo-chatbot-web:abc\n"), "todo-chatbot-web:abc");
        assert_eq!(short("quay.io/app:1"), "quay.io/app:1");
        assert_eq!(short("localhost:5000/app:1"), "localhost:5000/app:1");

        let same = |a, b| ImageRef::new(a).same_image(&ImageRef::new(b));
        assert!(same("localhost/app:1", "docker.io/library/app:1"));
        assert!(!same("app:1", "app:2"));
        assert!(!same("quay.io/app:1", "app:1"));
    }

    #[test]
    fn odd_strings_still_split() {
        check(
            "",
            r#"registry=none repository="" path="" name="" tag=none digest=none pinned=false"#,
        );
        // A Dockerfile's `FROM rust:${RUST}` whose variable had no value.
        check(
            "rust:",
            r#"registry=none repository="rust" path="rust" name="rust" tag="" digest=none pinned=false"#,
        );
        check(
            "app@",
            r#"registry=none repository="app" path="app" name="app" tag=none digest="" pinned=true"#,
        );
        // Without a '/' the port reads as a tag, as Docker reads it.
        check(
            "localhost:5000",
            r#"registry=none repository="localhost" path="localhost" name="localhost" tag="5000" digest=none pinned=false"#,
        );
        // What podman lists for an untagged image.
        check(
            "localhost/x:<none>",
            r#"registry="localhost" repository="localhost/x" path="x" name="x" tag="<none>" digest=none pinned=false"#,
        );
        check(
            "a/b:c:d",
            r#"registry=none repository="a/b" path="a/b" name="b" tag="c:d" digest=none pinned=false"#,
        );
        check(
            "not an image/",
            r#"registry=none repository="not an image/" path="not an image/" name="" tag=none digest=none pinned=false"#,
        );
    }
}
