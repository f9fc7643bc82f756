//! The data outlives what it should: a backup restored, an uninstall, a profile switch that
//! would need a new volume.

use crate::kit::{ApiUser, Kit};

fn count(kit: &Kit, kind: &str) -> usize {
    let list = kit
        .ns
        .json([
            "get",
            kind,
            "--selector",
            &format!("app.kubernetes.io/instance={}", kit.release),
        ])
        .map(|l| l["items"].as_array().map_or(0, Vec::len));
    // After `down --purge` the namespace itself is gone.
    list.unwrap_or(0)
}

#[test]
fn a_restore_gives_back_the_backup_and_down_keeps_the_data_until_purge() {
    let kit = Kit::new("data");
    kit.deployed("dev", &[]);
    let (forward, api) = kit.forward("backend");
    let user = ApiUser::register(&api, "data@example.com");
    user.add_task(&api, "before the backup");
    let file = kit.root().join("backup.sql");
    kit.ok(&["db", "backup", &file.display().to_string()]);
    user.add_task(&api, "after the backup");
    assert_eq!(user.titles(&api).map(|t| t.len()), Ok(2));
    kit.ok(&["db", "restore", &file.display().to_string()]);
    assert_eq!(user.titles(&api), Ok(vec!["before the backup".to_owned()]));
    drop(forward);

    // Uninstalled, the volume and the Secret stay; the next deploy finds the data again.
    let password = kit.secret_key("postgres-password");
    kit.ok(&["down"]);
    // helm waits for what it deleted; the pods those owned go a grace period later.
    e2e::eventually(
        "the release's pods to go",
        std::time::Duration::from_secs(120),
        || Ok((count(&kit, "pods") == 0).then_some(())),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count(&kit, "pvc"), 1, "down removed the database volume");
    assert_eq!(count(&kit, "secrets"), 1, "down removed the chart's Secret");
    kit.deployed("dev", &[]);
    assert_eq!(kit.secret_key("postgres-password"), password);
    let (forward, api) = kit.forward("backend");
    assert_eq!(user.titles(&api), Ok(vec!["before the backup".to_owned()]));
    drop(forward);

    kit.ok(&["down", "--purge"]);
    assert_eq!(count(&kit, "pvc"), 0, "purge kept the volume");
    assert_eq!(count(&kit, "secrets"), 0, "purge kept the Secret");
}

#[test]
fn a_profile_switch_that_resizes_the_database_volume_is_refused_before_helm_runs() {
    let kit = Kit::new("resize");
    kit.deployed("dev", &[]);
    let revision = kit.revision();
    // The default profile asks for a 1Gi volume where dev made 512Mi.
    let out = kit
        .deploy("default", &[])
        .expect_err("the switch must be refused");
    assert!(
        out.stderr
            .contains("forbids changing a StatefulSet's volume claim templates")
            && out.stderr.contains("size 512Mi → 1Gi"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("just backup"),
        "no way out offered: {}",
        out.stderr
    );
    assert_eq!(kit.revision(), revision, "helm ran anyway");
}
