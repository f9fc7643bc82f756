//! Which loader a target gets, the commands each one runs, and the CRI listing they read. The
//! containerd loader also runs for real against the test cluster (crates/todoctl's e2e tests).

use std::path::Path;

use images::loader::{LoaderTarget, Source, choose, parse_crictl_images};
use images::{Error, LoaderChoice};

use crate::fakes::fixture;

fn check(choice: &str, context: Option<&str>, address: Option<&str>, expect: Result<&str, &str>) {
    let target = LoaderTarget {
        context,
        minikube_profile: "todo",
        containerd_address: address,
    };
    let got = choose(choice.parse().unwrap(), &target).map(|l| l.map(|l| l.name()));
    match (got, expect) {
        (Ok(name), Ok(want)) => assert_eq!(
            name.as_deref().unwrap_or("none"),
            want,
            "{choice} {context:?}"
        ),
        (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{choice} {context:?}: {e}"),
        (got, want) => panic!("{choice} {context:?}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn the_loader_follows_the_flag_or_the_context() {
    check("auto", None, None, Ok("minikube"));
    check("auto", Some("todo"), None, Ok("minikube"));
    check("auto", Some("kind-dev"), None, Ok("kind cluster dev"));
    check("auto", Some("k3d-lab"), None, Ok("k3d cluster lab"));
    check(
        "auto",
        Some("test-cluster"),
        Some("/run/c.sock"),
        Ok("containerd at /run/c.sock"),
    );
    check(
        "auto",
        Some("prod-eks"),
        None,
        Err("no way to put images into context `prod-eks`"),
    );
    check("containerd", Some("x"), None, Err("--containerd-address"));
    check(
        "kind",
        Some("prod-eks"),
        None,
        Err("pass --context kind-NAME"),
    );
    check("k3s", Some("default"), None, Ok("k3s"));
    check("none", Some("prod-eks"), None, Ok("none"));
    check("minikube", Some("kind-dev"), None, Ok("minikube"));
    let err = "sideload".parse::<LoaderChoice>().unwrap_err();
    assert!(
        matches!(err, Error::NoLoader { .. }) && err.to_string().contains("k3d"),
        "{err}"
    );
}

#[test]
fn each_loader_runs_its_clusters_own_commands() {
    let target = |context, address| LoaderTarget {
        context: Some(context),
        minikube_profile: "todo",
        containerd_address: address,
    };
    let archive = Path::new("/tmp/x/backend.tar");
    let cases = [
        (
            target("test-cluster", Some("/run/c.sock")),
            "ctr --address /run/c.sock --namespace k8s.io images import /tmp/x/backend.tar",
            "crictl --runtime-endpoint unix:///run/c.sock images --output json",
        ),
        (
            target("kind-dev", None),
            "kind load image-archive /tmp/x/backend.tar --name dev",
            "docker exec dev-control-plane crictl images --output json",
        ),
        (
            target("k3d-lab", None),
            "k3d image import /tmp/x/backend.tar --cluster lab",
            "docker exec k3d-lab-server-0 crictl images --output json",
        ),
    ];
    for (target, load, list) in cases {
        let loader = choose(LoaderChoice::Auto, &target).unwrap().unwrap();
        assert_eq!(loader.load_cmd(Source::Archive(archive)).to_string(), load);
        assert_eq!(loader.list_cmd().to_string(), list);
    }
    // kind and k3d read Docker's own store: no archive for the docker engine.
    let kind = choose(LoaderChoice::Auto, &target("kind-dev", None))
        .unwrap()
        .unwrap();
    assert!(!kind.needs_archive(images::EngineKind::Docker));
    assert!(kind.needs_archive(images::EngineKind::Buildah));
    assert_eq!(
        kind.load_cmd(Source::Daemon("docker.io/library/a:1"))
            .to_string(),
        "kind load docker-image docker.io/library/a:1 --name dev"
    );
}

#[test]
fn the_cri_listing_gives_config_digests_by_tag() {
    let images = parse_crictl_images(&fixture("crictl-images.json")).unwrap();
    assert_eq!(images.len(), 2);
    let backend = &images[0];
    assert!(
        backend.tags[0].starts_with("docker.io/library/todo-chatbot-backend:"),
        "{backend:?}"
    );
    assert_eq!(backend.id.len(), "sha256:".len() + 64);
    assert_eq!(backend.size, Some(16_503_581));
    let err = parse_crictl_images("IMAGE TAG IMAGE ID SIZE").unwrap_err();
    assert!(err.contains("crictl images --output json"), "{err}");
}
