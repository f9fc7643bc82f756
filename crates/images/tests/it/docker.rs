//! The image identity on Docker's two stores, the buildx refusal, and `minikube image build`'s
//! options per node runtime.

use std::path::Path;

use exec::{Cmd, Runner};
use images::docker::{config_digest_from_manifest, parse_inspect, tar_entry};
use images::engine::{BuildRequest, BuildSettings, Engine, EngineChoice, EngineKind, EngineTools};
use images::minikube::Minikube;
use images::ops::{self, BuiltImage};
use images::{Error, Loader, NodeRuntime};

use crate::fakes::{Fakes, fixture};

/// The config digest of the fixtures' image: what every Minikube runtime lists as its ID.
const CONFIG: &str = "sha256:2f1c0ab9e0e14d7c2f1c0ab9e0e14d7c2f1c0ab9e0e14d7c2f1c0ab9e0e14d7c";
/// The image index digest the containerd store reports as `Id` for the same image.
const INDEX: &str = "sha256:9503904dd20d71f165afb82819327f30ce1c9d0d0d8216589877c302f139c4cf";
const REFERENCE: &str = "docker.io/library/todo-chatbot-backend:0123456789ab";

fn tools(fakes: &Fakes) -> EngineTools {
    EngineTools {
        docker: fakes.path("docker"),
        podman: fakes.path("podman-not-used"),
        buildah: fakes.path("buildah-not-used"),
        minikube: fakes.path("minikube"),
    }
}

fn node_lists(id: &str) -> String {
    format!(r#"[{{"id":"{id}","repoDigests":[],"repoTags":["{REFERENCE}"],"size":"36512234"}}]"#)
}

#[test]
fn inspect_output_of_both_stores_parses() {
    let check = |json: &str, id: &str, config: Option<&str>, size: Option<u64>| {
        let inspect = parse_inspect(json).unwrap();
        assert_eq!(inspect.id, id);
        assert_eq!(inspect.config_digest().as_deref(), config);
        assert_eq!(inspect.size, size);
    };
    check(
        &fixture("docker-inspect-classic.json"),
        CONFIG,
        Some(CONFIG),
        Some(36_512_234),
    );
    check(
        &fixture("docker-inspect-containerd.json"),
        INDEX,
        None,
        Some(12_871_932),
    );
    // Podman prints a one-element list with a bare hex Id.
    check(
        r#"[{"Id":"2F1C0AB9E0E14D7C2F1C0AB9E0E14D7C2F1C0AB9E0E14D7C2F1C0AB9E0E14D7C","Size":42}]"#,
        "2F1C0AB9E0E14D7C2F1C0AB9E0E14D7C2F1C0AB9E0E14D7C2F1C0AB9E0E14D7C",
        Some(CONFIG),
        Some(42),
    );
    assert!(parse_inspect("[]").unwrap_err().contains("empty list"));
    assert!(
        parse_inspect("sha256:2f1c 36512234")
            .unwrap_err()
            .contains("not the expected JSON")
    );
}

#[test]
fn saved_manifest_names_the_config_digest() {
    let check = |manifest: &str, expect: Result<&str, &str>| {
        let got = config_digest_from_manifest(manifest, REFERENCE);
        match (got, expect) {
            (Ok(id), Ok(want)) => assert_eq!(id, want, "{manifest}"),
            (Err(e), Err(want)) => assert!(e.contains(want), "{manifest}: {e}"),
            (got, want) => panic!("{manifest}: got {got:?}, want {want:?}"),
        }
    };
    check(&fixture("docker-save-manifest.json"), Ok(CONFIG));
    // Docker before 25 named the config `<hex>.json` at the archive's root.
    check(
        &format!(
            r#"[{{"Config":"{}.json","RepoTags":["todo-chatbot-backend:0123456789ab"],"Layers":[]}}]"#,
            &CONFIG[7..]
        ),
        Ok(CONFIG),
    );
    // Two images: the one tagged with the reference is ours.
    check(
        &format!(
            r#"[{{"Config":"blobs/sha256/{0}","RepoTags":["other:1"]}},{{"Config":"blobs/sha256/{1}","RepoTags":["{REFERENCE}"]}}]"#,
            &INDEX[7..],
            &CONFIG[7..]
        ),
        Ok(CONFIG),
    );
    check(
        &format!(
            r#"[{{"Config":"blobs/sha256/{0}"}},{{"Config":"blobs/sha256/{1}"}}]"#,
            &INDEX[7..],
            &CONFIG[7..]
        ),
        Err("lists 2 images"),
    );
    check("[]", Err("lists no image"));
    check(r#"[{"Config":"config.json"}]"#, Err("not a sha256 blob"));
    check("{}", Err("not the expected list"));
}

/// Builds an archive with the real `tar` (GNU or bsdtar, whichever the machine has).
fn tar(dir: &Path, format: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let tree = dir.join("tree");
    for (name, body) in files {
        let path = tree.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    let archive = dir.join(format!("{format}.tar"));
    let mut cmd = Cmd::new("tar").arg(format!("--format={format}")).arg("-cf");
    cmd = cmd
        .arg(archive.to_string_lossy())
        .arg("-C")
        .arg(tree.to_string_lossy());
    cmd.args(files.iter().map(|(name, _)| *name)).run().unwrap();
    archive
}

#[test]
fn tar_entries_are_found_in_every_header_format() {
    let long = format!("blobs/sha256/{}/{}", "d".repeat(80), "e".repeat(40));
    for format in ["ustar", "gnu", "pax"] {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<(&str, &str)> = if format == "ustar" {
            vec![("oci-layout", "{}"), ("manifest.json", "[1]")]
        } else {
            // A name over 100 bytes needs a GNU long-name or a PAX header in front of it.
            vec![(long.as_str(), "blob"), ("manifest.json", "[1]")]
        };
        let archive = tar(dir.path(), format, &files);
        assert_eq!(
            tar_entry(&archive, "manifest.json").unwrap().as_deref(),
            Some(&b"[1]"[..]),
            "{format}"
        );
        if format != "ustar" {
            assert_eq!(
                tar_entry(&archive, &long).unwrap().as_deref(),
                Some(&b"blob"[..]),
                "{format}"
            );
        }
        assert_eq!(tar_entry(&archive, "index.json").unwrap(), None, "{format}");
    }
}

#[test]
fn containerd_store_is_compared_by_config_digest_not_by_its_index_id() {
    let fakes = Fakes::new();
    fakes.set_docker_inspect(&fixture("docker-inspect-containerd.json"));
    fakes.set_saved_manifest(&fixture("docker-save-manifest.json"));
    // The node lists the config digest, as every Minikube runtime does.
    fakes.set_image_ls(&node_lists(CONFIG));
    let engine = Engine::new(EngineKind::Docker, tools(&fakes), BuildSettings::default()).unwrap();
    let info = engine.inspect(&Runner::live(), REFERENCE).unwrap().unwrap();
    assert_eq!(
        info.id, CONFIG,
        "the index digest {INDEX} is not the image ID"
    );
    assert_eq!(info.size, Some(12_871_932));
    let calls = fakes.calls();
    assert!(
        calls[0].starts_with(&format!(
            "docker image inspect --format {{{{json .}}}} {REFERENCE}"
        )),
        "{calls:#?}"
    );
    assert!(
        calls[1].starts_with("docker image save -o ") && calls[1].contains(REFERENCE),
        "{calls:#?}"
    );

    let image = BuiltImage {
        name: "todo-chatbot-backend".into(),
        tag: "0123456789ab".into(),
        reference: "todo-chatbot-backend:0123456789ab".into(),
        qualified: REFERENCE.into(),
        id: info.id,
        size: info.size,
        budget: 50_000_000,
        reused: true,
    };
    let mk = Loader::Minikube(Minikube::new(&fakes.path("minikube"), None));
    ops::load(&Runner::live(), &engine, &mk, &[image], &mut |_| {}).unwrap();
}

#[test]
fn classic_store_id_is_used_as_it_is() {
    let fakes = Fakes::new();
    fakes.set_docker_inspect(&fixture("docker-inspect-classic.json"));
    let engine = Engine::new(EngineKind::Docker, tools(&fakes), BuildSettings::default()).unwrap();
    let info = engine.inspect(&Runner::live(), REFERENCE).unwrap().unwrap();
    assert_eq!(info.id, CONFIG);
    assert!(
        !fakes.calls().iter().any(|c| c.contains(" save ")),
        "no archive is needed when Id is the config digest: {:#?}",
        fakes.calls()
    );
}

fn request(context: &Path) -> BuildRequest {
    BuildRequest {
        context: context.to_owned(),
        dockerfile: "docker/backend.Dockerfile".into(),
        reference: REFERENCE.into(),
        build_args: [("VERSION".to_string(), "0.1.0".to_string())].into(),
        target: Some("build".into()),
    }
}

fn assert_buildx_error(err: &Error) {
    assert!(matches!(err, Error::BuildxMissing { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("without the buildx plugin"), "{msg}");
    assert!(msg.contains("sudo apt install docker-buildx"), "{msg}");
    assert!(msg.contains("docker-buildx-plugin"), "{msg}");
    assert!(msg.contains("--engine podman"), "{msg}");
}

#[test]
fn a_build_refused_for_lack_of_buildx_says_how_to_get_it() {
    let fakes = Fakes::new();
    fakes.fail_builds_with(&fixture("docker-build-no-buildx.stderr"));
    let engine = Engine::new(EngineKind::Docker, tools(&fakes), BuildSettings::default()).unwrap();
    let ctx = tempfile::tempdir().unwrap();
    let err = engine
        .build(&Runner::live(), &request(ctx.path()), &mut |_| {})
        .unwrap_err();
    assert_buildx_error(&err);
    // Any other build failure stays the tool's own error.
    fakes.fail_builds_with("ERROR: failed to solve: process \"/bin/sh -c cargo build\" did not complete successfully: exit code: 101\n");
    let err = engine
        .build(&Runner::live(), &request(ctx.path()), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, Error::Exec(_)), "{err:?}");
}

#[test]
fn the_real_docker_client_and_the_kit_agree_about_buildx() {
    // The real client, with no engine anywhere: without the plugin it refuses before it looks
    // for one, with the plugin it fails for want of an engine — never the buildx error.
    let home = tempfile::tempdir().unwrap();
    let has_buildx = Cmd::new("docker")
        .args(["buildx", "version"])
        .env("HOME", home.path().to_string_lossy())
        .run_unchecked()
        .unwrap()
        .success();
    let engine = Engine::new(
        EngineKind::Docker,
        EngineTools::default(),
        BuildSettings::default(),
    )
    .unwrap();
    let ctx = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ctx.path().join("docker")).unwrap();
    std::fs::write(
        ctx.path().join("docker/backend.Dockerfile"),
        "FROM scratch\n",
    )
    .unwrap();
    let cmd = engine
        .build_cmd(&request(ctx.path()))
        .env("HOME", home.path().to_string_lossy())
        .env(
            "DOCKER_HOST",
            format!("unix://{}", home.path().join("no-docker.sock").display()),
        );
    let err = Runner::live()
        .run_streaming(&cmd, |_| {})
        .expect_err("no engine answers, so the build cannot succeed");
    let refused = err.stderr().is_some_and(preflight::docker::buildx_missing);
    assert_eq!(refused, !has_buildx, "{err}");
}

#[test]
fn auto_detection_skips_a_docker_without_buildx() {
    let fakes = Fakes::new();
    fakes.fail_buildx();
    let detected = Engine::detect(
        EngineChoice::Auto,
        EngineTools {
            docker: fakes.path("docker"),
            ..EngineTools::default()
        },
        BuildSettings::default(),
    )
    .unwrap();
    // The real podman of this machine builds instead.
    assert_eq!(detected.kind(), EngineKind::Podman);
    assert!(
        fakes
            .calls()
            .iter()
            .any(|c| c.starts_with("docker buildx version")),
        "{:#?}",
        fakes.calls()
    );
}

fn minikube_build(fakes: &Fakes, runtime: &str) -> Result<Engine, Error> {
    fakes.set_node_runtime(runtime);
    Engine::new(
        EngineKind::MinikubeImage,
        tools(fakes),
        BuildSettings::default(),
    )
}

#[test]
fn minikube_image_build_writes_options_in_the_node_builders_syntax() {
    let fakes = Fakes::new();
    let check = |runtime: &str, want: NodeRuntime, opts: &[&str]| {
        let engine = minikube_build(&fakes, runtime).unwrap();
        assert_eq!(engine.node_runtime(), Some(want));
        let args = engine.build_cmd(&request(Path::new("/ws"))).redacted_args();
        let got: Vec<&str> = args
            .iter()
            .map(String::as_str)
            .filter(|a| a.starts_with("--build-opt="))
            .collect();
        assert_eq!(got, opts, "{runtime}");
    };
    check(
        "docker",
        NodeRuntime::Docker,
        &[
            "--build-opt=build-arg=VERSION=0.1.0",
            "--build-opt=target=build",
        ],
    );
    check(
        "cri-o",
        NodeRuntime::CriO,
        &[
            "--build-opt=build-arg=VERSION=0.1.0",
            "--build-opt=target=build",
        ],
    );
    // minikube hands each value to the builder as `--<value>`; buildctl has no `--build-arg`
    // ("flag provided but not defined", kubernetes/minikube#12384) and takes
    // `--opt build-arg:K=V --opt target=T` (its usage text quoted there).
    check(
        "containerd",
        NodeRuntime::Containerd,
        &[
            "--build-opt=opt=build-arg:VERSION=0.1.0",
            "--build-opt=opt=target=build",
        ],
    );
    assert!(
        fakes
            .calls()
            .iter()
            .all(|c| c == "minikube profile list -o json"),
        "{:#?}",
        fakes.calls()
    );
}

#[test]
fn minikube_image_build_refuses_what_it_cannot_pass_arguments_to() {
    let fakes = Fakes::new();
    let err = minikube_build(&fakes, "gvisor").unwrap_err().to_string();
    assert!(err.contains("container runtime \"gvisor\""), "{err}");
    assert!(err.contains("--engine docker, podman or buildah"), "{err}");
    // No such profile: said so, with the command that makes one.
    let err = Engine::new(
        EngineKind::MinikubeImage,
        tools(&fakes),
        BuildSettings {
            minikube_profile: Some("todo-chatbot".into()),
            ..BuildSettings::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no valid profile todo-chatbot"), "{err}");
    assert!(err.contains("minikube start -p todo-chatbot"), "{err}");
}

#[test]
fn real_podman_inspect_gives_the_config_digest_and_size() {
    // A base image every machine that builds our images has (see real_build).
    let base = "gcr.io/distroless/cc-debian12:nonroot";
    let plain = Cmd::new("podman")
        .args(["image", "inspect", "--format", "{{.Id}} {{.Size}}", base])
        .run()
        .unwrap_or_else(|e| {
            panic!(
                "{e}\n(base image {base} is missing: run /work/shared/tools/standin-base-images)"
            )
        });
    let (id, size) = plain.stdout.trim().split_once(' ').unwrap();
    let engine = Engine::new(
        EngineKind::Podman,
        EngineTools::default(),
        BuildSettings::default(),
    )
    .unwrap();
    let info = engine.inspect(&Runner::live(), base).unwrap().unwrap();
    assert_eq!(info.id, format!("sha256:{id}"));
    assert_eq!(info.size, Some(size.parse().unwrap()));
    assert_eq!(
        engine
            .inspect(&Runner::live(), "localhost/no-such-image:0")
            .unwrap(),
        None
    );
}
