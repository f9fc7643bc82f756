use std::path::Path;

use dockerfile_check::{Args, Dockerfile};

fn parse(text: &str) -> Dockerfile {
    Dockerfile::parse(Path::new("Dockerfile"), text).unwrap()
}

#[test]
fn stages_args_flags_and_forms() {
    let file = parse(
        "# syntax=docker/dockerfile:1\n\
         ARG RUST=1.95\n\
         FROM --platform=linux/amd64 docker.io/library/rust:${RUST}-slim-bookworm AS Build\n\
         WORKDIR /src\n\
         # a comment\n\
         RUN --mount=type=cache,target=/usr/local/cargo/registry \\\n\
             cargo build --release \\\n\
             # comment inside a continuation\n\
             \\\n\
             && cp target/release/app /out/app\n\
         \n\
         FROM gcr.io/distroless/cc-debian12:nonroot\n\
         COPY --from=build /out/app /usr/local/bin/app\n\
         USER 65532:65532\n\
         ENTRYPOINT [\"/usr/local/bin/app\", \"serve\"]\n\
         CMD --help\n",
    );
    assert_eq!(
        file.directives,
        vec![("syntax".into(), "docker/dockerfile:1".into())]
    );
    assert_eq!(file.global_args.len(), 1);
    assert_eq!(file.stages.len(), 2);
    let build = &file.stages[0];
    assert_eq!(build.name.as_deref(), Some("build"));
    assert_eq!(
        build.base_resolved,
        "docker.io/library/rust:1.95-slim-bookworm"
    );
    assert_eq!(build.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(build.line, 3);
    let run = build.last("RUN").unwrap();
    assert_eq!(run.line, 6);
    assert_eq!(run.end_line, 10);
    assert_eq!(
        run.flag("mount"),
        Some("type=cache,target=/usr/local/cargo/registry")
    );
    let text = run.text();
    assert!(text.starts_with("cargo build --release"), "{text}");
    assert!(
        text.ends_with("&& cp target/release/app /out/app"),
        "{text}"
    );
    assert!(!text.contains("comment"), "{text}");
    let last = file.final_stage().unwrap();
    assert_eq!(last.index, 1);
    assert_eq!(last.last("COPY").unwrap().flag("from"), Some("build"));
    assert_eq!(
        last.last("ENTRYPOINT").unwrap().args,
        Args::Exec(vec!["/usr/local/bin/app".into(), "serve".into()])
    );
    assert_eq!(last.last("CMD").unwrap().args, Args::Shell("--help".into()));
    assert!(file.is_stage_ref("build", 1));
    assert!(file.is_stage_ref("0", 1));
    assert!(!file.is_stage_ref("build", 0));
}

#[test]
fn heredocs_are_bodies_not_instructions() {
    let file = parse(
        "FROM rust:1.95 AS build\n\
         RUN <<EOF\n\
         FROM evil:latest\n\
         USER root\n\
         EOF\n\
         COPY <<-'CONF' <<TWO /etc/\n\
         \tkey = 1\n\
         \tCONF\n\
         second\n\
         TWO\n\
         FROM scratch\n\
         USER 1000\n",
    );
    assert_eq!(file.stages.len(), 2, "{file:#?}");
    let build = &file.stages[0];
    let run = build.last("RUN").unwrap();
    assert_eq!(run.heredocs.len(), 1);
    assert_eq!(run.heredocs[0].delimiter, "EOF");
    assert_eq!(run.heredocs[0].body, "FROM evil:latest\nUSER root");
    let copy = build.last("COPY").unwrap();
    assert_eq!(copy.heredocs.len(), 2);
    assert_eq!(copy.heredocs[0].body, "key = 1");
    assert_eq!(copy.heredocs[1].body, "second");
    assert_eq!(copy.end_line, 10);
    assert!(build.last("USER").is_none());
    assert_eq!(file.stages[1].last("USER").unwrap().text(), "1000");
}

#[test]
fn escape_directive_changes_the_continuation_character() {
    let file = parse("# escape=`\nFROM scratch\nRUN a `\n  b\\\nUSER 1\n");
    let run = file.stages[0].last("RUN").unwrap();
    assert_eq!(run.text(), "a   b\\");
    assert_eq!(file.stages[0].last("USER").unwrap().line, 5);
}

#[test]
fn env_arg_label_key_values() {
    let file = parse(
        "FROM scratch\n\
         ENV A=1 B=\"two words\"\n\
         ENV LEGACY some value\n\
         ARG NODEFAULT\n\
         ARG WITH=default\n\
         LABEL org.opencontainers.image.version=\"${VERSION}\"\n",
    );
    let stage = &file.stages[0];
    let env: Vec<_> = stage.all("ENV").flat_map(|i| i.key_values()).collect();
    assert_eq!(
        env,
        vec![
            ("A".into(), Some("1".into())),
            ("B".into(), Some("two words".into())),
            ("LEGACY".into(), Some("some value".into())),
        ]
    );
    let args: Vec<_> = stage.all("ARG").flat_map(|i| i.key_values()).collect();
    assert_eq!(
        args,
        vec![
            ("NODEFAULT".into(), None),
            ("WITH".into(), Some("default".into()))
        ]
    );
    let labels = stage.last("LABEL").unwrap().key_values();
    assert_eq!(labels[0].0, "org.opencontainers.image.version");
}

#[test]
fn bad_files_are_errors_with_a_line() {
    let check = |text: &str, expect: &str| {
        let err = Dockerfile::parse(Path::new("x.Dockerfile"), text)
            .unwrap_err()
            .to_string();
        assert!(err.contains(expect), "{text:?}: {err}");
    };
    check(
        "RUN echo\nFROM scratch\n",
        "x.Dockerfile:1: RUN before the first FROM",
    );
    check("# just a comment\n", "no FROM");
    check(
        "FROM scratch\nRUN <<EOF\necho\n",
        "x.Dockerfile:2: heredoc `<<EOF` is never closed",
    );
    check("FROM a b c d\n", "FROM takes an image");
    check(
        "FROM scratch\n=oops\n",
        "x.Dockerfile:2: `=OOPS` is not a Dockerfile instruction",
    );
}
