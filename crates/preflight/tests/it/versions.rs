use preflight::version::{self, Version};

use crate::fixture;

type Parser = fn(&str) -> Result<Version, preflight::Error>;

/// Parses `input` with `parse` and expects `expect` (`None`: an error naming the command).
fn check(parse: Parser, input: &str, expect: Option<Version>) {
    match (parse(input), expect) {
        (Ok(got), Some(want)) => assert_eq!(got, want, "input: {input:?}"),
        (Err(e), None) => assert!(
            e.to_string().contains("could not read the output of"),
            "{e}"
        ),
        (got, want) => panic!("input {input:?}: got {got:?}, want {want:?}"),
    }
}

const fn v(major: u64, minor: u64, patch: u64) -> Option<Version> {
    Some(Version::new(major, minor, patch))
}

#[test]
fn helm_3_and_4_real_output() {
    check(
        version::helm,
        &fixture("helm4-version-short.txt"),
        v(4, 1, 4),
    );
    check(version::helm, &fixture("helm4-version.txt"), v(4, 1, 4));
    check(
        version::helm,
        &fixture("helm3-version-short.txt"),
        v(3, 17, 2),
    );
    check(version::helm, &fixture("helm3-version.txt"), v(3, 17, 2));
    check(version::helm, "Error: unknown flag: --short\n", None);
    check(version::helm, "", None);
}

#[test]
fn kubectl_real_output() {
    check(
        version::kubectl,
        &fixture("kubectl-version-client.json"),
        v(1, 35, 2),
    );
    check(version::kubectl, "Client Version: v1.35.2\n", None);
    check(
        version::kubectl,
        r#"{"clientVersion":{"gitVersion":"banana"}}"#,
        None,
    );
}

#[test]
fn minikube_documented_output() {
    check(
        version::minikube,
        &fixture("minikube-version.json"),
        v(1, 34, 0),
    );
    check(
        version::minikube,
        &fixture("minikube-version.txt"),
        v(1, 34, 0),
    );
    check(
        version::minikube,
        r#"{"commit":"62e108c3dfdec8029a890ad6d8ef96b6461426dc","minikubeVersion":"v1.26.1"}"#,
        v(1, 26, 1),
    );
    check(version::minikube, r#"{"commit":"x"}"#, None);
    check(version::minikube, "command not found", None);
}

#[test]
fn docker_client_without_engine_real_output() {
    // Captured with no engine: docker exits 1 but still prints the client part.
    check(
        version::docker,
        &fixture("docker-version-no-daemon.json"),
        v(28, 2, 2),
    );
    check(
        version::docker,
        "WARNING: context foo\n{\"Client\":{\"Version\":\"24.0.7\"},\"Server\":null}",
        v(24, 0, 7),
    );
    check(version::docker, "Cannot connect to the Docker daemon", None);
}

#[test]
fn podman_real_output() {
    check(version::podman, &fixture("podman-version.json"), v(4, 3, 1));
    check(version::podman, &fixture("podman-version.txt"), v(4, 3, 1));
    check(version::podman, "Error: something\n", None);
}

#[test]
fn just_real_output() {
    check(version::just, &fixture("just-version.txt"), v(1, 59, 0));
    check(version::just, "just: command not found", None);
}

#[test]
fn version_words() {
    for (text, want) in [
        ("v1.2.3", v(1, 2, 3)),
        ("1.2", v(1, 2, 0)),
        ("v4.1.4+g05fa379", v(4, 1, 4)),
        ("1.33.0-beta.0", v(1, 33, 0)),
        ("1", None),
        ("1.2.3.4", None),
        ("v1.x", None),
        ("", None),
    ] {
        assert_eq!(Version::parse(text), want, "{text:?}");
    }
    assert_eq!(
        Version::find_in("kagent version 0.3.14 (commit abc)"),
        v(0, 3, 14)
    );
    assert!(Version::new(3, 14, 0) < Version::new(3, 17, 2));
    assert!(Version::new(1, 29, 9) < Version::new(1, 30, 0));
    assert_eq!(Version::new(1, 35, 2).to_string(), "1.35.2");
}
