use std::path::Path;

use exec::Runner;
use images::engine::{
    BuildSettings, Engine, EngineChoice, EngineKind, EngineTools, same_id, tags_of,
};
use images::ops::{self, MB, Project};
use images::{Error, Loader, Minikube};

use crate::fakes::Fakes;

/// A copy of the repository's image inputs (Dockerfiles, .dockerignore, toolchain) around a
/// tiny workspace.
pub fn project_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for file in [
        ".dockerignore",
        "rust-toolchain.toml",
        "docker/backend.Dockerfile",
        "docker/frontend.Dockerfile",
    ] {
        std::fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
        std::fs::copy(repo.join(file), root.join(file)).unwrap();
    }
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nmembers = []\n\n[workspace.package]\nversion = \"1.2.3\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("crates/app/src")).unwrap();
    std::fs::write(root.join("crates/app/src/main.rs"), "fn main() {}\n").unwrap();
    dir
}

#[test]
fn project_defaults_budgets_and_selection() {
    let dir = project_dir();
    let mut project = Project::new(dir.path()).unwrap();
    assert_eq!(project.build_args["VERSION"], "1.2.3");
    assert_eq!(project.label_args["REVISION"], "unknown");
    let names: Vec<_> = project
        .images
        .iter()
        .map(|i| (i.name.as_str(), i.budget))
        .collect();
    assert_eq!(
        names,
        vec![
            ("todo-chatbot-backend", 50 * MB),
            ("todo-chatbot-frontend", 40 * MB)
        ]
    );
    project.apply_budget("todo-chatbot-frontend=12.5").unwrap();
    assert_eq!(project.images[1].budget, 12_500_000);
    let check = |setting: &str, expect: &str| {
        let err = Project::new(dir.path())
            .unwrap()
            .apply_budget(setting)
            .unwrap_err()
            .to_string();
        assert!(err.contains(expect), "{setting}: {err}");
    };
    check("todo-chatbot-backend", "is not NAME=MB");
    check("todo-chatbot-backend=x", "is not NAME=MB");
    check("todo-chatbot-backend=-1", "not a positive number");
    check("nope=10", "`nope` is not one of this project's images");
    project.select(&["todo-chatbot-frontend".into()]).unwrap();
    assert_eq!(project.images.len(), 1);
    assert!(project.select(&["nope".into()]).is_err());
}

#[test]
fn tags_are_content_hashes_never_latest() {
    let dir = project_dir();
    let project = Project::new(dir.path()).unwrap();
    let tags = project.tags().unwrap();
    assert_eq!(tags.len(), 2);
    for image in &tags {
        assert_eq!(image.tag.len(), 12);
        assert_ne!(image.tag, "latest");
        assert_eq!(image.reference, format!("{}:{}", image.name, image.tag));
        assert_eq!(
            image.qualified,
            format!("docker.io/library/{}", image.reference)
        );
    }
    // Different Dockerfiles, different tags; same tree, same tags.
    assert_ne!(tags[0].tag, tags[1].tag);
    assert_eq!(project.tags().unwrap(), tags);
}

#[test]
fn check_reports_findings_per_file() {
    let dir = project_dir();
    let project = Project::new(dir.path()).unwrap();
    let report = ops::check(&project).unwrap();
    assert!(report.ok(), "{report:#?}");
    report.into_result().unwrap();
    let path = dir.path().join("docker/frontend.Dockerfile");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("USER 65532:65532", "USER nonroot");
    std::fs::write(&path, text).unwrap();
    let report = ops::check(&project).unwrap();
    assert!(!report.ok());
    assert!(report.files[0].1.is_empty());
    let err = report.into_result().unwrap_err().to_string();
    assert!(
        err.contains("frontend.Dockerfile:") && err.contains("IMG002 non-root-user"),
        "{err}"
    );
}

#[test]
fn build_plan_in_a_dry_run() {
    let dir = project_dir();
    let project = Project::new(dir.path()).unwrap();
    let engine = Engine::new(
        EngineKind::Buildah,
        EngineTools::default(),
        BuildSettings::default(),
    )
    .unwrap();
    let runner = Runner::dry_run();
    let mut events = Vec::new();
    let built = ops::build(&project, &runner, &engine, false, &mut |p| {
        events.push(format!("{p:?}"))
    })
    .unwrap();
    assert_eq!(built.len(), 2);
    let recorded = runner.recorded();
    let tag = &built[0].tag;
    assert_eq!(recorded.len(), 6, "{recorded:#?}");
    assert_eq!(
        recorded[0],
        format!(
            "podman image inspect --format '{{{{json .}}}}' docker.io/library/todo-chatbot-backend:{tag}"
        )
    );
    assert!(
        recorded[1].starts_with("buildah bud '--layers=false' --force-rm --format docker -f "),
        "{}",
        recorded[1]
    );
    assert!(recorded[1].contains(&format!("-t docker.io/library/todo-chatbot-backend:{tag} --build-arg 'REVISION=unknown' --build-arg 'VERSION=1.2.3' ")), "{}", recorded[1]);
    assert!(events[0].contains("Building"), "{events:?}");
    // A Dockerfile breaking a rule stops the build before anything runs.
    let path = dir.path().join("docker/backend.Dockerfile");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "gcr.io/distroless/cc-debian12:nonroot",
        "gcr.io/distroless/cc-debian12",
    );
    std::fs::write(&path, text).unwrap();
    let runner = Runner::dry_run();
    let err = ops::build(&project, &runner, &engine, false, &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::Rules { .. }), "{err}");
    assert!(runner.recorded().is_empty());
}

#[test]
fn budgets_are_enforced_after_reporting() {
    let image = |size: u64| images::BuiltImage {
        name: "todo-chatbot-frontend".into(),
        tag: "0123456789ab".into(),
        reference: "todo-chatbot-frontend:0123456789ab".into(),
        qualified: "docker.io/library/todo-chatbot-frontend:0123456789ab".into(),
        id: "sha256:00".into(),
        size: Some(size),
        budget: 40 * MB,
        reused: false,
    };
    ops::enforce_budgets(&[image(40 * MB)]).unwrap();
    assert!(image(39 * MB).within_budget());
    let err = ops::enforce_budgets(&[image(40 * MB + 1)])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("todo-chatbot-frontend:0123456789ab is 40.0 MB, over its budget of 40.0 MB"),
        "{err}"
    );
    let err = ops::enforce_budgets(&[image(61_200_000)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("61.2 MB") && err.contains("fix:"), "{err}");
}

#[test]
fn prune_removes_only_our_older_tags() {
    let dir = project_dir();
    let project = Project::new(dir.path()).unwrap();
    let tags = project.tags().unwrap();
    let (backend, frontend) = (&tags[0].tag, &tags[1].tag);
    let fakes = Fakes::new();
    fakes.set_docker_images(&format!(
        "todo-chatbot-backend:{backend}\ntodo-chatbot-backend:aaaaaaaaaaaa\ndocker.io/library/todo-chatbot-backend:bbbbbbbbbbbb\n\
         todo-chatbot-frontend:{frontend}\nlocalhost/todo-chatbot-frontend:cccccccccccc\nother-app:aaaaaaaaaaaa\n\
         todo-chatbot-backend-extra:dddddddddddd\n<none>:<none>\n"
    ));
    fakes.set_image_ls(&format!(
        r#"[{{"id":"sha256:01","repoTags":["docker.io/library/todo-chatbot-backend:{backend}","docker.io/library/todo-chatbot-backend:eeeeeeeeeeee"],"size":"1"}}]"#
    ));
    let tools = EngineTools {
        docker: fakes.path("docker"),
        minikube: fakes.path("minikube"),
        ..EngineTools::default()
    };
    let engine = Engine::new(EngineKind::Docker, tools, BuildSettings::default()).unwrap();
    let mk = Loader::Minikube(Minikube::new(&fakes.path("minikube"), None));
    let report = ops::prune(&project, &Runner::live(), &engine, Some(&mk)).unwrap();
    assert_eq!(
        report.removed,
        vec![
            "todo-chatbot-backend:aaaaaaaaaaaa",
            "todo-chatbot-backend:bbbbbbbbbbbb",
            "todo-chatbot-frontend:cccccccccccc",
        ]
    );
    assert_eq!(
        report.removed_from_cluster,
        vec!["todo-chatbot-backend:eeeeeeeeeeee"]
    );
    let calls = fakes.calls();
    let removals: Vec<&String> = calls
        .iter()
        .filter(|c| c.contains(" rmi ") || c.contains("image rm"))
        .collect();
    assert_eq!(removals.len(), 4, "{calls:#?}");
    assert!(removals.iter().all(|c| !c.contains("other-app")
        && !c.contains(backend.as_str())
        && !c.contains("-extra")));
    assert!(
        calls.contains(
            &"minikube image rm docker.io/library/todo-chatbot-backend:eeeeeeeeeeee".to_owned()
        ),
        "{calls:#?}"
    );
}

#[test]
fn engine_choice_and_ids() {
    assert_eq!("auto".parse::<EngineChoice>().unwrap(), EngineChoice::Auto);
    assert_eq!(
        "minikube-docker".parse::<EngineChoice>().unwrap(),
        EngineChoice::Use(EngineKind::MinikubeDocker)
    );
    assert_eq!(
        "minikube-build".parse::<EngineChoice>().unwrap(),
        EngineChoice::Use(EngineKind::MinikubeImage)
    );
    assert_eq!(
        "minikube".parse::<EngineChoice>().unwrap(),
        EngineChoice::Use(EngineKind::MinikubeImage)
    );
    let err = "kaniko".parse::<EngineChoice>().unwrap_err().to_string();
    assert!(
        err.contains("auto, docker, podman, buildah, minikube-docker, minikube-build"),
        "{err}"
    );
    assert!(same_id("sha256:ABCDEF0123456789", "abcdef012345"));
    assert!(!same_id("sha256:abcdef0123456789", "abcdef01"));
    assert!(!same_id(
        "sha256:abcdef0123456789",
        "sha256:bbcdef0123456789"
    ));
    assert_eq!(
        tags_of(
            "localhost/x:1\ndocker.io/library/x:2\nx:3\nxy:4\nx:<none>\n",
            "x"
        ),
        vec!["1", "2", "3"]
    );
}

#[test]
fn auto_detection_falls_through_to_podman_here() {
    // No Docker daemon on this machine (the client may exist): podman must be picked.
    let engine = Engine::detect(
        EngineChoice::Auto,
        EngineTools::default(),
        BuildSettings::default(),
    )
    .unwrap();
    assert_eq!(engine.kind(), EngineKind::Podman);
    // Nothing at all: an error that says what was tried and what to do.
    let none = EngineTools {
        docker: "/nonexistent/docker".into(),
        podman: "/nonexistent/podman".into(),
        buildah: "/nonexistent/buildah".into(),
        minikube: "/nonexistent/minikube".into(),
    };
    let err = Engine::detect(EngineChoice::Auto, none, BuildSettings::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("docker:") && err.contains("podman:") && err.contains("minikube:"),
        "{err}"
    );
    assert!(err.contains("--engine"), "{err}");
}

#[test]
fn an_edit_during_the_build_removes_the_image_instead_of_mislabelling_it() {
    let dir = project_dir();
    let project = Project::new(dir.path()).unwrap();
    let fakes = Fakes::new();
    fakes.edit_during_build(&dir.path().join("crates/app/src/main.rs"));
    let tools = EngineTools {
        docker: fakes.path("docker"),
        ..EngineTools::default()
    };
    let engine = Engine::new(EngineKind::Docker, tools, BuildSettings::default()).unwrap();
    let err = ops::build(&project, &Runner::live(), &engine, false, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("files changed while todo-chatbot-backend:"),
        "{err}"
    );
    assert!(err.contains("run the build again"), "{err}");
    let calls = fakes.calls();
    assert!(calls[1].starts_with("docker build"), "{calls:#?}");
    assert!(
        calls[2].starts_with("docker rmi docker.io/library/todo-chatbot-backend:"),
        "{calls:#?}"
    );
    // A quiet tree builds: the fake engine then reports the image.
    std::fs::remove_file(fakes.path("edit-during-build")).unwrap();
    fakes.set_docker_inspect(&crate::fakes::fixture("docker-inspect-classic.json"));
    let built = ops::build(&project, &Runner::live(), &engine, true, &mut |_| {}).unwrap();
    assert_eq!(built[0].size, Some(36_512_234));
    assert_eq!(
        built[0].id,
        "sha256:2f1c0ab9e0e14d7c2f1c0ab9e0e14d7c2f1c0ab9e0e14d7c2f1c0ab9e0e14d7c"
    );
}

#[test]
fn the_revision_labels_but_does_not_tag() {
    let dir = project_dir();
    let mut project = Project::new(dir.path()).unwrap();
    let before = project.tags().unwrap();
    project.label_args.insert(
        "REVISION".into(),
        "0123456789abcdef0123456789abcdef01234567".into(),
    );
    assert_eq!(
        project.tags().unwrap(),
        before,
        "a new commit alone must not retag"
    );
    project.build_args.insert("VERSION".into(), "9.9.9".into());
    assert_ne!(project.tags().unwrap(), before, "a tag input changed");

    let runner = Runner::dry_run();
    let engine = Engine::new(
        EngineKind::Buildah,
        EngineTools::default(),
        BuildSettings::default(),
    )
    .unwrap();
    ops::build(&project, &runner, &engine, true, &mut |_| {}).unwrap();
    let build = runner
        .recorded()
        .into_iter()
        .find(|c| c.contains(" bud "))
        .unwrap();
    assert!(
        build.contains("REVISION=0123456789abcdef"),
        "the label arg reaches the build: {build}"
    );
}
