use exec::Runner;
use images::engine::{BuildRequest, BuildSettings, Engine, EngineKind, EngineTools};
use images::minikube::{Minikube, parse_docker_env, parse_image_ls};
use images::ops::{self, BuiltImage};
use images::{Error, Loader, Progress};

use crate::fakes::{Fakes, status};

const ID: &str = "sha256:2f1c0ab9e0e14d7c2f1c0ab9e0e14d7c2f1c0ab9e0e14d7c2f1c0ab9e0e14d7c";
const OTHER: &str = "sha256:9999999999994d7c2f1c0ab9e0e14d7c2f1c0ab9e0e14d7c2f1c0ab9e0e14d7c";

fn tools(fakes: &Fakes) -> EngineTools {
    EngineTools {
        docker: fakes.path("docker"),
        podman: fakes.path("podman-not-used"),
        buildah: fakes.path("buildah-not-used"),
        minikube: fakes.path("minikube"),
    }
}

fn built(id: &str) -> BuiltImage {
    BuiltImage {
        name: "todo-chatbot-backend".into(),
        tag: "0123456789ab".into(),
        reference: "todo-chatbot-backend:0123456789ab".into(),
        qualified: "docker.io/library/todo-chatbot-backend:0123456789ab".into(),
        id: id.into(),
        size: Some(20_000_000),
        budget: 50_000_000,
        reused: false,
    }
}

fn listing(id: &str) -> String {
    format!(
        r#"[{{"id":"{}","repoDigests":[],"repoTags":["registry.k8s.io/pause:3.10"],"size":"736000"}},
            {{"id":"{id}","repoDigests":[],"repoTags":["docker.io/library/todo-chatbot-backend:0123456789ab"],"size":"21000000"}}]"#,
        OTHER
    )
}

#[test]
fn docker_env_parses_both_shell_forms() {
    let check = |text: &str, expect: &[(&str, &str)]| {
        let got = parse_docker_env(text);
        let want: Vec<(String, String)> = expect
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want, "{text}");
    };
    check(
        "DOCKER_TLS_VERIFY=1\nDOCKER_HOST=tcp://192.168.49.2:2376\nDOCKER_CERT_PATH=/c\nMINIKUBE_ACTIVE_DOCKERD=minikube\n",
        &[
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_HOST", "tcp://192.168.49.2:2376"),
            ("DOCKER_CERT_PATH", "/c"),
            ("MINIKUBE_ACTIVE_DOCKERD", "minikube"),
        ],
    );
    check(
        "export DOCKER_TLS_VERIFY=\"1\"\nexport DOCKER_HOST=\"tcp://192.168.49.2:2376\"\n\n# To point your shell to minikube's docker-daemon, run:\n# eval $(minikube -p minikube docker-env)\n",
        &[
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_HOST", "tcp://192.168.49.2:2376"),
        ],
    );
    check("", &[]);
}

#[test]
fn image_ls_json_parses_ids_tags_and_sizes() {
    let images = parse_image_ls(&listing(ID)).unwrap();
    assert_eq!(images.len(), 2);
    assert_eq!(images[1].id, ID);
    assert_eq!(
        images[1].tags,
        vec!["docker.io/library/todo-chatbot-backend:0123456789ab"]
    );
    assert_eq!(images[1].size, Some(21_000_000));
    // Bare hex ids (containerd) and numeric sizes are read the same way; untagged images too.
    let images =
        parse_image_ls(r#"[{"id":"ABCDEF0123456789","repoTags":null,"size":42}]"#).unwrap();
    assert_eq!(images[0].id, "sha256:abcdef0123456789");
    assert!(images[0].tags.is_empty());
    assert_eq!(images[0].size, Some(42));
    let err = parse_image_ls("IMAGE TAG\npause 3.10").unwrap_err();
    assert!(err.contains("not the expected JSON"), "{err}");
}

#[test]
fn docker_engine_loads_by_reference_then_checks_the_cluster_id() {
    let fakes = Fakes::new();
    fakes.set_image_ls(&listing(ID));
    let engine = Engine::new(EngineKind::Docker, tools(&fakes), BuildSettings::default()).unwrap();
    let mk = Loader::Minikube(Minikube::new(&fakes.path("minikube"), Some("todo".into())));
    let mut seen = Vec::new();
    ops::load(&Runner::live(), &engine, &mk, &[built(ID)], &mut |p| {
        seen.push(format!("{p:?}"))
    })
    .unwrap();
    assert_eq!(
        fakes.calls(),
        vec![
            "minikube image load -p todo docker.io/library/todo-chatbot-backend:0123456789ab",
            "minikube image ls --format json -p todo",
        ]
    );
    assert!(seen.iter().any(|p| p.contains("Verified")), "{seen:?}");
}

#[test]
fn a_different_id_in_the_cluster_is_an_error_with_the_fix() {
    let fakes = Fakes::new();
    fakes.set_image_ls(&listing(OTHER));
    let engine = Engine::new(EngineKind::Docker, tools(&fakes), BuildSettings::default()).unwrap();
    let mk = Loader::Minikube(Minikube::new(&fakes.path("minikube"), None));
    let err = ops::load(&Runner::live(), &engine, &mk, &[built(ID)], &mut |_| {}).unwrap_err();
    assert!(
        matches!(err, Error::ClusterMismatch { found: Some(_), .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(ID) && msg.contains(OTHER), "{msg}");
    assert!(
        msg.contains("minikube image rm docker.io/library/todo-chatbot-backend:0123456789ab"),
        "{msg}"
    );
}

#[test]
fn an_image_missing_from_the_cluster_is_an_error() {
    let fakes = Fakes::new();
    fakes.set_image_ls(
        r#"[{"id":"sha256:00","repoTags":["registry.k8s.io/pause:3.10"],"size":"1"}]"#,
    );
    let mk = Loader::Minikube(Minikube::new(&fakes.path("minikube"), None));
    let err = mk
        .verify(&Runner::live(), "todo-chatbot-backend:0123456789ab", ID)
        .unwrap_err();
    assert!(
        matches!(err, Error::ClusterMismatch { found: None, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("no such image"), "{err}");
}

#[test]
fn a_short_cluster_id_matches_its_full_form() {
    let fakes = Fakes::new();
    fakes.set_image_ls(&listing(&ID["sha256:".len()..][..13]));
    let mk = Loader::Minikube(Minikube::new(&fakes.path("minikube"), None));
    mk.verify(&Runner::live(), "todo-chatbot-backend:0123456789ab", ID)
        .unwrap();
}

#[test]
fn minikube_docker_engine_builds_against_the_clusters_daemon() {
    let fakes = Fakes::new();
    let settings = BuildSettings {
        minikube_profile: Some("todo".into()),
        ..BuildSettings::default()
    };
    let engine = Engine::new(EngineKind::MinikubeDocker, tools(&fakes), settings).unwrap();
    let request = BuildRequest {
        context: "/ws".into(),
        dockerfile: "docker/backend.Dockerfile".into(),
        reference: "docker.io/library/todo-chatbot-backend:0123456789ab".into(),
        build_args: [("VERSION".to_string(), "0.1.0".to_string())].into(),
        target: None,
    };
    let shown = engine.build_cmd(&request).to_string();
    assert!(
        shown.starts_with(
            "DOCKER_BUILDKIT=1 DOCKER_TLS_VERIFY=1 DOCKER_HOST=tcp://192.168.49.2:2376 "
        ),
        "{shown}"
    );
    let args = engine.build_cmd(&request).redacted_args().join(" ");
    assert_eq!(
        args,
        "build --progress=plain -f /ws/docker/backend.Dockerfile -t docker.io/library/todo-chatbot-backend:0123456789ab --build-arg VERSION=0.1.0 /ws"
    );
    let mut lines = Vec::new();
    let ctx = tempfile::tempdir().unwrap();
    let request = BuildRequest {
        context: ctx.path().to_owned(),
        ..request
    };
    engine
        .build(&Runner::live(), &request, &mut |l| lines.push(l.to_owned()))
        .unwrap();
    assert!(
        lines.iter().any(|l| l.contains("load build definition")),
        "{lines:?}"
    );
    let calls = fakes.calls();
    assert_eq!(calls[0], "minikube docker-env --shell none -p todo");
    assert!(
        calls[1].starts_with("docker build --progress=plain"),
        "{calls:?}"
    );
    assert!(
        calls[1].ends_with("DOCKER_HOST=tcp://192.168.49.2:2376 DOCKER_BUILDKIT=1"),
        "{calls:?}"
    );
    // The image is already in the cluster: load only checks the ID.
    fakes.set_image_ls(&listing(ID));
    let mk = Loader::Minikube(Minikube::new(&fakes.path("minikube"), Some("todo".into())));
    ops::load(&Runner::live(), &engine, &mk, &[built(ID)], &mut |_| {}).unwrap();
    assert!(
        !fakes.calls().iter().any(|c| c.contains("image load")),
        "{:?}",
        fakes.calls()
    );
}

#[test]
fn minikube_image_build_arguments() {
    let fakes = Fakes::new();
    let engine = Engine::new(
        EngineKind::MinikubeImage,
        tools(&fakes),
        BuildSettings::default(),
    )
    .unwrap();
    let request = BuildRequest {
        context: "/ws".into(),
        dockerfile: "docker/frontend.Dockerfile".into(),
        reference: "docker.io/library/todo-chatbot-frontend:0123456789ab".into(),
        build_args: [
            ("REVISION".to_string(), "abc".to_string()),
            ("VERSION".to_string(), "0.1.0".to_string()),
        ]
        .into(),
        target: None,
    };
    let cmd = engine.build_cmd(&request);
    assert_eq!(
        cmd.redacted_args(),
        vec![
            "image",
            "build",
            "-t",
            "docker.io/library/todo-chatbot-frontend:0123456789ab",
            "-f",
            "docker/frontend.Dockerfile",
            "--build-opt=build-arg=REVISION=abc",
            "--build-opt=build-arg=VERSION=0.1.0",
            "/ws",
        ]
    );
    // Inspection goes through the cluster's listing.
    fakes.set_image_ls(&listing(ID));
    let info = engine
        .inspect(
            &Runner::live(),
            "docker.io/library/todo-chatbot-backend:0123456789ab",
        )
        .unwrap()
        .unwrap();
    assert_eq!(info.id, ID);
    assert_eq!(info.size, Some(21_000_000));
}

#[test]
fn local_engines_build_arguments() {
    let request = BuildRequest {
        context: "/ws".into(),
        dockerfile: "docker/backend.Dockerfile".into(),
        reference: "docker.io/library/todo-chatbot-backend:0123456789ab".into(),
        build_args: [("VERSION".to_string(), "0.1.0".to_string())].into(),
        target: Some("build".into()),
    };
    let settings = BuildSettings {
        network_host: true,
        pull_never: true,
        isolation: Some("chroot".into()),
        minikube_profile: None,
    };
    let check = |kind: EngineKind, expect: &str| {
        let engine = Engine::new(kind, EngineTools::default(), settings.clone()).unwrap();
        let cmd = engine.build_cmd(&request);
        let line = std::iter::once(cmd.program().to_owned())
            .chain(cmd.redacted_args())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(line, expect, "{kind}");
    };
    check(
        EngineKind::Buildah,
        "buildah bud --layers=false --force-rm --format docker --isolation chroot --network host --pull=never -f /ws/docker/backend.Dockerfile -t docker.io/library/todo-chatbot-backend:0123456789ab --build-arg VERSION=0.1.0 --target build /ws",
    );
    check(
        EngineKind::Podman,
        "podman build --layers=false --force-rm --format docker --isolation chroot --network host --pull=never -f /ws/docker/backend.Dockerfile -t docker.io/library/todo-chatbot-backend:0123456789ab --build-arg VERSION=0.1.0 --target build /ws",
    );
    check(
        EngineKind::Docker,
        "docker build --progress=plain -f /ws/docker/backend.Dockerfile -t docker.io/library/todo-chatbot-backend:0123456789ab --network host --pull=false --build-arg VERSION=0.1.0 --target build /ws",
    );
}

#[test]
fn podman_images_reach_minikube_as_an_archive() {
    let engine = Engine::new(
        EngineKind::Podman,
        EngineTools::default(),
        BuildSettings::default(),
    )
    .unwrap();
    let runner = Runner::dry_run();
    let mk = Loader::Minikube(Minikube::new("minikube", None));
    ops::load(&runner, &engine, &mk, &[built(ID)], &mut |_: Progress<
        '_,
    >| {})
    .unwrap();
    let recorded = runner.recorded();
    assert_eq!(recorded.len(), 3, "{recorded:?}");
    assert!(
        recorded[0].starts_with("podman save --format docker-archive -o "),
        "{recorded:?}"
    );
    assert!(
        recorded[0].ends_with(".tar docker.io/library/todo-chatbot-backend:0123456789ab"),
        "{recorded:?}"
    );
    let archive = recorded[0].split_whitespace().nth(5).unwrap();
    assert_eq!(recorded[1], format!("minikube image load {archive}"));
    assert_eq!(recorded[2], "minikube image ls --format json");
}

#[test]
fn a_profile_runs_only_when_host_kubelet_and_api_server_all_do() {
    let fakes = Fakes::new();
    let minikube = Minikube::new(&fakes.path("minikube"), Some("todo".into()));
    let check = |json: &str, code: u8, expect: bool| {
        fakes.set_status(json, code);
        assert_eq!(
            minikube.is_running(&Runner::live()).unwrap(),
            expect,
            "{json}"
        );
    };
    check(&status("Running", "Running", "Running"), 0, true);
    // The node is up but Kubernetes in it is not: `minikube start` is still needed.
    check(&status("Running", "Stopped", "Stopped"), 7, false);
    check(&status("Running", "Running", "Paused"), 2, false);
    check(&status("Stopped", "Stopped", "Stopped"), 7, false);
    // No such profile: nothing on stdout.
    check("", 85, false);
    assert!(
        fakes
            .calls()
            .iter()
            .all(|c| c == "minikube status --output json -p todo"),
        "{:#?}",
        fakes.calls()
    );
}
