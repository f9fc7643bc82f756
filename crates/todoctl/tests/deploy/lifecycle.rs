//! A release's life: the first deploy, a deploy with nothing changed, a one-line change, an
//! upgrade that must keep the Secret, a rollback.

use crate::kit::{ApiUser, Kit, built_fresh, step};

#[test]
fn a_fresh_deploy_ends_verified_and_a_second_one_changes_nothing() {
    let kit = Kit::new("fresh");
    let first = kit.deployed("dev", &[]);
    assert!(
        step(&first, "verify").contains("smoke journey, persistence and helm test pass"),
        "{first}"
    );
    assert!(step(&first, "release").contains("(Helm 4)"), "{first}");
    assert!(
        step(&first, "load").contains("image IDs in the cluster match the build"),
        "{first}"
    );
    let revision = kit.revision();

    let second = kit.deployed("dev", &[]);
    assert!(
        step(&second, "images").starts_with("0 built, 2 unchanged"),
        "{second}"
    );
    assert_eq!(
        step(&second, "release"),
        format!("unchanged (revision {revision})")
    );
    assert_eq!(
        kit.revision(),
        revision,
        "a deploy with nothing changed made a revision"
    );
}

#[test]
fn a_fresh_deploy_ends_verified_with_helm_3() {
    let kit = Kit::new("helm3");
    let helm3 = crate::kit::real_tool("helm3");
    let summary = crate::kit::summary(kit.deploy_cmd("dev", &[]).env("HELM", helm3))
        .unwrap_or_else(|out| panic!("{}\n{}", out.stdout, out.stderr));
    assert!(step(&summary, "release").contains("(Helm 3)"), "{summary}");
    assert!(step(&summary, "verify").contains("pass"), "{summary}");
}

#[test]
fn a_one_line_change_rolls_only_the_backend_and_the_secret_survives_it_and_a_rollback() {
    let kit = Kit::new("upgrade");
    kit.deployed("dev", &[]);
    let revision = kit.revision();
    let frontend = kit.pod_uids("frontend");
    let password = kit.secret_key("postgres-password");
    let (forward, api) = kit.forward("backend");
    let user = ApiUser::register(&api, "upgrade@example.com");
    user.add_task(&api, "written before the upgrade");
    drop(forward);

    // One line of todo-api changes: only the backend image is rebuilt and rolled.
    let main = kit.root().join("crates/todo-api/src/main.rs");
    let source = std::fs::read_to_string(&main).expect("main.rs");
    // A line of its own each run: the same change would give the same content tag, and an
    // image an earlier run built would be reused rather than built.
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let line = format!("// e2e: a one-line change ({nonce})");
    std::fs::write(&main, format!("{source}\n{line}\n")).expect("edit");
    let summary = kit.deployed("dev", &[]);
    assert!(built_fresh(&summary, "todo-chatbot-backend"), "{summary}");
    assert!(!built_fresh(&summary, "todo-chatbot-frontend"), "{summary}");
    assert_eq!(kit.revision(), revision + 1);
    assert_eq!(
        kit.pod_uids("frontend"),
        frontend,
        "the frontend was rolled too"
    );

    // The Secret was kept: the token issued before still works, the password is the same.
    assert_eq!(kit.secret_key("postgres-password"), password);
    let (forward, api) = kit.forward("backend");
    assert_eq!(
        user.titles(&api),
        Ok(vec!["written before the upgrade".to_owned()]),
        "the token from before the upgrade no longer works"
    );
    drop(forward);

    // Back to the first revision: helm records a new one with the old images, and it answers.
    kit.ok(&["rollback", "--timeout", "300"]);
    assert_eq!(kit.revision(), revision + 2);
    let history = kit
        .helm(&["history", &kit.release, "--output", "json"])
        .run()
        .expect("history");
    let history: serde_json::Value = serde_json::from_str(&history.stdout).expect("history JSON");
    let last = history
        .as_array()
        .and_then(|h| h.last())
        .expect("a revision");
    assert!(
        last["description"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("Rollback to {revision}")),
        "{last}"
    );
    let (_forward, api) = kit.forward("backend");
    assert_eq!(
        user.titles(&api),
        Ok(vec!["written before the upgrade".to_owned()])
    );
}
