//! Rules every Dockerfile of this project must pass, each with an id and a fix hint.
//!
//! The rules encode the images contract (DESIGN §6). They read the parsed [`Dockerfile`], the
//! Rust version from `rust-toolchain.toml` and the context's `.dockerignore`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::dockerfile::{Args, Dockerfile, Stage};
use crate::dockerignore::DockerIgnore;
use crate::reference::ImageRef;

/// A rule's identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RuleId {
    /// `IMG001`: at least two stages (build tools stay out of the image).
    MultiStage,
    /// `IMG002`: the final stage sets a numeric, non-root `USER`.
    NonRootUser,
    /// `IMG003`: every external base has a tag other than `latest` (or a digest).
    PinnedBase,
    /// `IMG004`: every Rust stage uses the `rust-toolchain.toml` version.
    RustVersion,
    /// `IMG005`: `ENTRYPOINT` and `CMD` in exec (JSON) form; the image has an `ENTRYPOINT`.
    ExecForm,
    /// `IMG006`: the final stage has an exec-form `HEALTHCHECK CMD`.
    Healthcheck,
    /// `IMG007`: no secret-looking `ENV` or `ARG`.
    NoSecrets,
    /// `IMG008`: the final stage copies only built artifacts from earlier stages.
    ArtifactsOnly,
    /// `IMG009`: `.dockerignore` exists and excludes `target/`, `.git`, `.env*`.
    DockerIgnore,
    /// `IMG010`: OCI labels `source`, `revision`, `version` on the image.
    OciLabels,
}

impl RuleId {
    /// Every rule, in id order.
    pub const ALL: [RuleId; 10] = [
        RuleId::MultiStage,
        RuleId::NonRootUser,
        RuleId::PinnedBase,
        RuleId::RustVersion,
        RuleId::ExecForm,
        RuleId::Healthcheck,
        RuleId::NoSecrets,
        RuleId::ArtifactsOnly,
        RuleId::DockerIgnore,
        RuleId::OciLabels,
    ];

    /// The stable id (`IMG001`).
    pub fn code(self) -> &'static str {
        match self {
            RuleId::MultiStage => "IMG001",
            RuleId::NonRootUser => "IMG002",
            RuleId::PinnedBase => "IMG003",
            RuleId::RustVersion => "IMG004",
            RuleId::ExecForm => "IMG005",
            RuleId::Healthcheck => "IMG006",
            RuleId::NoSecrets => "IMG007",
            RuleId::ArtifactsOnly => "IMG008",
            RuleId::DockerIgnore => "IMG009",
            RuleId::OciLabels => "IMG010",
        }
    }

    /// A short name (`multi-stage`).
    pub fn name(self) -> &'static str {
        match self {
            RuleId::MultiStage => "multi-stage",
            RuleId::NonRootUser => "non-root-user",
            RuleId::PinnedBase => "pinned-base",
            RuleId::RustVersion => "rust-version",
            RuleId::ExecForm => "exec-form",
            RuleId::Healthcheck => "healthcheck",
            RuleId::NoSecrets => "no-secrets",
            RuleId::ArtifactsOnly => "artifacts-only",
            RuleId::DockerIgnore => "dockerignore",
            RuleId::OciLabels => "oci-labels",
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.name())
    }
}

/// One broken rule: where, what, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule.
    pub rule: RuleId,
    /// The file at fault (the Dockerfile or `.dockerignore`).
    pub file: PathBuf,
    /// The line, when one line is at fault.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What to change.
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.file.display())?,
            None => write!(f, "{}", self.file.display())?,
        }
        write!(f, ": {} [{}]\n  fix: {}", self.message, self.rule, self.fix)
    }
}

/// What the rules need besides the Dockerfile.
#[derive(Clone, Debug, Default)]
pub struct RuleContext {
    /// The Rust version from `rust-toolchain.toml` (`1.95.0`); `None` when it has none.
    pub toolchain: Option<String>,
    /// The parsed `.dockerignore` of the build context; `None` when the file is missing.
    pub dockerignore: Option<DockerIgnore>,
    /// Where that `.dockerignore` is (or should be), for messages.
    pub dockerignore_path: PathBuf,
}

/// Paths that must never reach a build context, with why.
const MUST_IGNORE: [(&str, &str); 4] = [
    ("target/release/app", "target/"),
    (".git/HEAD", ".git"),
    (".env", ".env"),
    (".env.local", ".env.*"),
];

/// Runs every rule on `file`; an empty result means it passes.
pub fn check(file: &Dockerfile, ctx: &RuleContext) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in RuleId::ALL {
        check_rule(rule, file, ctx, &mut out);
    }
    out
}

/// Runs one rule.
pub fn check_rule(rule: RuleId, file: &Dockerfile, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let mut report = |line: Option<usize>, message: String, fix: &str| {
        out.push(Finding {
            rule,
            file: file.path.clone(),
            line,
            message,
            fix: fix.to_owned(),
        });
    };
    let Some(last) = file.final_stage() else {
        return;
    };
    match rule {
        RuleId::MultiStage => {
            if file.stages.len() < 2 {
                report(
                    Some(last.line),
                    "single-stage build: the compiler and sources end up in the image".into(),
                    "build in a `FROM <rust image> AS build` stage and `COPY --from=build` only the binary into a distroless final stage",
                );
            }
        }
        RuleId::NonRootUser => match last.last("USER") {
            None => report(
                Some(last.line),
                "the final stage sets no USER, so the image runs as its base's user (root unless the base says otherwise)".into(),
                "add `USER 65532:65532` (distroless nonroot) to the final stage",
            ),
            Some(user) => {
                let text = user.text();
                let uid = text.split(':').next().unwrap_or("").trim();
                match uid.parse::<u32>() {
                    Ok(0) => report(
                        Some(user.line),
                        format!("USER {text} is root"),
                        "use a non-root numeric user, e.g. `USER 65532:65532`",
                    ),
                    Ok(_) => {}
                    Err(_) => report(
                        Some(user.line),
                        format!("USER {text} is not numeric, so Kubernetes cannot verify runAsNonRoot"),
                        "use the numeric id, e.g. `USER 65532:65532` instead of `USER nonroot`",
                    ),
                }
            }
        },
        RuleId::PinnedBase => {
            for stage in &file.stages {
                if is_internal_base(file, stage) {
                    continue;
                }
                if let Some(problem) = unpinned(&stage.base_resolved) {
                    report(
                        Some(stage.line),
                        format!("{}: base `{}` {problem}", stage.label(), stage.base),
                        "pin the base by tag (and digest where you can), e.g. `docker.io/library/rust:1.95-slim-bookworm`",
                    );
                }
            }
        }
        RuleId::RustVersion => {
            let rust_stages: Vec<&Stage> = file
                .stages
                .iter()
                .filter(|s| !is_internal_base(file, s) && is_rust_image(&s.base_resolved))
                .collect();
            let Some(want) = ctx.toolchain.as_deref() else {
                if let Some(stage) = rust_stages.first() {
                    report(
                        Some(stage.line),
                        "rust-toolchain.toml gives no channel version to compare the Rust stages with".into(),
                        "set `[toolchain] channel = \"1.95.0\"` in rust-toolchain.toml",
                    );
                }
                return;
            };
            for stage in rust_stages {
                let tag = ImageRef::new(&stage.base_resolved).tag().unwrap_or("");
                let version = tag.split('-').next().unwrap_or("");
                if !version_matches(version, want) {
                    report(
                        Some(stage.line),
                        format!(
                            "{}: base `{}` is Rust `{version}`, rust-toolchain.toml says {want}",
                            stage.label(),
                            stage.base_resolved
                        ),
                        &format!("use the toolchain's version in the tag, e.g. `rust:{}-slim-bookworm`", major_minor(want)),
                    );
                }
            }
        }
        RuleId::ExecForm => {
            for stage in &file.stages {
                for inst in stage.all("ENTRYPOINT").chain(stage.all("CMD")) {
                    if !matches!(inst.args, Args::Exec(_)) {
                        report(
                            Some(inst.line),
                            format!("{} in shell form runs under /bin/sh (absent on distroless) and does not receive SIGTERM", inst.keyword),
                            &format!("write it as JSON: {} [\"/usr/local/bin/app\"]", inst.keyword),
                        );
                    }
                }
            }
            if last.last("ENTRYPOINT").is_none() {
                report(
                    Some(last.line),
                    "the final stage has no ENTRYPOINT".into(),
                    "add `ENTRYPOINT [\"/usr/local/bin/<binary>\"]`",
                );
            }
        }
        RuleId::Healthcheck => match last.last("HEALTHCHECK") {
            None => report(
                Some(last.line),
                "the final stage has no HEALTHCHECK".into(),
                "add `HEALTHCHECK CMD [\"/usr/local/bin/<binary>\", \"healthcheck\"]` (build with `--format docker` under buildah to keep it)",
            ),
            Some(hc) => {
                let text = hc.text();
                let body = text.trim_start();
                if body.eq_ignore_ascii_case("none") {
                    report(
                        Some(hc.line),
                        "HEALTHCHECK NONE disables the health check".into(),
                        "use `HEALTHCHECK CMD [\"/usr/local/bin/<binary>\", \"healthcheck\"]`",
                    );
                } else {
                    let cmd = body.get(3..).unwrap_or("").trim();
                    let is_cmd = body.len() >= 3 && body[..3].eq_ignore_ascii_case("cmd");
                    let exec = cmd.starts_with('[') && serde_json::from_str::<Vec<String>>(cmd).is_ok();
                    if !is_cmd || !exec {
                        report(
                            Some(hc.line),
                            "HEALTHCHECK is not an exec-form CMD; a shell-form check needs /bin/sh, which distroless lacks".into(),
                            "use `HEALTHCHECK CMD [\"/usr/local/bin/<binary>\", \"healthcheck\"]`",
                        );
                    }
                }
            }
        },
        RuleId::NoSecrets => {
            let stages = file.stages.iter().flat_map(|s| s.instructions.iter());
            for inst in file.global_args.iter().chain(stages) {
                if inst.keyword != "ENV" && inst.keyword != "ARG" {
                    continue;
                }
                for (key, _) in inst.key_values() {
                    if is_secret_name(&key) {
                        report(
                            Some(inst.line),
                            format!("{} {key} looks like a secret; build args and ENV are stored in the image history", inst.keyword),
                            "pass secrets at run time (Kubernetes Secret -> env), or to the build with `RUN --mount=type=secret`",
                        );
                    }
                }
            }
        }
        RuleId::ArtifactsOnly => {
            for inst in &last.instructions {
                match inst.keyword.as_str() {
                    "ADD" => report(
                        Some(inst.line),
                        "ADD in the final stage brings in files that were not built by an earlier stage".into(),
                        "build or fetch in a builder stage and `COPY --from=<stage>` the result",
                    ),
                    "COPY" => match inst.flag("from") {
                        Some(from) if file.is_stage_ref(from, last.index) => {
                            for src in inst.copy_sources() {
                                let trimmed = src.trim_end_matches('/');
                                if trimmed.is_empty() || trimmed == "." || trimmed == "/src" {
                                    report(
                                        Some(inst.line),
                                        format!("COPY --from={from} {src} copies a whole tree, not built artifacts"),
                                        "copy only the binary (and the files it needs at run time)",
                                    );
                                }
                            }
                        }
                        Some(from) => report(
                            Some(inst.line),
                            format!("COPY --from={from} does not name an earlier stage of this file"),
                            "copy from a builder stage of this Dockerfile (`COPY --from=build …`)",
                        ),
                        None => report(
                            Some(inst.line),
                            "COPY from the build context in the final stage ships sources, not built artifacts".into(),
                            "copy the built binary from the builder: `COPY --from=build /out/<binary> /usr/local/bin/`",
                        ),
                    },
                    _ => {}
                }
            }
        }
        RuleId::DockerIgnore => {
            let path = &ctx.dockerignore_path;
            match &ctx.dockerignore {
                None => out.push(Finding {
                    rule,
                    file: path.clone(),
                    line: None,
                    message: "no .dockerignore: target/, .git and .env files would be sent to the builder".into(),
                    fix: "add a .dockerignore at the context root that excludes target/, .git and .env*".into(),
                }),
                Some(ignore) => {
                    for (probe, pattern) in MUST_IGNORE {
                        if !ignore.is_excluded(probe) {
                            out.push(Finding {
                                rule,
                                file: path.clone(),
                                line: None,
                                message: format!("`{probe}` is not excluded from the build context"),
                                fix: format!("add a line `{pattern}` to .dockerignore"),
                            });
                        }
                    }
                }
            }
        }
        RuleId::OciLabels => {
            let mut keys: Vec<String> = Vec::new();
            for inst in last.all("LABEL") {
                keys.extend(inst.key_values().into_iter().map(|(k, _)| k));
            }
            for want in ["source", "revision", "version"] {
                let key = format!("org.opencontainers.image.{want}");
                if !keys.contains(&key) {
                    report(
                        Some(last.line),
                        format!("the final stage has no `{key}` label"),
                        &format!("add `LABEL {key}=…` to the final stage (version and revision from ARGs)"),
                    );
                }
            }
        }
    }
}

/// Reads the channel of `rust-toolchain.toml` (or the legacy plain `rust-toolchain` file).
pub fn read_toolchain(root: &Path) -> Option<String> {
    if let Ok(text) = std::fs::read_to_string(root.join("rust-toolchain.toml")) {
        return text.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "channel")
                .then(|| value.trim().trim_matches('"').trim_matches('\'').to_owned())
        });
    }
    std::fs::read_to_string(root.join("rust-toolchain"))
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn is_internal_base(file: &Dockerfile, stage: &Stage) -> bool {
    stage.base_resolved.eq_ignore_ascii_case("scratch")
        || file.is_stage_ref(&stage.base_resolved, stage.index)
}

/// Why `image` is not pinned, if it is not.
fn unpinned(image: &str) -> Option<String> {
    if image.is_empty() || image.contains('$') {
        return Some("uses a variable with no default".into());
    }
    let reference = ImageRef::new(image);
    // Only a sha256 digest pins here: an empty or odd one after `@` falls through to the tag.
    if reference
        .digest()
        .is_some_and(|digest| digest.starts_with("sha256:"))
    {
        return None;
    }
    match reference.tag() {
        None => Some("has no tag, so it means `latest`".into()),
        Some("latest") => Some("is `latest`, which moves".into()),
        Some("") => Some("has an empty tag (a variable with no default?)".into()),
        Some(_) => None,
    }
}

fn is_rust_image(image: &str) -> bool {
    ImageRef::new(image).name() == "rust"
}

/// `1.95` or `1.95.0` in a tag matches toolchain `1.95.0`; `1.94` or `latest` do not.
fn version_matches(tag_version: &str, toolchain: &str) -> bool {
    !tag_version.is_empty()
        && (tag_version == toolchain || toolchain.starts_with(&format!("{tag_version}.")))
        && tag_version.split('.').count() >= 2
}

fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

fn is_secret_name(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    if upper.ends_with("_FILE") || upper.ends_with("_PATH") || upper.ends_with("_DIR") {
        return false;
    }
    const WORDS: [&str; 9] = [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
        "ACCESS_KEY",
    ];
    WORDS.iter().any(|w| upper.contains(w))
}
