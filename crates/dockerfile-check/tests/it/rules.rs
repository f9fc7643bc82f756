use std::path::{Path, PathBuf};

use dockerfile_check::{DockerIgnore, Dockerfile, RuleContext, RuleId};

const GOOD_IGNORE: &str = "*\n!Cargo.toml\n!Cargo.lock\n!crates/\n**/target/\n.git\n.env\n.env.*\n";

const GOOD: &str = r#"
FROM docker.io/library/rust:1.95-slim-bookworm AS build
WORKDIR /src
ENV CARGO_INCREMENTAL=0 SQLX_OFFLINE=true
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo build --release --locked -p app \
 && install -D target/release/app /out/app

FROM gcr.io/distroless/cc-debian12:nonroot
ARG VERSION=0.0.0
ARG REVISION=unknown
LABEL org.opencontainers.image.source="https://example.com/x" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/app /usr/local/bin/app
USER 65532:65532
HEALTHCHECK --interval=10s CMD ["/usr/local/bin/app", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/app"]
"#;

fn ctx(ignore: Option<&str>) -> RuleContext {
    RuleContext {
        toolchain: Some("1.95.0".into()),
        dockerignore: ignore.map(DockerIgnore::parse),
        dockerignore_path: PathBuf::from(".dockerignore"),
    }
}

/// Runs only `rule` on `text`; `expect` is `None` for a pass, or a fragment of the message and
/// the line the finding must carry.
fn check(rule: RuleId, text: &str, ignore: Option<&str>, expect: Option<(&str, Option<usize>)>) {
    let file = Dockerfile::parse(Path::new("t.Dockerfile"), text).unwrap();
    let mut found = Vec::new();
    dockerfile_check::check_rule(rule, &file, &ctx(ignore), &mut found);
    match expect {
        None => assert!(found.is_empty(), "{rule} should pass:\n{text}\n{found:#?}"),
        Some((fragment, line)) => {
            assert!(!found.is_empty(), "{rule} should fail:\n{text}");
            assert!(found.iter().all(|f| f.rule == rule && !f.fix.is_empty()));
            assert!(
                found
                    .iter()
                    .any(|f| f.message.contains(fragment) && f.line == line),
                "{rule}: want {fragment:?} at {line:?}, got {found:#?}"
            );
        }
    }
}

fn good_with(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "fixture edit {from:?} does not apply");
    GOOD.replacen(from, to, 1)
}

#[test]
fn the_good_fixture_passes_every_rule() {
    let file = Dockerfile::parse(Path::new("t.Dockerfile"), GOOD).unwrap();
    let found = dockerfile_check::check(&file, &ctx(Some(GOOD_IGNORE)));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn multi_stage() {
    check(RuleId::MultiStage, GOOD, None, None);
    let single = "FROM rust:1.95\nUSER 1000\nENTRYPOINT [\"/app\"]\n";
    check(
        RuleId::MultiStage,
        single,
        None,
        Some(("single-stage", Some(1))),
    );
}

#[test]
fn non_root_user() {
    check(RuleId::NonRootUser, GOOD, None, None);
    check(
        RuleId::NonRootUser,
        &good_with("USER 65532:65532", "USER 1000"),
        None,
        None,
    );
    let root = good_with("USER 65532:65532", "USER 0:0");
    check(
        RuleId::NonRootUser,
        &root,
        None,
        Some(("is root", Some(17))),
    );
    let named = good_with("USER 65532:65532", "USER nonroot");
    check(
        RuleId::NonRootUser,
        &named,
        None,
        Some(("not numeric", Some(17))),
    );
    let missing = good_with("USER 65532:65532\n", "");
    check(
        RuleId::NonRootUser,
        &missing,
        None,
        Some(("sets no USER", Some(10))),
    );
    // A USER in the builder stage does not count for the image.
    let builder_only =
        good_with("WORKDIR /src", "USER 1000\nWORKDIR /src").replace("USER 65532:65532\n", "");
    check(
        RuleId::NonRootUser,
        &builder_only,
        None,
        Some(("sets no USER", Some(11))),
    );
}

#[test]
fn pinned_base() {
    check(RuleId::PinnedBase, GOOD, None, None);
    check(
        RuleId::PinnedBase,
        "FROM rust:1.95 AS b\nFROM b\nFROM scratch\n",
        None,
        None,
    );
    check(RuleId::PinnedBase, "FROM alpine@sha256:0123\n", None, None);
    check(
        RuleId::PinnedBase,
        "ARG T=1.95\nFROM rust:${T}\n",
        None,
        None,
    );
    let latest = good_with("cc-debian12:nonroot", "cc-debian12:latest");
    check(
        RuleId::PinnedBase,
        &latest,
        None,
        Some(("is `latest`", Some(10))),
    );
    let untagged = good_with("cc-debian12:nonroot", "cc-debian12");
    check(
        RuleId::PinnedBase,
        &untagged,
        None,
        Some(("has no tag", Some(10))),
    );
    check(
        RuleId::PinnedBase,
        "FROM localhost:5000/app\n",
        None,
        Some(("has no tag", Some(1))),
    );
    check(
        RuleId::PinnedBase,
        "FROM rust:${NOPE}\n",
        None,
        Some(("empty tag", Some(1))),
    );
    check(
        RuleId::PinnedBase,
        "FROM ${IMAGE}\n",
        None,
        Some(("no default", Some(1))),
    );
}

#[test]
fn rust_version() {
    check(RuleId::RustVersion, GOOD, None, None);
    check(
        RuleId::RustVersion,
        "FROM rust:1.95.0-alpine\nFROM scratch\n",
        None,
        None,
    );
    let old = good_with("rust:1.95-slim", "rust:1.94-slim");
    check(
        RuleId::RustVersion,
        &old,
        None,
        Some(("is Rust `1.94`", Some(2))),
    );
    let floating = good_with("rust:1.95-slim-bookworm", "rust:slim-bookworm");
    check(
        RuleId::RustVersion,
        &floating,
        None,
        Some(("is Rust `slim`", Some(2))),
    );
    let major = good_with("rust:1.95-slim", "rust:1-slim");
    check(
        RuleId::RustVersion,
        &major,
        None,
        Some(("is Rust `1`", Some(2))),
    );
    let second = format!("{GOOD}\nFROM rust:1.90 AS tools\n");
    check(
        RuleId::RustVersion,
        &second,
        None,
        Some(("stage 2 (tools)", Some(21))),
    );
}

#[test]
fn exec_form() {
    check(RuleId::ExecForm, GOOD, None, None);
    let shell = good_with(
        r#"ENTRYPOINT ["/usr/local/bin/app"]"#,
        "ENTRYPOINT /usr/local/bin/app",
    );
    check(
        RuleId::ExecForm,
        &shell,
        None,
        Some(("ENTRYPOINT in shell form", Some(19))),
    );
    let cmd = format!("{GOOD}CMD serve --port 8000\n");
    check(
        RuleId::ExecForm,
        &cmd,
        None,
        Some(("CMD in shell form", Some(20))),
    );
    let none = good_with(r#"ENTRYPOINT ["/usr/local/bin/app"]"#, "");
    check(
        RuleId::ExecForm,
        &none,
        None,
        Some(("no ENTRYPOINT", Some(10))),
    );
}

#[test]
fn healthcheck() {
    check(RuleId::Healthcheck, GOOD, None, None);
    let hc = r#"HEALTHCHECK --interval=10s CMD ["/usr/local/bin/app", "healthcheck"]"#;
    check(
        RuleId::Healthcheck,
        &good_with(hc, ""),
        None,
        Some(("no HEALTHCHECK", Some(10))),
    );
    check(
        RuleId::Healthcheck,
        &good_with(hc, "HEALTHCHECK NONE"),
        None,
        Some(("disables", Some(18))),
    );
    let shell = good_with(hc, "HEALTHCHECK CMD curl -f http://localhost/ || exit 1");
    check(
        RuleId::Healthcheck,
        &shell,
        None,
        Some(("not an exec-form CMD", Some(18))),
    );
}

#[test]
fn no_secrets() {
    check(RuleId::NoSecrets, GOOD, None, None);
    let file_path = good_with(
        "ARG VERSION=0.0.0",
        "ARG VERSION=0.0.0\nENV JWT_SECRET_FILE=/run/secrets/jwt",
    );
    check(RuleId::NoSecrets, &file_path, None, None);
    let env = good_with("ARG VERSION=0.0.0", "ARG VERSION=0.0.0\nENV JWT_SECRET=abc");
    check(
        RuleId::NoSecrets,
        &env,
        None,
        Some(("ENV JWT_SECRET", Some(12))),
    );
    let arg = format!("ARG GITHUB_TOKEN\n{GOOD}");
    check(
        RuleId::NoSecrets,
        &arg,
        None,
        Some(("ARG GITHUB_TOKEN", Some(1))),
    );
    let legacy = good_with("WORKDIR /src", "WORKDIR /src\nENV DB_PASSWORD hunter2");
    check(
        RuleId::NoSecrets,
        &legacy,
        None,
        Some(("ENV DB_PASSWORD", Some(4))),
    );
    let key = good_with(
        "ENV CARGO_INCREMENTAL=0",
        "ENV OPENAI_API_KEY=sk CARGO_INCREMENTAL=0",
    );
    check(
        RuleId::NoSecrets,
        &key,
        None,
        Some(("OPENAI_API_KEY", Some(4))),
    );
}

#[test]
fn artifacts_only() {
    check(RuleId::ArtifactsOnly, GOOD, None, None);
    let context = good_with(
        "COPY --from=build /out/app",
        "COPY . /app\nCOPY --from=build /out/app",
    );
    check(
        RuleId::ArtifactsOnly,
        &context,
        None,
        Some(("from the build context", Some(16))),
    );
    let add = good_with(
        "COPY --from=build /out/app",
        "ADD https://example.com/x /x\nCOPY --from=build /out/app",
    );
    check(
        RuleId::ArtifactsOnly,
        &add,
        None,
        Some(("ADD in the final stage", Some(16))),
    );
    let tree = good_with(
        "COPY --from=build /out/app /usr/local/bin/app",
        "COPY --from=build /src /app",
    );
    check(
        RuleId::ArtifactsOnly,
        &tree,
        None,
        Some(("whole tree", Some(16))),
    );
    let foreign = good_with("--from=build", "--from=other");
    check(
        RuleId::ArtifactsOnly,
        &foreign,
        None,
        Some(("does not name an earlier stage", Some(16))),
    );
}

#[test]
fn dockerignore() {
    check(RuleId::DockerIgnore, GOOD, Some(GOOD_IGNORE), None);
    check(
        RuleId::DockerIgnore,
        GOOD,
        Some("target\n.git\n.env*\n"),
        None,
    );
    check(
        RuleId::DockerIgnore,
        GOOD,
        None,
        Some(("no .dockerignore", None)),
    );
    check(
        RuleId::DockerIgnore,
        GOOD,
        Some(".git\n.env*\n"),
        Some(("`target/release/app`", None)),
    );
    check(
        RuleId::DockerIgnore,
        GOOD,
        Some("target\n.env*\n"),
        Some(("`.git/HEAD`", None)),
    );
    check(
        RuleId::DockerIgnore,
        GOOD,
        Some("target\n.git\n.env\n"),
        Some(("`.env.local`", None)),
    );
    // Re-including a secret after excluding it is caught too.
    check(
        RuleId::DockerIgnore,
        GOOD,
        Some("target\n.git\n.env*\n!.env"),
        Some(("`.env`", None)),
    );
}

#[test]
fn oci_labels() {
    check(RuleId::OciLabels, GOOD, None, None);
    let no_rev = good_with(
        "      org.opencontainers.image.revision=\"${REVISION}\" \\\n",
        "",
    );
    check(
        RuleId::OciLabels,
        &no_rev,
        None,
        Some(("org.opencontainers.image.revision", Some(10))),
    );
    // Labels on the builder stage do not reach the image.
    let moved = GOOD.replace("LABEL org.opencontainers.image.source", "LABEL other");
    check(
        RuleId::OciLabels,
        &moved,
        None,
        Some(("org.opencontainers.image.source", Some(10))),
    );
}

#[test]
fn every_rule_has_a_unique_code_and_name() {
    let mut codes: Vec<_> = RuleId::ALL.iter().map(|r| r.code()).collect();
    let mut names: Vec<_> = RuleId::ALL.iter().map(|r| r.name()).collect();
    codes.dedup();
    names.sort();
    names.dedup();
    assert_eq!(codes.len(), RuleId::ALL.len());
    assert_eq!(names.len(), RuleId::ALL.len());
}

#[test]
fn the_repositorys_dockerfiles_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ctx = RuleContext {
        toolchain: dockerfile_check::read_toolchain(&root),
        dockerignore: DockerIgnore::read(&root).unwrap(),
        dockerignore_path: root.join(".dockerignore"),
    };
    assert_eq!(ctx.toolchain.as_deref(), Some("1.95.0"));
    for name in ["backend", "frontend"] {
        let file = Dockerfile::read(&root.join(format!("docker/{name}.Dockerfile"))).unwrap();
        let found = dockerfile_check::check(&file, &ctx);
        assert!(found.is_empty(), "{name}: {found:#?}");
    }
}

#[test]
fn the_two_dockerfiles_share_their_build_stage() {
    // The dependency cache is shared only if both builds run the same steps with the same
    // cache ids; they may differ in the package they build and nothing else.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let stage = |name: &str, binary: &str| {
        let file = Dockerfile::read(&root.join(format!("docker/{name}.Dockerfile"))).unwrap();
        let build = &file.stages[0];
        let text: Vec<String> = std::iter::once(build.base.clone())
            .chain(
                build
                    .instructions
                    .iter()
                    .map(|i| format!("{} {:?} {}", i.keyword, i.flags, i.text())),
            )
            .collect();
        text.join("\n").replace(binary, "BINARY")
    };
    let backend = stage("backend", "todo-api");
    assert_eq!(backend, stage("frontend", "todo-web"));
    assert!(
        backend.contains("id=todo-chatbot-cargo-target"),
        "{backend}"
    );
}
